//! `compliance explain RULE`: everything about one rule — its metadata, description,
//! message, remediation, the Cedar text exactly as written in its file, and a failing
//! and a passing example taken from case folders ([`super::cases`]).

use super::cases::{Example, Examples};
use super::diagnostics::Sources;
use super::validate::{closest, policy_span};
use crate::base::source::pos_at;
use crate::engine::policy::{Rule, RuleSet, Scope};
use std::fmt::Write;

/// The rule with this id (exact, else ignoring case); an unknown id names close ones.
pub fn find<'a>(rules: &'a RuleSet, id: &str) -> Result<&'a Rule, String> {
    if let Some(r) = rules.rules.get(id) {
        return Ok(r);
    }
    let same: Vec<&Rule> = rules.rules.values().filter(|r| r.id.eq_ignore_ascii_case(id)).collect();
    if let [r] = same.as_slice() {
        return Ok(r);
    }
    let close = closest(id, rules.rules.keys().map(String::as_str));
    let hint = if close.is_empty() {
        String::new()
    } else {
        format!(
            "; did you mean {}?",
            close.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", ")
        )
    };
    Err(format!("unknown rule `{id}`{hint} (`compliance rules` lists them)"))
}

/// The rule's `@description`, when it has one.
pub fn description(rule: &Rule) -> Option<String> {
    cedar_policy::Policy::parse(None, rule.text.as_str())
        .ok()
        .and_then(|p| p.annotation("description").map(str::to_string))
        .filter(|d| !d.trim().is_empty())
}

fn control_title(id: &str) -> String {
    crate::findings::checklist::CONTROLS
        .iter()
        .find(|c| c.0 == id)
        .map_or(id.to_string(), |c| format!("{id} ({})", c.2))
}

fn section(out: &mut String, title: &str, body: &str) {
    let _ = writeln!(out, "\n{title}");
    for line in body.lines() {
        let _ = writeln!(out, "  {line}");
    }
}

fn numbered(out: &mut String, lines: &[(u32, String)], mark: Option<u32>) {
    let width = lines.last().map_or(1, |(n, _)| n.to_string().len());
    for (n, text) in lines {
        let m = if Some(*n) == mark { '>' } else { ' ' };
        let _ = writeln!(out, "  {m}{n:>width$} | {text}");
    }
}

fn example(out: &mut String, rule: &str, e: &Example) {
    match e.line {
        Some(line) => {
            let _ = writeln!(
                out,
                "\nFailing example: {}/{} ({rule} fires at line {line})",
                e.case, e.file
            );
        }
        None => {
            let _ = writeln!(
                out,
                "\nPassing example: {}/{} ({rule} fires nowhere in this case)",
                e.case, e.file
            );
        }
    }
    numbered(out, &e.lines, e.line);
    if !e.others.is_empty() {
        let _ = writeln!(out, "  (the case's other files: {})", e.others.join(", "));
    }
}

/// The explanation, as text.
pub fn render(rule: &Rule, sources: &Sources, examples: &Examples) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}: {}\n", rule.id, rule.title);
    let checklist = if rule.checklist.is_empty() {
        "—".to_string()
    } else {
        rule.checklist
            .iter()
            .map(|c| control_title(c))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let scope = match rule.scope {
        Scope::Object => "object (needs only the object itself: the admission webhook evaluates it)",
        Scope::Documents => "documents (needs the other documents of the check, or judges what a repository commits)",
    };
    let source = if rule.source == "built-in" {
        format!("built-in ({}:{})", rule.file, rule.line)
    } else {
        format!("{}:{}", rule.file, rule.line)
    };
    let rows = [
        ("severity", rule.severity.to_string()),
        ("category", rule.category.clone()),
        ("checklist", checklist),
        (
            "applies to",
            rule.applies_to.map_or("every entity type", |k| k.name()).to_string(),
        ),
        ("scope", scope.to_string()),
        ("source", source),
    ];
    for (k, v) in rows {
        let _ = writeln!(out, "  {k:<11} {v}");
    }
    if let Some(d) = description(rule) {
        section(&mut out, "Description", &d);
    }
    if let Some(m) = &rule.message {
        section(&mut out, "Message (`{attribute}` is the entity's value)", m);
    }
    section(&mut out, "Remediation", &rule.remediation);

    let text = sources.get(&rule.file);
    match text.and_then(|t| policy_span(rule, t).map(|s| (t, s))) {
        Some((text, (start, end))) => {
            let first = pos_at(text, start).line;
            let _ = writeln!(out, "\nCedar source: {}:{first}", rule.file);
            let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
            let lines: Vec<(u32, String)> = text[line_start..end]
                .lines()
                .enumerate()
                .map(|(i, l)| (first + i as u32, l.to_string()))
                .collect();
            numbered(&mut out, &lines, None);
        }
        None => {
            let _ = writeln!(out, "\nCedar source: {}:{}", rule.file, rule.line);
            for l in rule.text.lines() {
                let _ = writeln!(out, "  {l}");
            }
        }
    }

    match &examples.failing {
        Some(e) => example(&mut out, &rule.id, e),
        None => {
            let _ = writeln!(out, "\nFailing example: none among the cases");
        }
    }
    match &examples.passing {
        Some(e) => example(&mut out, &rule.id, e),
        None => {
            let _ = writeln!(out, "\nPassing example: none among the cases");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_ids_suggest_close_ones_and_case_is_forgiven() {
        let rules = crate::engine::policy::load(&[]).unwrap();
        assert_eq!(find(&rules, "k8s-001").unwrap().id, "K8S-001");
        let e = find(&rules, "K8S-01").unwrap_err();
        assert!(e.contains("unknown rule `K8S-01`") && e.contains("`K8S-001`"), "{e}");
    }

    #[test]
    fn descriptions_are_read_from_the_annotation() {
        let custom = "@id(\"D-1\")\n@title(\"t\")\n@severity(\"low\")\n@remediation(\"r\")\n@description(\"Why it matters.\")\nforbid (principal, action, resource is Container) when { resource.privileged };\n";
        let set = crate::engine::policy::load(&[("d.cedar".into(), custom.into())]).unwrap();
        assert_eq!(description(&set.rules["D-1"]).as_deref(), Some("Why it matters."));
        assert_eq!(description(&set.rules["K8S-001"]), None);
    }
}
