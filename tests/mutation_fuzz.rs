//! A mutation fuzzer without coverage guidance, for machines where the libFuzzer build of
//! `fuzz/` (a cold release build of every dependency with sanitizer coverage: 25 to 49
//! minutes on 2 busy cores) does not fit: it feeds the fuzz targets' own entry points
//! (tests/regressions/harness.rs, with their `assert!`s on well-formed results) with
//! mutations of the seeds in `fuzz/corpus/<target>/` (`python3 fuzz/seed.py`) and
//! `tests/regressions/<target>/`: byte flips, inserted hostile tokens (control characters,
//! keys, YAML and JSON punctuation, Markdown specials), deletions, duplications, splices.
//! A panic or a unit over 10 s keeps its input in `tests/regressions/<target>/` (named
//! `mutation-<hash>`). Ignored by default:
//! `FUZZ_TARGET=loader FUZZ_SECONDS=300 cargo test --test mutation_fuzz -- --ignored --nocapture`

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "regressions/harness.rs"]
mod harness;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// xorshift64*: deterministic for a given `FUZZ_SEED`.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

const TOKENS: &[&str] = &[
    "\u{1b}[2J",
    "\u{1b}]52;c;eA==\u{7}",
    "\u{9b}",
    "\u{202e}",
    "\r",
    "\n",
    "\r\n",
    "\t",
    "\0",
    "\u{feff}",
    "\u{fffe}",
    "\u{85}",
    "\u{2028}",
    "sk-proj-Q7vT2mXk9LpR4sW8nYzB3cJ6hF1dG5aE0uK",
    "AKIAIOSFODNN7EXAMPLE",
    "ghp_0123456789abcdefghijABCDEFGHIJ012345",
    "::error::",
    "`",
    "```",
    "[x](javascript:alert(1))",
    "<!--",
    "<script>",
    "&amp;",
    "|",
    "\\",
    "*",
    "_",
    "#",
    "> ",
    "- ",
    "1. ",
    "{",
    "}",
    "[",
    "]",
    ":",
    ": ",
    ",",
    "\"",
    "'",
    "&a ",
    "*a",
    "<<: *a",
    "!!binary ",
    "---\n",
    "...\n",
    "- - - ",
    "? ",
    "%YAML 1.1\n",
    "0x",
    "1e999",
    "-9223372036854775809",
    "null",
    "~",
    "true",
    "apiVersion: v1\n",
    "kind: Pod\n",
    "\"kind\":\"Pod\"",
    "metadata:\n  name: x\n",
    "\"request\":{",
    "\"object\":",
    "containers:\n- name: c\n",
    "env:\n- name: API_KEY\n  value: ",
    "privileged: true",
    "\u{d7ff}",
    "\u{10ffff}",
    "é",
    "\u{ff}",
];

fn mutate(rng: &mut Rng, seeds: &[Vec<u8>], input: &[u8]) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(out.len() + 1);
        match rng.below(8) {
            0 if !out.is_empty() => {
                let i = rng.below(out.len());
                out[i] ^= 1 << rng.below(8);
            }
            1 if !out.is_empty() => {
                let i = rng.below(out.len());
                out[i] = rng.next() as u8;
            }
            2 | 3 => {
                let t = TOKENS[rng.below(TOKENS.len())].as_bytes();
                out.splice(at..at, t.iter().copied());
            }
            4 if at < out.len() => {
                let end = (at + 1 + rng.below(64)).min(out.len());
                out.drain(at..end);
            }
            5 if at < out.len() => {
                let end = (at + 1 + rng.below(256)).min(out.len());
                let piece: Vec<u8> = out[at..end].to_vec();
                for _ in 0..1 + rng.below(8) {
                    out.splice(at..at, piece.iter().copied());
                }
            }
            6 => {
                let other = &seeds[rng.below(seeds.len())];
                if !other.is_empty() {
                    let from = rng.below(other.len());
                    let to = (from + 1 + rng.below(512)).min(other.len());
                    out.splice(at..at, other[from..to].iter().copied());
                }
            }
            _ => out.truncate(at),
        }
    }
    out.truncate(256 * 1024);
    out
}

fn seeds(target: &str) -> Vec<Vec<u8>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    for dir in [
        root.join("fuzz/corpus").join(target),
        root.join("tests/regressions").join(target),
    ] {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        let mut files: Vec<PathBuf> = entries.map(|e| e.unwrap().path()).filter(|p| p.is_file()).collect();
        files.sort();
        out.extend(files.iter().map(|f| std::fs::read(f).unwrap()));
    }
    if out.is_empty() {
        out.push(Vec::new());
    }
    out
}

#[test]
#[ignore = "runs for FUZZ_SECONDS; see the module comment"]
fn mutation_fuzz() {
    let target = std::env::var("FUZZ_TARGET").unwrap_or_else(|_| "escape".into());
    let seconds: u64 = std::env::var("FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    let seed: u64 = std::env::var("FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x9e37_79b9_7f4a_7c15);
    let entry: fn(&[u8]) = match target.as_str() {
        "loader" => harness::loader,
        "config" => harness::config,
        "scanner" => harness::scanner,
        "admission" => harness::admission,
        "escape" => harness::escape,
        other => panic!("unknown target {other}"),
    };
    let seeds = seeds(&target);
    let mut pool = seeds.clone();
    let mut rng = Rng(seed | 1);
    // quiet: the harness's own assertions report through the panic message
    std::panic::set_hook(Box::new(|_| {}));
    let started = Instant::now();
    let (mut runs, mut found, mut slowest) = (0u64, 0usize, Duration::ZERO);
    while started.elapsed() < Duration::from_secs(seconds) {
        let base = &pool[rng.below(pool.len())];
        let input = mutate(&mut rng, &seeds, base);
        let t = Instant::now();
        let outcome = std::panic::catch_unwind(|| entry(&input));
        let took = t.elapsed();
        slowest = slowest.max(took);
        runs += 1;
        if outcome.is_err() || took > Duration::from_secs(10) {
            found += 1;
            use std::hash::{Hash, Hasher};
            let mut h = std::collections::hash_map::DefaultHasher::new();
            input.hash(&mut h);
            let name = format!("mutation-{:016x}", h.finish());
            let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/regressions")
                .join(&target);
            std::fs::write(dir.join(&name), &input).unwrap();
            eprintln!(
                "{target}: {} in {name} ({took:?})",
                if outcome.is_err() { "panic" } else { "slow unit" }
            );
        } else if pool.len() < 4096 && rng.below(50) == 0 {
            // keep some mutants as bases: deeper mutations without coverage feedback
            pool.push(input);
        }
    }
    let _ = std::panic::take_hook();
    println!(
        "{target}: {runs} executions in {:.0} s ({:.0}/s), {} seeds, {found} found, slowest unit {slowest:?}",
        started.elapsed().as_secs_f64(),
        runs as f64 / started.elapsed().as_secs_f64(),
        seeds.len()
    );
    assert_eq!(found, 0, "inputs kept in tests/regressions/{target}/");
}
