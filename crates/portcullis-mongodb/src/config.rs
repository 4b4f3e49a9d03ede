//! Where the database is.

use std::fmt;

use portcullis_core::{Error, Result, SecretString};

/// How to reach MongoDB. `Debug` hides the URL, which may carry a password.
#[derive(Clone)]
pub struct MongoConfig {
    /// A `mongodb://` or `mongodb+srv://` URL.
    pub url: SecretString,
    /// The database; default the URL's path, then `portcullis`.
    pub database: Option<String>,
    /// Create the indexes when opening (default `true`).
    pub create_indexes: bool,
}

impl MongoConfig {
    /// A URL with the defaults.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: SecretString::new(url.into()),
            database: None,
            create_indexes: true,
        }
    }

    /// Checks the scheme.
    pub(crate) fn check(&self) -> Result<()> {
        let u = self.url.expose();
        if u.starts_with("mongodb://") || u.starts_with("mongodb+srv://") {
            Ok(())
        } else {
            Err(Error::invalid_input(
                "a MongoDB URL starts with mongodb:// or mongodb+srv://",
            ))
        }
    }
}

impl fmt::Debug for MongoConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MongoConfig")
            .field("database", &self.database)
            .field("create_indexes", &self.create_indexes)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemes_and_debug() {
        assert!(MongoConfig::new("mongodb://h/db").check().is_ok());
        assert!(
            MongoConfig::new("mongodb+srv://c.example/db")
                .check()
                .is_ok()
        );
        assert!(MongoConfig::new("postgres://h/db").check().is_err());
        let shown = format!("{:?}", MongoConfig::new("mongodb://app:hunter2@h/db"));
        assert!(!shown.contains("hunter2"), "{shown}");
    }
}
