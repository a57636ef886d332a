//! Anthropic Admin API: `GET /v1/organizations/api_keys?limit=1000[&after_id=ID]` with
//! `x-api-key` and `anthropic-version: 2023-06-01`.
//!
//! Documented at platform.claude.com/docs/en/api/admin/api_keys/list (formerly docs.anthropic.com/en/api/admin-api/apikeys/list-api-keys): each key has
//! `id`, `type: "api_key"`, `name`, `status` (`active`, `inactive`, `archived`, `expired`),
//! `created_at` (RFC 3339), `created_by` `{id, type}`, `partial_key_hint`
//! (`sk-ant-api03-R2D...igAA`) and `workspace_id` (null: the default workspace); the page
//! has `has_more`, `first_id`, `last_id` (the next page's `after_id`).

use super::{array, date_of, str_of, ImportError, Imported, Key, Options};
use serde_json::Value;

const ENDPOINT: &str = "GET /organizations/api_keys";

pub fn read(client: &mut super::http::Client, opts: &Options) -> Result<Imported, ImportError> {
    let mut keys = Vec::new();
    let mut after: Option<String> = None;
    for _ in 0..opts.max_pages {
        let q = match &after {
            Some(a) => format!("/organizations/api_keys?limit=1000&after_id={}", super::http::encode(a)),
            None => "/organizations/api_keys?limit=1000".to_string(),
        };
        let v = client.get_json(ENDPOINT, &q)?;
        for k in array(&v, "data", ENDPOINT)? {
            keys.push(key(k)?);
        }
        let more = v.get("has_more").and_then(Value::as_bool) == Some(true);
        match (more, str_of(&v, "last_id")) {
            (true, Some(last)) => after = Some(last.to_string()),
            _ => return Ok(imported(keys)),
        }
    }
    Err(ImportError::TooManyPages {
        endpoint: ENDPOINT.to_string(),
        max: opts.max_pages,
    })
}

fn imported(keys: Vec<Key>) -> Imported {
    Imported {
        keys,
        reports: &["status", "createdAt", "scope"],
        enforcement: &[
            // the Admin API reports no per-key model list, spend limit or IP allowlist
            ("models", "not-reported"),
            ("quota", "not-reported"),
            ("rateLimit", "not-reported"),
            ("allowedSubnets", "not-reported"),
        ],
        scopes: Vec::new(),
    }
}

fn key(k: &Value) -> Result<Key, ImportError> {
    let id = str_of(k, "id").map(str::to_string);
    let name = str_of(k, "name")
        .map(str::to_string)
        .or_else(|| id.clone())
        .unwrap_or_else(|| "unnamed".to_string());
    let created_at = super::required(str_of(k, "created_at").and_then(date_of), ENDPOINT, &name, "created_at")?;
    let status = match str_of(k, "status") {
        Some("active") => "active",
        Some("inactive") => "disabled",
        Some("archived") => "revoked",
        Some("expired") => "expired",
        other => {
            return Err(ImportError::Json {
                endpoint: ENDPOINT.to_string(),
                message: format!(
                    "key `{}` has status {:?}, not one of active, inactive, archived, expired",
                    super::safe(&name),
                    other.map(super::safe)
                ),
            })
        }
    };
    let workspace = str_of(k, "workspace_id").unwrap_or("default").to_string();
    Ok(Key {
        name,
        id,
        masked: str_of(k, "partial_key_hint").map(str::to_string),
        status: status.to_string(),
        created_at,
        scope: Some(("workspace".to_string(), workspace, None)),
        ..Key::default()
    })
}
