//! The HTTPS server of `compliance webhook`: rustls (TLS 1.2 and 1.3, the `ring` provider),
//! `POST /validate`, `GET /healthz`, `GET /readyz`, a 7 MiB body cap, JSON logs on stderr
//! and graceful shutdown.

use super::{decide_body, decide_owned, Config, Decision};
use crate::engine::policy::RuleSet;
use axum::body::Body;
use axum::extract::State as Extract;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use axum_server::tls_rustls::RustlsConfig;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::body::{read_body, BodyError, BODY_TIMEOUT};
pub use super::body::{BODY_BUDGET, MAX_BODY};
/// How long in-flight requests get after SIGTERM or ctrl-c.
pub const GRACE: Duration = Duration::from_secs(20);

/// What the handlers share.
pub struct State {
    rules: std::sync::RwLock<Arc<RuleSet>>,
    pub config: Config,
    pub metrics: Metrics,
    /// The configuration file's `rules` (disabled rules, severities), applied again on
    /// every reload.
    pub rule_settings: crate::config::RuleSettings,
    /// Large reviews decided at once: each can take up to about 100 MB while it is judged
    /// (an object of [`super::bounded::MAX_OBJECT_VALUES`] values), so one at a time fits
    /// the Deployment's memory limit.
    large: tokio::sync::Semaphore,
    /// Room for request bodies (see [`super::body`]).
    bodies: Arc<tokio::sync::Semaphore>,
}

/// Reviews over [`INLINE_BODY_BYTES`] decided at the same time; the others wait their turn
/// (holding only their body).
pub const LARGE_REVIEWS: usize = 1;

impl State {
    pub fn new(rules: Arc<RuleSet>, config: Config) -> Self {
        State {
            rules: std::sync::RwLock::new(rules),
            config,
            metrics: Metrics::default(),
            rule_settings: crate::config::RuleSettings::default(),
            large: tokio::sync::Semaphore::new(LARGE_REVIEWS),
            bodies: super::body::budget(BODY_BUDGET),
        }
    }

    /// The same state, with the configuration's rule settings for reloads.
    pub fn with_rule_settings(mut self, settings: crate::config::RuleSettings) -> Self {
        self.rule_settings = settings;
        self
    }

    /// The rule set in force (a request keeps the one it started with).
    pub fn rules(&self) -> Arc<RuleSet> {
        match self.rules.read() {
            Ok(r) => r.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    fn replace_rules(&self, rules: RuleSet) {
        match self.rules.write() {
            Ok(mut r) => *r = Arc::new(rules),
            Err(poisoned) => *poisoned.into_inner() = Arc::new(rules),
        }
    }
}

/// Loads the built-in rules and `dirs` again (with the configuration's rule settings) and
/// puts them in force if they load and validate; otherwise the rules in force stay and the
/// diagnostics are returned (and logged).
pub fn reload_rules(state: &State, dirs: &[PathBuf]) -> Result<usize, String> {
    match crate::check::load_rules(dirs).and_then(|r| state.rule_settings.apply(r)) {
        Ok(rules) => {
            let rules = rules.restricted_to(crate::engine::policy::Scope::Object);
            let n = rules.rules.len();
            state.replace_rules(rules);
            log(serde_json::json!({"level": "info", "msg": "policies reloaded", "rules": n}));
            Ok(n)
        }
        Err(e) => {
            let message = e.to_string();
            log(
                serde_json::json!({"level": "error", "msg": "policies not reloaded: keeping the previous set", "error": message}),
            );
            Err(message)
        }
    }
}

/// The names and contents of the `*.cedar` files of `dirs`; `None` while one cannot be read.
fn policies_fingerprint(dirs: &[PathBuf]) -> Option<[u8; 32]> {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for d in dirs {
        for (name, text) in crate::engine::policy::read_dir(d).ok()? {
            h.update(name.as_bytes());
            h.update([0u8]);
            h.update(text.as_bytes());
            h.update([0u8]);
        }
    }
    Some(h.finalize().into())
}

/// Polls the `--policies` folders every `every` and reloads the rules when a file changes
/// ([`reload_rules`]: a set that does not validate keeps the one in force).
pub fn watch_policies(state: Arc<State>, dirs: Vec<PathBuf>, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut seen = policies_fingerprint(&dirs);
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let now = policies_fingerprint(&dirs);
            if now.is_none() || now == seen {
                continue;
            }
            seen = now;
            let (st, d) = (state.clone(), dirs.clone());
            let _ = tokio::task::spawn_blocking(move || reload_rules(&st, &d)).await;
        }
    })
}

