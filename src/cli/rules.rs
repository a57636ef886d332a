//! `compliance rules`: the rule table.

use super::fail;
use crate::base::exit::Exit;
use crate::check;
use crate::report;
use clap::ValueEnum;
use std::path::PathBuf;

#[derive(Clone, Copy, ValueEnum)]
pub enum RulesFormat {
    Table,
    Json,
    Markdown,
}

#[derive(clap::Args)]
pub struct RulesArgs {
    #[arg(long, value_enum, default_value = "table")]
    format: RulesFormat,
    /// Extra policy folder (`*.cedar`).
    #[arg(long = "policies", value_name = "DIR")]
    policies: Vec<PathBuf>,
}

pub fn run(a: RulesArgs) -> Exit {
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
    Exit::Pass
}
