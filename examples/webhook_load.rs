//! A small, bounded load generator for the webhook on loopback: `scripts/webhook-load.sh`
//! starts the server and runs this. It sends `--requests` AdmissionReviews of a typical
//! Deployment to /validate over HTTPS with `--concurrency` keep-alive connections, then the
//! same number of GETs to /healthz over the same kind of connections (the floor), and
//! prints requests per second and p50/p99 latency for both.
//! Usage: webhook_load URL CA_PEM [--requests N] [--concurrency C]

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

const REVIEW: &str = include_str!("../tests/data/admission/deployment-compliant.json");

fn arg(args: &[String], name: &str, default: usize) -> usize {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn run(
    client: &reqwest::Client,
    url: &str,
    post: bool,
    requests: usize,
    concurrency: usize,
) -> (f64, Vec<Duration>) {
    let started = Instant::now();
    let per = requests / concurrency;
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (client, url) = (client.clone(), url.to_string());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::with_capacity(per);
            for _ in 0..per {
                let t = Instant::now();
                let resp = if post {
                    client
                        .post(&url)
                        .header("content-type", "application/json")
                        .body(REVIEW)
                        .send()
                        .await
                } else {
                    client.get(&url).send().await
                };
                let resp = resp.expect("request");
                assert!(resp.status().is_success(), "{}", resp.status());
                let body = resp.text().await.expect("body");
                if post {
                    assert!(body.contains("\"allowed\":true"), "{body}");
                }
                lat.push(t.elapsed());
            }
            lat
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.expect("task"));
    }
    let secs = started.elapsed().as_secs_f64();
    all.sort();
    (all.len() as f64 / secs, all)
}

fn pct(lat: &[Duration], p: f64) -> f64 {
    lat[((lat.len() as f64 * p) as usize).min(lat.len() - 1)].as_secs_f64() * 1e3
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (base, ca) = (args[1].trim_end_matches('/').to_string(), &args[2]);
    let requests = arg(&args, "--requests", 4000);
    let concurrency = arg(&args, "--concurrency", 4);
    let ca = reqwest::Certificate::from_pem(&std::fs::read(ca).unwrap()).unwrap();
    let client = reqwest::Client::builder()
        .add_root_certificate(ca)
        .timeout(Duration::from_secs(10))
        .pool_max_idle_per_host(concurrency)
        .build()
        .unwrap();
    // warm up the connections and the server
    run(
        &client,
        &format!("{base}/validate"),
        true,
        concurrency * 20,
        concurrency,
    )
    .await;
    for (name, path, post) in [
        ("validate (Deployment)", "/validate", true),
        ("healthz (floor)", "/healthz", false),
    ] {
        let (rps, lat) = run(&client, &format!("{base}{path}"), post, requests, concurrency).await;
        println!(
            "{name:<22} {} requests, {concurrency} connections: {rps:>8.0} req/s  p50 {:.3} ms  p99 {:.3} ms  max {:.3} ms",
            lat.len(),
            pct(&lat, 0.50),
            pct(&lat, 0.99),
            pct(&lat, 1.0)
        );
    }
}
