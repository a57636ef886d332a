//! `compliance policy validate`: loads the built-in policies plus policy folders exactly as
//! `check --policies` does ([`crate::engine::policy::load`]: parse, strict validation against the
//! Cedar schema, `@id` present and unique, `@severity` a known level, `@title` and
//! `@remediation` present, `@scope` known), then checks what only an author gets wrong and
//! the check would silently accept: `@message` placeholders that name no attribute of the
//! rule's entity type (they would be printed as written), `@evidence` that names no Bool
//! fact or entity type, and `@checklist` controls that do not exist.

use super::diagnostics::{self, offset_of, Sources};
use super::schema;
use crate::base::source::pos_at;
use crate::engine::policy::{self, PolicyDiagnostic, Rule, RuleSet};
use std::path::PathBuf;

/// A rule set that loaded and passed the authoring checks.
pub struct Loaded {
    pub rules: RuleSet,
    pub sources: Sources,
    /// The policy files read from the folders.
    pub files: Vec<String>,
}

/// Why a rule set did not load.
pub struct Failed {
    pub diagnostics: Vec<PolicyDiagnostic>,
    pub sources: Sources,
}

impl Failed {
    /// The diagnostics, miette-style, then a count.
    pub fn render(&self, color: bool) -> String {
        let mut out = diagnostics::render(&self.diagnostics, &self.sources, color);
        let n = self.diagnostics.len();
        out.push_str(&format!("error: {n} policy error{}\n", if n == 1 { "" } else { "s" }));
        out
    }
}

/// Loads the built-in rules plus the `*.cedar` files of `dirs`, and runs the authoring checks.
pub fn load(dirs: &[PathBuf]) -> Result<Loaded, Failed> {
    let mut extra = Vec::new();
    let mut diags = Vec::new();
    for d in dirs {
        match policy::read_dir(d) {
            Ok(files) => extra.extend(files),
            Err(e) => diags.push(e),
        }
    }
    let sources = Sources::new(&extra);
    if !diags.is_empty() {
        return Err(Failed {
            diagnostics: diags,
            sources,
        });
    }
    let rules = match policy::load(&extra) {
        Ok(r) => r,
        Err(diagnostics) => {
            let diagnostics = diagnostics.into_iter().map(|d| at_annotation(d, &sources)).collect();
            return Err(Failed { diagnostics, sources });
        }
    };
    let lints = lint(&rules, &sources);
    if !lints.is_empty() {
        return Err(Failed {
            diagnostics: lints,
            sources,
        });
    }
    Ok(Loaded {
        rules,
        sources,
        files: extra.into_iter().map(|(n, _)| n).collect(),
    })
}

/// [`policy::load`] reports a bad annotation value (`rule `X` has `@severity("urgent")`: ...`)
/// at the rule's `@id`; this moves it to the value itself.
fn at_annotation(mut d: PolicyDiagnostic, sources: &Sources) -> PolicyDiagnostic {
    let Some(name) = d
        .message
        .split_once(" has `@")
        .and_then(|(_, rest)| rest.split_once('('))
        .map(|(n, _)| n.to_string())
    else {
        return d;
    };
    let Some(text) = sources.get(&d.file) else {
        return d;
    };
    let Some(from) = offset_of(text, d.line, d.column) else {
        return d;
    };
    // within this policy: before the `;` that ends it
    let end = text[from..].find(';').map_or(text.len(), |e| from + e);
    let needle = format!("@{name}(");
    if let Some(i) = text[from..end].find(&needle) {
        let p = pos_at(text, from + i + needle.len());
        d.line = p.line;
        d.column = p.column;
    }
    d
}

/// `N rules valid (...)`.
pub fn summary(loaded: &Loaded) -> String {
    let total = loaded.rules.rules.len();
    let custom = loaded.rules.rules.values().filter(|r| r.source != "built-in").count();
    let files = loaded.files.len();
    let plural = |n: usize, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
    if files == 0 {
        format!("{} valid (built-in)", plural(total, "rule"))
    } else {
        format!(
            "{} valid ({} built-in, {} from {})",
            plural(total, "rule"),
            total - custom,
            custom,
            plural(files, "policy file")
        )
    }
}