/// Upper bounds of the latency histogram, in seconds (the spread Gatekeeper and Kyverno
/// export, starting lower: a decision takes well under a millisecond).
const BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Counters for `/metrics`, in the Prometheus text format.
#[derive(Default)]
pub struct Metrics {
    inner: std::sync::Mutex<Counters>,
    in_flight: std::sync::atomic::AtomicUsize,
}

/// Counts a `/validate` request as in flight until dropped.
struct InFlight<'a>(&'a std::sync::atomic::AtomicUsize);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

#[derive(Default)]
struct Counters {
    /// (operation, decision) -> requests
    requests: std::collections::BTreeMap<(String, String), u64>,
    /// rule -> violations
    violations: std::collections::BTreeMap<String, u64>,
    /// per bucket (not cumulative), then +Inf
    latency: [u64; BUCKETS.len() + 1],
    latency_sum: f64,
    latency_count: u64,
}

impl Metrics {
    /// `/validate` requests whose headers are read and whose answer is not sent yet.
    pub fn in_flight(&self) -> usize {
        self.in_flight.load(std::sync::atomic::Ordering::SeqCst)
    }

    fn enter(&self) -> InFlight<'_> {
        self.in_flight.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        InFlight(&self.in_flight)
    }

    /// Counts one answered request. `operation` is `UNKNOWN` for a body that could not be read.
    pub fn record(&self, operation: &str, decision: &str, rules: &[(&str, usize)], took: Duration) {
        let Ok(mut c) = self.inner.lock() else { return };
        *c.requests
            .entry((operation.to_string(), decision.to_string()))
            .or_default() += 1;
        for (r, n) in rules {
            *c.violations.entry((*r).to_string()).or_default() += *n as u64;
        }
        let secs = took.as_secs_f64();
        let i = BUCKETS.iter().position(|b| secs <= *b).unwrap_or(BUCKETS.len());
        c.latency[i] += 1;
        c.latency_sum += secs;
        c.latency_count += 1;
    }

    /// The Prometheus text exposition (version 0.0.4).
    pub fn render(&self) -> String {
        let Ok(c) = self.inner.lock() else {
            return String::new();
        };
        let mut out = String::new();
        out.push_str(
            "# HELP compliance_webhook_requests_total Admission requests answered, by operation and decision.\n",
        );
        out.push_str("# TYPE compliance_webhook_requests_total counter\n");
        for ((op, decision), n) in &c.requests {
            out.push_str(&format!(
                "compliance_webhook_requests_total{{operation=\"{op}\",decision=\"{decision}\"}} {n}\n"
            ));
        }
        out.push_str("# HELP compliance_webhook_violations_total Rule violations found, by rule.\n");
        out.push_str("# TYPE compliance_webhook_violations_total counter\n");
        for (rule, n) in &c.violations {
            out.push_str(&format!(
                "compliance_webhook_violations_total{{rule=\"{}\"}} {n}\n",
                label_value(rule)
            ));
        }
        out.push_str(
            "# HELP compliance_webhook_request_duration_seconds Time from the request body read to the answer.\n",
        );
        out.push_str("# TYPE compliance_webhook_request_duration_seconds histogram\n");
        let mut cumulative = 0;
        for (i, b) in BUCKETS.iter().enumerate() {
            cumulative += c.latency[i];
            out.push_str(&format!(
                "compliance_webhook_request_duration_seconds_bucket{{le=\"{b}\"}} {cumulative}\n"
            ));
        }
        out.push_str(&format!(
            "compliance_webhook_request_duration_seconds_bucket{{le=\"+Inf\"}} {}\n",
            c.latency_count
        ));
        out.push_str(&format!(
            "compliance_webhook_request_duration_seconds_sum {}\n",
            c.latency_sum
        ));
        out.push_str(&format!(
            "compliance_webhook_request_duration_seconds_count {}\n",
            c.latency_count
        ));
        out
    }
}

