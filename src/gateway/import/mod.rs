//! `compliance inventory import`: reads a gateway's admin API and writes an
//! `ApiKeyInventory` snapshot: ids, aliases and the gateway's masked prefixes of the keys,
//! never a key; the admin token is read from the environment or a file, never from the
//! command line, and written nowhere. Re-running on the same responses writes the same bytes.

pub mod anthropic;
pub mod http;
pub mod litellm;
pub mod openai;

use crate::input::snapshot::Snapshot;
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("`{url}` is plain HTTP: the admin token would cross the network unencrypted (pass --allow-http for a proxy on this machine)")]
    InsecureUrl { url: String },
    #[error("`{url}` is not an http:// or https:// URL")]
    BadUrl { url: String },
    #[error("no admin token: set the environment variable `{name}` (or pass --token-env NAME or --token-file FILE)")]
    NoToken { name: String },
    #[error("cannot read the token file `{path}`: {message}")]
    TokenFile { path: String, message: String },
    #[error("cannot read the CA certificate: {0}")]
    CaCert(String),
    #[error("{endpoint}: cannot connect or read: {message}")]
    Transport { endpoint: String, message: String },
    #[error("{endpoint}: HTTP {status}{hint}")]
    Status {
        endpoint: String,
        status: u16,
        hint: &'static str,
    },
    #[error("{endpoint}: the response is not the documented JSON: {message}")]
    Json { endpoint: String, message: String },
    #[error("{endpoint}: more than {max} pages (--max-pages): not imported")]
    TooManyPages { endpoint: String, max: usize },
    #[error("{endpoint}: key `{key}` has no `{field}`")]
    MissingField {
        endpoint: String,
        key: String,
        field: &'static str,
    },
    #[error("cannot write the inventory: {0}")]
    Write(String),
}

/// The gateways an inventory can be imported from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Litellm,
    Openai,
    Anthropic,
}

impl Source {
    pub fn name(self) -> &'static str {
        match self {
            Source::Litellm => "litellm",
            Source::Openai => "openai",
            Source::Anthropic => "anthropic",
        }
    }

    /// The environment variable the admin token is read from by default: the name each
    /// vendor's documentation uses.
    pub fn default_token_env(self) -> &'static str {
        match self {
            // docs.litellm.ai/docs/proxy/virtual_keys: "set LITELLM_MASTER_KEY"
            Source::Litellm => "LITELLM_MASTER_KEY",
            // platform.openai.com/docs/api-reference/administration: `$OPENAI_ADMIN_KEY`
            Source::Openai => "OPENAI_ADMIN_KEY",
            // docs.anthropic.com/en/api/administration-api: `$ANTHROPIC_ADMIN_API_KEY`
            Source::Anthropic => "ANTHROPIC_ADMIN_API_KEY",
        }
    }

    /// The admin API's base URL when `--url` is not given (LiteLLM has none: it is self-hosted).
    pub fn default_url(self) -> Option<&'static str> {
        match self {
            Source::Litellm => None,
            Source::Openai => Some("https://api.openai.com/v1"),
            Source::Anthropic => Some("https://api.anthropic.com/v1"),
        }
    }
}

#[derive(Debug)]
pub struct Options {
    pub source: Source,
    pub url: String,
    pub token: http::Token,
    pub now: DateTime<Utc>,
    pub network: http::Settings,
    /// Pages read from one list endpoint at most.
    pub max_pages: usize,
    /// `metadata.name` of the written inventory.
    pub name: String,
    /// The environment every imported key is declared in (`--environment`), else none.
    pub environment: Option<String>,
}

/// A key as the inventory writes it; `None` is "the source does not say".
#[derive(Debug, Default, Clone)]
pub struct Key {
    pub name: String,
    pub id: Option<String>,
    pub masked: Option<String>,
    pub status: String,
    pub owner: Option<String>,
    pub models: Option<Vec<String>>,
    pub monthly_usd: Option<f64>,
    pub budget_usd: Option<f64>,
    pub budget_period: Option<String>,
    pub rpm: Option<u64>,
    pub tpm: Option<u64>,
    pub created_at: String,
    pub expires_at: Option<String>,
    pub last_used: Option<String>,
    pub scope: Option<(String, String, Option<String>)>,
}

