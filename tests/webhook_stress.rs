//! The webhook under a bounded loopback load: the real `compliance webhook` binary, a
//! self-signed certificate made here, and for about 11 seconds concurrent clients that mix
//! valid AdmissionReviews (denied and allowed, each checked for its own uid and decision)
//! with malformed JSON, oversized bodies, slow bodies, silent connections and plain-HTTP
//! attempts. Every valid request must be answered correctly, every hostile one must end
//! (with 400, 413, 408 or a closed connection) in bounded time, and the server's resident
//! memory (VmRSS of the child process) must stay bounded.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::{json, Value};
#[path = "common/admission.rs"]
mod admission;
use admission::{deployment, KEY};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long the mixed load runs: past the server's 10-second body and handshake timeouts,
/// so that slow clients are seen cut off.
const LOAD: Duration = Duration::from_secs(11);
/// Largest growth of the server's resident memory allowed over its warmed-up size.
const RSS_GROWTH_MAX_KB: u64 = 128 * 1024;

struct Server {
    child: std::process::Child,
    addr: SocketAddr,
    client: reqwest::Client,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    fn url(&self, path: &str) -> String {
        format!("https://localhost:{}{path}", self.addr.port())
    }

    /// VmRSS of the server process, in KiB.
    fn rss_kb(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        status
            .lines()
            .find(|l| l.starts_with("VmRSS:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap()
    }
}

async fn start() -> Server {
    let dir = tempfile::tempdir().unwrap();
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let cert_pem = ck.cert.pem();
    std::fs::write(dir.path().join("tls.crt"), &cert_pem).unwrap();
    std::fs::write(dir.path().join("tls.key"), ck.signing_key.serialize_pem()).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let log = std::fs::File::create(dir.path().join("webhook.log")).unwrap();
    let child = std::process::Command::new(assert_cmd::cargo::cargo_bin("compliance"))
        .args(["webhook", "--listen", &addr.to_string(), "--tls-cert"])
        .arg(dir.path().join("tls.crt"))
        .arg("--tls-key")
        .arg(dir.path().join("tls.key"))
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    let client = reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(cert_pem.as_bytes()).unwrap())
        .resolve("localhost", addr)
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let server = Server {
        child,
        addr,
        client,
        _dir: dir,
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(r) = server.client.get(server.url("/healthz")).send().await {
            if r.status() == 200 {
                break;
            }
        }
        assert!(Instant::now() < deadline, "the webhook never became healthy");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    server
}

fn review(uid: &str, object: Value) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "kind": "AdmissionReview",
        "apiVersion": "admission.k8s.io/v1",
        "request": {
            "uid": uid,
            "kind": {"group": "apps", "version": "v1", "kind": "Deployment"},
            "resource": {"group": "apps", "version": "v1", "resource": "deployments"},
            "name": "web",
            "namespace": "shop",
            "operation": "CREATE",
            "userInfo": {"username": "kubernetes-admin"},
            "object": object,
            "dryRun": false
        }
    }))
    .unwrap()
}

#[derive(Default)]
struct Counts {
    valid: AtomicUsize,
    malformed: AtomicUsize,
    oversized: AtomicUsize,
    slow: AtomicUsize,
    silent: AtomicUsize,
    plain: AtomicUsize,
    /// Slowest time for the server to end a hostile request, in milliseconds.
    slowest_cut_ms: AtomicU64,
}

/// One valid review, checked: its own uid back, and the right decision.
async fn valid(s: &Server, n: usize) {
    let bad = n % 2 == 0;
    let uid = format!("stress-{n}");
    let r = s
        .client
        .post(s.url("/validate"))
        .header("content-type", "application/json")
        .body(review(&uid, deployment(bad)))
        .send()
        .await
        .unwrap_or_else(|e| panic!("valid request {n} failed: {e}"));
    assert_eq!(r.status(), 200, "valid request {n}");
    let v: Value = serde_json::from_slice(&r.bytes().await.unwrap()).unwrap();
    assert_eq!(v["response"]["uid"], uid.as_str(), "{v}");
    assert_eq!(v["response"]["allowed"], !bad, "{v}");
    if bad {
        let msg = v["response"]["status"]["message"].as_str().unwrap();
        assert!(msg.contains("SEC-001") && msg.contains("K8S-001"), "{msg}");
        assert!(!v.to_string().contains(KEY));
    }
}

