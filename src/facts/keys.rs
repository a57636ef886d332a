//! API-key inventory facts: model scope, quota, allowlist breadth, rotation age, sharing.

use super::index::Index;
use crate::base::path;
use crate::facts::model::{Kind, Resource};
use crate::input::kinds::Inventory;
use crate::input::loader::Document;
use chrono::{DateTime, Utc};

/// Models the guide calls expensive: keep them out of production keys.
pub fn is_expensive(model: &str) -> bool {
    let m = model.to_ascii_lowercase();
    m.contains("opus")
        || m.starts_with("gpt-4.5")
        || m.starts_with("gpt-4-32k")
        || m == "gpt-4"
        || m == "o1"
        || (m.starts_with("o1-") && !m.contains("mini"))
        || (m.ends_with("-pro") && (m.starts_with('o') || m.starts_with("gpt-")))
}

/// Preview and experimental releases.
pub fn is_experimental(model: &str) -> bool {
    let m = model.to_ascii_lowercase();
    ["preview", "experimental", "-exp", "alpha", "beta"]
        .iter()
        .any(|w| m.contains(w))
}

/// Small, cheap models: what a testing key should be limited to.
pub fn is_test_model(model: &str) -> bool {
    let m = model.to_ascii_lowercase();
    ["mini", "nano", "haiku", "flash", "lite", "test"]
        .iter()
        .any(|w| m.contains(w))
        || m.starts_with("gpt-3.5")
}

pub use crate::input::kinds::parse_cidr as prefix;

/// Facts that join the key with the manifests through the Secret its `storage` names.
fn cross_document(r: Resource, k: &crate::input::kinds::KeySpec, index: &Index) -> Resource {
    let secret = k
        .storage
        .as_ref()
        .filter(|s| s.kind == "kubernetes-secret" || s.kind == "external-secrets")
        .and_then(|s| s.reference.as_deref())
        .map(|r| match r.split_once('/') {
            Some((ns, name)) => (ns.to_string(), name.to_string()),
            None => ("default".to_string(), r.to_string()),
        });
    let users = secret
        .as_ref()
        .and_then(|s| index.secret_users.get(s))
        .map(Vec::as_slice)
        .unwrap_or_default();
    let mut environments: Vec<String> = users.iter().filter_map(|u| u.environment.clone()).collect();
    environments.sort();
    environments.dedup();
    r.bool("inKubernetesSecret", secret.is_some())
        .bool("manifestsChecked", index.has_objects)
        .bool(
            "secretDefined",
            secret.as_ref().is_some_and(|s| index.defined_secrets.contains(s)),
        )
        .set("referencedBy", users.iter().map(|u| u.workload.clone()))
        .bool("usedAcrossEnvironments", environments.len() > 1)
        .set("workloadEnvironments", environments)
        .bool(
            "usedWithoutEgressPolicy",
            users.iter().any(|u| !index.has_egress_policy(&u.namespace)),
        )
}

