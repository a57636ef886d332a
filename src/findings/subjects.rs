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

/// Which rules judged which object, gathered part by part ([`Judging::judge`]).
pub struct Judging<'r> {
    list: Vec<&'r Rule>,
    /// Which rules can judge an entity of each kind (a rule without `resource is T` judges all).
    by_kind: HashMap<crate::facts::model::Kind, Vec<u32>>,
    any: Vec<u32>,
    /// Object index -> indexes into `list`.
    judged: Vec<Vec<u32>>,
}

impl<'r> Judging<'r> {
    pub fn new(rules: &'r RuleSet) -> Self {
        let list: Vec<&Rule> = rules.rules.values().collect();
        let mut by_kind: HashMap<crate::facts::model::Kind, Vec<u32>> = HashMap::new();
        let mut any: Vec<u32> = Vec::new();
        for (i, rule) in list.iter().enumerate() {
            match rule.applies_to {
                Some(k) => by_kind.entry(k).or_default().push(i as u32),
                None => any.push(i as u32),
            }
        }
        Judging {
            list,
            by_kind,
            any,
            judged: Vec::new(),
        }
    }

    /// Records the rules that judged each object of `resources`, and sets the object of
    /// each finding of `placed` ([`Finding::object`]). `objects` holds the run's objects
    /// from index `first` on.
    pub fn judge(&mut self, resources: &[Resource], objects: &Objects, first: usize, placed: &mut [(Finding, usize)]) {
        for r in resources {
            let candidates = self.by_kind.get(&r.kind).map_or(&[][..], Vec::as_slice);
            if candidates.is_empty() && self.any.is_empty() {
                continue;
            }
            let Some(object) = objects.of(r).map(|o| o + first) else {
                continue;
            };
            if self.judged.len() <= object {
                self.judged.resize_with(object + 1, Vec::new);
            }
            for &i in candidates.iter().chain(&self.any) {
                if crate::findings::checklist::evidences(self.list[i as usize], r) {
                    self.judged[object].push(i);
                }
            }
        }
        for (f, r) in placed.iter_mut() {
            f.object = resources.get(*r).and_then(|r| objects.of(r)).map(|o| o + first);
        }
    }

    /// One [`Subject`] per object of `objects` (`api_versions[i]` is the `apiVersion` of
    /// `objects[i]`), with the rules that judged it.
    pub fn subjects(mut self, objects: &[ObjectKey], api_versions: Vec<String>) -> Vec<Subject> {
        self.judged.resize_with(objects.len(), Vec::new);
        let list = self.list;
        objects
            .iter()
            .zip(api_versions)
            .zip(self.judged)
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
}
