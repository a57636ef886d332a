//! Hostile input: one test per limit (README "Limits and hostile input"). Each builds the
//! input here, runs the real command or the library entry point, and checks that the file
//! is named in a clear note or error, that the run ends quickly, and that the other files
//! are still checked.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use assert_cmd::Command;
use compliance::input::loader::{self, Limits};
use serde_json::Value;
use std::path::Path;
use std::time::{Duration, Instant};

const NOW: &str = "2026-11-24T00:00:00Z";
const KEY: &str = "sk-proj-Q7vT2mXk9LpR4sW8nYzB3cJ6hF1dG5aE0uK";
/// Far above what each guarded input takes here (milliseconds, debug build), far below
/// what the unguarded parsers take on the same input (minutes to hours, or out of memory).
const QUICK: Duration = Duration::from_secs(3);

const PRIVILEGED: &str = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - name: c\n      image: x\n      securityContext: {privileged: true}\n";

fn check(dir: &Path, extra: &[&str]) -> (Value, i32) {
    let out = Command::cargo_bin("compliance")
        .unwrap()
        .arg("check")
        .arg(dir)
        .args(["--format", "json", "--now", NOW, "--no-git"])
        .args(extra)
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    let report =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    (report, out.status.code().unwrap())
}

/// The errors of a report as (file, line, column, message).
fn errors(r: &Value) -> Vec<(String, Option<u64>, Option<u64>, String)> {
    r["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["file"].as_str().unwrap().to_string(),
                e["line"].as_u64(),
                e["column"].as_u64(),
                e["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn error_for(r: &Value, file: &str) -> (Option<u64>, Option<u64>, String) {
    let all = errors(r);
    let e = all
        .iter()
        .find(|e| e.0 == file)
        .unwrap_or_else(|| panic!("no error for {file}: {all:?}"));
    (e.1, e.2, e.3.clone())
}

/// The good file beside the hostile ones is still checked.
fn good_file_checked(r: &Value) {
    assert!(
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["rule"] == "K8S-001" && f["file"] == "good.yaml"),
        "{:#}",
        r["findings"]
    );
}

fn folder_with(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("good.yaml"), PRIVILEGED).unwrap();
    for (name, bytes) in files {
        std::fs::write(dir.path().join(name), bytes).unwrap();
    }
    dir
}

/// Loads a manifest text through the loader, timed.
fn load(name: &str, text: &str) -> (loader::Loaded, Duration) {
    let started = Instant::now();
    let loaded = loader::load_text(0, name, text, &Limits::default());
    (loaded, started.elapsed())
}

fn only_error(loaded: &loader::Loaded) -> &compliance::base::finding::InputError {
    assert_eq!(loaded.errors.len(), 1, "{:?}", loaded.errors);
    &loaded.errors[0]
}

#[test]
fn files_over_the_size_limit_are_not_read() {
    let big_manifest = format!("{PRIVILEGED}# {}\n", "x".repeat(2000));
    let big_source = format!("API_KEY={KEY}\n{}\n", "x".repeat(2000));
    let dir = folder_with(&[
        ("big.yaml", big_manifest.as_bytes()),
        ("big.txt", big_source.as_bytes()),
    ]);
    let (r, code) = check(dir.path(), &["--max-file-size", "1000"]);
    assert_eq!(code, 2);
    // a manifest that is not read is an error: its objects are not checked
    let (line, _, message) = error_for(&r, "big.yaml");
    assert_eq!(line, None);
    assert!(
        message.contains("over the 1000-byte limit (--max-file-size): not read"),
        "{message}"
    );
    // another file is scanned in pieces (issue 12: padding must not hide a key): its key is
    // reported at its line, and the file is not skipped
    assert_eq!(r["summary"]["skipped"], 0);
    let key = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "SRC-001" && f["file"] == "big.txt")
        .unwrap_or_else(|| panic!("no SRC-001 in big.txt: {}", r["findings"]));
    assert_eq!(key["line"], 1);
    good_file_checked(&r);

    // the default (8 MiB) reads both
    let (r, _) = check(dir.path(), &[]);
    assert!(errors(&r).is_empty(), "{:?}", errors(&r));
    assert_eq!(r["summary"]["skipped"], 0);
}

