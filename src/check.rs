//! The pipeline of `compliance check`: discover -> load -> facts -> entities -> evaluate
//! -> findings (with exact positions) -> checklist -> report.

use crate::checklist;
use crate::discover;
use crate::engine::{self, Evaluation};
use crate::error::{Error, Result};
use crate::facts;
use crate::finding::{Finding, InputError, Severity};
use crate::loader::{self, Document, Limits};
use crate::mask;
use crate::model::{Attr, Resource};
use crate::policy::{self, RuleSet};
use crate::position;
use crate::render::{self, Role};
use crate::report::{Audit, BySeverity, InputDigest, Report, Summary, Tool};
use crate::scan;
use crate::source::Pos;
use crate::waiver;
use chrono::{DateTime, SecondsFormat, Utc};
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// The name standard input is reported under.
pub const STDIN: &str = "<stdin>";

#[derive(Debug, Clone)]
pub struct Options {
    /// Folders or files; `-` reads standard input.
    pub paths: Vec<PathBuf>,
    /// When not empty, only files under a checked folder that match one of these globs
    /// are read (the configuration's `include`).
    pub include: Vec<String>,
    pub exclude: Vec<String>,
    pub policy_dirs: Vec<PathBuf>,
    pub now: DateTime<Utc>,
    pub fail_on: Severity,
    pub limits: Limits,
    /// Ask git which files are tracked (data-driven cases switch it off: a case is a
    /// folder, whatever repository it sits in).
    pub git: bool,
    /// The command line, recorded in the report's audit trail.
    pub command_line: Vec<String>,
    /// `--waivers` files: `Waivers` documents read from anywhere.
    pub waiver_files: Vec<PathBuf>,
    /// `--baseline`: findings in it are listed but do not fail the run.
    pub baseline: Option<crate::baseline::Baseline>,
    /// Rules disabled and severities changed by the configuration file.
    pub rule_settings: crate::config::RuleSettings,
    /// The configuration file read, for the audit trail.
    pub config: Option<InputDigest>,
    /// How Helm charts and Kustomize overlays are rendered.
    pub render: crate::render::Settings,
}

impl Options {
    /// Defaults for everything but what to check and when.
    pub fn new(paths: Vec<PathBuf>, now: DateTime<Utc>) -> Self {
        Options {
            paths,
            include: Vec::new(),
            exclude: Vec::new(),
            policy_dirs: Vec::new(),
            now,
            fail_on: Severity::High,
            limits: Limits::default(),
            git: true,
            command_line: Vec::new(),
            waiver_files: Vec::new(),
            baseline: None,
            rule_settings: crate::config::RuleSettings::default(),
            config: None,
            render: crate::render::Settings::default(),
        }
    }

    /// The rules of this run: built-in, `policy_dirs`, then the configuration's rule settings.
    pub fn load_rules(&self) -> Result<RuleSet> {
        self.rule_settings.apply(load_rules(&self.policy_dirs)?)
    }
}

/// Parses `--now`.
pub fn parse_now(s: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|d| d.with_timezone(&Utc))
        .map_err(|_| Error::BadNow(s.to_string()))
}

/// Loads the built-in rules and those of `dirs`.
pub fn load_rules(dirs: &[PathBuf]) -> Result<RuleSet> {
    let mut clock = Timings::new();
    let mut extra = Vec::new();
    for d in dirs {
        extra.extend(policy::read_dir(d).map_err(|e| Error::Policies(vec![e]))?);
    }
    let rules = policy::load(&extra).map_err(Error::Policies);
    clock.lap("rules");
    rules
}

/// One input file, read.
struct Input {
    display: String,
    /// Kept for manifests: findings are placed by a second read of the text.
    text: Option<String>,
    /// SHA-256 and size of what was read, for the audit trail.
    digest: Option<(String, u64)>,
    /// Rendered output (of a chart's template, of an overlay's resource): from where.
    rendered: Option<crate::render::Provenance>,
}

fn sha256(bytes: &[u8]) -> (String, u64) {
    use sha2::{Digest, Sha256};
    (crate::report::hex(&Sha256::digest(bytes)), bytes.len() as u64)
}

