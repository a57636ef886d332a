//! Baselines end to end: record the shipped example, then check a modified copy (one
//! violation fixed, one new, lines shifted) — only the new finding fails the run.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;
use std::path::Path;

const NOW: &str = "2026-11-24T00:00:00Z";

fn compliance() -> Command {
    Command::cargo_bin("compliance").unwrap()
}

fn record(dir: &Path, out: &Path) {
    compliance()
        .arg("baseline")
        .arg(dir)
        .arg("-o")
        .arg(out)
        .args(["--now", NOW])
        .assert()
        .code(0)
        .stderr(predicate::str::contains("baseline: 23 findings recorded in"));
}

/// A copy of examples/deploy with RET-004 fixed (the prompts rule gets a reason), a new
/// TLS-004 (the backend turns certificate checks off), and every frontend line moved down.
fn modified_example(into: &Path) {
    for entry in std::fs::read_dir("examples/deploy").unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), into.join(entry.file_name())).unwrap();
    }
    let edit = |name: &str, from: &str, to: &str| {
        let p = into.join(name);
        let text = std::fs::read_to_string(&p).unwrap();
        assert!(text.contains(from), "{name} no longer contains {from:?}");
        std::fs::write(&p, text.replacen(from, to, 1)).unwrap();
    };
    edit(
        "retention.yaml",
        "  - dataType: prompts\n    retentionDays: 30\n",
        "  - dataType: prompts\n    retentionDays: 30\n    reason: Debugging\n",
    );
    edit(
        "backend.yaml",
        "            - name: LOG_LEVEL\n              value: info\n",
        "            - name: LOG_LEVEL\n              value: info\n            - name: NODE_TLS_REJECT_UNAUTHORIZED\n              value: \"0\"\n",
    );
    let front = into.join("frontend.yaml");
    let text = std::fs::read_to_string(&front).unwrap();
    std::fs::write(&front, format!("# moved\n# down\n# three lines\n{text}")).unwrap();
}