#[test]
fn standard_input_over_the_size_limit_is_refused() {
    let out = Command::cargo_bin("compliance")
        .unwrap()
        .args(["check", "-", "--now", NOW, "--max-file-size", "100"])
        .write_stdin(PRIVILEGED.repeat(10))
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("standard input is over the 100-byte limit (--max-file-size)"),
        "{err}"
    );
}

/// Nine levels of nine aliases: 387 million nodes when expanded.
fn billion_laughs() -> String {
    let mut s = String::from("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: lol}\ndata:\n");
    s.push_str("  a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..10 {
        let refs = vec![format!("*a{}", i - 1); 9].join(", ");
        s.push_str(&format!("  a{i}: &a{i} [{refs}]\n"));
    }
    s
}

#[test]
fn yaml_alias_bombs_are_rejected_quickly() {
    // billion laughs: a few hundred bytes
    let (loaded, took) = load("laughs.yaml", &billion_laughs());
    let e = only_error(&loaded);
    assert!(took < QUICK, "{took:?}");
    assert_eq!(e.file, "laughs.yaml");
    // the first alias that takes the expansion over 100,000 nodes: `*a4` on line 10
    assert_eq!((e.line, e.column), (Some(10), Some(12)), "{e:?}");
    assert!(
        e.message
            .contains("aliases expand to more than 100000 nodes (an alias bomb?): the rest is not read"),
        "{e:?}"
    );
    assert!(loaded.docs.is_empty());

    // the quadratic form: one anchor of 100,000 items aliased 100,000 times (1.5 MB;
    // serde_yaml's own repetition limit allows 100 jumps per event, 10^10 nodes here)
    let mut quadratic = String::from("items: &a\n");
    for i in 0..100_000 {
        quadratic.push_str(&format!("  - i{i}\n"));
    }
    quadratic.push_str("copies:\n");
    quadratic.push_str(&"  - *a\n".repeat(100_000));
    let (loaded, took) = load("copies.yaml", &quadratic);
    let e = only_error(&loaded);
    assert!(took < QUICK, "{took:?}");
    // 100,001 nodes in the anchor: the first alias already crosses the budget
    assert_eq!((e.line, e.column), (Some(100_003), Some(5)), "{e:?}");

    // a few aliases (merge keys, shared settings) are read as before
    let (loaded, _) = load(
        "ok.yaml",
        "apiVersion: v1\nkind: List\nitems:\n  - {apiVersion: v1, kind: ConfigMap, metadata: &m {name: a, labels: {app: x}}}\n  - apiVersion: v1\n    kind: ConfigMap\n    metadata:\n      <<: *m\n      name: b\n",
    );
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    assert_eq!(loaded.docs.len(), 2);
    assert_eq!(loaded.docs[1].name, "b");
    assert_eq!(loaded.docs[1].labels(), vec![("app".to_string(), "x".to_string())]);

    // the command names the file and the line, and checks the rest
    let dir = folder_with(&[("laughs.yaml", billion_laughs().as_bytes())]);
    let (r, code) = check(dir.path(), &[]);
    assert_eq!(code, 2);
    let (line, column, message) = error_for(&r, "laughs.yaml");
    assert_eq!((line, column), (Some(10), Some(12)));
    assert!(message.contains("alias bomb"), "{message}");
    good_file_checked(&r);
}

