//! The module tree's shape, checked rather than eyed (docs/architecture.md): modules import
//! downward only (no cycle between any two modules, at file level), each stage folder
//! imports only the stages its row in the table below names, and the check pipeline's
//! functions stay short.
//!
//! The import graph is read from the source: every `crate::a::b` path and every
//! `super::` path outside `#[cfg(test)]` modules and comments, resolved to the deepest
//! module it names. This is what `cargo modules dependencies --acyclic` checks, without
//! building rust-analyzer on a 2-core CI machine (about 15 minutes).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Each top-level module and the top-level modules it may import. Folders are the
/// pipeline's stages, in order; `base` and `secrets` are the vocabulary below all of them.
const LAYERS: &[(&str, &[&str])] = &[
    ("secrets", &[]),
    ("base", &["secrets"]),
    ("input", &["base", "secrets"]),
    ("facts", &["input", "base", "secrets"]),
    ("scan", &["facts", "input", "base", "secrets"]),
    ("engine", &["facts", "input", "base", "secrets"]),
    ("findings", &["engine", "scan", "facts", "input", "base", "secrets"]),
    (
        "report",
        &["findings", "engine", "scan", "facts", "input", "base", "secrets"],
    ),
    ("config", &["findings", "engine", "facts", "input", "base", "secrets"]),
    (
        "check",
        &[
            "config", "findings", "engine", "scan", "facts", "input", "base", "secrets",
        ],
    ),
    ("gateway", &["input", "base", "secrets"]),
    (
        "webhook",
        &[
            "check", "config", "report", "findings", "engine", "facts", "input", "base", "secrets",
        ],
    ),
    (
        "authoring",
        &[
            "check", "config", "report", "findings", "engine", "facts", "input", "base", "secrets",
        ],
    ),
    (
        "cli",
        &[
            "authoring",
            "webhook",
            "gateway",
            "check",
            "config",
            "report",
            "findings",
            "engine",
            "scan",
            "facts",
            "input",
            "base",
            "secrets",
        ],
    ),
];

/// Folders whose functions are the check pipeline: none over this many lines.
const PIPELINE: &[&str] = &["check", "cli/check.rs", "findings/outcome.rs", "findings/place.rs"];
const MAX_FUNCTION_LINES: usize = 80;

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// `src/a/b.rs` and `src/a/b/mod.rs` are `a::b`; `lib.rs` and `main.rs` are the root.
fn module_of(file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src()).unwrap().with_extension("");
    let mut parts: Vec<String> = rel.iter().map(|s| s.to_string_lossy().into_owned()).collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib" | "main")) {
        parts.pop();
    }
    parts
}

/// The code of a file without its unit tests and comments.
fn code(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(i) => &text[..i],
        None => text,
    };
    text.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .map(|l| match l.find(" // ") {
            Some(i) if !l[..i].contains('"') => &l[..i],
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Every path after `prefix::` in `code`, with `prefix::{a, b::c}` groups expanded one level.
fn paths_after(code: &str, prefix: &str) -> Vec<Vec<String>> {
    let needle = format!("{prefix}::");
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = code[from..].find(&needle) {
        let start = from + i;
        from = start + needle.len();
        if code[..start].chars().next_back().is_some_and(is_ident) {
            continue;
        }
        let rest = &code[from..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for item in group[..end].split(',') {
                let segs = segments(item.trim());
                if !segs.is_empty() {
                    out.push(segs);
                }
            }
        } else {
            out.push(segments(rest));
        }
    }
    out
}

fn segments(s: &str) -> Vec<String> {
    let mut segs = Vec::new();
    let mut rest = s;
    loop {
        let end = rest.find(|c: char| !is_ident(c)).unwrap_or(rest.len());
        if end == 0 {
            break;
        }
        segs.push(rest[..end].to_string());
        match rest[end..].strip_prefix("::") {
            Some(r) if r.starts_with(|c: char| c.is_ascii_lowercase() || c == '_') => rest = r,
            _ => break,
        }
    }
    segs
}

/// The module graph: module -> modules it imports (the deepest existing module each path names).
fn graph() -> BTreeMap<Vec<String>, BTreeSet<Vec<String>>> {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let modules: BTreeSet<Vec<String>> = files.iter().map(|f| module_of(f)).collect();
    let deepest = |path: Vec<String>| -> Option<Vec<String>> {
        (1..=path.len())
            .rev()
            .map(|n| path[..n].to_vec())
            .find(|m| modules.contains(m))
    };
    let mut g: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
    for f in &files {
        if f.ends_with("main.rs") || f.ends_with("lib.rs") {
            continue;
        }
        let me = module_of(f);
        let code = code(&std::fs::read_to_string(f).unwrap());
        let mut targets: Vec<Vec<String>> = paths_after(&code, "crate");
        // `super::x` in `a/b.rs` (module a::b) is `a::x`; in `a/mod.rs` (module a) it is `x`
        let parent = me[..me.len() - 1].to_vec();
        for p in paths_after(&code, "super") {
            targets.push(parent.iter().cloned().chain(p).collect());
        }
        let entry = g.entry(me.clone()).or_default();
        for t in targets.into_iter().filter_map(deepest) {
            // a module importing its own child is a parent using its part, not a cycle
            if t != me && !t.starts_with(&me) {
                entry.insert(t);
            }
        }
    }
    g
}

/// The strongly connected components with more than one module (Tarjan).
fn cycles(g: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>) -> Vec<Vec<Vec<String>>> {
    struct State<'a> {
        g: &'a BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
        index: BTreeMap<&'a Vec<String>, usize>,
        low: BTreeMap<&'a Vec<String>, usize>,
        stack: Vec<&'a Vec<String>>,
        out: Vec<Vec<Vec<String>>>,
    }
    fn visit<'a>(s: &mut State<'a>, v: &'a Vec<String>) {
        let n = s.index.len();
        s.index.insert(v, n);
        s.low.insert(v, n);
        s.stack.push(v);
        for w in s.g.get(v).into_iter().flatten() {
            if !s.index.contains_key(w) {
                visit(s, w);
                let lw = s.low[w];
                let lv = s.low.get_mut(v).unwrap();
                *lv = (*lv).min(lw);
            } else if s.stack.contains(&w) {
                let iw = s.index[w];
                let lv = s.low.get_mut(v).unwrap();
                *lv = (*lv).min(iw);
            }
        }
        if s.low[v] == s.index[v] {
            let mut comp = Vec::new();
            while let Some(w) = s.stack.pop() {
                comp.push(w.clone());
                if w == v {
                    break;
                }
            }
            if comp.len() > 1 {
                s.out.push(comp);
            }
        }
    }
    let mut s = State {
        g,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        out: Vec::new(),
    };
    for v in g.keys() {
        if !s.index.contains_key(v) {
            visit(&mut s, v);
        }
    }
    s.out
}

