//! Pod Security Standards (PSS): which level a workload is judged at, and why.
//!
//! The `PSS-*` rules (`policies/pod-security.cedar`) judge the `SecurityContext` and `Volume`
//! entities that `facts::podsecurity` emits for every pod template. Each entity carries the
//! level it is judged at (`pssBaseline`, `pssRestricted`, `pssVersion`), decided here the
//! way the PodSecurity admission plugin (PSA) decides it for a namespace:
//!
//! 1. a Namespace manifest of the run with `pod-security.kubernetes.io/enforce` (and
//!    `enforce-version`) sets the level of the workloads in it, whatever the flag says;
//! 2. else a `podSecurity.namespaces` entry of the configuration (the webhook's mirror of
//!    the cluster's labels);
//! 3. else `--pod-security` / `podSecurity` (default `baseline`).
//!
//! `audit` and `warn` labels above the enforced level add the rules of their level, with
//! findings one severity lower ([`adjust`]). Label values are parsed as PSA parses them: an
//! invalid `enforce` level is `restricted` (PSA fails closed), an invalid `audit`/`warn`
//! level is `privileged` (fail open), an invalid version is `latest`.

use crate::base::finding::Severity;
use crate::facts::model::{Attr, Resource};
use std::collections::BTreeMap;

/// The newest Kubernetes minor version whose PSS checks this release knows (v1.37).
pub const LATEST_MINOR: i64 = 37;

pub const ENFORCE_LABEL: &str = "pod-security.kubernetes.io/enforce";
pub const ENFORCE_VERSION_LABEL: &str = "pod-security.kubernetes.io/enforce-version";
pub const AUDIT_LABEL: &str = "pod-security.kubernetes.io/audit";
pub const AUDIT_VERSION_LABEL: &str = "pod-security.kubernetes.io/audit-version";
pub const WARN_LABEL: &str = "pod-security.kubernetes.io/warn";
pub const WARN_VERSION_LABEL: &str = "pod-security.kubernetes.io/warn-version";

/// A Pod Security Standards profile, least to most restrictive.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Default,
    clap::ValueEnum,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// No `PSS-*` rule runs.
    Privileged,
    /// The baseline controls (the default).
    #[default]
    Baseline,
    /// The baseline controls and the restricted ones.
    Restricted,
}

impl Level {
    pub fn parse(s: &str) -> Option<Level> {
        match s {
            "privileged" => Some(Level::Privileged),
            "baseline" => Some(Level::Baseline),
            "restricted" => Some(Level::Restricted),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Privileged => "privileged",
            Level::Baseline => "baseline",
            Level::Restricted => "restricted",
        }
    }
}

impl std::fmt::Display for Level {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A policy version as PSA reads it: `latest` or `v1.N`; anything else is `None`.
pub fn parse_version(s: &str) -> Option<i64> {
    if s == "latest" {
        return Some(LATEST_MINOR);
    }
    let minor = s.strip_prefix("v1.")?;
    if minor.is_empty() || !minor.bytes().all(|b| b.is_ascii_digit()) || minor.len() > 4 {
        return None;
    }
    // a version newer than this release knows is judged by the newest checks, as PSA does
    minor.parse::<i64>().ok().map(|m| m.min(LATEST_MINOR))
}

fn version_text(v: i64) -> String {
    if v >= LATEST_MINOR {
        "latest".to_string()
    } else {
        format!("v1.{v}")
    }
}

/// The level for workloads that no Namespace label or per-namespace setting covers, and
/// the per-namespace levels (`podSecurity` in the configuration; the webhook's view of the
/// cluster's `enforce` labels).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub default: Level,
    /// Minor version of the default (`LATEST_MINOR` for `latest`).
    pub version: i64,
    /// Where the default comes from, for the report: "`--pod-security`", "configuration
    /// `podSecurity`", "default".
    pub source: String,
    /// Namespace -> level (and version) set by the configuration.
    pub namespaces: BTreeMap<String, (Level, i64)>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            default: Level::Baseline,
            version: LATEST_MINOR,
            source: "default".to_string(),
            namespaces: BTreeMap::new(),
        }
    }
}

/// `podSecurity:` in the configuration: a level, or a default with per-namespace levels
/// (the webhook's mirror of the cluster's `enforce` labels).
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(untagged)]
pub enum Config {
    Level(String),
    Detailed {
        #[serde(default)]
        default: Option<String>,
        #[serde(default)]
        version: Option<String>,
        #[serde(default)]
        namespaces: BTreeMap<String, NamespaceConfig>,
    },
}

