//! Runs every case folder under tests/cases (input files + expected.yaml) and checks that
//! each built-in rule has a case where it fires and a case where it must not.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use compliance::authoring::casetest;
use compliance::authoring::runner;
use std::collections::BTreeSet;
use std::path::Path;

#[test]
fn every_case_passes() {
    // the same runner as `compliance test`, with the same rules
    let loaded = compliance::authoring::validate::load(&[]).unwrap_or_else(|f| panic!("{}", f.render(false)));
    let (summary, output) = runner::run_dir(Path::new("tests/cases"), &loaded.rules).unwrap();
    assert!(summary.passed > 0, "no cases found under tests/cases");
    assert_eq!(summary.exit_code(), 0, "{output}");
}

#[test]
fn every_built_in_rule_fires_somewhere_and_is_held_back_somewhere() {
    let rules = compliance::engine::policy::load(&[]).unwrap();
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
    for (id, _, _) in compliance::findings::checklist::CONTROLS {
        for status in ["pass", "fail", "no-evidence"] {
            if !seen.get(*id).is_some_and(|s| s.contains(status)) {
                gaps.push(format!("{id}: {status}"));
            }
        }
    }
    assert!(gaps.is_empty(), "controls without a case for: {gaps:?}");
}

/// `compliance explain` shows, for each rule, a failing and a passing example taken from
/// these cases: run each shown case and check that the rule really fires at the shown line
/// of the failing one and nowhere in the passing one.
#[test]
fn explain_examples_fire_and_hold_as_shown() {
    use compliance::authoring::cases;
    use std::collections::BTreeMap;
    let rules = compliance::engine::policy::load(&[]).unwrap();
    let all = cases::builtin().unwrap();
    let mut reports = BTreeMap::new();
    let mut report = |case: &str| {
        reports
            .entry(case.to_string())
            .or_insert_with(|| {
                let c = all.iter().find(|c| c.name == case).unwrap();
                casetest::check_case(Path::new(case), &c.expected, &rules).unwrap()
            })
            .findings
            .iter()
            .map(|f| (f.rule.clone(), f.file.clone(), f.line))
            .collect::<Vec<_>>()
    };
    let mut shown = 0;
    for id in rules.rules.keys() {
        let ex = cases::examples(id, &all);
        if let Some(f) = &ex.failing {
            let line = f.line.unwrap();
            assert!(
                f.lines.iter().any(|(n, _)| *n == line),
                "{id}: the failing example does not show its line"
            );
            let found = report(&f.case);
            assert!(
                found
                    .iter()
                    .any(|(r, file, l)| r == id && *file == f.file && *l == line),
                "{id} does not fire at {}/{}:{line}: {found:?}",
                f.case,
                f.file
            );
            shown += 1;
        } else {
            assert_eq!(id, "SRC-009", "{id} has no failing example");
        }
        let p = ex.passing.unwrap_or_else(|| panic!("{id} has no passing example"));
        assert!(!p.lines.is_empty(), "{id}: empty passing example");
        let found = report(&p.case);
        assert!(
            !found.iter().any(|(r, _, _)| r == id),
            "{id} fires in its passing example {}",
            p.case
        );
    }
    assert!(shown >= 80, "{shown}");
}