/// Why a file was not read.
enum Unread {
    /// Reported for every file.
    Error(InputError),
    /// Reported for manifests; other files (assets, binaries) are skipped with a note.
    /// Holds what could be read as text, to tell a manifest from another file.
    NotText(InputError, Option<String>),
    /// Text that is not UTF-8 (one Latin-1 byte): an error for a manifest, but a source
    /// file is scanned as read lossily, so that the byte cannot hide a key.
    NotUtf8(InputError, String, (String, u64)),
}

fn read(c: &discover::Candidate, limits: &Limits) -> std::result::Result<(String, (String, u64)), Unread> {
    use crate::guard::{read_file, Contents};
    let bytes = match read_file(&c.path, limits.max_file_bytes) {
        Ok(Contents::Bytes(b)) => b,
        Ok(Contents::TooLarge(size)) => {
            // an input error, not a note: padding a file past the cap must not hide a key
            // in it and let the run pass
            return Err(Unread::Error(InputError::new(
                &c.display,
                None,
                format!(
                    "file is {size} bytes, over the {}-byte limit (--max-file-size): not read, so not checked; raise the limit or exclude the file (--exclude) if it holds no secret",
                    limits.max_file_bytes
                ),
            )));
        }
        Ok(Contents::NotAFile) => {
            return Err(Unread::Error(InputError::new(
                &c.display,
                None,
                "not a regular file (a FIFO, socket or device): not read",
            )))
        }
        Err(e) => {
            return Err(Unread::Error(InputError::new(
                &c.display,
                None,
                format!("cannot read: {e}"),
            )))
        }
    };
    if let Some(text) = utf16_text(&bytes) {
        return Ok((text, sha256(&bytes)));
    }
    if crate::guard::is_binary(&bytes) {
        // UTF-16 text is all NUL bytes to us: its letters still tell a manifest
        let letters: Vec<u8> = bytes.iter().copied().filter(|&b| b != 0).collect();
        return Err(Unread::NotText(
            InputError::new(&c.display, None, "binary file (NUL bytes): not read"),
            Some(String::from_utf8_lossy(&letters).into_owned()),
        ));
    }
    let digest = sha256(&bytes);
    String::from_utf8(bytes).map(|t| (t, digest.clone())).map_err(|e| {
        let error = loader::utf8_error(&c.display, e.as_bytes(), &e.utf8_error());
        Unread::NotUtf8(error, String::from_utf8_lossy(e.as_bytes()).into_owned(), digest)
    })
}

/// UTF-16 text with a byte-order mark, as kubectl reads it (it transcodes such files to
/// UTF-8 before parsing); `None` for anything else, or for UTF-16 that does not decode.
fn utf16_text(bytes: &[u8]) -> Option<String> {
    let little = match bytes {
        [0xFF, 0xFE, ..] => true,
        [0xFE, 0xFF, ..] => false,
        _ => return None,
    };
    let body = &bytes[2..];
    if body.len() % 2 != 0 {
        return None;
    }
    let units = body.chunks_exact(2).map(|p| {
        let pair = [p[0], p[1]];
        if little {
            u16::from_le_bytes(pair)
        } else {
            u16::from_be_bytes(pair)
        }
    });
    char::decode_utf16(units).collect::<Result<String, _>>().ok()
}

/// What reading one file gave: its parsed manifests, or its scan, or why it was skipped.
struct FileResult {
    input: Input,
    loaded: loader::Loaded,
    scanned: Option<scan::Scanned>,
    /// Holds Kubernetes objects (or our kinds): the manifest rules judge its content.
    manifest: bool,
    /// Not read, and why (a note, not an error).
    skipped: Option<InputError>,
}

