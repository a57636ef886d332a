//! The webhook's path through the pipeline: objects already loaded, no files.

use crate::base::error::Result;
use crate::base::finding::{Finding, InputError};
use crate::base::timings::Timings;
use crate::engine::evaluate::{self, Evaluation};
use crate::engine::policy::RuleSet;
use crate::facts;
use crate::findings::place;
use crate::input::loader::Document;
use crate::input::read::Input;
use chrono::{DateTime, SecondsFormat, Utc};

/// Evaluates documents already loaded (by [`crate::input::loader::load_value`]): facts, entities, rules,
/// findings. No files, no source scan, no waivers. `names[i]` is the display name of file
/// `i`; findings carry the field path but no line (there is no text to place them in).
pub fn evaluate_documents(
    rules: &RuleSet,
    docs: &[Document],
    names: &[String],
    now: DateTime<Utc>,
) -> Result<(Vec<Finding>, Vec<InputError>)> {
    evaluate_documents_with(rules, docs, names, now, &facts::pss::Settings::default())
}

/// [`evaluate_documents`] at the Pod Security Standards level of `pod_security`.
pub fn evaluate_documents_with(
    rules: &RuleSet,
    docs: &[Document],
    names: &[String],
    now: DateTime<Utc>,
    pod_security: &facts::pss::Settings,
) -> Result<(Vec<Finding>, Vec<InputError>)> {
    let stamp = now.to_rfc3339_opts(SecondsFormat::Secs, true);
    let resources = facts::build_with(docs, now, pod_security);
    let evaluation = evaluate::run(rules, &resources, &stamp)?;
    let (placed, errors) = place::findings(rules, &resources, &evaluation, &inputs_named(names));
    let mut findings: Vec<Finding> = placed.into_iter().map(|(f, _)| f).collect();
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    Ok((findings, errors))
}

/// [`evaluate_documents_with`] that frees the documents once their entities are built and
/// lets `select` choose, from the whole evaluation, the hits and errors turned into findings
/// (the webhook counts them all but builds only the few it lists).
pub fn evaluate_selected(
    rules: &RuleSet,
    docs: Vec<Document>,
    names: &[String],
    now: DateTime<Utc>,
    pod_security: &facts::pss::Settings,
    select: impl FnOnce(&RuleSet, &mut Evaluation),
) -> Result<(Vec<Finding>, Vec<InputError>)> {
    let mut clock = Timings::new();
    clock.lap("loaded");
    let stamp = now.to_rfc3339_opts(SecondsFormat::Secs, true);
    let resources = facts::build_with(&docs, now, pod_security);
    drop(docs);
    clock.lap("facts");
    let mut evaluation = evaluate::run(rules, &resources, &stamp)?;
    clock.lap_per("entity stores+evaluate", resources.len());
    select(rules, &mut evaluation);
    let (placed, errors) = place::findings(rules, &resources, &evaluation, &inputs_named(names));
    clock.lap("findings");
    let mut findings: Vec<Finding> = placed.into_iter().map(|(f, _)| f).collect();
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    Ok((findings, errors))
}

/// Inputs with only a name: there is no text to place findings in.
fn inputs_named(names: &[String]) -> Vec<Input> {
    names
        .iter()
        .map(|n| Input {
            display: n.clone(),
            text: None,
            digest: None,
            rendered: None,
        })
        .collect()
}
