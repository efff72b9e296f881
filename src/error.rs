//! The library's error: what was wrong, with the field, the value and what is allowed.

use std::path::PathBuf;

/// Errors of the core, the scenes and the writers.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A parameter outside its allowed range.
    #[error("{field} = {value} is not allowed: {allowed}")]
    Invalid {
        /// The parameter, as a person writes it (`phi`, `scheme.batch`, `--n`).
        field: String,
        /// The offending value, as given.
        value: String,
        /// What would have been accepted.
        allowed: String,
    },
    /// A scene or sweep file that could not be parsed.
    #[error("{path}:{line}:{column}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// 1-based line of the error.
        line: usize,
        /// 1-based column of the error.
        column: usize,
        /// What the parser expected or found.
        message: String,
    },
    /// A file whose content is wrong in the way `source` says.
    #[error("{path}: {error}")]
    InFile {
        /// The file.
        path: PathBuf,
        /// What is wrong in it.
        error: Box<Error>,
    },
    /// A run larger than the memory (or the window's device) allows: what it
    /// needs and what there is.
    #[error("{0}")]
    TooLarge(String),
    /// Reading or writing a file failed.
    #[error("{path}: {reason}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's reason.
        reason: std::io::Error,
    },
}

impl Error {
    /// A parameter outside its allowed range.
    pub fn invalid(field: impl Into<String>, value: impl ToString, allowed: impl Into<String>) -> Self {
        Error::Invalid { field: field.into(), value: value.to_string(), allowed: allowed.into() }
    }

    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, reason: std::io::Error) -> Self {
        Error::Io { path: path.into(), reason }
    }

    /// The same error with its field name prefixed (`scheme.` + `kick`).
    pub fn within(self, prefix: &str) -> Self {
        match self {
            Error::Invalid { field, value, allowed } => {
                Error::Invalid { field: format!("{prefix}.{field}"), value, allowed }
            }
            other => other,
        }
    }
}

/// The library's result.
pub type Result<T, E = Error> = std::result::Result<T, E>;
