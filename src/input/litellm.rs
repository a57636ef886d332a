//! LiteLLM proxy configuration (`config.yaml`) as an input kind: recognised by its
//! top-level keys and validated leniently (unknown keys are fine: LiteLLM adds settings every
//! release). `facts::gateway` turns it into entities.
//!
//! Every fact reads a setting LiteLLM documents (docs/my-website/docs/proxy/config_settings.md,
//! configs.md, virtual_keys.md, users.md, logging.md and guides/security_settings.md in
//! BerriAI/litellm); docs/gateways.md lists them field by field.

use crate::base::path;
use serde_json::Value;

/// The document kind a LiteLLM config is loaded as.
pub const KIND: &str = "LiteLLMConfig";

/// The top-level sections of a LiteLLM proxy config.
pub const SECTIONS: &[&str] = &[
    "model_list",
    "litellm_settings",
    "general_settings",
    "router_settings",
    "environment_variables",
];

/// How LiteLLM reads a value from the environment (or a secret manager) instead of the file.
pub const ENV_PREFIX: &str = "os.environ/";

/// Whether a document (with no `apiVersion`/`kind`) is a LiteLLM proxy config: a mapping
/// with a `model_list` whose entries are deployments (`model_name` or `litellm_params`),
/// or with one of the `*_settings` sections as a mapping. `environment_variables` alone is
/// too common a key to tell.
pub fn recognise(v: &Value) -> bool {
    let Some(m) = v.as_object() else { return false };
    if m.contains_key("apiVersion") || m.contains_key("kind") {
        return false;
    }
    let deployments = m.get("model_list").and_then(Value::as_array).is_some_and(|l| {
        l.iter().any(|d| {
            d.as_object()
                .is_some_and(|d| d.contains_key("model_name") || d.contains_key("litellm_params"))
        })
    });
    let settings = ["litellm_settings", "general_settings", "router_settings"]
        .iter()
        .any(|s| m.get(*s).is_some_and(Value::is_object));
    deployments || settings
}

/// Shape errors a LiteLLM proxy would stop on: (field path, message). Unknown keys and
/// values of settings this tool does not read are not checked.
pub fn validate(v: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let Some(m) = v.as_object() else { return out };
    for s in [
        "litellm_settings",
        "general_settings",
        "router_settings",
        "environment_variables",
    ] {
        if let Some(x) = m.get(s).filter(|x| !x.is_null() && !x.is_object()) {
            out.push((s.to_string(), format!("expected a mapping, found {}", type_name(x))));
        }
    }
    match m.get("model_list") {
        Some(Value::Array(list)) => {
            for (i, d) in list.iter().enumerate() {
                let p = path::index("model_list", i);
                match d.as_object() {
                    None => out.push((p, format!("expected a deployment mapping, found {}", type_name(d)))),
                    Some(d) => {
                        if !d.get("model_name").is_some_and(Value::is_string) {
                            out.push((p.clone(), "a deployment needs a `model_name` string".to_string()));
                        }
                        match d.get("litellm_params") {
                            Some(Value::Object(lp)) => {
                                if !lp.get("model").is_some_and(Value::is_string) {
                                    out.push((
                                        path::key(&p, "litellm_params"),
                                        "`litellm_params` needs a `model` string".to_string(),
                                    ));
                                }
                            }
                            Some(x) => out.push((
                                path::key(&p, "litellm_params"),
                                format!("expected a mapping, found {}", type_name(x)),
                            )),
                            None => out.push((p, "a deployment needs `litellm_params`".to_string())),
                        }
                    }
                }
            }
        }
        Some(Value::Null) | None => {}
        Some(x) => out.push((
            "model_list".to_string(),
            format!("expected a list, found {}", type_name(x)),
        )),
    }
    let retention = m
        .get("general_settings")
        .and_then(|g| g.get("maximum_spend_logs_retention_period"));
    if let Some(r) = retention.filter(|r| !r.is_null()) {
        if duration_days(r).is_none() {
            out.push((
                "general_settings.maximum_spend_logs_retention_period".to_string(),
                "expected a duration such as `30d`, `12h` or `4w`".to_string(),
            ));
        }
    }
    out
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

/// A LiteLLM duration (`30d`, `12h`, `90m`, `3600s`, `4w`, `1mo`, `1y`; a bare number is
/// seconds) in days, rounded up.
pub fn duration_days(v: &Value) -> Option<i64> {
    let seconds: f64 = match v {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => {
            let s = s.trim();
            let split = s.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(s.len());
            let (n, unit) = s.split_at(split);
            let n: f64 = n.parse().ok()?;
            let unit_seconds = match unit.trim() {
                "" | "s" => 1.0,
                "m" => 60.0,
                "h" => 3600.0,
                "d" => 86_400.0,
                "w" => 7.0 * 86_400.0,
                "mo" => 30.0 * 86_400.0,
                "y" => 365.0 * 86_400.0,
                _ => return None,
            };
            n * unit_seconds
        }
        _ => return None,
    };
    if !seconds.is_finite() || seconds < 0.0 {
        return None;
    }
    Some((seconds / 86_400.0).ceil().min(i64::MAX as f64) as i64)
}
