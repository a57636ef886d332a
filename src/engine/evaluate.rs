//! Evaluation: one Cedar request per entity, against the policy set of its type, in
//! parallel. A small set of entities (an admission request) shares one entity store; a
//! large run is split into chunks, each with a store of its own entities and their
//! ancestors (see [`evaluate_all`]).

use crate::engine::alike;
use crate::engine::cedar::{self, Names};
use crate::engine::policy::{RuleSet, BASELINE};
use crate::facts::model::Resource;
use cedar_policy::{Authorizer, Decision, Entities, Request};
use rayon::prelude::*;
use std::collections::HashMap;

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

/// What evaluating one entity gave.
type Outcome = (Vec<Hit>, Vec<EvalError>);

pub use crate::engine::cedar::PARALLEL_FROM;

/// Entities per store when a run is split. Cedar's store costs more per entity as it grows
/// (its hierarchy pass hashes every entity several times: 6.6 µs an entity at 48k, 7.5 µs
/// at 145k) and one store is built on one thread; chunks are built in parallel and freed
/// as soon as they are evaluated.
pub const CHUNK: usize = 1024;

/// Entities are checked against the schema in debug builds (every test run) or when
/// `COMPLIANCE_VALIDATE_ENTITIES` is set.
fn validating() -> bool {
    cfg!(debug_assertions) || std::env::var_os("COMPLIANCE_VALIDATE_ENTITIES").is_some()
}

/// Every rule on every entity, as [`evaluate_all`], with a failure as the library's error.
pub fn run(rules: &RuleSet, resources: &[Resource], now: &str) -> crate::base::error::Result<Evaluation> {
    evaluate_all(rules, resources, now).map_err(|m| crate::base::error::Error::Policy {
        file: "(entities)".into(),
        message: m,
    })
}

/// Evaluates every resource. When a policy names an entity (other than the action) that
/// it could read from anywhere in the store, or for fewer than [`PARALLEL_FROM`]
/// resources, this is one [`Engine`] over them all.
/// Otherwise a request can read nothing but its resource (no attribute holds an entity,
/// and `in` can only test the resource against the principal and the action, see
/// [`cedar::Reads::of`]), so entities judged alike ([`alike`]) are judged once, and the
/// rest chunk by chunk, each chunk against a store of its own entities: every decision
/// is the one the whole store would give (a test holds the two to the same results on
/// the corpus).
pub fn evaluate_all(rules: &RuleSet, resources: &[Resource], now: &str) -> Result<Evaluation, String> {
    evaluate_chunked(rules, resources, now, validating(), CHUNK)
}

fn evaluate_chunked(
    rules: &RuleSet,
    resources: &[Resource],
    now: &str,
    validate: bool,
    chunk: usize,
) -> Result<Evaluation, String> {
    // an admission request's handful of entities: one small store, no keys to build
    if rules.reads.other_entities || resources.len() < PARALLEL_FROM {
        return Ok(Engine::build(rules, resources, now, validate)?.evaluate(resources));
    }
    // validation checks every entity's every attribute: each is built then
    let (alike, unique) = if validate {
        ((0..resources.len()).map(Some).collect(), (0..resources.len()).collect())
    } else {
        alike::representatives(&rules.reads, resources)
    };
    let mut outcomes = in_chunks(rules, resources, &unique, now, validate, chunk)?;
    // an error message may name the entity: one judged alike with an error is judged itself
    let own: Vec<usize> = (0..resources.len())
        .filter(|&i| alike[i].is_some_and(|a| a != i && outcomes.get(&a).is_some_and(|o| !o.1.is_empty())))
        .collect();
    outcomes.extend(in_chunks(rules, resources, &own, now, validate, chunk)?);
    let mut results = Vec::with_capacity(resources.len());
    for (i, first) in alike.iter().enumerate() {
        let Some(first) = first else { continue };
        match outcomes.get(&i) {
            Some(outcome) => results.push(outcome.clone()),
            None => {
                let hits = outcomes.get(first).map_or(&[][..], |o| o.0.as_slice());
                let hits = hits.iter().map(|h| Hit {
                    resource: i,
                    rule: h.rule.clone(),
                });
                results.push((hits.collect(), Vec::new()));
            }
        }
    }
    Ok(Engine::merge(results))
}

