//! The tool's own document kinds (`apiVersion: compliance/v1alpha1`): the API-key
//! inventory and the retention policy. Each is validated with its JSON Schema from
//! `schemas/` before it is deserialized, so a wrong field is an input error with a line.

use serde::Deserialize;
use std::sync::LazyLock;

pub const API_VERSION: &str = "compliance/v1alpha1";

pub const INVENTORY_SCHEMA: &str = include_str!("../schemas/api-key-inventory.schema.json");
pub const RETENTION_SCHEMA: &str = include_str!("../schemas/retention-policy.schema.json");

#[derive(Debug, Clone, Deserialize)]
pub struct Meta {
    pub name: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Inventory {
    pub metadata: Meta,
    pub keys: Vec<KeySpec>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeySpec {
    pub name: String,
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
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Quota {
    pub monthly_usd: Option<f64>,
    pub monthly_tokens: Option<u64>,
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

/// A schema violation: where (JSON pointer into the document) and what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaViolation {
    pub pointer: String,
    pub message: String,
}

struct Schemas {
    inventory: jsonschema::Validator,
    retention: jsonschema::Validator,
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

/// True for the kinds this module owns.
pub fn is_own_kind(api_version: &str, kind: &str) -> bool {
    api_version == API_VERSION && matches!(kind, "ApiKeyInventory" | "RetentionPolicy")
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
