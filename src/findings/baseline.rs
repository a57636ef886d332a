//! Baselines: the findings a team accepted when adopting the tool, by fingerprint
//! ([`Finding::fingerprint`]: rule, file, resource, field path — not the line).
//! `compliance baseline` writes one; `compliance check --baseline FILE` then fails only on
//! findings that are not in it, and counts the entries that were fixed.

use crate::base::error::{Error, Result};
use crate::base::finding::Finding;
pub use crate::findings::outcome::BaselineSummary as Summary;
use crate::findings::outcome::Report;
use crate::findings::waiver::Waived;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::path::Path;

/// The `format` of baseline files this version writes and reads.
pub const FORMAT: &str = "compliance-baseline/v1";

/// One recorded finding. Only `fingerprint` is compared; the rest is for people reading
/// the file (and reviewing its diff).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Entry {
    pub fingerprint: String,
    #[serde(default)]
    pub rule: String,
    #[serde(default)]
    pub file: String,
    #[serde(default)]
    pub resource: String,
    #[serde(default)]
    pub path: String,
}

#[derive(Debug, Clone, Serialize)]
struct ToolRef<'a> {
    name: &'a str,
    version: &'a str,
}

#[derive(Debug, Clone, Serialize)]
struct FileOut<'a> {
    format: &'static str,
    tool: ToolRef<'a>,
    now: &'a str,
    roots: &'a [String],
    findings: Vec<Entry>,
}

/// The baseline file for a report: its findings' fingerprints, sorted and unique, as
/// pretty JSON with a trailing newline. Waived findings are not recorded (their waiver
/// covers them, and when it expires they are new).
pub fn render(report: &Report) -> String {
    let entries: BTreeSet<Entry> = report
        .findings
        .iter()
        .map(|f| Entry {
            fingerprint: f.fingerprint(),
            rule: f.rule.clone(),
            file: f.file.clone(),
            resource: f.resource.clone(),
            path: f.path.clone(),
        })
        .collect();
    // one entry per fingerprint (two findings can share one only if they share every part)
    let mut seen = BTreeSet::new();
    let findings = entries
        .into_iter()
        .filter(|e| seen.insert(e.fingerprint.clone()))
        .collect();
    let out = FileOut {
        format: FORMAT,
        tool: ToolRef {
            name: report.tool.name,
            version: report.tool.version,
        },
        now: &report.now,
        roots: &report.roots,
        findings,
    };
    let mut s = serde_json::to_string_pretty(&out).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    s.push('\n');
    s
}

/// A baseline, read.
#[derive(Debug, Clone)]
pub struct Baseline {
    /// The file, as given.
    pub file: String,
    pub fingerprints: BTreeSet<String>,
}

#[derive(Deserialize)]
struct FileIn {
    format: Option<String>,
    findings: Vec<serde_json::Value>,
}

/// The largest baseline read (a baseline of 100,000 findings is about 30 MiB).
const MAX_BYTES: u64 = 64 * 1024 * 1024;

/// Reads a baseline file. Anything but a baseline this tool wrote is an error with a
/// message that says what is wrong.
pub fn read(path: &Path) -> Result<Baseline> {
    let file = path.display().to_string();
    let bad = |message: String| Error::Baseline {
        file: file.clone(),
        message,
    };
    let bytes = match crate::input::guard::read_file(path, MAX_BYTES) {
        Ok(crate::input::guard::Contents::Bytes(b)) => b,
        Ok(crate::input::guard::Contents::TooLarge(n)) => {
            return Err(bad(format!("{n} bytes, over the {MAX_BYTES}-byte limit: not read")))
        }
        Ok(crate::input::guard::Contents::NotAFile) => return Err(bad("not a regular file".to_string())),
        Err(e) => return Err(bad(format!("cannot read: {e}"))),
    };
    let text = String::from_utf8(bytes).map_err(|_| bad("not UTF-8 text".to_string()))?;
    parse(&file, &text)
}

/// Parses a baseline's text; `file` names it in errors.
pub fn parse(file: &str, text: &str) -> Result<Baseline> {
    let bad = |message: String| Error::Baseline {
        file: file.to_string(),
        message,
    };
    const HINT: &str = "expected a file written by `compliance baseline`";
    // serde quotes the value it did not expect: it may be a key
    let parsed: FileIn =
        serde_json::from_str(text).map_err(|e| bad(crate::secrets::redact::redact_text(&format!("{e}: {HINT}"))))?;
    if let Some(f) = parsed.format.as_deref().filter(|f| *f != FORMAT) {
        return Err(bad(format!("unknown format `{f}`: this version reads `{FORMAT}`")));
    }
    let mut fingerprints = BTreeSet::new();
    for (i, v) in parsed.findings.iter().enumerate() {
        let fp = v
            .get("fingerprint")
            .and_then(|f| f.as_str())
            .ok_or_else(|| bad(format!("findings[{i}] has no `fingerprint` string: {HINT}")))?;
        if fp.len() != 32 || !fp.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
            return Err(bad(format!(
                "findings[{i}].fingerprint is not 32 lowercase hex digits: {HINT}"
            )));
        }
        fingerprints.insert(fp.to_string());
    }
    Ok(Baseline {
        file: file.to_string(),
        fingerprints,
    })
}

/// The last step of a check: every field of `report` masked once, at the output boundary
/// (so that every format, the baseline file and the fingerprints' inputs agree), then
/// compared with `baseline`, then judged.
pub fn settle(report: &mut Report, baseline: Option<&Baseline>) {
    crate::findings::fields::mask(report);
    if let Some(b) = baseline {
        b.compare(report);
    }
    report.judge();
}

impl Baseline {
    /// Compares `report`'s findings with this baseline (see [`Baseline::apply`]).
    pub fn compare(&self, report: &mut Report) {
        report.baseline = Some(self.apply(&mut report.findings, &report.waived));
    }

    /// Marks the findings in the baseline and counts. A baseline entry whose finding is
    /// now waived is not counted as fixed: the finding is still there.
    pub fn apply(&self, findings: &mut [Finding], waived: &[Waived]) -> Summary {
        let mut present = BTreeSet::new();
        let (mut matched, mut new) = (0, 0);
        for f in findings.iter_mut() {
            let fp = f.fingerprint();
            f.baseline = self.fingerprints.contains(&fp);
            if f.baseline {
                matched += 1;
            } else {
                new += 1;
            }
            present.insert(fp);
        }
        present.extend(waived.iter().map(|w| w.finding.fingerprint()));
        Summary {
            file: self.file.clone(),
            entries: self.fingerprints.len(),
            matched,
            new,
            fixed: self.fingerprints.difference(&present).count(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_baselines_are_errors_that_say_why() {
        let e = parse("b.json", "not json").unwrap_err().to_string();
        assert!(e.contains("b.json") && e.contains("compliance baseline"), "{e}");
        let e = parse("b.json", r#"{"findings": [{"rule": "X"}]}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("findings[0] has no `fingerprint`"), "{e}");
        let e = parse("b.json", r#"{"findings": [{"fingerprint": "abc"}]}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("32 lowercase hex"), "{e}");
        let e = parse("b.json", r#"{"format": "other/v9", "findings": []}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown format"), "{e}");
        let ok = parse(
            "b.json",
            r#"{"findings": [{"fingerprint": "0123456789abcdef0123456789abcdef"}]}"#,
        )
        .unwrap();
        assert_eq!(ok.fingerprints.len(), 1);
    }
}
