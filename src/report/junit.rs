//! JUnit XML (`--format junit`), as GitLab's test reports and Jenkins' `junit` step read it.
//!
//! Suite `compliance`: one `<testcase>` per rule × resource that has findings
//! (`classname` = rule id, `name` = resource), failing with one `<failure>` that lists each
//! finding at `file:line:column`; and one passing test case `all resources` for every rule
//! of the rule set without findings, so that a clean run is not an empty report (Jenkins
//! rejects those). Every finding fails its test case, whatever `--fail-on` says: the
//! threshold decides the exit status, the `type` attribute carries the severity.
//! Accepted findings do not fail: a rule × resource whose findings are all waived or in
//! the `--baseline` is `<skipped>`, with the waiver's reason, owner and expiry; one that
//! also has findings that are not accepted fails, and its failure lists only those.
//!
//! Suite `compliance input errors` (only when there are any): one test case per input
//! error, with an `<error>`.

use super::sink::{self, Sink};
use super::Report;
use crate::base::finding::{Finding, InputError};
use crate::engine::policy::RuleSet;
use crate::findings::outcome::Accepted;
use std::collections::BTreeMap;
use std::fmt::Write;

/// The passing test case's name for a rule without findings.
pub const PASSING: &str = "all resources";

/// Escapes text content and attribute values. Characters XML 1.0 cannot carry at all (C0
/// controls other than tab and line breaks, U+FFFE, U+FFFF) and those it discourages (DEL,
/// C1 controls, which a log viewer may still obey) are shown as visible escapes (`\x1b`,
/// `\u{9b}`); line breaks and tabs in attributes become character references so that
/// parsers keep them. The report's values have already been through
/// [`super::fields::for_terminal`], so a line break here is the report's own.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            '\u{0}'..='\u{1f}' | '\u{7f}' => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            '\u{80}'..='\u{9f}' | '\u{fffe}' | '\u{ffff}' => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// Text content: as [`escape`], but line breaks stay as they are.
fn escape_text(s: &str) -> String {
    s.split('\n').map(escape).collect::<Vec<_>>().join("\n")
}

fn position(file: &str, line: Option<u32>, column: Option<u32>) -> String {
    match (line, column) {
        (Some(l), Some(c)) => format!("{file}:{l}:{c}"),
        (Some(l), None) => format!("{file}:{l}"),
        _ => file.to_string(),
    }
}

/// One rule × resource with findings.
struct Case<'a> {
    rule: &'a str,
    resource: &'a str,
    file: &'a str,
    findings: Vec<(&'a Finding, Accepted<'a>)>,
}

impl Case<'_> {
    fn failing(&self) -> Vec<&Finding> {
        self.findings
            .iter()
            .filter(|(_, a)| matches!(a, Accepted::No))
            .map(|(f, _)| *f)
            .collect()
    }
}

fn cases<'a>(report: &'a Report, rules: &'a RuleSet) -> (Vec<Case<'a>>, Vec<&'a str>) {
    // rule -> (resource, file) -> findings; a resource name in two files is two objects
    type Found<'a> = Vec<(&'a Finding, Accepted<'a>)>;
    let mut by: BTreeMap<&str, BTreeMap<(&str, &str), Found<'a>>> = BTreeMap::new();
    for (f, accepted) in report.every_finding() {
        by.entry(&f.rule)
            .or_default()
            .entry((&f.resource, &f.file))
            .or_default()
            .push((f, accepted));
    }
    let passing = rules
        .rules
        .keys()
        .map(String::as_str)
        .filter(|id| !by.contains_key(id))
        .collect();
    let with_findings = by
        .into_iter()
        .flat_map(|(rule, resources)| {
            resources.into_iter().map(move |((resource, file), mut findings)| {
                findings.sort_by(|a, b| a.0.sort_key().cmp(&b.0.sort_key()));
                Case {
                    rule,
                    resource,
                    file,
                    findings,
                }
            })
        })
        .collect();
    (with_findings, passing)
}

