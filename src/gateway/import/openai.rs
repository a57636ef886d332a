//! OpenAI Administration API (an admin key, `Authorization: Bearer`):
//!
//! - `GET /v1/organization/projects?limit=100[&after=ID]`
//!   (platform.openai.com/docs/api-reference/projects/list): `data` of
//!   `organization.project` `{id, name, created_at, archived_at, status}`; `has_more`, `last_id`.
//! - `GET /v1/organization/projects/{id}/api_keys?limit=100[&after=ID]`
//!   (platform.openai.com/docs/api-reference/project-api-keys/list): `data` of
//!   `organization.project.api_key` `{id, name, redacted_value, created_at, last_used_at,
//!   owner: {type: "user" | "service_account", user: {id, name, email, role},
//!   service_account: {id, name, role, created_at}}}`.
//! - `GET /v1/organization/projects/{id}/rate_limits?limit=100[&after=ID]`
//!   (platform.openai.com/docs/api-reference/project-rate-limits/list): `data` of
//!   `project.rate_limit` `{id, model, max_requests_per_1_minute, max_tokens_per_1_minute, ...}`.
//!
//! Rate limits are per project and model, not per key: they are written into the
//! snapshot's `scopes`, not onto the keys. The IP allowlist (Settings > Security, per
//! organization or project, developers.openai.com/api/docs/guides/ip-allowlist) has no
//! documented Administration API endpoint: it is recorded as not reported.

use super::{array, date_of_unix, str_of, ImportError, Imported, Key, Options};
use serde_json::{json, Value};

/// Every page of a cursor-paginated list (`has_more`, `last_id`, `after=`).
fn pages(
    client: &mut super::http::Client,
    opts: &Options,
    endpoint: &str,
    path: &str,
) -> Result<Vec<Value>, ImportError> {
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    for _ in 0..opts.max_pages {
        let q = match &after {
            Some(a) => format!("{path}?limit=100&after={}", super::http::encode(a)),
            None => format!("{path}?limit=100"),
        };
        let v = client.get_json(endpoint, &q)?;
        out.extend(array(&v, "data", endpoint)?.iter().cloned());
        let more = v.get("has_more").and_then(Value::as_bool) == Some(true);
        match (more, str_of(&v, "last_id")) {
            (true, Some(last)) => after = Some(last.to_string()),
            _ => return Ok(out),
        }
    }
    Err(ImportError::TooManyPages {
        endpoint: endpoint.to_string(),
        max: opts.max_pages,
    })
}

pub fn read(client: &mut super::http::Client, opts: &Options) -> Result<Imported, ImportError> {
    let projects = pages(client, opts, "GET /organization/projects", "/organization/projects")?;
    let mut keys = Vec::new();
    let mut scopes = Vec::new();
    for p in &projects {
        let Some(pid) = str_of(p, "id") else { continue };
        let pname = str_of(p, "name").map(str::to_string);
        let seg = super::http::encode(pid);
        let api_keys = pages(
            client,
            opts,
            "GET /organization/projects/{project_id}/api_keys",
            &format!("/organization/projects/{seg}/api_keys"),
        )?;
        for k in &api_keys {
            keys.push(key(k, pid, pname.clone())?);
        }
        let limits = pages(
            client,
            opts,
            "GET /organization/projects/{project_id}/rate_limits",
            &format!("/organization/projects/{seg}/rate_limits"),
        )?;
        let mut rate_limits: Vec<Value> = limits
            .iter()
            .filter_map(|l| {
                let model = str_of(l, "model")?;
                let mut m = serde_json::Map::new();
                m.insert("model".into(), json!(model));
                if let Some(r) = l.get("max_requests_per_1_minute").and_then(Value::as_u64) {
                    m.insert("requestsPerMinute".into(), json!(r));
                }
                if let Some(t) = l.get("max_tokens_per_1_minute").and_then(Value::as_u64) {
                    m.insert("tokensPerMinute".into(), json!(t));
                }
                Some(Value::Object(m))
            })
            .collect();
        rate_limits.sort_by(|a, b| a["model"].as_str().cmp(&b["model"].as_str()));
        let mut scope = serde_json::Map::new();
        scope.insert("kind".into(), json!("project"));
        scope.insert("id".into(), json!(super::safe(pid)));
        if let Some(n) = &pname {
            scope.insert("name".into(), json!(super::safe(n)));
        }
        scope.insert("rateLimits".into(), Value::Array(rate_limits));
        scopes.push(Value::Object(scope));
    }
    scopes.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
    Ok(Imported {
        keys,
        reports: &["owner", "status", "createdAt", "lastUsed", "scope"],
        enforcement: &[
            ("rateLimit", "project"),
            ("models", "not-reported"),
            ("quota", "not-reported"),
            ("allowedSubnets", "not-reported"),
        ],
        scopes,
    })
}

fn key(k: &Value, project: &str, project_name: Option<String>) -> Result<Key, ImportError> {
    const ENDPOINT: &str = "GET /organization/projects/{project_id}/api_keys";
    let id = str_of(k, "id").map(str::to_string);
    let name = str_of(k, "name")
        .map(str::to_string)
        .or_else(|| id.clone())
        .unwrap_or_else(|| "unnamed".to_string());
    let created = k.get("created_at").and_then(Value::as_i64).and_then(date_of_unix);
    let created_at = super::required(created, ENDPOINT, &name, "created_at")?;
    let owner = k.get("owner");
    let owner = match owner.and_then(|o| str_of(o, "type")) {
        Some("user") => owner
            .and_then(|o| o.get("user"))
            .and_then(|u| str_of(u, "email").or_else(|| str_of(u, "id")))
            .map(str::to_string),
        Some("service_account") => owner
            .and_then(|o| o.get("service_account"))
            .and_then(|s| str_of(s, "name").or_else(|| str_of(s, "id")))
            .map(|s| format!("service-account:{s}")),
        _ => None,
    };
    Ok(Key {
        name,
        id,
        masked: str_of(k, "redacted_value").map(str::to_string),
        // the list holds the project's enabled keys
        status: "active".to_string(),
        owner,
        created_at,
        last_used: k.get("last_used_at").and_then(Value::as_i64).and_then(date_of_unix),
        scope: Some(("project".to_string(), project.to_string(), project_name)),
        ..Key::default()
    })
}
