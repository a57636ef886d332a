//! The pipeline of `compliance check`, as one sentence: discover the files, render charts
//! and overlays, read each file (load manifests, scan sources), build facts, evaluate the
//! rules, place the findings, apply waivers, roll up the checklist, assemble the report.
//! Each step lives in its stage's folder; this file only composes them.

mod files;

use crate::base::error::{Error, Result};
use crate::base::finding::{Finding, InputError};
use crate::base::timings::Timings;
use crate::engine::evaluate::{self, Evaluation};
use crate::engine::policy::RuleSet;
use crate::facts::{self, model::Resource};
use crate::findings::outcome::{InputDigest, Parts, Report, Skipped};
use crate::findings::{checklist, place, waiver};
use crate::input::discover::{self, Candidate};
use crate::input::loader::{self, Document};
use crate::input::read::Input;
use crate::input::render;
use crate::scan;
use chrono::{DateTime, SecondsFormat, Utc};
use std::path::PathBuf;

pub use crate::base::source::STDIN;
pub use crate::config::Options;
pub use crate::engine::policy::load_rules;

/// Parses `--now`.
pub fn parse_now(s: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|d| d.with_timezone(&Utc))
        .map_err(|_| Error::BadNow(s.to_string()))
}

/// Runs a check. `stdin` is the text read for a `-` path.
pub fn run(opts: &Options, stdin: Option<String>) -> Result<Report> {
    let rules = opts.load_rules()?;
    run_with_rules(opts, stdin, &rules)
}

/// [`run`] with the rules already loaded by [`Options::load_rules`] (`opts.policy_dirs`
/// is not read again), for callers that need the rule set too: SARIF and JUnit list every rule.
pub fn run_with_rules(opts: &Options, stdin: Option<String>, rules: &RuleSet) -> Result<Report> {
    let mut clock = Timings::new();
    let roots: Vec<PathBuf> = opts.paths.iter().filter(|p| p.as_os_str() != "-").cloned().collect();
    let (candidates, skipped, errors) = discover_files(opts, &roots)?;
    let plan = render::plan(&candidates, &opts.render, opts.limits.max_file_bytes);
    clock.lap("render");
    let results = files::read_all(&candidates, &plan, stdin, &opts.limits);
    let notes = plan.notes.iter().map(|n| Skipped { file: n.file.clone(), reason: n.message.clone() });
    let errors = errors.into_iter().chain(plan.errors.iter().cloned()).collect();
    let read = files::gather(results, skipped.into_iter().chain(notes).collect(), errors);
    let git = scan::git::Scope::of(&candidates, &read.scanned, &roots, opts.git);
    clock.lap("read+parse");

    let now = opts.now.to_rfc3339_opts(SecondsFormat::Secs, true);
    let mut resources = facts::build(&read.docs, opts.now);
    resources.extend(scan::resources(&read.scanned, &read.manifests, &git.ignores, git.tracked.as_ref()));
    // what waivers need of the documents; the documents themselves go before the entity
    // store is built, so that the two never take memory at the same time
    let texts: Vec<(&str, Option<&str>)> = read.inputs.iter().map(|i| (i.display.as_str(), i.text.as_deref())).collect();
    let collected = waiver::collect(&read.docs, &texts, &opts.waiver_files, &opts.limits);
    let objects: Vec<waiver::ObjectKey> = read.docs.iter().map(waiver::ObjectKey::of).collect();
    let (inputs, mut errors) = (read.inputs, read.errors);
    drop(read.docs);
    clock.lap("facts");

    let evaluation = evaluate(rules, &resources, &now)?;
    clock.lap_per("entity stores+evaluate", resources.len());
    let (placed, eval_errors) = place::findings(rules, &resources, &evaluation, &inputs);
    clock.lap("findings+positions");
    // waivers, then the baseline: a waived finding is neither listed nor baselined
    errors.extend(eval_errors.into_iter().chain(collected.errors));
    let waiving = waiver::apply(placed, &resources, &objects, &collected.waivers, opts.now.date_naive());
    let (mut findings, waived, waivers) = (waiving.findings, waiving.waived, waiving.waivers);
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    errors.sort();
    errors.dedup();

    let errored = evaluation.errors.iter().map(|e| e.rule.as_str()).collect();
    let checklist = checklist::roll_up(rules, &resources, &findings, &errored, &plan.unread);
    let mut report = Report::assemble(Parts {
        roots: opts.paths.iter().map(|p| p.display().to_string()).collect(),
        files_read: read.files_read,
        documents: read.documents,
        resources: objects.len(),
        entities: resources.len(),
        checklist,
        findings,
        errors,
        skipped: read.skipped,
        waived,
        waivers,
        fail_on: opts.fail_on,
        command_line: opts.command_line.clone(),
        config: opts.config.clone(),
        rules,
        inputs: digests(&inputs),
        now,
    });
    if let Some(baseline) = &opts.baseline {
        baseline.compare(&mut report);
    }
    report.judge();
    Ok(report)
}