/// Evaluates the resources at `indexes`, chunk by chunk, each chunk against a store of
/// its own entities.
fn in_chunks(
    rules: &RuleSet,
    resources: &[Resource],
    indexes: &[usize],
    now: &str,
    validate: bool,
    chunk: usize,
) -> Result<HashMap<usize, Outcome>, String> {
    if indexes.is_empty() {
        return Ok(HashMap::new());
    }
    let names = Names::shared()?;
    let context = cedar::context(now)?;
    let judge = |part: &[usize]| -> Result<Vec<(usize, Outcome)>, String> {
        let members: Vec<&Resource> = part.iter().map(|&i| &resources[i]).collect();
        let engine = Engine {
            rules,
            names,
            entities: cedar::store(&members, names, &rules.schema, validate, Some(&rules.reads))?,
            context: context.clone(),
        };
        let authorizer = Authorizer::new();
        let one = |&i: &usize| (i, engine.evaluate_one(&authorizer, i, &resources[i]));
        Ok(if part.len() < PARALLEL_FROM {
            part.iter().map(one).collect()
        } else {
            part.par_iter().map(one).collect()
        })
    };
    // an admission request's handful of entities is judged on the calling thread
    let parts: Vec<Result<Vec<(usize, Outcome)>, String>> = if indexes.len() <= chunk {
        vec![judge(indexes)]
    } else {
        indexes.par_chunks(chunk).map(judge).collect()
    };
    let mut out = HashMap::with_capacity(indexes.len());
    for part in parts {
        out.extend(part?);
    }
    Ok(out)
}

pub struct Engine<'a> {
    rules: &'a RuleSet,
    names: &'static Names,
    entities: Entities,
    context: cedar_policy::Context,
}

impl<'a> Engine<'a> {
    /// Builds the entity store. `now` is an RFC 3339 timestamp.
    pub fn new(rules: &'a RuleSet, resources: &[Resource], now: &str) -> Result<Self, String> {
        Self::build(rules, resources, now, validating())
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

    fn evaluate_one(&self, authorizer: &Authorizer, i: usize, r: &Resource) -> Outcome {
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
        let results: Vec<Outcome> = resources
            .par_iter()
            .enumerate()
            .map(|(i, r)| self.evaluate_one(&authorizer, i, r))
            .collect();
        Self::merge(results)
    }

    /// Evaluates every entity on the calling thread.
    pub fn evaluate_sequential(&self, resources: &[Resource]) -> Evaluation {
        let authorizer = Authorizer::new();
        let results: Vec<Outcome> = resources
            .iter()
            .enumerate()
            .map(|(i, r)| self.evaluate_one(&authorizer, i, r))
            .collect();
        Self::merge(results)
    }

    fn merge(results: Vec<Outcome>) -> Evaluation {
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
    use crate::engine::policy::{self, Scope};
    use crate::facts::model::Kind;
    use crate::{facts, input::discover, input::loader};
    use chrono::TimeZone;

    fn corpus() -> Vec<Resource> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
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
            let kept = reads.of(Kind::Container).unwrap();
            let read = container.attrs.iter().filter(|(n, _)| kept.contains(*n)).count();
            assert!(read > 0 && read < container.attrs.len(), "some attributes are left out");
            // entities no policy judges are left out of the store
            let unjudged = resources.iter().filter(|r| reads.of(r.kind).is_none()).count();
            assert!(unjudged > 0, "some entities are left out");
            let whole = Engine::build(rules, &resources, "2026-11-24T00:00:00Z", true).unwrap();
            let pruned = Engine::build(rules, &resources, "2026-11-24T00:00:00Z", false).unwrap();
            let (a, b) = (whole.evaluate(&resources), pruned.evaluate(&resources));
            assert!(!a.hits.is_empty());
            assert_eq!(a.hits, b.hits);
            assert_eq!(a.errors, b.errors);
        }
    }

    #[test]
    fn chunked_stores_decide_exactly_as_one_whole_store() {
        let resources = corpus();
        let rules = policy::load(&[]).unwrap();
        assert!(!rules.reads.other_entities);
        let now = "2026-11-24T00:00:00Z";
        // every entity with every attribute, validated, in one store
        let whole = Engine::build(&rules, &resources, now, true)
            .unwrap()
            .evaluate(&resources);
        // small pruned chunks, so that many a workload and its containers fall in different ones
        let chunked = evaluate_chunked(&rules, &resources, now, false, 97).unwrap();
        assert!(whole.hits.len() > 1000);
        assert_eq!(whole.hits, chunked.hits);
        assert_eq!(whole.errors, chunked.errors);
    }

    #[test]
    fn a_policy_naming_an_entity_decides_as_with_the_whole_store() {
        let extra = [(
            "ns.cedar".to_string(),
            r#"@id("CUSTOM-NS")
@severity("low")
@title("t")
@remediation("r")
forbid (principal, action == Action::"check", resource is Container)
when { resource in Namespace::"default" };"#
                .to_string(),
        )];
        let rules = policy::load(&extra).unwrap();
        assert!(rules.reads.other_entities);
        let resources = corpus();
        let out = evaluate_chunked(&rules, &resources, "2026-11-24T00:00:00Z", false, 97).unwrap();
        let custom = out.hits.iter().filter(|h| h.rule == "CUSTOM-NS").count();
        let containers_in_default = resources
            .iter()
            .filter(|r| r.kind == Kind::Container)
            .filter(|r| {
                let wl = &r.parents[0];
                let w = resources.iter().find(|w| (w.kind, &w.id) == (wl.0, &wl.1)).unwrap();
                w.parents.contains(&(Kind::Namespace, "default".to_string()))
            })
            .count();
        assert!(custom > 0);
        assert_eq!(custom, containers_in_default);
    }
}
