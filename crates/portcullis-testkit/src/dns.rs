//! A scripted DNS server on loopback UDP, for tests of the deliverability
//! check of email addresses over real DNS packets.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};

use hickory_resolver::proto::op::{Message, MessageType, ResponseCode};
use hickory_resolver::proto::rr::rdata::{A, AAAA, MX, TXT};
use hickory_resolver::proto::rr::{Name, RData, Record, RecordType};
use tokio::net::UdpSocket;

/// One name's records; a name with none is NXDOMAIN.
#[derive(Debug, Clone, Default)]
pub struct Zone {
    /// MX records (preference, exchange; `"."` is a null MX).
    pub mx: Vec<(u16, String)>,
    /// A and AAAA records.
    pub addresses: Vec<IpAddr>,
    /// TXT records.
    pub txt: Vec<String>,
}

/// The server: answers from its zones until dropped; counts questions.
#[derive(Debug)]
pub struct ScriptedDnsServer {
    /// Where it listens.
    pub addr: SocketAddr,
    asked: Arc<Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for ScriptedDnsServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl ScriptedDnsServer {
    /// Starts on a free loopback port with `zones` (names without the
    /// trailing dot).
    ///
    /// # Errors
    /// When no loopback port can be bound.
    pub async fn start(zones: HashMap<String, Zone>) -> std::io::Result<Self> {
        let socket = UdpSocket::bind("127.0.0.1:0").await?;
        let addr = socket.local_addr()?;
        let asked = Arc::new(Mutex::new(Vec::new()));
        let log = asked.clone();
        let task = tokio::spawn(async move {
            let mut buf = [0u8; 1500];
            while let Ok((n, peer)) = socket.recv_from(&mut buf).await {
                let Some(reply) = buf.get(..n).and_then(|q| answer(q, &zones, &log)) else {
                    continue;
                };
                let _ = socket.send_to(&reply, peer).await;
            }
        });
        Ok(Self { addr, asked, task })
    }

    /// The questions asked so far, as `"MX example.com"`.
    pub fn asked(&self) -> Vec<String> {
        self.asked
            .lock()
            .map_or_else(|e| e.into_inner().clone(), |l| l.clone())
    }
}

fn answer(
    query: &[u8],
    zones: &HashMap<String, Zone>,
    log: &Mutex<Vec<String>>,
) -> Option<Vec<u8>> {
    let request = Message::from_vec(query).ok()?;
    let q = request.queries.first()?.clone();
    let name = q.name.to_ascii().trim_end_matches('.').to_ascii_lowercase();
    if let Ok(mut l) = log.lock() {
        l.push(format!("{} {name}", q.query_type));
    }
    let mut reply = Message::response(request.metadata.id, request.metadata.op_code);
    reply.metadata.message_type = MessageType::Response;
    reply.metadata.authoritative = true;
    reply.metadata.recursion_desired = request.metadata.recursion_desired;
    reply.metadata.recursion_available = true;
    reply.add_query(q.clone());
    match zones.get(&name) {
        None => reply.metadata.response_code = ResponseCode::NXDomain,
        Some(zone) => {
            for data in records(zone, q.query_type) {
                reply.add_answer(Record::from_rdata(q.name.clone(), 60, data));
            }
        }
    }
    reply.to_vec().ok()
}

fn records(zone: &Zone, kind: RecordType) -> Vec<RData> {
    match kind {
        RecordType::MX => zone
            .mx
            .iter()
            .filter_map(|(p, host)| {
                let exchange = if host == "." {
                    Name::root()
                } else {
                    Name::from_ascii(host).ok()?
                };
                Some(RData::MX(MX::new(*p, exchange)))
            })
            .collect(),
        RecordType::A | RecordType::AAAA => zone
            .addresses
            .iter()
            .filter_map(|ip| match (kind, ip) {
                (RecordType::A, IpAddr::V4(v4)) => Some(RData::A(A(*v4))),
                (RecordType::AAAA, IpAddr::V6(v6)) => Some(RData::AAAA(AAAA(*v6))),
                _ => None,
            })
            .collect(),
        RecordType::TXT => zone
            .txt
            .iter()
            .map(|t| RData::TXT(TXT::new(vec![t.clone()])))
            .collect(),
        _ => Vec::new(),
    }
}