#[test]
fn only_findings_missing_from_the_baseline_fail_and_fixed_entries_are_counted() {
    let tmp = tempfile::tempdir().unwrap();
    let baseline = tmp.path().join("baseline.json");
    record(Path::new("examples/deploy"), &baseline);
    let work = tmp.path().join("deploy");
    std::fs::create_dir(&work).unwrap();
    modified_example(&work);

    let out = compliance()
        .arg("check")
        .arg(&work)
        .arg("--baseline")
        .arg(&baseline)
        .args(["--format", "json", "--now", NOW])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    let b = &r["baseline"];
    assert_eq!(b["file"], baseline.to_str().unwrap());
    assert_eq!(
        (
            b["entries"].as_u64(),
            b["matched"].as_u64(),
            b["new"].as_u64(),
            b["fixed"].as_u64()
        ),
        (Some(23), Some(22), Some(1), Some(1)),
        "{b:#}"
    );
    let findings = r["findings"].as_array().unwrap();
    // baseline findings are still listed, marked; the new one is not
    assert_eq!(findings.len(), 23);
    let new: Vec<String> = findings
        .iter()
        .filter(|f| f.get("baseline").is_none())
        .map(|f| {
            format!(
                "{} {} {}",
                f["rule"].as_str().unwrap(),
                f["file"].as_str().unwrap(),
                f["resource"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(new, ["TLS-004 backend.yaml Deployment chat/chat-backend"]);
    assert!(findings
        .iter()
        .filter(|f| f.get("baseline").is_some())
        .all(|f| f["baseline"] == true));
    assert!(findings.iter().all(|f| f["rule"] != "RET-004"), "RET-004 was fixed");
    assert_eq!(r["summary"]["failed"], true);

    // the new finding is high: below a critical threshold, the run passes
    compliance()
        .arg("check")
        .arg(&work)
        .arg("--baseline")
        .arg(&baseline)
        .args(["--now", NOW, "--fail-on", "critical"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains(format!(
            "baseline {}: 1 new, 22 in the baseline, 1 of 23 entries fixed.",
            baseline.display()
        )))
        .stdout(predicate::str::contains(
            "critical SEC-001: API key literal in a container environment variable (in baseline)",
        ));

    // the unmodified example against its own baseline: nothing new, nothing fails
    compliance()
        .args(["check", "examples/deploy", "--now", NOW, "--baseline"])
        .arg(&baseline)
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "0 new, 23 in the baseline, 0 of 23 entries fixed.",
        ));
}

#[test]
fn baseline_files_are_sorted_and_identical_between_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a.json"), tmp.path().join("b.json"));
    record(Path::new("examples/deploy"), &a);
    record(Path::new("examples/deploy"), &b);
    let text = std::fs::read_to_string(&a).unwrap();
    assert_eq!(text, std::fs::read_to_string(&b).unwrap());
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["format"], "compliance-baseline/v1");
    assert_eq!(v["tool"]["name"], "compliance");
    assert_eq!(v["now"], NOW);
    let entries = v["findings"].as_array().unwrap();
    assert_eq!(entries.len(), 23);
    let fps: Vec<&str> = entries.iter().map(|e| e["fingerprint"].as_str().unwrap()).collect();
    let mut sorted = fps.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(fps, sorted);
    let sec = entries.iter().find(|e| e["rule"] == "SEC-001").unwrap();
    assert_eq!(sec["file"], "frontend.yaml");
    assert_eq!(sec["resource"], "Deployment chat/chat-frontend");
    assert_eq!(sec["path"], "spec.template.spec.containers[0].env[0].value");
}

#[test]
fn waived_findings_are_not_recorded_in_the_baseline() {
    let tmp = tempfile::tempdir().unwrap();
    let waivers = tmp.path().join("w.yaml");
    std::fs::write(
        &waivers,
        "apiVersion: compliance/v1alpha1\nkind: Waivers\nwaivers:\n  - rule: SEC-001\n    selector: {file: frontend.yaml}\n    reason: Rotating this week\n    owner: team-chat\n    expires: 2026-11-30\n",
    )
    .unwrap();
    let out = tmp.path().join("b.json");
    compliance()
        .args(["baseline", "examples/deploy", "--now", NOW, "--waivers"])
        .arg(&waivers)
        .arg("-o")
        .arg(&out)
        .assert()
        .code(0)
        .stderr(predicate::str::contains("22 findings recorded"));
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert!(v["findings"].as_array().unwrap().iter().all(|e| e["rule"] != "SEC-001"));
}

#[test]
fn a_malformed_baseline_is_a_usage_error() {
    let tmp = tempfile::tempdir().unwrap();
    for (text, says) in [
        ("not json", "expected a file written by `compliance baseline`"),
        (
            "{\"findings\": [{\"rule\": \"SEC-001\"}]}",
            "findings[0] has no `fingerprint`",
        ),
        (
            "{\"format\": \"other/v2\", \"findings\": []}",
            "unknown format `other/v2`",
        ),
    ] {
        let p = tmp.path().join("b.json");
        std::fs::write(&p, text).unwrap();
        compliance()
            .args(["check", "examples/deploy", "--now", NOW, "--baseline"])
            .arg(&p)
            .assert()
            .code(2)
            .stdout(predicate::str::is_empty())
            .stderr(predicate::str::contains("error: invalid baseline"))
            .stderr(predicate::str::contains(says));
    }
    compliance()
        .args(["check", "examples/deploy", "--now", NOW, "--baseline"])
        .arg(tmp.path().join("missing.json"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot read"));
}

#[test]
fn no_baseline_is_written_when_inputs_have_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("b.json");
    compliance()
        .args(["baseline", "tests/fixtures/bad", "--now", NOW, "-o"])
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("baseline not written"));
    assert!(!out.exists());
}
