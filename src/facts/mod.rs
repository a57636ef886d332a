//! Facts: what Rust computes before Cedar judges. Cedar has no loops over sets and no
//! joins, so selector matching, inheritance, key detection and date arithmetic happen
//! here, once per run, over indexes built in one pass (no resource is compared with
//! every other one).

mod drift;
mod gateway;
mod index;
mod keys;
pub mod model;
mod objects;
mod podsecurity;
mod profile;
pub mod pss;
mod rbac;
mod retention;
mod selector;
mod template;
mod workload;

pub use index::{may_contribute, Index};

use crate::facts::model::{Kind, Location, Resource};
use crate::input::loader::{Document, Object};
use chrono::{DateTime, Utc};
use rayon::prelude::*;
use std::collections::BTreeMap;

/// Everything the engine evaluates, in a deterministic order.
pub fn build(docs: &[Document], now: DateTime<Utc>) -> Vec<Resource> {
    build_with(docs, now, &crate::facts::pss::Settings::default())
}

/// [`build`] with the Pod Security Standards settings of the run (`--pod-security`,
/// `podSecurity`); Namespace manifests of `docs` with pod-security labels override them.
pub fn build_with(docs: &[Document], now: DateTime<Utc>, pod_security: &crate::facts::pss::Settings) -> Vec<Resource> {
    let (index, mut tail) = prepare(docs, pod_security);
    let mut out: Vec<Resource> = docs
        .par_iter()
        .flat_map_iter(|d| resources_of(d, &index, now))
        .collect();
    out.append(&mut tail);
    out
}

/// The cross-document index, and the facts that come after every document's own: one
/// entity per namespace, then each declared inventory against its imported snapshot.
fn prepare(docs: &[Document], pod_security: &crate::facts::pss::Settings) -> (Index, Vec<Resource>) {
    let index = index_of(docs, pod_security);
    let mut mentions = BTreeMap::new();
    first_mentions(docs, &mut mentions);
    let mut tail = namespaces(mentions);
    tail.extend(drift::resources(docs));
    (index, tail)
}

/// The index of `docs`; the index of a run is that of its files merged in order
/// ([`Index::merge`]).
pub fn index_of(docs: &[Document], pod_security: &crate::facts::pss::Settings) -> Index {
    let mut index = Index::build(docs);
    index.pod_security = crate::facts::pss::Namespaces::new(
        pod_security.clone(),
        docs.iter()
            .filter(|d| d.kind == "Namespace" && d.api_version == "v1")
            .map(|d| (d.name.as_str(), d.labels())),
    );
    index
}

/// The facts of some of a run's documents, judged with the run's `index`, each document
/// freed once its facts are built. Inventories are handed back instead: their facts need
/// the whole run (the workloads that read a secret), so they come with [`tail`].
pub fn build_part(docs: Vec<Document>, index: &Index, now: DateTime<Utc>) -> (Vec<Resource>, Vec<Document>) {
    let (deferred, docs): (Vec<Document>, Vec<Document>) =
        docs.into_iter().partition(|d| matches!(d.object, Object::Inventory(_)));
    let out = docs
        .into_par_iter()
        .flat_map_iter(|d| resources_of(&d, index, now))
        .collect();
    (out, deferred)
}

/// The facts that need the whole run, after every [`build_part`]: the inventories handed
/// back, one entity per namespace (`mentions`, from [`first_mentions`]), then each declared
/// inventory against its imported snapshot.
pub fn tail(
    inventories: &[Document],
    mentions: BTreeMap<String, Location>,
    index: &Index,
    now: DateTime<Utc>,
) -> Vec<Resource> {
    let mut out: Vec<Resource> = inventories.iter().flat_map(|d| resources_of(d, index, now)).collect();
    out.extend(namespaces(mentions));
    out.extend(drift::resources(inventories));
    out
}

/// The facts of one document, in their order.
fn resources_of(doc: &Document, index: &Index, now: DateTime<Utc>) -> Vec<Resource> {
    let mut out = Vec::new();
    emit(doc, index, now, &mut out);
    out
}

