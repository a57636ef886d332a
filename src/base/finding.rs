//! What a check produces: findings, input errors, and their order.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Critical,
    High,
    Medium,
    Low,
    Info,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
            Severity::Info => "info",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        Severity::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// Is this at least as severe as `threshold`?
    pub fn at_least(self, threshold: Severity) -> bool {
        self <= threshold
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

/// How sure a finding is that the matched value is what the rule is about (a real key, a
/// real call). Only findings about credentials and source-scanner findings can be below
/// `high`; a finding's severity is its rule's severity at `high`, one level lower at
/// `medium`, two levels lower at `low` (never below `low`). See README, "Confidence".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    #[default]
    High,
    Medium,
    Low,
}

impl Confidence {
    pub fn parse(s: &str) -> Confidence {
        match s {
            "medium" => Confidence::Medium,
            "low" => Confidence::Low,
            _ => Confidence::High,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::High => "high",
            Confidence::Medium => "medium",
            Confidence::Low => "low",
        }
    }

    /// The severity of a finding of a rule of severity `rule` at this confidence.
    pub fn adjust(self, rule: Severity) -> Severity {
        let steps = self as usize;
        if rule >= Severity::Low {
            return rule;
        }
        let i = Severity::ALL.iter().position(|s| *s == rule).unwrap_or(0);
        Severity::ALL[(i + steps).min(3)]
    }
}

/// One violated rule at one field. Field order is the JSON contract's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub rule: String,
    pub severity: Severity,
    pub title: String,
    pub message: String,
    pub file: String,
    pub line: u32,
    pub column: u32,
    pub path: String,
    pub resource: String,
    pub remediation: String,
    pub checklist: Vec<String>,
    pub category: String,
    /// `high`, `medium` or `low`: see [`Confidence`].
    pub confidence: Confidence,
    /// In the `--baseline` file: listed, but does not fail the run. Serialized only when true.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub baseline: bool,
    /// For an object rendered from a Helm chart or a Kustomize overlay: by what, from where.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rendered: Option<Box<Provenance>>,
    /// What tells apart findings that share rule, file, resource and path: for the source
    /// scanner, a digest of the line's text (so that moving the line keeps the identity and
    /// two keys in one file stay two findings). Not reported.
    #[serde(skip)]
    pub identity: String,
    /// The checked Kubernetes object the finding is about (an index into
    /// [`crate::report::Report::objects`]); `None` for a source file or a derived entity.
    /// Not reported.
    #[serde(skip)]
    pub object: Option<usize>,
}

impl Finding {
    /// A stable identity for baselines and SARIF `partialFingerprints`: the rule, the file,
    /// the resource, the field path and [`Finding::identity`] — not the line, so that editing lines above a
    /// finding does not make it new. SHA-256, hex, first 32 characters.
    pub fn fingerprint(&self) -> String {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        for part in [&self.rule, &self.file, &self.resource, &self.path, &self.identity] {
            h.update(part.as_bytes());
            h.update([0u8]);
        }
        h.finalize().iter().take(16).map(|b| format!("{b:02x}")).collect()
    }

    /// The report order: by file, position, rule, then field path.
    pub fn sort_key(&self) -> (&str, u32, u32, &str, &str) {
        (&self.file, self.line, self.column, &self.rule, &self.path)
    }
}

/// A file or document that could not be read or understood. The run goes on without it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct InputError {
    pub file: String,
    pub line: Option<u32>,
    pub column: Option<u32>,
    pub message: String,
}

impl InputError {
    pub fn new(file: &str, pos: Option<crate::base::source::Pos>, message: impl Into<String>) -> Self {
        InputError {
            file: file.to_string(),
            line: pos.map(|p| p.line),
            column: pos.map(|p| p.column),
            message: crate::secrets::redact::redact_text(&message.into()),
        }
    }
}

/// Where rendered objects came from: a finding's `rendered` field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Provenance {
    /// `helm` or `kustomize`.
    pub by: String,
    /// The chart folder (helm), relative to the checked folder; `.` for the folder itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chart: Option<String>,
    /// The kustomization folder (kustomize).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kustomization: Option<String>,
    /// `--helm-values` files, as given.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
    /// The keys `--helm-set` set (never their values).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub set: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub release: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

/// A file the check did not read, and why.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct Skipped {
    pub file: String,
    pub reason: String,
}