/// Escapes a Prometheus label value (custom rule ids are free text).
fn label_value(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// A rustls server configuration from PEM files: TLS 1.2 and 1.3 only, `ring` crypto.
pub fn tls_config(cert: &Path, key: &Path) -> Result<rustls::ServerConfig, String> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|e| format!("cannot read the certificate `{}`: {e}", cert.display()))?
        .collect::<Result<_, _>>()
        .map_err(|e| format!("cannot read the certificate `{}`: {e}", cert.display()))?;
    if certs.is_empty() {
        return Err(format!("no certificate in `{}`", cert.display()));
    }
    // the key's bytes never appear in a message
    let key_der = PrivateKeyDer::from_pem_file(key).map_err(|e| {
        format!(
            "cannot read the private key `{}`: {}",
            key.display(),
            key_error_kind(&e)
        )
    })?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| format!("TLS setup: {e}"))?
        .with_no_client_auth()
        .with_single_cert(certs, key_der)
        .map_err(|e| format!("the certificate and key do not make a TLS identity: {e}"))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

fn key_error_kind(e: &rustls::pki_types::pem::Error) -> &'static str {
    use rustls::pki_types::pem::Error as E;
    match e {
        E::NoItemsFound => "no private key found",
        E::Io(_) => "cannot read the file",
        _ => "not a PEM private key",
    }
}

/// The routes.
pub fn router(state: Arc<State>) -> Router {
    Router::new()
        .route("/validate", post(validate))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(ready))
        .route("/metrics", get(metrics))
        .with_state(state)
}

async fn ready(Extract(state): Extract<Arc<State>>) -> Response {
    // rules are loaded and validated before the server listens: serving means ready
    (StatusCode::OK, format!("ok: {} rules\n", state.rules().rules.len())).into_response()
}

async fn metrics(Extract(state): Extract<Arc<State>>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        state.metrics.render(),
    )
        .into_response()
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    let message = message.into();
    log(serde_json::json!({"level": "warn", "msg": "request rejected", "status": status.as_u16(), "error": message}));
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!("{message}\n"),
    )
        .into_response()
}

/// The answer to a body that could not be read.
fn body_error(e: BodyError) -> Response {
    let status = match e {
        BodyError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        BodyError::Busy => StatusCode::SERVICE_UNAVAILABLE,
        BodyError::Slow => StatusCode::REQUEST_TIMEOUT,
        BodyError::Broken(_) => StatusCode::BAD_REQUEST,
    };
    error(status, e.to_string())
}

/// Bodies up to this size are decided on the async worker that read them: they hold at
/// most 4,096 values (`"a",` each), a few megabytes to judge, once per worker thread.
/// A typical review (a Deployment with its managed fields) is 5 to 15 KB.
pub const INLINE_BODY_BYTES: usize = 16 * 1024;

async fn validate(Extract(state): Extract<Arc<State>>, headers: HeaderMap, body: Body) -> Response {
    let started = Instant::now();
    let _in_flight = state.metrics.enter();
    // `_room` is the body's share of the budget, held until the answer is sent
    let (bytes, _room) = match read_body(&headers, body, &state.bodies, BODY_TIMEOUT).await {
        Ok(b) => b,
        Err(e) => return body_error(e),
    };
    // a typical object is decided in about 100 µs, less than handing it to the blocking
    // pool costs; a large one would hold up an async worker, so it goes there
    let decided = if bytes.len() <= INLINE_BODY_BYTES {
        Ok(decide_body(&state.rules(), &state.config, &bytes, chrono::Utc::now()))
    } else {
        // bounded: the large reviews decided at once must fit the memory limit
        let Ok(_permit) = state.large.acquire().await else {
            return error(StatusCode::SERVICE_UNAVAILABLE, "shutting down");
        };
        let st = state.clone();
        tokio::task::spawn_blocking(move || decide_owned(&st.rules(), &st.config, bytes, chrono::Utc::now())).await
    };
    let decision = match decided {
        Ok(Ok(d)) => d,
        Ok(Err(bad)) => {
            state.metrics.record("UNKNOWN", "error", &[], started.elapsed());
            return error(StatusCode::BAD_REQUEST, bad.0);
        }
        Err(_) => {
            state.metrics.record("UNKNOWN", "error", &[], started.elapsed());
            return error(StatusCode::INTERNAL_SERVER_ERROR, "the evaluation failed");
        }
    };
    let took = started.elapsed();
    let ids: Vec<(&str, usize)> = decision.violated.iter().map(|(r, n)| (r.as_str(), *n)).collect();
    state
        .metrics
        .record(decision.operation, decision.outcome.as_str(), &ids, took);
    log_decision(&decision, took);
    match serde_json::to_vec(&decision.review) {
        Ok(json) => ([(header::CONTENT_TYPE, "application/json")], json).into_response(),
        Err(e) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("cannot write the response: {e}"),
        ),
    }
}

