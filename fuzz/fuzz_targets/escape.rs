//! Fuzz target `escape`: see `harness::escape` (tests/regressions/harness.rs), which
//! `cargo test` also runs on every input kept in tests/regressions/escape/.
#![no_main]

#[path = "../../tests/regressions/harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::escape(data));
