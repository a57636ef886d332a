//! The pipeline of `compliance check`, as one sentence: discover the files, render charts
//! and overlays, read each file (load manifests, scan sources), build facts, evaluate the
//! rules and place the findings (part by part, see [`stream`]), apply waivers, roll up
//! the checklist, assemble the report.
//! Each step lives in its stage's folder; this file only composes them.

mod documents;
mod files;
mod stream;

pub use documents::{evaluate_documents, evaluate_documents_with, evaluate_selected};

use crate::base::{error::Result, timings::Timings};
use crate::engine::policy::RuleSet;
use crate::findings::outcome::{Parts, Report};
use crate::findings::{baseline, checklist, waiver};
use crate::input::{discover, render};
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
    run_in_parts(opts, stdin, rules, stream::PART_FILES)
}

/// [`run_with_rules`] reading `part_files` files at a time: the report is the same for any
/// part size (a test holds them to it), only time and memory differ.
pub(crate) fn run_in_parts(
    opts: &Options,
    stdin: Option<String>,
    rules: &RuleSet,
    part_files: usize,
) -> Result<Report> {
    let mut clock = Timings::new();
    let roots: Vec<PathBuf> = opts.paths.iter().filter(|p| p.as_os_str() != "-").cloned().collect();
    let found = discover::files(&roots, &opts.include, &opts.exclude)?;
    let candidates = found.candidates;
    let plan = render::plan(&candidates, &opts.render, opts.limits.max_file_bytes);
    clock.lap("render");
    let files = files::Files::new(&candidates, &plan, stdin, &opts.limits);
    let read = files::Gathered::new(found.skipped, found.errors, &plan);
    let streamed = stream::run(opts, rules, (&files, read, &roots), part_files, &mut clock)?;
    let (read, judged, objects) = (streamed.read, streamed.judged, streamed.objects);

    // waivers, then the baseline: a waived finding is neither listed nor baselined
    let collected = waiver::finish(streamed.waivers, &opts.waiver_files, &opts.limits);
    let mut errors = read.errors;
    errors.extend(judged.errors.into_iter().chain(collected.errors));
    let waiving = waiver::apply(judged.findings, &objects, &collected.waivers, opts.now.date_naive());
    let (mut findings, waived, waivers) = (waiving.findings, waiving.waived, waiving.waivers);
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    errors.sort();
    errors.dedup();

    let errored = judged.errored.iter().map(String::as_str).collect();
    let checklist = checklist::roll_up(rules, judged.evidence, &findings, &errored, &plan.unread);
    let mut pod_security = judged.levels;
    pod_security.sort();
    pod_security.dedup();
    let mut report = Report::assemble(Parts {
        roots: opts.paths.iter().map(|p| p.display().to_string()).collect(),
        files_read: read.files_read,
        documents: read.documents,
        resources: objects.len(),
        entities: judged.entities,
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
        inputs: files::digests(&read.inputs),
        objects: judged.judging.subjects(&objects, streamed.api_versions),
        pod_security,
        now: opts.now.to_rfc3339_opts(SecondsFormat::Secs, true),
    });
    baseline::settle(&mut report, opts.baseline.as_ref());
    clock.lap("waivers+checklist+report");
    Ok(report)
}
