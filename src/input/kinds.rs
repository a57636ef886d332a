//! The tool's own document kinds (`apiVersion: compliance/v1alpha1`): the API-key
//! inventory, the retention policy, the security profile and waivers. Each is validated with its JSON Schema from
//! `schemas/` before it is deserialized, so a wrong field is an input error with a line.

use serde::Deserialize;
use std::sync::LazyLock;

pub const API_VERSION: &str = "compliance/v1alpha1";

pub const INVENTORY_SCHEMA: &str = include_str!("../../schemas/api-key-inventory.schema.json");
pub const RETENTION_SCHEMA: &str = include_str!("../../schemas/retention-policy.schema.json");
pub const PROFILE_SCHEMA: &str = include_str!("../../schemas/security-profile.schema.json");
pub const WAIVERS_SCHEMA: &str = include_str!("../../schemas/waivers.schema.json");

#[derive(Debug, Clone, Deserialize)]
pub struct Meta {
    pub name: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Inventory {
    pub metadata: Meta,
    pub keys: Vec<KeySpec>,
    /// Set on an inventory written by `compliance inventory import` (see [`crate::gateway`]).
    #[serde(default)]
    pub snapshot: Option<crate::input::snapshot::Snapshot>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeySpec {
    pub name: String,
    /// The gateway's id of the key (imported snapshots; optional in a declared inventory).
    pub id: Option<String>,
    pub masked_value: Option<String>,
    /// Empty in an imported snapshot, where the gateway cannot tell it.
    #[serde(default)]
    pub environment: String,
    pub owner: Option<String>,
    pub status: String,
    pub models: Option<Vec<String>>,
    pub quota: Option<Quota>,
    pub allowed_subnets: Option<Vec<String>>,
    pub created_at: String,
    pub last_rotated: Option<String>,
    pub disabled_at: Option<String>,
    pub storage: Option<Storage>,
    pub rate_limit: Option<KeyRateLimit>,
    pub expires_at: Option<String>,
    pub last_used: Option<String>,
    pub scope: Option<KeyScope>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyRateLimit {
    pub requests_per_minute: Option<u64>,
    pub tokens_per_minute: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct KeyScope {
    pub kind: String,
    pub id: String,
    pub name: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Quota {
    pub monthly_usd: Option<f64>,
    pub monthly_tokens: Option<u64>,
    pub budget_usd: Option<f64>,
    pub budget_period: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Storage {
    pub kind: String,
    #[serde(rename = "ref")]
    pub reference: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Retention {
    pub metadata: Meta,
    pub rules: Vec<RetentionRule>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RetentionRule {
    pub data_type: String,
    pub retention_days: u64,
    pub reason: Option<String>,
    pub region: Option<String>,
}

/// The application settings of a `SecurityProfile`; every section may be absent.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Profile {
    pub metadata: Meta,
    pub api_base_url: Option<String>,
    pub tls_verify: Option<bool>,
    pub session: Option<Session>,
    pub rate_limit: Option<RateLimit>,
    pub request_validation: Option<RequestValidation>,
    pub logging: Option<Logging>,
    pub mfa: Option<Mfa>,
    pub monitoring: Option<Monitoring>,
    pub incident_response: Option<IncidentResponse>,
    pub reviews: Option<Reviews>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Session {
    pub cookie_secure: Option<bool>,
    pub cookie_http_only: Option<bool>,
    pub cookie_same_site: Option<String>,
    pub lifetime_seconds: Option<u64>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RateLimit {
    pub window_seconds: Option<u64>,
    pub max_requests: Option<u64>,
    pub scope: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestValidation {
    pub max_message_length: Option<u64>,
    pub allowed_models: Option<Vec<String>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Logging {
    pub redact_pii: Option<bool>,
    pub log_request_bodies: Option<bool>,
    pub security_events: Option<bool>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Mfa {
    pub enabled: Option<bool>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Monitoring {
    pub alerts: Option<Vec<String>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IncidentResponse {
    pub runbook: Option<String>,
    pub last_drill: Option<String>,
}

/// The guide's "Regular Review" list, as the dates each was last done.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Reviews {
    pub key_rotation: Option<String>,
    pub access_logs: Option<String>,
    pub permission_audit: Option<String>,
    pub dependency_updates: Option<String>,
    pub incident_drill: Option<String>,
    pub policy_review: Option<String>,
}

/// A `Waivers` document: accepted exceptions with a reason, an owner and an expiry.
#[derive(Debug, Clone, Deserialize)]
pub struct Waivers {
    pub waivers: Vec<WaiverSpec>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct WaiverSpec {
    pub rule: String,
    pub selector: WaiverSelector,
    pub path: Option<String>,
    pub reason: String,
    pub owner: String,
    /// YYYY-MM-DD (checked by the schema and by [`validate`]).
    pub expires: String,
}

/// Which findings a waiver covers; every field given must match.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
pub struct WaiverSelector {
    pub kind: Option<String>,
    pub namespace: Option<String>,
    pub name: Option<String>,
    /// A glob on the finding's file, relative to the checked folder.
    pub file: Option<String>,
}

/// A schema violation: where (JSON pointer into the document) and what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaViolation {
    pub pointer: String,
    pub message: String,
}

struct Schemas {
    inventory: jsonschema::Validator,
    retention: jsonschema::Validator,
    profile: jsonschema::Validator,
    waivers: jsonschema::Validator,
}

fn build(text: &str) -> Result<jsonschema::Validator, String> {
    let schema: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(&schema)
        .map_err(|e| e.to_string())
}

static SCHEMAS: LazyLock<Result<Schemas, String>> = LazyLock::new(|| {
    Ok(Schemas {
        inventory: build(INVENTORY_SCHEMA)?,
        retention: build(RETENTION_SCHEMA)?,
        profile: build(PROFILE_SCHEMA)?,
        waivers: build(WAIVERS_SCHEMA)?,
    })
});

/// Validates a document of one of our kinds. Messages never quote the offending value
/// (it may be a key), only the rule it broke.
pub fn validate(kind: &str, value: &serde_json::Value) -> Vec<SchemaViolation> {
    let schemas = match &*SCHEMAS {
        Ok(s) => s,
        Err(e) => {
            return vec![SchemaViolation {
                pointer: String::new(),
                message: format!("built-in schema is broken: {e}"),
            }]
        }
    };
    let validator = match kind {
        "ApiKeyInventory" => &schemas.inventory,
        "RetentionPolicy" => &schemas.retention,
        "SecurityProfile" => &schemas.profile,
        "Waivers" => &schemas.waivers,
        _ => return Vec::new(),
    };
    let mut out: Vec<SchemaViolation> = validator
        .iter_errors(value)
        .map(|e| SchemaViolation {
            pointer: e.instance_path().as_str().to_string(),
            message: e.masked().to_string(),
        })
        .collect();
    if kind == "ApiKeyInventory" && out.is_empty() {
        out.extend(inventory_semantics(value));
    }
    if kind == "Waivers" && out.is_empty() {
        out.extend(waivers_semantics(value));
    }
    out.sort_by(|a, b| a.pointer.cmp(&b.pointer).then(a.message.cmp(&b.message)));
    out
}

/// Prefix length of an allowlist entry (an address alone is a /32 or /128).
pub fn parse_cidr(entry: &str) -> Option<(std::net::IpAddr, u8)> {
    let (addr, len) = match entry.split_once('/') {
        Some((a, l)) => (a, Some(l)),
        None => (entry, None),
    };
    let ip: std::net::IpAddr = addr.trim().parse().ok()?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    let len = match len {
        Some(l) => l.trim().parse::<u8>().ok().filter(|&l| l <= max)?,
        None => max,
    };
    Some((ip, len))
}

/// What JSON Schema cannot say: names unique in the inventory, subnets that parse.
fn inventory_semantics(value: &serde_json::Value) -> Vec<SchemaViolation> {
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (i, key) in value
        .get("keys")
        .and_then(|k| k.as_array())
        .into_iter()
        .flatten()
        .enumerate()
    {
        if let Some(name) = key.get("name").and_then(|n| n.as_str()) {
            if !seen.insert(name) {
                out.push(SchemaViolation {
                    pointer: format!("/keys/{i}/name"),
                    message: format!("duplicate key name `{name}`: names must be unique within an inventory"),
                });
            }
        }
        for (j, s) in key
            .get("allowedSubnets")
            .and_then(|s| s.as_array())
            .into_iter()
            .flatten()
            .enumerate()
        {
            if s.as_str().and_then(parse_cidr).is_none() {
                out.push(SchemaViolation {
                    pointer: format!("/keys/{i}/allowedSubnets/{j}"),
                    message: "expected an IPv4 or IPv6 address or CIDR block such as `203.0.113.0/24`".to_string(),
                });
            }
        }
    }
    out
}

/// What JSON Schema cannot say about waivers: the expiry is a real calendar day, the file
/// selector is a valid glob.
fn waivers_semantics(value: &serde_json::Value) -> Vec<SchemaViolation> {
    let mut out = Vec::new();
    for (i, w) in value
        .get("waivers")
        .and_then(|w| w.as_array())
        .into_iter()
        .flatten()
        .enumerate()
    {
        if let Some(d) = w.get("expires").and_then(|d| d.as_str()) {
            if parse_date(d).is_none() {
                out.push(SchemaViolation {
                    pointer: format!("/waivers/{i}/expires"),
                    message: "expected a calendar date, YYYY-MM-DD".to_string(),
                });
            }
        }
        if let Some(g) = w.pointer("/selector/file").and_then(|g| g.as_str()) {
            if let Err(e) = globset::Glob::new(g) {
                out.push(SchemaViolation {
                    pointer: format!("/waivers/{i}/selector/file"),
                    message: format!("invalid glob: {}", e.kind()),
                });
            }
        }
    }
    out
}

/// A calendar date, `YYYY-MM-DD`.
pub fn parse_date(s: &str) -> Option<chrono::NaiveDate> {
    chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()
}

/// True for the kinds this module owns.
pub fn is_own_kind(api_version: &str, kind: &str) -> bool {
    api_version == API_VERSION
        && matches!(
            kind,
            "ApiKeyInventory" | "RetentionPolicy" | "SecurityProfile" | "Waivers"
        )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn schemas_compile_and_accept_the_spec_example() {
        let doc = json!({
            "apiVersion": "compliance/v1alpha1", "kind": "ApiKeyInventory",
            "metadata": {"name": "k"},
            "keys": [{"name": "a", "environment": "production", "status": "active",
                      "createdAt": "2026-08-01", "allowedSubnets": ["198.51.100.50/32"],
                      "quota": {"monthlyUsd": 500}, "storage": {"kind": "kubernetes-secret", "ref": "ns/x"}}]
        });
        assert_eq!(validate("ApiKeyInventory", &doc), vec![]);
    }

    #[test]
    fn profile_schema_accepts_the_spec_example_and_names_bad_fields() {
        let doc = json!({
            "apiVersion": "compliance/v1alpha1", "kind": "SecurityProfile",
            "metadata": {"name": "acme-chat-backend"},
            "apiBaseUrl": "https://api.apertis.ai/v1", "tlsVerify": true,
            "session": {"cookieSecure": true, "cookieHttpOnly": true, "cookieSameSite": "Lax", "lifetimeSeconds": 3600},
            "rateLimit": {"windowSeconds": 60, "maxRequests": 20, "scope": "ip"},
            "requestValidation": {"maxMessageLength": 10000, "allowedModels": ["gpt-4o", "gpt-4o-mini"]},
            "logging": {"redactPii": true, "logRequestBodies": false, "securityEvents": true},
            "mfa": {"enabled": true},
            "monitoring": {"alerts": ["usage-spike", "new-ip", "error-rate", "after-hours"]},
            "incidentResponse": {"runbook": "docs/incident.md", "lastDrill": "2026-06-01"},
            "reviews": {"keyRotation": "2026-10-01", "accessLogs": "2026-11-01", "permissionAudit": "2026-09-15",
                        "dependencyUpdates": "2026-11-10", "incidentDrill": "2026-06-01", "policyReview": "2026-07-01"}
        });
        assert_eq!(validate("SecurityProfile", &doc), vec![]);
        let minimal =
            json!({"apiVersion": "compliance/v1alpha1", "kind": "SecurityProfile", "metadata": {"name": "m"}});
        assert_eq!(validate("SecurityProfile", &minimal), vec![]);
        let bad = json!({
            "apiVersion": "compliance/v1alpha1", "kind": "SecurityProfile", "metadata": {"name": "b"},
            "session": {"cookieSameSite": "lax"}, "rateLimit": {"windowSeconds": 0},
            "monitoring": {"alerts": ["usage-spike", "disk-full"]}, "reviews": {"accessLogs": "last week"},
            "extra": 1
        });
        let pointers: Vec<String> = validate("SecurityProfile", &bad)
            .into_iter()
            .map(|v| v.pointer)
            .collect();
        assert_eq!(
            pointers,
            [
                "",
                "/monitoring/alerts/1",
                "/rateLimit/windowSeconds",
                "/reviews/accessLogs",
                "/session/cookieSameSite"
            ]
        );
        assert!(is_own_kind(API_VERSION, "SecurityProfile"));
    }

    #[test]
    fn violations_name_the_field_and_never_the_value() {
        let doc = json!({
            "apiVersion": "compliance/v1alpha1", "kind": "ApiKeyInventory",
            "metadata": {"name": "k"},
            "keys": [{"name": "a", "environment": "prod", "status": "active", "createdAt": "sk-proj-Q7vT2mXk9LpR4sW8nYzB3cJ6hF1dG5aE0uK"}]
        });
        let v = validate("ApiKeyInventory", &doc);
        let pointers: Vec<_> = v.iter().map(|v| v.pointer.as_str()).collect();
        assert_eq!(pointers, ["/keys/0/createdAt", "/keys/0/environment"]);
        assert!(v.iter().all(|v| !v.message.contains("sk-proj")), "{v:?}");
    }
}
