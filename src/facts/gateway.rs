//! A LiteLLM proxy configuration (`input::litellm`) as `GatewayConfig`, `GatewayModel` and
//! `GatewaySecret` entities. Every fact reads a setting LiteLLM documents; docs/gateways.md
//! lists them field by field.

use crate::base::path;
use crate::facts::model::{Kind, Resource};
use crate::input::litellm::{duration_days, ENV_PREFIX};
use crate::input::loader::Document;
use serde_json::{Map, Value};

/// A boolean setting as LiteLLM reads it from YAML (PyYAML: `true`, `True`; strings
/// `"false"` are read by its env-var helpers too).
fn flag(v: Option<&Value>) -> Option<bool> {
    match v? {
        Value::Bool(b) => Some(*b),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "yes" | "on" | "1" => Some(true),
            "false" | "no" | "off" | "0" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).map(str::to_string).collect(),
        Some(Value::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    }
}

fn section<'v>(m: &'v Map<String, Value>, name: &str) -> Option<&'v Map<String, Value>> {
    m.get(name).and_then(Value::as_object)
}

/// Callbacks that only export metrics, never message content
/// (docs/my-website/docs/proxy/prometheus.md).
const METRICS_ONLY: &[&str] = &["prometheus"];

/// Whether `url` is plain HTTP to a host on the network: not loopback, not a single-word
/// host (a compose or cluster service name) and not an in-cluster `*.svc` name.
fn http_to_network(url: &str) -> bool {
    let Some(rest) = url.trim().strip_prefix("http://") else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let authority = authority.rsplit('@').next().unwrap_or(authority);
    let host = if let Some(v6) = authority.strip_prefix('[') {
        v6.split(']').next().unwrap_or(v6)
    } else {
        authority.split(':').next().unwrap_or(authority)
    }
    .to_ascii_lowercase();
    !(host.is_empty()
        || crate::secrets::detect::is_loopback(&host)
        || !host.contains('.') && !host.contains(':')
        || host.ends_with(".svc")
        || host.contains(".svc.")
        || host.contains('{')
        || host.contains('$'))
}

/// The keys of a deployment's `litellm_params` that hold a credential.
fn credential_param(key: &str) -> bool {
    crate::secrets::detect::is_sensitive_name(key) || key == "api_key"
}

