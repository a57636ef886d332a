//! Real files from public repositories (tests/fixtures/real-*/SOURCES.md): manifests that
//! kubectl reads as YAML 1.1 load and are checked; configuration files that are not
//! manifests (JSON with comments) are never input errors.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use assert_cmd::Command;
use serde_json::Value;

const NOW: &str = "2026-11-24T00:00:00Z";

fn check(dir: &str) -> (Value, i32) {
    let out = Command::cargo_bin("compliance")
        .unwrap()
        .args(["check", dir, "--no-git", "--format", "json", "--now", NOW])
        .output()
        .unwrap();
    (serde_json::from_slice(&out.stdout).unwrap(), out.status.code().unwrap())
}

fn findings_in<'r>(r: &'r Value, file: &str) -> Vec<(&'r str, &'r str, u64)> {
    r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["file"] == file)
        .map(|f| {
            (
                f["rule"].as_str().unwrap(),
                f["path"].as_str().unwrap(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn octal_default_modes_and_empty_config_map_entries_load_and_their_workloads_are_checked() {
    let (r, code) = check("tests/fixtures/real-yaml11");
    assert_eq!(r["errors"], serde_json::json!([]), "{:#}", r["errors"]);
    // high findings on the workloads: exit 1, not 2
    assert_eq!(code, 1);
    assert_eq!(r["summary"]["resources"], 5);
    // `defaultMode: 0400` / `0755` / `0600` no longer leave the workload unchecked
    for (file, container_path, line) in [
        ("job-2b.yaml", "spec.template.spec.containers[0]", 50),
        ("redis-cluster.yaml", "spec.template.spec.containers[0]", 47),
        ("client-mtls.yaml", "spec.containers[0]", 24),
    ] {
        let got = findings_in(&r, file);
        let want = format!("{container_path}.securityContext.allowPrivilegeEscalation");
        assert!(
            got.iter().any(|f| f.0 == "K8S-003" && f.1 == want && f.2 == line),
            "{file}: {got:?}"
        );
    }
    // the ConfigMap with `redis.db:` (no value) is read: its entries are judged
    let cm = findings_in(&r, "argocd-cmd-params-cm.yaml");
    assert_eq!(cm, [("TLS-005", "data[\"otlp.insecure\"]", 30)]);
}

#[test]
fn json_with_comments_and_trailing_commas_is_not_an_input_error() {
    let (r, code) = check("tests/fixtures/real-not-manifests");
    assert_eq!(r["errors"], serde_json::json!([]), "{:#}", r["errors"]);
    assert_eq!(code, 0);
    // read as text by the source scanner, like any other file
    assert_eq!(r["summary"]["files"], 4, "{}", r["summary"]);
    assert_eq!(r["summary"]["resources"], 0);
}

#[test]
fn a_broken_manifest_is_still_an_input_error_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    // a real mistake from kubernetes-engine-samples (infw-gw getting-started): `kind`
    // indented under `apiVersion`
    std::fs::write(
        dir.path().join("deploy.yaml"),
        "apiVersion: apps/v1\n    kind: Deployment\n    metadata:\n      name: x\n",
    )
    .unwrap();
    // and tool configurations that do not parse: not errors
    std::fs::write(dir.path().join("tsconfig.json"), "{\n  // comment\n  \"a\": 1,\n}\n").unwrap();
    std::fs::write(dir.path().join("compose.yml"), "services:\n  web:\n image: x\n  bad\n").unwrap();
    let (r, code) = check(dir.path().to_str().unwrap());
    assert_eq!(code, 2);
    let errors = r["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!(errors[0]["file"], "deploy.yaml");
    assert_eq!(errors[0]["line"], 2);
}

#[test]
fn values_kubectl_rejects_are_explained_without_the_secret() {
    let dir = tempfile::tempdir().unwrap();
    let secret = "shhhh! it's a GitHub secret";
    std::fs::write(
        dir.path().join("s.yaml"),
        format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\ndata:\n  token: {secret}\n---\n\
             apiVersion: v1\nkind: Secret\nmetadata:\n  name: t\nstringData:\n  appId: 1\n  enabled: yes\n"
        ),
    )
    .unwrap();
    let (r, code) = check(dir.path().to_str().unwrap());
    assert_eq!(code, 2);
    let text = r["errors"].to_string();
    assert!(!text.contains("shhhh"), "{text}");
    let messages: Vec<(u64, &str)> = r["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["line"].as_u64().unwrap(), e["message"].as_str().unwrap()))
        .collect();
    assert_eq!(messages.len(), 2, "{messages:#?}");
    assert_eq!(messages[0].0, 6);
    assert!(
        messages[0].1.contains("`data.token`: not valid base64") && messages[0].1.contains("`stringData`"),
        "{messages:?}"
    );
    assert_eq!(messages[1].0, 13);
    assert!(
        messages[1]
            .1
            .contains("`stringData.appId`: expected a string, found a number"),
        "{messages:?}"
    );
}
