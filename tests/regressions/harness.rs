//! The fuzz targets' entry points and the properties they check, shared by the fuzz crate
//! (`fuzz/fuzz_targets/*.rs` include this file) and by `tests/regressions.rs`, which feeds
//! every input the fuzzers found (`tests/regressions/<target>/`) through the same code.
//! Each function takes arbitrary bytes; it must not panic, hang or run out of memory, and
//! its `assert!`s state what a well-formed result is.

#![allow(dead_code)]

use compliance::base::finding::InputError;
use compliance::base::source::Pos;
use compliance::input::loader::{self, Limits};
use std::sync::LazyLock;

/// The clock every target uses (rotation ages, waiver expiry).
pub fn now() -> chrono::DateTime<chrono::Utc> {
    compliance::check::parse_now("2026-11-24T00:00:00Z").unwrap_or_default()
}

/// Small limits keep each run fast; the logic is the same as with the defaults.
pub fn limits() -> Limits {
    Limits {
        max_file_bytes: 1 << 20,
        max_documents: 64,
        max_alias_nodes: 10_000,
    }
}

/// The character count of each line of a text, to tell whether a position is inside it.
pub struct Lines(Vec<usize>);

impl Lines {
    pub fn of(text: &str) -> Self {
        Lines(text.split('\n').map(|l| l.chars().count()).collect())
    }

    /// Is `pos` inside the text (a line that exists, a column at most one past its end)?
    pub fn inside(&self, pos: Pos) -> bool {
        let Some(len) = (pos.line as usize).checked_sub(1).and_then(|i| self.0.get(i)) else {
            return false;
        };
        pos.column >= 1 && pos.column as usize <= len + 1
    }
}

fn error_inside(lines: &Lines, e: &InputError) {
    if let (Some(line), Some(column)) = (e.line, e.column) {
        assert!(lines.inside(Pos { line, column }), "error outside the file: {e:?}");
    }
}

/// The key-shaped substrings of an input, and their lengths, to look for in an output.
pub struct Keys<'a> {
    set: std::collections::HashSet<&'a str>,
    lengths: std::collections::BTreeSet<usize>,
}

/// The key-shaped substrings of an input.
pub fn keys_in(input: &str) -> Keys<'_> {
    // one pass (the same spans as `find_api_key` one by one): the repeated search was
    // quadratic and took 90% of the scanner target's time on a line of a thousand keys
    let set: std::collections::HashSet<&str> = compliance::secrets::detect::find_all_keys(input)
        .into_iter()
        .map(|(s, e)| &input[s..e])
        .collect();
    let lengths = set.iter().map(|k| k.len()).collect();
    Keys { set, lengths }
}

/// None of `keys` appears in `output` unmasked. Every substring of a key's length is
/// looked up, rather than every key searched for: a thousand keys times a thousand hits
/// made the scanner target run at 30 executions a second.
fn no_key_leaks(keys: &Keys, output: &str) {
    if let Some(key) = leaked(keys, output) {
        panic!("key `{key}` printed unmasked in {output}");
    }
}

/// The first of `keys` that appears whole in `output`.
pub fn leaked<'o>(keys: &Keys, output: &'o str) -> Option<&'o str> {
    output.char_indices().find_map(|(at, _)| {
        keys.lengths
            .iter()
            .filter_map(|&len| output.get(at..at + len))
            .find(|window| keys.set.contains(window))
    })
}

/// Manifest loader: YAML or JSON text (the first byte picks which), the position pass,
/// then the facts the rules read.
pub fn loader(data: &[u8]) {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let name = if first % 4 == 0 { "fuzz.json" } else { "fuzz.yaml" };
    let loaded = loader::load_text(0, name, text, &limits());
    assert!(loaded.documents <= limits().max_documents);
    let stripped = compliance::base::source::strip_bom(text);
    let (lines, keys) = (Lines::of(stripped), keys_in(text));
    for e in &loaded.errors {
        assert_eq!(e.file, name);
        error_inside(&lines, e);
        no_key_leaks(&keys, &e.message);
    }
    for (d, positions) in compliance::input::position::index_documents(stripped)
        .iter()
        .enumerate()
    {
        for (path, pos) in positions {
            assert!(
                lines.inside(*pos),
                "document {d} `{path}` at {pos:?} is outside the file"
            );
        }
    }
    let _ = compliance::facts::build(&loaded.docs, now());
}

const OWN_KINDS: [&str; 4] = ["ApiKeyInventory", "RetentionPolicy", "SecurityProfile", "Waivers"];

