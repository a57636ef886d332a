//! Each file of the run, read once: loaded as manifests, scanned as source, or skipped with
//! a note; then gathered into what the next stages take.

use crate::base::finding::InputError;
use crate::base::source::STDIN;
use crate::findings::outcome::{InputDigest, Skipped};
use crate::input::discover::Candidate;
use crate::input::loader::{self, Document, Limits};
use crate::input::read::{read, sha256, Input, Unread};
use crate::input::render::{Plan, Role};
use crate::scan;
use rayon::prelude::*;
use std::collections::HashSet;

/// A source file over `--max-file-size` is scanned in pieces up to this many times the
/// limit (128 MiB by default); the rest of a larger file is an input error.
pub const LARGE_FILE_FACTOR: u64 = 16;

/// What reading one file gave: its parsed manifests, or its scan, or why it was skipped.
pub(super) struct FileResult {
    pub(super) input: Input,
    pub(super) loaded: loader::Loaded,
    pub(super) scanned: Option<scan::Scanned>,
    /// Holds Kubernetes objects (or our kinds): the manifest rules judge its content.
    pub(super) manifest: bool,
    /// Not read, and why (a note, not an error).
    pub(super) skipped: Option<InputError>,
}

fn read_one(i: usize, c: &Candidate, limits: &Limits, role: Option<Role>) -> FileResult {
    // a chart's template or an overlay's resource is judged through the rendered objects,
    // a kustomize patch is not an object: neither is loaded itself
    let is_manifest = loader::is_manifest_path(&c.display) && role.is_none();
    let mut out = FileResult {
        input: Input {
            display: c.display.clone(),
            text: None,
            digest: None,
            rendered: None,
        },
        loaded: loader::Loaded::default(),
        scanned: None,
        manifest: false,
        skipped: None,
    };
    let text = match read(c, limits) {
        Ok((t, digest)) => {
            out.input.digest = Some(digest);
            t
        }
        Err(why) => return unread(i, c, limits, is_manifest, why, out),
    };
    if is_manifest {
        out.loaded = loader::load_text(i, &c.display, &text, limits);
        // a `.json`/`.yaml` that is not a manifest and does not parse (tsconfig.json with
        // comments, a broken tool config) is scanned as text below, like any source file
        if !out.loaded.errors.is_empty() && !out.loaded.kubernetes && !loader::looks_like_manifest(&text) {
            out.loaded = loader::Loaded::default();
        }
        out.manifest = !out.loaded.docs.is_empty() || !out.loaded.errors.is_empty();
    }
    if role == Some(Role::Rendered) {
        // its content is checked as rendered; scanned like a manifest (secret files only)
        out.scanned = Some(scan::scan_file(i, &c.display, &c.path, None));
        out.manifest = true;
        return out;
    }
    if out.manifest {
        out.scanned = Some(scan::scan_file(i, &c.display, &c.path, None));
        out.input.text = Some(text);
    } else {
        scanned(&mut out, scan::scan_file(i, &c.display, &c.path, Some(&text)));
    }
    out
}

/// A file [`read`] did not return as UTF-8 text: an error for a manifest; otherwise
/// scanned lossily, in pieces, or skipped with a note.
fn unread(i: usize, c: &Candidate, limits: &Limits, is_manifest: bool, why: Unread, mut out: FileResult) -> FileResult {
    match why {
        Unread::Error(e) => out.loaded = loader::Loaded::failed(e),
        Unread::NotUtf8(e, lossy, _) | Unread::Binary(e, lossy, _)
            if is_manifest && loader::looks_like_manifest(&lossy) =>
        {
            out.loaded = loader::Loaded::failed(e);
        }
        Unread::NotUtf8(_, text, digest) => {
            out.input.digest = Some(digest);
            scanned(&mut out, scan::scan_file(i, &c.display, &c.path, Some(&text)));
        }
        Unread::Binary(_, text, digest) => {
            out.input.digest = Some(digest);
            scanned(&mut out, scan::scan_binary(i, &c.display, &c.path, &text));
        }
        Unread::TooLarge(e, head) if is_manifest && loader::looks_like_manifest(&head) => {
            out.loaded = loader::Loaded::failed(e);
        }
        Unread::TooLarge(..) => return scan_large(i, c, limits, out),
        Unread::NotText(e, text) => {
            // a manifest that cannot be read is an input error, any other file a note; a
            // file not read at all (too large) is taken for what its name says
            if is_manifest && text.as_deref().is_none_or(loader::looks_like_manifest) {
                out.loaded = loader::Loaded::failed(e);
            } else {
                out.skipped = Some(e);
            }
        }
    }
    out
}

/// Keeps a file's scan; its "more matches than reported" note is an input error.
fn scanned(out: &mut FileResult, mut scan: scan::Scanned) {
    out.loaded.errors.extend(scan.truncated.take());
    out.scanned = Some(scan);
}

