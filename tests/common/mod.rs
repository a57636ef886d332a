//! Helpers shared by the CLI integration tests (`mod common;` in each test file).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use assert_cmd::Command;
use serde_json::Value;
use std::path::Path;

/// The clock every CLI test runs at.
pub const NOW: &str = "2026-11-24T00:00:00Z";

/// The built `compliance` binary.
pub fn compliance() -> Command {
    Command::cargo_bin("compliance").unwrap()
}

/// A folder with `files` (name, content), sub-folders created as needed.
pub fn folder(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        let p = dir.path().join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    dir
}

/// `check DIR --format json --now NOW EXTRA...`: the report and the exit code.
pub fn check_json(dir: &Path, extra: &[&str]) -> (Value, i32) {
    let out = compliance()
        .arg("check")
        .arg(dir)
        .args(["--format", "json", "--now", NOW])
        .args(extra)
        .output()
        .unwrap();
    let code = out.status.code().unwrap();
    let report =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    (report, code)
}
