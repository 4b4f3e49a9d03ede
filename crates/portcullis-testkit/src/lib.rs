#![doc = include_str!("../README.md")]

pub mod app_fields;
pub mod dns;
pub mod suite;
pub mod webauthn;

/// The variable that turns a skipped server test into a failure (`.ci/run`
/// sets it, so CI never passes a suite that did not run).
pub const REQUIRE_SERVERS: &str = "PORTCULLIS_TEST_REQUIRE_SERVERS";

/// Reports a test that cannot run here (its server's variable is unset):
/// on the terminal itself, past the test harness's output capture, so a
/// person sees it even when the test "passes". With
/// [`REQUIRE_SERVERS`] set, panics instead: a skip is then a failure.
#[allow(clippy::panic)]
pub fn skip(why: &str) {
    if std::env::var_os(REQUIRE_SERVERS).is_some() {
        panic!("{why}; {REQUIRE_SERVERS} is set, so a skipped test is a failure");
    }
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr(), "SKIPPED: {why}");
}

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use portcullis_core::Datastore;

/// A boxed future, for teardown.
pub type Teardown = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// A fresh store for one test, and what to do when the test is over.
pub struct Harness {
    /// The store under test.
    pub store: Arc<dyn Datastore>,
    teardown: Option<Teardown>,
}

impl Harness {
    /// A harness with nothing to clean up.
    pub fn new(store: Arc<dyn Datastore>) -> Self {
        Self {
            store,
            teardown: None,
        }
    }

    /// Runs `teardown` after the test (also when it fails), e.g. to drop a
    /// database.
    pub fn with_teardown(mut self, teardown: impl Future<Output = ()> + Send + 'static) -> Self {
        self.teardown = Some(Box::pin(teardown));
        self
    }
}

/// How long one conformance case may run.
const CASE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(300);

/// Runs one behaviour: makes a runtime, asks `factory` for a fresh store,
/// runs the case, tears down, and re-raises a failure; a case still
/// running after five minutes fails as a hang. Used by
/// [`conformance_tests!`].
pub fn run_case<F, Fut, C, CFut>(name: &str, factory: F, case: C)
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Option<Harness>>,
    C: FnOnce(Arc<dyn Datastore>) -> CFut,
    CFut: Future<Output = ()> + Send + 'static,
{
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => panic!("{name}: cannot start a tokio runtime: {e}"),
    };
    rt.block_on(async move {
        let Some(harness) = factory().await else {
            eprintln!(
                "SKIPPED {name}: the backend's factory returned no store (see its message above)"
            );
            return;
        };
        // A case takes seconds; one that hangs fails with its name instead
        // of stalling the whole run (a hang was seen once on PostgreSQL).
        let task = tokio::spawn(case(harness.store.clone()));
        let abort = task.abort_handle();
        let result = tokio::time::timeout(CASE_TIMEOUT, task).await;
        if result.is_err() {
            abort.abort();
        }
        if let Some(t) = harness.teardown {
            t.await;
        }
        let Ok(result) = result else {
            panic!("{name}: still running after {CASE_TIMEOUT:?}: a hang");
        };
        if let Err(e) = result {
            if e.is_panic() {
                std::panic::resume_unwind(e.into_panic());
            }
            panic!("{name}: the test task was cancelled");
        }
    });
}

/// Expands to one `#[test]` per behaviour in [`suite`], each calling
/// `$factory` (an `async fn() -> Option<Harness>`) for a fresh store.
#[macro_export]
macro_rules! conformance_tests {
    ($factory:path) => {
        $crate::__conformance_cases!($factory;
            create_user_stores_every_field,
            create_user_generates_uniquifiers,
            create_user_honours_given_uniquifiers,
            create_user_with_roles_loads_permissions,
            create_user_with_unknown_role_is_not_found_and_writes_nothing,
            duplicate_email_is_already_exists,
            duplicate_email_in_other_case_is_already_exists,
            duplicate_non_ascii_email_in_other_case_is_already_exists,
            duplicate_username_is_already_exists,
            duplicate_uniquifier_is_already_exists,
            duplicate_phone_is_already_exists,
            concurrent_creations_of_one_email_make_one_user,
            find_user_by_every_key,
            find_user_by_token_uniquifier_falls_back_to_uniquifier,
            find_user_by_identity_dispatches,
            lookups_of_missing_users_are_none,
            values_at_column_size_are_stored_exactly,
            over_long_values_are_refused_and_nothing_is_written,
            empty_required_values_are_refused,
            update_user_changes_only_patched_fields,
            update_user_clears_nullable_fields,
            update_user_of_missing_user_is_not_found,
            update_user_to_taken_email_is_already_exists,
            update_user_empty_patch_changes_nothing,
            application_fields_round_trip,
            application_fields_refuse_bad_writes,
            secrets_round_trip,
            datetimes_round_trip_to_the_microsecond,
            delete_user_leaves_no_orphans,
            delete_missing_user_is_false,
            set_active_reports_changes,
            rotate_uniquifier_replaces_it,
            rotate_token_uniquifier_replaces_it_or_is_unsupported,
            record_login_shifts_and_counts,
            concurrent_logins_are_all_counted,
            take_recovery_code_is_single_use,
            concurrent_takes_of_one_recovery_code_succeed_once,
            reset_user_access_clears_factors_and_keeps_password,
            list_users_filters_and_pages,
            create_and_find_role,
            duplicate_role_name_is_already_exists,
            list_roles_is_sorted_by_name,
            delete_role_removes_its_links,
            add_and_remove_roles_report_changes,
            role_links_to_missing_user_or_role_are_not_found,
            permissions_union_and_difference,
            permissions_of_missing_role_are_not_found,
            find_or_create_role_is_idempotent_under_concurrency,
            webauthn_create_find_list,
            webauthn_duplicates_are_already_exists,
            webauthn_record_use_and_delete,
            webauthn_for_missing_user_is_not_found,
            webauthn_flask_security_key_signs_in,
            refresh_trackers_create_find_list,
            refresh_tracker_exchange_is_single_use,
            refresh_trackers_revoke_cleanup_and_cascade,
            sessions_keep_their_contract,
            attempts_keep_their_contract,
        );
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_cases {
    ($factory:path; $($case:ident),* $(,)?) => {
        $(
            #[test]
            fn $case() {
                $crate::run_case(stringify!($case), $factory, $crate::suite::$case);
            }
        )*
    };
}
