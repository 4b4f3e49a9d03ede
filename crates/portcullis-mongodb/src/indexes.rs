//! The indexes the store creates at start-up (idempotent: creating an
//! existing index with the same spec is a no-op).

use mongodb::IndexModel;
use mongodb::bson::{Document, doc};
use mongodb::options::IndexOptions;

/// `(collection, keys, unique, partial filter)` for every index.
pub(crate) fn specs() -> Vec<(&'static str, Document, bool, Option<Document>)> {
    // Optional unique fields are unique only where they hold a string, so
    // users without one do not collide on null.
    let set = |f: &str| Some(doc! { f: {"$type": "string"} });
    vec![
        ("user", doc! {"fs_uniquifier": 1}, true, None),
        ("user", doc! {"email_key": 1}, true, None),
        (
            "user",
            doc! {"fs_token_uniquifier": 1},
            true,
            set("fs_token_uniquifier"),
        ),
        ("user", doc! {"username": 1}, true, set("username")),
        ("user", doc! {"username_key": 1}, false, None),
        (
            "user",
            doc! {"us_phone_number": 1},
            true,
            set("us_phone_number"),
        ),
        (
            "user",
            doc! {"fs_webauthn_user_handle": 1},
            true,
            set("fs_webauthn_user_handle"),
        ),
        ("user", doc! {"roles": 1}, false, None),
        ("role", doc! {"name": 1}, true, None),
        ("web_authn", doc! {"credential_id": 1}, true, None),
        ("web_authn", doc! {"user_id": 1, "name": 1}, true, None),
        ("fs_refresh_tracker", doc! {"refresh_family": 1}, true, None),
        ("fs_refresh_tracker", doc! {"user_id": 1}, false, None),
        ("portcullis_sessions", doc! {"expires_at": 1}, false, None),
        ("portcullis_sessions", doc! {"user_id": 1}, false, None),
        ("portcullis_attempts", doc! {"expires_at": 1}, false, None),
    ]
}

/// The index models for one collection.
pub(crate) fn models(collection: &str) -> Vec<IndexModel> {
    specs()
        .into_iter()
        .filter(|(c, ..)| *c == collection)
        .map(|(_, keys, unique, partial)| {
            let options = IndexOptions::builder()
                .unique(unique.then_some(true))
                .partial_filter_expression(partial)
                .build();
            IndexModel::builder().keys(keys).options(options).build()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_unique_rule_of_the_contract_has_an_index() {
        let unique: Vec<String> = specs()
            .into_iter()
            .filter(|s| s.2)
            .map(|(c, k, ..)| format!("{c}:{}", k.keys().cloned().collect::<Vec<_>>().join("+")))
            .collect();
        for want in [
            "user:email_key",
            "user:fs_uniquifier",
            "user:fs_token_uniquifier",
            "user:username",
            "user:us_phone_number",
            "user:fs_webauthn_user_handle",
            "role:name",
            "web_authn:credential_id",
            "web_authn:user_id+name",
            "fs_refresh_tracker:refresh_family",
        ] {
            assert!(
                unique.contains(&want.to_owned()),
                "{want} missing from {unique:?}"
            );
        }
        // Optional fields are unique only when set.
        let partial = specs().into_iter().filter(|s| s.3.is_some()).count();
        assert_eq!(partial, 4);
        assert_eq!(models("user").len(), 8);
    }
}
