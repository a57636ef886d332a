//! The Kubernetes objects a check read, each with the rules that judged it: what a
//! PolicyReport needs for its `pass` results (a rule that judged an object and found
//! nothing there), and the object each finding belongs to.

use crate::base::finding::Finding;
use crate::engine::policy::{Rule, RuleSet};
use crate::facts::model::Resource;
use crate::findings::waiver::{ObjectKey, Objects};
use serde::Serialize;
use std::collections::HashMap;

/// A Kubernetes object the check read, as a result's resource reference, with the rules
/// that judged one of its entities (rule ids, sorted).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Subject {
    pub api_version: String,
    pub kind: String,
    pub name: String,
    /// `None` for a cluster-scoped object; the effective namespace (`default` when the
    /// manifest names none) otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(skip)]
    pub judged: Vec<String>,
}

/// One [`Subject`] per object of `objects` (`api_versions[i]` is the `apiVersion` of
/// `objects[i]`), with the rules that judged it, and the object of each finding set in
/// [`Finding::object`].
pub fn subjects(
    rules: &RuleSet,
    resources: &[Resource],
    objects: &[ObjectKey],
    api_versions: Vec<String>,
    placed: &mut [(Finding, usize)],
) -> Vec<Subject> {
    let index = Objects::new(objects);
    // which rules can judge an entity of each kind (a rule without `resource is T` judges all)
    let list: Vec<&Rule> = rules.rules.values().collect();
    let mut by_kind: HashMap<crate::facts::model::Kind, Vec<u32>> = HashMap::new();
    let mut any: Vec<u32> = Vec::new();
    for (i, rule) in list.iter().enumerate() {
        match rule.applies_to {
            Some(k) => by_kind.entry(k).or_default().push(i as u32),
            None => any.push(i as u32),
        }
    }
    let mut judged: Vec<Vec<u32>> = vec![Vec::new(); objects.len()];
    for r in resources {
        let candidates = by_kind.get(&r.kind).map_or(&[][..], Vec::as_slice);
        if candidates.is_empty() && any.is_empty() {
            continue;
        }
        let Some(object) = index.of(r) else { continue };
        for &i in candidates.iter().chain(&any) {
            if crate::findings::checklist::evidences(list[i as usize], r) {
                judged[object].push(i);
            }
        }
    }
    for (f, r) in placed.iter_mut() {
        f.object = resources.get(*r).and_then(|r| index.of(r));
    }
    objects
        .iter()
        .zip(api_versions)
        .zip(judged)
        .map(|((o, api_version), mut rules)| {
            rules.sort_unstable();
            rules.dedup();
            Subject {
                api_version,
                kind: o.kind.clone(),
                name: o.name.clone(),
                namespace: o.namespace.clone(),
                judged: rules.into_iter().map(|i| list[i as usize].id.clone()).collect(),
            }
        })
        .collect()
}
