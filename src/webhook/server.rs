//! The HTTPS server of `compliance webhook`: rustls (TLS 1.2 and 1.3, the `ring` provider),
//! `POST /validate`, `GET /healthz`, `GET /readyz`, a 7 MiB body cap, JSON logs on stderr
//! and graceful shutdown.

use super::{decide_body, Config, Decision};
use crate::policy::RuleSet;
use axum::body::Body;
use axum::extract::State as Extract;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use axum_server::tls_rustls::RustlsConfig;
use http_body_util::BodyExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The largest request body read, as controller-runtime caps it.
pub const MAX_BODY: usize = 7 * 1024 * 1024;
/// A body over [`MAX_BODY`] but under this is read to its end (and dropped) before the 413
/// is sent, so that the client, still writing, reads the answer instead of a reset.
const DRAIN_MAX: usize = 16 * 1024 * 1024;
/// How long reading one request body may take.
const BODY_TIMEOUT: Duration = Duration::from_secs(10);
/// How long in-flight requests get after SIGTERM or ctrl-c.
pub const GRACE: Duration = Duration::from_secs(20);

/// What the handlers share.
pub struct State {
    pub rules: Arc<RuleSet>,
    pub config: Config,
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
        .with_state(state)
}

async fn ready(Extract(state): Extract<Arc<State>>) -> Response {
    // rules are loaded and validated before the server listens: serving means ready
    (StatusCode::OK, format!("ok: {} rules\n", state.rules.rules.len())).into_response()
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

/// Reads at most [`MAX_BODY`] bytes: `Err` is the response to send instead.
async fn read_body(headers: &HeaderMap, body: Body) -> Result<Vec<u8>, Response> {
    let too_large = || {
        error(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("request body over the {MAX_BODY}-byte limit"),
        )
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > DRAIN_MAX) {
        return Err(too_large());
    }
    let mut body = body;
    let mut out = Vec::with_capacity(declared.unwrap_or(0).min(MAX_BODY));
    let mut seen = 0usize;
    let reading = async {
        while let Some(frame) = body.frame().await {
            let frame =
                frame.map_err(|e| error(StatusCode::BAD_REQUEST, format!("cannot read the request body: {e}")))?;
            if let Some(data) = frame.data_ref() {
                seen += data.len();
                if seen <= MAX_BODY {
                    out.extend_from_slice(data);
                } else if seen > DRAIN_MAX {
                    return Err(too_large());
                }
            }
        }
        if seen > MAX_BODY {
            return Err(too_large());
        }
        Ok(())
    };
    match tokio::time::timeout(BODY_TIMEOUT, reading).await {
        Ok(Ok(())) => Ok(out),
        Ok(Err(r)) => Err(r),
        Err(_) => Err(error(StatusCode::REQUEST_TIMEOUT, "the request body took too long")),
    }
}

async fn validate(Extract(state): Extract<Arc<State>>, headers: HeaderMap, body: Body) -> Response {
    let started = Instant::now();
    let bytes = match read_body(&headers, body).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let st = state.clone();
    // evaluation is CPU work (and uses rayon): off the async workers
    let decided =
        tokio::task::spawn_blocking(move || decide_body(&st.rules, &st.config, &bytes, chrono::Utc::now())).await;
    let decision = match decided {
        Ok(Ok(d)) => d,
        Ok(Err(bad)) => return error(StatusCode::BAD_REQUEST, bad.0),
        Err(_) => return error(StatusCode::INTERNAL_SERVER_ERROR, "the evaluation failed"),
    };
    log_decision(&decision, started.elapsed());
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
    eprintln!("{entry}");
}

fn log_decision(d: &Decision, took: Duration) {
    let uid = d.review.response.as_ref().map(|r| r.uid.clone()).unwrap_or_default();
    let rules: Vec<&str> = d.violations.iter().map(|f| f.rule.as_str()).collect();
    log(serde_json::json!({
        "level": "info",
        "msg": "admission review",
        "uid": uid,
        "operation": d.operation,
        "object": d.object,
        "decision": d.outcome.as_str(),
        "violations": rules,
        "errors": d.errors,
        "latencyMs": (took.as_secs_f64() * 1e6).round() / 1e3,
    }));
}

/// Everything `compliance webhook` is told.
#[derive(Debug, Clone)]
pub struct Settings {
    pub listen: std::net::SocketAddr,
    pub cert: PathBuf,
    pub key: PathBuf,
    pub config: Config,
}

/// Serves on `listener` until `handle` is told to shut down.
pub async fn serve(
    listener: std::net::TcpListener,
    tls: RustlsConfig,
    state: Arc<State>,
    handle: axum_server::Handle<std::net::SocketAddr>,
) -> std::io::Result<()> {
    listener.set_nonblocking(true)?;
    let mut server = axum_server::from_tcp_rustls(listener, tls)?.handle(handle);
    server
        .http_builder()
        .http1()
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(Duration::from_secs(10));
    server.serve(router(state).into_make_service()).await
}

/// Runs the webhook until SIGTERM or ctrl-c; in-flight requests get [`GRACE`] to finish.
pub fn run(settings: Settings, rules: RuleSet) -> Result<(), String> {
    let tls = tls_config(&settings.cert, &settings.key)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    runtime.block_on(async move {
        let listener = std::net::TcpListener::bind(settings.listen)
            .map_err(|e| format!("cannot listen on {}: {e}", settings.listen))?;
        let state = Arc::new(State {
            rules: Arc::new(rules),
            config: settings.config.clone(),
        });
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
            "rules": state.rules.rules.len(),
            "objectRules": state.rules.rules.values().filter(|r| r.scope == crate::policy::Scope::Object).count(),
            "mode": format!("{:?}", settings.config.mode).to_lowercase(),
            "excludedNamespaces": settings.config.exclude_namespaces,
        }));
        serve(listener, RustlsConfig::from_config(Arc::new(tls)), state, handle)
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
