//! `compliance inventory import` over real HTTPS: the real client (ureq + rustls) talks to a
//! TLS server on 127.0.0.1 (a certificate made by rcgen, trusted with `--ca-cert`) that
//! answers with the documented response shapes, pagination, expired and blocked keys, 401
//! and 500 included. No admin token and no key value may appear in any output or file.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use assert_cmd::Command;
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// A request the server saw: its path with the query, and its headers (lower-case names).
#[derive(Debug, Clone)]
struct Seen {
    path: String,
    headers: Vec<(String, String)>,
}

type Handler = dyn Fn(&str) -> (u16, String) + Send + Sync;

struct Server {
    url: String,
    ca: PathBuf,
    seen: Arc<Mutex<Vec<Seen>>>,
    _dir: tempfile::TempDir,
}

impl Server {
    fn start(handler: impl Fn(&str) -> (u16, String) + Send + Sync + 'static) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let ck = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()]).unwrap();
        let cert = dir.path().join("tls.crt");
        let key = dir.path().join("tls.key");
        std::fs::write(&cert, ck.cert.pem()).unwrap();
        std::fs::write(&key, ck.signing_key.serialize_pem()).unwrap();
        let tls = Arc::new(compliance::webhook::server::tls_config(&cert, &key).unwrap());
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let seen_clone = seen.clone();
        let handler: Arc<Handler> = Arc::new(handler);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let (tls, seen, handler) = (tls.clone(), seen_clone.clone(), handler.clone());
                std::thread::spawn(move || serve(stream, tls, &seen, &*handler));
            }
        });
        Server {
            url: format!("https://127.0.0.1:{}", addr.port()),
            ca: cert,
            seen,
            _dir: dir,
        }
    }

    fn paths(&self) -> Vec<String> {
        self.seen.lock().unwrap().iter().map(|s| s.path.clone()).collect()
    }
}

fn serve(stream: std::net::TcpStream, tls: Arc<rustls::ServerConfig>, seen: &Mutex<Vec<Seen>>, handler: &Handler) {
    let Ok(conn) = rustls::ServerConnection::new(tls) else {
        return;
    };
    let mut s = rustls::StreamOwned::new(conn, stream);
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match s.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => return,
        }
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or("");
    let path = request_line.split(' ').nth(1).unwrap_or("").to_string();
    let headers = lines
        .filter_map(|l| l.split_once(": "))
        .map(|(k, v)| (k.to_ascii_lowercase(), v.to_string()))
        .collect();
    seen.lock().unwrap().push(Seen {
        path: path.clone(),
        headers,
    });
    let (status, body) = handler(&path);
    let reply = format!(
        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = s.write_all(reply.as_bytes());
    let _ = s.flush();
    s.conn.send_close_notify();
    let _ = s.flush();
}

const NOW: &str = "2026-12-01T12:00:00Z";
/// The admin token the tests use: it must appear in no output and no file.
const TOKEN: &str = "sk-admin-Zq8Rk2Lw5Nx7Pv3Tb9Hc4Jd6Mf1Gs0Ay";
/// A whole key value a misbehaving gateway could return: never written either.
const LEAKED_KEY: &str = "sk-proj-Ln4Vb8Xc2Zm6Qw1Er5Ty9Ui3Op7As0Df";

fn import(server: &Server, from: &str, env_name: &str, out: &Path, extra: &[&str]) -> std::process::Output {
    let mut cmd = Command::cargo_bin("compliance").unwrap();
    cmd.args(["inventory", "import", "--from", from, "--url", &server.url])
        .arg("--ca-cert")
        .arg(&server.ca)
        .args(["--now", NOW, "--output"])
        .arg(out)
        .args(extra)
        .env_clear()
        .env(env_name, TOKEN);
    cmd.output().unwrap()
}

fn assert_no_secret(text: &str, what: &str) {
    assert!(!text.contains(TOKEN), "{what} holds the admin token:\n{text}");
    assert!(
        !text.contains(&TOKEN[10..]),
        "{what} holds part of the admin token:\n{text}"
    );
    assert!(!text.contains(LEAKED_KEY), "{what} holds a key value:\n{text}");
}

fn assert_clean(o: &std::process::Output) {
    assert_no_secret(&String::from_utf8_lossy(&o.stdout), "stdout");
    assert_no_secret(&String::from_utf8_lossy(&o.stderr), "stderr");
}