fn read_one(i: usize, c: &discover::Candidate, limits: &Limits, role: Option<Role>) -> FileResult {
    // a chart's template or an overlay's resource is judged through the rendered objects,
    // a kustomize patch is not an object: neither is loaded itself
    let is_manifest = loader::is_manifest_path(&c.display) && role.is_none();
    let mut out = FileResult {
        input: Input {
            display: c.display.clone(),
            text: None,
            digest: None,
            rendered: None,
        },
        loaded: loader::Loaded::default(),
        scanned: None,
        manifest: false,
        skipped: None,
    };
    let text = match read(c, limits) {
        Ok((t, digest)) => {
            out.input.digest = Some(digest);
            t
        }
        Err(Unread::Error(e)) => {
            out.loaded = loader::Loaded::failed(e);
            return out;
        }
        Err(Unread::NotUtf8(e, lossy, _)) if is_manifest && loader::looks_like_manifest(&lossy) => {
            out.loaded = loader::Loaded::failed(e);
            return out;
        }
        Err(Unread::NotUtf8(_, lossy, digest)) => {
            out.input.digest = Some(digest);
            let mut scanned = scan::scan_file(i, &c.display, &c.path, Some(&lossy));
            out.loaded.errors.extend(scanned.truncated.take());
            out.scanned = Some(scanned);
            return out;
        }
        Err(Unread::NotText(e, text)) => {
            // a manifest that cannot be read is an input error, any other file a note; a
            // file not read at all (too large) is taken for what its name says
            if is_manifest && text.as_deref().is_none_or(loader::looks_like_manifest) {
                out.loaded = loader::Loaded::failed(e);
            } else {
                out.skipped = Some(e);
            }
            return out;
        }
    };
    if is_manifest {
        out.loaded = loader::load_text(i, &c.display, &text, limits);
        // a `.json`/`.yaml` that is not a manifest and does not parse (tsconfig.json with
        // comments, a broken tool config) is scanned as text below, like any source file
        if !out.loaded.errors.is_empty() && !out.loaded.kubernetes && !loader::looks_like_manifest(&text) {
            out.loaded = loader::Loaded::default();
        }
        out.manifest = !out.loaded.docs.is_empty() || !out.loaded.errors.is_empty();
    }
    if role == Some(Role::Rendered) {
        // its content is checked as rendered; scanned like a manifest (secret files only)
        out.scanned = Some(scan::scan_file(i, &c.display, &c.path, None));
        out.manifest = true;
        return out;
    }
    if out.manifest {
        out.scanned = Some(scan::scan_file(i, &c.display, &c.path, None));
        out.input.text = Some(text);
    } else {
        let mut scanned = scan::scan_file(i, &c.display, &c.path, Some(&text));
        out.loaded.errors.extend(scanned.truncated.take());
        out.scanned = Some(scanned);
    }
    out
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
    let exclude = discover::excludes(&opts.exclude)?;
    let include = (!opts.include.is_empty())
        .then(|| discover::excludes(&opts.include))
        .transpose()?;
    let roots: Vec<PathBuf> = opts.paths.iter().filter(|p| p.as_os_str() != "-").cloned().collect();
    let (candidates, skipped) = discover::discover_matching(&roots, include.as_ref(), &exclude);
    // a broken link where a source file would be is not an input error: nothing is there
    let (notes, skipped): (Vec<_>, Vec<_>) = skipped
        .into_iter()
        .partition(|(f, m)| m.starts_with(discover::BROKEN_LINK) && !loader::is_manifest_path(f));
    let mut errors: Vec<InputError> = skipped.into_iter().map(|(f, m)| InputError::new(&f, None, m)).collect();
    let plan = render::plan(&candidates, &opts.render, opts.limits.max_file_bytes);
    clock.lap("render");

    // read, parse and scan in parallel; file indexes follow the sorted order
    let mut results: Vec<FileResult> = candidates
        .par_iter()
        .enumerate()
        .map(|(i, c)| read_one(i, c, &opts.limits, plan.role(&c.display)))
        .collect();
    // rendered objects: one input per source file, after the files read
    let first = results.len();
    let rendered: Vec<FileResult> = plan
        .outputs
        .par_iter()
        .enumerate()
        .map(|(n, o)| FileResult {
            loaded: loader::load_text(first + n, &o.display, &o.text, &opts.limits),
            input: Input {
                display: o.display.clone(),
                text: Some(o.text.clone()),
                digest: None,
                rendered: Some(o.provenance.clone()),
            },
            scanned: None,
            manifest: true,
            skipped: None,
        })
        .collect();
    results.extend(rendered);
    errors.extend(plan.errors.iter().cloned());
    if let Some(text) = stdin {
        let loaded = loader::load_text(results.len(), STDIN, &text, &opts.limits);
        results.push(FileResult {
            input: Input {
                display: STDIN.to_string(),
                digest: Some(sha256(text.as_bytes())),
                text: Some(text),
                rendered: None,
            },
            loaded,
            scanned: None,
            manifest: true,
            skipped: None,
        });
    }

    let mut inputs = Vec::with_capacity(results.len());
    let mut docs: Vec<Document> = Vec::new();
    let mut scanned = Vec::new();
    let mut manifests = std::collections::HashSet::new();
    let (mut documents, mut files_read) = (0, 0);
    let mut skipped_files: Vec<crate::report::Skipped> = notes
        .into_iter()
        .map(|(file, reason)| crate::report::Skipped { file, reason })
        .chain(plan.notes.iter().map(|n| crate::report::Skipped {
            file: n.file.clone(),
            reason: n.message.clone(),
        }))
        .collect();
    for (i, r) in results.into_iter().enumerate() {
        if let Some(note) = r.skipped {
            skipped_files.push(crate::report::Skipped {
                file: note.file,
                reason: note.message,
            });
        } else if r.input.rendered.is_none() && (r.input.text.is_some() || r.scanned.is_some()) {
            files_read += 1;
        }
        if r.manifest {
            manifests.insert(i);
        }
        documents += r.loaded.documents;
        docs.extend(r.loaded.docs);
        errors.extend(r.loaded.errors);
        scanned.extend(r.scanned);
        inputs.push(r.input);
    }
    let mut gitignores: Vec<PathBuf> = candidates
        .iter()
        .filter(|c| c.path.file_name().is_some_and(|n| n == ".gitignore"))
        .map(|c| c.path.clone())
        .collect();
    // git reads every `.gitignore` above a secret file, whatever `include`/`exclude` say
    for s in scanned.iter().filter(|s| s.secret_file) {
        let Some(root) = roots.iter().find(|r| s.path.starts_with(r)) else {
            continue;
        };
        for dir in s.path.ancestors().skip(1).take_while(|d| d.starts_with(root)) {
            let g = dir.join(".gitignore");
            if !gitignores.contains(&g) && g.is_file() {
                gitignores.push(g);
            }
        }
    }
    let ignores = scan::git::Ignores::load(&gitignores, &roots);
    // git is asked only when there is a secret file to ask about
    let tracked = if opts.git && scanned.iter().any(|s| s.secret_file) {
        scan::git::tracked(&roots)
    } else {
        None
    };

    clock.lap("read+parse");
    let now = opts.now.to_rfc3339_opts(SecondsFormat::Secs, true);
    let mut resources = facts::build(&docs, opts.now);
    resources.extend(scan::resources(&scanned, &manifests, &ignores, tracked.as_ref()));
    // what waivers need of the documents; the documents themselves go before the entity
    // store is built, so that the two never take memory at the same time
    let texts: Vec<(&str, Option<&str>)> = inputs.iter().map(|i| (i.display.as_str(), i.text.as_deref())).collect();
    let collected = waiver::collect(&docs, &texts, &opts.waiver_files, &opts.limits);
    let objects: Vec<waiver::ObjectKey> = docs.iter().map(waiver::ObjectKey::of).collect();
    drop(docs);
    clock.lap("facts");
    let evaluation = engine::evaluate_all(rules, &resources, &now).map_err(|m| Error::Policy {
        file: "(entities)".into(),
        message: m,
    })?;
    clock.lap_per("entity stores+evaluate", resources.len());
    let (placed, eval_errors) = findings(rules, &resources, &evaluation, &inputs);
    clock.lap("findings+positions");
    errors.extend(eval_errors);
    // waivers, then the baseline: a waived finding is neither listed nor baselined
    errors.extend(collected.errors);
    let waiving = waiver::apply(placed, &resources, &objects, &collected.waivers, opts.now.date_naive());
    let (mut findings, waived, waivers) = (waiving.findings, waiving.waived, waiving.waivers);
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    errors.sort();
    errors.dedup();

    let errored: std::collections::BTreeSet<&str> = evaluation.errors.iter().map(|e| e.rule.as_str()).collect();
    let checklist = checklist::roll_up(rules, &resources, &findings, &errored, &plan.unread);
    let roots = opts.paths.iter().map(|p| p.display().to_string()).collect();
    let mut report = Report {
        tool: Tool::default(),
        now: now.clone(),
        roots,
        summary: Summary {
            files: files_read,
            skipped: skipped_files.len(),
            documents,
            resources: objects.len(),
            entities: resources.len(),
            findings: findings.len(),
            errors: errors.len(),
            waived: waived.len(),
            by_severity: BySeverity::count(&findings),
            fail_on: opts.fail_on,
            failed: false,
            omitted: 0,
            max_findings_per_rule: None,
        },
        checklist,
        findings,
        errors,
        skipped: skipped_files,
        waived,
        waivers,
        baseline: None,
        audit: Audit {
            tool: format!("{} {}", env!("CARGO_PKG_NAME"), env!("CARGO_PKG_VERSION")),
            evaluated_at: now.clone(),
            command_line: opts.command_line.clone(),
            policy_set_sha256: rules.digest.clone(),
            rules: rules.rules.len(),
            config: opts.config.clone(),
            disabled_rules: rules
                .disabled
                .iter()
                .map(|r| crate::report::RuleRef {
                    rule: r.id.clone(),
                    title: r.title.clone(),
                })
                .collect(),
            severity_overrides: rules.overrides.clone(),
            inputs: inputs
                .iter()
                .filter_map(|i| {
                    let (sha256, bytes) = i.digest.clone()?;
                    Some(InputDigest {
                        file: i.display.clone(),
                        sha256,
                        bytes,
                    })
                })
                .collect(),
        },
        text_max_findings: None,
    };
    // the output boundary: every field masked once, here, so that every format, the
    // baseline file and the fingerprints' inputs agree
    crate::report::fields::mask(&mut report);
    report.baseline = opts
        .baseline
        .as_ref()
        .map(|b| b.apply(&mut report.findings, &report.waived));
    report.summary.failed = report
        .findings
        .iter()
        .any(|f| !f.baseline && f.severity.at_least(opts.fail_on));
    Ok(report)
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
    let evaluation = engine::evaluate_all(rules, &resources, &stamp).map_err(|m| Error::Policy {
        file: "(entities)".into(),
        message: m,
    })?;
    let inputs: Vec<Input> = names
        .iter()
        .map(|n| Input {
            display: n.clone(),
            text: None,
            digest: None,
            rendered: None,
        })
        .collect();
    let (placed, errors) = findings(rules, &resources, &evaluation, &inputs);
    let mut findings: Vec<Finding> = placed.into_iter().map(|(f, _)| f).collect();
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    Ok((findings, errors))
}