/// Where a rule's policy text is in its file: the byte range of [`Rule::text`] (Cedar keeps
/// the text as written, annotations included), the occurrence that holds the rule's `@id`.
pub fn policy_span(rule: &Rule, text: &str) -> Option<(usize, usize)> {
    let id_at = offset_of(text, rule.line, 1)?;
    let mut best = None;
    for (start, _) in text.match_indices(rule.text.as_str()) {
        let end = start + rule.text.len();
        if start <= id_at + text[id_at..].find('\n').unwrap_or(0) && end >= id_at {
            return Some((start, end));
        }
        if best.is_none() && start >= id_at {
            best = Some((start, end));
        }
    }
    best
}

/// Where annotation `@name(` starts in the rule's policy text, and the offset of its value.
fn annotation_at(rule: &Rule, text: &str, name: &str) -> Option<usize> {
    let (start, end) = policy_span(rule, text)?;
    let needle = format!("@{name}(");
    text[start..end]
        .find(&needle)
        .map(|i| start + i + needle.len())
        .map(|i| i + text[i..].find('"').unwrap_or(0))
}

/// A close name, for a `did you mean`.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    let w = word.to_ascii_lowercase();
    let mut scored: Vec<(usize, &str)> = candidates
        .into_iter()
        .map(|c| (edit_distance(&w, &c.to_ascii_lowercase()), c))
        .filter(|(d, c)| *d <= (c.len() / 3).max(2))
        .collect();
    scored.sort();
    scored.into_iter().take(3).map(|(_, c)| c).collect()
}

/// Edit distance counting a swap of two neighbours as one edit (`nmae` is one from `name`).
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1).min(d[i][j - 1] + 1).min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[a.len()][b.len()]
}

fn did_you_mean(word: &str, names: &[&str]) -> String {
    let close = closest(word, names.iter().copied());
    if close.is_empty() {
        String::new()
    } else {
        format!(
            " (help: did you mean {}?)",
            close.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(" or ")
        )
    }
}

/// The authoring checks over a loaded rule set.
fn lint(rules: &RuleSet, sources: &Sources) -> Vec<PolicyDiagnostic> {
    let types = match schema::entity_types() {
        Ok(t) => t,
        Err(message) => {
            return vec![PolicyDiagnostic {
                file: "schemas/compliance.cedarschema".into(),
                line: 0,
                column: 0,
                message,
            }]
        }
    };
    let controls: Vec<&str> = crate::findings::checklist::CONTROLS.iter().map(|c| c.0).collect();
    let mut out = Vec::new();
    for rule in rules.rules.values() {
        let Some(text) = sources.get(&rule.file) else {
            continue;
        };
        let mut push = |annotation: &str, needle: Option<&str>, message: String| {
            let at = annotation_at(rule, text, annotation)
                .map(|a| needle.and_then(|n| text[a..].find(n).map(|i| a + i)).unwrap_or(a))
                .unwrap_or_else(|| offset_of(text, rule.line, 1).unwrap_or(0));
            let p = pos_at(text, at);
            out.push(PolicyDiagnostic {
                file: rule.file.clone(),
                line: p.line,
                column: p.column,
                message,
            });
        };
        for c in &rule.checklist {
            if !controls.contains(&c.as_str()) {
                push(
                    "checklist",
                    Some(c),
                    format!(
                        "rule `{}` names checklist control `{c}`, which does not exist: expected one of {}{}",
                        rule.id,
                        controls.join(", "),
                        did_you_mean(c, &controls)
                    ),
                );
            }
        }
        if let Some(evidence) = &rule.evidence {
            if let Some(m) = evidence_problem(rule, evidence, &types) {
                push("evidence", None, m);
            }
        }
        let Some(kind) = rule.applies_to else {
            continue;
        };
        let Some(ty) = types.iter().find(|t| t.name == kind.name()) else {
            continue;
        };
        let names: Vec<&str> = ty.attributes.iter().map(|a| a.name.as_str()).collect();
        if let Some(message) = &rule.message {
            for name in placeholders(message) {
                if !names.contains(&name) {
                    let needle = format!("{{{name}}}");
                    push(
                        "message",
                        Some(&needle),
                        format!(
                            "rule `{}`: `@message` placeholder `{{{name}}}` is not an attribute of `{}`: expected one of {}{}",
                            rule.id,
                            kind.name(),
                            names.join(", "),
                            did_you_mean(name, &names)
                        ),
                    );
                }
            }
        }
    }
    out
}

