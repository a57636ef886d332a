//! The rule set: Cedar policies with their annotations, built-in ones embedded in the
//! binary, validated strictly against the schema, re-keyed by `@id`, and partitioned by
//! the entity type they apply to (every policy in a set is evaluated on every request,
//! so a Container is never judged by ApiKey rules).

pub use crate::base::error::PolicyDiagnostic;
use crate::base::finding::Severity;
use crate::base::source::pos_at;
use crate::facts::model::Kind;
use cedar_policy::{Effect, Policy, PolicyId, PolicySet, ResourceConstraint, Schema, ValidationMode, Validator};
use miette::Diagnostic;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// Built-in policy files, in load order.
pub const BUILTIN: &[(&str, &str)] = &[
    ("policies/baseline.cedar", include_str!("../../policies/baseline.cedar")),
    ("policies/secrets.cedar", include_str!("../../policies/secrets.cedar")),
    ("policies/keys.cedar", include_str!("../../policies/keys.cedar")),
    ("policies/rotation.cedar", include_str!("../../policies/rotation.cedar")),
    (
        "policies/workloads.cedar",
        include_str!("../../policies/workloads.cedar"),
    ),
    ("policies/rbac.cedar", include_str!("../../policies/rbac.cedar")),
    (
        "policies/pod-security.cedar",
        include_str!("../../policies/pod-security.cedar"),
    ),
    (
        "policies/tls-network.cedar",
        include_str!("../../policies/tls-network.cedar"),
    ),
    (
        "policies/retention.cedar",
        include_str!("../../policies/retention.cedar"),
    ),
    ("policies/profile.cedar", include_str!("../../policies/profile.cedar")),
    ("policies/source.cedar", include_str!("../../policies/source.cedar")),
    ("policies/gateway.cedar", include_str!("../../policies/gateway.cedar")),
    ("policies/drift.cedar", include_str!("../../policies/drift.cedar")),
];

pub const BASELINE: &str = "baseline";

/// A rule: one forbid policy and its metadata.
#[derive(Debug, Clone)]
pub struct Rule {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    pub category: String,
    pub checklist: Vec<String>,
    pub remediation: String,
    /// Finding message with `{attribute}` placeholders.
    pub message: Option<String>,
    /// The fact whose field a finding points at.
    pub field: Option<String>,
    /// A Bool fact that makes an examined entity count as evidence for the rule's
    /// checklist controls (a feature-flag ConfigMap is no evidence of HTTPS).
    pub evidence: Option<String>,
    /// `@profile`: the Pod Security Standards level a `PSS-*` rule belongs to
    /// (`baseline` or `restricted`); findings below the enforced level are one severity lower.
    pub profile: Option<String>,
    /// `resource is T` in the scope; `None` applies to every type.
    pub applies_to: Option<Kind>,
    /// `@scope`: what the rule needs to see. The admission webhook evaluates only
    /// [`Scope::Object`] rules.
    pub scope: Scope,
    /// `built-in` or the policy file's path.
    pub source: String,
    pub file: String,
    pub line: u32,
    pub text: String,
}

/// What a rule needs to judge an object: `@scope("object")` for rules that read only the
/// object itself (a privileged container, a key literal in an env var); `@scope("documents")`,
/// the default, for rules that need other documents (a NetworkPolicy, a ServiceAccount, an
/// inventory) or that judge what a repository commits. Unmarked rules default to
/// `documents` so that a custom rule is never evaluated on a lone object by mistake: seen
/// alone, "no NetworkPolicy selects this workload" would deny every workload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    Object,
    Documents,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Object => "object",
            Scope::Documents => "documents",
        }
    }
}

pub struct RuleSet {
    pub rules: BTreeMap<String, Rule>,
    pub sets: HashMap<Kind, PolicySet>,
    pub schema: Schema,
    /// SHA-256 of the effective policy set: the Cedar schema and every policy that takes
    /// part (by id, in id order, as Cedar prints it), so that an auditor can tell which
    /// rules a report was made with.
    pub digest: String,
    /// Rules the configuration disabled (`rules.disable`): not evaluated, listed in the
    /// audit trail, and no checklist control they evidence can pass.
    pub disabled: Vec<Rule>,
    /// Severities the configuration changed (`rules.severity`), already applied to `rules`.
    pub overrides: Vec<SeverityOverride>,
    /// What the policies read of the entity store (see [`reads`]).
    pub reads: Reads,
}

