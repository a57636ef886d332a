//! Output amplification: one file can break one rule tens of thousands of times (a
//! Deployment with 60,000 env vars, each holding a key). The reports list at most
//! `--max-findings-per-rule` findings of a rule in a file, then one entry saying how many
//! more there are; the summary counts them (`summary.omitted`). The exit status, the
//! severity totals, the checklist and the baseline are computed from every finding before
//! the cut, so that nothing passes because it was not listed.

use super::Report;
use crate::base::finding::Finding;
use std::collections::HashMap;

/// The findings of one rule listed per file by default (`--max-findings-per-rule`).
pub const DEFAULT_PER_FILE_AND_RULE: usize = 100;

/// The `identity` of an "and N more" entry, so that its fingerprint is its own.
pub const OMITTED_IDENTITY: &str = "compliance:omitted";

/// Keeps, in report order, the first `max` findings of each (file, rule) and puts one
/// "…and N more" entry after the last one kept; sets `summary.omitted` and
/// `summary.maxFindingsPerRule`. `max == 0` lists everything.
pub fn apply(report: &mut Report, max: usize) {
    report.summary.max_findings_per_rule = (max > 0).then_some(max);
    if max == 0 {
        return;
    }
    let mut per: HashMap<(String, String), usize> = HashMap::new();
    for f in &report.findings {
        *per.entry((f.file.clone(), f.rule.clone())).or_default() += 1;
    }
    if per.values().all(|&n| n <= max) {
        return;
    }
    let mut seen: HashMap<(String, String), usize> = HashMap::new();
    let mut kept = Vec::with_capacity(report.findings.len().min(per.len() * (max + 1)));
    let mut omitted = 0;
    for f in std::mem::take(&mut report.findings) {
        let key = (f.file.clone(), f.rule.clone());
        let total = per.get(&key).copied().unwrap_or(0);
        let n = seen.entry(key).or_default();
        *n += 1;
        if *n < max || total <= max {
            kept.push(f);
        } else if *n == max {
            let more = total - max;
            omitted += more;
            let entry = more_entry(&f, more, max);
            kept.push(f);
            kept.push(entry);
        }
    }
    report.findings = kept;
    report.summary.omitted = omitted;
}

/// The entry that stands for `more` findings of `last`'s rule in `last`'s file, placed
/// where the last one listed is.
fn more_entry(last: &Finding, more: usize, max: usize) -> Finding {
    let mut f = last.clone();
    f.message = format!(
        "…and {more} more finding{} of {} in this file, not listed (at most {max} per file and rule: --max-findings-per-rule)",
        if more == 1 { "" } else { "s" },
        last.rule
    );
    f.resource = format!("{more} more");
    f.path = String::new();
    f.identity = OMITTED_IDENTITY.to_string();
    f
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::finding::{Confidence, Severity};

    fn finding(file: &str, rule: &str, i: usize) -> Finding {
        Finding {
            rule: rule.to_string(),
            severity: Severity::High,
            title: "t".into(),
            message: format!("m{i}"),
            file: file.to_string(),
            line: i as u32 + 1,
            column: 1,
            path: format!("p[{i}]"),
            resource: "r".into(),
            remediation: "x".into(),
            checklist: vec![],
            category: "secrets".into(),
            confidence: Confidence::High,
            baseline: false,
            rendered: None,
            identity: String::new(),
            object: None,
        }
    }

    #[test]
    fn each_file_and_rule_is_cut_at_the_limit_with_one_more_entry() {
        let mut findings: Vec<Finding> = (0..7).map(|i| finding("a.yaml", "SEC-001", i)).collect();
        findings.extend((0..3).map(|i| finding("a.yaml", "K8S-001", i)));
        findings.extend((0..4).map(|i| finding("b.yaml", "SEC-001", i)));
        let (kept, omitted) = cut(findings, 3);
        let a_sec: Vec<&Finding> = kept
            .iter()
            .filter(|f| f.file == "a.yaml" && f.rule == "SEC-001")
            .collect();
        assert_eq!(a_sec.len(), 4);
        assert_eq!(a_sec[3].identity, OMITTED_IDENTITY);
        assert!(
            a_sec[3].message.starts_with("…and 4 more findings of SEC-001"),
            "{}",
            a_sec[3].message
        );
        // exactly at the limit: nothing added
        assert_eq!(kept.iter().filter(|f| f.rule == "K8S-001").count(), 3);
        let b: Vec<&Finding> = kept.iter().filter(|f| f.file == "b.yaml").collect();
        assert_eq!(b.len(), 4);
        assert!(b[3].message.starts_with("…and 1 more finding of"));
        assert_eq!(omitted, 4 + 1);
        // a limit of 0 lists everything
        let all: Vec<Finding> = (0..7).map(|i| finding("a.yaml", "SEC-001", i)).collect();
        assert_eq!(
            cut(all, 0),
            ((0..7).map(|i| finding("a.yaml", "SEC-001", i)).collect(), 0)
        );
    }

    fn cut(findings: Vec<Finding>, max: usize) -> (Vec<Finding>, usize) {
        let mut report = Report {
            tool: Default::default(),
            now: String::new(),
            roots: vec![],
            summary: crate::report::Summary {
                files: 0,
                skipped: 0,
                documents: 0,
                resources: 0,
                entities: 0,
                findings: findings.len(),
                errors: 0,
                waived: 0,
                by_severity: Default::default(),
                fail_on: Severity::High,
                failed: true,
                omitted: 0,
                max_findings_per_rule: None,
            },
            checklist: vec![],
            findings,
            errors: vec![],
            skipped: vec![],
            waived: vec![],
            waivers: vec![],
            baseline: None,
            pod_security: vec![],
            audit: Default::default(),
            text_max_findings: None,
            objects: vec![],
        };
        apply(&mut report, max);
        (report.findings, report.summary.omitted)
    }
}
