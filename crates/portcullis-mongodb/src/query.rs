//! The filters and updates the store sends, as pure functions so their
//! shapes — which decide atomicity — are tested without a server.

use chrono::{DateTime, Utc};
use mongodb::bson::{Bson, Document, doc};

use crate::doc::{put_time, time_parts};

/// `$set` of `update_datetime` (and its microseconds).
fn stamped(now: DateTime<Utc>) -> Document {
    let mut set = Document::new();
    put_time(&mut set, "update_datetime", Some(now));
    set
}

/// The id counter of `collection`: one atomic `$inc` (upserted).
pub(crate) fn next_id(collection: &str) -> (Document, Document) {
    (doc! {"_id": collection}, doc! {"$inc": {"seq": 1_i64}})
}

/// `list_users`' filter: by state, by role id.
pub(crate) fn user_list(active: Option<bool>, role_id: Option<i64>) -> Document {
    let mut f = Document::new();
    if let Some(a) = active {
        f.insert("active", a);
    }
    if let Some(r) = role_id {
        // Matches arrays holding the id.
        f.insert("roles", r);
    }
    f
}

/// `set_active`: matches only when it changes something, so "changed" is
/// decided by the write itself.
pub(crate) fn set_active(id: i64, active: bool, now: DateTime<Utc>) -> (Document, Document) {
    let mut set = stamped(now);
    set.insert("active", active);
    (
        doc! {"_id": id, "active": {"$ne": active}},
        doc! {"$set": set},
    )
}

/// `take_recovery_code`: pulls exactly the stored code, and matches only
/// while it is still there — of simultaneous takes, one modifies.
pub(crate) fn take_code(id: i64, stored: &str, now: DateTime<Utc>) -> (Document, Document) {
    (
        doc! {"_id": id, "mf_recovery_codes": stored},
        doc! {"$pull": {"mf_recovery_codes": stored}, "$set": stamped(now)},
    )
}

/// Gives a user a role (`modified_count` 0 when it had it).
pub(crate) fn add_role(user_id: i64, role_id: i64) -> (Document, Document) {
    (
        doc! {"_id": user_id},
        doc! {"$addToSet": {"roles": role_id}},
    )
}

/// Takes a role from a user (`modified_count` 0 when it did not have it).
pub(crate) fn remove_role(user_id: i64, role_id: i64) -> (Document, Document) {
    (doc! {"_id": user_id}, doc! {"$pull": {"roles": role_id}})
}

/// Every user holding a deleted role loses it.
pub(crate) fn forget_role(role_id: i64) -> (Document, Document) {
    (doc! {"roles": role_id}, doc! {"$pull": {"roles": role_id}})
}

/// Permissions added as a set union.
pub(crate) fn add_permissions(perms: &[String], now: DateTime<Utc>) -> Document {
    doc! {"$addToSet": {"permissions": {"$each": perms}}, "$set": stamped(now)}
}

/// Permissions removed.
pub(crate) fn remove_permissions(perms: &[String], now: DateTime<Utc>) -> Document {
    doc! {"$pullAll": {"permissions": perms}, "$set": stamped(now)}
}

/// Sessions expired at `now` (millisecond dates: one expiring within
/// `now`'s millisecond counts as expired, as `load_session` would say).
pub(crate) fn expired_sessions(now: DateTime<Utc>) -> Document {
    let (date, _) = time_parts(now);
    doc! {"expires_at": {"$lte": date}}
}

/// The session `id`, if it has not expired at `now`.
pub(crate) fn live_session(id: &str, now: DateTime<Utc>) -> Document {
    let (date, _) = time_parts(now);
    doc! {"_id": id, "expires_at": {"$gt": date}}
}

/// `$in` of role ids.
pub(crate) fn roles_by_id(ids: Vec<i64>) -> Document {
    doc! {"_id": {"$in": ids.into_iter().map(Bson::Int64).collect::<Vec<_>>()}}
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap()
    }

    #[test]
    fn single_document_updates_carry_their_own_conditions() {
        let (f, u) = set_active(7, true, now());
        assert_eq!(f, doc! {"_id": 7_i64, "active": {"$ne": true}});
        assert!(u.get_document("$set").unwrap().get_bool("active").unwrap());
        let (f, u) = take_code(7, "abcd-ef12", now());
        assert_eq!(f, doc! {"_id": 7_i64, "mf_recovery_codes": "abcd-ef12"});
        assert_eq!(
            u.get_document("$pull").unwrap(),
            &doc! {"mf_recovery_codes": "abcd-ef12"}
        );
        assert!(
            u.get_document("$set")
                .unwrap()
                .contains_key("update_datetime")
        );
        assert_eq!(
            next_id("user"),
            (doc! {"_id": "user"}, doc! {"$inc": {"seq": 1_i64}})
        );
    }

    #[test]
    fn role_links_and_permissions_are_set_operations() {
        assert_eq!(add_role(1, 2).1, doc! {"$addToSet": {"roles": 2_i64}});
        assert_eq!(remove_role(1, 2).1, doc! {"$pull": {"roles": 2_i64}});
        assert_eq!(forget_role(2).0, doc! {"roles": 2_i64});
        let perms = vec!["a".to_owned(), "b".to_owned()];
        assert_eq!(
            add_permissions(&perms, now())
                .get_document("$addToSet")
                .unwrap(),
            &doc! {"permissions": {"$each": ["a", "b"]}}
        );
        assert_eq!(
            remove_permissions(&perms, now())
                .get_document("$pullAll")
                .unwrap(),
            &doc! {"permissions": ["a", "b"]}
        );
    }

    #[test]
    fn filters() {
        assert_eq!(user_list(None, None), doc! {});
        assert_eq!(
            user_list(Some(false), Some(3)),
            doc! {"active": false, "roles": 3_i64}
        );
        assert_eq!(
            expired_sessions(now()),
            doc! {"expires_at": {"$lte": mongodb::bson::DateTime::from_millis(1_800_000_000_000)}}
        );
        assert_eq!(
            roles_by_id(vec![1, 2]),
            doc! {"_id": {"$in": [1_i64, 2_i64]}}
        );
    }
}
