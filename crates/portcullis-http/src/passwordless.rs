//! Passwordless login (`SECURITY_PASSWORDLESS`): `/login` sends the link,
//! `/login/<token>` follows it.

use portcullis_core::FormErrors;
use portcullis_core::config::RedirectBehavior;
use portcullis_core::events::AuthnVia;
use serde_json::json;

use crate::endpoints::{Call, Endpoint, not_this_family};
use crate::respond::HttpResponse;
use crate::session::SessionState;
use crate::{HttpRequest, Portcullis};

type Answer = portcullis_core::Result<HttpResponse>;

impl Portcullis {
    /// `/login` (send the link) and `/login/<token>` with passwordless on.
    pub(crate) async fn passwordless(
        &self,
        call: Call<'_, '_>,
        session: &mut SessionState,
    ) -> Answer {
        match (call.endpoint, call.post, call.token) {
            (Endpoint::SendLogin, false, _) => Ok(self.ok(session, None, false, json!({}))),
            (Endpoint::SendLogin, true, _) => {
                let mut errors = FormErrors::new();
                let email = call.form.string("email", &mut errors);
                if !errors.is_empty() {
                    return Ok(self.form_errors(&errors));
                }
                match self
                    .security()
                    .send_login_instructions(email.as_deref(), call.req.client)
                    .await
                {
                    Ok(user) => Ok(self.ok(session, user.as_ref(), false, json!({}))),
                    Err(e) => self.flow_error(e),
                }
            }
            (Endpoint::TokenLogin, _, Some(token)) => {
                self.token_login(call.req, session, token).await
            }
            _ => Ok(not_this_family()),
        }
    }

    /// `GET /login/<token>`: logs the user in and redirects, as
    /// Flask-Security's `token_login`; when the user's second factor is
    /// due, an SPA is sent to `LOGIN_ERROR_VIEW?tf_required=1` and a
    /// browser to the second factor's page (Flask-Security skips it).
    async fn token_login(
        &self,
        req: &HttpRequest<'_>,
        session: &mut SessionState,
        token: &str,
    ) -> Answer {
        let s = self.security();
        let c = s.config();
        let spa = c.redirect_behavior == RedirectBehavior::Spa;
        let error_view = if spa {
            self.view(c.login_error_view.as_deref().unwrap_or(&c.login_url))
        } else {
            s.path(&c.login_url)
        };
        let user = match s.login_token_user(token, req.client).await {
            Ok(u) => u,
            Err(refused) => return Ok(self.refusal_redirect(session, &error_view, &refused.0)),
        };
        let validity = req.cookie(&c.two_factor_validity_cookie_name);
        let tf_due = s.tf_required(&user, validity.as_deref()).await?;
        self.link_login(req, session, user, AuthnVia::Token, tf_due, &error_view)
            .await
    }
}
