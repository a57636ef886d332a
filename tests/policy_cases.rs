//! Runs every case folder under tests/cases (input files + expected.yaml) and checks that
//! each built-in rule has a case where it fires and a case where it must not.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use compliance::casetest;
use std::collections::BTreeSet;
use std::path::Path;

#[test]
fn every_case_passes() {
    let cases = casetest::discover(Path::new("tests/cases"));
    assert!(!cases.is_empty(), "no cases found under tests/cases");
    let failures: Vec<String> = cases
        .iter()
        .map(|c| casetest::run_case(c, &[]))
        .filter_map(|r| r.failure.map(|f| format!("{}:{f}", r.name)))
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn every_built_in_rule_fires_somewhere_and_is_held_back_somewhere() {
    let rules = compliance::policy::load(&[]).unwrap();
    let mut fired = BTreeSet::new();
    let mut held = BTreeSet::new();
    for case in casetest::discover(Path::new("tests/cases")) {
        let text = std::fs::read_to_string(case.join(casetest::EXPECTED)).unwrap();
        let e: casetest::Expected = serde_yaml::from_str(&text).unwrap();
        fired.extend(e.findings.into_iter().map(|f| f.rule));
        held.extend(e.absent);
    }
    // rules whose firing input cannot be a plain folder, with the test that covers them
    let covered_elsewhere = [("SRC-009", "tests/repo.rs: needs a real git repository")];
    fired.extend(covered_elsewhere.iter().map(|(id, _)| id.to_string()));
    let ids: BTreeSet<String> = rules.rules.keys().cloned().collect();
    let no_fire: Vec<_> = ids.difference(&fired).collect();
    let no_pass: Vec<_> = ids.difference(&held).collect();
    assert!(no_fire.is_empty(), "rules with no firing case: {no_fire:?}");
    assert!(no_pass.is_empty(), "rules with no passing case: {no_pass:?}");
}

#[test]
fn every_checklist_control_has_a_passing_a_failing_and_a_no_evidence_case() {
    use std::collections::BTreeMap;
    let mut seen: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for case in casetest::discover(Path::new("tests/cases")) {
        let text = std::fs::read_to_string(case.join(casetest::EXPECTED)).unwrap();
        let e: casetest::Expected = serde_yaml::from_str(&text).unwrap();
        for (id, status) in e.checklist {
            seen.entry(id).or_default().insert(status);
        }
    }
    let mut gaps = Vec::new();
    for (id, _, _) in compliance::checklist::CONTROLS {
        for status in ["pass", "fail", "no-evidence"] {
            if !seen.get(*id).is_some_and(|s| s.contains(status)) {
                gaps.push(format!("{id}: {status}"));
            }
        }
    }
    assert!(gaps.is_empty(), "controls without a case for: {gaps:?}");
}