fn yaml(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap();
    assert_no_secret(&text, "the inventory");
    serde_yaml::from_str(&text).unwrap()
}

fn key<'v>(inv: &'v Value, name: &str) -> &'v Value {
    inv["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["name"] == name)
        .unwrap_or_else(|| panic!("no key `{name}` in {inv:#}"))
}

/// LiteLLM `GET /key/list?return_full_object=true` pages, shaped like `list_keys` in
/// litellm/proxy/management_endpoints/key_management_endpoints.py answers
/// (`{"keys": [...], "total_count", "current_page", "total_pages"}`), each key a
/// `LiteLLM_VerificationToken` as docs.litellm.ai/docs/proxy/virtual_keys shows it:
/// `token` is the key's hash, `key_name` its masked form.
fn litellm_page(page: usize) -> Value {
    let keys = if page == 1 {
        json!([
            {
                "token": "3f1c9a7e5b2d4f6a8c0e1b3d5f7a9c2e4b6d8f0a1c3e5b7d9f2a4c6e8b0d1f3a",
                "key_name": "sk-...Qw7A", "key_alias": "checkout-prod", "spend": 12.5,
                "max_budget": 200.0, "budget_duration": "30d", "expires": null,
                "models": ["gpt-4o-mini"], "user_id": "ana@acme.example", "team_id": "team-payments",
                "team_alias": "Payments", "tpm_limit": 100000, "rpm_limit": 600, "blocked": null,
                "metadata": {}, "created_at": "2026-10-01T08:00:00Z", "updated_at": "2026-10-01T08:00:00Z"
            },
            {
                "token": "1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b",
                "key_name": "sk-...Zz9C", "key_alias": "batch-dev", "spend": 0.0,
                "max_budget": 50.0, "budget_duration": "7d", "expires": "2026-11-15T00:00:00Z",
                "models": [], "user_id": "bo@acme.example", "team_id": null, "tpm_limit": null,
                "rpm_limit": null, "blocked": false, "metadata": {},
                "created_at": "2026-09-20T10:00:00Z", "updated_at": "2026-09-20T10:00:00Z"
            }
        ])
    } else {
        json!([
            {
                "token": "7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b1a0f9e8d7c6b",
                "key_name": "sk-...Hh4D", "key_alias": "support-bot", "spend": 3.0,
                "max_budget": null, "budget_duration": null, "expires": "2027-03-01T00:00:00Z",
                "models": ["gpt-4o-mini"], "user_id": null, "team_id": "team-support",
                "tpm_limit": null, "rpm_limit": null, "blocked": true, "metadata": {},
                "created_at": "2026-09-01T09:00:00Z", "updated_at": "2026-11-02T09:00:00Z"
            },
            {
                "token": LEAKED_KEY,
                "key_name": LEAKED_KEY, "key_alias": null, "spend": 0.0, "max_budget": 5.0,
                "budget_duration": null, "expires": null, "models": ["gpt-4o-mini"],
                "user_id": "intern@acme.example", "team_id": null, "blocked": null,
                "metadata": {}, "created_at": "2026-11-25T16:30:00Z"
            }
        ])
    };
    json!({ "keys": keys, "total_count": 4, "current_page": page, "total_pages": 2 })
}

