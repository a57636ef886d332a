//! Cross-document indexes, built in one pass over the documents.

use super::selector;
use crate::input::loader::{Document, Object};
use crate::secrets::detect;
use k8s_openapi::api::networking::v1::NetworkPolicy;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// An egress-restricting NetworkPolicy, reduced to what the facts need.
#[derive(Debug)]
pub struct EgressPolicy {
    pub name: String,
    pub selector: LabelSelector,
    /// Some rule lets every destination through on every port.
    pub allows_all: bool,
    /// Where the first such rule is (`spec.egress[i]`), for findings to point at.
    pub allow_all_at: Option<crate::facts::model::Location>,
}

/// A workload that reads a Secret.
#[derive(Debug, Clone)]
pub struct SecretUser {
    pub workload: String,
    pub namespace: String,
    pub environment: Option<String>,
}

/// How bindings use a ClusterRole.
#[derive(Debug, Default, Clone, Copy)]
pub struct RoleUse {
    pub cluster_binding: bool,
    pub namespace_binding: bool,
}

#[derive(Debug, Default)]
pub struct Index {
    /// Namespace -> its egress policies.
    pub egress: HashMap<String, Vec<EgressPolicy>>,
    /// (namespace, service account) named as a subject by some binding.
    pub bound_service_accounts: HashSet<(String, String)>,
    /// (namespace, service account) -> `automountServiceAccountToken` of the account.
    pub service_account_automount: HashMap<(String, String), bool>,
    /// ClusterRole name -> how it is bound.
    pub cluster_role_use: HashMap<String, RoleUse>,
    /// (namespace, secret) known to hold an API key: named by an inventory's storage, or a
    /// committed Secret with a key-like entry.
    pub key_secrets: HashSet<(String, String)>,
    /// Inventory key name -> environments it is declared in.
    pub key_environments: BTreeMap<String, BTreeSet<String>>,
    /// Storage reference -> environments of the keys stored there.
    pub storage_environments: BTreeMap<String, BTreeSet<String>>,
    /// (namespace, secret) defined by a manifest: a Secret, or an ExternalSecret / SealedSecret
    /// that creates it.
    pub defined_secrets: HashSet<(String, String)>,
    /// (namespace, secret) -> the workloads that read it.
    pub secret_users: HashMap<(String, String), Vec<SecretUser>>,
    /// The run holds Kubernetes objects (so "no manifest references it" means something).
    pub has_objects: bool,
    /// Some SecurityProfile declares a `rateLimit` (the application limits request rates).
    pub profile_rate_limit: bool,
    /// The Pod Security Standards level of each namespace (see [`crate::facts::pss`]).
    pub pod_security: crate::facts::pss::Namespaces,
}

/// The index of the first egress rule that lets every destination through on every port.
fn allows_all(np: &NetworkPolicy) -> Option<usize> {
    let rules = np.spec.as_ref().and_then(|s| s.egress.as_ref())?;
    rules.iter().position(|r| {
        let any_port = r.ports.as_ref().is_none_or(Vec::is_empty);
        let any_peer = match &r.to {
            None => true,
            Some(peers) if peers.is_empty() => true,
            Some(peers) => peers.iter().any(|p| {
                p.ip_block.as_ref().is_some_and(|b| {
                    (b.cidr == "0.0.0.0/0" || b.cidr == "::/0") && b.except.as_ref().is_none_or(Vec::is_empty)
                })
            }),
        };
        any_port && any_peer
    })
}

fn restricts_egress(np: &NetworkPolicy) -> bool {
    let Some(spec) = &np.spec else { return false };
    match &spec.policy_types {
        Some(types) => types.iter().any(|t| t == "Egress"),
        None => spec.egress.is_some(),
    }
}

