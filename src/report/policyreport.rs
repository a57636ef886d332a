//! `--format policyreport` (`report.policyreport.yaml`): the findings as OpenReports
//! `openreports.io/v1alpha1` `Report`s (one or more per namespace) and `ClusterReport`s (for
//! cluster-scoped objects and for what is not a Kubernetes object: source files, derived
//! namespaces), as Policy Reporter shows them and `kubectl get reports -A` lists them.
//!
//! One result per rule × object: `fail` for its findings (`warn`, not scored, when every
//! one of them is in the `--baseline`; `skip` when every one is waived), and `pass` for
//! every rule that judged an entity of the object without a finding, as Kyverno writes a
//! `pass` result per rule and resource. `summary` counts the results of its report.
//!
//! Why OpenReports and not `wgpolicyk8s.io/v1alpha2`: see docs/policyreport.md. A report
//! is split into parts of at most [`MAX_REPORT_BYTES`] of JSON (names `compliance`,
//! `compliance-2`, …) so that it stays under etcd's object limit even with the copy that
//! `kubectl apply` keeps in an annotation.

use super::Report;
use crate::base::finding::{Finding, Severity};
use crate::engine::policy::RuleSet;
use crate::findings::outcome::Accepted;
use serde::Serialize;
use std::collections::BTreeMap;
use std::io;

/// The API group and version written.
pub const API_VERSION: &str = "openreports.io/v1alpha1";
/// `source` of every report and result.
pub const SOURCE: &str = "compliance";
/// The largest report part, as JSON bytes (how the API server stores a custom resource).
/// etcd refuses a request over 1.5 MiB (`--max-request-bytes`, 1,572,864 by default);
/// client-side `kubectl apply` stores a second copy of the object in its
/// `last-applied-configuration` annotation, so a part must stay under half of that, with
/// room for metadata and managed fields.
pub const MAX_REPORT_BYTES: usize = 512 * 1024;
/// Positions listed in one result's `fields` property; the rest are counted.
const MAX_FIELDS: usize = 20;
/// Longest message or property value, in characters: one result stays small whatever an
/// input holds.
const MAX_TEXT: usize = 1024;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Document<'a> {
    api_version: &'static str,
    kind: &'static str,
    metadata: Metadata<'a>,
    source: &'static str,
    summary: Summary,
    results: Vec<Entry<'a>>,
}

#[derive(Serialize)]
struct Metadata<'a> {
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    namespace: Option<&'a str>,
    labels: BTreeMap<&'static str, &'static str>,
}

/// `summary`: results of each kind in the report (part).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub pass: usize,
    pub fail: usize,
    pub warn: usize,
    pub error: usize,
    pub skip: usize,
}

impl Summary {
    fn add(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Pass => self.pass += 1,
            Outcome::Fail => self.fail += 1,
            Outcome::Warn => self.warn += 1,
            Outcome::Skip => self.skip += 1,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
enum Outcome {
    Fail,
    Warn,
    Skip,
    Pass,
}

#[derive(Serialize)]
struct Timestamp {
    seconds: i64,
    nanos: i32,
}

#[derive(Serialize)]
struct Reference<'a> {
    #[serde(rename = "apiVersion")]
    api_version: &'a str,
    kind: &'a str,
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    namespace: Option<&'a str>,
}

/// One result.
#[derive(Serialize)]
struct Entry<'a> {
    source: &'static str,
    policy: &'a str,
    rule: &'a str,
    category: &'a str,
    severity: Severity,
    timestamp: Timestamp,
    result: Outcome,
    scored: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    resources: Vec<Reference<'a>>,
    #[serde(skip_serializing_if = "String::is_empty")]
    message: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    properties: BTreeMap<&'static str, String>,
}

/// What a result is about: a checked object, or (for what is not one: a source file, a
/// namespace no manifest declares) the finding's file and resource.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Target<'a> {
    Object(usize),
    Loose { file: &'a str, resource: &'a str },
}

fn clip(s: &str) -> String {
    match s.char_indices().nth(MAX_TEXT) {
        Some((at, _)) => format!("{}…", &s[..at]),
        None => s.to_string(),
    }
}

fn timestamp(now: &str) -> Timestamp {
    let seconds = chrono::DateTime::parse_from_rfc3339(now).map_or(0, |t| t.timestamp());
    Timestamp { seconds, nanos: 0 }
}

