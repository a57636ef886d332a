//! The release binary stays small: `cargo build --release` carries no debug info and no
//! symbols (line tables made it 192 MB, symbols 35 MB; stripped it is 27 MB, see
//! docs/performance.md), and profiling builds get both from `[profile.profiling]` instead.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use toml_edit::{DocumentMut, Item, Value};

fn manifest() -> DocumentMut {
    std::fs::read_to_string("Cargo.toml").unwrap().parse().unwrap()
}

/// Whether a `debug` setting asks for any debug info (Cargo's values: `false`, `0`,
/// `"none"` for none; `true`, `1`, `2`, `"limited"`, `"full"`, `"line-tables-only"`,
/// `"line-directives-only"` for some).
fn has_debug_info(debug: Option<&Item>) -> bool {
    match debug.and_then(Item::as_value) {
        None => false,
        Some(Value::Boolean(b)) => *b.value(),
        Some(Value::Integer(i)) => *i.value() != 0,
        Some(Value::String(s)) => s.value() != "none",
        Some(other) => panic!("unexpected `debug` value {other:?}"),
    }
}

#[test]
fn the_release_profile_has_no_debug_info() {
    let doc = manifest();
    let release = doc["profile"]["release"].as_table().expect("a [profile.release] table");
    assert!(
        !has_debug_info(release.get("debug")),
        "[profile.release] regained debug info: keep it in [profile.profiling]"
    );
    // the standard library's debug info and the symbol table (8 MB) go too
    let strip = release.get("strip").and_then(Item::as_value);
    assert!(
        strip.and_then(|s| s.as_str()) == Some("symbols") || strip.and_then(|s| s.as_bool()) == Some(true),
        "[profile.release] must strip symbols (35 MB unstripped, 27 MB stripped): strip = {strip:?}"
    );
    // nor per package
    if let Some(packages) = release.get("package").and_then(Item::as_table) {
        for (name, settings) in packages.iter() {
            assert!(
                !has_debug_info(settings.get("debug")),
                "[profile.release.package.{name}] regained debug info"
            );
        }
    }
    // nor through Cargo's configuration files in the repository
    for config in [".cargo/config.toml", ".cargo/config"] {
        if let Ok(text) = std::fs::read_to_string(config) {
            let doc: DocumentMut = text.parse().unwrap();
            let debug = doc
                .get("profile")
                .and_then(|p| p.get("release"))
                .and_then(|r| r.get("debug"));
            assert!(!has_debug_info(debug), "{config} gives the release profile debug info");
        }
    }
}

#[test]
fn the_profiling_profile_is_release_with_line_tables() {
    let doc = manifest();
    let profiling = doc["profile"]["profiling"]
        .as_table()
        .expect("a [profile.profiling] table");
    assert_eq!(profiling["inherits"].as_str(), Some("release"));
    assert!(has_debug_info(profiling.get("debug")));
}

#[test]
fn the_debug_info_reading_is_not_vacuous() {
    let doc: DocumentMut =
        "[a]\ndebug = \"line-tables-only\"\n[b]\ndebug = 0\n[c]\ndebug = true\n[d]\ndebug = \"none\"\n"
            .parse()
            .unwrap();
    assert!(has_debug_info(doc["a"].get("debug")));
    assert!(!has_debug_info(doc["b"].get("debug")));
    assert!(has_debug_info(doc["c"].get("debug")));
    assert!(!has_debug_info(doc["d"].get("debug")));
    assert!(!has_debug_info(doc["a"].get("strip")));
}
