//! LiteLLM proxy: `GET /key/list?return_full_object=true&page=N&size=100`.
//!
//! Documented in docs.litellm.ai/docs/proxy/virtual_keys (key fields: `key_alias`,
//! `key_name` "sk-...abcd", `models` (empty: every model), `max_budget`, `budget_duration`,
//! `tpm_limit`, `rpm_limit`, `expires`, `blocked`, `user_id`, `team_id`, `created_at`) and
//! implemented by `list_keys` in litellm/proxy/management_endpoints/key_management_endpoints.py:
//! query `page` (from 1), `size` (1 to 100), `return_full_object`; answer
//! `{"keys": [...], "total_count", "current_page", "total_pages"}`. `token` in a full
//! object is the key's SHA-256 hash, LiteLLM's id for it (never the key).

use super::{array, date_of, str_of, ImportError, Imported, Key, Options};
use chrono::{DateTime, Utc};
use serde_json::Value;

const ENDPOINT: &str = "GET /key/list";
const PAGE_SIZE: usize = 100;

pub fn read(client: &mut super::http::Client, opts: &Options) -> Result<Imported, ImportError> {
    let mut keys = Vec::new();
    let mut page = 1usize;
    loop {
        if page > opts.max_pages {
            return Err(ImportError::TooManyPages {
                endpoint: ENDPOINT.to_string(),
                max: opts.max_pages,
            });
        }
        let v = client.get_json(
            ENDPOINT,
            &format!("/key/list?return_full_object=true&page={page}&size={PAGE_SIZE}"),
        )?;
        for k in array(&v, "keys", ENDPOINT)? {
            keys.push(key(k, opts.now)?);
        }
        let total = v.get("total_pages").and_then(Value::as_u64).unwrap_or(1) as usize;
        if page >= total {
            break;
        }
        page += 1;
    }
    Ok(Imported {
        keys,
        reports: &[
            "models",
            "quota",
            "rateLimit",
            "expiresAt",
            "owner",
            "status",
            "createdAt",
            "scope",
        ],
        enforcement: &[
            ("models", "key"),
            ("quota", "key"),
            ("rateLimit", "key"),
            ("expiresAt", "key"),
            // general_settings.allowed_ips: proxy-wide (config_settings.md)
            ("allowedSubnets", "proxy"),
        ],
        scopes: Vec::new(),
    })
}

fn key(k: &Value, now: DateTime<Utc>) -> Result<Key, ImportError> {
    if !k.is_object() {
        return Err(ImportError::Json {
            endpoint: ENDPOINT.to_string(),
            message:
                "`keys` holds a string, not a key object: is `return_full_object` supported by this LiteLLM version?"
                    .to_string(),
        });
    }
    let hash = str_of(k, "token").map(str::to_string);
    let masked = str_of(k, "key_name").map(str::to_string);
    let name = str_of(k, "key_alias")
        .map(str::to_string)
        .or_else(|| masked.clone())
        .or_else(|| hash.as_ref().map(|h| format!("key-{}", h.get(..12).unwrap_or(h))))
        .unwrap_or_else(|| "unnamed".to_string());
    let created_at = super::required(str_of(k, "created_at").and_then(date_of), ENDPOINT, &name, "created_at")?;
    let expires = str_of(k, "expires");
    let expired = expires
        .and_then(|e| DateTime::parse_from_rfc3339(e).ok())
        .is_some_and(|e| e.with_timezone(&Utc) <= now);
    let status = if k.get("blocked").and_then(Value::as_bool) == Some(true) {
        "disabled"
    } else if expired {
        "expired"
    } else {
        "active"
    };
    let models: Vec<String> = k
        .get("models")
        .and_then(Value::as_array)
        .map(|m| m.iter().filter_map(Value::as_str).map(str::to_string).collect())
        .unwrap_or_default();
    let budget = k.get("max_budget").and_then(Value::as_f64);
    let period = str_of(k, "budget_duration").map(str::to_string);
    let monthly = matches!(period.as_deref(), Some("30d" | "1mo"));
    let team = str_of(k, "team_id").map(str::to_string);
    let user = str_of(k, "user_id").map(str::to_string);
    Ok(Key {
        name,
        id: hash,
        masked,
        status: status.to_string(),
        owner: team.clone().or_else(|| user.clone()),
        // an empty list lets the key call every model (virtual_keys.md)
        models: Some(if models.is_empty() {
            vec!["*".to_string()]
        } else {
            models
        }),
        monthly_usd: budget.filter(|_| monthly),
        budget_usd: budget.filter(|_| !monthly),
        budget_period: period.filter(|p| !monthly && budget.is_some() && valid_period(p)),
        rpm: k.get("rpm_limit").and_then(Value::as_u64),
        tpm: k.get("tpm_limit").and_then(Value::as_u64),
        created_at,
        expires_at: expires.and_then(date_of),
        last_used: None,
        scope: match (team, user) {
            (Some(t), _) => Some(("team".to_string(), t, str_of(k, "team_alias").map(str::to_string))),
            (None, Some(u)) => Some(("user".to_string(), u, None)),
            _ => None,
        },
    })
}

/// The inventory's `budgetPeriod` pattern (LiteLLM's duration format).
fn valid_period(p: &str) -> bool {
    let digits = p.chars().take_while(char::is_ascii_digit).count();
    digits > 0 && matches!(&p[digits..], "s" | "m" | "h" | "d" | "w" | "mo" | "y")
}