/// What is wrong with `@evidence`, read as [`crate::findings::checklist`] reads it: `fact` (a Bool
/// attribute of the rule's entity type), `Type` or `Type.fact`.
fn evidence_problem(rule: &Rule, evidence: &str, types: &[schema::EntityType]) -> Option<String> {
    let type_names: Vec<&str> = types.iter().map(|t| t.name.as_str()).collect();
    let (ty, fact) = match evidence.split_once('.') {
        Some((t, f)) => (Some(t), Some(f)),
        None if type_names.contains(&evidence) => (Some(evidence), None),
        None => (rule.applies_to.map(|k| k.name()), Some(evidence)),
    };
    let Some(ty) = ty else {
        return Some(format!(
            "rule `{}`: `@evidence(\"{evidence}\")` names a fact, but the rule applies to every entity type: write `Type.{evidence}`",
            rule.id
        ));
    };
    let Some(t) = types.iter().find(|t| t.name == ty) else {
        return Some(format!(
            "rule `{}`: `@evidence` names entity type `{ty}`, which does not exist: expected one of {}{}",
            rule.id,
            type_names.join(", "),
            did_you_mean(ty, &type_names)
        ));
    };
    let fact = fact?;
    let bools: Vec<&str> = t
        .attributes
        .iter()
        .filter(|a| a.ty == "Bool")
        .map(|a| a.name.as_str())
        .collect();
    (!bools.contains(&fact)).then(|| {
        format!(
            "rule `{}`: `@evidence` fact `{fact}` is not a Bool attribute of `{ty}`: expected one of {}{}",
            rule.id,
            bools.join(", "),
            did_you_mean(fact, &bools)
        )
    })
}

/// The `{attribute}` placeholders of a message template, as [`crate::findings::place::interpolate`]
/// reads them.
fn placeholders(template: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        let after = &rest[start + 1..];
        match after.find('}') {
            Some(end) if end > 0 && after[..end].chars().all(|c| c.is_ascii_alphanumeric()) => {
                out.push(&after[..end]);
                rest = &after[end + 1..];
            }
            _ => rest = after,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_rules_pass_the_authoring_checks() {
        let loaded = load(&[]).unwrap_or_else(|f| panic!("{}", f.render(false)));
        assert!(summary(&loaded).ends_with("valid (built-in)"));
    }

    #[test]
    fn every_built_in_policy_is_found_in_its_file() {
        let loaded = load(&[]).unwrap_or_else(|f| panic!("{}", f.render(false)));
        for r in loaded.rules.rules.values() {
            let text = loaded.sources.get(&r.file).unwrap();
            let (s, e) = policy_span(r, text).unwrap_or_else(|| panic!("{} not found in {}", r.id, r.file));
            assert!(text[s..e].contains(&format!("@id(\"{}\")", r.id)), "{}", r.id);
        }
    }

    #[test]
    fn placeholders_are_read_like_interpolate_reads_them() {
        assert_eq!(
            placeholders("key `{name}` ({environment}) {x y} {}"),
            ["name", "environment"]
        );
    }

    #[test]
    fn close_names() {
        assert_eq!(closest("nmae", ["name", "image", "init"])[0], "name");
        assert_eq!(closest("k8s-01", ["K8S-001", "KEY-001", "NET-001"]), ["K8S-001"]);
        assert!(closest("zzzzzz", ["name"]).is_empty());
    }
}
