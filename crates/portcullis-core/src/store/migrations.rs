//! What SQL backends say about their schema migrations (shared so tools
//! such as the CLI read every backend alike).

/// One embedded migration.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    /// Version (applied in order).
    pub version: i64,
    /// File name.
    pub name: &'static str,
    /// SQL statements.
    pub sql: &'static str,
}

/// What a migration run found and did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MigrationReport {
    /// The database already held Flask-Security's tables and had never
    /// seen Portcullis: it was adopted.
    pub adopted: bool,
    /// Versions applied by this run.
    pub applied: Vec<i64>,
    /// Versions that were already applied.
    pub already_applied: Vec<i64>,
}

/// The state of one migration, for `portcullis db status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationStatus {
    /// Version.
    pub version: i64,
    /// File name.
    pub name: &'static str,
    /// When it was applied, if it was.
    pub applied_at: Option<String>,
}
