//! The guide's two checklists as controls. A control passes only when its rules examined
//! at least one resource and none of them fired: no data is "no-evidence", never "pass".
//! A control that lost a rule to the configuration (`rules.disable`) is never "pass"
//! either (the rest of its rules do not speak for the disabled one), and a control with a
//! rule that could not be evaluated "fail"s: evaluation errors fail closed. While a Helm
//! chart or Kustomize overlay could not be rendered, no control passes: its objects are
//! evidence that was not read.

use crate::base::finding::Finding;
use crate::engine::policy::{Rule, RuleSet};
use crate::facts::model::{Attr, Kind, Resource};
use serde::Serialize;

pub const BEFORE_GOING_LIVE: &str = "Before Going Live";
pub const REGULAR_REVIEW: &str = "Regular Review";

/// (id, section, title), in the guide's order.
pub const CONTROLS: &[(&str, &str, &str)] = &[
    ("LIVE-01", BEFORE_GOING_LIVE, "API keys stored in environment variables"),
    ("LIVE-02", BEFORE_GOING_LIVE, "Keys not committed to version control"),
    (
        "LIVE-03",
        BEFORE_GOING_LIVE,
        "Backend proxy implemented (no client-side API calls)",
    ),
    ("LIVE-04", BEFORE_GOING_LIVE, "IP whitelisting configured"),
    ("LIVE-05", BEFORE_GOING_LIVE, "Model restrictions set"),
    ("LIVE-06", BEFORE_GOING_LIVE, "Rate limiting implemented"),
    ("LIVE-07", BEFORE_GOING_LIVE, "Input validation in place"),
    (
        "LIVE-08",
        BEFORE_GOING_LIVE,
        "Error handling doesn't expose sensitive info",
    ),
    ("LIVE-09", BEFORE_GOING_LIVE, "HTTPS enforced"),
    (
        "LIVE-10",
        BEFORE_GOING_LIVE,
        "Logging configured (without sensitive data)",
    ),
    ("REVIEW-01", REGULAR_REVIEW, "Rotate API keys quarterly"),
    ("REVIEW-02", REGULAR_REVIEW, "Review access logs monthly"),
    ("REVIEW-03", REGULAR_REVIEW, "Audit API key permissions"),
    ("REVIEW-04", REGULAR_REVIEW, "Update dependencies for security patches"),
    ("REVIEW-05", REGULAR_REVIEW, "Test incident response procedures"),
    ("REVIEW-06", REGULAR_REVIEW, "Review and update security policies"),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Pass,
    Fail,
    NoEvidence,
}

#[derive(Debug, Clone, Serialize)]
pub struct Control {
    pub id: String,
    pub section: String,
    pub title: String,
    pub status: Status,
    /// Rules that evidence the control.
    pub rules: Vec<String>,
    /// Entities those rules examined that count as evidence.
    pub resources: usize,
    /// The objects and files they belong to (`Deployment chat/api`, `src/app.py`), sorted.
    pub examined: Vec<String>,
    pub findings: usize,
    /// Rules of the control that the configuration disabled: the control cannot pass.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub disabled: Vec<String>,
    /// Rules of the control that could not be evaluated on some entity (see `errors`):
    /// the control fails.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errored: Vec<String>,
    /// Helm charts and Kustomize overlays that were not rendered: their objects were not
    /// read, so the control cannot pass.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unread: Vec<String>,
}

/// Does entity `r` count as evidence for `rule`? By default every entity the rule applies
/// to does. `@evidence("fact")` narrows that to entities where the Bool fact is true;
/// `@evidence("Type")` or `@evidence("Type.fact")` names entities of another type (a clean
/// frontend file is evidence for the rule about keys found in frontend files).
pub(crate) fn evidences(rule: &Rule, r: &Resource) -> bool {
    let Some(e) = rule.evidence.as_deref() else {
        return rule.applies_to.is_none_or(|k| k == r.kind);
    };
    let (kind, fact) = match e.split_once('.') {
        Some((k, f)) => (Kind::from_name(k), Some(f)),
        None => match Kind::from_name(e) {
            Some(k) => (Some(k), None),
            None => (rule.applies_to, Some(e)),
        },
    };
    kind.is_none_or(|k| k == r.kind) && fact.is_none_or(|f| r.attr(f) == Some(&Attr::Bool(true)))
}

/// What the entities of a run showed each control (in [`CONTROLS`] order): how many
/// entities its rules examined, and their names. Gathered part by part ([`Evidence::add`])
/// so that a run's entities need not all be held at once.
#[derive(Debug)]
pub struct Evidence<'r> {
    /// Per control: the rules that evidence it, the entities they examined, their names.
    per_control: Vec<(Vec<&'r Rule>, usize, std::collections::BTreeSet<String>)>,
}

impl<'r> Evidence<'r> {
    pub fn new(rules: &'r RuleSet) -> Self {
        Evidence {
            per_control: CONTROLS
                .iter()
                .map(|(id, _, _)| (evidencing(rules, id), 0, std::collections::BTreeSet::new()))
                .collect(),
        }
    }

    /// Counts `resources` for every control one of whose rules they evidence.
    pub fn add(&mut self, resources: &[Resource]) {
        for (evidencing, count, examined) in &mut self.per_control {
            if evidencing.is_empty() {
                continue;
            }
            for r in resources
                .iter()
                .filter(|r| evidencing.iter().any(|rule| evidences(rule, r)))
            {
                *count += 1;
                if !examined.contains(&r.display) {
                    examined.insert(r.display.clone());
                }
            }
        }
    }
}

/// The rules that evidence control `id`.
fn evidencing<'r>(rules: &'r RuleSet, id: &str) -> Vec<&'r Rule> {
    rules
        .rules
        .values()
        .filter(|r| r.checklist.iter().any(|c| c == id))
        .collect()
}

/// `errored`: the ids of the rules that could not be evaluated on some entity. `unread`:
/// charts and overlays that did not render (evidence not read: no control passes).
pub fn roll_up(
    rules: &RuleSet,
    evidence: Evidence<'_>,
    findings: &[Finding],
    errored: &std::collections::BTreeSet<&str>,
    unread: &[String],
) -> Vec<Control> {
    CONTROLS
        .iter()
        .zip(evidence.per_control)
        .map(|((id, section, title), (evidencing, resources, examined))| {
            let fired = findings.iter().filter(|f| f.checklist.iter().any(|c| c == id)).count();
            let disabled: Vec<String> = rules
                .disabled
                .iter()
                .filter(|r| r.checklist.iter().any(|c| c == id))
                .map(|r| r.id.clone())
                .collect();
            let failed_rules: Vec<String> = evidencing
                .iter()
                .filter(|r| errored.contains(r.id.as_str()))
                .map(|r| r.id.clone())
                .collect();
            let status = if fired > 0 || !failed_rules.is_empty() {
                Status::Fail
            } else if resources > 0 && disabled.is_empty() && unread.is_empty() {
                Status::Pass
            } else {
                Status::NoEvidence
            };
            Control {
                id: (*id).to_string(),
                section: (*section).to_string(),
                title: (*title).to_string(),
                status,
                rules: evidencing.iter().map(|r| r.id.clone()).collect(),
                resources,
                examined: examined.into_iter().collect(),
                findings: fired,
                disabled,
                errored: failed_rules,
                unread: unread.to_vec(),
            }
        })
        .collect()
}