fn litellm_server() -> Server {
    Server::start(|path| {
        if path.starts_with("/key/list?") && path.contains("return_full_object=true") {
            let page = if path.contains("page=2") { 2 } else { 1 };
            (200, litellm_page(page).to_string())
        } else {
            (404, r#"{"detail":"Not Found"}"#.to_string())
        }
    })
}

#[test]
fn litellm_keys_are_imported_with_their_settings_and_no_secret() {
    let server = litellm_server();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("snapshot.yaml");
    let o = import(&server, "litellm", "LITELLM_MASTER_KEY", &out, &[]);
    assert_clean(&o);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // both pages, with the documented query, and the token as a bearer token
    assert_eq!(
        server.paths(),
        [
            "/key/list?return_full_object=true&page=1&size=100",
            "/key/list?return_full_object=true&page=2&size=100"
        ]
    );
    let seen = server.seen.lock().unwrap().clone();
    assert!(seen[0]
        .headers
        .contains(&("authorization".to_string(), format!("Bearer {TOKEN}"))));

    let inv = yaml(&out);
    assert_eq!(inv["kind"], "ApiKeyInventory");
    let snap = &inv["snapshot"];
    assert_eq!(snap["source"], "litellm");
    assert_eq!(snap["url"], server.url.as_str());
    assert_eq!(snap["fetchedAt"], NOW);
    assert_eq!(snap["responses"], 2);
    assert_eq!(snap["enforcement"]["allowedSubnets"], "proxy");
    assert_eq!(snap["responsesSha256"].as_str().unwrap().len(), 64);

    let checkout = key(&inv, "checkout-prod");
    assert_eq!(checkout["maskedValue"], "sk-...Qw7A");
    assert_eq!(checkout["status"], "active");
    assert_eq!(checkout["owner"], "team-payments");
    assert_eq!(checkout["models"], json!(["gpt-4o-mini"]));
    assert_eq!(checkout["quota"], json!({"monthlyUsd": 200.0}));
    assert_eq!(
        checkout["rateLimit"],
        json!({"requestsPerMinute": 600, "tokensPerMinute": 100000})
    );
    assert_eq!(checkout["createdAt"], "2026-10-01");
    assert_eq!(
        checkout["scope"],
        json!({"kind": "team", "id": "team-payments", "name": "Payments"})
    );
    assert!(
        checkout.get("environment").is_none(),
        "the gateway cannot tell the environment"
    );

    // expired: `expires` before --now; an empty model list is every model; a 7-day budget
    let batch = key(&inv, "batch-dev");
    assert_eq!(batch["status"], "expired");
    assert_eq!(batch["expiresAt"], "2026-11-15");
    assert_eq!(batch["models"], json!(["*"]));
    assert_eq!(batch["quota"], json!({"budgetUsd": 50.0, "budgetPeriod": "7d"}));
    assert_eq!(batch["owner"], "bo@acme.example");

    // blocked: disabled; no budget: no quota (never guessed)
    let support = key(&inv, "support-bot");
    assert_eq!(support["status"], "disabled");
    assert!(support.get("quota").is_none());

    // a key value returned where a masked one belongs is written masked only
    let keys = inv["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 4);
    let leaked = keys.iter().find(|k| k["createdAt"] == "2026-11-25").unwrap();
    assert!(leaked["name"].as_str().unwrap().contains("[redacted]"), "{leaked}");
    assert!(leaked["id"].as_str().unwrap().contains("[redacted]"), "{leaked}");

    // the same responses give the same bytes
    let again = dir.path().join("again.yaml");
    let o = import(&server, "litellm", "LITELLM_MASTER_KEY", &again, &[]);
    assert!(o.status.success());
    assert_eq!(std::fs::read(&out).unwrap(), std::fs::read(&again).unwrap());
}

#[test]
fn litellm_snapshot_is_judged_and_compared_with_the_declared_inventory() {
    let server = litellm_server();
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("repo");
    std::fs::create_dir(&tree).unwrap();
    let snapshot = dir.path().join("snapshot.yaml");
    let o = import(&server, "litellm", "LITELLM_MASTER_KEY", &snapshot, &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    std::fs::write(
        tree.join("inventory.yaml"),
        "apiVersion: compliance/v1alpha1\nkind: ApiKeyInventory\nmetadata: { name: declared }\nkeys:\n  - name: checkout-prod\n    environment: production\n    owner: team-payments\n    status: active\n    models: [gpt-4o-mini]\n    quota: { monthlyUsd: 200 }\n    allowedSubnets: [198.51.100.10/32]\n    createdAt: 2026-10-01\n  - name: support-bot\n    environment: production\n    owner: team-support\n    status: active\n    models: [gpt-4o-mini]\n    quota: { monthlyUsd: 100 }\n    allowedSubnets: [198.51.100.13/32]\n    createdAt: 2026-09-01\n",
    )
    .unwrap();
    let o = Command::cargo_bin("compliance")
        .unwrap()
        .args(["check", "--no-git", "--format", "json", "--now", NOW])
        .arg(&tree)
        .arg("--inventory-snapshot")
        .arg(&snapshot)
        .env_clear()
        .output()
        .unwrap();
    assert_clean(&o);
    let report: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(report["errors"], json!([]), "the snapshot is a valid inventory");
    let findings = report["findings"].as_array().unwrap();
    let of = |rule: &str| -> Vec<&Value> { findings.iter().filter(|f| f["rule"] == rule).collect() };
    // support-bot: blocked in the gateway, active in the declaration; its quota differs
    let differs = of("DRIFT-003");
    assert_eq!(differs.len(), 1, "{findings:#?}");
    let message = differs[0]["message"].as_str().unwrap();
    assert!(message.contains("support-bot"), "{message}");
    assert!(
        message.contains("status: declared active, gateway disabled"),
        "{message}"
    );
    assert!(message.contains(&format!("fetched {NOW}")), "{message}");
    assert!(message.contains(&server.url), "{message}");
    assert!(differs[0]["file"].as_str().unwrap().ends_with("repo/inventory.yaml"));
    assert_eq!(differs[0]["path"], "keys[1].quota");
    // batch-dev and the unnamed key are in the gateway only
    let unmanaged: Vec<&str> = of("DRIFT-001").iter().map(|f| f["message"].as_str().unwrap()).collect();
    assert_eq!(unmanaged.len(), 2, "{unmanaged:?}");
    assert!(unmanaged.iter().any(|m| m.contains("`batch-dev`")));
    assert!(of("DRIFT-002").is_empty());
}

#[test]
fn a_refused_token_names_the_endpoint_and_the_status_and_writes_nothing() {
    let server = Server::start(|_| (401, r#"{"error":{"message":"Authentication Error"}}"#.to_string()));
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("snapshot.yaml");
    let o = import(&server, "litellm", "LITELLM_MASTER_KEY", &out, &[]);
    assert_clean(&o);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("GET /key/list: HTTP 401"), "{err}");
    assert!(!out.exists());
}

#[test]
fn a_server_error_on_a_later_page_leaves_no_partial_file() {
    let server = Server::start(|path| {
        if path.contains("page=2") {
            (500, r#"{"error":"Internal Server Error"}"#.to_string())
        } else {
            (200, litellm_page(1).to_string())
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("snapshot.yaml");
    std::fs::write(&out, "previous snapshot\n").unwrap();
    let o = import(&server, "litellm", "LITELLM_MASTER_KEY", &out, &[]);
    assert_clean(&o);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("GET /key/list: HTTP 500"));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "previous snapshot\n");
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "a temporary file was left"
    );
}

#[test]
fn pagination_is_bounded() {
    // a server that always says there is another page
    let server = Server::start(|path| {
        let page: usize = path
            .split("page=")
            .nth(1)
            .and_then(|p| p.split('&').next())
            .and_then(|p| p.parse().ok())
            .unwrap_or(1);
        (
            200,
            json!({"keys": [], "total_count": 0, "current_page": page, "total_pages": 1_000_000}).to_string(),
        )
    });
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("snapshot.yaml");
    let o = import(&server, "litellm", "LITELLM_MASTER_KEY", &out, &["--max-pages", "3"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("more than 3 pages"));
    assert_eq!(server.paths().len(), 3);
    assert!(!out.exists());
}

/// OpenAI Administration API responses, shaped as documented:
/// projects: platform.openai.com/docs/api-reference/projects/list
/// (`{"object": "list", "data": [organization.project], "first_id", "last_id", "has_more"}`);
/// project API keys: platform.openai.com/docs/api-reference/project-api-keys/list
/// (`organization.project.api_key` with `redacted_value`, `owner.type` user or service_account);
/// rate limits: platform.openai.com/docs/api-reference/project-rate-limits/list (`project.rate_limit`).
fn openai_server() -> Server {
    Server::start(|path| {
        let body = match path {
            "/organization/projects?limit=100" => json!({
                "object": "list",
                "data": [{"id": "proj_abc", "object": "organization.project", "name": "Checkout", "created_at": 1711471533, "archived_at": null, "status": "active"}],
                "first_id": "proj_abc", "last_id": "proj_abc", "has_more": true
            }),
            "/organization/projects?limit=100&after=proj_abc" => json!({
                "object": "list",
                "data": [{"id": "proj_def", "object": "organization.project", "name": "Research", "created_at": 1711471600, "archived_at": null, "status": "active"}],
                "first_id": "proj_def", "last_id": "proj_def", "has_more": false
            }),
            "/organization/projects/proj_abc/api_keys?limit=100" => json!({
                "object": "list",
                "data": [{
                    "object": "organization.project.api_key", "redacted_value": "sk-abc...def",
                    "name": "checkout-backend", "created_at": 1727740800, "last_used_at": 1764460800,
                    "id": "key_abc",
                    "owner": {"type": "service_account", "service_account": {"object": "organization.project.service_account", "id": "svc_acct_abc", "name": "checkout-svc", "role": "member", "created_at": 1711471533}}
                }],
                "first_id": "key_abc", "last_id": "key_abc", "has_more": false
            }),
            "/organization/projects/proj_def/api_keys?limit=100" => json!({
                "object": "list",
                "data": [{
                    "object": "organization.project.api_key", "redacted_value": "sk-ghi...jkl",
                    "name": "notebook", "created_at": 1717200000, "last_used_at": null, "id": "key_def",
                    "owner": {"type": "user", "user": {"object": "organization.project.user", "id": "user_abc", "name": "Ana", "email": "ana@acme.example", "role": "owner", "added_at": 1711471533}}
                }],
                "first_id": "key_def", "last_id": "key_def", "has_more": false
            }),
            p if p.ends_with("/rate_limits?limit=100") => json!({
                "object": "list",
                "data": [
                    {"object": "project.rate_limit", "id": "rl-gpt-4o", "model": "gpt-4o", "max_requests_per_1_minute": 500, "max_tokens_per_1_minute": 30000},
                    {"object": "project.rate_limit", "id": "rl-ada", "model": "ada", "max_requests_per_1_minute": 600, "max_tokens_per_1_minute": 150000, "max_images_per_1_minute": 10}
                ],
                "first_id": "rl-gpt-4o", "last_id": "rl-ada", "has_more": false
            }),
            _ => return (404, r#"{"error":{"message":"not found"}}"#.to_string()),
        };
        (200, body.to_string())
    })
}

#[test]
fn openai_projects_keys_and_rate_limits_are_imported() {
    let server = openai_server();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("openai.yaml");
    let o = import(
        &server,
        "openai",
        "OPENAI_ADMIN_KEY",
        &out,
        &["--environment", "production"],
    );
    assert_clean(&o);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(server.paths().len(), 6, "{:?}", server.paths());
    let inv = yaml(&out);
    assert_eq!(inv["snapshot"]["source"], "openai");
    assert_eq!(inv["snapshot"]["enforcement"]["rateLimit"], "project");
    assert_eq!(inv["snapshot"]["enforcement"]["allowedSubnets"], "not-reported");
    let backend = key(&inv, "checkout-backend");
    assert_eq!(backend["id"], "key_abc");
    assert_eq!(backend["maskedValue"], "sk-abc...def");
    assert_eq!(backend["owner"], "service-account:checkout-svc");
    assert_eq!(backend["environment"], "production");
    assert_eq!(backend["createdAt"], "2024-10-01");
    assert_eq!(backend["lastUsed"], "2025-11-30");
    assert_eq!(
        backend["scope"],
        json!({"kind": "project", "id": "proj_abc", "name": "Checkout"})
    );
    assert!(backend.get("models").is_none() && backend.get("quota").is_none());
    let notebook = key(&inv, "notebook");
    assert_eq!(notebook["owner"], "ana@acme.example");
    assert!(notebook.get("lastUsed").is_none());
    let scopes = inv["snapshot"]["scopes"].as_array().unwrap();
    assert_eq!(scopes.len(), 2);
    assert_eq!(
        scopes[0]["rateLimits"],
        json!([
            {"model": "ada", "requestsPerMinute": 600, "tokensPerMinute": 150000},
            {"model": "gpt-4o", "requestsPerMinute": 500, "tokensPerMinute": 30000}
        ])
    );
    // the KEY/ROT rules judge the snapshot: a production key rotated over 90 days ago
    let o = Command::cargo_bin("compliance")
        .unwrap()
        .args(["check", "--no-git", "--format", "json", "--now", NOW])
        .arg(&out)
        .env_clear()
        .output()
        .unwrap();
    assert_clean(&o);
    let report: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(report["errors"], json!([]), "the snapshot is a valid inventory");
    let rot: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "ROT-001")
        .collect();
    assert_eq!(rot.len(), 2, "{report:#}");
}

/// Anthropic Admin API `GET /v1/organizations/api_keys`, shaped as
/// platform.claude.com/docs/en/api/admin/api_keys/list (formerly docs.anthropic.com/en/api/admin-api/apikeys/list-api-keys) documents it: `data` of
/// `api_key` objects, `has_more`, `first_id`, `last_id` (the next `after_id`).
fn anthropic_server() -> Server {
    Server::start(|path| {
        let k = |id: &str, name: &str, status: &str, ws: Value| {
            json!({
                "id": id, "type": "api_key", "name": name, "status": status,
                "created_at": "2026-08-30T23:58:27.427722Z",
                "created_by": {"id": "user_01WCz1FkmYMm4gnmykNKUu3Q", "type": "user"},
                "partial_key_hint": format!("sk-ant-api03-R2D...{}", &id[id.len() - 4..]),
                "workspace_id": ws
            })
        };
        let body = match path {
            "/organizations/api_keys?limit=1000" => json!({
                "data": [
                    k("apikey_01Rj2N8SVvo6BePZj99NhmiT", "Developer Key", "active", json!("wrkspc_01JwQvzr7rXLA5AGx3HKfFUJ")),
                    k("apikey_01Xy7Q2wErTy5uIoPaSdFgHj", "Old CI", "inactive", Value::Null)
                ],
                "has_more": true, "first_id": "apikey_01Rj2N8SVvo6BePZj99NhmiT", "last_id": "apikey_01Xy7Q2wErTy5uIoPaSdFgHj"
            }),
            "/organizations/api_keys?limit=1000&after_id=apikey_01Xy7Q2wErTy5uIoPaSdFgHj" => json!({
                "data": [
                    k("apikey_01Zx9C8vBnM7aSdF6gHjKl5Q", "Archived", "archived", Value::Null),
                    k("apikey_01Po0I9uYt8ReW7qAs6DfG5H", "Trial", "expired", Value::Null)
                ],
                "has_more": false, "first_id": "apikey_01Zx9C8vBnM7aSdF6gHjKl5Q", "last_id": "apikey_01Po0I9uYt8ReW7qAs6DfG5H"
            }),
            _ => {
                return (
                    404,
                    r#"{"type":"error","error":{"type":"not_found_error","message":"Not found"}}"#.to_string(),
                )
            }
        };
        (200, body.to_string())
    })
}

#[test]
fn anthropic_keys_are_imported_with_their_status_and_workspace() {
    let server = anthropic_server();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("anthropic.yaml");
    let o = import(&server, "anthropic", "ANTHROPIC_ADMIN_API_KEY", &out, &[]);
    assert_clean(&o);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let seen = server.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2);
    assert!(seen[0].headers.contains(&("x-api-key".to_string(), TOKEN.to_string())));
    assert!(seen[0]
        .headers
        .contains(&("anthropic-version".to_string(), "2023-06-01".to_string())));
    assert!(!seen[0].headers.iter().any(|(k, _)| k == "authorization"));
    let inv = yaml(&out);
    let status = |n: &str| key(&inv, n)["status"].as_str().unwrap().to_string();
    assert_eq!(status("Developer Key"), "active");
    assert_eq!(status("Old CI"), "disabled");
    assert_eq!(status("Archived"), "revoked");
    assert_eq!(status("Trial"), "expired");
    let dev = key(&inv, "Developer Key");
    assert_eq!(dev["id"], "apikey_01Rj2N8SVvo6BePZj99NhmiT");
    assert_eq!(dev["maskedValue"], "sk-ant-api03-R2D...hmiT");
    assert_eq!(
        dev["scope"],
        json!({"kind": "workspace", "id": "wrkspc_01JwQvzr7rXLA5AGx3HKfFUJ"})
    );
    assert_eq!(key(&inv, "Old CI")["scope"]["id"], "default");
    assert_eq!(dev["createdAt"], "2026-08-30");
    assert!(dev.get("owner").is_none(), "created_by is the creator, not an owner");
    // the snapshot is a valid inventory: the disabled key has no disable date (ROT-005)
    let o = Command::cargo_bin("compliance")
        .unwrap()
        .args(["check", "--no-git", "--format", "json", "--now", NOW])
        .arg(&out)
        .env_clear()
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(report["errors"], json!([]));
    let rot5: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "ROT-005")
        .collect();
    assert_eq!(rot5.len(), 1, "{report:#}");
}

#[test]
fn anthropic_server_error_is_exit_2() {
    let server = Server::start(|_| (500, r#"{"type":"error","error":{"type":"api_error"}}"#.to_string()));
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("anthropic.yaml");
    let o = import(&server, "anthropic", "ANTHROPIC_ADMIN_API_KEY", &out, &[]);
    assert_clean(&o);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("GET /organizations/api_keys: HTTP 500"));
    assert!(!out.exists());
}

#[test]
fn plain_http_needs_allow_http_and_a_token_is_required() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x.yaml");
    let o = Command::cargo_bin("compliance")
        .unwrap()
        .args([
            "inventory",
            "import",
            "--from",
            "litellm",
            "--url",
            "http://proxy.acme.example:4000",
            "--output",
        ])
        .arg(&out)
        .env_clear()
        .env("LITELLM_MASTER_KEY", TOKEN)
        .output()
        .unwrap();
    assert_clean(&o);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--allow-http"));
    let o = Command::cargo_bin("compliance")
        .unwrap()
        .args(["inventory", "import", "--from", "openai", "--output"])
        .arg(&out)
        .env_clear()
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("`OPENAI_ADMIN_KEY`"));
    // the token is not an argument at all
    let o = Command::cargo_bin("compliance")
        .unwrap()
        .args(["inventory", "import", "--from", "openai", "--token", TOKEN])
        .env_clear()
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert_no_secret(&String::from_utf8_lossy(&o.stderr).replace(TOKEN, "<arg>"), "stderr");
    assert!(!out.exists());
}

#[test]
fn the_token_can_come_from_a_file() {
    let server = litellm_server();
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("token");
    std::fs::write(&token, format!("{TOKEN}\n")).unwrap();
    let out = dir.path().join("snapshot.yaml");
    let o = Command::cargo_bin("compliance")
        .unwrap()
        .args([
            "inventory",
            "import",
            "--from",
            "litellm",
            "--url",
            &server.url,
            "--now",
            NOW,
        ])
        .arg("--ca-cert")
        .arg(&server.ca)
        .arg("--token-file")
        .arg(&token)
        .arg("--output")
        .arg(&out)
        .env_clear()
        .output()
        .unwrap();
    assert_clean(&o);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let seen = server.seen.lock().unwrap().clone();
    assert!(seen[0]
        .headers
        .contains(&("authorization".to_string(), format!("Bearer {TOKEN}"))));
}

#[test]
fn an_untrusted_certificate_is_refused() {
    let server = litellm_server();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("snapshot.yaml");
    // no --ca-cert: the built-in roots do not trust the test certificate
    let o = Command::cargo_bin("compliance")
        .unwrap()
        .args([
            "inventory",
            "import",
            "--from",
            "litellm",
            "--url",
            &server.url,
            "--output",
        ])
        .arg(&out)
        .env_clear()
        .env("LITELLM_MASTER_KEY", TOKEN)
        .output()
        .unwrap();
    assert_clean(&o);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("GET /key/list: cannot connect"));
    assert!(!out.exists());
}

#[test]
fn every_source_names_the_endpoint_and_status_of_a_401_or_500() {
    let cases = [
        ("litellm", "LITELLM_MASTER_KEY", "GET /key/list"),
        ("openai", "OPENAI_ADMIN_KEY", "GET /organization/projects"),
        ("anthropic", "ANTHROPIC_ADMIN_API_KEY", "GET /organizations/api_keys"),
    ];
    for (from, env, endpoint) in cases {
        for status in [401u16, 500] {
            let server = Server::start(move |_| (status, r#"{"error":{"message":"no"}}"#.to_string()));
            let dir = tempfile::tempdir().unwrap();
            let out = dir.path().join("x.yaml");
            let o = import(&server, from, env, &out, &[]);
            assert_clean(&o);
            assert_eq!(o.status.code(), Some(2), "{from} {status}");
            let err = String::from_utf8_lossy(&o.stderr);
            assert!(err.contains(&format!("{endpoint}: HTTP {status}")), "{from}: {err}");
            assert!(!out.exists());
        }
    }
    // OpenAI: a failure after the projects were listed names the per-project endpoint
    let server = Server::start(|path| {
        if path.starts_with("/organization/projects?") {
            let body = json!({"object": "list", "data": [{"id": "proj_abc", "object": "organization.project", "name": "P", "created_at": 1, "status": "active"}], "has_more": false, "first_id": "proj_abc", "last_id": "proj_abc"});
            (200, body.to_string())
        } else {
            (500, "{}".to_string())
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x.yaml");
    let o = import(&server, "openai", "OPENAI_ADMIN_KEY", &out, &[]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("GET /organization/projects/{project_id}/api_keys: HTTP 500"),
        "{err}"
    );
    assert!(!out.exists());
}