/// A namespace's level in the configuration: `restricted`, or `{level, version}`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(untagged)]
pub enum NamespaceConfig {
    Level(String),
    Detailed { level: String, version: Option<String> },
}

impl Config {
    /// The settings it gives, or a message naming the value that is not a level or version.
    pub fn settings(&self) -> Result<Settings, String> {
        let level = |s: &str| {
            Level::parse(s).ok_or_else(|| format!("`{s}` is not a level: expected privileged, baseline or restricted"))
        };
        let version = |s: Option<&str>| match s {
            None => Ok(LATEST_MINOR),
            Some(v) => parse_version(v).ok_or_else(|| format!("`{v}` is not a version: expected `latest` or `v1.N`")),
        };
        let source = "configuration `podSecurity`".to_string();
        match self {
            Config::Level(l) => Ok(Settings {
                default: level(l)?,
                source,
                ..Settings::default()
            }),
            Config::Detailed {
                default,
                version: v,
                namespaces,
            } => {
                let mut out = Settings {
                    default: default.as_deref().map_or(Ok(Level::Baseline), level)?,
                    version: version(v.as_deref())?,
                    source,
                    namespaces: BTreeMap::new(),
                };
                for (ns, c) in namespaces {
                    let (l, v) = match c {
                        NamespaceConfig::Level(l) => (level(l)?, LATEST_MINOR),
                        NamespaceConfig::Detailed { level: l, version: v } => (level(l)?, version(v.as_deref())?),
                    };
                    out.namespaces.insert(ns.clone(), (l, v));
                }
                Ok(out)
            }
        }
    }
}

/// The level a workload is judged at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// Enforced level and version: findings at the rule's severity.
    pub enforce: Level,
    pub version: i64,
    /// A higher level from `audit` / `warn` labels: its rules run too, one severity lower.
    pub advisory: Option<Level>,
    /// Why, in words: "label `pod-security.kubernetes.io/enforce: restricted` on Namespace `payments`".
    pub reason: String,
}

impl Applied {
    /// The highest level judged.
    pub fn judged(&self) -> Level {
        self.advisory.unwrap_or(self.enforce).max(self.enforce)
    }

    /// What a finding message says: "restricted (label ... on Namespace `x`)".
    pub fn describe(&self) -> String {
        let mut s = format!("{} {}", self.enforce, version_text(self.version));
        if let Some(a) = self.advisory {
            s.push_str(&format!(", {a} audited/warned"));
        }
        format!("{s}: {}", self.reason)
    }

    /// The attributes every judged entity carries (see `docs/pod-security.md`).
    pub fn attrs(&self, r: Resource) -> Resource {
        let judged = self.judged();
        r.bool("pssBaseline", judged >= Level::Baseline)
            .bool("pssRestricted", judged >= Level::Restricted)
            .long("pssVersion", self.version)
            .str("pssEnforce", self.enforce.as_str())
            .str("pssLevel", self.describe())
    }
}

/// A Namespace manifest's pod-security labels, parsed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Labels {
    pub enforce: Option<(Level, i64)>,
    pub advisory: Option<Level>,
    /// The labels as written, for the reason.
    pub text: String,
}

impl Labels {
    /// Parses the labels as PSA does; `None` when the namespace has no pod-security label.
    pub fn parse(labels: &[(String, String)]) -> Option<Labels> {
        let get = |k: &str| labels.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        let any = [ENFORCE_LABEL, AUDIT_LABEL, WARN_LABEL, ENFORCE_VERSION_LABEL]
            .iter()
            .any(|k| get(k).is_some());
        if !any {
            return None;
        }
        // PSA: an enforce level that does not parse is `restricted` (fails closed)
        let version = get(ENFORCE_VERSION_LABEL).map_or(LATEST_MINOR, |v| parse_version(v).unwrap_or(LATEST_MINOR));
        let enforce = get(ENFORCE_LABEL).map(|l| (Level::parse(l).unwrap_or(Level::Restricted), version));
        // audit and warn fail open: a value that does not parse is `privileged`
        let advisory = [AUDIT_LABEL, WARN_LABEL]
            .iter()
            .filter_map(|k| get(k).map(|l| Level::parse(l).unwrap_or(Level::Privileged)))
            .max();
        let text = [
            ENFORCE_LABEL,
            ENFORCE_VERSION_LABEL,
            AUDIT_LABEL,
            AUDIT_VERSION_LABEL,
            WARN_LABEL,
            WARN_VERSION_LABEL,
        ]
        .iter()
        .filter_map(|k| get(k).map(|v| format!("`{k}: {v}`")))
        .collect::<Vec<_>>()
        .join(", ");
        Some(Labels {
            enforce,
            advisory,
            text,
        })
    }
}