/// One JSON object per line on stderr. Callers put no secret value in it: object names,
/// rule ids and masked messages only.
pub fn log(mut entry: serde_json::Value) {
    if let Some(map) = entry.as_object_mut() {
        map.insert(
            "ts".into(),
            chrono::Utc::now()
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
                .into(),
        );
    }
    // serialized into one buffer and written at once: `Display` on a JSON value goes
    // through the formatter a character at a time, a tenth of a request's CPU
    let mut line = serde_json::to_vec(&entry).unwrap_or_default();
    line.push(b'\n');
    let _ = std::io::Write::write_all(&mut std::io::stderr().lock(), &line);
}

fn log_decision(d: &Decision, took: Duration) {
    let uid = d.review.response.as_ref().map(|r| r.uid.clone()).unwrap_or_default();
    // each rule once: one object can break a rule tens of thousands of times
    let rules: Vec<&str> = d.violated.keys().map(String::as_str).collect();
    log(serde_json::json!({
        "level": "info",
        "msg": "admission review",
        "uid": uid,
        "operation": d.operation,
        "object": d.object,
        "decision": d.outcome.as_str(),
        "violations": rules,
        "violationCount": d.violation_count,
        "errors": d.errors,
        "latencyMs": (took.as_secs_f64() * 1e6).round() / 1e3,
    }));
}

/// How often the certificate files are looked at by default (`--reload-interval`).
pub const CERT_POLL: Duration = Duration::from_secs(10);

/// The contents of both files, hashed: a change of either (cert-manager rewrites both)
/// is a rotation. `None` while a file cannot be read.
fn fingerprint(cert: &Path, key: &Path) -> Option<[u8; 32]> {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(std::fs::read(cert).ok()?);
    h.update([0u8]);
    h.update(std::fs::read(key).ok()?);
    Some(h.finalize().into())
}

/// Polls the certificate and key every `every` and swaps them into `tls` when they change
/// and form a valid identity; a half-written or mismatched pair keeps the old one (logged
/// once) and is tried again at the next change. New connections get the new certificate;
/// established ones keep theirs.
pub fn watch_certificates(
    tls: RustlsConfig,
    cert: PathBuf,
    key: PathBuf,
    every: Duration,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut loaded = fingerprint(&cert, &key);
        let mut failed = None;
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let now = fingerprint(&cert, &key);
            if now.is_none() || now == loaded || now == failed {
                continue;
            }
            match tls_config(&cert, &key) {
                Ok(config) => {
                    tls.reload_from_config(Arc::new(config));
                    loaded = now;
                    failed = None;
                    log(
                        serde_json::json!({"level": "info", "msg": "certificate reloaded", "cert": cert.display().to_string()}),
                    );
                }
                Err(e) => {
                    failed = now;
                    log(
                        serde_json::json!({"level": "error", "msg": "certificate not reloaded: keeping the previous one", "error": e}),
                    );
                }
            }
        }
    })
}

/// Everything `compliance webhook` is told.
#[derive(Debug, Clone)]
pub struct Settings {
    pub listen: std::net::SocketAddr,
    pub cert: PathBuf,
    pub key: PathBuf,
    pub config: Config,
    /// How often the certificate and policy files are looked at; `None`: never.
    pub poll: Option<Duration>,
    /// `--policies` folders (the configuration's first), watched and re-read on SIGHUP.
    pub policy_dirs: Vec<PathBuf>,
    /// The configuration file's `rules.disable` and `rules.severity`.
    pub rule_settings: crate::config::RuleSettings,
}

