//! The real `compliance webhook` server on 127.0.0.1 (ephemeral port), a self-signed
//! certificate made here, and a real HTTPS client.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use axum_server::tls_rustls::RustlsConfig;
use compliance::webhook::server::{self, State};
use compliance::webhook::{Config, Mode};
use serde_json::{json, Value};
#[path = "common/admission.rs"]
mod admission;
use admission::{deployment, KEY};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

struct Running {
    state: Arc<State>,
    client: reqwest::Client,
    cert_pem: String,
    addr: SocketAddr,
    handle: axum_server::Handle<SocketAddr>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    _dir: tempfile::TempDir,
}

impl Running {
    fn url(&self, path: &str) -> String {
        format!("https://localhost:{}{path}", self.addr.port())
    }

    async fn post(&self, body: impl Into<reqwest::Body>) -> reqwest::Response {
        self.client
            .post(self.url("/validate"))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap()
    }

    async fn review(&self, v: &Value) -> Value {
        let r = self.post(serde_json::to_vec(v).unwrap()).await;
        assert_eq!(r.status(), 200);
        serde_json::from_slice(&r.bytes().await.unwrap()).unwrap()
    }

    async fn stop(self) {
        self.handle.graceful_shutdown(Some(Duration::from_secs(5)));
        tokio::time::timeout(Duration::from_secs(10), self.task)
            .await
            .expect("the server stops")
            .unwrap()
            .unwrap();
    }
}

async fn start(config: Config) -> Running {
    let dir = tempfile::tempdir().unwrap();
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let cert_pem = ck.cert.pem();
    let cert = dir.path().join("tls.crt");
    let key = dir.path().join("tls.key");
    std::fs::write(&cert, &cert_pem).unwrap();
    std::fs::write(&key, ck.signing_key.serialize_pem()).unwrap();
    let tls = server::tls_config(&cert, &key).unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let state = Arc::new(State::new(
        Arc::new(compliance::check::load_rules(&[]).unwrap()),
        config,
    ));
    let handle = axum_server::Handle::new();
    let tls = RustlsConfig::from_config(Arc::new(tls));
    let watcher = server::watch_certificates(tls.clone(), cert, key, Duration::from_millis(100));
    let handle_clone = handle.clone();
    let state_clone = state.clone();
    let task = tokio::spawn(async move {
        let served = server::serve(listener, tls, state_clone, handle_clone).await;
        watcher.abort();
        served
    });
    let client = client_trusting(&cert_pem, addr, true);
    Running {
        state,
        client,
        cert_pem,
        addr,
        handle,
        task,
        _dir: dir,
    }
}

/// An HTTPS client that trusts only `cert_pem`; without pooling, every request makes a new
/// TLS handshake (and sees the certificate served at that moment).
fn client_trusting(cert_pem: &str, addr: SocketAddr, pool: bool) -> reqwest::Client {
    let mut b = reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(cert_pem.as_bytes()).unwrap())
        .resolve("localhost", addr)
        .timeout(Duration::from_secs(20));
    if !pool {
        b = b.pool_max_idle_per_host(0);
    }
    b.build().unwrap()
}

fn mode(mode: Mode) -> Config {
    Config {
        mode,
        ..Config::default()
    }
}

