//! The `compliance` command: parses arguments and dispatches to the library.

use clap::{Parser, Subcommand, ValueEnum};
use compliance::check::{self, Options};
use compliance::finding::Severity;
use compliance::loader::Limits;
use compliance::report;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "compliance",
    version,
    about = "Check Kubernetes manifests, API-key inventories and retention settings against Cedar policies"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check folders or files (`-` reads standard input) and report.
    Check(CheckArgs),
    /// List the rules: built-in ones and those of `--policies` folders.
    Rules(RulesArgs),
    /// Record the current findings' fingerprints in a baseline file: `check --baseline
    /// FILE` then fails only on findings that are not in it.
    Baseline(BaselineArgs),
    /// Serve the object-scoped rules as a Kubernetes validating admission webhook (HTTPS).
    Webhook(WebhookArgs),
}

#[derive(clap::Args)]
struct WebhookArgs {
    /// Address to listen on.
    #[arg(long, default_value = "0.0.0.0:8443")]
    listen: std::net::SocketAddr,
    /// PEM certificate chain served to the API server.
    #[arg(long, value_name = "FILE")]
    tls_cert: PathBuf,
    /// PEM private key of the certificate.
    #[arg(long, value_name = "FILE")]
    tls_key: PathBuf,
    /// Extra policy folder (`*.cedar`); only rules with `@scope("object")` are served.
    #[arg(long = "policies", value_name = "DIR")]
    policies: Vec<PathBuf>,
    /// What a violation does: deny the request, allow it with warnings, or only log it.
    #[arg(long, value_enum, default_value = "deny")]
    mode: compliance::webhook::Mode,
    /// Allow requests in this namespace without evaluation (repeatable; default:
    /// kube-system and the webhook's own, from the POD_NAMESPACE environment variable).
    #[arg(long = "exclude-namespace", value_name = "NS")]
    exclude_namespace: Vec<String>,
}

#[derive(Clone, Copy, ValueEnum)]
enum RulesFormat {
    Table,
    Json,
    Markdown,
}

#[derive(clap::Args)]
struct RulesArgs {
    #[arg(long, value_enum, default_value = "table")]
    format: RulesFormat,
    /// Extra policy folder (`*.cedar`).
    #[arg(long = "policies", value_name = "DIR")]
    policies: Vec<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Text,
    Json,
    Markdown,
    Html,
    Sarif,
    Junit,
}

/// What to check and how to read it: shared by `check` and `baseline`.
#[derive(clap::Args)]
struct InputArgs {
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
}

impl InputArgs {
    /// The check's options (defaults for what only `check` sets) and standard input.
    fn options(self) -> Result<(Options, Option<String>), String> {
        let now = clock(self.now.as_deref()).map_err(|e| e.to_string())?;
        let stdin = read_stdin(&self.paths, self.max_file_size)?;
        let opts = Options {
            exclude: self.exclude,
            policy_dirs: self.policies,
            limits: Limits {
                max_file_bytes: self.max_file_size,
                max_documents: self.max_documents,
                ..Limits::default()
            },
            git: !self.no_git,
            waiver_files: self.waivers,
            ..Options::new(self.paths, now)
        };
        Ok((opts, stdin))
    }
}

#[derive(clap::Args)]
struct CheckArgs {
    #[command(flatten)]
    input: InputArgs,
    /// Report format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Write the report to this file instead of standard output.
    #[arg(long, short)]
    output: Option<PathBuf>,
    /// Also write every form of the report into this folder (created if missing):
    /// report.json, report.md, report.html, report.sarif, report.junit.xml.
    #[arg(long, value_name = "DIR")]
    output_dir: Option<PathBuf>,
    /// Exit 1 when a finding is at or above this severity.
    #[arg(long, value_enum, default_value = "high")]
    fail_on: Severity,
    /// Fail only on findings whose fingerprint is not in this baseline (see `compliance baseline`).
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
}

#[derive(clap::Args)]
struct BaselineArgs {
    #[command(flatten)]
    input: InputArgs,
    /// The baseline file to write.
    #[arg(long, short, value_name = "FILE")]
    output: PathBuf,
}