pub use crate::engine::cedar::Reads;

/// What the policies may read. Attributes: every identifier-like word of their
/// conditions, in or out of string literals (`x.attr`, `x has attr`, `x["attr"]`, `has "attr"`
/// all write the name). That over-counts, which only keeps an attribute Cedar will not
/// look at. Per entity type, the words of the policies that judge it: a request reads
/// only its resource's attributes, unless a policy names another entity
/// (`other_entities`), and then every entity keeps the union.
pub fn reads(sets: &HashMap<Kind, PolicySet>) -> Reads {
    let mut reads = Reads::default();
    let action = crate::engine::cedar::Names::shared().ok().map(|n| &n.action);
    for (kind, set) in sets {
        let words = reads.by_kind.entry(*kind).or_default();
        for p in set.policies() {
            words.extend(words_of(&condition_text(p)));
            reads.other_entities |= p.entity_literals().iter().any(|e| Some(e) != action);
        }
        reads.attributes.extend(words.iter().cloned());
    }
    reads
}

/// A policy's text without its annotations (a `@message` names attributes for our
/// messages, not for Cedar): its JSON form with the annotations taken out.
fn condition_text(p: &Policy) -> String {
    match p.to_json() {
        Ok(serde_json::Value::Object(mut json)) => {
            json.remove("annotations");
            serde_json::Value::Object(json).to_string()
        }
        _ => p.to_string(),
    }
}

/// The identifier-like words of a policy's text.
fn words_of(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .map(str::to_string)
}

/// A rule whose severity the configuration changed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SeverityOverride {
    pub rule: String,
    pub title: String,
    pub from: Severity,
    pub to: Severity,
}

impl RuleSet {
    /// The same rules, restricted to one scope: the webhook serves only `object` rules, so
    /// it should not pay for evaluating the others. Entity types left with no rule drop out
    /// of `sets` and are not evaluated at all. The digest stays that of the loaded set.
    pub fn restricted_to(self, scope: Scope) -> RuleSet {
        let rules: BTreeMap<String, Rule> = self.rules.into_iter().filter(|(_, r)| r.scope == scope).collect();
        let sets = retain_policies(self.sets, &rules);
        RuleSet {
            rules,
            reads: reads(&sets),
            sets,
            schema: self.schema,
            digest: self.digest,
            disabled: self.disabled,
            overrides: self.overrides,
        }
    }

    /// The same rules without `ids` (the configuration's `rules.disable`): they are moved
    /// to `disabled`, and the digest becomes that of the policies that still take part.
    /// Ids that are not rules are ignored (the caller reports them).
    pub fn without(self, ids: &std::collections::BTreeSet<String>) -> RuleSet {
        let (disabled, rules): (BTreeMap<String, Rule>, BTreeMap<String, Rule>) =
            self.rules.into_iter().partition(|(id, _)| ids.contains(id));
        if disabled.is_empty() {
            return RuleSet {
                rules,
                sets: self.sets,
                schema: self.schema,
                digest: self.digest,
                disabled: self.disabled,
                overrides: self.overrides,
                reads: self.reads,
            };
        }
        let sets = retain_policies(self.sets, &rules);
        let mut kept: BTreeMap<String, Policy> = BTreeMap::new();
        for set in sets.values() {
            for p in set.policies() {
                kept.entry(p.id().to_string()).or_insert_with(|| p.clone());
            }
        }
        let mut all_disabled = self.disabled;
        all_disabled.extend(disabled.into_values());
        RuleSet {
            rules,
            reads: reads(&sets),
            sets,
            schema: self.schema,
            digest: digest_of(crate::engine::cedar::SCHEMA_TEXT, kept.iter()),
            disabled: all_disabled,
            overrides: self.overrides,
        }
    }
}

/// The policy sets with only the baseline and the policies of `rules`; entity types left
/// with no rule drop out (they are not evaluated at all).
fn retain_policies(sets: HashMap<Kind, PolicySet>, rules: &BTreeMap<String, Rule>) -> HashMap<Kind, PolicySet> {
    let mut out = HashMap::new();
    for (kind, set) in sets {
        let mut kept = PolicySet::new();
        let mut any = false;
        for p in set.policies() {
            let id = p.id().to_string();
            let keep = id == BASELINE || rules.contains_key(&id);
            any |= keep && id != BASELINE;
            if keep && kept.add(p.clone()).is_err() {
                // ids are unique in the loaded set, so this cannot clash; keep all if it does
                any = true;
            }
        }
        if any {
            out.insert(kind, kept);
        }
    }
    out
}

