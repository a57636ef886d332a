//! Engine benchmarks (criterion): the cost of one admission decision for a typical
//! Deployment, and per-entity evaluation and entity-store build over the corpus (tests/corpus).
//! `cargo bench --bench engine` (the corpus is vendored in tests/corpus).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::{TimeZone, Utc};
use compliance::engine::evaluate::{self, Engine};
use compliance::engine::policy::{self, Scope};
use compliance::webhook::{self, Config};
use compliance::{facts, input::discover, input::loader};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use std::path::PathBuf;

const COMPLIANT: &str = include_str!("../tests/data/admission/deployment-compliant.json");
const VIOLATING: &str = include_str!("../tests/data/admission/deployment-violating.json");

fn corpus_docs() -> Vec<loader::Document> {
    let root = PathBuf::from("tests/corpus");
    let exclude = discover::excludes(&[]).unwrap();
    let (files, _) = discover::discover(&[root], &exclude);
    let limits = loader::Limits::default();
    let mut docs = Vec::new();
    for (i, c) in files.iter().enumerate() {
        if !loader::is_manifest_path(&c.display) {
            continue;
        }
        if let Ok(text) = std::fs::read_to_string(&c.path) {
            docs.extend(loader::load_text(i, &c.display, &text, &limits).docs);
        }
    }
    docs
}

fn decide(c: &mut Criterion) {
    let rules = policy::load(&[]).unwrap().restricted_to(Scope::Object);
    let cfg = Config::default();
    let now = Utc.with_ymd_and_hms(2026, 11, 24, 0, 0, 0).unwrap();
    let mut g = c.benchmark_group("webhook");
    g.throughput(Throughput::Elements(1));
    g.bench_function("decide_compliant_deployment", |b| {
        b.iter(|| webhook::decide_body(&rules, &cfg, COMPLIANT.as_bytes(), now).unwrap())
    });
    g.bench_function("decide_violating_deployment", |b| {
        b.iter(|| webhook::decide_body(&rules, &cfg, VIOLATING.as_bytes(), now).unwrap())
    });
    g.finish();
}

fn engine(c: &mut Criterion) {
    let rules = policy::load(&[]).unwrap();
    let now = Utc.with_ymd_and_hms(2026, 11, 24, 0, 0, 0).unwrap();
    let docs = corpus_docs();
    let resources = facts::build(&docs, now);
    let stamp = "2026-11-24T00:00:00Z";
    let mut g = c.benchmark_group("corpus");
    g.sample_size(10);
    g.throughput(Throughput::Elements(resources.len() as u64));
    g.bench_function("facts_build", |b| b.iter(|| facts::build(&docs, now)));
    g.bench_function("entity_store_build", |b| {
        b.iter(|| Engine::new(&rules, &resources, stamp).unwrap())
    });
    let engine = Engine::new(&rules, &resources, stamp).unwrap();
    g.bench_function("evaluate_all_entities", |b| b.iter(|| engine.evaluate(&resources)));
    g.bench_function("evaluate_all_entities_one_thread", |b| {
        b.iter_batched(
            || (),
            |()| engine.evaluate_sequential(&resources),
            BatchSize::SmallInput,
        )
    });
    // what `compliance check` does: stores of `engine::CHUNK` entities, built and
    // evaluated in parallel
    g.bench_function("chunked_stores_and_evaluation", |b| {
        b.iter(|| evaluate::evaluate_all(&rules, &resources, stamp).unwrap())
    });
    g.finish();
}

criterion_group!(benches, decide, engine);
criterion_main!(benches);
