//! The pipeline of `compliance check`, as one sentence: discover the files, render charts
//! and overlays, read each file (load manifests, scan sources), build facts, evaluate the
//! rules, place the findings, apply waivers, roll up the checklist, assemble the report.
//! Each step lives in its stage's folder; this file only composes them.

mod documents;
mod files;

pub use documents::{evaluate_documents, evaluate_documents_with, evaluate_selected};

use crate::base::{error::Result, timings::Timings};
use crate::engine::{evaluate, policy::RuleSet};
use crate::facts;
use crate::findings::outcome::{Parts, Report};
use crate::findings::{baseline, checklist, place, subjects, waiver};
use crate::input::{discover, render};
use crate::scan;
use chrono::SecondsFormat;
use std::path::PathBuf;

pub use crate::base::source::STDIN;
pub use crate::config::{parse_now, Options};
pub use crate::engine::policy::load_rules;

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
    let found = discover::files(&roots, &opts.include, &opts.exclude)?;
    let candidates = found.candidates;
    let plan = render::plan(&candidates, &opts.render, opts.limits.max_file_bytes);
    clock.lap("render");
    let results = files::read_all(&candidates, &plan, stdin, &opts.limits);
    let read = files::gather(results, found.skipped, found.errors, &plan);
    let git = scan::git::Scope::of(&candidates, &read.scanned, &roots, opts.git);
    clock.lap("read+parse");

    let now = opts.now.to_rfc3339_opts(SecondsFormat::Secs, true);
    // what waivers need of the documents, taken before the facts consume them
    let texts = files::texts(&read.inputs);
    let collected = waiver::collect(&read.docs, &texts, &opts.waiver_files, &opts.limits);
    let objects: Vec<waiver::ObjectKey> = read.docs.iter().map(waiver::ObjectKey::of).collect();
    let api_versions: Vec<String> = read.docs.iter().map(|d| d.api_version.clone()).collect();
    let mut resources = facts::build_owned(read.docs, opts.now, &opts.pod_security);
    resources.extend(files::scanned_facts(&read.scanned, &read.manifests, &git));
    let (inputs, mut errors) = (read.inputs, read.errors);
    clock.lap("facts");

    let evaluation = evaluate::run(rules, &resources, &now)?;
    clock.lap_per("entity stores+evaluate", resources.len());
    let (mut placed, eval_errors) = place::findings(rules, &resources, &evaluation, &inputs);
    // the objects and the rules that judged them, for `--format policyreport`
    let subjects = subjects::subjects(rules, &resources, &objects, api_versions, &mut placed);
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
        inputs: files::digests(&inputs),
        objects: subjects,
        pod_security: facts::pss::levels(&resources),
        now,
    });
    baseline::settle(&mut report, opts.baseline.as_ref());
    Ok(report)
}
