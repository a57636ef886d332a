//! SARIF 2.1.0 (`--format sarif`), the form GitHub code scanning uploads: one
//! `reportingDescriptor` per rule of the rule set, one result per finding, input errors as
//! tool execution notifications. Waived findings are left out: GitHub does not honour
//! SARIF `suppressions` and would open an alert for each (the other reports list them,
//! with their waivers). With `--baseline`, results carry `baselineState` `new` or
//! `unchanged`; expired and unused waivers are tool configuration notifications.
//! Plain serde structs, no SARIF crate; fields in a fixed order, so the same report gives
//! the same bytes.

use super::Report;
use crate::base::finding::{Finding, InputError, Severity};
use crate::engine::policy::{Rule, RuleSet};
use crate::findings::waiver::{self, WaiverStatus};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// The schema the output validates against (the OASIS errata 01 text, shipped in tests/data).
pub const SCHEMA_URI: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";
/// The `partialFingerprints` key: [`Finding::fingerprint`] and the occurrence number.
pub const FINGERPRINT_KEY: &str = "complianceFingerprint/v1";
/// Relative URIs are relative to the checked folder, which SARIF consumers know as the
/// source root.
pub const SRCROOT: &str = "%SRCROOT%";

/// GitHub's `security-severity` bands: critical above 9.0, high 7.0–8.9, medium 4.0–6.9,
/// low 0.1–3.9.
pub fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "0.0",
    }
}

/// The SARIF `level`: `error` for critical and high, `warning` for medium, `note` below.
pub fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    tool: ToolComponent<'a>,
    invocations: [Invocation<'a>; 1],
    /// Our columns count characters (Unicode scalar values), not UTF-16 code units.
    column_kind: &'static str,
    results: Vec<SarifResult<'a>>,
    properties: RunProperties<'a>,
}

#[derive(Serialize)]
struct ToolComponent<'a> {
    driver: Driver<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver<'a> {
    name: &'a str,
    version: &'a str,
    semantic_version: &'a str,
    rules: Vec<Descriptor<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Descriptor<'a> {
    id: &'a str,
    name: String,
    short_description: Text<'a>,
    full_description: Text<'a>,
    help: Help,
    default_configuration: Configuration,
    properties: RuleProperties<'a>,
}

#[derive(Serialize)]
struct Text<'a> {
    text: std::borrow::Cow<'a, str>,
}

#[derive(Serialize)]
struct Help {
    text: String,
    markdown: String,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
struct RuleProperties<'a> {
    #[serde(rename = "security-severity")]
    security_severity: &'static str,
    severity: Severity,
    tags: Vec<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation<'a> {
    execution_successful: bool,
    exit_code: i32,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tool_execution_notifications: Vec<Notification<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tool_configuration_notifications: Vec<Notification<'a>>,
}

#[derive(Serialize)]
struct Notification<'a> {
    level: &'static str,
    message: Text<'a>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    locations: Vec<Location<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    rule_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    rule_index: Option<usize>,
    level: &'static str,
    message: Text<'a>,
    locations: [Location<'a>; 1],
    partial_fingerprints: BTreeMap<&'static str, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    baseline_state: Option<&'static str>,
    properties: ResultProperties<'a>,
}

#[derive(Serialize)]
struct ResultProperties<'a> {
    severity: Severity,
    category: &'a str,
    confidence: crate::base::finding::Confidence,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    checklist: &'a [String],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    physical_location: Option<PhysicalLocation>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    logical_locations: Vec<LogicalLocation<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<Region>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    uri_base_id: Option<&'static str>,
}

/// Start only: findings know where a field is written, not where its value ends.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    start_column: Option<u32>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LogicalLocation<'a> {
    fully_qualified_name: &'a str,
    kind: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RunProperties<'a> {
    now: &'a str,
    roots: &'a [String],
    fail_on: Severity,
    /// Findings that active waivers took out of the results.
    waived: usize,
}

/// `PrivilegedContainer` from "Privileged container": SARIF's rule `name` is an
/// identifier-like string.
fn pascal_case(title: &str) -> String {
    title
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut cs = w.chars();
            cs.next()
                .map(|first| first.to_uppercase().chain(cs).collect::<String>())
                .unwrap_or_default()
        })
        .collect()
}

