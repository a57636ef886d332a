//! Every input kept from fuzzing (tests/regressions/<target>/: what the fuzzers found, and
//! the hostile inputs made by hand) fed through the fuzz targets' own entry points
//! (tests/regressions/harness.rs): no panic, no hang, well-formed results.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "regressions/harness.rs"]
mod harness;

use std::time::{Duration, Instant};

fn run(target: &str, entry: fn(&[u8])) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/regressions")
        .join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no regression inputs in {}", dir.display());
    for f in files {
        let data = std::fs::read(&f).unwrap();
        let started = Instant::now();
        let outcome = std::panic::catch_unwind(|| entry(&data));
        assert!(outcome.is_ok(), "{} panicked", f.display());
        let took = started.elapsed();
        // debug build, shared machine: generous, but far from a hang
        assert!(took < Duration::from_secs(10), "{} took {took:?}", f.display());
    }
}

#[test]
fn loader_regressions() {
    run("loader", harness::loader);
}

#[test]
fn config_regressions() {
    run("config", harness::config);
}

#[test]
fn scanner_regressions() {
    run("scanner", harness::scanner);
}

#[test]
fn admission_regressions() {
    run("admission", harness::admission);
}

#[test]
fn escape_regressions() {
    run("escape", harness::escape);
}

/// The oracle the targets share finds a key of the input wherever an output holds it whole.
#[test]
fn the_leak_oracle_sees_a_key_in_an_output() {
    let key = "sk-proj-Q7vT2mXk9LpR4sW8nYzB3cJ6hF1dG5aE0uK";
    let input = format!("a: {key}\nb: AKIAIOSFODNN7EXAMPLF\n");
    let keys = harness::keys_in(&input);
    assert_eq!(harness::leaked(&keys, &format!("error: `x{key}y` é")), Some(key));
    assert_eq!(
        harness::leaked(&keys, "AKIAIOSFODNN7EXAMPLF"),
        Some("AKIAIOSFODNN7EXAMPLF")
    );
    assert_eq!(harness::leaked(&keys, "sk-pr…[redacted] é"), None);
}
