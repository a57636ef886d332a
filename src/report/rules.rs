//! The rule catalogue: `compliance rules`, and the table README.md embeds.

use crate::engine::policy::RuleSet;
use serde::Serialize;
use std::fmt::Write;

#[derive(Serialize)]
struct Entry<'a> {
    id: &'a str,
    severity: crate::base::finding::Severity,
    category: &'a str,
    checklist: &'a [String],
    title: &'a str,
    applies_to: Option<&'static str>,
    /// `object` rules are also served by the admission webhook.
    scope: crate::engine::policy::Scope,
    source: &'a str,
}

fn entries(rules: &RuleSet) -> Vec<Entry<'_>> {
    rules
        .rules
        .values()
        .map(|r| Entry {
            id: &r.id,
            severity: r.severity,
            category: &r.category,
            checklist: &r.checklist,
            title: &r.title,
            applies_to: r.applies_to.map(|k| k.name()),
            scope: r.scope,
            source: &r.source,
        })
        .collect()
}

pub fn json(rules: &RuleSet) -> String {
    let mut s = serde_json::to_string_pretty(&entries(rules)).unwrap_or_default();
    s.push('\n');
    s
}

/// A GitHub-flavoured Markdown table.
pub fn markdown(rules: &RuleSet) -> String {
    let mut out = String::from(
        "| Rule | Severity | Category | Checklist | Entity | Scope | Title | Source |\n|---|---|---|---|---|---|---|---|\n",
    );
    for e in entries(rules) {
        let checklist = if e.checklist.is_empty() {
            "—".to_string()
        } else {
            e.checklist.join(", ")
        };
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} | {} | {} | {} | {} |",
            e.id,
            e.severity,
            e.category,
            checklist,
            e.applies_to.unwrap_or("any"),
            e.scope.as_str(),
            e.title.replace('|', "\\|"),
            e.source.replace('|', "\\|")
        );
    }
    out
}

/// Aligned columns for a terminal.
pub fn table(rules: &RuleSet) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<9} {:<9} {:<16} {:<20} {:<16} {:<9} {:<60} SOURCE",
        "ID", "SEVERITY", "CATEGORY", "CHECKLIST", "ENTITY", "SCOPE", "TITLE"
    );
    for e in entries(rules) {
        let _ = writeln!(
            out,
            "{:<9} {:<9} {:<16} {:<20} {:<16} {:<9} {:<60} {}",
            e.id,
            e.severity,
            e.category,
            e.checklist.join(","),
            e.applies_to.unwrap_or("any"),
            e.scope.as_str(),
            e.title,
            e.source
        );
    }
    out
}
