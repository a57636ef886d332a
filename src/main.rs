//! The `compliance` command: parses arguments and dispatches to the library.

use clap::{Parser, Subcommand, ValueEnum};
use compliance::authoring;
use compliance::check::{self, Options};
use compliance::config;
use compliance::finding::Severity;
use compliance::loader::Limits;
use compliance::report;
use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

// A check allocates and frees millions of small strings and maps from two threads; glibc's
// allocator spent about a third of a large run (see docs/performance.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    /// Work with policy files.
    Policy(PolicyArgs),
    /// Run data-driven policy tests: case folders with input files and an `expected.yaml`.
    Test(TestArgs),
    /// Explain a rule: what it checks, how to fix it, its Cedar source, and examples.
    Explain(ExplainArgs),
    /// Print the Cedar schema policies are written against, or the JSON Schema of one of
    /// the tool's kinds (for editors).
    Schema(SchemaArgs),
}

#[derive(clap::Args)]
struct PolicyArgs {
    #[command(subcommand)]
    command: PolicyCommand,
}

#[derive(Subcommand)]
enum PolicyCommand {
    /// Parse and strictly validate policies against the Cedar schema and check their
    /// annotations (no DIR: the built-in policies alone).
    Validate(ValidateArgs),
}

#[derive(clap::Args)]
struct ValidateArgs {
    /// Policy folders (`*.cedar`), loaded with the built-in policies as `check --policies` loads them.
    #[arg(value_name = "DIR")]
    dirs: Vec<PathBuf>,
}

#[derive(clap::Args)]
struct TestArgs {
    /// Folders of cases (default: `tests/cases` if it exists, else `.`).
    #[arg(value_name = "DIR")]
    dirs: Vec<PathBuf>,
    /// Extra policy folder (`*.cedar`), for testing custom rules.
    #[arg(long = "policies", value_name = "DIR")]
    policies: Vec<PathBuf>,
}

