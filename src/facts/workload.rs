//! Workloads, their containers and environment variables. The pod template is found in
//! every workload kind (and in unknown kinds that have `spec.template.spec.containers`,
//! such as OpenShift's DeploymentConfig); the container's effective securityContext is
//! computed from container and pod levels the way the kubelet does.

use super::index::Index;
use super::template::template;
use crate::base::path;
use crate::facts::model::{Kind, Location, Resource};
use crate::input::loader::Document;
use crate::secrets::detect;
use k8s_openapi::api::core::v1::{Container, PodSpec};
use std::collections::BTreeMap;

/// Label keys and values that mark a workload as serving browsers or apps directly.
const FRONTEND_KEYS: &[&str] = &[
    "tier",
    "component",
    "app.kubernetes.io/component",
    "role",
    "layer",
    "type",
];
const FRONTEND_VALUES: &[&str] = &[
    "frontend",
    "front-end",
    "client",
    "client-facing",
    "web",
    "ui",
    "webapp",
    "browser",
    "spa",
];

/// The label that marks the workload client-facing, and whether it is on the pod template.
fn is_frontend(labels: &[(String, String)], pod_labels: &BTreeMap<String, String>) -> Option<(String, bool)> {
    labels
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str(), false))
        .chain(pod_labels.iter().map(|(k, v)| (k.as_str(), v.as_str(), true)))
        .find(|(k, v, _)| {
            let v = v.to_ascii_lowercase();
            (FRONTEND_KEYS.contains(k) && FRONTEND_VALUES.contains(&v.as_str()))
                || (*k == "compliance/client-facing" && v == "true")
        })
        .map(|(k, _, on_template)| (k.to_string(), on_template))
}

/// Emits the workload, its containers and their env vars, args and commands.
/// Returns the workload's entity id, or `None` if the document has no pod template.
pub fn workload(doc: &Document, index: &Index, out: &mut Vec<Resource>) -> Option<String> {
    let t = template(doc)?;
    let spec = t.spec.as_ref();
    let ns = doc.effective_namespace();
    let display = doc.display();
    let wl_loc = super::at(doc, doc.base.clone());
    let sa = spec
        .service_account_name
        .clone()
        .or_else(|| spec.service_account.clone())
        .unwrap_or_else(|| "default".to_string());
    let sa_key = (ns.clone(), sa.clone());
    let automount = spec
        .automount_service_account_token
        .or_else(|| index.service_account_automount.get(&sa_key).copied())
        .unwrap_or(true);
    let sa_bound = index.bound_service_accounts.contains(&sa_key);
    let object_labels = doc.labels();
    let frontend_label = is_frontend(&object_labels, &t.labels);

    let egress: Vec<_> = index.egress_for(&ns, &t.labels).collect();
    let egress_state = if egress.is_empty() {
        "unrestricted"
    } else if egress.iter().any(|p| p.allows_all) {
        "allow-all"
    } else {
        "restricted"
    };

    let wl_id = Resource::new(Kind::Workload, wl_loc.clone(), display.clone()).id;
    let mut children = Vec::new();
    // the first field that hands the pod a key: where NET-001 points
    let mut key_source: Option<String> = None;
    let containers = spec
        .containers
        .iter()
        .enumerate()
        .map(|(i, c)| (c, false, path::index(&path::key(&t.path, "containers"), i)));
    let inits = spec
        .init_containers
        .iter()
        .flatten()
        .enumerate()
        .map(|(i, c)| (c, true, path::index(&path::key(&t.path, "initContainers"), i)));
    for (c, init, cpath) in containers.chain(inits) {
        let source = container(
            doc,
            spec,
            c,
            init,
            &cpath,
            &t.path,
            &wl_id,
            &ns,
            index,
            &display,
            &mut children,
        );
        key_source = key_source.or(source);
    }
    // a secret volume of a key secret hands the key to the pod as a file
    let volume = spec.volumes.iter().flatten().position(|v| {
        v.secret
            .as_ref()
            .and_then(|s| s.secret_name.as_deref())
            .is_some_and(|s| index.is_key_secret(&ns, s))
    });
    if let (None, Some(i)) = (&key_source, volume) {
        key_source = Some(path::index(&path::key(&t.path, "volumes"), i));
    }
    let holds_key = key_source.is_some();

    let mut wl = Resource::new(Kind::Workload, wl_loc, display.clone())
        .parent(Kind::Namespace, &ns)
        .str("kind", doc.kind.clone())
        .str("name", doc.name.clone())
        .str("namespace", ns.clone())
        .str("serviceAccount", sa)
        .bool("automountToken", automount)
        .bool("serviceAccountBound", sa_bound)
        .bool("frontend", frontend_label.is_some())
        .bool("holdsApiKey", holds_key)
        .str("egress", egress_state)
        .set("egressPolicies", egress.iter().map(|p| p.name.clone()))
        .bool("hostNetwork", spec.host_network == Some(true))
        .field("automountToken", path::key(&t.path, "automountServiceAccountToken"))
        .field("egress", path::keys(&doc.base, "metadata.name"))
        .field("apiKeySource", key_source.unwrap_or_else(|| t.path.clone()))
        .tags(object_labels);
    // NET-003 points at the NetworkPolicy rule that lets everything out
    if let Some(at) = egress.iter().find_map(|p| p.allow_all_at.clone()) {
        wl = wl.field_elsewhere("egress", at);
    }
    if let Some((label, on_template)) = frontend_label {
        let labels = match (on_template, path::parent(&t.path)) {
            (true, Some(template)) if doc.kind != "Pod" => path::keys(template, "metadata.labels"),
            _ => path::keys(&doc.base, "metadata.labels"),
        };
        wl = wl.field("frontend", path::key(&labels, &label));
    }
    out.push(wl);
    out.append(&mut children);
    let applied = index.pod_security.applied(&ns);
    super::podsecurity::emit(doc, &t, &wl_id, &applied, &display, out);
    Some(wl_id)
}