fn secret(
    doc: &Document,
    parent: &str,
    p: String,
    section_name: &str,
    key: &str,
    label: String,
    value: &Value,
) -> Option<Resource> {
    let text = match value {
        Value::String(s) => s.clone(),
        // a number where a key belongs (a numeric password) is a literal all the same
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    let from_env = text.trim().starts_with(ENV_PREFIX);
    let literal = !from_env && crate::secrets::detect::is_literal_value(&text);
    let display = format!("LiteLLM config {}", doc.name);
    Some(
        Resource::new(Kind::GatewaySecret, crate::facts::at(doc, p), display)
            .parent(Kind::GatewayConfig, parent)
            .str("section", section_name)
            .str("key", key)
            .str("label", label)
            .bool("masterKey", section_name == "general_settings" && key == "master_key")
            .bool("fromEnvironment", from_env)
            .bool("literal", literal)
            .str(
                "confidence",
                if literal {
                    crate::secrets::detect::literal_confidence(&text)
                } else {
                    "high"
                },
            )
            .str(
                "masked",
                if literal {
                    crate::secrets::mask::mask(&text)
                } else {
                    String::new()
                },
            ),
    )
}

/// The entities of one LiteLLM config document.
pub fn resources(doc: &Document, out: &mut Vec<Resource>) {
    let empty = Map::new();
    let m = doc.value.as_object().unwrap_or(&empty);
    let ls = section(m, "litellm_settings").unwrap_or(&empty);
    let gs = section(m, "general_settings").unwrap_or(&empty);
    let at = |p: &str| crate::facts::at(doc, p.to_string());
    let display = format!("LiteLLM config {}", doc.name);

    // logging: litellm_settings callbacks (config_settings.md "Logging/Callback settings")
    let mut callbacks: Vec<(String, String)> = Vec::new();
    for list in ["callbacks", "success_callback", "failure_callback"] {
        for c in strings(ls.get(list)) {
            callbacks.push((c, path::keys("litellm_settings", list)));
        }
    }
    let callback_settings = section(m, "callback_settings");
    let message_loggers: Vec<String> = callbacks
        .iter()
        .map(|(c, _)| c.clone())
        .filter(|c| !METRICS_ONLY.contains(&c.as_str()))
        .filter(|c| {
            // callback_settings.otel.message_logging: false (config_settings.md)
            flag(
                callback_settings
                    .and_then(|s| s.get(c))
                    .and_then(|s| s.get("message_logging")),
            ) != Some(false)
        })
        .collect();
    let logging_off = flag(ls.get("turn_off_message_logging")) == Some(true);
    let logging_field = if ls.contains_key("turn_off_message_logging") {
        "litellm_settings.turn_off_message_logging".to_string()
    } else {
        callbacks
            .iter()
            .find(|(c, _)| message_loggers.contains(c))
            .map_or_else(|| "litellm_settings".to_string(), |(_, p)| p.clone())
    };

    let retention = gs.get("maximum_spend_logs_retention_period").filter(|v| !v.is_null());
    let retention_days = retention.and_then(duration_days);
    let retention_text = match retention {
        Some(Value::String(s)) => s.clone(),
        Some(v) => v.to_string(),
        None => "no limit (not set)".to_string(),
    };

    // budgets and rate limits: litellm_settings.max_budget (users.md "Global Proxy"),
    // upperbound_/default_key_generate_params (virtual_keys.md), deployment rpm/tpm (configs.md)
    let limit_keys = ["max_budget", "rpm_limit", "tpm_limit"];
    let bounds = ["upperbound_key_generate_params", "default_key_generate_params"]
        .iter()
        .filter_map(|s| section(ls, s))
        .any(|b| limit_keys.iter().any(|k| b.get(*k).is_some_and(|v| !v.is_null())));
    let deployments: &[Value] = m.get("model_list").and_then(Value::as_array).map_or(&[], Vec::as_slice);
    let has_rate = |d: &Value| {
        d.get("litellm_params")
            .and_then(Value::as_object)
            .is_some_and(|lp| ["rpm", "tpm"].iter().any(|k| lp.get(*k).is_some_and(|v| !v.is_null())))
    };
    let has_limit = ls.get("max_budget").is_some_and(|v| !v.is_null()) || bounds || deployments.iter().any(has_rate);

    let allowed_ips = strings(gs.get("allowed_ips"));
    let master_key = gs.get("master_key").filter(|v| !v.is_null());

    let config = Resource::new(Kind::GatewayConfig, at(""), display.clone())
        .str("name", doc.name.clone())
        .bool("masterKeySet", master_key.is_some())
        .bool("sslVerifyOff", flag(ls.get("ssl_verify")) == Some(false))
        .set("loggingCallbacks", callbacks.iter().map(|(c, _)| c.clone()))
        .bool("hasLoggingCallbacks", !callbacks.is_empty())
        .set("messageLoggers", message_loggers)
        .bool("messageLoggingOff", logging_off)
        .bool(
            "storesPromptsInSpendLogs",
            flag(gs.get("store_prompts_in_spend_logs")) == Some(true),
        )
        .bool("spendLogsDisabled", flag(gs.get("disable_spend_logs")) == Some(true))
        .bool("retentionSet", retention.is_some())
        .long("retentionDays", retention_days.unwrap_or(0))
        .str("retention", retention_text)
        .bool("hasBudgetOrLimit", has_limit)
        .bool("hasAllowedIps", !allowed_ips.is_empty())
        .bool(
            "allowsAnyIp",
            allowed_ips
                .iter()
                .any(|ip| crate::input::kinds::parse_cidr(ip).is_some_and(|(_, len)| len == 0)),
        )
        .field("sslVerifyOff", "litellm_settings.ssl_verify".to_string())
        .field("messageLoggers", logging_field)
        .field(
            "storesPromptsInSpendLogs",
            "general_settings.store_prompts_in_spend_logs".to_string(),
        )
        .field(
            "retentionDays",
            if retention.is_some() {
                "general_settings.maximum_spend_logs_retention_period".to_string()
            } else {
                "general_settings".to_string()
            },
        )
        .field(
            "hasBudgetOrLimit",
            if ls.contains_key("max_budget") {
                "litellm_settings.max_budget".to_string()
            } else if master_key.is_some() {
                "general_settings.master_key".to_string()
            } else {
                "litellm_settings".to_string()
            },
        )
        .field(
            "hasAllowedIps",
            if gs.contains_key("allowed_ips") {
                "general_settings.allowed_ips".to_string()
            } else {
                "general_settings".to_string()
            },
        );
    let config_id = config.id.clone();
    out.push(config);

    if let Some(mk) = master_key {
        out.extend(secret(
            doc,
            &config_id,
            "general_settings.master_key".to_string(),
            "general_settings",
            "master_key",
            "`general_settings.master_key`".to_string(),
            mk,
        ));
    }

    for (i, d) in deployments.iter().enumerate() {
        let Some(d) = d.as_object() else { continue };
        let p = path::index("model_list", i);
        let name = d.get("model_name").and_then(Value::as_str).unwrap_or("").to_string();
        let lp = d.get("litellm_params").and_then(Value::as_object).unwrap_or(&empty);
        let api_base = lp
            .get("api_base")
            .and_then(Value::as_str)
            .filter(|b| !b.trim().starts_with(ENV_PREFIX))
            .unwrap_or("")
            .to_string();
        let model_display = format!("{display} model `{name}`");
        let model = Resource::new(Kind::GatewayModel, at(&p), model_display)
            .parent(Kind::GatewayConfig, &config_id)
            .str("name", name.clone())
            .str(
                "model",
                lp.get("model").and_then(Value::as_str).unwrap_or("").to_string(),
            )
            .bool("httpApiBase", http_to_network(&api_base))
            .str("apiBase", api_base)
            .bool("hasRateLimit", has_rate(&Value::Object(d.clone())))
            .field("httpApiBase", path::keys(&p, "litellm_params.api_base"));
        out.push(model);
        let lpp = path::key(&p, "litellm_params");
        for (k, v) in lp {
            if credential_param(k) {
                out.extend(secret(
                    doc,
                    &config_id,
                    path::key(&lpp, k),
                    "model_list",
                    k,
                    format!("`{k}` of model `{name}`"),
                    v,
                ));
            }
        }
    }

    if let Some(env) = section(m, "environment_variables") {
        for (k, v) in env {
            if crate::secrets::detect::is_sensitive_name(k) {
                out.extend(secret(
                    doc,
                    &config_id,
                    path::key("environment_variables", k),
                    "environment_variables",
                    k,
                    format!("`environment_variables.{k}`"),
                    v,
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::litellm::{recognise, validate};
    use serde_json::json;

    #[test]
    fn recognises_by_top_level_keys() {
        assert!(recognise(
            &json!({"model_list": [{"model_name": "a", "litellm_params": {"model": "x"}}]})
        ));
        assert!(recognise(&json!({"general_settings": {"master_key": "os.environ/K"}})));
        assert!(!recognise(&json!({"environment_variables": {"A": "b"}})));
        assert!(!recognise(&json!({"model_list": ["a", "b"]})));
        assert!(!recognise(
            &json!({"apiVersion": "v1", "kind": "ConfigMap", "general_settings": {}})
        ));
        assert!(!recognise(&json!(["model_list"])));
    }

    #[test]
    fn durations() {
        assert_eq!(duration_days(&json!("30d")), Some(30));
        assert_eq!(duration_days(&json!("12h")), Some(1));
        assert_eq!(duration_days(&json!("4w")), Some(28));
        assert_eq!(duration_days(&json!("1mo")), Some(30));
        assert_eq!(duration_days(&json!("1y")), Some(365));
        assert_eq!(duration_days(&json!(86400)), Some(1));
        assert_eq!(duration_days(&json!("forever")), None);
        assert_eq!(duration_days(&json!("-3d")), None);
    }

    #[test]
    fn plain_http_to_the_network() {
        assert!(http_to_network("http://api.openai.example.net/v1"));
        assert!(http_to_network("http://10.0.3.4:8000"));
        assert!(!http_to_network("https://api.openai.com/v1"));
        assert!(!http_to_network("http://localhost:8000"));
        assert!(!http_to_network("http://127.0.0.1:11434"));
        assert!(!http_to_network("http://ollama:11434"));
        assert!(!http_to_network("http://vllm.ml.svc.cluster.local:8000"));
    }

    #[test]
    fn shape_errors_name_the_field() {
        let errors = validate(&json!({
            "model_list": [{"model_name": "a"}, "b", {"model_name": "c", "litellm_params": {"api_key": "x"}}],
            "general_settings": {"maximum_spend_logs_retention_period": "forever"},
            "litellm_settings": ["x"],
        }));
        let paths: Vec<&str> = errors.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(
            paths,
            [
                "litellm_settings",
                "model_list[0]",
                "model_list[1]",
                "model_list[2].litellm_params",
                "general_settings.maximum_spend_logs_retention_period"
            ]
        );
    }
}
