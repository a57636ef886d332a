//! Evaluation: one Cedar request per entity, against the policy set of its type, in
//! parallel over one entity store built once per run.

use crate::cedar::{self, Names};
use crate::model::Resource;
use crate::policy::{RuleSet, BASELINE};
use cedar_policy::{Authorizer, Decision, Entities, Request};
use rayon::prelude::*;

/// A rule that matched an entity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub resource: usize,
    pub rule: String,
}

/// A rule that failed while evaluating an entity: Cedar skips such a forbid, so it is
/// reported instead of silently passing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvalError {
    pub resource: usize,
    pub rule: String,
    pub message: String,
}

#[derive(Debug, Default)]
pub struct Evaluation {
    pub hits: Vec<Hit>,
    pub errors: Vec<EvalError>,
}

/// Below this many entities (one admission request has a handful) rayon's hand-off to
/// other threads costs more than it saves.
pub const PARALLEL_FROM: usize = 64;

pub struct Engine<'a> {
    rules: &'a RuleSet,
    names: &'static Names,
    entities: Entities,
    context: cedar_policy::Context,
}

impl<'a> Engine<'a> {
    /// Builds the entity store. `now` is an RFC 3339 timestamp.
    pub fn new(rules: &'a RuleSet, resources: &[Resource], now: &str) -> Result<Self, String> {
        let validate = cfg!(debug_assertions) || std::env::var_os("COMPLIANCE_VALIDATE_ENTITIES").is_some();
        Self::build(rules, resources, now, validate)
    }

    /// With `validate`, every entity is checked against the schema and keeps every
    /// attribute; without, entities carry only the attributes the policies read.
    pub fn build(rules: &'a RuleSet, resources: &[Resource], now: &str, validate: bool) -> Result<Self, String> {
        let names = Names::shared()?;
        let entities = cedar::store(resources, names, &rules.schema, validate, Some(&rules.reads))?;
        Ok(Engine {
            rules,
            names,
            context: cedar::context(now)?,
            entities,
        })
    }

    fn evaluate_one(&self, authorizer: &Authorizer, i: usize, r: &Resource) -> (Vec<Hit>, Vec<EvalError>) {
        let Some(set) = self.rules.sets.get(&r.kind) else {
            return (Vec::new(), Vec::new());
        };
        let Some(uid) = self.names.uid(r.kind, &r.id) else {
            return (Vec::new(), Vec::new());
        };
        let request = match Request::new(
            self.names.principal.clone(),
            self.names.action.clone(),
            uid,
            self.context.clone(),
            None,
        ) {
            Ok(req) => req,
            Err(e) => {
                return (
                    Vec::new(),
                    vec![EvalError {
                        resource: i,
                        rule: String::new(),
                        message: e.to_string(),
                    }],
                )
            }
        };
        let response = authorizer.is_authorized(&request, set, &self.entities);
        let diagnostics = response.diagnostics();
        let mut hits: Vec<Hit> = if response.decision() == Decision::Deny {
            diagnostics
                .reason()
                .map(|p| p.to_string())
                .filter(|id| id != BASELINE)
                .map(|rule| Hit { resource: i, rule })
                .collect()
        } else {
            Vec::new()
        };
        // the reasons come from a hash set
        hits.sort_by(|a, b| a.rule.cmp(&b.rule));
        let mut errors: Vec<EvalError> = diagnostics
            .errors()
            .map(|e| {
                let cedar_policy::AuthorizationError::PolicyEvaluationError(pe) = e;
                EvalError {
                    resource: i,
                    rule: pe.policy_id().to_string(),
                    message: pe.inner().to_string(),
                }
            })
            .collect();
        errors.sort_by(|a, b| a.rule.cmp(&b.rule));
        (hits, errors)
    }

    /// Evaluates every entity, in parallel when there are enough of them to pay for
    /// handing work to other threads.
    pub fn evaluate(&self, resources: &[Resource]) -> Evaluation {
        if resources.len() < PARALLEL_FROM {
            return self.evaluate_sequential(resources);
        }
        let authorizer = Authorizer::new();
        let results: Vec<(Vec<Hit>, Vec<EvalError>)> = resources
            .par_iter()
            .enumerate()
            .map(|(i, r)| self.evaluate_one(&authorizer, i, r))
            .collect();
        Self::merge(results)
    }

    /// Evaluates every entity on the calling thread.
    pub fn evaluate_sequential(&self, resources: &[Resource]) -> Evaluation {
        let authorizer = Authorizer::new();
        let results: Vec<(Vec<Hit>, Vec<EvalError>)> = resources
            .iter()
            .enumerate()
            .map(|(i, r)| self.evaluate_one(&authorizer, i, r))
            .collect();
        Self::merge(results)
    }

    fn merge(results: Vec<(Vec<Hit>, Vec<EvalError>)>) -> Evaluation {
        let mut out = Evaluation::default();
        for (h, e) in results {
            out.hits.extend(h);
            out.errors.extend(e);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Kind;
    use crate::policy::{self, Scope};
    use crate::{discover, facts, loader};
    use chrono::TimeZone;

    fn corpus() -> Vec<Resource> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
        let (files, _) = discover::discover(&[root], &discover::excludes(&[]).unwrap());
        let mut docs = Vec::new();
        for (i, c) in files
            .iter()
            .enumerate()
            .filter(|(_, c)| loader::is_manifest_path(&c.display))
        {
            if let Ok(text) = std::fs::read_to_string(&c.path) {
                docs.extend(loader::load_text(i, &c.display, &text, &loader::Limits::default()).docs);
            }
        }
        let now = chrono::Utc.with_ymd_and_hms(2026, 11, 24, 0, 0, 0).unwrap();
        facts::build(&docs, now)
    }

    #[test]
    fn entities_with_only_the_attributes_read_decide_exactly_as_whole_ones() {
        let resources = corpus();
        assert!(resources.len() > 1000);
        let sets = [
            policy::load(&[]).unwrap(),
            policy::load(&[]).unwrap().restricted_to(Scope::Object),
        ];
        for rules in &sets {
            let reads = &rules.reads;
            let container = resources.iter().find(|r| r.kind == Kind::Container).unwrap();
            let read = container.attrs.iter().filter(|(n, _)| reads.contains(*n)).count();
            assert!(read > 0 && read < container.attrs.len(), "some attributes are left out");
            let whole = Engine::build(rules, &resources, "2026-11-24T00:00:00Z", true).unwrap();
            let pruned = Engine::build(rules, &resources, "2026-11-24T00:00:00Z", false).unwrap();
            let (a, b) = (whole.evaluate(&resources), pruned.evaluate(&resources));
            assert!(!a.hits.is_empty());
            assert_eq!(a.hits, b.hits);
            assert_eq!(a.errors, b.errors);
        }
    }
}
