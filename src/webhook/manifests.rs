//! `compliance webhook manifests`: the objects that install the webhook in a cluster
//! (Namespace, ServiceAccount, Deployment, Service + PodDisruptionBudget, NetworkPolicy,
//! cert-manager Issuer + Certificate, ValidatingWebhookConfiguration), from the templates
//! in `templates/webhook/`. `examples/webhook/` is their output with the defaults, and a
//! test keeps the two equal.

use serde::Serialize;

/// The templates, in the order they are applied (a namespace before what lives in it, the
/// webhook configuration last, once its service can answer).
const TEMPLATES: [(&str, &str); 7] = [
    (
        "namespace.yaml",
        include_str!("../../templates/webhook/namespace.yaml.tera"),
    ),
    (
        "serviceaccount.yaml",
        include_str!("../../templates/webhook/serviceaccount.yaml.tera"),
    ),
    (
        "certificate.yaml",
        include_str!("../../templates/webhook/certificate.yaml.tera"),
    ),
    (
        "deployment.yaml",
        include_str!("../../templates/webhook/deployment.yaml.tera"),
    ),
    (
        "service.yaml",
        include_str!("../../templates/webhook/service.yaml.tera"),
    ),
    (
        "networkpolicy.yaml",
        include_str!("../../templates/webhook/networkpolicy.yaml.tera"),
    ),
    (
        "validatingwebhookconfiguration.yaml",
        include_str!("../../templates/webhook/validatingwebhookconfiguration.yaml.tera"),
    ),
];

/// What the manifests are made for.
#[derive(Debug, Clone, Serialize)]
pub struct Params {
    /// The webhook's namespace (also excluded from its own judgement).
    pub namespace: String,
    /// Name of the Deployment, Service, ServiceAccount, Certificate and their labels.
    pub name: String,
    /// The container image that runs `compliance`.
    pub image: String,
    /// `deny`, `warn` or `audit`.
    pub mode: String,
    /// `Fail` or `Ignore`.
    pub failure_policy: String,
    pub replicas: u32,
    pub timeout_seconds: u32,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            namespace: "compliance-system".into(),
            name: "compliance-webhook".into(),
            image: "ghcr.io/example/compliance:0.1.0".into(),
            mode: "deny".into(),
            failure_policy: "Fail".into(),
            replicas: 3,
            timeout_seconds: 5,
        }
    }
}

/// A DNS-1123 label, as Kubernetes requires of namespace and object names.
fn is_dns_label(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
}

impl Params {
    /// Rejects values that Kubernetes would refuse or that would change the YAML's shape.
    pub fn validate(&self) -> Result<(), String> {
        if !is_dns_label(&self.namespace) {
            return Err(format!(
                "namespace `{}` is not a DNS label (lower-case letters, digits and `-`, at most 63)",
                self.namespace
            ));
        }
        // the certificate's secret and issuer add `-tls` and `-selfsigned`
        if !is_dns_label(&self.name) || self.name.len() > 52 {
            return Err(format!(
                "name `{}` is not a DNS label of at most 52 characters (`-selfsigned` is appended to it)",
                self.name
            ));
        }
        let image_ok = !self.image.is_empty()
            && self
                .image
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "./:@_-".contains(c));
        if !image_ok {
            return Err(format!(
                "image `{}` is not an image reference (letters, digits and `./:@_-`)",
                self.image
            ));
        }
        if !matches!(self.mode.as_str(), "deny" | "warn" | "audit") {
            return Err(format!("mode `{}` is not one of deny, warn, audit", self.mode));
        }
        if !matches!(self.failure_policy.as_str(), "Fail" | "Ignore") {
            return Err(format!(
                "failure policy `{}` is not `Fail` or `Ignore`",
                self.failure_policy
            ));
        }
        if self.replicas == 0 {
            return Err("replicas must be at least 1 (the PodDisruptionBudget keeps one)".into());
        }
        // the API server caps a webhook's timeout at 30 seconds
        if !(1..=30).contains(&self.timeout_seconds) {
            return Err(format!(
                "timeout `{}` is outside 1..=30 seconds, the range the API server accepts",
                self.timeout_seconds
            ));
        }
        Ok(())
    }
}

/// The manifests as (file name, YAML text), in apply order.
pub fn render(params: &Params) -> Result<Vec<(&'static str, String)>, String> {
    params.validate()?;
    let context = tera::Context::from_serialize(params).map_err(|e| e.to_string())?;
    TEMPLATES
        .iter()
        .map(|(name, text)| {
            tera::Tera::one_off(text, &context, false)
                .map(|out| (*name, out))
                .map_err(|e| format!("cannot render `{name}`: {e}"))
        })
        .collect()
}

/// All manifests as one multi-document YAML stream, for `kubectl apply -f -`.
pub fn render_stream(params: &Params) -> Result<String, String> {
    let files = render(params)?;
    let mut out = String::new();
    for (i, (_, text)) in files.iter().enumerate() {
        if i > 0 {
            out.push_str("---\n");
        }
        out.push_str(text);
        if !text.ends_with('\n') {
            out.push('\n');
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[test]
    fn the_defaults_render_the_shipped_example_byte_for_byte() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/webhook");
        for (name, text) in render(&Params::default()).unwrap() {
            let shipped = std::fs::read_to_string(dir.join(name)).unwrap();
            assert_eq!(text, shipped, "examples/webhook/{name} differs from its template");
        }
    }

    #[test]
    fn parameters_reach_every_object() {
        let p = Params {
            namespace: "policy".into(),
            name: "gate".into(),
            image: "registry.local/compliance@sha256:0123abcd".into(),
            mode: "warn".into(),
            failure_policy: "Ignore".into(),
            replicas: 3,
            timeout_seconds: 10,
        };
        let out = render_stream(&p).unwrap();
        assert!(!out.contains("compliance-system") && !out.contains("compliance-webhook"));
        for needle in [
            "namespace: policy",
            "image: registry.local/compliance@sha256:0123abcd",
            "--mode=warn",
            "failurePolicy: Ignore",
            "replicas: 3",
            "timeoutSeconds: 10",
            "gate.policy.svc",
            "values: [kube-system, policy]",
            "cert-manager.io/inject-ca-from: policy/gate",
        ] {
            assert!(out.contains(needle), "missing `{needle}`");
        }
        // every document parses
        let docs: Vec<serde_yaml::Value> = serde_yaml::Deserializer::from_str(&out)
            .map(serde_yaml::Value::deserialize)
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(docs.len(), 9);
    }

    #[test]
    fn values_that_would_change_the_yaml_are_refused() {
        let bad = [
            Params {
                namespace: "Compliance".into(),
                ..Params::default()
            },
            Params {
                image: "x\n  privileged: true".into(),
                ..Params::default()
            },
            Params {
                mode: "block".into(),
                ..Params::default()
            },
            Params {
                failure_policy: "fail".into(),
                ..Params::default()
            },
            Params {
                timeout_seconds: 31,
                ..Params::default()
            },
            Params {
                replicas: 0,
                ..Params::default()
            },
        ];
        for p in bad {
            assert!(render(&p).is_err(), "{p:?} was accepted");
        }
    }
}