/// Serves on `listener` until `handle` is told to shut down.
pub async fn serve(
    listener: std::net::TcpListener,
    tls: RustlsConfig,
    state: Arc<State>,
    handle: axum_server::Handle<std::net::SocketAddr>,
) -> std::io::Result<()> {
    serve_with(
        listener,
        tls,
        state,
        handle,
        super::conn::IDLE,
        super::conn::MAX_CONNECTIONS,
    )
    .await
}

/// [`serve`] with the idle limit and the connection cap given (tests use short ones).
pub async fn serve_with(
    listener: std::net::TcpListener,
    tls: RustlsConfig,
    state: Arc<State>,
    handle: axum_server::Handle<std::net::SocketAddr>,
    idle: Duration,
    max_connections: usize,
) -> std::io::Result<()> {
    listener.set_nonblocking(true)?;
    // idle connections closed and their number capped below TLS, so that the handshake
    // and the silence after it count too; HTTP/1 only (no HTTP/2 without ALPN)
    let acceptor = axum_server::tls_rustls::RustlsAcceptor::new(tls)
        .handshake_timeout(Duration::from_secs(10))
        .acceptor(super::conn::Guard::new(idle, max_connections));
    let mut server = axum_server::from_tcp(listener)?
        .acceptor(acceptor)
        .handle(handle)
        .http1_only();
    server
        .http_builder()
        .http1()
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(Duration::from_secs(10));
    server.serve(router(state).into_make_service()).await
}

/// Runs the webhook until SIGTERM or ctrl-c; in-flight requests get [`GRACE`] to finish.
pub fn run(settings: Settings, rules: RuleSet) -> Result<(), String> {
    super::alloc::purge_at_once();
    let tls = tls_config(&settings.cert, &settings.key)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    runtime.block_on(async move {
        let listener = std::net::TcpListener::bind(settings.listen)
            .map_err(|e| format!("cannot listen on {}: {e}", settings.listen))?;
        let state = Arc::new(
            State::new(Arc::new(rules), settings.config.clone()).with_rule_settings(settings.rule_settings.clone()),
        );
        let handle = axum_server::Handle::new();
        let stopper = handle.clone();
        tokio::spawn(async move {
            shutdown_signal().await;
            log(serde_json::json!({"level": "info", "msg": "shutting down", "graceSeconds": GRACE.as_secs()}));
            stopper.graceful_shutdown(Some(GRACE));
        });
        log(serde_json::json!({
            "level": "info",
            "msg": "listening",
            "address": settings.listen.to_string(),
            "rules": state.rules().rules.len(),
            "objectRules": state.rules().rules.values().filter(|r| r.scope == crate::engine::policy::Scope::Object).count(),
            "mode": format!("{:?}", settings.config.mode).to_lowercase(),
            "excludedNamespaces": settings.config.exclude_namespaces,
        }));
        let tls = RustlsConfig::from_config(Arc::new(tls));
        if let (false, Some(every)) = (settings.policy_dirs.is_empty(), settings.poll) {
            watch_policies(state.clone(), settings.policy_dirs.clone(), every);
        }
        #[cfg(unix)]
        {
            let (st, dirs) = (state.clone(), settings.policy_dirs.clone());
            tokio::spawn(async move {
                let Ok(mut hup) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) else {
                    return;
                };
                while hup.recv().await.is_some() {
                    log(serde_json::json!({"level": "info", "msg": "SIGHUP: reloading the policies"}));
                    let (st, d) = (st.clone(), dirs.clone());
                    let _ = tokio::task::spawn_blocking(move || reload_rules(&st, &d)).await;
                }
            });
        }
        if let Some(every) = settings.poll {
            watch_certificates(tls.clone(), settings.cert.clone(), settings.key.clone(), every);
        }
        serve(listener, tls, state, handle)
            .await
            .map_err(|e| format!("server error: {e}"))
    })
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
