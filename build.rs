//! Embeds the built-in rules' data-driven cases (`tests/cases/**`) in the binary, so that
//! `compliance explain RULE` can show a failing and a passing example that a test proves.
//! Writes `$OUT_DIR/cases.rs`: a sorted table of (path relative to tests/cases, text).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            walk(&path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?).join("tests/cases");
    println!("cargo:rerun-if-changed=tests/cases");
    let mut files = Vec::new();
    if root.is_dir() {
        walk(&root, &mut files)?;
    }
    files.sort();
    let mut code = String::from(
        "/// Every file under tests/cases: (path relative to it, text).\npub static FILES: &[(&str, &str)] = &[\n",
    );
    for f in &files {
        // text files only: a case is YAML, code and configuration
        if std::fs::read_to_string(f).is_err() {
            continue;
        }
        let rel = f.strip_prefix(&root)?.to_string_lossy().replace('\\', "/");
        // the checkout's own path at compile time, not this run's: a target directory
        // shared by two checkouts (worktrees) reuses this file without running it again
        writeln!(
            code,
            "    ({rel:?}, include_str!(concat!(env!(\"CARGO_MANIFEST_DIR\"), {:?}))),",
            format!("/tests/cases/{rel}")
        )?;
    }
    code.push_str("];\n");
    let out = PathBuf::from(std::env::var("OUT_DIR")?).join("cases.rs");
    std::fs::write(out, code)?;
    Ok(())
}
