//! The admission fixtures shared by the webhook tests (`#[path] mod` in each).
#![allow(dead_code)]

use serde_json::{json, Value};

/// A key-shaped value the webhook must never echo.
pub const KEY: &str = "sk-proj-Q7vT2mXk9LpR4sW8nYzB3cJ6hF1dG5aE0uK";

/// A Deployment that passes the object-scoped rules, or (`bad`) a privileged one with
/// [`KEY`] pasted into its env.
pub fn deployment(bad: bool) -> Value {
    let (security, env) = if bad {
        (
            json!({"privileged": true}),
            json!([{"name": "GATEWAY_API_KEY", "value": KEY}]),
        )
    } else {
        (
            json!({"runAsNonRoot": true, "allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true,
                   "privileged": false, "capabilities": {"drop": ["ALL"]}}),
            json!([{"name": "GATEWAY_API_KEY", "valueFrom": {"secretKeyRef": {"name": "gw", "key": "key"}}}]),
        )
    };
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "shop"},
        "spec": {"selector": {"matchLabels": {"app": "web"}}, "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {"automountServiceAccountToken": false,
                     "securityContext": {"runAsNonRoot": true, "runAsUser": 10001},
                     "containers": [{"name": "web", "image": "registry.example/web:1.0", "env": env, "securityContext": security}]}}}
    })
}