#[test]
fn deep_nesting_is_rejected_quickly_without_overflowing_the_stack() {
    let n = 1_000_000;
    let cases = [
        // libyaml's scanner is quadratic in flow depth: unguarded, this takes hours
        ("flow-map.yaml", "{a: ".repeat(n) + "1" + &"}".repeat(n)),
        ("flow-seq.yaml", "[".repeat(n) + &"]".repeat(n)),
        ("flow-seq.json", "[".repeat(n) + &"]".repeat(n)),
        (
            "block.yaml",
            (0..200)
                .map(|i| format!("{}k{i}:\n", " ".repeat(i)))
                .collect::<String>()
                + &" ".repeat(200)
                + "v\n",
        ),
        ("block-seq.yaml", "- ".repeat(20_000) + "x\n"),
    ];
    for (name, text) in &cases {
        let (loaded, took) = load(name, text);
        let e = only_error(&loaded);
        assert!(took < QUICK, "{name}: {took:?}");
        assert!(e.message.contains("nesting deeper than 128 levels"), "{name}: {e:?}");
        assert!(e.line.is_some() && e.column.is_some(), "{name}: {e:?}");
    }
    // exactly at the limit is read
    for text in [
        "[".repeat(128) + &"]".repeat(128),
        "x: ".to_string() + &"[".repeat(127) + &"]".repeat(127),
    ] {
        let (loaded, _) = load("limit.yaml", &text);
        assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    }
    // the position pass (run for files with findings) stops too
    for (name, text) in &cases {
        let started = Instant::now();
        let _ = compliance::input::position::index_documents(text);
        assert!(started.elapsed() < QUICK, "{name}: {:?}", started.elapsed());
    }

    // a deep document after a good one: the good one is read and checked
    let text = format!("{PRIVILEGED}---\n{}\n", "[".repeat(n));
    let dir = folder_with(&[("pod-then-deep.yaml", text.as_bytes())]);
    let (r, code) = check(dir.path(), &[]);
    assert_eq!(code, 2);
    let (line, _, message) = error_for(&r, "pod-then-deep.yaml");
    assert_eq!(line, Some(10));
    assert!(message.contains("nesting deeper than 128 levels"), "{message}");
    let privileged: Vec<&Value> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "K8S-001")
        .collect();
    assert_eq!(privileged.len(), 2, "the good file and the first document");
}

#[test]
fn the_document_count_per_file_is_capped() {
    let many = format!("{PRIVILEGED}---\n").repeat(5);
    let dir = folder_with(&[("many.yaml", many.as_bytes())]);
    let (r, code) = check(dir.path(), &["--max-documents", "3"]);
    assert_eq!(code, 2);
    let (_, _, message) = error_for(&r, "many.yaml");
    assert_eq!(message, "more than 3 documents in one file: the rest is not read");
    // 3 documents of many.yaml, 1 of good.yaml
    assert_eq!(r["summary"]["documents"], 4);
    good_file_checked(&r);

    // the default is 10,000; a file of 20,000 empty documents ends quickly
    let text = "---\na: 1\n".repeat(20_000);
    let (loaded, took) = load("empty-docs.yaml", &text);
    assert!(took < QUICK, "{took:?}");
    assert_eq!(loaded.documents, 10_000);
    assert!(only_error(&loaded).message.contains("more than 10000 documents"));

    // one is singular
    let (r, _) = check(dir.path(), &["--max-documents", "1"]);
    let (_, _, message) = error_for(&r, "many.yaml");
    assert_eq!(message, "more than 1 document in one file: the rest is not read");
}

