//! `compliance check` and `compliance baseline`: what to read (shared), where the reports go.

use super::fail;
use crate::base::exit::Exit;
use crate::base::finding::Severity;
use crate::check::{self, Options};
use crate::config;
use crate::input::loader::Limits;
use crate::report;
use crate::report::Form as Format;
use clap::ValueEnum;
use std::io::Read;
use std::path::PathBuf;

/// What to check and how to read it: shared by `check` and `baseline`.
#[derive(clap::Args)]
pub struct InputArgs {
    /// Folders, files, or `-` for standard input.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Evaluation time for date rules (RFC 3339); default: now.
    #[arg(long)]
    now: Option<String>,
    /// Extra policy folder (`*.cedar`); a rule reusing a built-in `@id` replaces it.
    #[arg(long = "policies", value_name = "DIR")]
    policies: Vec<PathBuf>,
    /// Skip files whose path (relative to the checked folder) matches this glob.
    #[arg(long, value_name = "GLOB")]
    exclude: Vec<String>,
    /// Do not ask git which files are tracked (secret files are then judged by .gitignore alone).
    #[arg(long)]
    no_git: bool,
    /// Largest file read, in bytes (standard input included).
    #[arg(long, default_value_t = Limits::default().max_file_bytes)]
    max_file_size: u64,
    /// Most YAML documents read from one file; the rest of the file is reported, not read.
    #[arg(long, default_value_t = Limits::default().max_documents)]
    max_documents: usize,
    /// A file of `Waivers` documents, read from anywhere (repeatable).
    #[arg(long = "waivers", value_name = "FILE")]
    waivers: Vec<PathBuf>,
    /// Read the settings from this file instead of `.compliance.yaml` in the checked folder.
    #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
    config: Option<PathBuf>,
    /// Do not read `.compliance.yaml` (or `.compliance.yml`) from the checked folder.
    #[arg(long)]
    no_config: bool,
    /// The `helm` program that renders charts [default: `helm` on PATH].
    #[arg(long, value_name = "PATH")]
    helm_bin: Option<PathBuf>,
    /// A values file passed to `helm template --values` (repeatable).
    #[arg(long = "helm-values", value_name = "FILE")]
    helm_values: Vec<PathBuf>,
    /// A value passed to `helm template --set` (repeatable).
    #[arg(long = "helm-set", value_name = "K=V")]
    helm_set: Vec<String>,
    /// The release name charts are rendered with [default: release].
    #[arg(long, value_name = "NAME")]
    helm_release: Option<String>,
    /// The namespace charts are rendered into.
    #[arg(long, value_name = "NS")]
    helm_namespace: Option<String>,
    /// Seconds a renderer (helm, kustomize) may run before it is stopped [default: 60].
    #[arg(long, value_name = "SECONDS")]
    render_timeout: Option<u64>,
    /// Do not render Helm charts and Kustomize overlays (each is then reported as not rendered).
    #[arg(long)]
    no_render: bool,
    /// An inventory snapshot (`compliance inventory import`) to compare the declared
    /// inventory with, read from anywhere (repeatable).
    #[arg(long = "inventory-snapshot", value_name = "FILE")]
    inventory_snapshot: Vec<PathBuf>,
    /// Pod Security Standards level of the PSS-* rules for workloads whose namespace has
    /// no `pod-security.kubernetes.io/enforce` label in the checked tree
    /// [default: the configuration's `podSecurity`, else baseline].
    #[arg(long, value_enum, value_name = "LEVEL")]
    pod_security: Option<crate::facts::pss::Level>,
}

impl InputArgs {
    /// The check's options (defaults for what only `check` sets) merged with the
    /// configuration file, the file itself (for what only `check` uses), and standard input.
    fn options(self) -> Result<(Options, Option<config::File>, Option<String>), String> {
        let now = clock(self.now.as_deref()).map_err(|e| e.to_string())?;
        let file = config::locate(&self.paths, self.config.as_deref(), self.no_config).map_err(|e| e.to_string())?;
        let stdin = read_stdin(&self.paths, self.max_file_size)?;
        let mut paths = self.paths;
        // a snapshot is read like any other input file
        paths.extend(self.inventory_snapshot);
        let mut opts = Options {
            exclude: self.exclude,
            policy_dirs: self.policies,
            limits: Limits {
                max_file_bytes: self.max_file_size,
                max_documents: self.max_documents,
                ..Limits::default()
            },
            git: !self.no_git,
            waiver_files: self.waivers,
            ..Options::new(paths, now)
        };
        if let Some(f) = &file {
            f.apply_to(&mut opts);
        }
        // flags add to the configuration's lists and override its scalars
        let r = &mut opts.render;
        r.helm_values.extend(self.helm_values);
        r.helm_set.extend(self.helm_set);
        r.helm_bin = self.helm_bin.or(r.helm_bin.take());
        r.release = self.helm_release.unwrap_or(std::mem::take(&mut r.release));
        r.namespace = self.helm_namespace.or(r.namespace.take());
        if let Some(s) = self.render_timeout {
            r.timeout = std::time::Duration::from_secs(s);
        }
        r.enabled &= !self.no_render;
        if let Some(level) = self.pod_security {
            opts.pod_security.default = level;
            opts.pod_security.source = "`--pod-security`".to_string();
        }
        Ok((opts, file, stdin))
    }
}