/// [`evaluate_documents`] that frees the documents once their entities are built and lets
/// `select` choose, from the whole evaluation, the hits and errors turned into findings (the
/// webhook counts them all but builds only the few it lists).
pub fn evaluate_selected(
    rules: &RuleSet,
    docs: Vec<Document>,
    names: &[String],
    now: DateTime<Utc>,
    select: impl FnOnce(&RuleSet, &mut Evaluation),
) -> Result<(Vec<Finding>, Vec<InputError>)> {
    let mut clock = Timings::new();
    clock.lap("loaded");
    let stamp = now.to_rfc3339_opts(SecondsFormat::Secs, true);
    let resources = facts::build(&docs, now);
    drop(docs);
    clock.lap("facts");
    let mut evaluation = engine::evaluate_all(rules, &resources, &stamp).map_err(|m| Error::Policy {
        file: "(entities)".into(),
        message: m,
    })?;
    clock.lap_per("entity stores+evaluate", resources.len());
    select(rules, &mut evaluation);
    let inputs: Vec<Input> = names
        .iter()
        .map(|n| Input {
            display: n.clone(),
            text: None,
            digest: None,
            rendered: None,
        })
        .collect();
    let (placed, errors) = findings(rules, &resources, &evaluation, &inputs);
    clock.lap("findings");
    let mut findings: Vec<Finding> = placed.into_iter().map(|(f, _)| f).collect();
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    Ok((findings, errors))
}

