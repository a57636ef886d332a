//! The terminal summary: one block per finding in compiler style, then the checklist and
//! the totals.

use super::sink::{self, Sink};
use super::Report;
use crate::base::finding::Severity;
use crate::findings::checklist::Status;
use crate::findings::waiver::Status as WaiverStatus;
use std::fmt::Write;

pub fn render(report: &Report) -> String {
    sink::to_string(|out| write(&super::escape::for_terminal(report), out))
}

pub fn write(report: &Report, out: &mut Sink<'_>) {
    let shown = report
        .text_max_findings
        .unwrap_or(usize::MAX)
        .min(report.findings.len());
    let cut = report.findings.len() - shown;
    if cut > 0 {
        // the totals first: a terminal that scrolls a long list away still shows them
        let _ = writeln!(out, "{}", totals_line(report));
        let _ = writeln!(out, "by rule: {}\n", by_rule(report));
    }
    for f in &report.findings[..shown] {
        let _ = writeln!(
            out,
            "{}:{}:{}: {} {}: {}{}",
            f.file,
            f.line,
            f.column,
            f.severity,
            f.rule,
            f.title,
            if f.baseline { " (in baseline)" } else { "" }
        );
        let _ = writeln!(out, "    {}", f.message);
        // a source finding has no field path: its file and line say where
        if !f.path.is_empty() {
            let _ = writeln!(out, "    at `{}` in {}", f.path, f.resource);
        }
        let _ = writeln!(out, "    fix: {}", f.remediation);
        if let Some(r) = &f.rendered {
            let _ = writeln!(
                out,
                "    rendered: {} (the line is in its rendered output)",
                r.describe()
            );
        }
    }
    if cut > 0 {
        let _ = writeln!(
            out,
            "... and {cut} more finding{} not shown (--max-findings {shown}); the JSON report lists all",
            if cut == 1 { "" } else { "s" }
        );
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
    skipped_note(report, out);
    waiver_warnings(report, out);
    if !report.findings.is_empty()
        || !report.errors.is_empty()
        || !report.waivers.is_empty()
        || !report.skipped.is_empty()
    {
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
    let levels = crate::facts::pss::summary(&report.pod_security);
    if !levels.is_empty() {
        let _ = writeln!(out, "\nPod Security Standards:");
        for (reason, n) in levels {
            let s = if n == 1 { "" } else { "s" };
            let _ = writeln!(out, "  {n} workload{s} at {reason}");
        }
    }
    let _ = writeln!(out, "\n{}", totals_line(report));
    if !report.findings.is_empty() {
        let _ = writeln!(out, "by rule: {}", by_rule(report));
    }
    waiver_totals(report, out);
    configured(report, out);
    let s = &report.summary;
    let verdict = if !report.errors.is_empty() {
        "result: input or policy errors (exit 2)".to_string()
    } else if s.failed {
        format!("result: failed, findings at or above `{}` (exit 1)", s.fail_on)
    } else {
        format!("result: passed, nothing at or above `{}`", s.fail_on)
    };
    let _ = writeln!(out, "{verdict}");
}

/// Findings per rule, most first: `SRC-001 12, SEC-004 3`.
fn by_rule(report: &Report) -> String {
    let mut counts: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for f in &report.findings {
        *counts.entry(f.rule.as_str()).or_default() += 1;
    }
    let mut counts: Vec<(&str, usize)> = counts.into_iter().collect();
    counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    counts
        .iter()
        .map(|(r, n)| format!("{r} {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `12 findings (2 critical, 10 high) in 40 files (...); 0 errors.`
fn totals_line(report: &Report) -> String {
    let s = &report.summary;
    let by: Vec<String> = Severity::ALL
        .into_iter()
        .filter(|sev| s.by_severity.get(*sev) > 0)
        .map(|sev| format!("{} {sev}", s.by_severity.get(sev)))
        .collect();
    let omitted = match (s.omitted, s.max_findings_per_rule) {
        (0, _) | (_, None) => String::new(),
        (n, Some(max)) => format!(" ({n} not listed: at most {max} per file and rule, --max-findings-per-rule)"),
    };
    format!(
        "{} finding{}{}{omitted} in {} file{} ({} resource{}, {} {} examined); {} error{}.",
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
        if s.resources == 1 { "" } else { "s" },
        s.entities,
        if s.entities == 1 { "entity" } else { "entities" },
        s.errors,
        if s.errors == 1 { "" } else { "s" },
    )
}

/// The files not read, named (the first few) in one note: binaries and the like are
/// expected in a repository, but a reader should know they were not checked.
fn skipped_note(report: &Report, out: &mut Sink<'_>) {
    const SHOWN: usize = 5;
    let n = report.skipped.len();
    if n == 0 {
        return;
    }
    let mut names: Vec<String> = report
        .skipped
        .iter()
        .take(SHOWN)
        .map(|s| format!("{} ({})", s.file, short_reason(&s.reason)))
        .collect();
    if n > SHOWN {
        names.push(format!("and {} more", n - SHOWN));
    }
    let _ = writeln!(
        out,
        "note: {n} file{} not read: {}",
        if n == 1 { "" } else { "s" },
        names.join(", ")
    );
}

fn short_reason(reason: &str) -> &str {
    if reason.starts_with("binary") {
        "binary"
    } else if reason.contains("not valid UTF-8") {
        "not UTF-8"
    } else if reason.contains("-byte limit") {
        "over the size limit"
    } else {
        reason
    }
}

/// Expired and unused waivers, one line each, where the errors are: they do not fail the
/// run, but someone has to act on them.
fn waiver_warnings(report: &Report, out: &mut Sink<'_>) {
    for w in report.waivers.iter().filter(|w| w.status != WaiverStatus::Active) {
        let at = match (w.line, w.column) {
            (Some(l), Some(c)) => format!("{}:{l}:{c}", w.file),
            _ => w.file.clone(),
        };
        let what = match w.status {
            WaiverStatus::Expired => format!(
                "expired on {}: no longer waives {} ({} finding{} reported again)",
                w.expires,
                w.rule,
                w.matched,
                if w.matched == 1 { "" } else { "s" }
            ),
            _ => format!("unused: no {} finding matched it", w.rule),
        };
        let _ = writeln!(out, "warning: {at}: waiver {what} (owner: {})", w.owner);
    }
}

/// What the configuration file changed in the rules, when it changed anything.
fn configured(report: &Report, out: &mut Sink<'_>) {
    let a = &report.audit;
    if let Some(c) = &a.config {
        let _ = writeln!(out, "configuration: {}.", c.file);
    }
    if !a.disabled_rules.is_empty() {
        let ids: Vec<&str> = a.disabled_rules.iter().map(|r| r.rule.as_str()).collect();
        let _ = writeln!(out, "disabled by the configuration: {}.", ids.join(", "));
    }
    if !a.severity_overrides.is_empty() {
        let changes: Vec<String> = a
            .severity_overrides
            .iter()
            .map(|o| format!("{} {} -> {}", o.rule, o.from, o.to))
            .collect();
        let _ = writeln!(out, "severity changed by the configuration: {}.", changes.join(", "));
    }
}

/// The waiver and baseline counts under the totals, when there are any.
fn waiver_totals(report: &Report, out: &mut Sink<'_>) {
    if !report.waivers.is_empty() {
        let count = |st: WaiverStatus| report.waivers.iter().filter(|w| w.status == st).count();
        let _ = writeln!(
            out,
            "{} waived by {} active waiver{}; {} expired, {} unused.",
            report.summary.waived,
            count(WaiverStatus::Active),
            if count(WaiverStatus::Active) == 1 { "" } else { "s" },
            count(WaiverStatus::Expired),
            count(WaiverStatus::Unused),
        );
    }
    if let Some(b) = &report.baseline {
        let _ = writeln!(
            out,
            "baseline {}: {} new, {} in the baseline, {} of {} entries fixed.",
            b.file, b.new, b.matched, b.fixed, b.entries
        );
    }
}
