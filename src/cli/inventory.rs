//! `compliance inventory import`: a gateway's admin API -> an `ApiKeyInventory` snapshot.

use super::check::clock;
use super::fail;
use crate::base::exit::Exit;
use clap::{Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct InventoryArgs {
    #[command(subcommand)]
    command: InventoryCommand,
}

#[derive(Subcommand)]
enum InventoryCommand {
    /// Read a gateway's admin API and write its keys as an `ApiKeyInventory` snapshot
    /// (ids, aliases and masked forms only; see docs/gateways.md).
    Import(ImportArgs),
}

#[derive(Clone, Copy, ValueEnum)]
enum ImportSource {
    Litellm,
    Openai,
    Anthropic,
}

#[derive(clap::Args)]
struct ImportArgs {
    /// The gateway.
    #[arg(long = "from", value_enum)]
    from: ImportSource,
    /// The admin API's base URL (a LiteLLM proxy's address; default for openai
    /// https://api.openai.com/v1, for anthropic https://api.anthropic.com/v1).
    #[arg(long)]
    url: Option<String>,
    /// Write the inventory here (atomically) instead of standard output.
    #[arg(long, short)]
    output: Option<PathBuf>,
    /// The environment variable holding the admin token [default: LITELLM_MASTER_KEY,
    /// OPENAI_ADMIN_KEY or ANTHROPIC_ADMIN_API_KEY].
    #[arg(long, value_name = "NAME")]
    token_env: Option<String>,
    /// Read the admin token from this file instead.
    #[arg(long, value_name = "FILE")]
    token_file: Option<PathBuf>,
    /// Allow a plain-HTTP URL (a proxy on this machine).
    #[arg(long)]
    allow_http: bool,
    /// Trust these PEM certificate authorities instead of the built-in roots (repeatable).
    #[arg(long = "ca-cert", value_name = "FILE")]
    ca_cert: Vec<PathBuf>,
    /// Seconds one request may take.
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    timeout: u64,
    /// Pages read from one list at most.
    #[arg(long, value_name = "N", default_value_t = 100)]
    max_pages: usize,
    /// The time recorded as the fetch time (RFC 3339); default: now.
    #[arg(long)]
    now: Option<String>,
    /// `metadata.name` of the inventory [default: SOURCE-snapshot].
    #[arg(long)]
    name: Option<String>,
    /// Declare every imported key in this environment (the gateways cannot tell it).
    #[arg(long, value_parser = ["development", "testing", "production", "third-party"])]
    environment: Option<String>,
}

/// Runs `inventory import`.
pub fn run(a: InventoryArgs) -> Exit {
    let InventoryCommand::Import(a) = a.command;
    import(a)
}

fn import(a: ImportArgs) -> Exit {
    use crate::gateway::import::{self, Source};
    let source = match a.from {
        ImportSource::Litellm => Source::Litellm,
        ImportSource::Openai => Source::Openai,
        ImportSource::Anthropic => Source::Anthropic,
    };
    let Some(url) = a.url.or_else(|| source.default_url().map(str::to_string)) else {
        return fail("--url is required for --from litellm (the proxy's address)");
    };
    let now = match clock(a.now.as_deref()) {
        Ok(n) => n,
        Err(e) => return fail(e),
    };
    let env = a.token_env.unwrap_or_else(|| source.default_token_env().to_string());
    let token = match import::read_token(&env, a.token_file.as_deref()) {
        Ok(t) => t,
        Err(e) => return fail(e),
    };
    let mut ca_certs = Vec::new();
    for f in &a.ca_cert {
        match std::fs::read(f) {
            Ok(b) => ca_certs.push(b),
            Err(e) => return fail(format!("cannot read `{}`: {e}", f.display())),
        }
    }
    let opts = import::Options {
        source,
        url,
        token,
        now,
        network: import::http::Settings {
            allow_http: a.allow_http,
            ca_certs,
            timeout: std::time::Duration::from_secs(a.timeout.max(1)),
            ..Default::default()
        },
        max_pages: a.max_pages.max(1),
        name: a.name.unwrap_or_else(|| format!("{}-snapshot", source.name())),
        environment: a.environment,
    };
    let text = match import::import(&opts) {
        Ok(t) => t,
        Err(e) => return fail(e),
    };
    let written = match &a.output {
        Some(path) => crate::base::atomic::write_bytes(path, text.as_bytes()).map_err(|e| e.to_string()),
        None => {
            use std::io::Write;
            std::io::stdout().write_all(text.as_bytes()).map_err(|e| e.to_string())
        }
    };
    match written {
        Ok(()) => Exit::Pass,
        Err(e) => fail(e),
    }
}