/// What a source read: its keys, the settings it reports, where controls are enforced,
/// and extra snapshot facts (OpenAI's per-project rate limits).
pub struct Imported {
    pub keys: Vec<Key>,
    pub reports: &'static [&'static str],
    pub enforcement: &'static [(&'static str, &'static str)],
    pub scopes: Vec<Value>,
}

/// A value written into the inventory: never something shaped like a key. The admin APIs
/// return masked forms; should one ever return a whole key, only its mask is written.
pub(crate) fn safe(v: &str) -> String {
    if crate::secrets::detect::looks_like_api_key(v) {
        crate::secrets::mask::mask(v)
    } else {
        v.to_string()
    }
}

/// `YYYY-MM-DD` of an RFC 3339 date-time, or `None`.
pub(crate) fn date_of(s: &str) -> Option<String> {
    let d = s.get(..10)?;
    chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()?;
    Some(d.to_string())
}

/// `YYYY-MM-DD` of a Unix time in seconds.
/// A date every key must carry (`created_at`): missing or unreadable fails the import with
/// the endpoint and the key named, rather than a guessed date.
pub(crate) fn required(
    date: Option<String>,
    endpoint: &str,
    key: &str,
    field: &'static str,
) -> Result<String, ImportError> {
    date.ok_or_else(|| ImportError::MissingField {
        endpoint: endpoint.to_string(),
        key: safe(key),
        field,
    })
}

pub(crate) fn date_of_unix(secs: i64) -> Option<String> {
    DateTime::from_timestamp(secs, 0).map(|d| d.format("%Y-%m-%d").to_string())
}

/// Reads the keys and renders the inventory's YAML text.
pub fn import(opts: &Options) -> Result<String, ImportError> {
    let auth = match opts.source {
        Source::Anthropic => http::Auth::AnthropicKey,
        _ => http::Auth::Bearer,
    };
    let token = http::Token::new(opts.token.expose().to_string());
    let mut client = http::Client::new(&opts.url, token, auth, &opts.network)?;
    let imported = match opts.source {
        Source::Litellm => litellm::read(&mut client, opts)?,
        Source::Openai => openai::read(&mut client, opts)?,
        Source::Anthropic => anthropic::read(&mut client, opts)?,
    };
    let snapshot = Snapshot {
        source: opts.source.name().to_string(),
        url: client.base().to_string(),
        fetched_at: opts.now.to_rfc3339_opts(SecondsFormat::Secs, true),
        tool: format!("{} {}", env!("CARGO_PKG_NAME"), env!("CARGO_PKG_VERSION")),
        responses_sha256: client.digest(),
        responses: client.responses,
        reports: imported.reports.iter().map(|s| s.to_string()).collect(),
        enforcement: imported
            .enforcement
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<BTreeMap<_, _>>(),
    };
    Ok(render(opts, &snapshot, imported))
}

fn render(opts: &Options, snapshot: &Snapshot, imported: Imported) -> String {
    let mut keys = imported.keys;
    keys.sort_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id)));
    // names are unique within an inventory: a repeated name gets its id
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for k in &keys {
        *counts.entry(k.name.clone()).or_default() += 1;
    }
    for k in &mut keys {
        if counts.get(&k.name).copied().unwrap_or(0) > 1 {
            if let Some(id) = &k.id {
                k.name = format!("{} ({id})", k.name);
            }
        }
    }
    let keys: Vec<Value> = keys.iter().map(|k| key_value(k, opts.environment.as_deref())).collect();
    let mut snap = serde_json::to_value(snapshot).unwrap_or(Value::Null);
    if let (Some(m), false) = (snap.as_object_mut(), imported.scopes.is_empty()) {
        m.insert("scopes".to_string(), Value::Array(imported.scopes));
    }
    let doc = json!({
        "apiVersion": crate::input::kinds::API_VERSION,
        "kind": "ApiKeyInventory",
        "metadata": { "name": opts.name },
        "snapshot": snap,
        "keys": keys,
    });
    let body = serde_yaml::to_string(&doc).unwrap_or_default();
    format!(
        "# Imported by `compliance inventory import --from {}`: a snapshot of the gateway's keys.\n# Key values are never written: ids, aliases and the gateway's masked forms only.\n{body}",
        opts.source.name()
    )
}

