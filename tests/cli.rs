//! The command line, end to end: exit codes, formats, bad input.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

const NOW: &str = "2026-11-24T00:00:00Z";

fn compliance() -> Command {
    Command::cargo_bin("compliance").unwrap()
}

fn json_of(args: &[&str]) -> (Value, i32) {
    let out = compliance()
        .args(args)
        .args(["--format", "json", "--now", NOW])
        .output()
        .unwrap();
    let code = out.status.code().unwrap();
    (serde_json::from_slice(&out.stdout).unwrap(), code)
}

#[test]
fn example_fails_on_high_findings_with_exit_1() {
    compliance()
        .args(["check", "examples/deploy", "--now", NOW])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("frontend.yaml:33:15: critical SEC-001"))
        .stdout(predicate::str::contains("result: failed"));
}

#[test]
fn fail_on_threshold_decides_exit_0_or_1() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("ret.yaml"),
        "apiVersion: compliance/v1alpha1\nkind: RetentionPolicy\nmetadata: {name: r}\nrules:\n  - {dataType: api-logs, retentionDays: 30, reason: Debugging}\n  - {dataType: audit-logs, retentionDays: 365, reason: Compliance}\n  - {dataType: user-data, retentionDays: 30, reason: Business}\n",
    )
    .unwrap();
    // only RET-005 (medium) fires: below the default `high`, at `medium`
    compliance()
        .args(["check", "--now", NOW])
        .arg(dir.path())
        .assert()
        .code(0);
    compliance()
        .args(["check", "--now", NOW, "--fail-on", "medium"])
        .arg(dir.path())
        .assert()
        .code(1);
}

#[test]
fn bad_inputs_are_reported_with_file_and_line_and_the_rest_is_checked() {
    let (r, code) = json_of(&["check", "tests/fixtures/bad"]);
    assert_eq!(code, 2, "{r:#}");
    let errors: Vec<(String, Option<u64>, String)> = r["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["file"].as_str().unwrap().to_string(),
                e["line"].as_u64(),
                e["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let find = |f: &str| {
        errors
            .iter()
            .find(|e| e.0 == f)
            .unwrap_or_else(|| panic!("no error for {f}: {errors:?}"))
    };
    let t = find("truncated.yaml");
    // libyaml reports the end of the stream, and where the open quote began
    assert_eq!(t.1, Some(7), "{t:?}");
    assert!(
        t.2.starts_with("invalid YAML") && t.2.contains("quoted scalar at line 6"),
        "{t:?}"
    );
    let w = find("wrong-type.yaml");
    assert_eq!(w.1, Some(6));
    assert!(
        w.2.contains("`spec.replicas`") && w.2.contains("expected an integer"),
        "{w:?}"
    );
    let i = find("inventory.yaml");
    assert_eq!(i.1, Some(6));
    assert!(i.2.contains("`keys[0].environment`"), "{i:?}");
    let l = find("latin1.yaml");
    assert_eq!(l.1, Some(6));
    assert!(l.2.contains("not valid UTF-8"), "{l:?}");
    // an unknown kind and an empty file are not errors
    assert!(
        errors.iter().all(|e| e.0 != "unknown-kind.yaml" && e.0 != "empty.yaml"),
        "{errors:?}"
    );
    assert_eq!(errors.len(), 4, "{errors:?}");
    // the good file is still checked
    let privileged: Vec<_> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "K8S-001")
        .collect();
    assert_eq!(privileged.len(), 1);
    assert_eq!(privileged[0]["file"], "good.yaml");
    assert_eq!(privileged[0]["line"], 10);
}

#[test]
fn standard_input_is_read_for_a_dash() {
    compliance()
        .args(["check", "-", "--now", NOW, "--format", "json"])
        .write_stdin("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - name: c\n      image: x\n      securityContext: {privileged: true}\n")
        .assert()
        .code(1)
        .stdout(predicate::str::contains("\"file\": \"<stdin>\""))
        .stdout(predicate::str::contains("\"rule\": \"K8S-001\""));
}

#[test]
fn the_summary_line_says_one_resource_and_one_entity() {
    compliance()
        .args(["check", "-", "--now", NOW])
        .write_stdin(
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: reader}\nrules: []\n",
        )
        .assert()
        .stdout(predicate::str::contains(
            "in 1 file (1 resource, 1 entity examined); 0 errors.",
        ));
}