fn emit(doc: &Document, index: &Index, now: DateTime<Utc>, out: &mut Vec<Resource>) {
    match &doc.object {
        Object::Inventory(inv) => keys::inventory(doc, inv, index, now, out),
        Object::Retention(r) => retention::policy(doc, r, out),
        Object::Profile(p) => profile::profile(doc, p, now, out),
        // applied to the findings (waiver.rs), not judged
        Object::Waivers(_) => {}
        Object::LiteLlm => gateway::resources(doc, out),
        Object::Ingress(ing) => {
            let id = objects::ingress(doc, ing, index, out);
            objects::annotations(doc, Kind::Ingress, &id, out);
        }
        Object::Role(r) => {
            let id = rbac::role(doc, r.rules.as_deref().unwrap_or_default(), false, index, out);
            objects::annotations(doc, Kind::Role, &id, out);
        }
        Object::ClusterRole(r) => {
            let id = rbac::role(doc, r.rules.as_deref().unwrap_or_default(), true, index, out);
            objects::annotations(doc, Kind::Role, &id, out);
        }
        _ => {
            if let Some(id) = workload::workload(doc, index, out) {
                objects::annotations(doc, Kind::Workload, &id, out);
            } else {
                let id = objects::object(doc, out);
                objects::annotations(doc, Kind::Object, &id, out);
            }
        }
    }
}

/// Where each namespace that an object of `docs` lives in is first mentioned, added to
/// `seen` (which keeps earlier mentions: call it in file order).
pub fn first_mentions(docs: &[Document], seen: &mut BTreeMap<String, Location>) {
    for d in docs {
        if matches!(
            d.object,
            Object::Inventory(_) | Object::Retention(_) | Object::Profile(_) | Object::Waivers(_) | Object::LiteLlm
        ) {
            continue;
        }
        let (ns, path) = if d.kind == "Namespace" {
            (d.name.clone(), crate::base::path::keys(&d.base, "metadata.name"))
        } else if cluster_scoped(&d.kind) {
            continue;
        } else {
            (
                d.effective_namespace(),
                crate::base::path::keys(&d.base, "metadata.namespace"),
            )
        };
        seen.entry(ns).or_insert_with(|| at(d, path));
    }
}

/// One entity per namespace that any object lives in, placed at its first mention.
fn namespaces(seen: BTreeMap<String, Location>) -> Vec<Resource> {
    seen.into_iter()
        .map(|(ns, loc)| {
            Resource::new(Kind::Namespace, loc, format!("Namespace {ns}"))
                .with_id(ns.clone())
                .str("name", ns)
        })
        .collect()
}

/// The place of `path` in `doc`.
pub(crate) fn at(doc: &Document, path: String) -> Location {
    Location {
        file: doc.file,
        doc: doc.doc,
        path,
        pos: None,
    }
}

/// Kinds without a namespace (the common ones; anything else is taken as namespaced).
pub fn cluster_scoped(kind: &str) -> bool {
    matches!(
        kind,
        "Namespace"
            | "ClusterRole"
            | "ClusterRoleBinding"
            | "PersistentVolume"
            | "StorageClass"
            | "Node"
            | "CustomResourceDefinition"
            | "PriorityClass"
            | "ValidatingWebhookConfiguration"
            | "MutatingWebhookConfiguration"
            | "APIService"
            | "IngressClass"
            | "RuntimeClass"
            | "PodSecurityPolicy"
            | "ClusterIssuer"
            | "ClusterSecretStore"
            | "ApiKeyInventory"
            | "RetentionPolicy"
            | "SecurityProfile"
    )
}

/// Days from `then` (a `YYYY-MM-DD` date) to `now`, or `None` if it does not parse.
pub fn days_since(then: &str, now: DateTime<Utc>) -> Option<i64> {
    let date = chrono::NaiveDate::parse_from_str(then.get(..10)?, "%Y-%m-%d").ok()?;
    Some((now.date_naive() - date).num_days())
}