fn utf16le(text: &str) -> Vec<u8> {
    text.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

#[test]
fn binary_and_non_utf8_files_are_scanned_so_that_one_byte_hides_no_key() {
    // a key in a PNG's text chunk (keyword, NUL, text)
    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\x01\0\0\0\0\x34tEXtComment\0".to_vec();
    png.extend_from_slice(KEY.as_bytes());
    let latin1 = b"# caf\xe9\nAPI_KEY=sk-proj-Q7vT2mXk9LpR4sW8nYzB3cJ6hF1dG5aE0uK\n".to_vec();
    // one NUL byte in front of a source file used to make it a binary, skipped with a note
    let nul = format!("\0\nconst client = new OpenAI({{ apiKey: \"{KEY}\" }});\n");
    let dir = folder_with(&[
        ("logo.png", &png),
        ("notes.txt", &latin1),
        ("tool.bin", b"ELF\0\0\x01"),
        ("app.ts", nul.as_bytes()),
        ("keys.txt", &utf16le(&format!("OPENAI_API_KEY={KEY}\n"))),
        // a binary's strings: a name and a value side by side are not a credential there
        (
            "libauth.so",
            b"\x7fELF\x02\x01\0\0converted security token to a unix token:  ../../source4/auth/unix_token.c:133\0",
        ),
    ]);
    let (r, code) = check(dir.path(), &[]);
    assert_eq!(code, 1, "findings, not errors: {:?}", errors(&r));
    assert!(errors(&r).is_empty());
    assert_eq!(r["summary"]["skipped"], 0, "{}", r["skipped"]);
    let found = |file: &str| -> Vec<(String, u64)> {
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["file"] == file)
            .map(|f| (f["rule"].as_str().unwrap().to_string(), f["line"].as_u64().unwrap_or(0)))
            .collect()
    };
    // one Latin-1 byte does not hide a key (issue 12): the text is scanned lossily
    assert!(
        found("notes.txt").contains(&("SRC-001".into(), 2)),
        "{:?}",
        found("notes.txt")
    );
    // nor does a NUL byte, nor a binary container
    assert!(
        found("app.ts")
            .iter()
            .any(|(rule, line)| rule.starts_with("SRC-") && *line == 2),
        "{:?}",
        found("app.ts")
    );
    assert!(
        found("logo.png").iter().any(|(rule, _)| rule == "SRC-001"),
        "{:?}",
        found("logo.png")
    );
    assert!(found("tool.bin").is_empty());
    assert!(found("libauth.so").is_empty(), "{:?}", found("libauth.so"));
    // UTF-16 without a byte-order mark is read as UTF-16
    assert!(
        found("keys.txt").contains(&("SRC-001".into(), 1)),
        "{:?}",
        found("keys.txt")
    );
    // no secret is printed
    assert!(!r.to_string().contains(KEY));
    assert!(!r.to_string().contains("Q7vT2mXk9LpR4sW8"));
    good_file_checked(&r);

    // a manifest that is binary or not UTF-8 is an error instead: its objects go unchecked
    let dir = folder_with(&[
        ("bad.yaml", b"apiVersion: v1\nkind: Pod\0\n"),
        ("latin.yaml", b"apiVersion: v1\nkind: caf\xe9\n"),
        // the same bytes in a `.yaml` that is not a manifest: scanned as read lossily,
        // like any other file
        ("data.yaml", b"rows: [1, 2]\0\n"),
        ("words.yml", b"name: caf\xe9\n"),
    ]);
    let (r, code) = check(dir.path(), &[]);
    assert_eq!(code, 2);
    assert_eq!(errors(&r).len(), 2, "{:?}", errors(&r));
    assert_eq!(error_for(&r, "bad.yaml").2, "binary file (NUL bytes): not read");
    assert_eq!(error_for(&r, "latin.yaml").0, Some(2));
    assert_eq!(r["summary"]["skipped"], 0, "{}", r["skipped"]);
}

#[cfg(unix)]
#[test]
fn symlink_loops_and_links_leaving_the_root_are_not_followed() {
    use std::os::unix::fs::symlink;
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.yaml"), PRIVILEGED).unwrap();
    std::fs::write(outside.path().join("key.env"), format!("API_KEY={KEY}\n")).unwrap();
    let dir = folder_with(&[]);
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    symlink(outside.path(), dir.path().join("out-dir")).unwrap();
    symlink(outside.path().join("secret.yaml"), dir.path().join("out-file.yaml")).unwrap();
    symlink(dir.path(), dir.path().join("sub/loop")).unwrap();
    // a link that stays inside is followed
    symlink(dir.path().join("good.yaml"), dir.path().join("sub/alias.yaml")).unwrap();
    let (r, code) = check(dir.path(), &[]);
    assert_eq!(code, 2);
    let got = errors(&r);
    assert_eq!(
        got.iter().map(|e| (e.0.as_str(), e.3.as_str())).collect::<Vec<_>>(),
        [
            ("out-dir", "symlink leaves the checked folder: not followed"),
            ("out-file.yaml", "symlink leaves the checked folder: not followed"),
            ("sub/loop", "symlink loop not followed"),
        ]
    );
    let files: std::collections::BTreeSet<&str> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["file"].as_str().unwrap())
        .collect();
    assert_eq!(files.into_iter().collect::<Vec<_>>(), ["good.yaml", "sub/alias.yaml"]);
    assert!(!r.to_string().contains(KEY));
}

fn running_as_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .map(|l| l.split_whitespace().nth(2) == Some("0"))
        })
        .unwrap_or(false)
}