/// `policies` in id order.
fn digest_of<'p>(schema_text: &str, policies: impl Iterator<Item = (&'p String, &'p Policy)>) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(schema_text.as_bytes());
    for (id, p) in policies {
        h.update([0u8]);
        h.update(id.as_bytes());
        h.update([0u8]);
        h.update(p.to_string().as_bytes());
    }
    crate::base::digest::hex(&h.finalize())
}

struct Source {
    name: String,
    text: String,
    builtin: bool,
}

fn diag_at(file: &str, text: &str, offset: usize, message: String) -> PolicyDiagnostic {
    let p = pos_at(text, offset);
    PolicyDiagnostic {
        file: file.to_string(),
        line: p.line,
        column: p.column,
        message,
    }
}

fn diagnostic_of(file: &str, text: &str, d: &dyn Diagnostic) -> PolicyDiagnostic {
    let offset = d.labels().and_then(|mut l| l.next()).map_or(0, |l| l.offset());
    let mut message = d.to_string();
    if let Some(help) = d.help() {
        message.push_str(&format!(" (help: {help})"));
    }
    diag_at(file, text, offset, message)
}

/// Reads the `.cedar` files of a folder, sorted by name.
pub fn read_dir(dir: &Path) -> Result<Vec<(String, String)>, PolicyDiagnostic> {
    let io = |e: std::io::Error| PolicyDiagnostic {
        file: dir.display().to_string(),
        line: 0,
        column: 0,
        message: format!("cannot read the policy folder: {e}"),
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(io)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "cedar"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).map_err(|e| PolicyDiagnostic {
                file: p.display().to_string(),
                line: 0,
                column: 0,
                message: format!("cannot read: {e}"),
            })?;
            Ok((p.display().to_string(), text))
        })
        .collect()
}