/// Stage timings on stderr when `COMPLIANCE_TIMINGS` is set (for benchmarks).
struct Timings {
    on: bool,
    last: std::time::Instant,
}

impl Timings {
    fn new() -> Self {
        Timings {
            on: std::env::var_os("COMPLIANCE_TIMINGS").is_some(),
            last: std::time::Instant::now(),
        }
    }

    fn lap(&mut self, stage: &str) {
        self.lap_per(stage, 0);
    }

    fn lap_per(&mut self, stage: &str, items: usize) {
        let now = std::time::Instant::now();
        let took = now - self.last;
        self.last = now;
        if self.on {
            let per = if items > 0 {
                format!(
                    " ({items} entities, {:.2} µs each)",
                    took.as_secs_f64() * 1e6 / items as f64
                )
            } else {
                String::new()
            };
            eprintln!(
                "timing {stage}: {:.1} ms{per}, {} MiB resident",
                took.as_secs_f64() * 1e3,
                resident_mib()
            );
        }
    }
}

/// The process's resident memory now, from /proc (0 where there is none).
fn resident_mib() -> u64 {
    let pages = std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1).and_then(|v| v.parse::<u64>().ok()))
        .unwrap_or(0);
    pages * 4096 / (1024 * 1024)
}

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
    mask::redact_text(&out)
}

