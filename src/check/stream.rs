//! The run in parts, so that a large one never holds all its documents or all its
//! entities at once. A first pass builds the cross-document index from the few files that
//! can add to it ([`crate::facts::may_contribute`]). Then the files are read in parts of
//! [`PART_FILES`]: each part's documents become facts, are judged and placed while their
//! text is at hand, and are freed; what the report needs of them (findings, objects,
//! waivers, checklist evidence) is kept. Last come the facts that need the whole run:
//! inventories, namespaces, key drift and the source scanner's matches.

use super::files::{self, Files, Gathered};
use crate::base::error::Result;
use crate::base::finding::{Finding, InputError};
use crate::base::timings::Timings;
use crate::config::Options;
use crate::engine::{evaluate, policy::RuleSet};
use crate::facts::{self, model::Kind, model::Resource, pss, Index};
use crate::findings::checklist::Evidence;
use crate::findings::subjects::Judging;
use crate::findings::waiver::{self, ObjectKey, Objects};
use crate::input::{loader, read::Input};
use crate::scan;
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::PathBuf;

/// Files read, parsed and judged together: enough to keep both cores busy, few enough
/// that a part's documents and entities stay small (the corpus ×10 peaked at 137–140 MB
/// in three runs at 32, 137–151 MB at 64, 155 MB at 256, for the same time).
pub const PART_FILES: usize = 32;

/// What judging the run's entities gave, gathered part by part.
pub(super) struct Judged<'r> {
    rules: &'r RuleSet,
    now: String,
    pub(super) findings: Vec<Finding>,
    pub(super) errors: Vec<InputError>,
    pub(super) judging: Judging<'r>,
    pub(super) evidence: Evidence<'r>,
    pub(super) levels: Vec<pss::WorkloadLevel>,
    /// Rules that could not be evaluated on some entity.
    pub(super) errored: BTreeSet<String>,
    pub(super) entities: usize,
}

impl<'r> Judged<'r> {
    fn new(rules: &'r RuleSet, now: String) -> Self {
        Judged {
            rules,
            now,
            findings: Vec::new(),
            errors: Vec::new(),
            judging: Judging::new(rules),
            evidence: Evidence::new(rules),
            levels: Vec::new(),
            errored: BTreeSet::new(),
            entities: 0,
        }
    }

    /// Evaluates `resources` and places their findings in `inputs`; `objects` holds the
    /// run's objects from index `first` on.
    fn judge(&mut self, resources: &[Resource], inputs: &[Input], objects: &Objects, first: usize) -> Result<()> {
        let evaluation = evaluate::run(self.rules, resources, &self.now)?;
        let (mut placed, errors) = crate::findings::place::findings(self.rules, resources, &evaluation, inputs);
        self.judging.judge(resources, objects, first, &mut placed);
        self.evidence.add(resources);
        self.levels.extend(pss::levels(resources));
        self.errored.extend(evaluation.errors.into_iter().map(|e| e.rule));
        self.entities += resources.len();
        self.findings.extend(placed.into_iter().map(|(f, _)| f));
        self.errors.extend(errors);
        Ok(())
    }
}

/// What a streamed run gave.
pub(super) struct Streamed<'r> {
    pub(super) read: Gathered,
    /// Every Kubernetes object (document) read, in order, and its `apiVersion`.
    pub(super) objects: Vec<ObjectKey>,
    pub(super) api_versions: Vec<String>,
    /// The waivers of the documents (not yet those of `--waivers` files).
    pub(super) waivers: waiver::Collected,
    pub(super) judged: Judged<'r>,
}

/// Reads, judges and places every file of `files`, part by part, then the facts of the
/// whole run. `read` holds what was found before reading.
pub(super) fn run<'r>(
    opts: &Options,
    rules: &'r RuleSet,
    (files, read, roots): (&Files, Gathered, &[PathBuf]),
    part_files: usize,
    clock: &mut Timings,
) -> Result<Streamed<'r>> {
    let (index, contributing) = prepass(files, &opts.pod_security);
    clock.lap("index pre-pass");
    // a finding may point into a later file (the NetworkPolicy that lets a workload's
    // egress through): every file is named from the start, and the texts of the files
    // that add to the index are at hand
    let mut read = read;
    read.inputs = (0..files.len()).map(|i| files.placeholder(i)).collect();
    let contributing: HashSet<usize> = contributing
        .into_iter()
        .map(|(i, text)| {
            read.inputs[i].text = Some(text);
            i
        })
        .collect();
    let now = opts.now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let mut s = Streamed {
        read,
        objects: Vec::new(),
        api_versions: Vec::new(),
        waivers: waiver::Collected::default(),
        judged: Judged::new(rules, now),
    };
    let mut whole = Whole {
        index: facts::index_of(&[], &opts.pod_security),
        mentions: BTreeMap::new(),
        inventories: Vec::new(),
    };
    // a rule on namespaces places its findings at any file's first mention of one
    let keep_all = rules.reads.of(Kind::Namespace).is_some();
    for start in (0..files.len()).step_by(part_files.max(1)) {
        let end = start.saturating_add(part_files.max(1)).min(files.len());
        let results: Vec<files::FileResult> = (start..end).into_par_iter().map(|i| files.read(i)).collect();
        s.read.add(results);
        let deferred = part(opts, &index, start..end, &mut s, &mut whole)?;
        // a file's text is kept while a later finding may be placed in it: a NetworkPolicy
        // that another file's workload names, an inventory judged with the whole run
        for i in start..end {
            if !(keep_all || contributing.contains(&i) || deferred.contains(&i)) {
                s.read.inputs[i].text = None;
            }
        }
    }
    clock.lap_per("read+facts+evaluate+place", s.judged.entities);
    let git = scan::git::Scope::of(files.candidates, &s.read.scanned, roots, opts.git);
    let mut resources = facts::tail(&whole.inventories, whole.mentions, &whole.index, opts.now);
    resources.extend(files::scanned_facts(&s.read.scanned, &s.read.manifests, &git));
    s.judged
        .judge(&resources, &s.read.inputs, &Objects::new(&s.objects), 0)?;
    clock.lap("whole-run facts");
    Ok(s)
}

