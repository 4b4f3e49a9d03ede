//! A software WebAuthn authenticator (ES256, "none" attestation) for
//! tests: it answers `credential_options` as a browser with a security key
//! or passkey would, and can be told to lie (another origin or relying
//! party, an old counter) so refusals can be tested.
// A test double: an OpenSSL failure here is a broken test machine.
#![allow(clippy::expect_used)]

use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::sha::sha256;
use openssl::sign::Signer;
use portcullis_core::crypto::encoding::{urlsafe_decode, urlsafe_encode};
use serde_cbor_2::Value as Cbor;
use serde_json::{Value, json};

/// One credential the authenticator holds.
#[derive(Clone)]
pub struct SoftCredential {
    /// The credential id.
    pub id: Vec<u8>,
    /// The user handle it was created for.
    pub user_handle: Vec<u8>,
    /// The relying party it belongs to.
    pub rp_id: String,
    /// The signature counter (incremented before each assertion when
    /// [`SoftAuthenticator::counts`]).
    pub counter: u32,
    key: PKey<Private>,
}

impl SoftCredential {
    /// A credential another authenticator created (its P-256 private key
    /// as PKCS#8 PEM), to sign with here.
    pub fn from_pem(
        id: Vec<u8>,
        private_key_pem: &str,
        user_handle: Vec<u8>,
        rp_id: &str,
        counter: u32,
    ) -> Option<Self> {
        let key = PKey::private_key_from_pem(private_key_pem.as_bytes()).ok()?;
        Some(Self {
            id,
            user_handle,
            rp_id: rp_id.to_owned(),
            counter,
            key,
        })
    }

    /// The private key as PKCS#8 PEM (for another authenticator to sign
    /// with).
    pub fn private_key_pem(&self) -> String {
        let pem = self.key.private_key_to_pem_pkcs8().expect("pem");
        String::from_utf8(pem).expect("ascii")
    }
}

impl std::fmt::Debug for SoftCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SoftCredential")
            .field("id", &urlsafe_encode(&self.id))
            .field("rp_id", &self.rp_id)
            .field("counter", &self.counter)
            .finish_non_exhaustive()
    }
}

/// The authenticator and the browser around it.
#[derive(Debug, Clone)]
pub struct SoftAuthenticator {
    /// The origin the "browser" reports in client data.
    pub origin: String,
    /// Sets the user-verified flag.
    pub user_verified: bool,
    /// Sets the backup-eligible and backed-up flags (a synced passkey).
    pub backed_up: bool,
    /// Increments the counter on every assertion (passkeys often keep 0).
    pub counts: bool,
    /// Overrides the relying party the authenticator signs for.
    pub rp_id_override: Option<String>,
}

impl SoftAuthenticator {
    /// A security key with a counter, for `origin` (`http://host:port`).
    pub fn new(origin: &str) -> Self {
        Self {
            origin: origin.to_owned(),
            user_verified: false,
            backed_up: false,
            counts: true,
            rp_id_override: None,
        }
    }

    fn flags(&self, attested: bool) -> u8 {
        let mut f = 0x01; // user present
        if self.user_verified {
            f |= 0x04;
        }
        if self.backed_up {
            f |= 0x08 | 0x10;
        }
        if attested {
            f |= 0x40;
        }
        f
    }

    fn client_data(&self, kind: &str, options: &Value) -> Vec<u8> {
        json!({
            "type": kind,
            "challenge": options["challenge"],
            "origin": self.origin,
            "crossOrigin": false,
        })
        .to_string()
        .into_bytes()
    }

