//! JUnit XML (`--format junit`), as GitLab's test reports and Jenkins' `junit` step read it.
//!
//! Suite `compliance`: one `<testcase>` per rule × resource that has findings
//! (`classname` = rule id, `name` = resource), failing with one `<failure>` that lists each
//! finding at `file:line:column`; and one passing test case `all resources` for every rule
//! of the rule set without findings, so that a clean run is not an empty report (Jenkins
//! rejects those). Every finding fails its test case, whatever `--fail-on` says: the
//! threshold decides the exit status, the `type` attribute carries the severity.
//!
//! Suite `compliance input errors` (only when there are any): one test case per input
//! error, with an `<error>`.

use super::Report;
use crate::finding::{Finding, InputError};
use crate::policy::RuleSet;
use std::collections::BTreeMap;
use std::fmt::Write;

/// The passing test case's name for a rule without findings.
pub const PASSING: &str = "all resources";

/// Escapes text content and attribute values. Characters XML 1.0 cannot carry at all
/// (most C0 controls) become U+FFFD; line breaks and tabs in attributes become character
/// references so that parsers keep them.
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
            '\u{0}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}' => out.push('\u{fffd}'),
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

/// One failing rule × resource.
struct Case<'a> {
    rule: &'a str,
    resource: &'a str,
    file: &'a str,
    findings: Vec<&'a Finding>,
}

fn cases<'a>(report: &'a Report, rules: &'a RuleSet) -> (Vec<Case<'a>>, Vec<&'a str>) {
    // rule -> (resource, file) -> findings; a resource name in two files is two objects
    let mut by: BTreeMap<&str, BTreeMap<(&str, &str), Vec<&Finding>>> = BTreeMap::new();
    for f in &report.findings {
        by.entry(&f.rule)
            .or_default()
            .entry((&f.resource, &f.file))
            .or_default()
            .push(f);
    }
    let passing = rules
        .rules
        .keys()
        .map(String::as_str)
        .filter(|id| !by.contains_key(id))
        .collect();
    let failing = by
        .into_iter()
        .flat_map(|(rule, resources)| {
            resources.into_iter().map(move |((resource, file), findings)| Case {
                rule,
                resource,
                file,
                findings,
            })
        })
        .collect();
    (failing, passing)
}

fn failure(out: &mut String, case: &Case<'_>) {
    let first = case.findings.first();
    let severity = case.findings.iter().map(|f| f.severity).min();
    let message = match (case.findings.len(), first) {
        (1, Some(f)) => f.message.clone(),
        (n, Some(f)) => format!("{n} findings: {}", f.title),
        _ => String::new(),
    };
    let _ = write!(
        out,
        "      <failure message=\"{}\" type=\"{}\">",
        escape(&message),
        severity.map_or("", |s| s.as_str())
    );
    let mut body = String::new();
    for f in &case.findings {
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

fn error_case(out: &mut String, e: &InputError) {
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
    let (failing, passing) = cases(report, rules);
    let tests = failing.len() + passing.len();
    let failures = failing.len();
    let errors = report.errors.len();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"compliance\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\" time=\"0\">",
        tests + errors
    );
    let _ = writeln!(
        out,
        "  <testsuite name=\"compliance\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"0\" time=\"0\">"
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
    let mut all: Vec<(&str, Option<Case<'_>>)> = failing
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
                failure(&mut out, &case);
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
            error_case(&mut out, e);
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}
