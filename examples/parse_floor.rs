//! The parse-only floor for benchmarks: discover, read and parse every manifest exactly as
//! `compliance check` does (in parallel, typed objects included), and nothing else.
//! Usage: cargo run --release --example parse_floor -- DIR

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use compliance::{input::discover, input::loader};
use rayon::prelude::*;

fn main() {
    let dirs: Vec<std::path::PathBuf> = std::env::args_os().skip(1).map(Into::into).collect();
    let Ok(exclude) = discover::excludes(&[]) else { return };
    let (files, _) = discover::discover(&dirs, &exclude);
    let limits = loader::Limits::default();
    let (docs, bytes): (usize, usize) = files
        .par_iter()
        .enumerate()
        .filter(|(_, c)| loader::is_manifest_path(&c.display))
        .map(|(i, c)| match std::fs::read_to_string(&c.path) {
            Ok(text) => (loader::load_text(i, &c.display, &text, &limits).docs.len(), text.len()),
            Err(_) => (0, 0),
        })
        .reduce(|| (0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
    println!("{docs} objects, {bytes} bytes parsed");
}