#[test]
fn exclude_globs_skip_files() {
    let (r, _) = json_of(&["check", "examples/deploy", "--exclude", "frontend.yaml"]);
    assert!(r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["file"] != "frontend.yaml"));
    assert_eq!(r["summary"]["files"], 9);
}

#[test]
fn output_file_and_formats() {
    let dir = tempfile::tempdir().unwrap();
    for (format, marker) in [
        ("markdown", "# Compliance report"),
        ("html", "<!doctype html>"),
        ("json", "\"tool\""),
    ] {
        let out = dir.path().join(format!("report.{format}"));
        compliance()
            .args(["check", "examples/deploy", "--now", NOW, "--format", format, "--output"])
            .arg(&out)
            .assert()
            .code(1)
            .stdout(predicate::str::is_empty());
        let text = std::fs::read_to_string(&out).unwrap();
        assert!(
            text.to_ascii_lowercase().contains(&marker.to_ascii_lowercase()),
            "{format}"
        );
    }
}

#[test]
fn html_report_is_self_contained() {
    let out = compliance()
        .args(["check", "examples/deploy", "--now", NOW, "--format", "html"])
        .output()
        .unwrap();
    let html = String::from_utf8(out.stdout).unwrap();
    for forbidden in ["<script src", "<link ", "http://", "https://fonts", "@import"] {
        assert!(!html.contains(forbidden), "{forbidden}");
    }
    assert!(html.contains("<style>"));
}

#[test]
fn usage_errors_exit_2() {
    compliance()
        .args(["check", "examples/deploy", "--now", "yesterday"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("`yesterday`"));
    compliance()
        .args(["check", "examples/deploy", "--exclude", "a[b"])
        .assert()
        .code(2);
    compliance().args(["check"]).assert().code(2);
    compliance()
        .args(["check", "examples/deploy", "--policies", "tests/fixtures/no-such-dir"])
        .assert()
        .code(2);
}

#[test]
fn a_broken_custom_policy_stops_the_run() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.cedar"),
        "@id(\"X-1\")\n@title(\"t\")\n@severity(\"high\")\n@remediation(\"r\")\nforbid (principal, action, resource is Container)\nwhen { resource.nosuch };\n",
    )
    .unwrap();
    compliance()
        .args(["check", "examples/deploy", "--now", NOW, "--policies"])
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("bad.cedar:6"))
        .stderr(predicate::str::contains("nosuch"));
}

#[test]
fn same_input_and_now_give_identical_bytes() {
    for format in ["json", "markdown", "html", "text"] {
        let run = || {
            compliance()
                .args(["check", "examples/deploy", "--now", NOW, "--format", format])
                .output()
                .unwrap()
                .stdout
        };
        assert_eq!(run(), run(), "{format}");
    }
}