/// What the facts of the whole run need, gathered part by part.
struct Whole {
    /// The index of every document read (inventories need it whole).
    index: Index,
    /// Where each namespace is first mentioned.
    mentions: BTreeMap<String, crate::facts::model::Location>,
    /// Inventory documents, judged last.
    inventories: Vec<loader::Document>,
}

/// Judges the documents of the files `read` (the part just read); returns the files whose
/// documents were set aside for the whole run.
fn part(
    opts: &Options,
    index: &Index,
    read: std::ops::Range<usize>,
    s: &mut Streamed,
    whole: &mut Whole,
) -> Result<HashSet<usize>> {
    let docs = std::mem::take(&mut s.read.docs);
    let first = s.objects.len();
    s.objects.extend(docs.iter().map(ObjectKey::of));
    s.api_versions.extend(docs.iter().map(|d| d.api_version.clone()));
    let texts = files::texts(&s.read.inputs[read.clone()]);
    waiver::collect_part(&docs, &texts, read.start, first, &mut s.waivers);
    facts::first_mentions(&docs, &mut whole.mentions);
    whole.index.merge(facts::index_of(&docs, &opts.pod_security));
    let (resources, deferred) = facts::build_part(docs, index, opts.now);
    let files: HashSet<usize> = deferred.iter().map(|d| d.file).collect();
    whole.inventories.extend(deferred);
    s.judged
        .judge(&resources, &s.read.inputs, &Objects::new(&s.objects[first..]), first)?;
    Ok(files)
}

/// The cross-document index that documents' own facts read, from the files that may add
/// to it, and those files with their texts.
fn prepass(files: &Files, pod_security: &pss::Settings) -> (Index, Vec<(usize, String)>) {
    let parts: Vec<(usize, Index, String)> = (0..files.len())
        .into_par_iter()
        .filter_map(|i| {
            let (display, text) = files.index_text(i)?;
            let loaded = loader::load_text(i, display, &text, files.limits);
            // as when read: a file that is no manifest and does not parse holds no objects
            if !loaded.errors.is_empty() && !loaded.kubernetes && !loader::looks_like_manifest(&text) {
                return None;
            }
            let index = facts::index_of(&loaded.docs, pod_security);
            Some((i, index, text.into_owned()))
        })
        .collect();
    let mut index = facts::index_of(&[], pod_security);
    let mut contributing = Vec::with_capacity(parts.len());
    for (i, part, text) in parts {
        index.merge(part);
        contributing.push((i, text));
    }
    (index, contributing)
}

#[cfg(test)]
mod tests {
    use crate::check::{run_in_parts, Options};
    use crate::engine::policy;

    /// The report of the vendored corpus read `part_files` files at a time, as JSON.
    fn corpus_report(part_files: usize) -> String {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
        let now = crate::check::parse_now("2026-11-24T00:00:00Z").unwrap();
        let opts = Options {
            git: false,
            ..Options::new(vec![root], now)
        };
        let rules = policy::load(&[]).unwrap();
        serde_json::to_string(&run_in_parts(&opts, None, &rules, part_files).unwrap()).unwrap()
    }

    #[test]
    fn the_report_is_the_same_for_any_part_size() {
        let whole = corpus_report(usize::MAX);
        assert!(whole.len() > 1_000_000, "the corpus has many findings");
        // a part of 5 files puts a NetworkPolicy and the workloads it selects in different parts
        assert_eq!(corpus_report(5), whole);
        assert_eq!(corpus_report(super::PART_FILES), whole);
    }

    const WORKLOAD: &str = "apiVersion: apps/v1
kind: Deployment
metadata: { name: summarizer, namespace: batch }
spec:
  selector: { matchLabels: { app: summarizer } }
  template:
    metadata: { labels: { app: summarizer } }
    spec:
      containers:
        - name: worker
          image: registry.acme.dev/summarizer:0.3
          envFrom:
            - secretRef: { name: apertis-api-key }
";

    const POLICY: &str = "# lets everything out
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: allow-all-egress, namespace: batch }
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
    - {}
";

    #[test]
    fn a_finding_in_a_file_of_a_later_part_is_placed_there() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a-workload.yaml"), WORKLOAD).unwrap();
        std::fs::write(dir.path().join("b-policy.yaml"), POLICY).unwrap();
        let now = crate::check::parse_now("2026-11-24T00:00:00Z").unwrap();
        let opts = Options {
            git: false,
            ..Options::new(vec![dir.path().to_path_buf()], now)
        };
        let rules = policy::load(&[]).unwrap();
        for part_files in [1, 2] {
            let report = run_in_parts(&opts, None, &rules, part_files).unwrap();
            let net = report.findings.iter().find(|f| f.rule == "NET-003").unwrap();
            assert!(net.file.ends_with("b-policy.yaml"), "{}", net.file);
            assert_eq!(
                (net.line, net.path.as_str()),
                (9, "spec.egress[0]"),
                "{part_files} per part"
            );
        }
    }
}