#[derive(clap::Args)]
pub struct CheckArgs {
    #[command(flatten)]
    input: InputArgs,
    /// Report format [default: the configuration's `output.format`, else text].
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Write the report to this file instead of standard output.
    #[arg(long, short)]
    output: Option<PathBuf>,
    /// Also write every form of the report into this folder (created if missing):
    /// report.json, report.md, report.html, report.sarif, report.junit.xml,
    /// report.policyreport.yaml
    /// [default: the configuration's `output.dir`].
    #[arg(long, value_name = "DIR")]
    output_dir: Option<PathBuf>,
    /// Exit 1 when a finding is at or above this severity [default: the configuration's
    /// `failOn`, else high].
    #[arg(long, value_enum)]
    fail_on: Option<Severity>,
    /// Fail only on findings whose fingerprint is not in this baseline (see `compliance baseline`).
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// Text report: list at most N findings, with the totals and per-rule counts printed
    /// first (the other formats and the exit status always count all) [default: all].
    #[arg(long, value_name = "N")]
    max_findings: Option<usize>,
    /// Every format: list at most N findings of one rule in one file, then one "…and M
    /// more" entry (counted in `summary.omitted`); 0 lists all. The exit status, totals
    /// and checklist count all.
    #[arg(long, value_name = "N", default_value_t = report::cap::DEFAULT_PER_FILE_AND_RULE)]
    max_findings_per_rule: usize,
}

#[derive(clap::Args)]
pub struct BaselineArgs {
    #[command(flatten)]
    input: InputArgs,
    /// The baseline file to write.
    #[arg(long, short, value_name = "FILE")]
    output: PathBuf,
}

/// The command line for the audit trail: the program by name (so that it does not depend
/// on where it is installed), and `--helm-set` values masked (they may be secrets).
fn audit_command_line(args: impl Iterator<Item = String>) -> Vec<String> {
    let mask = |expr: &str| match expr.split_once('=') {
        Some((k, _)) => format!("{k}=…"),
        None => expr.to_string(),
    };
    let mut out: Vec<String> = Vec::new();
    for (i, a) in args.enumerate() {
        let after_set = out.last().is_some_and(|p| p == "--helm-set");
        out.push(if i == 0 {
            "compliance".to_string()
        } else if after_set {
            mask(&a)
        } else if let Some(e) = a.strip_prefix("--helm-set=") {
            format!("--helm-set={}", mask(e))
        } else {
            a
        });
    }
    out
}

