//! From the engine's hits to findings: each placed at the line and column of the field to
//! change (positions are looked up once per file, in parallel), its message filled in from
//! the entity, masked, and its confidence judged.

use crate::base::finding::{Finding, InputError};
use crate::base::source::Pos;
use crate::engine::evaluate::Evaluation;
use crate::engine::policy::RuleSet;
use crate::facts::model::{Attr, Resource};
use crate::input::position;
use crate::input::read::Input;
use crate::secrets::redact;
use rayon::prelude::*;
use std::collections::BTreeMap;

/// Replaces `{attribute}` in a rule's message by the entity's value.
pub fn interpolate(template: &str, r: &Resource) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        match after.find('}') {
            Some(end) if after[..end].chars().all(|c| c.is_ascii_alphanumeric()) => {
                let name = &after[..end];
                match r.attr(name) {
                    Some(Attr::Set(v)) if v.is_empty() => out.push_str("(none)"),
                    Some(a) => out.push_str(&a.render()),
                    None => out.push_str(&rest[start..start + end + 2]),
                }
                rest = &after[end + 1..];
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    redact::redact_text(&out)
}

/// The confidence of `rule`'s finding on `r` in `file`: the entity's `confidence` for
/// source-scanner matches and for rules about secrets (where it judges the value), else
/// high; a secret in documentation, examples or tests is low (made for them, most often).
pub fn confidence(rule: &crate::engine::policy::Rule, r: &Resource, file: &str) -> crate::base::finding::Confidence {
    use crate::base::finding::Confidence;
    let applies = r.kind == crate::facts::model::Kind::SourceMatch || rule.category == "secrets";
    if !applies {
        return Confidence::High;
    }
    if crate::scan::classify::is_example_path(file) {
        return Confidence::Low;
    }
    match r.attr("confidence") {
        Some(Attr::Str(c)) => Confidence::parse(c),
        _ => Confidence::High,
    }
}

/// Turns hits into findings with resolved positions; evaluation errors into input errors.
pub fn findings(
    rules: &RuleSet,
    resources: &[Resource],
    eval: &Evaluation,
    inputs: &[Input],
) -> (Vec<(Finding, usize)>, Vec<InputError>) {
    let positions = positions(rules, resources, eval, inputs);
    let file_name = |i: usize| inputs.get(i).map_or_else(String::new, |x| x.display.clone());

    // a large run has a finding for every few entities, each a dozen owned strings
    let mut findings: Vec<(Finding, usize)> = eval
        .hits
        .par_iter()
        .filter_map(|h| {
            let rule = rules.rules.get(&h.rule)?;
            let r = &resources[h.resource];
            let key = r.place(rule.field.as_deref());
            let pos = r.loc.pos.or_else(|| positions.get(&key).copied()).unwrap_or(Pos::START);
            let confidence = confidence(rule, r, &file_name(key.0));
            let finding = Finding {
                rule: rule.id.clone(),
                severity: crate::facts::pss::adjust(rule.profile.as_deref(), r, confidence.adjust(rule.severity)),
                title: rule.title.clone(),
                message: interpolate(rule.message.as_deref().unwrap_or(&rule.title), r),
                file: file_name(key.0),
                line: pos.line,
                column: pos.column,
                path: key.2,
                resource: r.display.clone(),
                remediation: interpolate(&rule.remediation, r),
                checklist: rule.checklist.clone(),
                category: rule.category.clone(),
                confidence,
                baseline: false,
                rendered: inputs.get(r.loc.file).and_then(|i| i.rendered.clone().map(Box::new)),
                identity: r.identity.clone(),
                object: None,
            };
            Some((finding, h.resource))
        })
        .collect();
    crate::facts::pss::fold_twins(&mut findings);
    let errors = eval
        .errors
        .iter()
        .map(|e| {
            let r = &resources[e.resource];
            let pos = r
                .loc
                .pos
                .or_else(|| positions.get(&(r.loc.file, r.loc.doc, r.loc.path.clone())).copied());
            InputError::new(
                &file_name(r.loc.file),
                pos,
                format!(
                    "rule `{}` could not be evaluated on {} at `{}`: {}",
                    e.rule, r.display, r.loc.path, e.message
                ),
            )
        })
        .collect();
    (findings, errors)
}

/// The line and column of every (file, document, field path) a hit or an error must be
/// placed at, each file's text indexed once.
fn positions(
    rules: &RuleSet,
    resources: &[Resource],
    eval: &Evaluation,
    inputs: &[Input],
) -> BTreeMap<(usize, usize, String), Pos> {
    // which (document, path) positions each file needs
    let mut wanted: BTreeMap<usize, Vec<(usize, String)>> = BTreeMap::new();
    // things the source scanner found know their position already
    for h in eval.hits.iter().filter(|h| resources[h.resource].loc.pos.is_none()) {
        let r = &resources[h.resource];
        let (f, d, p) = r.place(rules.rules.get(&h.rule).and_then(|x| x.field.as_deref()));
        wanted.entry(f).or_default().push((d, p));
    }
    for e in eval.errors.iter().filter(|e| resources[e.resource].loc.pos.is_none()) {
        let r = &resources[e.resource];
        wanted
            .entry(r.loc.file)
            .or_default()
            .push((r.loc.doc, r.loc.path.clone()));
    }
    wanted
        .into_par_iter()
        .flat_map_iter(|(file, places)| {
            // only the wanted paths and their ancestors are recorded
            let mut want: Vec<std::collections::HashSet<String>> = Vec::new();
            for (d, p) in &places {
                if want.len() <= *d {
                    want.resize_with(d + 1, Default::default);
                }
                want[*d].extend(position::ancestors(p).map(str::to_string));
            }
            let docs = inputs
                .get(file)
                .and_then(|i| i.text.as_deref())
                .map(|t| position::index_wanted(crate::base::source::strip_bom(t), &want))
                .unwrap_or_default();
            places
                .into_iter()
                .map(|(d, p)| {
                    let pos = docs.get(d).map_or(Pos::START, |doc| position::lookup(doc, &p));
                    ((file, d, p), pos)
                })
                .collect::<Vec<_>>()
        })
        .collect()
}