fn malformed_body(i: usize) -> Vec<u8> {
    match i % 6 {
        0 => b"{not json".to_vec(),
        1 => br#"{"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1"}"#.to_vec(),
        2 => [b"[".repeat(200_000), b"]".repeat(200_000)].concat(),
        3 => {
            let mut b = review("x", deployment(true));
            b.truncate(b.len() / 2);
            b
        }
        4 => format!(r#"{{"kind":"Pod","apiVersion":"v1","x":"{}"}}"#, "a".repeat(1 << 20)).into_bytes(),
        _ => vec![0xff, 0xfe, 0x00, 0x01],
    }
}

/// A request whose body stalls after half of it: the server answers 408 (or closes the
/// connection) after its 10-second body timeout; returns how long that took.
async fn slow_body(s: &Server) -> Duration {
    let body = review("slow", deployment(true));
    let (tx, rx) = tokio::sync::mpsc::channel::<Vec<u8>>(1);
    tx.send(body[..body.len() / 2].to_vec()).await.unwrap();
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|b| (Ok::<_, std::io::Error>(b), rx))
    });
    let started = Instant::now();
    let r = s
        .client
        .post(s.url("/validate"))
        .header("content-type", "application/json")
        .header("content-length", body.len().to_string())
        .body(reqwest::Body::wrap_stream(stream))
        .send()
        .await;
    let took = started.elapsed();
    if let Ok(r) = r {
        assert_eq!(r.status(), 408);
    }
    drop(tx);
    took
}

/// A TCP connection that never starts TLS: the server must close it (handshake timeout).
fn silent_connection(addr: SocketAddr) -> Duration {
    let started = Instant::now();
    let mut c = TcpStream::connect(addr).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(14))).unwrap();
    let mut buf = [0u8; 64];
    match c.read(&mut buf) {
        Ok(0) => {}
        Ok(n) => panic!("the server sent {n} bytes to a silent client"),
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {}
        Err(e) => panic!("a silent connection was never closed: {e}"),
    }
    started.elapsed()
}

