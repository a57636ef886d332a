//! Library errors. Input problems are not errors of this kind: they are collected as
//! [`crate::base::finding::InputError`] so that a run can go on with the other files.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read `{path}`: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read the configuration file `{path}`: {source}")]
    ConfigFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid `--now` value `{0}`: expected an RFC 3339 timestamp such as `2026-11-24T00:00:00Z`")]
    BadNow(String),
    #[error("invalid exclude glob `{glob}`: {message}")]
    BadGlob { glob: String, message: String },
    #[error("policy error in `{file}`: {message}")]
    Policy { file: String, message: String },
    #[error("{}", render_diagnostics("policy", .0))]
    Policies(Vec<PolicyDiagnostic>),
    #[error("{}", render_diagnostics("configuration", .0))]
    Config(Vec<PolicyDiagnostic>),
    #[error("the Cedar schema does not parse: {0}")]
    Schema(String),
    #[error("cannot write `{path}`: {source}")]
    Write {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("refusing to write `{path}`: it is a symbolic link (remove it, or name the file it points to)")]
    Symlink { path: String },
    #[error("the output folder `{path}` leaves the checked folder: a configuration names a folder inside it, without `..`, absolute paths or symbolic links")]
    Outside { path: String },
    #[error("cannot render the {format} report: {message}")]
    Render { format: String, message: String },
    #[error("invalid baseline `{file}`: {message}")]
    Baseline { file: String, message: String },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// `N <noun> error(s):` and one diagnostic a line.
fn render_diagnostics(noun: &str, d: &[PolicyDiagnostic]) -> String {
    let mut s = format!("{} {noun} error{}:", d.len(), if d.len() == 1 { "" } else { "s" });
    for x in d {
        s.push_str(&format!("\n  {x}"));
    }
    s
}

/// A policy problem at a place in a policy file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyDiagnostic {
    pub file: String,
    pub line: u32,
    pub column: u32,
    pub message: String,
}

impl std::fmt::Display for PolicyDiagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}: {}", self.file, self.line, self.column, self.message)
    }
}
