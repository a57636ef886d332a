//! `compliance webhook` and `compliance webhook manifests`.

use super::fail;
use crate::base::exit::Exit;
use crate::check;
use crate::config;
use clap::Subcommand;
use std::path::PathBuf;

#[derive(clap::Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct WebhookArgs {
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
    mode: crate::webhook::Mode,
    /// How often the certificate files and policy folders are looked at for changes, in
    /// seconds; 0: never (policies then reload on SIGHUP only).
    #[arg(long, value_name = "SECONDS", default_value_t = crate::webhook::server::CERT_POLL.as_secs())]
    reload_interval: u64,
    /// Allow requests in this namespace without evaluation (repeatable; default:
    /// kube-system and the webhook's own, from the POD_NAMESPACE environment variable).
    #[arg(long = "exclude-namespace", value_name = "NS")]
    exclude_namespace: Vec<String>,
    /// Pod Security Standards level for namespaces the configuration's `podSecurity` does
    /// not list [default: the configuration's, else baseline].
    #[arg(long, value_enum, value_name = "LEVEL")]
    pod_security: Option<crate::facts::pss::Level>,
}

#[derive(Subcommand)]
pub enum WebhookAction {
    /// Print the manifests that install the webhook (Namespace, ServiceAccount, cert-manager
    /// Issuer and Certificate, Deployment, Service, PodDisruptionBudget, NetworkPolicy,
    /// ValidatingWebhookConfiguration) as one YAML stream for `kubectl apply -f -`.
    Manifests(ManifestsArgs),
}

#[derive(clap::Args)]
pub struct ManifestsArgs {
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
    mode: crate::webhook::Mode,
    /// What the API server does when the webhook cannot answer: `Fail` (closed) or `Ignore`.
    #[arg(long, default_value = "Fail", value_parser = ["Fail", "Ignore"])]
    failure_policy: String,
    #[arg(long, default_value_t = 3)]
    replicas: u32,
    /// The API server's wait for an answer, 1 to 30 seconds.
    #[arg(long, default_value_t = 5)]
    timeout_seconds: u32,
    /// Write one file per object into this folder instead of one stream to standard output.
    #[arg(long, value_name = "DIR")]
    output_dir: Option<PathBuf>,
}

fn manifests(a: ManifestsArgs) -> Exit {
    use crate::webhook::manifests;
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
                Exit::Pass
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
        if let Err(e) = crate::base::atomic::write_bytes(&path, text.as_bytes()) {
            return fail(e);
        }
    }
    Exit::Pass
}

pub fn run(a: WebhookArgs) -> Exit {
    if let Some(WebhookAction::Manifests(m)) = a.action {
        return manifests(m);
    }
    let (Some(cert), Some(key)) = (a.tls_cert, a.tls_key) else {
        return fail("`--tls-cert` and `--tls-key` are required to serve");
    };
    let file = match a.config.as_deref().map(config::read).transpose() {
        Ok(f) => f,
        Err(e) => return fail(e),
    };
    let mut pod_security = file.as_ref().and_then(|f| f.pod_security.clone()).unwrap_or_default();
    if let Some(level) = a.pod_security {
        pod_security.default = level;
        pod_security.source = "`--pod-security`".to_string();
    }
    let (mut policy_dirs, rule_settings) = file.map(|f| (f.policies, f.rules)).unwrap_or_default();
    policy_dirs.extend(a.policies);
    let rules = match check::load_rules(&policy_dirs).and_then(|r| rule_settings.apply(r)) {
        Ok(r) => r.restricted_to(crate::engine::policy::Scope::Object),
        Err(e) => return fail(e),
    };
    let config = crate::webhook::Config {
        mode: a.mode,
        exclude_namespaces: crate::webhook::Config::excluded(a.exclude_namespace, std::env::var("POD_NAMESPACE").ok()),
        pod_security,
    };
    let settings = crate::webhook::server::Settings {
        listen: a.listen,
        cert,
        key,
        poll: (a.reload_interval > 0).then(|| std::time::Duration::from_secs(a.reload_interval)),
        config,
        policy_dirs,
        rule_settings,
    };
    match crate::webhook::server::run(settings, rules) {
        Ok(()) => Exit::Pass,
        Err(e) => fail(e),
    }
}
