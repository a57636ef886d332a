//! The terminal summary: one block per finding in compiler style, then the checklist and
//! the totals.

use super::Report;
use crate::checklist::Status;
use crate::finding::Severity;
use std::fmt::Write;

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    for f in &report.findings {
        let _ = writeln!(
            out,
            "{}:{}:{}: {} {}: {}",
            f.file, f.line, f.column, f.severity, f.rule, f.title
        );
        let _ = writeln!(out, "    {}", f.message);
        let _ = writeln!(out, "    at `{}` in {}", f.path, f.resource);
        let _ = writeln!(out, "    fix: {}", f.remediation);
    }
    for e in &report.errors {
        match (e.line, e.column) {
            (Some(l), Some(c)) => {
                let _ = writeln!(out, "error: {}:{l}:{c}: {}", e.file, e.message);
            }
            (Some(l), None) => {
                let _ = writeln!(out, "error: {}:{l}: {}", e.file, e.message);
            }
            _ => {
                let _ = writeln!(out, "error: {}: {}", e.file, e.message);
            }
        }
    }
    if !report.findings.is_empty() || !report.errors.is_empty() {
        out.push('\n');
    }
    let _ = writeln!(out, "Checklist:");
    for c in &report.checklist {
        let status = match c.status {
            Status::Pass => "pass",
            Status::Fail => "FAIL",
            Status::NoEvidence => "no evidence",
        };
        let _ = writeln!(out, "  {:<10} {:<12} {}", c.id, status, c.title);
    }
    let s = &report.summary;
    let by: Vec<String> = Severity::ALL
        .into_iter()
        .filter(|sev| s.by_severity.get(*sev) > 0)
        .map(|sev| format!("{} {sev}", s.by_severity.get(sev)))
        .collect();
    let _ = writeln!(
        out,
        "\n{} finding{}{} in {} file{} ({} resources, {} entities examined); {} error{}.",
        s.findings,
        if s.findings == 1 { "" } else { "s" },
        if by.is_empty() {
            String::new()
        } else {
            format!(" ({})", by.join(", "))
        },
        s.files,
        if s.files == 1 { "" } else { "s" },
        s.resources,
        s.entities,
        s.errors,
        if s.errors == 1 { "" } else { "s" },
    );
    let verdict = if !report.errors.is_empty() {
        "result: input or policy errors (exit 2)".to_string()
    } else if s.failed {
        format!("result: failed, findings at or above `{}` (exit 1)", s.fail_on)
    } else {
        format!("result: passed, nothing at or above `{}`", s.fail_on)
    };
    let _ = writeln!(out, "{verdict}");
    out
}
