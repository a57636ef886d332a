//! Data-driven policy tests: a case is a folder of input files plus `expected.yaml`,
//! which names the findings that must appear (rule, file, line), the rules that must not
//! fire, and optionally checklist statuses, input errors, the findings waivers waived and
//! the waivers' statuses. The built-in rules' cases
//! live in `tests/cases/` and run under `cargo test`.

use crate::check::{self, Options};
use crate::engine::policy::RuleSet;
use crate::report::Report;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::{Path, PathBuf};

pub const EXPECTED: &str = "expected.yaml";
const DEFAULT_NOW: &str = "2026-11-24T00:00:00Z";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expected {
    /// Evaluation time; default 2026-11-24T00:00:00Z.
    pub now: Option<String>,
    #[serde(default)]
    pub findings: Vec<ExpectedFinding>,
    /// Rules that must not fire anywhere in the case.
    #[serde(default)]
    pub absent: Vec<String>,
    /// Control id -> `pass` | `fail` | `no-evidence`.
    #[serde(default)]
    pub checklist: BTreeMap<String, String>,
    #[serde(default)]
    pub errors: Vec<ExpectedError>,
    /// When true, no finding beyond those listed may appear (nor, when `waived` or
    /// `waivers` is given, any waived finding or waiver beyond those listed).
    #[serde(default)]
    pub exact: bool,
    /// Findings a waiver must have taken out of `findings`.
    #[serde(default)]
    pub waived: Vec<ExpectedFinding>,
    /// Waivers, by where they are written, and what became of them.
    #[serde(default)]
    pub waivers: Vec<ExpectedWaiver>,
    /// The `--pod-security` level of the case's check (default: baseline).
    #[serde(rename = "podSecurity")]
    pub pod_security: Option<crate::facts::pss::Level>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectedWaiver {
    pub file: String,
    pub line: u32,
    /// `active`, `expired` or `unused`.
    pub status: String,
    /// How many findings it matched.
    pub matched: Option<usize>,
}

#[derive(Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ExpectedFinding {
    pub rule: String,
    pub file: String,
    pub line: u32,
    pub column: Option<u32>,
    pub path: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectedError {
    pub file: String,
    pub line: Option<u32>,
}

/// The outcome of one case: `failure` is `None` when it passed, else what differed (one
/// line per difference: `-` expected but missing, `+` found but not expected, `~` differs).
pub struct CaseResult {
    pub name: String,
    pub failure: Option<String>,
    /// The case could not be run: its `expected.yaml` is invalid (the failure says where).
    pub invalid: bool,
}

/// Reads a case's `expected.yaml`; an invalid one is reported as `file:line:column: message`.
pub fn read_expected(dir: &Path) -> Result<Expected, String> {
    let path = dir.join(EXPECTED);
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    parse_expected(&path.display().to_string(), &text)
}

/// Parses the text of an `expected.yaml` named `file`.
pub fn parse_expected(file: &str, text: &str) -> Result<Expected, String> {
    let expected: Expected = serde_yaml::from_str(text).map_err(|e| match e.location() {
        Some(l) => format!("{file}:{}:{}: {e}", l.line(), l.column()),
        None => format!("{file}: {e}"),
    })?;
    if let Some(now) = &expected.now {
        check::parse_now(now).map_err(|e| format!("{file}: `now`: {e}"))?;
    }
    Ok(expected)
}

/// Folders under `dir` that hold an `expected.yaml`, sorted.
pub fn discover(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_name() == EXPECTED)
        .filter_map(|e| e.path().parent().map(Path::to_path_buf))
        .collect();
    out.sort();
    out
}

fn compare(expected: &Expected, report: &Report) -> Option<String> {
    let mut diff = String::new();
    for e in &expected.findings {
        let found = report.findings.iter().any(|f| {
            f.rule == e.rule
                && f.file == e.file
                && f.line == e.line
                && e.column.is_none_or(|c| f.column == c)
                && e.path.as_ref().is_none_or(|p| &f.path == p)
        });
        if !found {
            let _ = write!(diff, "\n  - missing: {} at {}:{}", e.rule, e.file, e.line);
            if let Some(c) = e.column {
                let _ = write!(diff, ":{c}");
            }
            let near: Vec<String> = report
                .findings
                .iter()
                .filter(|f| f.rule == e.rule)
                .map(|f| format!("{}:{}:{}", f.file, f.line, f.column))
                .collect();
            if !near.is_empty() {
                let _ = write!(diff, " (the rule fired at {})", near.join(", "));
            }
        }
    }
    for rule in &expected.absent {
        for f in report.findings.iter().filter(|f| &f.rule == rule) {
            let _ = write!(
                diff,
                "\n  + unexpected: {} at {}:{}:{} ({})",
                f.rule, f.file, f.line, f.column, f.message
            );
        }
    }
    if expected.exact {
        for f in &report.findings {
            let listed = expected
                .findings
                .iter()
                .any(|e| e.rule == f.rule && e.file == f.file && e.line == f.line);
            if !listed && !expected.absent.contains(&f.rule) {
                let _ = write!(
                    diff,
                    "\n  + unexpected: {} at {}:{}:{} ({})",
                    f.rule, f.file, f.line, f.column, f.message
                );
            }
        }
    }
    for (id, want) in &expected.checklist {
        let got = report.checklist.iter().find(|c| &c.id == id).map(|c| {
            serde_json::to_value(c.status)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default()
        });
        if got.as_deref() != Some(want.as_str()) {
            let _ = write!(
                diff,
                "\n  ~ checklist {id}: expected {want}, got {}",
                got.unwrap_or_else(|| "no such control".into())
            );
        }
    }
    for e in &expected.errors {
        if !report
            .errors
            .iter()
            .any(|x| x.file == e.file && (e.line.is_none() || x.line == e.line))
        {
            let _ = write!(
                diff,
                "\n  - missing input error at {}:{}",
                e.file,
                e.line.map_or("?".into(), |l| l.to_string())
            );
        }
    }
    if expected.errors.is_empty() {
        for x in &report.errors {
            let _ = write!(
                diff,
                "\n  + unexpected input error at {}:{}: {}",
                x.file,
                x.line.unwrap_or(0),
                x.message
            );
        }
    }
    compare_waivers(expected, report, &mut diff);
    (!diff.is_empty()).then_some(diff)
}