/// An AdmissionReview as kube-apiserver sends it.
fn review(operation: &str, namespace: &str, object: Option<Value>, old: Option<Value>) -> Value {
    json!({
        "kind": "AdmissionReview",
        "apiVersion": "admission.k8s.io/v1",
        "request": {
            "uid": "b5a7c2de-0c5f-4f43-9d0a-4f6c8e0d2a77",
            "kind": {"group": "apps", "version": "v1", "kind": "Deployment"},
            "resource": {"group": "apps", "version": "v1", "resource": "deployments"},
            "requestKind": {"group": "apps", "version": "v1", "kind": "Deployment"},
            "requestResource": {"group": "apps", "version": "v1", "resource": "deployments"},
            "name": "web",
            "namespace": namespace,
            "operation": operation,
            "userInfo": {"username": "kubernetes-admin", "groups": ["system:masters", "system:authenticated"]},
            "object": object,
            "oldObject": old,
            "dryRun": false,
            "options": {"apiVersion": "meta.k8s.io/v1", "kind": format!("{}Options", match operation {
                "CREATE" => "Create", "UPDATE" => "Update", _ => "Delete" })}
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deny_mode_over_https() {
    let s = start(mode(Mode::Deny)).await;

    let health = s.client.get(s.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    let ready = s.client.get(s.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);

    // allow
    let r = s.review(&review("CREATE", "shop", Some(deployment(false)), None)).await;
    assert_eq!(r["kind"], "AdmissionReview");
    assert_eq!(r["apiVersion"], "admission.k8s.io/v1");
    assert_eq!(r["response"]["uid"], "b5a7c2de-0c5f-4f43-9d0a-4f6c8e0d2a77");
    assert_eq!(r["response"]["allowed"], true, "{r}");

    // deny, secret masked
    let r = s.review(&review("CREATE", "shop", Some(deployment(true)), None)).await;
    assert_eq!(r["response"]["allowed"], false, "{r}");
    let msg = r["response"]["status"]["message"].as_str().unwrap();
    assert!(msg.contains("SEC-001") && msg.contains("K8S-001"), "{msg}");
    assert!(!r.to_string().contains(KEY));

    // UPDATE judges the new object
    let r = s
        .review(&review(
            "UPDATE",
            "shop",
            Some(deployment(true)),
            Some(deployment(false)),
        ))
        .await;
    assert_eq!(r["response"]["allowed"], false);

    // DELETE allowed
    let r = s.review(&review("DELETE", "shop", None, Some(deployment(true)))).await;
    assert_eq!(r["response"]["allowed"], true);

    // excluded namespace allowed
    let r = s
        .review(&review("CREATE", "kube-system", Some(deployment(true)), None))
        .await;
    assert_eq!(r["response"]["allowed"], true);

    // malformed bodies: 400 with a message, and the server keeps serving
    let r = s.post("{not json").await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("not an AdmissionReview"));
    let r = s
        .post(r#"{"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1"}"#)
        .await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("no `request`"));

    // oversized body: 413
    let big = vec![b' '; server::MAX_BODY + 1];
    let r = s.post(big).await;
    assert_eq!(r.status(), 413);

    // still serving
    let r = s.review(&review("CREATE", "shop", Some(deployment(false)), None)).await;
    assert_eq!(r["response"]["allowed"], true);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn warn_and_audit_modes_allow() {
    let s = start(mode(Mode::Warn)).await;
    let r = s.review(&review("CREATE", "shop", Some(deployment(true)), None)).await;
    assert_eq!(r["response"]["allowed"], true);
    let warnings = r["response"]["warnings"].as_array().unwrap();
    assert!(
        warnings.iter().any(|w| w.as_str().unwrap().starts_with("SEC-001")),
        "{r}"
    );
    assert!(!r.to_string().contains(KEY));
    s.stop().await;

    let s = start(mode(Mode::Audit)).await;
    let r = s.review(&review("CREATE", "shop", Some(deployment(true)), None)).await;
    assert_eq!(r["response"]["allowed"], true);
    assert!(r["response"].get("warnings").is_none());
    assert!(r["response"]["auditAnnotations"]["violations"]
        .as_str()
        .unwrap()
        .contains("SEC-001"));
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_http_is_refused() {
    let s = start(mode(Mode::Deny)).await;
    let plain = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let r = plain
        .post(format!("http://127.0.0.1:{}/validate", s.addr.port()))
        .body(serde_json::to_vec(&review("CREATE", "shop", Some(deployment(true)), None)).unwrap())
        .send()
        .await;
    // the TLS server never answers a plain HTTP request with an HTTP response
    assert!(r.is_err(), "{r:?}");
    // and keeps serving TLS clients
    let ok = s.client.get(s.url("/healthz")).send().await.unwrap();
    assert_eq!(ok.status(), 200);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_requests_violations_and_latency() {
    let s = start(mode(Mode::Deny)).await;
    s.review(&review("CREATE", "shop", Some(deployment(true)), None)).await;
    s.review(&review("CREATE", "shop", Some(deployment(false)), None)).await;
    s.review(&review("DELETE", "shop", None, Some(deployment(true)))).await;
    assert_eq!(s.post("nope").await.status(), 400);
    let r = s.client.get(s.url("/metrics")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain; version=0.0.4"));
    let text = r.text().await.unwrap();
    for line in [
        "compliance_webhook_requests_total{operation=\"CREATE\",decision=\"denied\"} 1",
        "compliance_webhook_requests_total{operation=\"CREATE\",decision=\"allowed\"} 1",
        "compliance_webhook_requests_total{operation=\"DELETE\",decision=\"skipped\"} 1",
        "compliance_webhook_requests_total{operation=\"UNKNOWN\",decision=\"error\"} 1",
        "compliance_webhook_violations_total{rule=\"SEC-001\"} 1",
        "compliance_webhook_violations_total{rule=\"K8S-001\"} 1",
        "compliance_webhook_request_duration_seconds_bucket{le=\"+Inf\"} 4",
        "compliance_webhook_request_duration_seconds_count 4",
        "# TYPE compliance_webhook_request_duration_seconds histogram",
    ] {
        assert!(text.lines().any(|l| l == line), "missing `{line}` in\n{text}");
    }
    assert!(!text.contains(KEY));
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certificate_rotation_is_picked_up_without_restart() {
    let s = start(mode(Mode::Deny)).await;
    let old = client_trusting(&s.cert_pem, s.addr, false);
    assert_eq!(old.get(s.url("/healthz")).send().await.unwrap().status(), 200);

    // a broken pair (key missing its body) is refused and the old certificate kept
    let dir = s._dir.path();
    std::fs::write(
        dir.join("tls.key"),
        "-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\n",
    )
    .unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(old.get(s.url("/healthz")).send().await.unwrap().status(), 200);

    let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let new_pem = ck.cert.pem();
    std::fs::write(dir.join("tls.crt"), &new_pem).unwrap();
    std::fs::write(dir.join("tls.key"), ck.signing_key.serialize_pem()).unwrap();
    let new = client_trusting(&new_pem, s.addr, false);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        if new.get(s.url("/healthz")).send().await.is_ok() {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the new certificate was never served"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // new handshakes no longer present the old certificate
    assert!(old.get(s.url("/healthz")).send().await.is_err());
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_shutdown_finishes_requests_in_flight() {
    let s = start(mode(Mode::Deny)).await;
    let body = serde_json::to_vec(&review("CREATE", "shop", Some(deployment(true)), None)).unwrap();
    let (half, rest) = body.split_at(body.len() / 2);
    let (tx, rx) = tokio::sync::mpsc::channel::<Vec<u8>>(2);
    tx.send(half.to_vec()).await.unwrap();
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|b| (Ok::<_, std::io::Error>(b), rx))
    });
    let request = s
        .client
        .post(s.url("/validate"))
        .header("content-type", "application/json")
        .header("content-length", body.len().to_string())
        .body(reqwest::Body::wrap_stream(stream))
        .send();
    let in_flight = tokio::spawn(request);
    // the handler has the request (headers read, body half sent)
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while s.state.metrics.in_flight() == 0 {
        assert!(tokio::time::Instant::now() < deadline, "the request never arrived");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    s.handle.graceful_shutdown(Some(Duration::from_secs(15)));
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(!s.task.is_finished(), "the server waits for the request in flight");
    tx.send(rest.to_vec()).await.unwrap();
    drop(tx);
    let r = tokio::time::timeout(Duration::from_secs(15), in_flight)
        .await
        .expect("the request finishes")
        .unwrap()
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = serde_json::from_slice(&r.bytes().await.unwrap()).unwrap();
    assert_eq!(v["response"]["allowed"], false);
    assert_eq!(v["response"]["uid"], "b5a7c2de-0c5f-4f43-9d0a-4f6c8e0d2a77");
    tokio::time::timeout(Duration::from_secs(15), s.task)
        .await
        .expect("the server stops once the request is answered")
        .unwrap()
        .unwrap();
}

#[test]
fn the_command_reports_an_unreadable_certificate_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let out = assert_cmd::Command::cargo_bin("compliance")
        .unwrap()
        .args(["webhook", "--listen", "127.0.0.1:0", "--tls-cert"])
        .arg(dir.path().join("missing.crt"))
        .arg("--tls-key")
        .arg(dir.path().join("missing.key"))
        .timeout(Duration::from_secs(30))
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(err.contains("cannot read the certificate"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn policies_are_reloaded_on_change_and_a_bad_set_keeps_the_old_one() {
    let s = start(mode(Mode::Deny)).await;
    let policies = tempfile::tempdir().unwrap();
    let watcher = server::watch_policies(
        s.state.clone(),
        vec![policies.path().to_path_buf()],
        Duration::from_millis(100),
    );
    let violations = |r: &Value| r["response"]["status"]["message"].as_str().unwrap_or("").to_string();
    let bad = review("CREATE", "shop", Some(deployment(true)), None);
    assert!(violations(&s.review(&bad).await).contains("K8S-001"));

    // a custom rule replacing K8S-001 with one that never matches
    std::fs::write(
        policies.path().join("custom.cedar"),
        "@id(\"K8S-001\")\n@scope(\"object\")\n@title(\"Privileged container (off)\")\n@severity(\"low\")\n@remediation(\"none\")\nforbid (principal, action == Action::\"check\", resource is Container) when { false };\n",
    )
    .unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while violations(&s.review(&bad).await).contains("K8S-001") {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the policy change was never picked up"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let before = s.state.rules().digest.clone();

    // a policy that does not parse: reported, the set in force stays
    std::fs::write(
        policies.path().join("broken.cedar"),
        "forbid (principal, action, resource) when {",
    )
    .unwrap();
    assert!(server::reload_rules(&s.state, &[policies.path().to_path_buf()]).is_err());
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(s.state.rules().digest, before);
    let r = s.review(&bad).await;
    assert_eq!(r["response"]["allowed"], false);
    assert!(!violations(&r).contains("K8S-001"));
    assert!(violations(&r).contains("SEC-001"));
    assert_eq!(s.client.get(s.url("/readyz")).send().await.unwrap().status(), 200);
    watcher.abort();
    s.stop().await;
}

/// Sends `signal` (`HUP`, `TERM`) to a process.
fn signal(pid: u32, signal: &str) {
    let ok = std::process::Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(pid.to_string())
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill -{signal} {pid} failed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_reloads_policies_on_sighup_only_and_stops_on_sigterm() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let (cert, key) = (dir.path().join("tls.crt"), dir.path().join("tls.key"));
    std::fs::write(&cert, ck.cert.pem()).unwrap();
    std::fs::write(&key, ck.signing_key.serialize_pem()).unwrap();
    let policies = dir.path().join("policies");
    std::fs::create_dir(&policies).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("compliance"))
        .args(["webhook", "--listen", &addr.to_string(), "--reload-interval", "0"])
        .arg("--tls-cert")
        .arg(&cert)
        .arg("--tls-key")
        .arg(&key)
        .arg("--policies")
        .arg(&policies)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    // the log, line by line, as the server writes it
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let wait_for_log = |needle: &str| {
        let deadline = std::time::Instant::now() + Duration::from_secs(15);
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) => {
                    let entry: Value = serde_json::from_str(&line).unwrap_or_else(|_| panic!("not JSON: {line}"));
                    if entry["msg"].as_str().is_some_and(|m| m.contains(needle)) {
                        return entry;
                    }
                }
                Err(_) => panic!("no log line with `{needle}`"),
            }
        }
    };
    wait_for_log("listening");

    let client = client_trusting(&ck.cert.pem(), addr, true);
    let url = format!("https://localhost:{port}/validate");
    let bad = serde_json::to_vec(&review("CREATE", "shop", Some(deployment(true)), None)).unwrap();
    let message = |client: reqwest::Client, body: Vec<u8>| {
        let url = url.clone();
        async move {
            let bytes = client.post(url).body(body).send().await.unwrap().bytes().await.unwrap();
            let r: Value = serde_json::from_slice(&bytes).unwrap();
            r["response"]["status"]["message"].as_str().unwrap_or("").to_string()
        }
    };
    assert!(message(client.clone(), bad.clone()).await.contains("K8S-001"));

    // a custom rule replacing K8S-001 with one that never matches: with polling off, it
    // takes effect only when the signal comes
    std::fs::write(
        policies.join("custom.cedar"),
        "@id(\"K8S-001\")\n@scope(\"object\")\n@title(\"Privileged container (off)\")\n@severity(\"low\")\n@remediation(\"none\")\nforbid (principal, action == Action::\"check\", resource is Container) when { false };\n",
    )
    .unwrap();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(message(client.clone(), bad.clone()).await.contains("K8S-001"));
    signal(pid, "HUP");
    let reloaded = wait_for_log("policies reloaded");
    assert!(reloaded["rules"].as_u64().unwrap() > 10, "{reloaded}");
    let after = message(client.clone(), bad.clone()).await;
    assert!(!after.contains("K8S-001") && after.contains("SEC-001"), "{after}");

    // a broken file: the signal reloads nothing and the set in force stays
    std::fs::write(
        policies.join("broken.cedar"),
        "forbid (principal, action, resource) when {",
    )
    .unwrap();
    signal(pid, "HUP");
    let refused = wait_for_log("policies not reloaded");
    assert!(refused["error"].as_str().unwrap().contains("broken.cedar"), "{refused}");
    let kept = message(client.clone(), bad.clone()).await;
    assert!(!kept.contains("K8S-001") && kept.contains("SEC-001"), "{kept}");

    drop(client);
    signal(pid, "TERM");
    wait_for_log("shutting down");
    let deadline = std::time::Instant::now() + Duration::from_secs(25);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the server did not stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
}

#[test]
fn webhook_manifests_are_generated_and_pass_the_check() {
    let dir = tempfile::tempdir().unwrap();
    assert_cmd::Command::cargo_bin("compliance")
        .unwrap()
        .args([
            "webhook",
            "manifests",
            "--namespace",
            "policy",
            "--image",
            "registry.local/compliance:1.0",
            "--output-dir",
        ])
        .arg(dir.path())
        .assert()
        .success();
    let out = assert_cmd::Command::cargo_bin("compliance")
        .unwrap()
        .args(["check", "--format", "json", "--now", "2026-11-24T00:00:00Z"])
        .arg(dir.path())
        .assert()
        .code(0);
    let report: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(report["findings"].as_array().unwrap().len(), 0, "{report:#}");
    assert_eq!(report["summary"]["files"].as_u64(), Some(7), "{}", report["summary"]);

    // one stream for kubectl apply -f -, with the chosen values
    let out = assert_cmd::Command::cargo_bin("compliance")
        .unwrap()
        .args(["webhook", "manifests", "--mode", "warn", "--failure-policy", "Ignore"])
        .assert()
        .success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert_eq!(text.matches("\n---\n").count(), 8);
    assert!(text.contains("--mode=warn") && text.contains("failurePolicy: Ignore"));

    // a bad value is an error, not a manifest
    assert_cmd::Command::cargo_bin("compliance")
        .unwrap()
        .args(["webhook", "manifests", "--namespace", "Bad_NS"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("namespace `Bad_NS` is not a DNS label"));
    // serving still needs a certificate
    assert_cmd::Command::cargo_bin("compliance")
        .unwrap()
        .args(["webhook", "--listen", "127.0.0.1:0"])
        .assert()
        .code(2);
}