struct Effective {
    privileged: bool,
    run_as_root: bool,
    run_as_root_field: String,
    escalation: bool,
    read_only_root: bool,
}

fn effective(spec: &PodSpec, c: &Container, cpath: &str, spec_path: &str) -> Effective {
    let csc = c.security_context.as_ref();
    let psc = spec.security_context.as_ref();
    let c_user = csc.and_then(|s| s.run_as_user);
    let p_user = psc.and_then(|s| s.run_as_user);
    let c_non_root = csc.and_then(|s| s.run_as_non_root);
    let p_non_root = psc.and_then(|s| s.run_as_non_root);
    let user = c_user.or(p_user);
    let non_root = c_non_root.or(p_non_root);
    let run_as_root = user == Some(0) || !(non_root == Some(true) || user.is_some_and(|u| u > 0));
    let c_sc = path::key(cpath, "securityContext");
    let p_sc = path::key(spec_path, "securityContext");
    let run_as_root_field = if c_user == Some(0) {
        path::key(&c_sc, "runAsUser")
    } else if c_user.is_none() && p_user == Some(0) {
        path::key(&p_sc, "runAsUser")
    } else if c_non_root.is_some() {
        path::key(&c_sc, "runAsNonRoot")
    } else if p_non_root.is_some() {
        path::key(&p_sc, "runAsNonRoot")
    } else {
        path::key(&c_sc, "runAsNonRoot")
    };
    let privileged = csc.and_then(|s| s.privileged) == Some(true);
    Effective {
        privileged,
        run_as_root,
        run_as_root_field,
        // the kubelet allows escalation unless it is switched off; privileged implies it
        escalation: privileged || csc.and_then(|s| s.allow_privilege_escalation) != Some(false),
        read_only_root: csc.and_then(|s| s.read_only_root_filesystem) == Some(true),
    }
}

