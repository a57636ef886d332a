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
use std::borrow::Cow;
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

/// The files of a run, numbered: the candidates (in their sorted order), then the rendered
/// objects, then standard input.
pub(super) struct Files<'a> {
    pub(super) candidates: &'a [Candidate],
    pub(super) plan: &'a Plan,
    pub(super) stdin: Option<String>,
    pub(super) limits: &'a Limits,
}

impl<'a> Files<'a> {
    pub(super) fn new(candidates: &'a [Candidate], plan: &'a Plan, stdin: Option<String>, limits: &'a Limits) -> Self {
        Files {
            candidates,
            plan,
            stdin,
            limits,
        }
    }

    pub(super) fn len(&self) -> usize {
        self.candidates.len() + self.plan.outputs.len() + usize::from(self.stdin.is_some())
    }

    /// Reads, parses and scans file `i`.
    pub(super) fn read(&self, i: usize) -> FileResult {
        let first = self.candidates.len();
        if let Some(c) = self.candidates.get(i) {
            return read_one(i, c, self.limits, self.plan.role(&c.display));
        }
        let (display, text, digest, rendered) = match self.plan.outputs.get(i - first) {
            Some(o) => (o.display.clone(), o.text.clone(), None, Some(o.provenance.clone())),
            None => {
                let text = self.stdin.clone().unwrap_or_default();
                let digest = sha256(text.as_bytes());
                (STDIN.to_string(), text, Some(digest), None)
            }
        };
        FileResult {
            loaded: loader::load_text(i, &display, &text, self.limits),
            input: Input {
                display,
                text: Some(text),
                digest,
                rendered,
            },
            scanned: None,
            manifest: true,
            skipped: None,
        }
    }

    /// What is known of file `i` before it is read: its name (and, for a rendered object,
    /// its provenance), so that a finding in an earlier file can name it.
    pub(super) fn placeholder(&self, i: usize) -> Input {
        let first = self.candidates.len();
        let (display, rendered) = match (
            self.candidates.get(i),
            i.checked_sub(first).and_then(|o| self.plan.outputs.get(o)),
        ) {
            (Some(c), _) => (c.display.clone(), None),
            (None, Some(o)) => (o.display.clone(), Some(o.provenance.clone())),
            (None, None) => (STDIN.to_string(), None),
        };
        Input {
            display,
            text: None,
            digest: None,
            rendered,
        }
    }

    /// The text of file `i` if it is read as manifests and may add to the cross-document
    /// index ([`crate::facts::index::may_contribute`]); a file that cannot be read is left
    /// to [`Files::read`] to report.
    pub(super) fn index_text(&self, i: usize) -> Option<(&str, Cow<'_, str>)> {
        let first = self.candidates.len();
        let (display, text) = match self.candidates.get(i) {
            Some(c) if loader::is_manifest_path(&c.display) && self.plan.role(&c.display).is_none() => (
                c.display.as_str(),
                Cow::Owned(crate::input::read::read_text(c, self.limits)?),
            ),
            Some(_) => return None,
            None => match self.plan.outputs.get(i - first) {
                Some(o) => (o.display.as_str(), Cow::Borrowed(o.text.as_str())),
                None => (STDIN, Cow::Borrowed(self.stdin.as_deref()?)),
            },
        };
        crate::facts::may_contribute(&text).then_some((display, text))
    }
}

/// What the files gave, gathered for the stages after reading; documents are taken out
/// part by part.
pub(super) struct Gathered {
    /// Every file of the run by index; those not read yet are placeholders.
    pub(super) inputs: Vec<Input>,
    /// The next file [`Gathered::add`] gathers.
    next: usize,
    pub(super) docs: Vec<Document>,
    pub(super) scanned: Vec<scan::Scanned>,
    /// Indexes of the files that hold manifests.
    pub(super) manifests: HashSet<usize>,
    pub(super) documents: usize,
    pub(super) files_read: usize,
    pub(super) skipped: Vec<Skipped>,
    pub(super) errors: Vec<InputError>,
}

impl Gathered {
    /// Starts with the files `skipped` and the `errors` found before reading, and the
    /// rendering's notes and errors.
    pub(super) fn new(mut skipped: Vec<Skipped>, mut errors: Vec<InputError>, plan: &Plan) -> Self {
        let notes = plan.notes.iter().map(|n| Skipped {
            file: n.file.clone(),
            reason: n.message.clone(),
        });
        skipped.extend(notes);
        errors.extend(plan.errors.iter().cloned());
        Gathered {
            inputs: Vec::new(),
            next: 0,
            docs: Vec::new(),
            scanned: Vec::new(),
            manifests: HashSet::new(),
            documents: 0,
            files_read: 0,
            skipped,
            errors,
        }
    }

    /// Adds the results of the next files, in order.
    pub(super) fn add(&mut self, results: Vec<FileResult>) {
        for r in results {
            let i = self.next;
            self.next += 1;
            if let Some(note) = r.skipped {
                self.skipped.push(Skipped {
                    file: note.file,
                    reason: note.message,
                });
            } else if r.input.rendered.is_none() && (r.input.text.is_some() || r.scanned.is_some()) {
                self.files_read += 1;
            }
            if r.manifest {
                self.manifests.insert(i);
            }
            self.documents += r.loaded.documents;
            self.docs.extend(r.loaded.docs);
            self.errors.extend(r.loaded.errors);
            self.scanned.extend(r.scanned);
            match self.inputs.get_mut(i) {
                Some(slot) => *slot = r.input,
                None => self.inputs.push(r.input),
            }
        }
    }
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