/// The reports, in order: cluster reports first, then each namespace's, by name; each
/// split into parts of at most [`MAX_REPORT_BYTES`].
fn documents<'a>(report: &'a Report, rules: &'a RuleSet) -> Vec<Document<'a>> {
    type Found<'a> = Vec<(&'a Finding, Accepted<'a>)>;
    let mut found: BTreeMap<(Target<'a>, &'a str), Found<'a>> = BTreeMap::new();
    for (f, accepted) in report.every_finding() {
        let target = match f.object.filter(|&i| i < report.objects.len()) {
            Some(i) => Target::Object(i),
            None => Target::Loose {
                file: &f.file,
                resource: &f.resource,
            },
        };
        found.entry((target, &f.rule)).or_default().push((f, accepted));
    }
    // namespace (None: cluster) -> results
    let mut buckets: BTreeMap<Option<&'a str>, Vec<Entry<'a>>> = BTreeMap::new();
    let stamp = || timestamp(&report.now);
    let reference = |i: usize| {
        let s = &report.objects[i];
        Reference {
            api_version: &s.api_version,
            kind: &s.kind,
            name: &s.name,
            namespace: s.namespace.as_deref(),
        }
    };
    let namespace_of = |t: &Target<'a>| match t {
        Target::Object(i) => report.objects[*i].namespace.as_deref(),
        Target::Loose { .. } => None,
    };
    for ((target, rule_id), mut findings) in found.iter_mut().map(|(k, v)| (k, std::mem::take(v))) {
        findings.sort_by(|a, b| a.0.sort_key().cmp(&b.0.sort_key()));
        let failing: Vec<&Finding> = findings
            .iter()
            .filter(|(_, a)| matches!(a, Accepted::No))
            .map(|(f, _)| *f)
            .collect();
        let baselined: Vec<&Finding> = findings
            .iter()
            .filter(|(_, a)| matches!(a, Accepted::Baseline))
            .map(|(f, _)| *f)
            .collect();
        let (outcome, listed): (Outcome, Vec<&Finding>) = if !failing.is_empty() {
            (Outcome::Fail, failing)
        } else if !baselined.is_empty() {
            (Outcome::Warn, baselined)
        } else {
            (Outcome::Skip, findings.iter().map(|(f, _)| *f).collect())
        };
        let Some(first) = listed.first() else { continue };
        let mut properties = BTreeMap::new();
        properties.insert("title", clip(&first.title));
        properties.insert("file", clip(&first.file));
        properties.insert("line", first.line.to_string());
        properties.insert("column", first.column.to_string());
        properties.insert("field", clip(&first.path));
        properties.insert("resource", clip(&first.resource));
        properties.insert("remediation", clip(&first.remediation));
        properties.insert("confidence", first.confidence.as_str().to_string());
        properties.insert("fingerprint", first.fingerprint());
        if listed.len() > 1 {
            properties.insert("findings", listed.len().to_string());
            let mut fields: Vec<String> = listed
                .iter()
                .take(MAX_FIELDS)
                .map(|f| format!("{}:{}:{} {}", f.file, f.line, f.column, f.path))
                .collect();
            if listed.len() > MAX_FIELDS {
                fields.push(format!("and {} more", listed.len() - MAX_FIELDS));
            }
            properties.insert("fields", clip(&fields.join("\n")));
        }
        if outcome == Outcome::Skip {
            if let Some(w) = findings.iter().find_map(|(_, a)| match a {
                Accepted::Waived(w) => Some(*w),
                _ => None,
            }) {
                properties.insert("waiver", clip(&w.reason));
                properties.insert("waiverOwner", clip(&w.owner));
                properties.insert("waiverExpires", clip(&w.expires));
            }
        }
        let message = if listed.len() > 1 {
            format!(
                "{} (and {} more findings of this rule here)",
                first.message,
                listed.len() - 1
            )
        } else {
            first.message.clone()
        };
        let severity = listed.iter().map(|f| f.severity).min().unwrap_or(first.severity);
        let entry = Entry {
            source: SOURCE,
            policy: rule_id,
            rule: rule_id,
            category: &first.category,
            severity,
            timestamp: stamp(),
            result: outcome,
            scored: outcome != Outcome::Warn,
            resources: match target {
                Target::Object(i) => vec![reference(*i)],
                Target::Loose { .. } => Vec::new(),
            },
            message: clip(&message),
            properties,
        };
        buckets.entry(namespace_of(target)).or_default().push(entry);
    }
    // every rule that judged an object without a finding there passes on it
    for (i, s) in report.objects.iter().enumerate() {
        for id in &s.judged {
            if found.contains_key(&(Target::Object(i), id.as_str())) {
                continue;
            }
            let Some(rule) = rules.rules.get(id) else { continue };
            buckets.entry(s.namespace.as_deref()).or_default().push(Entry {
                source: SOURCE,
                policy: &rule.id,
                rule: &rule.id,
                category: &rule.category,
                severity: rule.severity,
                timestamp: stamp(),
                result: Outcome::Pass,
                scored: true,
                resources: vec![reference(i)],
                message: String::new(),
                properties: BTreeMap::new(),
            });
        }
    }
    let mut out = Vec::new();
    for (namespace, mut results) in buckets {
        // by object, then rule: a reader finds an object's results together
        results.sort_by(|a, b| {
            let key = |e: &Entry<'a>| {
                let r = e.resources.first();
                (
                    r.map(|r| (r.kind, r.name, r.api_version)),
                    e.properties.get("file").cloned(),
                    e.properties.get("resource").cloned(),
                    e.rule,
                )
            };
            key(a).cmp(&key(b))
        });
        out.extend(split(namespace, results));
    }
    out
}

