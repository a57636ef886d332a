//! One review in bounded memory: the object's documents are freed once their entities are
//! built, every violation is counted, but findings (a dozen owned strings each) are built
//! only for the few a denial lists. A 3 MiB object can break a rule 30,000 times; building
//! all of those findings took more memory than the object itself.

use crate::base::finding::{Finding, InputError};
use crate::check;
use crate::engine::evaluate::Evaluation;
use crate::engine::policy::{RuleSet, Scope};
use crate::input::loader::Document;
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

/// The JSON values (objects, arrays, strings, numbers, ...) an object may hold to be judged.
/// Each can become an entity (an env var, an argument, a label) of about 1.4 KB, with the
/// parsed and typed forms of the object on top: 35,000 values keep the worst review (one
/// entity per value: container arguments) near 100 MB over the server's resting size.
/// Real objects hold hundreds; a 3 MiB Deployment of 100,000 env vars took 290 MB to judge.
pub const MAX_OBJECT_VALUES: usize = 35_000;

/// The values in `v`, counted up to just past `limit`.
pub fn count_values(v: &serde_json::Value, limit: usize) -> usize {
    use serde_json::Value;
    let mut stack = vec![v];
    let mut n = 0;
    while let Some(v) = stack.pop() {
        n += 1;
        if n > limit {
            break;
        }
        match v {
            Value::Array(a) => stack.extend(a.iter()),
            Value::Object(m) => stack.extend(m.values()),
            _ => {}
        }
    }
    n
}

/// What judging one object gave.
#[derive(Debug, Default)]
pub struct Judged {
    /// At most `listed` findings, the most severe first (then by rule and field path).
    pub shown: Vec<Finding>,
    /// Violations of object-scoped rules, all of them.
    pub total: usize,
    /// The same, by rule id.
    pub by_rule: BTreeMap<String, usize>,
    /// Rules that could not be evaluated (at most `listed`).
    pub errors: Vec<InputError>,
}

/// Judges `docs` (one object) with the object-scoped rules of `rules`. Only the first
/// `listed` hits of each rule, in the object's order, become findings; of those the
/// `listed` most severe are kept, so that the rules shown are those a full sort would show.
pub fn judge(
    rules: &RuleSet,
    docs: Vec<Document>,
    name: &str,
    now: DateTime<Utc>,
    listed: usize,
    pod_security: &crate::facts::pss::Settings,
) -> Result<Judged, String> {
    let mut by_rule: BTreeMap<String, usize> = BTreeMap::new();
    let select = |rules: &RuleSet, eval: &mut Evaluation| {
        let object_scoped = |id: &str| rules.rules.get(id).is_some_and(|r| r.scope == Scope::Object);
        let hits = std::mem::take(&mut eval.hits);
        for h in hits {
            if !object_scoped(&h.rule) {
                continue;
            }
            let n = by_rule.entry(h.rule.clone()).or_default();
            *n += 1;
            if *n <= listed {
                eval.hits.push(h);
            }
        }
        eval.errors.truncate(listed);
    };
    let (mut shown, errors) = check::evaluate_selected(
        rules,
        docs,
        std::slice::from_ref(&name.to_string()),
        now,
        pod_security,
        select,
    )
    .map_err(|e| e.to_string())?;
    fold_counts(&mut by_rule, &shown, listed);
    // the most severe first: a denial message may be cut short by the client
    shown.sort_by(|a, b| (a.severity, &a.rule, &a.path).cmp(&(b.severity, &b.rule, &b.path)));
    shown.truncate(listed);
    Ok(Judged {
        shown,
        total: by_rule.values().sum(),
        by_rule,
        errors,
    })
}

/// A Pod Security finding folded into its K8S twin (`facts::pss::fold_twins`: the same
/// defect at the same field and severity) is one violation, not two: of the hits of each
/// rule turned into findings (at most `listed`), those that are no finding were folded.
fn fold_counts(by_rule: &mut BTreeMap<String, usize>, built: &[crate::base::finding::Finding], listed: usize) {
    let mut found: BTreeMap<&str, usize> = BTreeMap::new();
    for f in built {
        *found.entry(f.rule.as_str()).or_default() += 1;
    }
    for (rule, n) in by_rule.iter_mut() {
        let selected = (*n).min(listed);
        let folded = selected.saturating_sub(found.get(rule.as_str()).copied().unwrap_or(0));
        *n -= folded;
    }
    by_rule.retain(|_, n| *n > 0);
}
