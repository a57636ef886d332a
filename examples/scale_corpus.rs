//! Writes N renamed copies of a corpus for benchmarks: copy `i` of every manifest has its
//! objects renamed `<name>-c<i>` and moved to `<namespace>-c<i>` (a namespaced object that
//! names none is in `default`, so it moves to `default-c<i>`), so cross-document indexes
//! grow as they would in a real monorepo instead of piling up on the same names: 30 copies
//! of one app in one namespace, with the same labels, are no repository's layout.
//! Files that do not parse and non-manifest files are copied as they are.
//! Usage: cargo run --release --example scale_corpus -- SRC DST N

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde::Deserialize;
use std::path::Path;

fn rename(doc: &mut serde_yaml::Value, i: usize) {
    let suffix = |v: &mut serde_yaml::Value| {
        if let Some(s) = v.as_str() {
            *v = serde_yaml::Value::String(format!("{s}-c{i}"));
        }
    };
    if let Some(items) = doc.get_mut("items").and_then(|v| v.as_sequence_mut()) {
        for item in items {
            rename(item, i);
        }
    }
    let namespaced = doc
        .get("kind")
        .and_then(|k| k.as_str())
        .is_some_and(|k| !compliance::facts::cluster_scoped(k));
    if let Some(meta) = doc.get_mut("metadata").and_then(|m| m.as_mapping_mut()) {
        if namespaced && !meta.contains_key("namespace") {
            meta.insert("namespace".into(), "default".into());
        }
        for key in ["name", "namespace"] {
            if let Some(v) = meta.get_mut(key) {
                suffix(v);
            }
        }
    }
}

fn copy_file(src: &Path, dst: &Path, i: usize) {
    let bytes = std::fs::read(src).unwrap();
    let manifest = matches!(src.extension().and_then(|e| e.to_str()), Some("yaml" | "yml" | "json"));
    let renamed = manifest
        .then(|| std::str::from_utf8(&bytes).ok())
        .flatten()
        .and_then(|text| {
            let docs: Result<Vec<serde_yaml::Value>, _> = serde_yaml::Deserializer::from_str(text)
                .map(serde_yaml::Value::deserialize)
                .collect();
            docs.ok()
        })
        .map(|mut docs| {
            let mut out = String::new();
            for d in docs.iter_mut() {
                rename(d, i);
                out.push_str("---\n");
                out.push_str(&serde_yaml::to_string(d).unwrap());
            }
            out.into_bytes()
        });
    std::fs::write(dst, renamed.unwrap_or(bytes)).unwrap();
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, src, dst, n] = args.as_slice() else {
        panic!("usage: scale_corpus SRC DST N");
    };
    let n: usize = n.parse().unwrap();
    let src = Path::new(src);
    for i in 1..=n {
        let root = Path::new(dst).join(format!("copy{i}"));
        for entry in walkdir::WalkDir::new(src).sort_by_file_name() {
            let entry = entry.unwrap();
            let rel = entry.path().strip_prefix(src).unwrap();
            let target = root.join(rel);
            if entry.file_type().is_dir() {
                std::fs::create_dir_all(&target).unwrap();
            } else if entry.file_type().is_file() {
                copy_file(entry.path(), &target, i);
            }
        }
    }
}
