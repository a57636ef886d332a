//! Drift between the inventory a team declares and a snapshot imported from the gateway
//! (`compliance inventory import`): keys the gateway has that nobody declared, declared keys
//! the gateway does not have, and settings that differ. One `KeyDrift` entity per compared
//! key, placed on the declared key (an unmanaged key on the snapshot's). Only the settings
//! the snapshot's source reports (`snapshot.reports`) are compared: a setting the gateway
//! cannot tell is never a difference.

use crate::base::path;
use crate::facts::model::{Kind, Resource};
use crate::input::kinds::{Inventory, KeySpec, Quota};
use crate::input::loader::{Document, Object};
use crate::input::snapshot::Snapshot;

struct Snap<'a> {
    doc: &'a Document,
    inv: &'a Inventory,
    meta: &'a Snapshot,
}

/// The `KeyDrift` entities of a run: none unless it holds both a declared inventory and a
/// snapshot.
pub fn resources(docs: &[Document]) -> Vec<Resource> {
    let mut declared: Vec<(&Document, &Inventory)> = Vec::new();
    let mut snaps: Vec<Snap<'_>> = Vec::new();
    for d in docs {
        if let Object::Inventory(inv) = &d.object {
            match &inv.snapshot {
                Some(meta) => snaps.push(Snap { doc: d, inv, meta }),
                None => declared.push((d, inv)),
            }
        }
    }
    let mut out = Vec::new();
    if declared.is_empty() || snaps.is_empty() {
        return out;
    }
    let all_snapshots = snaps.iter().map(|s| s.meta.label()).collect::<Vec<_>>().join(", ");
    let all_times = snaps
        .iter()
        .map(|s| s.meta.fetched_at.clone())
        .collect::<Vec<_>>()
        .join(", ");
    let mut matched: Vec<Vec<bool>> = snaps.iter().map(|s| vec![false; s.inv.keys.len()]).collect();
    for (doc, inv) in &declared {
        let keys_path = path::keys(&doc.base, "keys");
        for (i, k) in inv.keys.iter().enumerate() {
            let kp = path::index(&keys_path, i);
            let found = snaps
                .iter()
                .enumerate()
                .find_map(|(s, snap)| snap.inv.keys.iter().position(|g| same_key(k, g)).map(|j| (s, j)));
            let base = Resource::new(
                Kind::KeyDrift,
                crate::facts::at(doc, kp.clone()),
                format!("ApiKey {}/{}", inv.metadata.name, k.name),
            );
            let base = base.clone().with_id(format!("drift:{}", base.id));
            let r = match found {
                None => base
                    .str("name", k.name.clone())
                    .str("inventory", inv.metadata.name.clone())
                    .str("snapshot", all_snapshots.clone())
                    .str("snapshotTime", all_times.clone())
                    .bool("unmanaged", false)
                    .bool("missing", true)
                    .str("declaredStatus", k.status.clone())
                    .set("differences", Vec::<String>::new())
                    .str("detail", String::new()),
                Some((s, j)) => {
                    if let Some(m) = matched.get_mut(s).and_then(|m| m.get_mut(j)) {
                        *m = true;
                    }
                    let snap = &snaps[s];
                    let diffs = differences(k, &snap.inv.keys[j], snap.meta);
                    let first = diffs
                        .first()
                        .map_or_else(|| kp.clone(), |(field, _)| path::key(&kp, declared_field(field)));
                    base.str("name", k.name.clone())
                        .str("inventory", inv.metadata.name.clone())
                        .str("snapshot", snap.meta.label())
                        .str("snapshotTime", snap.meta.fetched_at.clone())
                        .bool("unmanaged", false)
                        .bool("missing", false)
                        .str("declaredStatus", k.status.clone())
                        .str(
                            "detail",
                            diffs.iter().map(|(_, d)| d.clone()).collect::<Vec<_>>().join("; "),
                        )
                        .set("differences", diffs.into_iter().map(|(f, _)| f))
                        .field("differences", first)
                }
            };
            out.push(r);
        }
    }
    let declared_names = declared
        .iter()
        .map(|(_, inv)| inv.metadata.name.clone())
        .collect::<Vec<_>>()
        .join(", ");
    for (s, snap) in snaps.iter().enumerate() {
        let keys_path = path::keys(&snap.doc.base, "keys");
        for (j, g) in snap.inv.keys.iter().enumerate() {
            if matched[s][j] {
                continue;
            }
            let base = Resource::new(
                Kind::KeyDrift,
                crate::facts::at(snap.doc, path::index(&keys_path, j)),
                format!("ApiKey {}/{}", snap.inv.metadata.name, g.name),
            );
            let base = base.clone().with_id(format!("drift:{}", base.id));
            out.push(
                base.str("name", g.name.clone())
                    .str("inventory", declared_names.clone())
                    .str("snapshot", snap.meta.label())
                    .str("snapshotTime", snap.meta.fetched_at.clone())
                    .bool("unmanaged", true)
                    .bool("missing", false)
                    .str("declaredStatus", String::new())
                    .set("differences", Vec::<String>::new())
                    .str("detail", format!("gateway status {}", g.status)),
            );
        }
    }
    out
}