/// Plain HTTP to the HTTPS port: never an HTTP answer.
fn plain_http(addr: SocketAddr) {
    let mut c = TcpStream::connect(addr).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(12))).unwrap();
    let body = review("plain", deployment(true));
    let head = format!(
        "POST /validate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let _ = c.write_all(head.as_bytes());
    let _ = c.write_all(&body);
    let mut got = Vec::new();
    let _ = c.read_to_end(&mut got);
    assert!(!got.starts_with(b"HTTP/"), "plain HTTP was answered");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn valid_requests_are_answered_under_hostile_load_and_memory_stays_bounded() {
    let s = Arc::new(start().await);
    // warm up: rules, TLS, allocator
    for n in 0..40 {
        valid(&s, 1_000_000 + n).await;
    }
    let warm_kb = s.rss_kb();
    let counts = Arc::new(Counts::default());
    let end = Instant::now() + LOAD;
    let mut tasks = Vec::new();

    // valid clients: a reused connection each, and one that opens a new one each time
    for t in 0..3 {
        let (s, counts) = (s.clone(), counts.clone());
        tasks.push(tokio::spawn(async move {
            let mut n = t;
            while Instant::now() < end {
                valid(&s, n).await;
                counts.valid.fetch_add(1, Ordering::Relaxed);
                n += 3;
            }
        }));
    }
    // malformed bodies: 400 each
    {
        let (s, counts) = (s.clone(), counts.clone());
        tasks.push(tokio::spawn(async move {
            let mut i = 0;
            while Instant::now() < end {
                let r = s
                    .client
                    .post(s.url("/validate"))
                    .body(malformed_body(i))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 400, "malformed body {}", i % 6);
                let reason = r.text().await.unwrap();
                assert!(!reason.contains(KEY) && reason.len() < 4096, "{reason}");
                counts.malformed.fetch_add(1, Ordering::Relaxed);
                i += 1;
            }
        }));
    }
    // oversized bodies: 413, one at a time, a few per second
    {
        let (s, counts) = (s.clone(), counts.clone());
        tasks.push(tokio::spawn(async move {
            let big = vec![b' '; compliance::webhook::server::MAX_BODY + 1];
            while Instant::now() < end {
                let r = s.client.post(s.url("/validate")).body(big.clone()).send().await;
                match r {
                    Ok(r) => assert_eq!(r.status(), 413),
                    // the server may close before the client has written everything
                    Err(e) => assert!(e.is_request() || e.is_body(), "{e}"),
                }
                counts.oversized.fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
        }));
    }
    // slow bodies, started at once: cut off after the 10-second body timeout
    for _ in 0..8 {
        let (s, counts) = (s.clone(), counts.clone());
        tasks.push(tokio::spawn(async move {
            let took = slow_body(&s).await;
            assert!(took < Duration::from_secs(13), "a slow body was held {took:?}");
            counts.slow.fetch_add(1, Ordering::Relaxed);
            counts
                .slowest_cut_ms
                .fetch_max(took.as_millis() as u64, Ordering::Relaxed);
        }));
    }
    // silent TCP connections and plain HTTP, on blocking threads
    for i in 0..12 {
        let (addr, counts) = (s.addr, counts.clone());
        tasks.push(tokio::task::spawn_blocking(move || {
            if i % 2 == 0 {
                let took = silent_connection(addr);
                assert!(took < Duration::from_secs(13), "a silent connection was held {took:?}");
                counts.silent.fetch_add(1, Ordering::Relaxed);
            } else {
                while Instant::now() < end {
                    plain_http(addr);
                    counts.plain.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    // memory, sampled while all of that runs
    let sampler = {
        let s = s.clone();
        tokio::spawn(async move {
            let mut peak = 0;
            while Instant::now() < end + Duration::from_secs(1) {
                peak = peak.max(s.rss_kb());
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            peak
        })
    };
    for t in tasks {
        tokio::time::timeout(Duration::from_secs(30), t)
            .await
            .expect("a client task finished in time")
            .unwrap();
    }
    let peak_kb = sampler.await.unwrap();
    // still serving, and still right
    valid(&s, 2_000_000).await;
    valid(&s, 2_000_001).await;
    let end_kb = s.rss_kb();

    let c = &counts;
    eprintln!(
        "stress: {} valid, {} malformed, {} oversized, {} slow, {} silent, {} plain-HTTP; \
         slowest cut {} ms; VmRSS warm {warm_kb} KiB, peak {peak_kb} KiB, end {end_kb} KiB",
        c.valid.load(Ordering::Relaxed),
        c.malformed.load(Ordering::Relaxed),
        c.oversized.load(Ordering::Relaxed),
        c.slow.load(Ordering::Relaxed),
        c.silent.load(Ordering::Relaxed),
        c.plain.load(Ordering::Relaxed),
        c.slowest_cut_ms.load(Ordering::Relaxed),
    );
    assert!(
        c.valid.load(Ordering::Relaxed) >= 30,
        "too few valid requests got through"
    );
    assert!(c.malformed.load(Ordering::Relaxed) >= 6);
    assert!(c.oversized.load(Ordering::Relaxed) >= 3);
    assert_eq!(c.slow.load(Ordering::Relaxed), 8);
    assert_eq!(c.silent.load(Ordering::Relaxed), 6);
    assert!(c.plain.load(Ordering::Relaxed) >= 6);
    assert!(
        peak_kb.saturating_sub(warm_kb) < RSS_GROWTH_MAX_KB,
        "VmRSS grew from {warm_kb} KiB to {peak_kb} KiB"
    );
    // the metrics agree with what was sent
    let metrics = s
        .client
        .get(s.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("compliance_webhook_requests_total{operation=\"CREATE\",decision=\"denied\"}"));
    assert!(!metrics.contains(KEY));
}