fn failure(out: &mut Sink<'_>, failing: &[&Finding]) {
    let severity = failing.iter().map(|f| f.severity).min();
    let message = match failing {
        [f] => f.message.clone(),
        [f, ..] => format!("{} findings: {}", failing.len(), f.title),
        [] => String::new(),
    };
    let _ = write!(
        out,
        "      <failure message=\"{}\" type=\"{}\">",
        escape(&message),
        severity.map_or("", |s| s.as_str())
    );
    let mut body = String::new();
    for f in failing {
        let _ = writeln!(
            body,
            "{}:{}:{}: {} {}: {}",
            f.file, f.line, f.column, f.severity, f.rule, f.title
        );
        let _ = writeln!(body, "    {}", f.message);
        if !f.path.is_empty() {
            let _ = writeln!(body, "    at `{}` in {}", f.path, f.resource);
        }
        let _ = writeln!(body, "    fix: {}", f.remediation);
    }
    out.push_str(&escape_text(&body));
    out.push_str("</failure>\n");
}

/// The `<skipped>` of a case whose findings are all accepted.
fn skipped(out: &mut Sink<'_>, case: &Case<'_>) {
    let mut reasons: Vec<String> = case
        .findings
        .iter()
        .map(|(_, a)| match a {
            Accepted::Waived(w) => format!(
                "waived at {}: {} (owner: {}; expires {})",
                position(&w.file, w.line, w.column),
                w.reason,
                w.owner,
                w.expires
            ),
            _ => "in the baseline".to_string(),
        })
        .collect();
    reasons.dedup();
    let _ = writeln!(out, "      <skipped message=\"{}\"/>", escape(&reasons.join("; ")));
}

fn error_case(out: &mut Sink<'_>, e: &InputError) {
    let at = position(&e.file, e.line, e.column);
    let _ = writeln!(
        out,
        "    <testcase classname=\"input\" name=\"{}\" file=\"{}\" time=\"0\">",
        escape(&at),
        escape(&e.file)
    );
    let _ = writeln!(
        out,
        "      <error message=\"{}\" type=\"input-error\">{}: {}</error>",
        escape(&e.message),
        escape_text(&at),
        escape_text(&e.message)
    );
    out.push_str("    </testcase>\n");
}

/// The JUnit XML for `report`, whose findings `rules` produced.
pub fn render(report: &Report, rules: &RuleSet) -> String {
    sink::to_string(|out| write(&super::escape::for_terminal(report), rules, out))
}

/// Writes the JUnit XML for `report` into `out`.
pub fn write(report: &Report, rules: &RuleSet, out: &mut Sink<'_>) {
    let (with_findings, passing) = cases(report, rules);
    let tests = with_findings.len() + passing.len();
    let failures = with_findings.iter().filter(|c| !c.failing().is_empty()).count();
    let skips = with_findings.len() - failures;
    let errors = report.errors.len();
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"compliance\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skips}\" time=\"0\">",
        tests + errors
    );
    let _ = writeln!(
        out,
        "  <testsuite name=\"compliance\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skips}\" time=\"0\">"
    );
    out.push_str("    <properties>\n");
    for (name, value) in [
        ("tool", format!("{} {}", report.tool.name, report.tool.version)),
        ("now", report.now.clone()),
        ("roots", report.roots.join(" ")),
        ("failOn", report.summary.fail_on.as_str().to_string()),
        ("findings", report.summary.findings.to_string()),
    ] {
        let _ = writeln!(out, "      <property name=\"{name}\" value=\"{}\"/>", escape(&value));
    }
    out.push_str("    </properties>\n");
    // failing and passing cases in rule order (a stable sort keeps resources in order)
    let mut all: Vec<(&str, Option<Case<'_>>)> = with_findings
        .into_iter()
        .map(|c| (c.rule, Some(c)))
        .chain(passing.into_iter().map(|p| (p, None)))
        .collect();
    all.sort_by_key(|(rule, _)| *rule);
    for (rule, case) in all {
        match case {
            Some(case) => {
                let _ = writeln!(
                    out,
                    "    <testcase classname=\"{}\" name=\"{}\" file=\"{}\" time=\"0\">",
                    escape(rule),
                    escape(case.resource),
                    escape(case.file)
                );
                let failing = case.failing();
                if failing.is_empty() {
                    skipped(out, &case);
                } else {
                    failure(out, &failing);
                }
                out.push_str("    </testcase>\n");
            }
            None => {
                let _ = writeln!(
                    out,
                    "    <testcase classname=\"{}\" name=\"{PASSING}\" time=\"0\"/>",
                    escape(rule)
                );
            }
        }
    }
    out.push_str("  </testsuite>\n");
    if errors > 0 {
        let _ = writeln!(
            out,
            "  <testsuite name=\"compliance input errors\" tests=\"{errors}\" failures=\"0\" errors=\"{errors}\" skipped=\"0\" time=\"0\">"
        );
        for e in &report.errors {
            error_case(out, e);
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
}
