//! Plain objects (ConfigMaps, Secrets and every other kind), their annotations and data
//! entries, and Ingresses.

use super::workload::value_entity;
use crate::base::path;
use crate::facts::model::{Kind, Resource};
use crate::input::loader::{Document, Object};
use crate::secrets::detect;
use k8s_openapi::api::networking::v1::Ingress;

fn namespace_parent(doc: &Document, r: Resource) -> Resource {
    if super::cluster_scoped(&doc.kind) {
        r
    } else {
        r.parent(Kind::Namespace, &doc.effective_namespace())
    }
}

/// Any object that is not a workload, an ingress or a role. ConfigMap and Secret entries
/// become values of their own.
pub fn object(doc: &Document, out: &mut Vec<Resource>) -> String {
    let display = doc.display();
    let r = Resource::new(Kind::Object, super::at(doc, doc.base.clone()), display.clone())
        .str("apiVersion", doc.api_version.clone())
        .str("kind", doc.kind.clone())
        .str("name", doc.name.clone())
        .str("namespace", doc.namespace.clone().unwrap_or_default())
        .tags(doc.labels());
    let r = namespace_parent(doc, r);
    let id = r.id.clone();
    out.push(r);
    let mut entry = |source: &str, field: &str, key: &str, text: &str| {
        let p = path::key(&path::key(&doc.base, field), key);
        let looks = detect::looks_like_api_key(text);
        let mut v = value_entity(super::at(doc, p), &display, Kind::Object, &id, source, key, text, looks);
        if source == "secret" {
            // any committed Secret entry is key material, whatever it looks like
            v.attrs.retain(|(n, _)| *n != "hasValue");
            v = v.bool("hasValue", !text.is_empty());
        }
        out.push(v);
    };
    match &doc.object {
        Object::ConfigMap(cm) => {
            for (k, v) in cm.data.iter().flatten() {
                entry("configmap", "data", k, v);
            }
        }
        Object::Secret(s) => {
            for (k, v) in s.data.iter().flatten() {
                entry("secret", "data", k, &String::from_utf8_lossy(&v.0));
            }
            for (k, v) in s.string_data.iter().flatten() {
                entry("secret", "stringData", k, v);
            }
        }
        _ => {}
    }
    id
}

/// Every annotation of the document's object, as a value of `parent`.
pub fn annotations(doc: &Document, parent: Kind, parent_id: &str, out: &mut Vec<Resource>) {
    let display = doc.display();
    let base = path::keys(&doc.base, "metadata.annotations");
    for (k, v) in doc.annotations() {
        let looks = detect::looks_like_api_key(&v);
        out.push(value_entity(
            super::at(doc, path::key(&base, &k)),
            &display,
            parent,
            parent_id,
            "annotation",
            &k,
            &v,
            looks,
        ));
    }
}

/// Annotations by which ingress controllers redirect HTTP to HTTPS.
const REDIRECT_ON: &[&str] = &[
    "nginx.ingress.kubernetes.io/force-ssl-redirect",
    "nginx.ingress.kubernetes.io/ssl-redirect",
    "ingress.kubernetes.io/ssl-redirect",
    "alb.ingress.kubernetes.io/ssl-redirect",
    "traefik.ingress.kubernetes.io/redirect-entry-point",
];
const REDIRECT_OFF: &[&str] = &[
    "nginx.ingress.kubernetes.io/ssl-redirect",
    "ingress.kubernetes.io/ssl-redirect",
];

/// Annotations of ingress controllers that limit request rates.
const RATE_LIMIT: &[&str] = &[
    "nginx.ingress.kubernetes.io/limit-rps",
    "nginx.ingress.kubernetes.io/limit-rpm",
    "nginx.ingress.kubernetes.io/limit-connections",
    "nginx.ingress.kubernetes.io/global-rate-limit",
    "haproxy.org/rate-limit-requests",
    "konghq.com/plugins",
];

fn host_covered(host: &str, tls_hosts: &[String]) -> bool {
    tls_hosts.iter().any(|t| {
        t == host
            || t.strip_prefix("*.")
                .is_some_and(|suffix| host.split_once('.').is_some_and(|(_, rest)| rest == suffix))
    })
}

pub fn ingress(doc: &Document, ing: &Ingress, index: &super::Index, out: &mut Vec<Resource>) -> String {
    let display = doc.display();
    let annotations = doc.annotations();
    let ann = |k: &str| {
        annotations
            .iter()
            .find(|(a, _)| a == k)
            .map(|(_, v)| v.trim().to_ascii_lowercase())
    };
    let spec = ing.spec.as_ref();
    let tls = spec.and_then(|s| s.tls.as_ref()).filter(|t| !t.is_empty());
    let has_tls = tls.is_some();
    let tls_hosts: Vec<String> = tls
        .into_iter()
        .flatten()
        .flat_map(|t| t.hosts.clone().unwrap_or_default())
        .collect();
    let forced = ann("nginx.ingress.kubernetes.io/force-ssl-redirect").as_deref() == Some("true");
    let off = REDIRECT_OFF.iter().find(|k| ann(k).as_deref() == Some("false"));
    let on = REDIRECT_ON.iter().any(|k| ann(k).is_some_and(|v| v != "false"));
    // ingress-nginx redirects by default once TLS is configured; force-ssl-redirect wins
    let redirect = forced || (off.is_none() && (has_tls || on));
    let off = off.filter(|_| !forced);
    let annotations_path = path::keys(&doc.base, "metadata.annotations");
    let redirect_field = off.map_or_else(|| annotations_path.clone(), |k| path::key(&annotations_path, k));
    let r = Resource::new(Kind::Ingress, super::at(doc, doc.base.clone()), display.clone())
        .parent(Kind::Namespace, &doc.effective_namespace())
        .str("name", doc.name.clone())
        .str("namespace", doc.effective_namespace())
        .str(
            "ingressClass",
            spec.and_then(|s| s.ingress_class_name.clone()).unwrap_or_default(),
        )
        .bool("hasTls", has_tls)
        .bool("httpsRedirect", redirect)
        .bool("rateLimited", RATE_LIMIT.iter().any(|k| ann(k).is_some()))
        .bool("appRateLimited", index.profile_rate_limit)
        .set("tlsHosts", tls_hosts.clone())
        .field("hasTls", path::keys(&doc.base, "spec.tls"))
        .field("rateLimited", annotations_path.clone())
        .field("httpsRedirect", redirect_field)
        .tags(doc.labels());
    let id = r.id.clone();
    out.push(r);
    let rules = path::keys(&doc.base, "spec.rules");
    for (i, rule) in spec.and_then(|s| s.rules.as_ref()).into_iter().flatten().enumerate() {
        let Some(host) = &rule.host else { continue };
        out.push(
            Resource::new(
                Kind::IngressHost,
                super::at(doc, path::key(&path::index(&rules, i), "host")),
                display.clone(),
            )
            .parent(Kind::Ingress, &id)
            .str("host", host.clone())
            .bool("coveredByTls", host_covered(host, &tls_hosts))
            .bool("ingressHasTls", has_tls),
        );
    }
    id
}

#[cfg(test)]
mod tests {
    use super::host_covered;

    #[test]
    fn wildcard_tls_hosts_cover_one_label() {
        let tls = vec!["*.example.com".to_string()];
        assert!(host_covered("chat.example.com", &tls));
        assert!(!host_covered("a.chat.example.com", &tls));
        assert!(!host_covered("example.com", &tls));
    }
}
