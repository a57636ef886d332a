//! The outcome of a check: every finding, error, waiver and baseline comparison, the
//! checklist and the audit trail, in report order. Reporters render it; the baseline is
//! written from it.

use crate::base::exit::Exit;
pub use crate::base::finding::Skipped;
use crate::base::finding::{Finding, InputError, Severity};
use crate::engine::policy::{RuleSet, SeverityOverride};
use crate::findings::checklist::Control;
use crate::findings::subjects::Subject;
use crate::findings::waiver::{Waived, WaiverRef, WaiverStatus};
use serde::Serialize;

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
    /// Files not read: binaries (a manifest that cannot be read is an error instead; a
    /// text file over the size limit is scanned in pieces).
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
    /// one file, each run of them stood for by one "…and N more" entry
    /// (`report::cap`). Counted in `findings`, `bySeverity`, the checklist and the exit status.
    pub omitted: usize,
    /// `--max-findings-per-rule` (absent: no limit).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_findings_per_rule: Option<usize>,
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
    /// Files not read that are not errors (binaries), with the reason; left out of the
    /// JSON when there are none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<Skipped>,
    /// Findings that active waivers waived, each with the waiver.
    pub waived: Vec<Waived>,
    /// Every waiver read: `active`, `expired` or `unused`.
    pub waivers: Vec<WaiverStatus>,
    /// The `--baseline` comparison; `null` without one.
    pub baseline: Option<BaselineSummary>,
    /// The Pod Security Standards level each workload was judged at, and why; left out
    /// of the JSON when there is no workload.
    #[serde(rename = "podSecurity", skip_serializing_if = "Vec::is_empty")]
    pub pod_security: Vec<crate::facts::pss::WorkloadLevel>,
    pub audit: Audit,
    /// `--max-findings`: the text report lists at most this many findings (the totals count
    /// all). Not part of any file format.
    #[serde(skip)]
    pub text_max_findings: Option<usize>,
    /// The Kubernetes objects checked, with the rules that judged each: the `pass` results
    /// of `--format policyreport`. Not part of the JSON report.
    #[serde(skip)]
    pub objects: Vec<Subject>,
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
    pub severity_overrides: Vec<SeverityOverride>,
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
    /// [`Exit::Error`] for input or policy errors, [`Exit::Fail`] for findings at or above
    /// `--fail-on`, else [`Exit::Pass`].
    pub fn exit(&self) -> Exit {
        if !self.errors.is_empty() {
            Exit::Error
        } else if self.summary.failed {
            Exit::Fail
        } else {
            Exit::Pass
        }
    }

    /// [`Report::exit`] as the number the process exits with.
    pub fn exit_code(&self) -> i32 {
        i32::from(self.exit().code())
    }
}

/// What a check against a baseline found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BaselineSummary {
    /// The baseline file, as given.
    pub file: String,
    /// Fingerprints in the baseline.
    pub entries: usize,
    /// Findings whose fingerprint is in the baseline (listed, marked `baseline`, do not fail).
    pub matched: usize,
    /// Findings that are not in the baseline.
    pub new: usize,
    /// Baseline entries no finding has any more (fixed, or their resource is gone).
    pub fixed: usize,
}

/// What a run produced, before it is a report.
pub struct Parts<'a> {
    pub now: String,
    pub roots: Vec<String>,
    pub files_read: usize,
    pub documents: usize,
    /// Kubernetes objects and configuration documents understood.
    pub resources: usize,
    pub entities: usize,
    pub checklist: Vec<Control>,
    pub findings: Vec<Finding>,
    pub errors: Vec<InputError>,
    pub skipped: Vec<Skipped>,
    pub waived: Vec<Waived>,
    pub waivers: Vec<WaiverStatus>,
    pub fail_on: Severity,
    pub command_line: Vec<String>,
    pub config: Option<InputDigest>,
    pub rules: &'a RuleSet,
    pub inputs: Vec<InputDigest>,
    pub objects: Vec<Subject>,
    pub pod_security: Vec<crate::facts::pss::WorkloadLevel>,
}

impl Report {
    /// The report of `parts`, counted, with its audit trail. `findings::fields::mask` masks
    /// it at the output boundary; [`Report::judge`] decides it once the baseline is applied.
    pub fn assemble(p: Parts<'_>) -> Report {
        let rules = p.rules;
        Report {
            tool: Tool::default(),
            now: p.now.clone(),
            roots: p.roots,
            summary: Summary {
                files: p.files_read,
                skipped: p.skipped.len(),
                documents: p.documents,
                resources: p.resources,
                entities: p.entities,
                findings: p.findings.len(),
                errors: p.errors.len(),
                waived: p.waived.len(),
                by_severity: BySeverity::count(&p.findings),
                fail_on: p.fail_on,
                failed: false,
                omitted: 0,
                max_findings_per_rule: None,
            },
            checklist: p.checklist,
            findings: p.findings,
            errors: p.errors,
            skipped: p.skipped,
            waived: p.waived,
            waivers: p.waivers,
            baseline: None,
            pod_security: p.pod_security,
            audit: Audit {
                tool: format!("{} {}", env!("CARGO_PKG_NAME"), env!("CARGO_PKG_VERSION")),
                evaluated_at: p.now,
                command_line: p.command_line,
                policy_set_sha256: rules.digest.clone(),
                rules: rules.rules.len(),
                config: p.config,
                disabled_rules: rules
                    .disabled
                    .iter()
                    .map(|r| RuleRef {
                        rule: r.id.clone(),
                        title: r.title.clone(),
                    })
                    .collect(),
                severity_overrides: rules.overrides.clone(),
                inputs: p.inputs,
            },
            text_max_findings: None,
            objects: p.objects,
        }
    }

    /// Failed: some finding not in the baseline is at or above `failOn`.
    pub fn judge(&mut self) {
        let fail_on = self.summary.fail_on;
        self.summary.failed = self
            .findings
            .iter()
            .any(|f| !f.baseline && f.severity.at_least(fail_on));
    }
}

/// How a finding of a report stands: open, accepted by the `--baseline`, or waived.
#[derive(Debug, Clone, Copy)]
pub enum Accepted<'a> {
    No,
    Baseline,
    Waived(&'a WaiverRef),
}

impl Report {
    /// Every finding, the listed ones then the waived ones, with how each stands: what the
    /// formats that report passes and accepted findings (JUnit, PolicyReport) walk.
    pub fn every_finding(&self) -> impl Iterator<Item = (&Finding, Accepted<'_>)> {
        self.findings
            .iter()
            .map(|f| (f, if f.baseline { Accepted::Baseline } else { Accepted::No }))
            .chain(self.waived.iter().map(|w| (&w.finding, Accepted::Waived(&w.waiver))))
    }
}
