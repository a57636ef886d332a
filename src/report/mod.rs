//! Reports. The JSON shape is the public contract (docs/json-report.md); the Markdown and
//! HTML auditor reports are rendered from the same data with tera; the text form is for
//! terminals.

pub mod cap;
pub mod escape;
pub mod fields;
mod json;
pub mod junit;
pub mod outputs;
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

use crate::checklist::Control;
use crate::error::{Error, Result};
use crate::finding::{Finding, InputError, Severity};
use crate::policy::RuleSet;
use serde::Serialize;
pub use sink::Sink;

/// The forms a report is written in (`--format`, `output.format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Form {
    Text,
    Json,
    Markdown,
    Html,
    Sarif,
    Junit,
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
                text::write(&fields::for_terminal(report), &mut sink);
            } else {
                // control characters shown as escapes first (a value never starts a line
                // of a failure's text), then escaped for XML
                junit::write(&fields::for_terminal(report), rules, &mut sink);
            }
            sink.finish().map_err(io)?;
        }
        Form::Json => json::write(report, out).map_err(io)?,
        Form::Markdown => template::write_markdown(report, dest, out)?,
        Form::Html => template::write_html(report, dest, out)?,
        Form::Sarif => sarif::write(report, rules, out).map_err(io)?,
    }
    out.flush().map_err(io)
}

#[derive(Debug, Clone, Serialize)]
pub struct Tool {
    pub name: &'static str,
    pub version: &'static str,
}

impl Default for Tool {
    fn default() -> Self {
        Tool {
            name: env!("CARGO_PKG_NAME"),
            version: env!("CARGO_PKG_VERSION"),
        }
    }
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct BySeverity {
    pub critical: usize,
    pub high: usize,
    pub medium: usize,
    pub low: usize,
    pub info: usize,
}

impl BySeverity {
    pub fn count(findings: &[Finding]) -> Self {
        let mut s = BySeverity::default();
        for f in findings {
            *s.slot(f.severity) += 1;
        }
        s
    }

    fn slot(&mut self, sev: Severity) -> &mut usize {
        match sev {
            Severity::Critical => &mut self.critical,
            Severity::High => &mut self.high,
            Severity::Medium => &mut self.medium,
            Severity::Low => &mut self.low,
            Severity::Info => &mut self.info,
        }
    }

    pub fn get(&self, sev: Severity) -> usize {
        match sev {
            Severity::Critical => self.critical,
            Severity::High => self.high,
            Severity::Medium => self.medium,
            Severity::Low => self.low,
            Severity::Info => self.info,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    /// Files read: manifests and the text files the source scanner read.
    pub files: usize,
    /// Files not read: binaries (a manifest that cannot be read, and any file over the
    /// size limit, is an error instead).
    pub skipped: usize,
    /// YAML/JSON documents parsed.
    pub documents: usize,
    /// Kubernetes objects and configuration documents understood.
    pub resources: usize,
    /// Entities the rules examined (containers, env vars, keys, ...).
    pub entities: usize,
    pub findings: usize,
    pub errors: usize,
    /// Findings an active waiver took out of `findings` (the length of `waived`).
    pub waived: usize,
    pub by_severity: BySeverity,
    pub fail_on: Severity,
    /// Some finding not in the `--baseline` is at or above `failOn`.
    pub failed: bool,
    /// Findings not listed in `findings`: past `--max-findings-per-rule` of one rule in
    /// one file, each run of them stood for by one "…and N more" entry ([`cap`]). Counted
    /// in `findings`, `bySeverity`, the checklist and the exit status.
    pub omitted: usize,
    /// `--max-findings-per-rule` (absent: no limit).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_findings_per_rule: Option<usize>,
}

/// A file the check did not read, and why.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct Skipped {
    pub file: String,
    pub reason: String,
}

/// Everything a check found, in report order.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub tool: Tool,
    /// The evaluation time (`--now`), RFC 3339.
    pub now: String,
    pub roots: Vec<String>,
    pub summary: Summary,
    pub checklist: Vec<Control>,
    pub findings: Vec<Finding>,
    pub errors: Vec<InputError>,
    /// Files not read that are not errors (binaries; a file over the size limit is an
    /// error), with the reason; left out of the JSON when there are none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<Skipped>,
    /// Findings that active waivers waived, each with the waiver.
    pub waived: Vec<crate::waiver::Waived>,
    /// Every waiver read: `active`, `expired` or `unused`.
    pub waivers: Vec<crate::waiver::WaiverStatus>,
    /// The `--baseline` comparison; `null` without one.
    pub baseline: Option<crate::baseline::Summary>,
    pub audit: Audit,
    /// `--max-findings`: the text report lists at most this many findings (the totals count
    /// all). Not part of any file format.
    #[serde(skip)]
    pub text_max_findings: Option<usize>,
}

/// Lowercase hex of a digest.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What an auditor needs to reproduce the report: which rules, which inputs, which
/// command, and when.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Audit {
    /// `compliance <version>`.
    pub tool: String,
    /// The evaluation time (`--now`).
    pub evaluated_at: String,
    /// The command line, as given (empty when the library is called directly).
    pub command_line: Vec<String>,
    /// SHA-256 of the effective policy set (schema + every policy, by id).
    pub policy_set_sha256: String,
    pub rules: usize,
    /// Every file read, with its SHA-256 and size, in report order.
    pub inputs: Vec<InputDigest>,
    /// The configuration file the run used (`.compliance.yaml` or `--config`); absent
    /// without one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub config: Option<InputDigest>,
    /// Rules the configuration disabled: not evaluated. Absent when none is.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub disabled_rules: Vec<RuleRef>,
    /// Rules whose severity the configuration changed. Absent when none is.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub severity_overrides: Vec<crate::policy::SeverityOverride>,
}

/// A rule named in the audit trail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleRef {
    pub rule: String,
    pub title: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InputDigest {
    pub file: String,
    pub sha256: String,
    pub bytes: u64,
}

impl Report {
    /// 2 for input or policy errors, 1 for findings at or above `--fail-on`, else 0.
    pub fn exit_code(&self) -> i32 {
        if !self.errors.is_empty() {
            2
        } else if self.summary.failed {
            1
        } else {
            0
        }
    }
}