    /// `navigator.credentials.create()` for `options` (`credential_options`
    /// of `/wan-register`): the new credential and the JSON text to post as
    /// `credential` (extensions as a JSON string, as Flask-Security's script
    /// sends them).
    pub fn register(&self, options: &Value) -> (SoftCredential, String) {
        let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).expect("P-256");
        let ec = EcKey::generate(&group).expect("a key");
        let mut ctx = openssl::bn::BigNumContext::new().expect("bn");
        let (mut x, mut y) = (
            openssl::bn::BigNum::new().expect("bn"),
            openssl::bn::BigNum::new().expect("bn"),
        );
        ec.public_key()
            .affine_coordinates(&group, &mut x, &mut y, &mut ctx)
            .expect("coordinates");
        let cose = Cbor::Map(
            [
                (Cbor::Integer(1), Cbor::Integer(2)),
                (Cbor::Integer(3), Cbor::Integer(-7)),
                (Cbor::Integer(-1), Cbor::Integer(1)),
                (
                    Cbor::Integer(-2),
                    Cbor::Bytes(x.to_vec_padded(32).expect("x")),
                ),
                (
                    Cbor::Integer(-3),
                    Cbor::Bytes(y.to_vec_padded(32).expect("y")),
                ),
            ]
            .into_iter()
            .collect(),
        );
        let rp_id = options["rp"]["id"].as_str().unwrap_or_default().to_owned();
        let user_handle = options["user"]["id"]
            .as_str()
            .and_then(urlsafe_decode)
            .unwrap_or_default();
        let id = portcullis_core::crypto::random::bytes::<16>()
            .expect("randomness")
            .to_vec();
        let cred = SoftCredential {
            id: id.clone(),
            user_handle,
            rp_id: self.rp_id_override.clone().unwrap_or(rp_id),
            counter: u32::from(self.counts),
            key: PKey::from_ec_key(ec).expect("pkey"),
        };
        let mut auth_data = self.auth_data(&cred, true);
        auth_data.extend_from_slice(&[0u8; 16]); // aaguid
        let id_len = u16::try_from(id.len()).expect("short id");
        auth_data.extend_from_slice(&id_len.to_be_bytes());
        auth_data.extend_from_slice(&id);
        auth_data.extend(serde_cbor_2::to_vec(&cose).expect("cbor"));
        let attestation = Cbor::Map(
            [
                (Cbor::Text("fmt".into()), Cbor::Text("none".into())),
                (Cbor::Text("attStmt".into()), Cbor::Map(Default::default())),
                (Cbor::Text("authData".into()), Cbor::Bytes(auth_data)),
            ]
            .into_iter()
            .collect(),
        );
        let client_data = self.client_data("webauthn.create", options);
        let body = json!({
            "id": urlsafe_encode(&id),
            "rawId": urlsafe_encode(&id),
            "type": "public-key",
            "response": {
                "attestationObject": urlsafe_encode(&serde_cbor_2::to_vec(&attestation).expect("cbor")),
                "clientDataJSON": urlsafe_encode(&client_data),
                "transports": ["usb"],
            },
            "extensions": json!({"credProps": {"rk": true}}).to_string(),
        });
        (cred, body.to_string())
    }

    fn auth_data(&self, cred: &SoftCredential, attested: bool) -> Vec<u8> {
        let mut d = sha256(cred.rp_id.as_bytes()).to_vec();
        d.push(self.flags(attested));
        d.extend_from_slice(&cred.counter.to_be_bytes());
        d
    }

    /// `navigator.credentials.get()` with `cred` for `options`
    /// (`credential_options` of `/wan-signin` or `/wan-verify`): the JSON
    /// text to post as `credential`.
    pub fn assert(&self, cred: &mut SoftCredential, options: &Value) -> String {
        if self.counts {
            cred.counter += 1;
        }
        if let Some(rp) = &self.rp_id_override {
            cred.rp_id.clone_from(rp);
        }
        let auth_data = self.auth_data(cred, false);
        let client_data = self.client_data("webauthn.get", options);
        let mut signed = auth_data.clone();
        signed.extend_from_slice(&sha256(&client_data));
        let mut signer = Signer::new(MessageDigest::sha256(), &cred.key).expect("signer");
        signer.update(&signed).expect("sign");
        let signature = signer.sign_to_vec().expect("signature");
        json!({
            "id": urlsafe_encode(&cred.id),
            "rawId": urlsafe_encode(&cred.id),
            "type": "public-key",
            "response": {
                "authenticatorData": urlsafe_encode(&auth_data),
                "clientDataJSON": urlsafe_encode(&client_data),
                "signature": urlsafe_encode(&signature),
                "userHandle": urlsafe_encode(&cred.user_handle),
            },
            "extensions": "{}",
        })
        .to_string()
    }
}