/// Loads the built-in rules plus `extra` policy files (name, text). A custom rule whose
/// `@id` is a built-in's replaces it.
pub fn load(extra: &[(String, String)]) -> Result<RuleSet, Vec<PolicyDiagnostic>> {
    let schema = crate::engine::cedar::schema().map_err(|m| {
        vec![PolicyDiagnostic {
            file: "schemas/compliance.cedarschema".into(),
            line: 0,
            column: 0,
            message: m,
        }]
    })?;
    let sources: Vec<Source> = BUILTIN
        .iter()
        .map(|(n, t)| Source {
            name: (*n).to_string(),
            text: (*t).to_string(),
            builtin: true,
        })
        .chain(extra.iter().map(|(n, t)| Source {
            name: n.clone(),
            text: t.clone(),
            builtin: false,
        }))
        .collect();

    let mut diags = Vec::new();
    let mut policies: BTreeMap<String, (Policy, usize)> = BTreeMap::new();
    let mut rules: BTreeMap<String, Rule> = BTreeMap::new();
    for (si, src) in sources.iter().enumerate() {
        let set = match PolicySet::from_str(&src.text) {
            Ok(s) => s,
            Err(e) => {
                diags.push(diagnostic_of(&src.name, &src.text, &e));
                continue;
            }
        };
        if set.templates().next().is_some() {
            diags.push(diag_at(
                &src.name,
                &src.text,
                0,
                "policy templates (with `?principal` / `?resource` slots) are not supported".into(),
            ));
        }
        let mut in_file: Vec<&Policy> = set.policies().collect();
        // `from_str` names policies policy0, policy1, ... in file order
        in_file.sort_by_key(|p| {
            p.id()
                .to_string()
                .trim_start_matches("policy")
                .parse::<usize>()
                .unwrap_or(usize::MAX)
        });
        let mut search_from = 0;
        for p in in_file {
            let offset = p
                .annotation("id")
                .and_then(|id| src.text[search_from..].find(&format!("\"{id}\"")))
                .map_or(search_from, |i| search_from + i);
            // the next policy's id is searched for after this one
            search_from = (offset + 1).min(src.text.len());
            let at = |m: String| diag_at(&src.name, &src.text, offset, m);
            let Some(id) = p.annotation("id").map(str::to_string) else {
                diags.push(at(
                    "policy has no `@id(\"...\")` annotation: every rule needs a stable id".into(),
                ));
                continue;
            };
            if let Some((_, prev)) = policies.get(&id) {
                let prev = &sources[*prev];
                // a custom file may replace a built-in rule; anything else is a clash
                if !prev.builtin || src.builtin {
                    diags.push(at(format!("duplicate rule id `{id}` (also in `{}`)", prev.name)));
                    continue;
                }
            }
            if p.effect() == Effect::Forbid {
                match rule_of(p, &id, src, offset) {
                    Ok(r) => {
                        rules.insert(id.clone(), r);
                    }
                    Err(m) => {
                        diags.push(at(m));
                        continue;
                    }
                }
            } else {
                rules.remove(&id);
            }
            policies.insert(id.clone(), (p.new_id(PolicyId::new(&id)), si));
        }
    }
    if !policies.contains_key(BASELINE) {
        diags.push(PolicyDiagnostic {
            file: "policies/baseline.cedar".into(),
            line: 1,
            column: 1,
            message: "the baseline `permit` (`@id(\"baseline\")`) is missing".into(),
        });
    }

    let mut all = PolicySet::new();
    for (p, _) in policies.values() {
        if let Err(e) = all.add(p.clone()) {
            diags.push(PolicyDiagnostic {
                file: String::new(),
                line: 0,
                column: 0,
                message: e.to_string(),
            });
        }
    }
    let result = Validator::new(schema.clone()).validate(&all, ValidationMode::Strict);
    for e in result.validation_errors() {
        let id = e.policy_id().to_string();
        let (file, text) = policies.get(&id).map_or(("", ""), |(_, si)| {
            (sources[*si].name.as_str(), sources[*si].text.as_str())
        });
        diags.push(diagnostic_of(file, text, e));
    }
    if !diags.is_empty() {
        return Err(diags);
    }

    // an entity type that only the baseline judges is not evaluated at all: nothing can deny it
    let mut sets: HashMap<Kind, PolicySet> = HashMap::new();
    for kind in Kind::ALL {
        let mut set = PolicySet::new();
        let mut judged = false;
        for (id, (p, _)) in &policies {
            let applies = id == BASELINE || rules.get(id).is_none_or(|r| r.applies_to.is_none_or(|k| k == kind));
            judged |= applies && id != BASELINE;
            if applies {
                set.add(p.clone()).map_err(|e| {
                    vec![PolicyDiagnostic {
                        file: String::new(),
                        line: 0,
                        column: 0,
                        message: e.to_string(),
                    }]
                })?;
            }
        }
        if judged {
            sets.insert(kind, set);
        }
    }
    let digest = digest_of(
        crate::engine::cedar::SCHEMA_TEXT,
        policies.iter().map(|(id, (p, _))| (id, p)),
    );
    Ok(RuleSet {
        rules,
        reads: reads(&sets),
        sets,
        schema,
        digest,
        disabled: Vec::new(),
        overrides: Vec::new(),
    })
}

fn rule_of(p: &Policy, id: &str, src: &Source, offset: usize) -> Result<Rule, String> {
    let need = |k: &str| {
        p.annotation(k)
            .map(str::to_string)
            .filter(|v| !v.trim().is_empty())
            .ok_or_else(|| format!("rule `{id}` has no `@{k}(\"...\")` annotation"))
    };
    let severity_text = need("severity")?;
    let severity = Severity::parse(&severity_text).ok_or_else(|| {
        format!("rule `{id}` has `@severity(\"{severity_text}\")`: expected one of critical, high, medium, low, info")
    })?;
    let applies_to = match p.resource_constraint() {
        ResourceConstraint::Is(t) | ResourceConstraint::IsIn(t, _) => Kind::from_name(&t.to_string()),
        _ => None,
    };
    let scope = match p.annotation("scope") {
        None | Some("documents") => Scope::Documents,
        Some("object") => Scope::Object,
        Some(other) => {
            return Err(format!(
                "rule `{id}` has `@scope(\"{other}\")`: expected `object` or `documents`"
            ))
        }
    };
    let line = pos_at(&src.text, offset).line;
    Ok(Rule {
        id: id.to_string(),
        title: need("title")?,
        severity,
        category: p.annotation("category").unwrap_or("custom").to_string(),
        checklist: p
            .annotation("checklist")
            .unwrap_or("")
            .split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect(),
        remediation: need("remediation")?,
        message: p.annotation("message").map(str::to_string),
        field: p.annotation("field").map(str::to_string),
        evidence: p.annotation("evidence").map(str::to_string),
        profile: p.annotation("profile").map(str::to_string),
        applies_to,
        scope,
        source: if src.builtin {
            "built-in".into()
        } else {
            src.name.clone()
        },
        file: src.name.clone(),
        line,
        text: p.to_string(),
    })
}