/// Emits one container and its env vars, args and commands. Returns the first field that
/// hands it an API key (an env var, an `envFrom`, an arg), if any.
#[allow(clippy::too_many_arguments)]
fn container(
    doc: &Document,
    spec: &PodSpec,
    c: &Container,
    init: bool,
    cpath: &str,
    spec_path: &str,
    wl_id: &str,
    ns: &str,
    index: &Index,
    display: &str,
    out: &mut Vec<Resource>,
) -> Option<String> {
    let e = effective(spec, c, cpath, spec_path);
    let loc = |p: String| super::at(doc, p);
    let c_sc = path::key(cpath, "securityContext");
    let cont = Resource::new(Kind::Container, loc(cpath.to_string()), display.to_string())
        .parent(Kind::Workload, wl_id)
        .str("name", c.name.clone())
        .str("image", c.image.clone().unwrap_or_default())
        .bool("init", init)
        .bool("privileged", e.privileged)
        .bool("runAsRoot", e.run_as_root)
        .bool("allowPrivilegeEscalation", e.escalation)
        .bool("readOnlyRootFilesystem", e.read_only_root)
        .field("privileged", path::key(&c_sc, "privileged"))
        .field("runAsRoot", e.run_as_root_field)
        .field("allowPrivilegeEscalation", path::key(&c_sc, "allowPrivilegeEscalation"))
        .field("readOnlyRootFilesystem", path::key(&c_sc, "readOnlyRootFilesystem"))
        .field("image", path::key(cpath, "image"));
    let cont_id = cont.id.clone();
    out.push(cont);

    let mut holds_key: Option<String> = None;
    for (j, env) in c.env.iter().flatten().enumerate() {
        let epath = path::index(&path::key(cpath, "env"), j);
        let value = env.value.as_deref().unwrap_or("");
        let secret_ref = env.value_from.as_ref().and_then(|f| f.secret_key_ref.as_ref());
        let literal = detect::is_literal_value(value);
        let key = detect::looks_like_api_key(value);
        let sensitive = detect::is_sensitive_name(&env.name);
        let url_password = literal && detect::find_url_password(value).is_some();
        let masked = if key {
            detect::masked_key(value)
        } else if url_password {
            detect::mask_url_password(value).unwrap_or_default()
        } else if sensitive && literal {
            crate::secrets::mask::mask(value)
        } else {
            String::new()
        };
        let gives_key = key
            || (detect::is_key_name(&env.name) && (literal || secret_ref.is_some()))
            || secret_ref.is_some_and(|r| detect::is_key_name(&r.key) || index.is_key_secret(ns, &r.name));
        if gives_key && holds_key.is_none() {
            holds_key = Some(epath.clone());
        }
        out.push(
            Resource::new(Kind::EnvVar, loc(epath.clone()), display.to_string())
                .parent(Kind::Container, &cont_id)
                .str("name", env.name.clone())
                .bool("hasLiteral", literal)
                .bool("looksLikeApiKey", key)
                .bool("sensitiveName", sensitive)
                .bool("fromSecret", secret_ref.is_some())
                .bool(
                    "disablesTlsVerify",
                    env.value.is_some() && detect::env_disables_tls(&env.name, value),
                )
                .bool("httpGatewayUrl", detect::http_gateway_url(&env.name, value))
                .bool("gatewayUrl", detect::mentions_gateway_url(&env.name, value))
                .bool("credential", key || sensitive || secret_ref.is_some() || url_password)
                .bool("urlCredential", url_password)
                .str("confidence", detect::literal_confidence(value))
                .str("masked", masked)
                .field("value", path::key(&epath, "value"))
                .field("name", path::key(&epath, "name")),
        );
    }
    let from = c
        .env_from
        .iter()
        .flatten()
        .position(|f| f.secret_ref.as_ref().is_some_and(|r| index.is_key_secret(ns, &r.name)));
    if let (None, Some(i)) = (&holds_key, from) {
        holds_key = Some(path::index(&path::key(cpath, "envFrom"), i));
    }

    for (source, items) in [("command", &c.command), ("arg", &c.args)] {
        let field = if source == "arg" { "args" } else { "command" };
        for (k, text) in items.iter().flatten().enumerate() {
            let vpath = path::index(&path::key(cpath, field), k);
            let key = detect::looks_like_api_key(text);
            if key && holds_key.is_none() {
                holds_key = Some(vpath.clone());
            }
            out.push(value_entity(
                loc(vpath),
                display,
                Kind::Container,
                &cont_id,
                source,
                "",
                text,
                key,
            ));
        }
    }
    holds_key
}

/// A literal that may carry a secret or an insecure setting: an argument, a command word,
/// an annotation, a ConfigMap or Secret entry.
#[allow(clippy::too_many_arguments)]
pub fn value_entity(
    loc: Location,
    display: &str,
    parent: Kind,
    parent_id: &str,
    source: &str,
    key_name: &str,
    text: &str,
    looks_like_key: bool,
) -> Resource {
    // a Secret's bare `key` entry (Ceph, CHAP) is the key; a ConfigMap's is any setting
    let sensitive = !key_name.is_empty()
        && (detect::is_sensitive_name(key_name) || (source == "secret" && key_name.eq_ignore_ascii_case("key")));
    let literal = detect::is_literal_value(text);
    let url_password = literal && detect::find_url_password(text).is_some();
    let private_key = text.contains("PRIVATE KEY-----");
    let docker_auth = matches!(key_name, ".dockerconfigjson" | ".dockercfg") && text.contains("auth");
    let masked = if looks_like_key {
        detect::masked_key(text)
    } else if url_password {
        detect::mask_url_password(text).unwrap_or_default()
    } else if (sensitive || private_key || docker_auth) && literal {
        crate::secrets::mask::mask(text)
    } else {
        String::new()
    };
    let tls_off = if key_name.is_empty() {
        detect::text_disables_tls(text).is_some()
    } else {
        detect::env_disables_tls(key_name, text) || detect::text_disables_tls(text).is_some()
    };
    let label = match source {
        "arg" | "command" => format!("{source} `{}`", loc.path.rsplit('.').next().unwrap_or_default()),
        "configmap" => format!("ConfigMap entry `{key_name}`"),
        "secret" => format!("Secret entry `{key_name}`"),
        _ => format!("{source} `{key_name}`"),
    };
    Resource::new(Kind::Value, loc, display.to_string())
        .parent(parent, parent_id)
        .str("label", label)
        .str("source", source)
        .str("key", key_name)
        .bool("hasValue", literal)
        .bool("looksLikeApiKey", looks_like_key)
        .bool("sensitiveName", sensitive)
        .bool("disablesTlsVerify", tls_off)
        .bool("httpGatewayUrl", detect::http_gateway_url(key_name, text))
        .bool("gatewayUrl", detect::mentions_gateway_url(key_name, text))
        .bool(
            "credential",
            looks_like_key || sensitive || source == "secret" || url_password,
        )
        .bool("urlCredential", url_password)
        .bool(
            "holdsCredential",
            literal
                && !detect::is_hash_value(text)
                && (looks_like_key || sensitive || url_password || private_key || docker_auth),
        )
        .str("confidence", detect::literal_confidence(text))
        .str("masked", masked)
}