#[test]
fn no_module_imports_a_module_that_imports_it_back() {
    let found = cycles(&graph());
    let shown: Vec<String> = found
        .iter()
        .map(|c| c.iter().map(|m| m.join("::")).collect::<Vec<_>>().join(" <-> "))
        .collect();
    assert!(shown.is_empty(), "import cycles:\n{}", shown.join("\n"));
}

#[test]
fn each_stage_imports_only_the_stages_below_it() {
    let allowed: BTreeMap<&str, &[&str]> = LAYERS.iter().copied().collect();
    let mut wrong = Vec::new();
    for (from, tos) in graph() {
        let Some(may) = allowed.get(from[0].as_str()) else {
            wrong.push(format!("`{}` is not in the layer table", from[0]));
            continue;
        };
        for to in tos {
            if to[0] != from[0] && !may.contains(&to[0].as_str()) {
                wrong.push(format!("{} imports {}", from.join("::"), to.join("::")));
            }
        }
    }
    assert!(wrong.is_empty(), "imports against the layering:\n{}", wrong.join("\n"));
}

#[test]
fn the_layer_table_names_every_top_level_module() {
    let top: BTreeSet<String> = graph().keys().map(|m| m[0].clone()).collect();
    let table: BTreeSet<String> = LAYERS.iter().map(|(m, _)| m.to_string()).collect();
    assert_eq!(top, table);
}

#[test]
fn the_check_pipeline_has_no_long_function() {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let mut long = Vec::new();
    for f in files {
        let rel = f.strip_prefix(src()).unwrap().to_string_lossy().into_owned();
        if !PIPELINE.iter().any(|p| rel.starts_with(p)) {
            continue;
        }
        let text = std::fs::read_to_string(&f).unwrap();
        let code = match text.find("#[cfg(test)]\nmod tests") {
            Some(i) => &text[..i],
            None => &text,
        };
        let lines: Vec<&str> = code.lines().collect();
        for (i, l) in lines.iter().enumerate() {
            let t = l.trim_start();
            let indent = l.len() - t.len();
            if !(t.starts_with("fn ") || t.starts_with("pub fn ") || t.starts_with("pub(super) fn ")) {
                continue;
            }
            let close = format!("{}}}", " ".repeat(indent));
            let end = lines[i..].iter().position(|x| *x == close).map_or(0, |n| n + 1);
            if end > MAX_FUNCTION_LINES {
                long.push(format!("{rel}:{}: {} lines", i + 1, end));
            }
        }
    }
    assert!(
        long.is_empty(),
        "functions over {MAX_FUNCTION_LINES} lines:\n{}",
        long.join("\n")
    );
}

#[test]
fn the_binary_only_parses_and_dispatches() {
    let main = std::fs::read_to_string(src().join("main.rs")).unwrap();
    assert!(
        main.lines().count() < 30,
        "src/main.rs has {} lines",
        main.lines().count()
    );
}

#[test]
fn the_checker_sees_a_cycle_when_there_is_one() {
    let m = |s: &str| s.split("::").map(String::from).collect::<Vec<_>>();
    let mut g = BTreeMap::new();
    g.insert(m("a::x"), BTreeSet::from([m("b")]));
    g.insert(m("b"), BTreeSet::from([m("a::x")]));
    g.insert(m("c"), BTreeSet::from([m("b")]));
    assert_eq!(cycles(&g).len(), 1);
    assert_eq!(paths_after("use crate::{a::b, c};", "crate"), vec![m("a::b"), m("c")]);
}

#[test]
fn the_pipeline_reads_in_one_file_under_100_lines() {
    let check = std::fs::read_to_string(src().join("check/mod.rs")).unwrap();
    assert!(
        check.lines().count() < 100,
        "src/check/mod.rs has {} lines",
        check.lines().count()
    );
}
