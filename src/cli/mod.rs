//! The command line: one file per command, each with its arguments and its body. The
//! binary only parses and dispatches ([`run`]); every command ends in an [`Exit`].

pub mod authoring;
pub mod check;
pub mod inventory;
pub mod rules;
pub mod webhook;

use crate::base::exit::Exit;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "compliance",
    version,
    about = "Check Kubernetes manifests, API-key inventories and retention settings against Cedar policies"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Check folders or files (`-` reads standard input) and report.
    Check(check::CheckArgs),
    /// List the rules: built-in ones and those of `--policies` folders.
    Rules(rules::RulesArgs),
    /// Record the current findings' fingerprints in a baseline file: `check --baseline
    /// FILE` then fails only on findings that are not in it.
    Baseline(check::BaselineArgs),
    /// Serve the object-scoped rules as a Kubernetes validating admission webhook (HTTPS).
    Webhook(webhook::WebhookArgs),
    /// Work with policy files.
    Policy(authoring::PolicyArgs),
    /// Run data-driven policy tests: case folders with input files and an `expected.yaml`.
    Test(authoring::TestArgs),
    /// Explain a rule: what it checks, how to fix it, its Cedar source, and examples.
    Explain(authoring::ExplainArgs),
    /// Print the Cedar schema policies are written against, or the JSON Schema of one of
    /// the tool's kinds (for editors).
    Schema(authoring::SchemaArgs),
    /// Work with API-key inventories.
    Inventory(inventory::InventoryArgs),
}

/// Runs the command `cli` names.
pub fn run(cli: Cli) -> Exit {
    match cli.command {
        Command::Check(a) => check::run(a),
        Command::Rules(a) => rules::run(a),
        Command::Baseline(a) => check::baseline(a),
        Command::Webhook(a) => webhook::run(a),
        Command::Policy(a) => authoring::policy(a),
        Command::Test(a) => authoring::test(a),
        Command::Explain(a) => authoring::explain(a),
        Command::Schema(a) => authoring::schema(a),
        Command::Inventory(a) => inventory::run(a),
    }
}

/// Prints a fatal error, masked like every output: a parser's message may quote the value
/// it did not expect, and that value may be a key.
pub fn fail(message: impl std::fmt::Display) -> Exit {
    eprintln!("error: {}", crate::secrets::redact::redact_text(&message.to_string()));
    Exit::Error
}