/// A text file over the size limit that is not a manifest, scanned in pieces.
fn scan_large(i: usize, c: &Candidate, limits: &Limits, mut out: FileResult) -> FileResult {
    let max = limits.max_file_bytes;
    let piece = usize::try_from(max).unwrap_or(usize::MAX);
    let large = scan::chunks::scan_large(i, &c.display, &c.path, piece, max.saturating_mul(LARGE_FILE_FACTOR));
    out.input.digest = Some(large.digest);
    out.loaded.errors.extend(large.error);
    out.scanned = Some(large.scanned);
    out
}

/// Every file of the run: the candidates (read, parsed and scanned in parallel; file
/// indexes follow the sorted order), then the rendered objects, then standard input.
pub(super) fn read_all(
    candidates: &[Candidate],
    plan: &Plan,
    stdin: Option<String>,
    limits: &Limits,
) -> Vec<FileResult> {
    let mut results: Vec<FileResult> = candidates
        .par_iter()
        .enumerate()
        .map(|(i, c)| read_one(i, c, limits, plan.role(&c.display)))
        .collect();
    let first = results.len();
    let rendered: Vec<FileResult> = plan
        .outputs
        .par_iter()
        .enumerate()
        .map(|(n, o)| FileResult {
            loaded: loader::load_text(first + n, &o.display, &o.text, limits),
            input: Input {
                display: o.display.clone(),
                text: Some(o.text.clone()),
                digest: None,
                rendered: Some(o.provenance.clone()),
            },
            scanned: None,
            manifest: true,
            skipped: None,
        })
        .collect();
    results.extend(rendered);
    if let Some(text) = stdin {
        let loaded = loader::load_text(results.len(), STDIN, &text, limits);
        results.push(FileResult {
            input: Input {
                display: STDIN.to_string(),
                digest: Some(sha256(text.as_bytes())),
                text: Some(text),
                rendered: None,
            },
            loaded,
            scanned: None,
            manifest: true,
            skipped: None,
        });
    }
    results
}

/// What the files gave, gathered for the stages after reading.
pub(super) struct Gathered {
    pub(super) inputs: Vec<Input>,
    pub(super) docs: Vec<Document>,
    pub(super) scanned: Vec<scan::Scanned>,
    /// Indexes of the files that hold manifests.
    pub(super) manifests: HashSet<usize>,
    pub(super) documents: usize,
    pub(super) files_read: usize,
    pub(super) skipped: Vec<Skipped>,
    pub(super) errors: Vec<InputError>,
}

/// Gathers the results, after the files `skipped` and the `errors` found before reading
/// and the rendering's notes and errors.
pub(super) fn gather(
    results: Vec<FileResult>,
    mut skipped: Vec<Skipped>,
    mut errors: Vec<InputError>,
    plan: &Plan,
) -> Gathered {
    let notes = plan.notes.iter().map(|n| Skipped {
        file: n.file.clone(),
        reason: n.message.clone(),
    });
    skipped.extend(notes);
    errors.extend(plan.errors.iter().cloned());
    let mut g = Gathered {
        inputs: Vec::with_capacity(results.len()),
        docs: Vec::new(),
        scanned: Vec::new(),
        manifests: HashSet::new(),
        documents: 0,
        files_read: 0,
        skipped,
        errors,
    };
    for (i, r) in results.into_iter().enumerate() {
        if let Some(note) = r.skipped {
            g.skipped.push(Skipped {
                file: note.file,
                reason: note.message,
            });
        } else if r.input.rendered.is_none() && (r.input.text.is_some() || r.scanned.is_some()) {
            g.files_read += 1;
        }
        if r.manifest {
            g.manifests.insert(i);
        }
        g.documents += r.loaded.documents;
        g.docs.extend(r.loaded.docs);
        g.errors.extend(r.loaded.errors);
        g.scanned.extend(r.scanned);
        g.inputs.push(r.input);
    }
    g
}

/// The audit trail's record of every file read.
pub(super) fn digests(inputs: &[Input]) -> Vec<InputDigest> {
    inputs
        .iter()
        .filter_map(|i| {
            let (sha256, bytes) = i.digest.clone()?;
            Some(InputDigest {
                file: i.display.clone(),
                sha256,
                bytes,
            })
        })
        .collect()
}

/// The source scanner's facts: its matches, judged with what git says of their files.
pub(super) fn scanned_facts(
    scanned: &[scan::Scanned],
    manifests: &HashSet<usize>,
    git: &scan::git::Scope,
) -> Vec<crate::facts::model::Resource> {
    scan::resources(scanned, manifests, &git.ignores, git.tracked.as_ref())
}

/// Each file's name and, for manifests, its text: what waivers read annotations from.
pub(super) fn texts(inputs: &[Input]) -> Vec<(&str, Option<&str>)> {
    inputs.iter().map(|i| (i.display.as_str(), i.text.as_deref())).collect()
}