pub fn run(a: CheckArgs) -> Exit {
    let baseline = match a.baseline.as_deref().map(crate::findings::baseline::read).transpose() {
        Ok(b) => b,
        Err(e) => return fail(e),
    };
    let (mut opts, file, stdin) = match a.input.options() {
        Ok(o) => o,
        Err(e) => return fail(e),
    };
    // a flag overrides the configuration, which overrides the default
    let file = file.as_ref();
    let format = match output_format(a.format, file) {
        Ok(f) => f,
        Err(e) => return fail(e),
    };
    let output_dir = match output_dir(a.output_dir, file) {
        Ok(d) => d,
        Err(e) => return fail(e),
    };
    // the reports this run writes are not checked: in a checked folder, the next run would
    // find again what they quote
    opts.exclude.extend(report::outputs::excludes(
        &opts.paths,
        output_dir.as_deref(),
        a.output.as_deref(),
    ));
    opts.fail_on = a.fail_on.or(file.and_then(|f| f.fail_on)).unwrap_or(Severity::High);
    opts.baseline = baseline;
    // the program by name, so that the audit trail does not depend on where it is installed
    opts.command_line = audit_command_line(std::env::args_os().map(|a| a.to_string_lossy().into_owned()));
    // loaded once, here: SARIF and JUnit list every rule
    let rules = match opts.load_rules() {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    let mut rep = match check::run_with_rules(&opts, stdin, &rules) {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    rep.text_max_findings = a.max_findings;
    report::cap::apply(&mut rep, a.max_findings_per_rule);
    match write_reports(&rep, &rules, format, output_dir.as_deref(), a.output.as_deref()) {
        Ok(()) => rep.exit(),
        Err(e) => fail(e),
    }
}

/// `--format`, else the configuration's `output.format`, else text.
fn output_format(flag: Option<Format>, file: Option<&config::File>) -> Result<Format, String> {
    match (flag, file.and_then(|f| f.format.as_deref())) {
        (Some(f), _) => Ok(f),
        (None, Some(name)) => {
            Format::from_str(name, false).map_err(|_| format!("unknown `output.format` `{name}` in the configuration"))
        }
        (None, None) => Ok(Format::Text),
    }
}

/// `--output-dir`, else the configuration's `output.dir`: a repository's configuration
/// names a folder inside the checked folder, never a symbolic link, because a pull request
/// must not choose where the reports are written.
fn output_dir(flag: Option<PathBuf>, file: Option<&config::File>) -> crate::Result<Option<PathBuf>> {
    let Some((f, dir)) = file.and_then(|f| f.output_dir.as_ref().map(|d| (f, d))) else {
        return Ok(flag);
    };
    if flag.is_some() {
        return Ok(flag);
    }
    let base = f.path.parent().unwrap_or(std::path::Path::new(""));
    match dir.strip_prefix(base) {
        Ok(rel) => crate::base::atomic::refuse_outside(base, rel)?,
        Err(_) => {
            return Err(crate::Error::Outside {
                path: dir.display().to_string(),
            })
        }
    };
    Ok(Some(dir.clone()))
}

/// Every form into `dir`, when given, and the chosen one to `output` or standard output.
fn write_reports(
    rep: &report::Report,
    rules: &crate::engine::policy::RuleSet,
    format: Format,
    dir: Option<&std::path::Path>,
    output: Option<&std::path::Path>,
) -> crate::Result<()> {
    if let Some(dir) = dir {
        report::outputs::write_all(dir, rep, rules)?;
    }
    match output {
        Some(path) => crate::base::atomic::write_file(path, |out| {
            report::write(format, rep, rules, &path.display().to_string(), out)
        }),
        None => report::write(
            format,
            rep,
            rules,
            "standard output",
            &mut std::io::BufWriter::new(std::io::stdout().lock()),
        ),
    }
}

/// `--now`, or the current time.
pub(super) fn clock(now: Option<&str>) -> crate::Result<chrono::DateTime<chrono::Utc>> {
    Ok(now.map(check::parse_now).transpose()?.unwrap_or_else(chrono::Utc::now))
}

/// Standard input, when one of the paths is `-`: at most `max` bytes.
fn read_stdin(paths: &[PathBuf], max: u64) -> Result<Option<String>, String> {
    if !paths.iter().any(|p| p.as_os_str() == "-") {
        return Ok(None);
    }
    let mut s = String::new();
    std::io::stdin()
        .take(max.saturating_add(1))
        .read_to_string(&mut s)
        .map_err(|e| format!("cannot read standard input: {e}"))?;
    if s.len() as u64 > max {
        return Err(format!(
            "standard input is over the {max}-byte limit (--max-file-size): not read"
        ));
    }
    Ok(Some(s))
}

pub fn baseline(a: BaselineArgs) -> Exit {
    let (opts, _, stdin) = match a.input.options() {
        Ok(o) => o,
        Err(e) => return fail(e),
    };
    let rep = match check::run(&opts, stdin) {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    // a baseline of a partly read folder would hide what the unread files hold
    if !rep.errors.is_empty() {
        for e in &rep.errors {
            let at = match (e.line, e.column) {
                (Some(l), Some(c)) => format!("{}:{l}:{c}", e.file),
                (Some(l), None) => format!("{}:{l}", e.file),
                _ => e.file.clone(),
            };
            eprintln!("error: {at}: {}", e.message);
        }
        return fail(format!(
            "{} input error{}: baseline not written",
            rep.errors.len(),
            if rep.errors.len() == 1 { "" } else { "s" }
        ));
    }
    let text = crate::findings::baseline::render(&rep);
    if let Err(e) = crate::base::atomic::write_bytes(&a.output, text.as_bytes()) {
        return fail(e);
    }
    eprintln!(
        "baseline: {} finding{} recorded in {}",
        rep.findings.len(),
        if rep.findings.len() == 1 { "" } else { "s" },
        a.output.display()
    );
    Exit::Pass
}