#[test]
fn a_policy_that_errors_at_evaluation_is_reported_not_skipped() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("overflow.cedar"),
        "@id(\"CUSTOM-1\")\n@title(\"overflows\")\n@severity(\"low\")\n@remediation(\"none\")\nforbid (principal, action, resource is ApiKey)\nwhen { resource.rotationAgeDays * 9223372036854775807 > 0 };\n",
    )
    .unwrap();
    let out = compliance()
        .args([
            "check",
            "examples/deploy/api-keys.yaml",
            "--now",
            NOW,
            "--format",
            "json",
            "--policies",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    let errors = r["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 5, "one per key: {errors:#?}");
    let first = &errors[0];
    assert_eq!(first["file"], "examples/deploy/api-keys.yaml");
    assert!(first["line"].as_u64().unwrap() > 1);
    let message = first["message"].as_str().unwrap();
    assert!(
        message.contains("rule `CUSTOM-1` could not be evaluated") && message.contains("overflow"),
        "{message}"
    );
}

#[test]
fn rules_lists_every_built_in_rule() {
    let out = compliance().args(["rules", "--format", "json"]).output().unwrap();
    assert!(out.status.success());
    let rules: Value = serde_json::from_slice(&out.stdout).unwrap();
    let ids: Vec<&str> = rules
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"SEC-001") && ids.contains(&"RET-005"), "{ids:?}");
    assert!(rules.as_array().unwrap().iter().all(|r| r["source"] == "built-in"));
}

#[test]
fn the_example_application_repository_shows_each_repository_check() {
    let (r, code) = json_of(&["check", "examples/app", "--no-git"]);
    assert_eq!(code, 1);
    let got: Vec<(String, String, u64)> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().into(),
                f["file"].as_str().unwrap().into(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect();
    let want: Vec<(String, String, u64)> = [
        ("SRC-006", "backend/server.js", 20),
        ("SRC-007", "backend/server.js", 34),
        ("SRC-004", "backend/summarize.py", 11),
        ("SRC-008", "frontend/.env.local", 1),
        ("SRC-002", "frontend/.env.local", 2),
        ("SRC-003", "frontend/src/Chat.tsx", 11),
        ("SRC-002", "frontend/src/config.ts", 2),
        ("PRF-003", "security-profile.yaml", 10),
        ("PRF-004", "security-profile.yaml", 11),
        ("PRF-011", "security-profile.yaml", 14),
        ("PRF-015", "security-profile.yaml", 16),
        ("PRF-020", "security-profile.yaml", 20),
    ]
    .iter()
    .map(|(a, b, c)| (a.to_string(), b.to_string(), *c))
    .collect();
    assert_eq!(got, want);
    let statuses: Vec<(&str, &str)> = r["checklist"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["id"].as_str().unwrap(), c["status"].as_str().unwrap()))
        .collect();
    assert_eq!(statuses.len(), 16);
    assert!(
        statuses.contains(&("LIVE-01", "fail")) && statuses.contains(&("LIVE-07", "pass")),
        "{statuses:?}"
    );
    assert!(
        statuses.contains(&("LIVE-04", "no-evidence")),
        "no inventory here: {statuses:?}"
    );
}

#[test]
fn the_webhook_deployment_example_passes_its_own_check() {
    let (r, code) = json_of(&["check", "examples/webhook"]);
    assert_eq!(code, 0, "{r:#}");
    assert_eq!(r["findings"].as_array().unwrap().len(), 0, "{:#}", r["findings"]);
    assert_eq!(r["summary"]["errors"], 0);
    // every piece the issue names is there
    let kinds: Vec<String> = [
        "Namespace",
        "ServiceAccount",
        "Deployment",
        "Service",
        "PodDisruptionBudget",
        "ValidatingWebhookConfiguration",
        "Certificate",
        "Issuer",
    ]
    .iter()
    .map(|k| k.to_string())
    .collect();
    let text: String = std::fs::read_dir("examples/webhook")
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect();
    for k in kinds {
        assert!(text.contains(&format!("kind: {k}\n")), "{k} missing");
    }
    assert!(text.contains("sideEffects: None") && text.contains("matchConditions") && text.contains("timeoutSeconds"));
}

#[test]
fn confidence_lowers_the_severity_and_is_reported() {
    // litellm's kub.yaml: `LITELLM_MASTER_KEY: "sk-1234"` is a short demo value
    let (v, _) = json_of(&["check", "tests/cases/source/real-repos", "--no-git"]);
    let findings = v["findings"].as_array().unwrap();
    let master = findings
        .iter()
        .find(|f| f["rule"] == "SEC-002" && f["line"] == 25)
        .unwrap();
    assert_eq!(
        (master["severity"].as_str(), master["confidence"].as_str()),
        (Some("medium"), Some("medium"))
    );
    let url = findings
        .iter()
        .find(|f| f["rule"] == "SEC-002" && f["line"] == 27)
        .unwrap();
    assert_eq!(url["confidence"], "high");
    assert!(!url["message"].as_str().unwrap().contains("HogdJCvK89Xe"));
    assert!(findings.iter().all(|f| f["confidence"].is_string()));
}

#[test]
fn text_report_counts_per_rule_and_cuts_long_lists_after_the_totals() {
    let out = compliance()
        .args([
            "check",
            "tests/cases/source/real-repos",
            "--no-git",
            "--now",
            NOW,
            "--max-findings",
            "2",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let totals = text.find("11 findings").unwrap();
    let first = text.find("deploy/kub.yaml:5:3").unwrap();
    assert!(totals < first, "{text}");
    assert!(text.contains("by rule: SEC-002 3, "), "{text}");
    assert!(
        text.contains("... and 9 more findings not shown (--max-findings 2)"),
        "{text}"
    );
    assert!(!text.contains("server/proxy.py:20"), "{text}");
    // source findings have no field path: no empty "at ``" line
    let all = compliance()
        .args(["check", "tests/cases/source/real-repos", "--no-git", "--now", NOW])
        .output()
        .unwrap();
    let all = String::from_utf8(all.stdout).unwrap();
    assert!(all.contains("server/proxy.py:20:55"), "{all}");
    assert!(!all.contains("at `` in"), "{all}");
}