fn descriptor(r: &Rule) -> Descriptor<'_> {
    let applies = r.applies_to.map_or_else(
        || "entities of every type".to_string(),
        |k| format!("{} entities", k.name()),
    );
    let mut full = format!(
        "{}. Severity {}, category {}; judges {}.",
        r.title, r.severity, r.category, applies
    );
    if !r.checklist.is_empty() {
        full.push_str(&format!(
            " Evidences the checklist controls {}.",
            r.checklist.join(", ")
        ));
    }
    full.push_str(&format!(" Cedar policy `{}` in {}:{}.", r.id, r.file, r.line));
    let checklist = if r.checklist.is_empty() {
        "—".to_string()
    } else {
        r.checklist.join(", ")
    };
    let markdown = format!(
        "**{}** ({} · {} · checklist {})\n\n**Fix:** {}\n\nThe rule is the Cedar policy `{}` in `{}` (line {}):\n\n```cedar\n{}\n```\n",
        r.title,
        r.severity,
        r.category,
        checklist,
        r.remediation,
        r.id,
        r.file,
        r.line,
        r.text.trim_end()
    );
    let mut tags = vec!["security", r.category.as_str()];
    tags.extend(r.checklist.iter().map(String::as_str));
    Descriptor {
        id: &r.id,
        name: pascal_case(&r.title),
        short_description: Text {
            text: r.title.as_str().into(),
        },
        full_description: Text { text: full.into() },
        help: Help {
            text: r.remediation.clone(),
            markdown,
        },
        default_configuration: Configuration {
            level: level(r.severity),
        },
        properties: RuleProperties {
            security_severity: security_severity(r.severity),
            severity: r.severity,
            tags,
        },
    }
}

/// Percent-encodes what a URI path may not hold (RFC 3986: unreserved characters, `/` and
/// the sub-delimiters stay; `:` is encoded so that a first segment never reads as a scheme).
fn encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=@".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The artifact a report path names. Paths relative to the checked folder become relative
/// URIs against `%SRCROOT%`; absolute paths (a file given on the command line) become
/// `file:` URIs; standard input has no artifact.
fn artifact(file: &str) -> Option<ArtifactLocation> {
    if file == crate::base::source::STDIN || file.is_empty() {
        return None;
    }
    let slashed = file.replace('\\', "/");
    let bytes = slashed.as_bytes();
    let drive = bytes.len() >= 3 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':' && bytes[2] == b'/';
    if slashed.starts_with('/') || drive {
        let prefix = if drive { "file:///" } else { "file://" };
        let encoded = if drive {
            format!("{}:{}", &slashed[..1], encode_path(&slashed[2..]))
        } else {
            encode_path(&slashed)
        };
        return Some(ArtifactLocation {
            uri: format!("{prefix}{encoded}"),
            uri_base_id: None,
        });
    }
    let mut rel = slashed.as_str();
    while let Some(rest) = rel.strip_prefix("./") {
        rel = rest;
    }
    Some(ArtifactLocation {
        uri: encode_path(rel),
        uri_base_id: Some(SRCROOT),
    })
}

fn physical(file: &str, line: Option<u32>, column: Option<u32>) -> Option<PhysicalLocation> {
    Some(PhysicalLocation {
        artifact_location: artifact(file)?,
        region: line.filter(|l| *l > 0).map(|start_line| Region {
            start_line,
            start_column: column.filter(|c| *c > 0),
        }),
    })
}

fn location(f: &Finding) -> Location<'_> {
    let mut logical = Vec::new();
    // a source-file finding's resource is the file itself: nothing logical to add
    if f.resource != f.file {
        logical.push(LogicalLocation {
            fully_qualified_name: &f.resource,
            kind: "object",
        });
    }
    if !f.path.is_empty() {
        logical.push(LogicalLocation {
            fully_qualified_name: &f.path,
            kind: "property",
        });
    }
    Location {
        physical_location: physical(&f.file, Some(f.line), Some(f.column)),
        logical_locations: logical,
    }
}

fn at(file: &str, line: Option<u32>, column: Option<u32>) -> Option<Location<'static>> {
    physical(file, line, column).map(|p| Location {
        physical_location: Some(p),
        logical_locations: Vec::new(),
    })
}

fn notification(e: &InputError) -> Notification<'_> {
    Notification {
        level: "error",
        message: Text {
            text: super::escape::markdown_prose(&e.message, false).into(),
        },
        locations: at(&e.file, e.line, e.column).into_iter().collect(),
    }
}

/// An expired or unused waiver: it does not fail the run, but someone has to act on it.
fn waiver_notification(w: &WaiverStatus) -> Option<Notification<'static>> {
    let what = match w.status {
        waiver::Status::Active => return None,
        waiver::Status::Expired => format!(
            "waiver for {} expired on {}: it no longer waives ({} finding{} reported again; owner: {})",
            w.rule,
            w.expires,
            w.matched,
            if w.matched == 1 { "" } else { "s" },
            w.owner
        ),
        waiver::Status::Unused => format!(
            "waiver for {} is unused: no finding matched it (owner: {})",
            w.rule, w.owner
        ),
    };
    Some(Notification {
        level: "warning",
        message: Text {
            text: super::escape::markdown_prose(&what, false).into(),
        },
        locations: at(&w.file, w.line, w.column).into_iter().collect(),
    })
}