impl Index {
    pub fn build(docs: &[Document]) -> Index {
        let mut ix = Index::default();
        for d in docs {
            let ns = d.effective_namespace();
            if !matches!(
                d.object,
                Object::Inventory(_) | Object::Retention(_) | Object::Profile(_) | Object::Waivers(_) | Object::LiteLlm
            ) {
                ix.has_objects = true;
            }
            if let Some(t) = super::template::template(d) {
                let environment = super::template::environment(&d.labels(), &t.labels, &ns);
                for secret in super::template::secret_names(&t.spec) {
                    ix.secret_users
                        .entry((ns.clone(), secret))
                        .or_default()
                        .push(SecretUser {
                            workload: d.display(),
                            namespace: ns.clone(),
                            environment: environment.clone(),
                        });
                }
            }
            match d.kind.as_str() {
                "ExternalSecret" => {
                    let target = d
                        .value
                        .pointer("/spec/target/name")
                        .and_then(|v| v.as_str())
                        .unwrap_or(&d.name);
                    ix.defined_secrets.insert((ns.clone(), target.to_string()));
                }
                "SealedSecret" | "Secret" => {
                    ix.defined_secrets.insert((ns.clone(), d.name.clone()));
                }
                _ => {}
            }
            match &d.object {
                Object::NetworkPolicy(np) if restricts_egress(np) => {
                    let selector = np.spec.as_ref().map(|s| s.pod_selector.clone()).unwrap_or_default();
                    let rule = allows_all(np);
                    ix.egress.entry(ns).or_default().push(EgressPolicy {
                        name: d.name.clone(),
                        selector: selector.unwrap_or_default(),
                        allows_all: rule.is_some(),
                        allow_all_at: rule.map(|i| {
                            super::at(
                                d,
                                crate::base::path::index(&crate::base::path::keys(&d.base, "spec.egress"), i),
                            )
                        }),
                    });
                }
                Object::ServiceAccount(sa) => {
                    if let Some(a) = sa.automount_service_account_token {
                        ix.service_account_automount.insert((ns, d.name.clone()), a);
                    }
                }
                Object::RoleBinding(b) => {
                    ix.bind_subjects(b.subjects.as_deref().unwrap_or_default(), &ns);
                    if b.role_ref.kind == "ClusterRole" {
                        ix.cluster_role_use
                            .entry(b.role_ref.name.clone())
                            .or_default()
                            .namespace_binding = true;
                    }
                }
                Object::ClusterRoleBinding(b) => {
                    ix.bind_subjects(b.subjects.as_deref().unwrap_or_default(), &ns);
                    ix.cluster_role_use
                        .entry(b.role_ref.name.clone())
                        .or_default()
                        .cluster_binding = true;
                }
                Object::Secret(s) => {
                    let data = s
                        .data
                        .iter()
                        .flatten()
                        .map(|(k, v)| (k, String::from_utf8_lossy(&v.0).into_owned()));
                    let string_data = s.string_data.iter().flatten().map(|(k, v)| (k, v.clone()));
                    if data
                        .chain(string_data)
                        .any(|(k, v)| detect::is_key_name(k) || detect::looks_like_api_key(&v))
                    {
                        ix.key_secrets.insert((ns, d.name.clone()));
                    }
                }
                Object::Inventory(inv) => {
                    // a revoked key is shared with nobody any more; a key of an imported
                    // snapshot (no environment) is the same key as the declared one
                    for k in inv
                        .keys
                        .iter()
                        .filter(|k| k.status != "revoked" && !k.environment.is_empty())
                    {
                        ix.key_environments
                            .entry(k.name.clone())
                            .or_default()
                            .insert(k.environment.clone());
                        let Some(storage) = &k.storage else { continue };
                        let Some(r) = &storage.reference else { continue };
                        ix.storage_environments
                            .entry(format!("{}:{r}", storage.kind))
                            .or_default()
                            .insert(k.environment.clone());
                        if storage.kind == "kubernetes-secret" || storage.kind == "external-secrets" {
                            let (sns, name) = r.split_once('/').unwrap_or(("default", r));
                            ix.key_secrets.insert((sns.to_string(), name.to_string()));
                        }
                    }
                }
                Object::Profile(p) => ix.profile_rate_limit |= p.rate_limit.is_some(),
                _ => {}
            }
        }
        ix
    }

    /// Adds the index of later documents (built by [`Index::build`] for the files after
    /// this index's): the result is the index of both, in file order.
    pub fn merge(&mut self, later: Index) {
        for (ns, policies) in later.egress {
            self.egress.entry(ns).or_default().extend(policies);
        }
        self.bound_service_accounts.extend(later.bound_service_accounts);
        // a later ServiceAccount of the same name wins, as when built in one pass
        self.service_account_automount.extend(later.service_account_automount);
        for (role, used) in later.cluster_role_use {
            let mine = self.cluster_role_use.entry(role).or_default();
            mine.cluster_binding |= used.cluster_binding;
            mine.namespace_binding |= used.namespace_binding;
        }
        self.key_secrets.extend(later.key_secrets);
        for (key, envs) in later.key_environments {
            self.key_environments.entry(key).or_default().extend(envs);
        }
        for (storage, envs) in later.storage_environments {
            self.storage_environments.entry(storage).or_default().extend(envs);
        }
        self.defined_secrets.extend(later.defined_secrets);
        for (secret, users) in later.secret_users {
            self.secret_users.entry(secret).or_default().extend(users);
        }
        self.has_objects |= later.has_objects;
        self.profile_rate_limit |= later.profile_rate_limit;
        for (ns, labels) in later.pod_security.labelled {
            self.pod_security.labelled.entry(ns).or_insert(labels);
        }
    }

