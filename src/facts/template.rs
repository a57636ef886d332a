//! The pod template of a workload, found in every workload kind (and in unknown kinds that
//! have `spec.template.spec.containers`), with what the cross-document index and the
//! workload's entities both read of it: the environment it serves and the Secrets it names.

use crate::base::path;
use crate::input::loader::{Document, Object};
use k8s_openapi::api::core::v1::{PodSpec, PodTemplateSpec};
use std::borrow::Cow;
use std::collections::BTreeMap;

pub(super) struct Template<'a> {
    pub spec: Cow<'a, PodSpec>,
    /// Path of the PodSpec in the document.
    pub path: String,
    pub labels: BTreeMap<String, String>,
    /// The pod template's annotations, and where they are written.
    pub annotations: BTreeMap<String, String>,
    pub annotations_path: String,
}

fn labels_of(meta: Option<&k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta>) -> BTreeMap<String, String> {
    meta.and_then(|m| m.labels.clone()).unwrap_or_default()
}

fn from_template<'a>(doc: &Document, t: &'a PodTemplateSpec, p: &str) -> Option<Template<'a>> {
    let spec_path = path::keys(&doc.base, p);
    let annotations_path = path::parent(&spec_path).map_or_else(String::new, |t| path::keys(t, "metadata.annotations"));
    Some(Template {
        spec: Cow::Borrowed(t.spec.as_ref()?),
        path: spec_path,
        labels: labels_of(t.metadata.as_ref()),
        annotations: t
            .metadata
            .as_ref()
            .and_then(|m| m.annotations.clone())
            .unwrap_or_default(),
        annotations_path,
    })
}

pub(super) fn template(doc: &Document) -> Option<Template<'_>> {
    const TEMPLATE: &str = "spec.template.spec";
    match &doc.object {
        Object::Pod(p) => Some(Template {
            spec: Cow::Borrowed(p.spec.as_ref()?),
            path: path::keys(&doc.base, "spec"),
            labels: labels_of(Some(&p.metadata)),
            annotations: p.metadata.annotations.clone().unwrap_or_default(),
            annotations_path: path::keys(&doc.base, "metadata.annotations"),
        }),
        Object::Deployment(d) => from_template(doc, &d.spec.template, TEMPLATE),
        Object::StatefulSet(d) => from_template(doc, &d.spec.template, TEMPLATE),
        Object::DaemonSet(d) => from_template(doc, &d.spec.template, TEMPLATE),
        Object::Job(d) => from_template(doc, &d.spec.as_ref()?.template, TEMPLATE),
        Object::ReplicaSet(d) => from_template(doc, d.spec.template.as_ref()?, TEMPLATE),
        Object::ReplicationController(d) => from_template(doc, d.spec.as_ref()?.template.as_ref()?, TEMPLATE),
        Object::CronJob(c) => from_template(
            doc,
            &c.spec.job_template.spec.as_ref()?.template,
            "spec.jobTemplate.spec.template.spec",
        ),
        Object::Dynamic => {
            // an unknown kind with a pod template is a workload too
            let spec = doc.value.pointer("/spec/template/spec")?;
            spec.get("containers")?.as_array()?;
            let spec: PodSpec = serde_json::from_value(spec.clone()).ok()?;
            let labels = doc
                .value
                .pointer("/spec/template/metadata/labels")
                .and_then(|l| serde_json::from_value(l.clone()).ok())
                .unwrap_or_default();
            let annotations = doc
                .value
                .pointer("/spec/template/metadata/annotations")
                .and_then(|l| serde_json::from_value(l.clone()).ok())
                .unwrap_or_default();
            Some(Template {
                spec: Cow::Owned(spec),
                path: path::keys(&doc.base, TEMPLATE),
                labels,
                annotations,
                annotations_path: path::keys(&doc.base, "spec.template.metadata.annotations"),
            })
        }
        _ => None,
    }
}

/// Secrets a pod reads: `secretKeyRef`, `envFrom.secretRef` and secret volumes.
pub(super) fn secret_names(spec: &PodSpec) -> Vec<String> {
    let containers = spec.containers.iter().chain(spec.init_containers.iter().flatten());
    let mut out: Vec<String> = containers
        .flat_map(|c| {
            let env = c
                .env
                .iter()
                .flatten()
                .filter_map(|e| Some(e.value_from.as_ref()?.secret_key_ref.as_ref()?.name.clone()));
            let from = c
                .env_from
                .iter()
                .flatten()
                .filter_map(|f| Some(f.secret_ref.as_ref()?.name.clone()));
            env.chain(from).collect::<Vec<_>>()
        })
        .chain(
            spec.volumes
                .iter()
                .flatten()
                .filter_map(|v| v.secret.as_ref()?.secret_name.clone()),
        )
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The environment a workload serves, from an `environment` / `env` label or, failing
/// that, a namespace named like one (`payments-prod`, `staging`).
pub(super) fn environment(
    labels: &[(String, String)],
    pod_labels: &BTreeMap<String, String>,
    namespace: &str,
) -> Option<String> {
    const KEYS: &[&str] = &[
        "environment",
        "env",
        "app.kubernetes.io/environment",
        "tier.environment",
    ];
    let labelled = labels
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .chain(pod_labels.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .find(|(k, _)| KEYS.contains(k))
        .map(|(_, v)| v.to_ascii_lowercase());
    let normalise = |e: &str| -> Option<String> {
        Some(
            match e {
                "prod" | "production" | "prd" => "production",
                "staging" | "stage" | "stg" | "preprod" => "staging",
                "dev" | "development" => "development",
                "test" | "testing" | "qa" => "testing",
                _ => return None,
            }
            .to_string(),
        )
    };
    if let Some(l) = labelled {
        return Some(normalise(&l).unwrap_or(l));
    }
    namespace.split(['-', '_', '.']).find_map(normalise)
}
