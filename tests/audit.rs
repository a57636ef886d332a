//! The evidence-grade report: digests that follow the inputs byte for byte, and an HTML
//! report that a real browser loads.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use assert_cmd::Command;
use serde_json::Value;
use std::path::Path;

fn report(dir: &Path) -> Value {
    let out = Command::cargo_bin("compliance")
        .unwrap()
        .arg("check")
        .arg(dir)
        .args(["--format", "json", "--now", "2026-11-24T00:00:00Z"])
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout).unwrap()
}

fn copy_example(to: &Path) {
    for e in std::fs::read_dir("examples/deploy").unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

#[test]
fn digests_change_with_one_byte_and_only_then() {
    let d = tempfile::tempdir().unwrap();
    copy_example(d.path());
    let a = report(d.path());
    let b = report(d.path());
    assert_eq!(a["audit"], b["audit"], "same bytes, same trail");
    let inputs = a["audit"]["inputs"].as_array().unwrap();
    assert_eq!(inputs.len(), 10);
    assert!(inputs.iter().all(|i| i["sha256"].as_str().unwrap().len() == 64));
    // one byte: a space becomes a tab in a comment-free spot of one file
    let f = d.path().join("service.yaml");
    let text = std::fs::read_to_string(&f).unwrap();
    std::fs::write(&f, text.replacen("name: chat-backend", "name: chat-backenD", 1)).unwrap();
    let c = report(d.path());
    let digest = |r: &Value, name: &str| {
        r["audit"]["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["file"] == name)
            .unwrap()["sha256"]
            .clone()
    };
    assert_ne!(digest(&a, "service.yaml"), digest(&c, "service.yaml"));
    for other in ["api-keys.yaml", "backend.yaml", "ingress.yaml"] {
        assert_eq!(digest(&a, other), digest(&c, other), "{other}");
    }
    assert_eq!(a["audit"]["policySetSha256"], c["audit"]["policySetSha256"]);
}

#[test]
fn the_policy_digest_follows_the_effective_rule_set() {
    let d = tempfile::tempdir().unwrap();
    copy_example(d.path());
    let base = report(d.path());
    let policies = tempfile::tempdir().unwrap();
    std::fs::write(
        policies.path().join("k.cedar"),
        "@id(\"K8S-004\")\n@title(\"Writable root filesystem\")\n@severity(\"high\")\n@remediation(\"r\")\nforbid (principal, action, resource is Container) when { !resource.readOnlyRootFilesystem };\n",
    )
    .unwrap();
    let out = Command::cargo_bin("compliance")
        .unwrap()
        .arg("check")
        .arg(d.path())
        .args(["--format", "json", "--now", "2026-11-24T00:00:00Z", "--policies"])
        .arg(policies.path())
        .output()
        .unwrap();
    let custom: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_ne!(base["audit"]["policySetSha256"], custom["audit"]["policySetSha256"]);
    assert_eq!(
        base["audit"]["rules"], custom["audit"]["rules"],
        "an override replaces, it does not add"
    );
}

#[test]
fn the_html_report_loads_in_a_real_browser_where_one_is_installed() {
    let Some(browser) = ["chromium", "chromium-browser", "google-chrome"].into_iter().find(|b| {
        std::process::Command::new(b)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    }) else {
        eprintln!("no Chromium on this machine: browser check not run (.ci/run installs it)");
        return;
    };
    let d = tempfile::tempdir().unwrap();
    let html = d.path().join("report.html");
    Command::cargo_bin("compliance")
        .unwrap()
        .args([
            "check",
            "examples/deploy",
            "--now",
            "2026-11-24T00:00:00Z",
            "--format",
            "html",
            "--output",
        ])
        .arg(&html)
        .assert()
        .code(1);
    let profile = d.path().join("profile");
    let out = std::process::Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("file://{}", html.display()))
        .output()
        .unwrap();
    let dom = String::from_utf8_lossy(&out.stdout);
    assert!(dom.contains("<h1>Compliance report</h1>"), "{dom:.400}");
    assert!(dom.contains("id=\"control-LIVE-01\""));
    assert!(dom.contains("<svg class=\"chart\""));
    assert!(dom.contains("Audit trail"));
}
