//! Repository checks against a real temporary git repository: `.gitignore` semantics and
//! files that git tracks even though they are ignored now.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use assert_cmd::Command;
use serde_json::Value;
use std::path::Path;

fn git(dir: &Path, args: &[&str]) {
    let ok = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .status()
        .unwrap()
        .success();
    assert!(ok, "git {args:?}");
}

fn write(dir: &Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

fn findings(dir: &Path) -> Vec<(String, String)> {
    let out = Command::cargo_bin("compliance")
        .unwrap()
        .arg("check")
        .arg(dir)
        .args(["--format", "json", "--now", "2026-11-24T00:00:00Z"])
        .output()
        .unwrap();
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut v: Vec<(String, String)> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["file"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn a_committed_env_file_stays_a_finding_after_it_is_ignored() {
    let d = tempfile::tempdir().unwrap();
    let root = d.path();
    git(root, &["init", "-q"]);
    write(root, ".env", "LOG_LEVEL=debug\n");
    write(root, "svc/.env.local", "LOG_LEVEL=info\n");
    write(root, "README.md", "demo\n");
    git(root, &["add", "."]);
    git(root, &["commit", "-q", "-m", "oops"]);
    // ignored afterwards, but still in the index and in history
    write(root, ".gitignore", ".env\n.env.*\n");
    let f = findings(root);
    assert!(f.contains(&("SRC-009".into(), ".env".into())), "{f:?}");
    assert!(f.contains(&("SRC-009".into(), "svc/.env.local".into())), "{f:?}");
    assert!(!f.iter().any(|(r, _)| r == "SRC-008"), "both are ignored now: {f:?}");
    // untracking them leaves nothing to report
    git(root, &["rm", "-q", "--cached", ".env", "svc/.env.local"]);
    let f = findings(root);
    assert!(!f.iter().any(|(r, _)| r == "SRC-008" || r == "SRC-009"), "{f:?}");
}

#[test]
fn outside_a_work_tree_only_gitignore_decides() {
    let d = tempfile::tempdir().unwrap();
    let root = d.path();
    write(root, ".gitignore", "*.pem\n");
    write(root, "certs/tls.pem", "-----BEGIN PRIVATE KEY-----\n");
    write(root, "certs/tls.key", "-----BEGIN PRIVATE KEY-----\n");
    let f = findings(root);
    assert_eq!(f, [("SRC-008".to_string(), "certs/tls.key".to_string())]);
}