/// The level of every namespace of a run.
#[derive(Debug, Clone, Default)]
pub struct Namespaces {
    pub settings: Settings,
    /// Namespace -> its labels, from the Namespace manifests of the run.
    pub labelled: BTreeMap<String, Labels>,
}

impl Namespaces {
    /// From the Namespace manifests (name, labels) of a run and the settings.
    pub fn new<'a>(settings: Settings, namespaces: impl Iterator<Item = (&'a str, Vec<(String, String)>)>) -> Self {
        let mut labelled = BTreeMap::new();
        for (name, labels) in namespaces {
            if let Some(l) = Labels::parse(&labels) {
                labelled.entry(name.to_string()).or_insert(l);
            }
        }
        Namespaces { settings, labelled }
    }

    /// The level a workload in `namespace` is judged at, and why.
    pub fn applied(&self, namespace: &str) -> Applied {
        let s = &self.settings;
        let configured = s.namespaces.get(namespace);
        let (mut enforce, mut version, mut reason) = match configured {
            Some((l, v)) => (*l, *v, format!("configuration `podSecurity.namespaces.{namespace}`")),
            None => (s.default, s.version, format!("{} level", s.source)),
        };
        let mut advisory = None;
        if let Some(l) = self.labelled.get(namespace) {
            advisory = l.advisory;
            reason = match l.enforce {
                Some((level, v)) => {
                    enforce = level;
                    version = v;
                    format!("Namespace `{namespace}` labels {}", l.text)
                }
                None => format!("{reason}; Namespace `{namespace}` labels {}", l.text),
            };
        }
        let advisory = advisory.filter(|a| *a > enforce);
        Applied {
            enforce,
            version,
            advisory,
            reason,
        }
    }
}

/// The level a workload was judged at, for the report.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct WorkloadLevel {
    /// `Deployment chat/api`.
    pub resource: String,
    /// The enforced level.
    pub level: String,
    /// The level, version and why: `restricted latest: Namespace `payments` labels ...`.
    pub reason: String,
}

