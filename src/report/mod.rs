//! Reports. The JSON shape is the public contract (docs/json-report.md); the Markdown and
//! HTML auditor reports are rendered from the same data with tera; the text form is for
//! terminals.

pub mod cap;
pub mod escape;
mod json;
pub mod junit;
pub mod outputs;
pub mod policyreport;
pub mod rules;
pub mod sarif;
mod sink;
mod template;
mod text;

pub use json::render as json;
pub use junit::render as junit;
pub use sarif::render as sarif;
pub use template::{html, markdown};
pub use text::render as text;

use crate::base::error::{Error, Result};
use crate::engine::policy::RuleSet;
pub use sink::Sink;

pub use crate::base::digest::hex;
pub use crate::findings::outcome::{Audit, BySeverity, InputDigest, Report, RuleRef, Skipped, Summary, Tool};

/// The forms a report is written in (`--format`, `output.format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Form {
    Text,
    Json,
    Markdown,
    Html,
    Sarif,
    Junit,
    /// OpenReports `Report`/`ClusterReport` objects (YAML), for `kubectl apply`.
    #[value(name = "policyreport")]
    PolicyReport,
}

/// Writes `report` in `form` into `out` as it is rendered, so that a large report is never
/// held in memory whole; `dest` names `out` in a write error. SARIF and JUnit list every
/// rule of `rules`.
pub fn write(form: Form, report: &Report, rules: &RuleSet, dest: &str, out: &mut dyn std::io::Write) -> Result<()> {
    let io = |source| Error::Write {
        path: dest.to_string(),
        source,
    };
    match form {
        Form::Text | Form::Junit => {
            let mut sink = Sink::new(&mut *out);
            if form == Form::Text {
                text::write(&escape::for_terminal(report), &mut sink);
            } else {
                // control characters shown as escapes first (a value never starts a line
                // of a failure's text), then escaped for XML
                junit::write(&escape::for_terminal(report), rules, &mut sink);
            }
            sink.finish().map_err(io)?;
        }
        Form::Json => json::write(report, out).map_err(io)?,
        Form::Markdown => template::write_markdown(report, dest, out)?,
        Form::Html => template::write_html(report, dest, out)?,
        Form::Sarif => sarif::write(report, rules, out).map_err(io)?,
        Form::PolicyReport => policyreport::write(report, rules, out).map_err(io)?,
    }
    out.flush().map_err(io)
}