/// The files under the roots that the run reads, the files it does not read (with why),
/// and the errors found on the way (a broken link where a manifest would be).
fn discover_files(opts: &Options, roots: &[PathBuf]) -> Result<(Vec<Candidate>, Vec<Skipped>, Vec<InputError>)> {
    let exclude = discover::excludes(&opts.exclude)?;
    let include = (!opts.include.is_empty())
        .then(|| discover::excludes(&opts.include))
        .transpose()?;
    let (candidates, unread) = discover::discover_matching(roots, include.as_ref(), &exclude);
    // a broken link where a source file would be is not an input error: nothing is there
    let (notes, unread): (Vec<_>, Vec<_>) = unread
        .into_iter()
        .partition(|(f, m)| m.starts_with(discover::BROKEN_LINK) && !loader::is_manifest_path(f));
    let skipped = notes.into_iter().map(|(file, reason)| Skipped { file, reason }).collect();
    let errors = unread.into_iter().map(|(f, m)| InputError::new(&f, None, m)).collect();
    Ok((candidates, skipped, errors))
}

/// Every rule on every entity.
fn evaluate(rules: &RuleSet, resources: &[Resource], now: &str) -> Result<Evaluation> {
    evaluate::evaluate_all(rules, resources, now).map_err(|m| Error::Policy {
        file: "(entities)".into(),
        message: m,
    })
}

/// The audit trail's record of every file read.
fn digests(inputs: &[Input]) -> Vec<InputDigest> {
    inputs
        .iter()
        .filter_map(|i| {
            let (sha256, bytes) = i.digest.clone()?;
            Some(InputDigest {
                file: i.display.clone(),
                sha256,
                bytes,
            })
        })
        .collect()
}
/// Evaluates documents already loaded (by [`loader::load_value`]): facts, entities, rules,
/// findings. No files, no source scan, no waivers. `names[i]` is the display name of file
/// `i`; findings carry the field path but no line (there is no text to place them in).
pub fn evaluate_documents(
    rules: &RuleSet,
    docs: &[Document],
    names: &[String],
    now: DateTime<Utc>,
) -> Result<(Vec<Finding>, Vec<InputError>)> {
    let stamp = now.to_rfc3339_opts(SecondsFormat::Secs, true);
    let resources = facts::build(docs, now);
    let evaluation = evaluate(rules, &resources, &stamp)?;
    let inputs: Vec<Input> = names
        .iter()
        .map(|n| Input {
            display: n.clone(),
            text: None,
            digest: None,
            rendered: None,
        })
        .collect();
    let (placed, errors) = place::findings(rules, &resources, &evaluation, &inputs);
    let mut findings: Vec<Finding> = placed.into_iter().map(|(f, _)| f).collect();
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    Ok((findings, errors))
}

