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
}

#[derive(clap::Args)]
struct CheckArgs {
    /// Folders, files, or `-` for standard input.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Report format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Write the report to this file instead of standard output.
    #[arg(long, short)]
    output: Option<PathBuf>,
    /// Exit 1 when a finding is at or above this severity.
    #[arg(long, value_enum, default_value = "high")]
    fail_on: Severity,
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
    /// Largest file read, in bytes.
    #[arg(long, default_value_t = Limits::default().max_file_bytes)]
    max_file_size: u64,
}

fn fail(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(2)
}

fn run_check(a: CheckArgs) -> ExitCode {
    let now = match a.now.as_deref().map(check::parse_now).transpose() {
        Ok(n) => n.unwrap_or_else(chrono::Utc::now),
        Err(e) => return fail(e),
    };
    let stdin = if a.paths.iter().any(|p| p.as_os_str() == "-") {
        let mut s = String::new();
        if let Err(e) = std::io::stdin().read_to_string(&mut s) {
            return fail(format!("cannot read standard input: {e}"));
        }
        Some(s)
    } else {
        None
    };
    let opts = Options {
        paths: a.paths,
        exclude: a.exclude,
        policy_dirs: a.policies,
        now,
        fail_on: a.fail_on,
        limits: Limits {
            max_file_bytes: a.max_file_size,
            ..Limits::default()
        },
        git: !a.no_git,
        // the program by name, so that the audit trail does not depend on where it is installed
        command_line: std::env::args_os()
            .enumerate()
            .map(|(i, a)| {
                if i == 0 {
                    "compliance".to_string()
                } else {
                    a.to_string_lossy().into_owned()
                }
            })
            .collect(),
    };
    let rep = match check::run(&opts, stdin) {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    let rendered = match a.format {
        Format::Text => Ok(report::text(&rep)),
        Format::Json => Ok(report::json(&rep)),
        Format::Markdown => report::markdown(&rep),
        Format::Html => report::html(&rep),
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

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Check(a) => run_check(a),
        Command::Rules(a) => run_rules(a),
    }
}