    fn bind_subjects(&mut self, subjects: &[k8s_openapi::api::rbac::v1::Subject], binding_ns: &str) {
        for s in subjects.iter().filter(|s| s.kind == "ServiceAccount") {
            let ns = s.namespace.clone().unwrap_or_else(|| binding_ns.to_string());
            self.bound_service_accounts.insert((ns, s.name.clone()));
        }
    }

    /// Egress policies of `namespace` that select a pod with `labels`.
    pub fn egress_for<'a>(
        &'a self,
        namespace: &str,
        labels: &'a BTreeMap<String, String>,
    ) -> impl Iterator<Item = &'a EgressPolicy> + 'a {
        self.egress
            .get(namespace)
            .into_iter()
            .flatten()
            .filter(move |p| selector::matches(&p.selector, labels))
    }

    /// The namespace has some NetworkPolicy that restricts egress.
    pub fn has_egress_policy(&self, namespace: &str) -> bool {
        self.egress.get(namespace).is_some_and(|v| !v.is_empty())
    }

    pub fn is_key_secret(&self, namespace: &str, name: &str) -> bool {
        detect::is_key_name(name) || self.key_secrets.contains(&(namespace.to_string(), name.to_string()))
    }
}

/// Whether a manifest file's text may hold a document that adds to what a document's own
/// facts read of the index (egress policies, service accounts and their bindings, secrets
/// holding keys, inventories, security profiles, Pod Security labels). A document can only
/// name its kind and fields by writing them, so a file without these words adds nothing;
/// a backslash may escape a letter of one in a quoted scalar (`"Net\u0077orkPolicy"`),
/// so a file with one is always read.
pub fn may_contribute(text: &str) -> bool {
    text.contains('\\')
        || (word(text, "NetworkPolicy") && text.contains("gress"))
        || text.contains("automountServiceAccountToken")
        || text.contains("roleRef")
        || (word(text, "Secret") && text.contains("data"))
        || text.contains("pod-security.kubernetes.io")
        || word(text, "ApiKeyInventory")
        || word(text, "SecurityProfile")
}

/// `w` occurs in `text` with no letter or digit right before or after it.
fn word(text: &str, w: &str) -> bool {
    let alnum = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    text.match_indices(w)
        .any(|(at, _)| !alnum(text[..at].chars().next_back()) && !alnum(text[at + w.len()..].chars().next()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::{discover, loader};

    #[test]
    fn words_the_filter_looks_for() {
        assert!(may_contribute("kind: NetworkPolicy\nspec:\n  policyTypes: [Egress]\n"));
        assert!(!may_contribute("kind: NetworkPolicy\nspec:\n  podSelector: {}\n"));
        assert!(may_contribute("{\"kind\":\"Secret\",\"data\":{}}"));
        // a Secret's name inside another word is not a Secret
        assert!(!may_contribute(
            "secretKeyRef: {name: x}\nkind: ExternalSecretStore\ndata: 1\n"
        ));
        // an escape may spell any kind
        assert!(may_contribute("kind: \"Net\\u0077orkPolicy\"\n"));
        assert!(may_contribute(
            "kind: ServiceAccount\nautomountServiceAccountToken: false\n"
        ));
        assert!(!may_contribute("kind: ServiceAccount\nmetadata: {name: app}\n"));
    }

    /// Every manifest of the vendored corpus the filter passes over adds nothing to what
    /// documents' own facts read of the index: the parts of a streamed run see the index
    /// of the whole run.
    #[test]
    fn files_the_filter_passes_over_add_nothing_a_document_reads() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
        let (files, _) = discover::discover(&[root], &discover::excludes(&[]).unwrap());
        let (mut passed_over, mut read) = (0, 0);
        for (i, c) in files
            .iter()
            .enumerate()
            .filter(|(_, c)| loader::is_manifest_path(&c.display))
        {
            let Ok(text) = std::fs::read_to_string(&c.path) else {
                continue;
            };
            if may_contribute(&text) {
                read += 1;
                continue;
            }
            passed_over += 1;
            let docs = loader::load_text(i, &c.display, &text, &loader::Limits::default()).docs;
            let ix = crate::facts::index_of(&docs, &crate::facts::pss::Settings::default());
            assert!(ix.egress.is_empty(), "{}", c.display);
            assert!(ix.bound_service_accounts.is_empty(), "{}", c.display);
            assert!(ix.service_account_automount.is_empty(), "{}", c.display);
            assert!(ix.cluster_role_use.is_empty(), "{}", c.display);
            assert!(ix.key_secrets.is_empty(), "{}", c.display);
            assert!(!ix.profile_rate_limit, "{}", c.display);
            assert!(ix.pod_security.labelled.is_empty(), "{}", c.display);
        }
        assert!(
            passed_over > 1000 && read > 100,
            "{passed_over} passed over, {read} read"
        );
    }
}