/// Loads the built-in rules and those of `dirs`.
pub fn load_rules(dirs: &[std::path::PathBuf]) -> crate::base::error::Result<RuleSet> {
    let mut clock = crate::base::timings::Timings::new();
    let mut extra = Vec::new();
    for d in dirs {
        extra.extend(read_dir(d).map_err(|e| crate::base::error::Error::Policies(vec![e]))?);
    }
    let rules = load(&extra).map_err(crate::base::error::Error::Policies);
    clock.lap("rules");
    rules
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_rules_validate_and_are_well_annotated() {
        let set = load(&[]).unwrap();
        assert!(set.rules.len() >= 40);
        let controls: Vec<&str> = crate::findings::checklist::CONTROLS.iter().map(|c| c.0).collect();
        for r in set.rules.values() {
            assert!(
                r.applies_to.is_some(),
                "{}: scope every rule with `resource is T`",
                r.id
            );
            for c in &r.checklist {
                assert!(controls.contains(&c.as_str()), "{}: unknown control {c}", r.id);
            }
            assert!(
                [
                    "secrets",
                    "least-privilege",
                    "rotation",
                    "tls-network",
                    "retention",
                    "backend-hygiene",
                    "authentication",
                    "monitoring",
                    "pod-security"
                ]
                .contains(&r.category.as_str()),
                "{}: {}",
                r.id,
                r.category
            );
            assert!(r.message.is_some(), "{} has no @message", r.id);
        }
    }

    #[test]
    fn custom_rules_override_built_ins_by_id() {
        let custom = "@id(\"K8S-004\")\n@title(\"Writable root filesystem (strict)\")\n@severity(\"high\")\n@remediation(\"r\")\nforbid (principal, action, resource is Container) when { !resource.readOnlyRootFilesystem };\n";
        let set = load(&[("custom.cedar".into(), custom.into())]).unwrap();
        let r = &set.rules["K8S-004"];
        assert_eq!(r.severity, Severity::High);
        assert_eq!(r.source, "custom.cedar");
    }

    #[test]
    fn missing_annotations_and_duplicates_are_diagnosed_with_lines() {
        let text = "@id(\"A-1\")\n@severity(\"high\")\n@remediation(\"r\")\nforbid (principal, action, resource is Container) when { resource.privileged };\n\n@id(\"A-1\")\n@title(\"t\")\n@severity(\"urgent\")\n@remediation(\"r\")\nforbid (principal, action, resource is Container) when { resource.privileged };\n";
        let Err(diags) = load(&[("c.cedar".into(), text.into())]) else {
            panic!("expected diagnostics")
        };
        let messages: Vec<String> = diags.iter().map(ToString::to_string).collect();
        assert!(
            messages
                .iter()
                .any(|m| m.starts_with("c.cedar:1:") && m.contains("`@title")),
            "{messages:?}"
        );
        assert!(messages.iter().any(|m| m.starts_with("c.cedar:6:")), "{messages:?}");
    }

    #[test]
    fn type_errors_are_located() {
        let text = "@id(\"A-2\")\n@title(\"t\")\n@severity(\"low\")\n@remediation(\"r\")\nforbid (principal, action, resource is Container)\nwhen { resource.name > 3 };\n";
        let Err(diags) = load(&[("t.cedar".into(), text.into())]) else {
            panic!("expected a type error")
        };
        assert!(diags.iter().any(|d| d.file == "t.cedar" && d.line == 6), "{diags:?}");
    }
}

#[cfg(test)]
mod scope_tests {
    use super::*;

    #[test]
    fn restriction_keeps_only_the_scope_and_drops_idle_types() {
        let all = load(&[]).unwrap();
        let total = all.rules.len();
        let object = all.restricted_to(Scope::Object);
        assert!(!object.rules.is_empty() && object.rules.len() < total);
        assert!(object.rules.values().all(|r| r.scope == Scope::Object));
        assert!(object.sets.contains_key(&Kind::Container));
        assert!(
            !object.sets.contains_key(&Kind::ApiKey),
            "no object-scoped rule judges keys"
        );
        let container = &object.sets[&Kind::Container];
        assert!(container
            .policies()
            .all(|p| p.id().to_string() == BASELINE || object.rules.contains_key(&p.id().to_string())));
    }
}