#[cfg(unix)]
#[test]
fn unreadable_files_are_reported_and_special_files_never_read() {
    use std::os::unix::fs::PermissionsExt;
    let dir = folder_with(&[("locked.yaml", PRIVILEGED.as_bytes())]);
    // a link to nothing: fails to open for root too
    std::os::unix::fs::symlink(dir.path().join("gone.yaml"), dir.path().join("dangling.yaml")).unwrap();
    std::fs::set_permissions(dir.path().join("locked.yaml"), std::fs::Permissions::from_mode(0o000)).unwrap();
    let (r, code) = check(dir.path(), &[]);
    assert_eq!(code, 2);
    let (_, _, message) = error_for(&r, "dangling.yaml");
    assert!(message.starts_with("cannot read: "), "{message}");
    if running_as_root() {
        // root reads a mode-000 file: it is checked like any other
        eprintln!("running as root: mode 000 does not stop reading; only the dangling link is unreadable");
        assert_eq!(errors(&r).len(), 1, "{:?}", errors(&r));
    } else {
        let (_, _, message) = error_for(&r, "locked.yaml");
        assert!(message.contains("Permission denied"), "{message}");
    }
    good_file_checked(&r);

    // a FIFO named on the command line would block a reader forever: refused at once
    let fifo = dir.path().join("pipe.yaml");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if made.is_ok_and(|s| s.success()) {
        let started = Instant::now();
        let out = Command::cargo_bin("compliance")
            .unwrap()
            .arg("check")
            .arg(&fifo)
            .args(["--format", "json", "--now", NOW])
            .timeout(Duration::from_secs(60))
            .output()
            .unwrap();
        assert!(started.elapsed() < Duration::from_secs(30));
        assert_eq!(out.status.code(), Some(2));
        let r: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert!(errors(&r)[0].3.contains("not a regular file"), "{:?}", errors(&r));
    }
    // so is a device
    let out = Command::cargo_bin("compliance")
        .unwrap()
        .args(["check", "/dev/zero", "--format", "json", "--now", NOW])
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        errors(&r)[0].3,
        "not a regular file (a FIFO, socket or device): not read"
    );
    std::fs::set_permissions(dir.path().join("locked.yaml"), std::fs::Permissions::from_mode(0o644)).unwrap();
}

#[test]
fn a_source_file_with_thousands_of_keys_is_reported_up_to_the_cap() {
    // 20,000 distinct keys on one line, then on 20,000 lines
    let keys: Vec<String> = (0..20_000)
        .map(|i| format!("sk-proj-{i:06}Q7vT2mXk9LpR4sW8nYzB3cJ6hF1"))
        .collect();
    let dir = folder_with(&[
        ("one-line.txt", keys.join(" ").as_bytes()),
        ("many-lines.txt", keys.join("\n").as_bytes()),
    ]);
    let started = Instant::now();
    // every finding listed (by default a report lists 100 per file and rule)
    let (r, code) = check(dir.path(), &["--max-findings-per-rule", "0"]);
    assert!(started.elapsed() < Duration::from_secs(30));
    assert_eq!(code, 2);
    let (line, _, message) = error_for(&r, "many-lines.txt");
    assert_eq!(line, Some(1000));
    assert_eq!(message, "more than 1000 matches: the file is scanned only up to here");
    let (line, column, _) = error_for(&r, "one-line.txt");
    assert_eq!((line, column), (Some(1), Some(999 * (keys[0].len() as u64 + 1) + 1)));
    let keys_reported = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "SRC-001")
        .count();
    assert_eq!(keys_reported, 2000);
    good_file_checked(&r);
}

#[test]
fn a_large_json_that_is_not_a_manifest_is_scanned_not_an_error() {
    // a lock file over the cap (package-lock.json is often megabytes): not a manifest, so
    // not an input error; a large binary is still skipped with a note
    let lock = format!(
        "{{\n  \"name\": \"app\",\n  \"lockfileVersion\": 3,\n  \"packages\": {{\n{}  }}\n}}\n",
        (0..60)
            .map(|i| format!("    \"node_modules/p{i}\": {{\"version\": \"1.0.{i}\"}},\n"))
            .collect::<String>()
    );
    let mut binary = vec![0u8; 3000];
    binary[..4].copy_from_slice(b"\x89PNG");
    let dir = folder_with(&[("package-lock.json", lock.as_bytes()), ("logo.png", &binary)]);
    let (r, code) = check(dir.path(), &["--max-file-size", "1000"]);
    assert!(errors(&r).is_empty(), "{:?}", errors(&r));
    assert_ne!(code, 2);
    assert_eq!(r["skipped"][0]["file"], "logo.png");
    assert_eq!(r["summary"]["skipped"], 1);
    good_file_checked(&r);
}
