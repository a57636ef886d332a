//! The policy author's commands: `policy validate`, `test`, `explain`, `schema`.

use super::fail;
use crate::authoring;
use crate::base::exit::Exit;
use clap::{Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct PolicyArgs {
    #[command(subcommand)]
    command: PolicyCommand,
}

#[derive(Subcommand)]
pub enum PolicyCommand {
    /// Parse and strictly validate policies against the Cedar schema and check their
    /// annotations (no DIR: the built-in policies alone).
    Validate(ValidateArgs),
}

#[derive(clap::Args)]
pub struct ValidateArgs {
    /// Policy folders (`*.cedar`), loaded with the built-in policies as `check --policies` loads them.
    #[arg(value_name = "DIR")]
    dirs: Vec<PathBuf>,
}

#[derive(clap::Args)]
pub struct TestArgs {
    /// Folders of cases (default: `tests/cases` if it exists, else `.`).
    #[arg(value_name = "DIR")]
    dirs: Vec<PathBuf>,
    /// Extra policy folder (`*.cedar`), for testing custom rules.
    #[arg(long = "policies", value_name = "DIR")]
    policies: Vec<PathBuf>,
}

#[derive(clap::Args)]
pub struct ExplainArgs {
    /// The rule id, e.g. `KEY-001`.
    rule: String,
    /// Extra policy folder (`*.cedar`).
    #[arg(long = "policies", value_name = "DIR")]
    policies: Vec<PathBuf>,
    /// Folder of cases to take examples from (default: the built-in rules' cases).
    #[arg(long = "cases", value_name = "DIR")]
    cases: Vec<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum SchemaFormat {
    Cedar,
    Json,
}

#[derive(clap::Args)]
pub struct SchemaArgs {
    /// `cedar` (default) or `json KIND`.
    #[arg(value_enum, default_value = "cedar")]
    format: SchemaFormat,
    /// For `json`: config (the `.compliance.yaml` file), ApiKeyInventory, RetentionPolicy,
    /// SecurityProfile or Waivers.
    kind: Option<String>,
}

/// Colour for diagnostics on a terminal, unless NO_COLOR is set.
fn stderr_color() -> bool {
    use std::io::IsTerminal;
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

/// Loads the rules for an authoring command; policy errors are rendered, exit 2.
fn load_authoring(dirs: &[PathBuf]) -> Result<authoring::validate::Loaded, Exit> {
    authoring::validate::load(dirs).map_err(|failed| {
        eprint!("{}", failed.render(stderr_color()));
        Exit::Error
    })
}

pub fn policy(a: PolicyArgs) -> Exit {
    match a.command {
        PolicyCommand::Validate(v) => match load_authoring(&v.dirs) {
            Ok(loaded) => {
                for d in &v.dirs {
                    if !loaded.files.iter().any(|f| std::path::Path::new(f).starts_with(d)) {
                        eprintln!("warning: `{}` holds no `*.cedar` file", d.display());
                    }
                }
                println!("{}", authoring::validate::summary(&loaded));
                Exit::Pass
            }
            Err(code) => code,
        },
    }
}

pub fn test(a: TestArgs) -> Exit {
    let dirs = if a.dirs.is_empty() {
        vec![authoring::runner::default_dir()]
    } else {
        a.dirs
    };
    let cases = match authoring::runner::discover(&dirs) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    let loaded = match load_authoring(&a.policies) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let summary = authoring::runner::run(&cases, &loaded.rules, &mut |line| println!("{line}"));
    print!("{}", summary.render());
    summary.exit()
}

pub fn explain(a: ExplainArgs) -> Exit {
    let loaded = match load_authoring(&a.policies) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let rule = match authoring::explain::find(&loaded.rules, &a.rule) {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    let mut cases = match authoring::cases::builtin() {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    for d in &a.cases {
        match authoring::cases::read(d) {
            Ok(c) => cases.extend(c),
            Err(e) => return fail(e),
        }
    }
    let examples = authoring::cases::examples(&rule.id, &cases);
    print!("{}", authoring::explain::render(rule, &loaded.sources, &examples));
    Exit::Pass
}

pub fn schema(a: SchemaArgs) -> Exit {
    let text = match (a.format, a.kind) {
        (SchemaFormat::Cedar, None) => authoring::schema::cedar(),
        (SchemaFormat::Cedar, Some(k)) => {
            return fail(format!(
                "`schema cedar` takes no kind (got `{k}`): the Cedar schema covers every entity type"
            ))
        }
        (SchemaFormat::Json, Some(k)) => match authoring::schema::json(&k) {
            Ok(t) => t,
            Err(e) => return fail(e),
        },
        (SchemaFormat::Json, None) => {
            return fail(format!(
                "`schema json` needs a kind: one of {}",
                authoring::schema::JSON_KINDS
                    .iter()
                    .map(|(k, _)| *k)
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        }
    };
    print!("{text}");
    if !text.ends_with('\n') {
        println!();
    }
    Exit::Pass
}