/// Our own kinds: the first byte picks the kind, the rest is the document's body under
/// `apiVersion` and `kind`; then schema validation, typing, facts and waiver collection.
/// Also the waiver annotation syntax and the baseline file format.
pub fn config(data: &[u8]) {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let Ok(body) = std::str::from_utf8(rest) else {
        return;
    };
    let kind = OWN_KINDS[first as usize % OWN_KINDS.len()];
    let text = format!("apiVersion: compliance/v1alpha1\nkind: {kind}\n{body}");
    let loaded = loader::load_text(0, "config.yaml", &text, &limits());
    let (lines, keys) = (Lines::of(&text), keys_in(&text));
    for e in &loaded.errors {
        error_inside(&lines, e);
        no_key_leaks(&keys, &e.message);
    }
    let _ = compliance::facts::build(&loaded.docs, now());
    let texts = [("config.yaml", Some(text.as_str()))];
    let collected = compliance::findings::waiver::collect(&loaded.docs, &texts, &[], &limits());
    for e in &collected.errors {
        error_inside(&lines, e);
        no_key_leaks(&keys, &e.message);
    }
    let _ = compliance::findings::waiver::parse_annotation(body);
    if let Err(e) = compliance::findings::baseline::parse("baseline.json", body) {
        no_key_leaks(&keys, &e.to_string());
    }
}

/// Source scanner: the first line is the file's name (it decides the language and
/// whether it is client-side code), the rest its text.
pub fn scanner(data: &[u8]) {
    let Ok(all) = std::str::from_utf8(data) else {
        return;
    };
    let (name, text) = all.split_once('\n').unwrap_or(("app.js", all));
    let name = if name.is_empty() { "app.js" } else { name };
    let scanned = compliance::scan::scan_file(0, name, std::path::Path::new(name), Some(text));
    assert!(scanned.hits.len() <= compliance::scan::detectors::MAX_HITS);
    let (lines, keys) = (Lines::of(text), keys_in(text));
    for h in &scanned.hits {
        assert!(
            lines.inside(Pos {
                line: h.line,
                column: h.column
            }),
            "hit outside the file: {h:?}"
        );
        assert!(h.excerpt.chars().count() <= 100, "{h:?}");
        assert!(
            compliance::secrets::detect::find_api_key(&h.excerpt).is_none(),
            "key in excerpt: {h:?}"
        );
        no_key_leaks(&keys, &h.excerpt);
        no_key_leaks(&keys, &h.masked);
    }
}

static RULES: LazyLock<Option<compliance::engine::policy::RuleSet>> = LazyLock::new(|| {
    compliance::check::load_rules(&[])
        .ok()
        .map(|r| r.restricted_to(compliance::engine::policy::Scope::Object))
});

/// The webhook's request body: parsed, decided with the built-in object-scoped rules; the
/// answer (or the 400 reason) never holds a key of the request unmasked.
pub fn admission(data: &[u8]) {
    let Some(rules) = RULES.as_ref() else {
        return;
    };
    let input = String::from_utf8_lossy(data);
    let keys = keys_in(&input);
    let cfg = compliance::webhook::Config::default();
    match compliance::webhook::decide_body(rules, &cfg, data, now()) {
        Ok(decision) => {
            // the uid is echoed by protocol, whatever it holds
            let mut review = serde_json::to_value(&decision.review).unwrap_or_default();
            if let Some(r) = review.get_mut("response").and_then(|r| r.as_object_mut()) {
                r.remove("uid");
            }
            let answer = review.to_string();
            no_key_leaks(&keys, &answer);
            for e in &decision.errors {
                no_key_leaks(&keys, e);
            }
            let response = decision.review.response.as_ref();
            assert!(response.is_some(), "a decision always has a response");
        }
        Err(bad) => no_key_leaks(&keys, &bad.0),
    }
}

/// Target `escape`: any text through the Markdown, code-span and terminal escapes. A
/// Markdown value stays on one line and has no raw `<`, `[` or backtick; a code span is
/// one span whose fence the value cannot close; a terminal value holds no control
/// character.
pub fn escape(data: &[u8]) {
    use compliance::report::escape;
    let text = String::from_utf8_lossy(data);
    let md = escape::markdown(&text);
    assert!(!md.contains(['\n', '\r']), "{md:?}");
    // an escaped backslash before the character would make it raw again: the escape
    // doubles backslashes, so count them
    for c in ['<', '[', '`', '|'] {
        for (i, _) in md.match_indices(c) {
            let slashes = md[..i].chars().rev().take_while(|&b| b == '\\').count();
            assert!(slashes % 2 == 1, "raw {c:?} in {md:?}");
        }
    }
    let span = escape::code_span(&text, true);
    if !span.is_empty() {
        let fence = span.chars().take_while(|&c| c == '`').count();
        let inner = &span[fence..span.len() - fence];
        assert!(!inner.contains(&"`".repeat(fence)), "{span:?}");
        assert!(!span.contains(['\n', '\r']));
    }
    let term = escape::terminal(&text);
    assert!(!term.chars().any(|c| c.is_control()), "{term:?}");
    let prose = escape::markdown_prose(&text, true);
    assert!(!prose.contains(['\n', '\r']), "{prose:?}");
}