/// The confidence of `rule`'s finding on `r` in `file`: the entity's `confidence` for
/// source-scanner matches and for rules about secrets (where it judges the value), else
/// high; a secret in documentation, examples or tests is low (made for them, most often).
fn confidence(rule: &crate::policy::Rule, r: &Resource, file: &str) -> crate::finding::Confidence {
    use crate::finding::Confidence;
    let applies = r.kind == crate::model::Kind::SourceMatch || rule.category == "secrets";
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
fn findings(
    rules: &RuleSet,
    resources: &[Resource],
    eval: &Evaluation,
    inputs: &[Input],
) -> (Vec<(Finding, usize)>, Vec<InputError>) {
    // which (document, path) positions each file needs
    let mut wanted: BTreeMap<usize, Vec<(usize, String)>> = BTreeMap::new();
    let place = |r: &Resource, field: Option<&str>| r.place(field);
    // things the source scanner found know their position already
    for h in eval.hits.iter().filter(|h| resources[h.resource].loc.pos.is_none()) {
        let r = &resources[h.resource];
        let (f, d, p) = place(r, rules.rules.get(&h.rule).and_then(|x| x.field.as_deref()));
        wanted.entry(f).or_default().push((d, p));
    }
    for e in eval.errors.iter().filter(|e| resources[e.resource].loc.pos.is_none()) {
        let r = &resources[e.resource];
        wanted
            .entry(r.loc.file)
            .or_default()
            .push((r.loc.doc, r.loc.path.clone()));
    }
    let positions: BTreeMap<(usize, usize, String), Pos> = wanted
        .into_par_iter()
        .flat_map_iter(|(file, places)| {
            let docs = inputs
                .get(file)
                .and_then(|i| i.text.as_deref())
                .map(|t| position::index_documents(crate::source::strip_bom(t)))
                .unwrap_or_default();
            places
                .into_iter()
                .map(|(d, p)| {
                    let pos = docs.get(d).map_or(Pos::START, |doc| position::lookup(doc, &p));
                    ((file, d, p), pos)
                })
                .collect::<Vec<_>>()
        })
        .collect();
    let file_name = |i: usize| inputs.get(i).map_or_else(String::new, |x| x.display.clone());

    // a large run has a finding for every few entities, each a dozen owned strings
    let findings = eval
        .hits
        .par_iter()
        .filter_map(|h| {
            let rule = rules.rules.get(&h.rule)?;
            let r = &resources[h.resource];
            let key = place(r, rule.field.as_deref());
            let pos = r.loc.pos.or_else(|| positions.get(&key).copied()).unwrap_or(Pos::START);
            let confidence = confidence(rule, r, &file_name(key.0));
            let finding = Finding {
                rule: rule.id.clone(),
                severity: confidence.adjust(rule.severity),
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
                rendered: inputs.get(r.loc.file).and_then(|i| i.rendered.clone()),
                identity: r.identity.clone(),
            };
            Some((finding, h.resource))
        })
        .collect();
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