fn compare_waivers(expected: &Expected, report: &Report, diff: &mut String) {
    let is = |e: &ExpectedFinding, f: &crate::base::finding::Finding| {
        f.rule == e.rule
            && f.file == e.file
            && f.line == e.line
            && e.column.is_none_or(|c| f.column == c)
            && e.path.as_ref().is_none_or(|p| &f.path == p)
    };
    for e in &expected.waived {
        if !report.waived.iter().any(|w| is(e, &w.finding)) {
            let _ = write!(diff, "\n  - not waived: {} at {}:{}", e.rule, e.file, e.line);
        }
    }
    let status = |w: &crate::findings::waiver::WaiverStatus| {
        serde_json::to_value(w.status)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default()
    };
    for e in &expected.waivers {
        match report
            .waivers
            .iter()
            .find(|w| w.file == e.file && w.line == Some(e.line))
        {
            None => {
                let _ = write!(diff, "\n  - no waiver at {}:{}", e.file, e.line);
            }
            Some(w) => {
                if status(w) != e.status || e.matched.is_some_and(|m| m != w.matched) {
                    let _ = write!(
                        diff,
                        "\n  ~ waiver at {}:{}: expected {}{}, got {} matching {}",
                        e.file,
                        e.line,
                        e.status,
                        e.matched.map_or(String::new(), |m| format!(" matching {m}")),
                        status(w),
                        w.matched
                    );
                }
            }
        }
    }
    if expected.exact && !(expected.waived.is_empty() && expected.waivers.is_empty()) {
        for w in &report.waived {
            if !expected.waived.iter().any(|e| is(e, &w.finding)) {
                let f = &w.finding;
                let _ = write!(diff, "\n  + unexpectedly waived: {} at {}:{}", f.rule, f.file, f.line);
            }
        }
        for w in &report.waivers {
            if !expected
                .waivers
                .iter()
                .any(|e| w.file == e.file && w.line == Some(e.line))
            {
                let _ = write!(
                    diff,
                    "\n  + unexpected waiver at {}:{} ({})",
                    w.file,
                    w.line.unwrap_or(0),
                    status(w)
                );
            }
        }
    }
}

/// Runs one case folder with the built-in rules plus `policy_dirs`.
pub fn run_case(dir: &Path, policy_dirs: &[PathBuf]) -> CaseResult {
    match check::load_rules(policy_dirs) {
        Ok(rules) => run_case_with_rules(dir, &rules),
        Err(e) => CaseResult {
            name: dir.display().to_string(),
            failure: Some(e.to_string()),
            invalid: true,
        },
    }
}

/// The report of a case's check: its input files (not `expected.yaml`), with the case's
/// clock, git left out.
pub fn check_case(dir: &Path, expected: &Expected, rules: &RuleSet) -> crate::Result<Report> {
    let now = check::parse_now(expected.now.as_deref().unwrap_or(DEFAULT_NOW))?;
    let mut opts = Options {
        exclude: vec![EXPECTED.to_string()],
        git: false,
        ..Options::new(vec![dir.to_path_buf()], now)
    };
    if let Some(level) = expected.pod_security {
        opts.pod_security.default = level;
        opts.pod_security.source = "`--pod-security`".to_string();
    }
    check::run_with_rules(&opts, None, rules)
}

/// Runs one case folder with rules already loaded.
pub fn run_case_with_rules(dir: &Path, rules: &RuleSet) -> CaseResult {
    let name = dir.display().to_string();
    let expected = match read_expected(dir) {
        Ok(x) => x,
        Err(m) => {
            return CaseResult {
                name,
                failure: Some(m),
                invalid: true,
            }
        }
    };
    let failure = match check_case(dir, &expected, rules) {
        Ok(report) => compare(&expected, &report),
        Err(e) => Some(format!("\n  the check failed: {e}")),
    };
    CaseResult {
        name,
        failure,
        invalid: false,
    }
}
