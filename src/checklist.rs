//! The guide's two checklists as controls. A control passes only when its rules examined
//! at least one resource and none of them fired: no data is "no-evidence", never "pass".

use crate::finding::Finding;
use crate::model::Kind;
use crate::policy::RuleSet;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

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
    /// Entities those rules examined.
    pub resources: usize,
    pub findings: usize,
}

pub fn roll_up(rules: &RuleSet, examined: &BTreeMap<Kind, usize>, findings: &[Finding]) -> Vec<Control> {
    CONTROLS
        .iter()
        .map(|(id, section, title)| {
            let evidencing: Vec<_> = rules
                .rules
                .values()
                .filter(|r| r.checklist.iter().any(|c| c == id))
                .collect();
            let kinds: BTreeSet<Option<Kind>> = evidencing.iter().map(|r| r.applies_to).collect();
            let resources = if kinds.contains(&None) {
                examined.values().sum()
            } else {
                kinds
                    .iter()
                    .flatten()
                    .map(|k| examined.get(k).copied().unwrap_or(0))
                    .sum()
            };
            let fired = findings.iter().filter(|f| f.checklist.iter().any(|c| c == id)).count();
            let status = if fired > 0 {
                Status::Fail
            } else if resources > 0 {
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
                findings: fired,
            }
        })
        .collect()
}
