//! No planted secret value appears in full in any output format or error.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use assert_cmd::Command;

fn planted() -> Vec<String> {
    std::fs::read_to_string("tests/fixtures/planted/KEYS.txt")
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn no_format_prints_a_planted_secret() {
    let secrets = planted();
    for format in ["text", "json", "markdown", "html", "sarif", "junit"] {
        let out = Command::cargo_bin("compliance")
            .unwrap()
            .args([
                "check",
                "tests/fixtures/planted",
                "--exclude",
                "KEYS.txt",
                "--now",
                "2026-11-24T00:00:00Z",
                "--format",
                format,
            ])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "the wrongly typed file is an input error");
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        for s in &secrets {
            assert!(!all.contains(s.as_str()), "{format} output contains a planted secret");
            // not even most of it
            assert!(
                !all.contains(&s[..s.len() - 4]),
                "{format} output contains most of a planted secret"
            );
        }
        // the detections are there, masked
        for masked in [
            "sk-pr…[redacted]",
            "sk-an…[redacted]",
            "sk-Vb…[redacted]",
            "sk-sv…[redacted]",
        ] {
            assert!(all.contains(masked), "{format}: {masked} missing");
        }
    }
}

#[test]
fn every_planted_location_is_found() {
    let out = Command::cargo_bin("compliance")
        .unwrap()
        .args([
            "check",
            "tests/fixtures/planted/everywhere.yaml",
            "--now",
            "2026-11-24T00:00:00Z",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut got: Vec<(String, u64)> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"].as_str().unwrap().starts_with("SEC-"))
        .map(|f| (f["rule"].as_str().unwrap().to_string(), f["line"].as_u64().unwrap()))
        .collect();
    got.sort();
    let want: Vec<(String, u64)> = [
        ("SEC-001", 14), // env value
        ("SEC-002", 16), // DB_PASSWORD literal
        ("SEC-003", 6),  // annotation
        ("SEC-003", 11), // arg
        ("SEC-003", 32), // ConfigMap entry
        ("SEC-004", 23), // Secret data
        ("SEC-004", 25), // Secret stringData
    ]
    .iter()
    .map(|(r, l)| (r.to_string(), *l))
    .collect();
    assert_eq!(got, want);
}
