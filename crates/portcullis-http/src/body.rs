//! Reading an endpoint's request body: bounded in size and in time, so a
//! client can neither make Portcullis buffer more than [`MAX_BODY`](crate::MAX_BODY) nor
//! hold a connection open by trickling a body. Every adapter reads bodies
//! here; it only hands over the framework's stream of chunks.

use std::time::Duration;

use futures_core::Stream;
use http::{HeaderValue, StatusCode, header};

use crate::HttpResponse;

/// How long a client has to send an endpoint's request body by default.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(30);

/// Why a request body was not read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyRefused {
    /// More than the limit ([`MAX_BODY`](crate::MAX_BODY) for endpoints).
    TooLarge,
    /// Not complete within the body deadline.
    TooSlow,
    /// The connection failed or the body was malformed.
    Broken,
}

impl BodyRefused {
    /// The answer (413, 408 or 400, Flask-Security's envelope), with
    /// `Connection: close`: the rest of an unread body cannot be skipped,
    /// so the adapter must not reuse the connection.
    pub fn response(self) -> HttpResponse {
        let (status, message) = match self {
            Self::TooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "The request body is too large.",
            ),
            Self::TooSlow => (
                StatusCode::REQUEST_TIMEOUT,
                "The request body came too slowly.",
            ),
            Self::Broken => (StatusCode::BAD_REQUEST, "The request body was cut short."),
        };
        let mut resp = HttpResponse::error(status, message);
        resp.headers
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
        resp
    }
}

/// The whole body from a stream of chunks: at most `limit` bytes, within
/// `within`.
pub async fn read_body<S, B, E>(
    chunks: S,
    limit: usize,
    within: Duration,
) -> Result<Vec<u8>, BodyRefused>
where
    S: Stream<Item = Result<B, E>>,
    B: AsRef<[u8]>,
{
    let read = async {
        let mut chunks = std::pin::pin!(chunks);
        let mut bytes = Vec::new();
        while let Some(chunk) = std::future::poll_fn(|cx| chunks.as_mut().poll_next(cx)).await {
            let chunk = chunk.map_err(|_| BodyRefused::Broken)?;
            let chunk = chunk.as_ref();
            if bytes.len() + chunk.len() > limit {
                return Err(BodyRefused::TooLarge);
            }
            bytes.extend_from_slice(chunk);
        }
        Ok(bytes)
    };
    tokio::time::timeout(within, read)
        .await
        .unwrap_or(Err(BodyRefused::TooSlow))
}

#[cfg(test)]
mod tests {
    use std::pin::Pin;
    use std::task::{Context, Poll};

    use super::*;

    /// Chunks, then (optionally) a stream that never ends.
    struct Chunks(Vec<Result<Vec<u8>, ()>>, bool);

    impl Stream for Chunks {
        type Item = Result<Vec<u8>, ()>;
        fn poll_next(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Self::Item>> {
            if self.0.is_empty() {
                return if self.1 {
                    Poll::Pending
                } else {
                    Poll::Ready(None)
                };
            }
            Poll::Ready(Some(self.0.remove(0)))
        }
    }

    const SEC: Duration = Duration::from_secs(1);

    #[tokio::test]
    async fn a_body_is_read_whole_up_to_the_limit() {
        let ok = Chunks(vec![Ok(b"ab".to_vec()), Ok(b"cd".to_vec())], false);
        assert_eq!(read_body(ok, 4, SEC).await, Ok(b"abcd".to_vec()));
        let big = Chunks(vec![Ok(b"ab".to_vec()), Ok(b"cde".to_vec())], false);
        assert_eq!(read_body(big, 4, SEC).await, Err(BodyRefused::TooLarge));
        let broken = Chunks(vec![Ok(b"ab".to_vec()), Err(())], false);
        assert_eq!(read_body(broken, 4, SEC).await, Err(BodyRefused::Broken));
    }

    #[tokio::test]
    async fn a_trickled_body_is_cut_off_at_the_deadline() {
        let slow = Chunks(vec![Ok(b"ab".to_vec())], true);
        let short = Duration::from_millis(50);
        assert_eq!(read_body(slow, 4, short).await, Err(BodyRefused::TooSlow));
    }

    #[test]
    fn refusals_close_the_connection_with_their_status() {
        for (why, status) in [
            (BodyRefused::TooLarge, 413),
            (BodyRefused::TooSlow, 408),
            (BodyRefused::Broken, 400),
        ] {
            let r = why.response();
            assert_eq!(r.status.as_u16(), status);
            assert_eq!(r.headers[header::CONNECTION], "close");
        }
    }
}