/// A declared key and an imported one are the same key when the declared one names the
/// gateway's id (`id`), or, without an id, when the names match (the key alias).
fn same_key(declared: &KeySpec, gateway: &KeySpec) -> bool {
    match (&declared.id, &gateway.id) {
        (Some(a), Some(b)) => a == b,
        _ => declared.name == gateway.name,
    }
}

/// The declared field a difference points at.
fn declared_field(setting: &str) -> &'static str {
    match setting {
        "models" => "models",
        "quota" => "quota",
        "expiry" => "expiresAt",
        "owner" => "owner",
        _ => "status",
    }
}

/// The model list as a set, `*` standing for every model (an absent or empty list too).
fn models(k: &KeySpec) -> Vec<String> {
    let mut m: Vec<String> = k.models.clone().unwrap_or_default();
    if m.is_empty() || m.iter().any(|x| x == "*") {
        return vec!["*".to_string()];
    }
    m.sort();
    m.dedup();
    m
}

/// The USD ceiling of a quota, said the same way for both sides: `100 USD a month`,
/// `50 USD per 7d`, `25 USD over the key's lifetime`, `none`.
fn usd_ceiling(q: Option<&Quota>) -> String {
    let Some(q) = q else { return "none".to_string() };
    if let Some(m) = q.monthly_usd {
        return format!("{m} USD a month");
    }
    match (q.budget_usd, q.budget_period.as_deref()) {
        (Some(b), Some("30d" | "1mo")) => format!("{b} USD a month"),
        (Some(b), Some(p)) => format!("{b} USD per {p}"),
        (Some(b), None) => format!("{b} USD over the key's lifetime"),
        (None, _) => "none".to_string(),
    }
}

fn or_none(v: Option<&str>) -> String {
    v.map_or_else(|| "none".to_string(), str::to_string)
}

fn date(v: Option<&String>) -> Option<&str> {
    v.map(|d| d.get(..10).unwrap_or(d))
}

/// The settings that differ: (setting, "setting: declared X, gateway Y").
fn differences(declared: &KeySpec, gateway: &KeySpec, snap: &Snapshot) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut push = |setting: &str, d: String, g: String| {
        if d != g {
            out.push((setting.to_string(), format!("{setting}: declared {d}, gateway {g}")));
        }
    };
    if snap.reports("models") {
        push("models", models(declared).join(" "), models(gateway).join(" "));
    }
    if snap.reports("quota") {
        push(
            "quota",
            usd_ceiling(declared.quota.as_ref()),
            usd_ceiling(gateway.quota.as_ref()),
        );
    }
    if snap.reports("expiresAt") {
        push(
            "expiry",
            or_none(date(declared.expires_at.as_ref())),
            or_none(date(gateway.expires_at.as_ref())),
        );
    }
    if snap.reports("owner") {
        push(
            "owner",
            or_none(declared.owner.as_deref()),
            or_none(gateway.owner.as_deref()),
        );
    }
    if snap.reports("status") {
        push("status", declared.status.clone(), gateway.status.clone());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quota(monthly: Option<f64>, budget: Option<f64>, period: Option<&str>) -> Quota {
        Quota {
            monthly_usd: monthly,
            monthly_tokens: None,
            budget_usd: budget,
            budget_period: period.map(str::to_string),
        }
    }

    #[test]
    fn quotas_compare_by_their_usd_ceiling() {
        assert_eq!(usd_ceiling(None), "none");
        assert_eq!(usd_ceiling(Some(&quota(Some(100.0), None, None))), "100 USD a month");
        // a 30-day budget is a monthly one
        assert_eq!(
            usd_ceiling(Some(&quota(None, Some(100.0), Some("30d")))),
            usd_ceiling(Some(&quota(Some(100.0), None, None)))
        );
        assert_eq!(usd_ceiling(Some(&quota(None, Some(50.0), Some("7d")))), "50 USD per 7d");
        assert_eq!(
            usd_ceiling(Some(&quota(None, Some(5.0), None))),
            "5 USD over the key's lifetime"
        );
    }

    #[test]
    fn every_model_is_one_value() {
        let key = |m: Option<Vec<&str>>| KeySpec {
            name: "k".into(),
            id: None,
            masked_value: None,
            environment: String::new(),
            owner: None,
            status: "active".into(),
            models: m.map(|v| v.into_iter().map(str::to_string).collect()),
            quota: None,
            allowed_subnets: None,
            created_at: "2026-01-01".into(),
            last_rotated: None,
            disabled_at: None,
            storage: None,
            rate_limit: None,
            expires_at: None,
            last_used: None,
            scope: None,
        };
        assert_eq!(models(&key(None)), ["*"]);
        assert_eq!(models(&key(Some(vec![]))), ["*"]);
        assert_eq!(models(&key(Some(vec!["gpt-4o", "*"]))), ["*"]);
        assert_eq!(models(&key(Some(vec!["b", "a", "b"]))), ["a", "b"]);
    }
}