pub fn inventory(doc: &Document, inv: &Inventory, index: &Index, now: DateTime<Utc>, out: &mut Vec<Resource>) {
    let display_inv = format!("ApiKeyInventory {}", inv.metadata.name);
    let loc = |p: String| super::at(doc, p);
    let inv_res = Resource::new(Kind::Inventory, loc(doc.base.clone()), display_inv)
        .str("name", inv.metadata.name.clone())
        .long("keyCount", inv.keys.len() as i64);
    let inv_id = inv_res.id.clone();
    out.push(inv_res);
    let keys_path = path::keys(&doc.base, "keys");
    for (i, k) in inv.keys.iter().enumerate() {
        let kp = path::index(&keys_path, i);
        let display = format!("ApiKey {}/{}", inv.metadata.name, k.name);
        let models = k.models.clone().unwrap_or_default();
        // like allowedSubnets, an absent or empty list restricts nothing
        let all_models = models.is_empty() || models.iter().any(|m| m == "*");
        let concrete = || models.iter().filter(|m| *m != "*").cloned();
        let subnets = k.allowed_subnets.clone().unwrap_or_default();
        let rotated = k.last_rotated.clone().unwrap_or_else(|| k.created_at.clone());
        let rotation_age = super::days_since(&rotated, now).unwrap_or(0);
        let mut shared_with: Vec<String> = index
            .key_environments
            .get(&k.name)
            .into_iter()
            .flatten()
            .chain(
                k.storage
                    .as_ref()
                    .and_then(|s| Some(format!("{}:{}", s.kind, s.reference.as_ref()?)))
                    .and_then(|r| index.storage_environments.get(&r))
                    .into_iter()
                    .flatten(),
            )
            // an imported key has no environment of its own to be shared from
            .filter(|e| **e != k.environment && !k.environment.is_empty())
            .cloned()
            .collect();
        shared_with.sort();
        shared_with.dedup();
        let mut r = Resource::new(Kind::ApiKey, loc(kp.clone()), display.clone())
            .parent(Kind::Inventory, &inv_id)
            .str("name", k.name.clone())
            .str("inventory", inv.metadata.name.clone())
            .str("environment", k.environment.clone())
            .str("owner", k.owner.clone().unwrap_or_default())
            .bool("hasOwner", k.owner.as_ref().is_some_and(|o| !o.trim().is_empty()))
            .str("status", k.status.clone())
            .set("models", models.clone())
            .bool("allModels", all_models)
            .set("expensiveModels", concrete().filter(|m| is_expensive(m)))
            .set("experimentalModels", concrete().filter(|m| is_experimental(m)))
            .set("nonTestModels", concrete().filter(|m| !is_test_model(m)))
            .bool("hasQuota", k.quota.is_some())
            .bool("hasAllowlist", !subnets.is_empty())
            .long("subnetCount", subnets.len() as i64)
            .datetime("createdAt", k.created_at.clone())
            .datetime("lastRotated", rotated)
            .bool("rotationRecorded", k.last_rotated.is_some())
            .long("rotationAgeDays", rotation_age)
            .str(
                "storageKind",
                k.storage.as_ref().map(|s| s.kind.clone()).unwrap_or_default(),
            )
            .str(
                "storageRef",
                k.storage.as_ref().and_then(|s| s.reference.clone()).unwrap_or_default(),
            )
            .bool("sharedAcrossEnvironments", !shared_with.is_empty())
            .set("sharedWith", shared_with)
            .field("models", path::key(&kp, "models"))
            .field("quota", path::key(&kp, "quota"))
            .field("allowedSubnets", path::key(&kp, "allowedSubnets"))
            .field("owner", path::key(&kp, "owner"))
            .field("status", path::key(&kp, "status"))
            .field("environment", path::key(&kp, "environment"))
            .field("storage", path::keys(&kp, "storage.kind"))
            .field(
                "lastRotated",
                path::key(
                    &kp,
                    if k.last_rotated.is_some() {
                        "lastRotated"
                    } else {
                        "createdAt"
                    },
                ),
            );
        if let Some(q) = &k.quota {
            if let Some(usd) = q.monthly_usd {
                // rounded up, so that 100.40 USD is over a 100 USD ceiling
                r = r.long("quotaUsd", usd.ceil() as i64);
            }
            if let Some(tokens) = q.monthly_tokens {
                r = r.long("quotaTokens", i64::try_from(tokens).unwrap_or(i64::MAX));
            }
        }
        if let Some(d) = &k.disabled_at {
            r = r
                .datetime("disabledAt", d.clone())
                .long("disabledDays", super::days_since(d, now).unwrap_or(0))
                .field("disabledAt", path::key(&kp, "disabledAt"));
        }
        r = cross_document(r, k, index);
        let key_id = r.id.clone();
        out.push(r);
        let sp = path::key(&kp, "allowedSubnets");
        for (j, s) in subnets.iter().enumerate() {
            // entries that do not parse were reported by the loader
            let Some((ip, len)) = prefix(s) else { continue };
            let any = len == 0;
            out.push(
                Resource::new(Kind::Subnet, loc(path::index(&sp, j)), display.clone())
                    .parent(Kind::ApiKey, &key_id)
                    .ip("cidr", format!("{ip}/{len}"))
                    .long("prefixLength", i64::from(len))
                    .bool("ipv6", ip.is_ipv6())
                    .bool("anyAddress", any)
                    .str("entry", s.clone())
                    .str("keyName", k.name.clone())
                    .str("keyStatus", k.status.clone())
                    .str("keyEnvironment", k.environment.clone()),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_classes() {
        assert!(is_expensive("claude-3-opus"));
        assert!(is_expensive("o1-pro"));
        assert!(!is_expensive("o1-mini"));
        assert!(!is_expensive("gpt-4o"));
        assert!(is_experimental("gemini-2.0-flash-exp"));
        assert!(is_experimental("gpt-4o-realtime-preview"));
        assert!(is_test_model("gpt-4o-mini"));
        assert!(!is_test_model("gpt-4o"));
    }

    #[test]
    fn prefixes() {
        assert_eq!(prefix("0.0.0.0/0").map(|p| p.1), Some(0));
        assert_eq!(prefix("198.51.100.50").map(|p| p.1), Some(32));
        assert_eq!(prefix("2001:db8::/32").map(|p| p.1), Some(32));
        assert_eq!(prefix("10.0.0.0/33"), None);
        assert_eq!(prefix("nope"), None);
    }
}