#[derive(clap::Args)]
struct ExplainArgs {
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
enum SchemaFormat {
    Cedar,
    Json,
}

#[derive(clap::Args)]
struct SchemaArgs {
    /// `cedar` (default) or `json KIND`.
    #[arg(value_enum, default_value = "cedar")]
    format: SchemaFormat,
    /// For `json`: config (the `.compliance.yaml` file), ApiKeyInventory, RetentionPolicy,
    /// SecurityProfile or Waivers.
    kind: Option<String>,
}

#[derive(clap::Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
struct WebhookArgs {
    #[command(subcommand)]
    action: Option<WebhookAction>,
    /// Address to listen on.
    #[arg(long, default_value = "0.0.0.0:8443")]
    listen: std::net::SocketAddr,
    /// PEM certificate chain served to the API server.
    #[arg(long, value_name = "FILE", required = true)]
    tls_cert: Option<PathBuf>,
    /// PEM private key of the certificate.
    #[arg(long, value_name = "FILE", required = true)]
    tls_key: Option<PathBuf>,
    /// Extra policy folder (`*.cedar`); only rules with `@scope("object")` are served.
    #[arg(long = "policies", value_name = "DIR")]
    policies: Vec<PathBuf>,
    /// A configuration file: its `policies` and `rules` (disabled rules, severities) apply.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// What a violation does: deny the request, allow it with warnings, or only log it.
    #[arg(long, value_enum, default_value = "deny")]
    mode: compliance::webhook::Mode,
    /// How often the certificate files and policy folders are looked at for changes, in
    /// seconds; 0: never (policies then reload on SIGHUP only).
    #[arg(long, value_name = "SECONDS", default_value_t = compliance::webhook::server::CERT_POLL.as_secs())]
    reload_interval: u64,
    /// Allow requests in this namespace without evaluation (repeatable; default:
    /// kube-system and the webhook's own, from the POD_NAMESPACE environment variable).
    #[arg(long = "exclude-namespace", value_name = "NS")]
    exclude_namespace: Vec<String>,
}

#[derive(Subcommand)]
enum WebhookAction {
    /// Print the manifests that install the webhook (Namespace, ServiceAccount, cert-manager
    /// Issuer and Certificate, Deployment, Service, PodDisruptionBudget, NetworkPolicy,
    /// ValidatingWebhookConfiguration) as one YAML stream for `kubectl apply -f -`.
    Manifests(ManifestsArgs),
}

#[derive(clap::Args)]
struct ManifestsArgs {
    /// The webhook's namespace (excluded from its own judgement).
    #[arg(long, default_value = "compliance-system")]
    namespace: String,
    /// Name of the Deployment, Service, ServiceAccount and Certificate.
    #[arg(long, default_value = "compliance-webhook")]
    name: String,
    /// Container image that runs `compliance`.
    #[arg(long, default_value = "ghcr.io/example/compliance:0.1.0")]
    image: String,
    /// What a violation does.
    #[arg(long, value_enum, default_value = "deny")]
    mode: compliance::webhook::Mode,
    /// What the API server does when the webhook cannot answer: `Fail` (closed) or `Ignore`.
    #[arg(long, default_value = "Fail", value_parser = ["Fail", "Ignore"])]
    failure_policy: String,
    #[arg(long, default_value_t = 2)]
    replicas: u32,
    /// The API server's wait for an answer, 1 to 30 seconds.
    #[arg(long, default_value_t = 5)]
    timeout_seconds: u32,
    /// Write one file per object into this folder instead of one stream to standard output.
    #[arg(long, value_name = "DIR")]
    output_dir: Option<PathBuf>,
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

use report::Form as Format;

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
}

impl InputArgs {
    /// The check's options (defaults for what only `check` sets) merged with the
    /// configuration file, the file itself (for what only `check` uses), and standard input.
    fn options(self) -> Result<(Options, Option<config::File>, Option<String>), String> {
        let now = clock(self.now.as_deref()).map_err(|e| e.to_string())?;
        let file = config::locate(&self.paths, self.config.as_deref(), self.no_config).map_err(|e| e.to_string())?;
        let stdin = read_stdin(&self.paths, self.max_file_size)?;
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
            ..Options::new(self.paths, now)
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
        Ok((opts, file, stdin))
    }
}

#[derive(clap::Args)]
struct CheckArgs {
    #[command(flatten)]
    input: InputArgs,
    /// Report format [default: the configuration's `output.format`, else text].
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Write the report to this file instead of standard output.
    #[arg(long, short)]
    output: Option<PathBuf>,
    /// Also write every form of the report into this folder (created if missing):
    /// report.json, report.md, report.html, report.sarif, report.junit.xml
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

fn run_check(a: CheckArgs) -> ExitCode {
    let baseline = match a.baseline.as_deref().map(compliance::baseline::read).transpose() {
        Ok(b) => b,
        Err(e) => return fail(e),
    };
    let (mut opts, file, stdin) = match a.input.options() {
        Ok(o) => o,
        Err(e) => return fail(e),
    };
    // a flag overrides the configuration, which overrides the default
    let file = file.as_ref();
    let format = match (a.format, file.and_then(|f| f.format.as_deref())) {
        (Some(f), _) => f,
        (None, Some(name)) => match Format::from_str(name, false) {
            Ok(f) => f,
            Err(_) => return fail(format!("unknown `output.format` `{name}` in the configuration")),
        },
        (None, None) => Format::Text,
    };
    let output_dir = match (a.output_dir, file.and_then(|f| f.output_dir.as_ref().map(|d| (f, d)))) {
        (Some(d), _) => Some(d),
        // a repository's configuration names a folder inside the checked folder, never a
        // symbolic link: a pull request must not choose where the reports are written
        (None, Some((f, dir))) => {
            let base = f.path.parent().unwrap_or(std::path::Path::new(""));
            let inside = match dir.strip_prefix(base) {
                Ok(rel) => compliance::atomic::refuse_outside(base, rel),
                Err(_) => Err(compliance::Error::Outside {
                    path: dir.display().to_string(),
                }),
            };
            if let Err(e) = inside {
                return fail(e);
            }
            Some(dir.clone())
        }
        (None, None) => None,
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
    if let Some(dir) = &output_dir {
        if let Err(e) = report::outputs::write_all(dir, &rep, &rules) {
            return fail(e);
        }
    }
    let written = match &a.output {
        Some(path) => compliance::atomic::write_file(path, |out| {
            report::write(format, &rep, &rules, &path.display().to_string(), out)
        }),
        None => report::write(
            format,
            &rep,
            &rules,
            "standard output",
            &mut std::io::BufWriter::new(std::io::stdout().lock()),
        ),
    };
    if let Err(e) = written {
        return fail(e);
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
    let text = compliance::baseline::render(&rep);
    if let Err(e) = compliance::atomic::write_bytes(&a.output, text.as_bytes()) {
        return fail(e);
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

fn run_manifests(a: ManifestsArgs) -> ExitCode {
    use compliance::webhook::manifests;
    let params = manifests::Params {
        namespace: a.namespace,
        name: a.name,
        image: a.image,
        mode: format!("{:?}", a.mode).to_lowercase(),
        failure_policy: a.failure_policy,
        replicas: a.replicas,
        timeout_seconds: a.timeout_seconds,
    };
    let Some(dir) = a.output_dir else {
        return match manifests::render_stream(&params) {
            Ok(text) => {
                print!("{text}");
                ExitCode::SUCCESS
            }
            Err(e) => fail(e),
        };
    };
    let files = match manifests::render(&params) {
        Ok(f) => f,
        Err(e) => return fail(e),
    };
    if let Err(e) = std::fs::create_dir_all(&dir) {
        return fail(format!("cannot create `{}`: {e}", dir.display()));
    }
    for (name, text) in files {
        let path = dir.join(name);
        if let Err(e) = compliance::atomic::write_bytes(&path, text.as_bytes()) {
            return fail(e);
        }
    }
    ExitCode::SUCCESS
}

fn run_webhook(a: WebhookArgs) -> ExitCode {
    if let Some(WebhookAction::Manifests(m)) = a.action {
        return run_manifests(m);
    }
    let (Some(cert), Some(key)) = (a.tls_cert, a.tls_key) else {
        return fail("`--tls-cert` and `--tls-key` are required to serve");
    };
    let file = match a.config.as_deref().map(config::read).transpose() {
        Ok(f) => f,
        Err(e) => return fail(e),
    };
    let (mut policy_dirs, rule_settings) = file.map(|f| (f.policies, f.rules)).unwrap_or_default();
    policy_dirs.extend(a.policies);
    let rules = match check::load_rules(&policy_dirs).and_then(|r| rule_settings.apply(r)) {
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
        cert,
        key,
        poll: (a.reload_interval > 0).then(|| std::time::Duration::from_secs(a.reload_interval)),
        config,
        policy_dirs,
        rule_settings,
    };
    match compliance::webhook::server::run(settings, rules) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(e),
    }
}

/// Colour for diagnostics on a terminal, unless NO_COLOR is set.
fn stderr_color() -> bool {
    use std::io::IsTerminal;
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

/// Loads the rules for an authoring command; policy errors are rendered, exit 2.
fn load_authoring(dirs: &[PathBuf]) -> Result<authoring::validate::Loaded, ExitCode> {
    authoring::validate::load(dirs).map_err(|failed| {
        eprint!("{}", failed.render(stderr_color()));
        ExitCode::from(2)
    })
}

fn run_policy(a: PolicyArgs) -> ExitCode {
    match a.command {
        PolicyCommand::Validate(v) => match load_authoring(&v.dirs) {
            Ok(loaded) => {
                for d in &v.dirs {
                    if !loaded.files.iter().any(|f| std::path::Path::new(f).starts_with(d)) {
                        eprintln!("warning: `{}` holds no `*.cedar` file", d.display());
                    }
                }
                println!("{}", authoring::validate::summary(&loaded));
                ExitCode::SUCCESS
            }
            Err(code) => code,
        },
    }
}

fn run_test(a: TestArgs) -> ExitCode {
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
    ExitCode::from(summary.exit_code())
}

fn run_explain(a: ExplainArgs) -> ExitCode {
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
    ExitCode::SUCCESS
}

fn run_schema(a: SchemaArgs) -> ExitCode {
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
    ExitCode::SUCCESS
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Check(a) => run_check(a),
        Command::Rules(a) => run_rules(a),
        Command::Baseline(a) => run_baseline(a),
        Command::Webhook(a) => run_webhook(a),
        Command::Policy(a) => run_policy(a),
        Command::Test(a) => run_test(a),
        Command::Explain(a) => run_explain(a),
        Command::Schema(a) => run_schema(a),
    }
}
