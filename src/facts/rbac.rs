//! RBAC roles and their rules.

use super::index::Index;
use crate::base::path;
use crate::facts::model::{Kind, Resource};
use crate::input::loader::Document;
use k8s_openapi::api::rbac::v1::PolicyRule;

const READ_VERBS: &[&str] = &["get", "list", "watch", "*"];

pub fn role(
    doc: &Document,
    rules: &[PolicyRule],
    cluster_role: bool,
    index: &Index,
    out: &mut Vec<Resource>,
) -> String {
    let display = doc.display();
    // a ClusterRole bound only by RoleBindings grants its rules in those namespaces only
    let cluster_wide = cluster_role
        && index
            .cluster_role_use
            .get(&doc.name)
            .is_none_or(|u| u.cluster_binding || !u.namespace_binding);
    let mut r = Resource::new(Kind::Role, super::at(doc, doc.base.clone()), display.clone())
        .str("kind", doc.kind.clone())
        .str("name", doc.name.clone())
        .str("namespace", doc.namespace.clone().unwrap_or_default())
        .bool("clusterWide", cluster_wide)
        .tags(doc.labels());
    if !cluster_role {
        r = r.parent(Kind::Namespace, &doc.effective_namespace());
    }
    let id = r.id.clone();
    out.push(r);
    let base = path::keys(&doc.base, "rules");
    for (i, rule) in rules.iter().enumerate() {
        let rp = path::index(&base, i);
        let groups = rule.api_groups.clone().unwrap_or_default();
        let resources = rule.resources.clone().unwrap_or_default();
        let names = rule.resource_names.clone().unwrap_or_default();
        let reads_secrets = groups.iter().any(|g| g.is_empty() || g == "*")
            && resources.iter().any(|r| r == "secrets" || r == "*")
            && rule.verbs.iter().any(|v| READ_VERBS.contains(&v.as_str()));
        let wildcard_field = if rule.verbs.iter().any(|v| v == "*") {
            "verbs"
        } else {
            "resources"
        };
        out.push(
            Resource::new(Kind::RbacRule, super::at(doc, rp.clone()), display.clone())
                .parent(Kind::Role, &id)
                .set("verbs", rule.verbs.clone())
                .set("resources", resources)
                .set("apiGroups", groups)
                .set("resourceNames", names)
                .bool("readsSecrets", reads_secrets)
                .bool("clusterWide", cluster_wide)
                .str("role", doc.name.clone())
                .field("wildcard", path::key(&rp, wildcard_field))
                .field("resources", path::key(&rp, "resources")),
        );
    }
    id
}