/// The SARIF log for `report`, whose findings `rules` produced. Pretty-printed with a
/// trailing newline.
pub fn render(report: &Report, rules: &RuleSet) -> String {
    let mut s = serde_json::to_string_pretty(&log(report, rules)).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    s.push('\n');
    s
}

/// [`render`], written into `out` as it is serialized.
pub fn write(report: &Report, rules: &RuleSet, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &log(report, rules))?;
    out.write_all(b"\n")
}

fn log<'a>(report: &'a Report, rules: &'a RuleSet) -> Log<'a> {
    let index: HashMap<&str, usize> = rules.rules.keys().enumerate().map(|(i, id)| (id.as_str(), i)).collect();
    // findings that agree on rule, file, resource and field path (several keys found in
    // one source file) are told apart by their order among all findings, waived ones
    // included, so that a waiver coming or going does not renumber the others
    let mut all: Vec<(&Finding, bool)> = report
        .findings
        .iter()
        .map(|f| (f, false))
        .chain(report.waived.iter().map(|w| (&w.finding, true)))
        .collect();
    all.sort_by(|a, b| a.0.sort_key().cmp(&b.0.sort_key()));
    let mut seen: HashMap<String, usize> = HashMap::new();
    let results = all
        .into_iter()
        .filter_map(|(f, waived)| {
            let fingerprint = f.fingerprint();
            let n = seen.entry(fingerprint.clone()).or_insert(0);
            *n += 1;
            if waived {
                return None;
            }
            Some(SarifResult {
                rule_id: &f.rule,
                rule_index: index.get(f.rule.as_str()).copied(),
                level: level(f.severity),
                // GitHub renders `[text](target)` in message text: escaped as Markdown
                message: Text {
                    text: super::escape::markdown_prose(&f.message, false).into(),
                },
                locations: [location(f)],
                partial_fingerprints: BTreeMap::from([(FINGERPRINT_KEY, format!("{fingerprint}:{n}"))]),
                baseline_state: report
                    .baseline
                    .as_ref()
                    .map(|_| if f.baseline { "unchanged" } else { "new" }),
                properties: ResultProperties {
                    severity: f.severity,
                    category: &f.category,
                    confidence: f.confidence,
                    checklist: &f.checklist,
                },
            })
        })
        .collect();
    Log {
        schema: SCHEMA_URI,
        version: "2.1.0",
        runs: [Run {
            tool: ToolComponent {
                driver: Driver {
                    name: report.tool.name,
                    version: report.tool.version,
                    semantic_version: report.tool.version,
                    rules: rules.rules.values().map(descriptor).collect(),
                },
            },
            invocations: [Invocation {
                // the run went on past every input error and reports all it could read;
                // GitHub discards the whole upload of an unsuccessful execution
                execution_successful: true,
                exit_code: report.exit_code(),
                tool_execution_notifications: report.errors.iter().map(notification).collect(),
                tool_configuration_notifications: report.waivers.iter().filter_map(waiver_notification).collect(),
            }],
            column_kind: "unicodeCodePoints",
            results,
            properties: RunProperties {
                now: &report.now,
                roots: &report.roots,
                fail_on: report.summary.fail_on,
                waived: report.waived.len(),
            },
        }],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_relative_with_slashes_and_encoded() {
        let a = artifact("deploy/my app/x:1.yaml").unwrap();
        assert_eq!(a.uri, "deploy/my%20app/x%3A1.yaml");
        assert_eq!(a.uri_base_id, Some(SRCROOT));
        assert_eq!(artifact("./a\\b.yaml").unwrap().uri, "a/b.yaml");
        let abs = artifact("/tmp/x y.yaml").unwrap();
        assert_eq!((abs.uri.as_str(), abs.uri_base_id), ("file:///tmp/x%20y.yaml", None));
        assert_eq!(artifact("C:\\k8s\\a.yaml").unwrap().uri, "file:///C:/k8s/a.yaml");
        assert!(artifact(crate::base::source::STDIN).is_none());
        assert_eq!(artifact("é.yaml").unwrap().uri, "%C3%A9.yaml");
    }

    #[test]
    fn names_and_bands() {
        assert_eq!(
            pascal_case("API key literal in a container's env"),
            "APIKeyLiteralInAContainerSEnv"
        );
        assert_eq!(security_severity(Severity::Critical), "9.5");
        assert_eq!(level(Severity::Medium), "warning");
        assert_eq!(level(Severity::Info), "note");
    }
}