fn key_value(k: &Key, environment: Option<&str>) -> Value {
    let mut m = Map::new();
    m.insert("name".into(), json!(safe(&k.name)));
    if let Some(id) = &k.id {
        m.insert("id".into(), json!(safe(id)));
    }
    if let Some(v) = &k.masked {
        m.insert("maskedValue".into(), json!(safe(v)));
    }
    if let Some(e) = environment {
        m.insert("environment".into(), json!(e));
    }
    if let Some(o) = &k.owner {
        m.insert("owner".into(), json!(safe(o)));
    }
    m.insert("status".into(), json!(k.status));
    if let Some(models) = &k.models {
        m.insert("models".into(), json!(models));
    }
    let mut quota = Map::new();
    if let Some(u) = k.monthly_usd {
        quota.insert("monthlyUsd".into(), json!(u));
    }
    if let Some(u) = k.budget_usd {
        quota.insert("budgetUsd".into(), json!(u));
    }
    if let Some(p) = &k.budget_period {
        quota.insert("budgetPeriod".into(), json!(p));
    }
    if !quota.is_empty() {
        m.insert("quota".into(), Value::Object(quota));
    }
    let mut rate = Map::new();
    if let Some(r) = k.rpm {
        rate.insert("requestsPerMinute".into(), json!(r));
    }
    if let Some(t) = k.tpm {
        rate.insert("tokensPerMinute".into(), json!(t));
    }
    if !rate.is_empty() {
        m.insert("rateLimit".into(), Value::Object(rate));
    }
    m.insert("createdAt".into(), json!(k.created_at));
    if let Some(e) = &k.expires_at {
        m.insert("expiresAt".into(), json!(e));
    }
    if let Some(u) = &k.last_used {
        m.insert("lastUsed".into(), json!(u));
    }
    if let Some((kind, id, name)) = &k.scope {
        let mut s = Map::new();
        s.insert("kind".into(), json!(kind));
        s.insert("id".into(), json!(safe(id)));
        if let Some(n) = name {
            s.insert("name".into(), json!(safe(n)));
        }
        m.insert("scope".into(), Value::Object(s));
    }
    Value::Object(m)
}

/// Reads the admin token: from `file` if given, else from the environment variable `env`.
pub fn read_token(env: &str, file: Option<&std::path::Path>) -> Result<http::Token, ImportError> {
    let token = match file {
        Some(p) => {
            let bytes = crate::input::guard::read_file(p, 64 * 1024).map_err(|e| ImportError::TokenFile {
                path: p.display().to_string(),
                message: e.to_string(),
            })?;
            match bytes {
                crate::input::guard::Contents::Bytes(b) => http::Token::new(String::from_utf8_lossy(&b).into_owned()),
                _ => {
                    return Err(ImportError::TokenFile {
                        path: p.display().to_string(),
                        message: "not a regular file of at most 64 KiB".to_string(),
                    })
                }
            }
        }
        None => http::Token::new(std::env::var(env).unwrap_or_default()),
    };
    if token.is_empty() {
        return Err(ImportError::NoToken { name: env.to_string() });
    }
    Ok(token)
}

/// The JSON array at `field`, or the documented-shape error.
pub(crate) fn array<'v>(v: &'v Value, field: &str, endpoint: &str) -> Result<&'v Vec<Value>, ImportError> {
    v.get(field).and_then(Value::as_array).ok_or_else(|| ImportError::Json {
        endpoint: endpoint.to_string(),
        message: format!("no `{field}` list"),
    })
}

pub(crate) fn str_of<'v>(v: &'v Value, field: &str) -> Option<&'v str> {
    v.get(field).and_then(Value::as_str).filter(|s| !s.is_empty())
}
