//! Failures and their exit codes.

use std::fmt;
use std::process::ExitCode;

use portcullis_core::{ErrorKind, FlowError};

/// A command failure: what went wrong, what to do, and the exit code.
#[derive(Debug)]
pub(crate) struct CliError {
    pub(crate) code: u8,
    pub(crate) message: String,
}

impl CliError {
    pub(crate) fn new(code: u8, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    pub(crate) fn not_found(what: impl Into<String>) -> Self {
        Self::new(3, what)
    }

    pub(crate) fn invalid(what: impl Into<String>) -> Self {
        Self::new(5, what)
    }

    pub(crate) fn config(what: impl Into<String>) -> Self {
        Self::new(7, what)
    }

    pub(crate) fn exit_code(&self) -> ExitCode {
        ExitCode::from(self.code)
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<portcullis_core::Error> for CliError {
    fn from(e: portcullis_core::Error) -> Self {
        let code = match e.kind() {
            ErrorKind::NotFound => 3,
            ErrorKind::AlreadyExists => 4,
            ErrorKind::InvalidInput => 5,
            ErrorKind::Unavailable => 6,
            ErrorKind::Config => 7,
            _ => 1,
        };
        let hint = match e.kind() {
            ErrorKind::AlreadyExists => " — pick another value, or change the existing record",
            ErrorKind::Unavailable => {
                " — check --database-url / DATABASE_URL and that the database is reachable and writable"
            }
            _ => "",
        };
        Self::new(code, format!("{e}{hint}"))
    }
}

impl From<portcullis_core::ConfigError> for CliError {
    fn from(e: portcullis_core::ConfigError) -> Self {
        Self::config(format!(
            "{e} — pass --config FILE or set the SECURITY_* variables"
        ))
    }
}

impl From<FlowError> for CliError {
    fn from(e: FlowError) -> Self {
        match e {
            FlowError::Form(f) => {
                let messages = portcullis_core::Messages::default();
                let text: Vec<String> = f
                    .render(&messages)
                    .into_iter()
                    .map(|(field, m)| {
                        if field.is_empty() {
                            m
                        } else {
                            format!("{field}: {m}")
                        }
                    })
                    .collect();
                Self::invalid(text.join("; "))
            }
            FlowError::Internal(e) => e.into(),
            _ => Self::new(1, e.to_string()),
        }
    }
}