/// The level of every workload of a run (from the pod-level `SecurityContext` entities).
pub fn levels(resources: &[Resource]) -> Vec<WorkloadLevel> {
    let mut out: Vec<WorkloadLevel> = resources
        .iter()
        .filter(|r| {
            r.kind == crate::facts::model::Kind::SecurityContext && r.attr("scope") == Some(&Attr::Str("pod".into()))
        })
        .filter_map(|r| match (r.attr("pssEnforce"), r.attr("pssLevel")) {
            (Some(Attr::Str(level)), Some(Attr::Str(reason))) => Some(WorkloadLevel {
                resource: r.display.clone(),
                level: level.clone(),
                reason: reason.clone(),
            }),
            _ => None,
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// One line per distinct level and reason, with how many workloads it applied to.
pub fn summary(levels: &[WorkloadLevel]) -> Vec<(String, usize)> {
    let mut by: BTreeMap<&str, usize> = BTreeMap::new();
    for l in levels {
        *by.entry(l.reason.as_str()).or_default() += 1;
    }
    by.into_iter().map(|(r, n)| (r.to_string(), n)).collect()
}

/// A finding's severity under the level its entity was judged at: a rule whose `@profile`
/// is above the enforced level ran only because of an `audit` or `warn` label, so its
/// findings are one severity lower (never below `info`).
pub fn adjust(profile: Option<&str>, r: &Resource, severity: Severity) -> Severity {
    let (Some(profile), Some(Attr::Str(enforce))) = (profile.and_then(Level::parse), r.attr("pssEnforce")) else {
        return severity;
    };
    match Level::parse(enforce) {
        Some(e) if profile > e => lower(severity),
        _ => severity,
    }
}

fn lower(s: Severity) -> Severity {
    let i = Severity::ALL.iter().position(|x| *x == s).unwrap_or(0);
    Severity::ALL[(i + 1).min(Severity::ALL.len() - 1)]
}

/// The built-in least-privilege rules and their `PSS-*` twins: where both fire on the same
/// field at the same severity, the user sees one finding, the K8S one, naming its twin.
pub const TWINS: &[(&str, &str)] = &[
    ("K8S-001", "PSS-003"),
    ("K8S-002", "PSS-016"),
    ("K8S-002", "PSS-017"),
    ("K8S-003", "PSS-015"),
];

/// Folds each `PSS-*` finding into its K8S twin at the same file, document field and
/// severity: the twin is dropped and the K8S finding's message names it.
pub fn fold_twins(findings: &mut Vec<(crate::base::finding::Finding, usize)>) {
    use std::collections::HashSet;
    let key = |f: &crate::base::finding::Finding, rule: &str| {
        (
            rule.to_string(),
            f.file.clone(),
            f.path.clone(),
            f.resource.clone(),
            f.severity,
        )
    };
    let pss: HashSet<_> = findings
        .iter()
        .filter(|(f, _)| TWINS.iter().any(|(_, p)| *p == f.rule))
        .map(|(f, _)| key(f, &f.rule))
        .collect();
    let mut folded = HashSet::new();
    for (f, _) in findings.iter_mut() {
        let twins: Vec<&str> = TWINS
            .iter()
            .filter(|(k, p)| *k == f.rule && pss.contains(&key(f, p)))
            .map(|(_, p)| *p)
            .collect();
        for twin in twins {
            folded.insert(key(f, twin));
            f.message.push_str(&format!(" (also {twin}, Pod Security Standards)"));
        }
    }
    findings.retain(|(f, _)| !folded.contains(&key(f, &f.rule)));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect()
    }

    #[test]
    fn versions_parse_as_psa_parses_them() {
        assert_eq!(parse_version("latest"), Some(LATEST_MINOR));
        assert_eq!(parse_version("v1.25"), Some(25));
        assert_eq!(parse_version("v1.99"), Some(LATEST_MINOR));
        assert_eq!(parse_version("1.25"), None);
        assert_eq!(parse_version("v1."), None);
        assert_eq!(parse_version("v2.1"), None);
    }

    #[test]
    fn labels_decide_over_the_flag_and_fail_as_psa_fails() {
        let ns = Namespaces::new(
            Settings::default(),
            [
                (
                    "strict",
                    labels(&[(ENFORCE_LABEL, "restricted"), (ENFORCE_VERSION_LABEL, "v1.24")]),
                ),
                ("typo", labels(&[(ENFORCE_LABEL, "restricte")])),
                (
                    "open",
                    labels(&[(ENFORCE_LABEL, "privileged"), (WARN_LABEL, "restricted")]),
                ),
                ("bad-warn", labels(&[(WARN_LABEL, "nope")])),
            ]
            .into_iter(),
        );
        let a = ns.applied("strict");
        assert_eq!((a.enforce, a.version, a.advisory), (Level::Restricted, 24, None));
        assert!(a.reason.contains("Namespace `strict`"), "{}", a.reason);
        assert_eq!(ns.applied("typo").enforce, Level::Restricted);
        let open = ns.applied("open");
        assert_eq!(
            (open.enforce, open.advisory),
            (Level::Privileged, Some(Level::Restricted))
        );
        let bad = ns.applied("bad-warn");
        assert_eq!((bad.enforce, bad.advisory), (Level::Baseline, None));
        assert_eq!(ns.applied("unlabelled").enforce, Level::Baseline);
    }

    #[test]
    fn advisory_findings_are_one_severity_lower() {
        let r = Resource::new(
            crate::facts::model::Kind::SecurityContext,
            crate::facts::model::Location {
                file: 0,
                doc: 0,
                path: String::new(),
                pos: None,
            },
            String::new(),
        )
        .str("pssEnforce", "baseline");
        assert_eq!(adjust(Some("restricted"), &r, Severity::Medium), Severity::Low);
        assert_eq!(adjust(Some("baseline"), &r, Severity::High), Severity::High);
        assert_eq!(adjust(None, &r, Severity::High), Severity::High);
        assert_eq!(adjust(Some("restricted"), &r, Severity::Info), Severity::Info);
    }
}