fn fail(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(2)
}

fn run_check(a: CheckArgs) -> ExitCode {
    let baseline = match a.baseline.as_deref().map(compliance::baseline::read).transpose() {
        Ok(b) => b,
        Err(e) => return fail(e),
    };
    let (mut opts, stdin) = match a.input.options() {
        Ok(o) => o,
        Err(e) => return fail(e),
    };
    // the reports this run writes are not checked: in a checked folder, the next run would
    // find again what they quote
    opts.exclude.extend(report::outputs::excludes(
        &opts.paths,
        a.output_dir.as_deref(),
        a.output.as_deref(),
    ));
    opts.fail_on = a.fail_on;
    opts.baseline = baseline;
    // the program by name, so that the audit trail does not depend on where it is installed
    opts.command_line = std::env::args_os()
        .enumerate()
        .map(|(i, a)| {
            if i == 0 {
                "compliance".to_string()
            } else {
                a.to_string_lossy().into_owned()
            }
        })
        .collect();
    // loaded once, here: SARIF and JUnit list every rule
    let rules = match check::load_rules(&opts.policy_dirs) {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    let rep = match check::run_with_rules(&opts, stdin, &rules) {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    if let Some(dir) = &a.output_dir {
        if let Err(e) = report::outputs::write_all(dir, &rep, &rules) {
            return fail(e);
        }
    }
    let rendered = match a.format {
        Format::Text => Ok(report::text(&rep)),
        Format::Json => Ok(report::json(&rep)),
        Format::Markdown => report::markdown(&rep),
        Format::Html => report::html(&rep),
        Format::Sarif => Ok(report::sarif(&rep, &rules)),
        Format::Junit => Ok(report::junit(&rep, &rules)),
    };
    let rendered = match rendered {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    let written = match &a.output {
        Some(path) => std::fs::write(path, rendered.as_bytes()),
        None => std::io::stdout().lock().write_all(rendered.as_bytes()),
    };
    if let Err(e) = written {
        return fail(format!("cannot write the report: {e}"));
    }
    ExitCode::from(rep.exit_code() as u8)
}

/// `--now`, or the current time.
fn clock(now: Option<&str>) -> compliance::Result<chrono::DateTime<chrono::Utc>> {
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

fn run_baseline(a: BaselineArgs) -> ExitCode {
    let (opts, stdin) = match a.input.options() {
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
    let text = compliance::baseline::render(&rep);
    if let Err(e) = std::fs::write(&a.output, text.as_bytes()) {
        return fail(format!("cannot write `{}`: {e}", a.output.display()));
    }
    eprintln!(
        "baseline: {} finding{} recorded in {}",
        rep.findings.len(),
        if rep.findings.len() == 1 { "" } else { "s" },
        a.output.display()
    );
    ExitCode::SUCCESS
}

fn run_rules(a: RulesArgs) -> ExitCode {
    let rules = match check::load_rules(&a.policies) {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    let text = match a.format {
        RulesFormat::Table => report::rules::table(&rules),
        RulesFormat::Json => report::rules::json(&rules),
        RulesFormat::Markdown => report::rules::markdown(&rules),
    };
    print!("{text}");
    ExitCode::SUCCESS
}

fn run_webhook(a: WebhookArgs) -> ExitCode {
    let rules = match check::load_rules(&a.policies) {
        Ok(r) => r.restricted_to(compliance::policy::Scope::Object),
        Err(e) => return fail(e),
    };
    let config = compliance::webhook::Config {
        mode: a.mode,
        exclude_namespaces: compliance::webhook::Config::excluded(
            a.exclude_namespace,
            std::env::var("POD_NAMESPACE").ok(),
        ),
    };
    let settings = compliance::webhook::server::Settings {
        listen: a.listen,
        cert: a.tls_cert,
        key: a.tls_key,
        config,
        policy_dirs: a.policies,
    };
    match compliance::webhook::server::run(settings, rules) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(e),
    }
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Check(a) => run_check(a),
        Command::Rules(a) => run_rules(a),
        Command::Baseline(a) => run_baseline(a),
        Command::Webhook(a) => run_webhook(a),
    }
}