/// The reports of one namespace (or of the cluster): parts of at most
/// [`MAX_REPORT_BYTES`] of JSON, results in order. A clean namespace has no report.
fn split<'a>(namespace: Option<&'a str>, results: Vec<Entry<'a>>) -> Vec<Document<'a>> {
    let head = |part: usize| Document {
        api_version: API_VERSION,
        kind: if namespace.is_some() { "Report" } else { "ClusterReport" },
        metadata: Metadata {
            name: if part == 1 {
                SOURCE.to_string()
            } else {
                format!("{SOURCE}-{part}")
            },
            namespace,
            labels: BTreeMap::from([("app.kubernetes.io/managed-by", SOURCE)]),
        },
        source: SOURCE,
        summary: Summary::default(),
        results: Vec::new(),
    };
    // the report without results, with room for the largest counts
    let overhead = serde_json::to_vec(&head(usize::MAX)).map_or(1024, |v| v.len()) + 200;
    let mut parts = vec![head(1)];
    let mut size = overhead;
    for e in results {
        let bytes = serde_json::to_vec(&e).map_or(0, |v| v.len()) + 1;
        let current = parts.len();
        if size + bytes > MAX_REPORT_BYTES && parts.last().is_some_and(|p| !p.results.is_empty()) {
            parts.push(head(current + 1));
            size = overhead;
        }
        size += bytes;
        if let Some(p) = parts.last_mut() {
            p.summary.add(e.result);
            p.results.push(e);
        }
    }
    parts.retain(|p| !p.results.is_empty());
    parts
}

/// The summary of every report written, for tests and the docs: (kind, namespace, name,
/// summary, results).
pub fn overview(report: &Report, rules: &RuleSet) -> Vec<(String, Option<String>, String, Summary, usize)> {
    documents(report, rules)
        .iter()
        .map(|d| {
            (
                d.kind.to_string(),
                d.metadata.namespace.map(str::to_string),
                d.metadata.name.clone(),
                d.summary,
                d.results.len(),
            )
        })
        .collect()
}

/// Writes the reports as one YAML stream, for `kubectl apply -f` (or `kubectl create`).
pub fn write(report: &Report, rules: &RuleSet, out: &mut dyn io::Write) -> io::Result<()> {
    for (i, d) in documents(report, rules).iter().enumerate() {
        if i > 0 {
            out.write_all(b"---\n")?;
        }
        serde_yaml::to_writer(&mut *out, d).map_err(io::Error::other)?;
    }
    Ok(())
}

/// [`write`] into a string.
pub fn render(report: &Report, rules: &RuleSet) -> String {
    let mut out = Vec::new();
    let _ = write(report, rules, &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_text_is_clipped_on_a_character_boundary() {
        let s = "é".repeat(MAX_TEXT + 5);
        let c = clip(&s);
        assert_eq!(c.chars().count(), MAX_TEXT + 1);
        assert!(c.ends_with('…'));
        assert_eq!(clip("short"), "short");
    }

    #[test]
    fn the_timestamp_is_the_evaluation_time() {
        let t = timestamp("2026-11-24T00:00:00Z");
        assert_eq!((t.seconds, t.nanos), (1_795_478_400, 0));
    }

    #[test]
    fn a_large_namespace_is_split_into_parts_under_the_limit() {
        let results: Vec<Entry<'_>> = (0..4000)
            .map(|i| Entry {
                source: SOURCE,
                policy: "SEC-001",
                rule: "SEC-001",
                category: "secrets",
                severity: Severity::High,
                timestamp: Timestamp { seconds: 0, nanos: 0 },
                result: if i % 3 == 0 { Outcome::Fail } else { Outcome::Pass },
                scored: true,
                resources: vec![Reference {
                    api_version: "v1",
                    kind: "ConfigMap",
                    name: "x",
                    namespace: Some("big"),
                }],
                message: "m".repeat(200),
                properties: BTreeMap::new(),
            })
            .collect();
        let parts = split(Some("big"), results);
        assert!(parts.len() > 1, "{} parts", parts.len());
        let names: Vec<&str> = parts.iter().map(|p| p.metadata.name.as_str()).collect();
        assert_eq!(names[..3], ["compliance", "compliance-2", "compliance-3"]);
        let mut total = Summary::default();
        for p in &parts {
            let bytes = serde_json::to_vec(p).unwrap().len();
            assert!(bytes <= MAX_REPORT_BYTES, "{bytes} bytes");
            assert_eq!(p.summary.pass + p.summary.fail, p.results.len());
            total.pass += p.summary.pass;
            total.fail += p.summary.fail;
        }
        assert_eq!((total.fail, total.pass), (1334, 2666));
    }
}
