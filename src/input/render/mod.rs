//! Rendering: a Helm chart (a folder with `Chart.yaml`) and a top Kustomize overlay (a
//! folder with `kustomization.yaml` that no other kustomization in the tree uses) are
//! rendered by the tools that deploy them, and their output is checked instead of their
//! sources. The rendered text goes through the same loader as any file, under the name of
//! the file it came from, so positions and rules work unchanged.
//!
//! What the sources become ([`Role`]): a chart's templates and the resources of a
//! rendered overlay are judged through the rendered objects (never loaded themselves: a
//! template is not YAML); a chart's other files and the files a kustomization lists as
//! patches are not objects (scanned as text, never loaded as manifests). A render that fails is one input error at `Chart.yaml` or `kustomization.yaml`,
//! with the tool's message and the command that renders it.

pub mod generated;
pub mod helm;
pub mod kustomize;
pub mod process;
pub mod stage;

use crate::base::finding::InputError;
pub use crate::base::finding::Provenance;
use crate::input::discover::Candidate;
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

/// How to render (flags and `.compliance.yaml`'s `render:`).
#[derive(Debug, Clone)]
pub struct Settings {
    /// `--no-render` switches rendering off: charts and overlays are then left unread
    /// (their templates are still not parsed as manifests), and the checklist says so.
    pub enabled: bool,
    /// `--helm-bin`; default: `helm` on PATH.
    pub helm_bin: Option<PathBuf>,
    /// `--helm-values` files, in order.
    pub helm_values: Vec<PathBuf>,
    /// `--helm-set` expressions, in order.
    pub helm_set: Vec<String>,
    pub release: String,
    pub namespace: Option<String>,
    /// A renderer still running after this long is killed.
    pub timeout: Duration,
    /// A renderer printing more than this is killed.
    pub max_output: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            enabled: true,
            helm_bin: None,
            helm_values: Vec::new(),
            helm_set: Vec::new(),
            release: "release".to_string(),
            namespace: None,
            timeout: Duration::from_secs(60),
            max_output: 64 * 1024 * 1024,
        }
    }
}

impl Settings {
    fn bounds(&self) -> process::Bounds {
        process::Bounds {
            timeout: self.timeout,
            max_output: self.max_output,
        }
    }
}

impl Provenance {
    /// In words, for the text report: ``by helm from chart `deploy/chart` (values `v.yaml`)``.
    pub fn describe(&self) -> String {
        let mut s = match (&self.chart, &self.kustomization) {
            (Some(c), _) => format!("by {} from chart `{c}`", self.by),
            (None, Some(k)) => format!("by {} from `{k}`", self.by),
            (None, None) => format!("by {}", self.by),
        };
        if !self.values.is_empty() {
            s.push_str(&format!(" with values `{}`", self.values.join("`, `")));
        }
        s
    }
}

/// The rendered objects of one source file (a template, a kustomize resource).
#[derive(Debug, Clone)]
pub struct Output {
    /// The source file's name, relative to the checked folder.
    pub display: String,
    pub text: String,
    pub provenance: Provenance,
}

/// What a discovered file is, once charts and overlays are known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// A file under a chart folder, or a resource of an overlay that rendered: its objects
    /// are judged through the rendered output; the file itself is not loaded.
    Rendered,
    /// A kustomize patch: part of an object, never judged as one, never an error; its text
    /// is still scanned like any source file.
    Fragment,
    /// A chart's own file outside `templates/` (`values.yaml`, `Chart.yaml`, `ci/*.yaml`):
    /// input to helm, not an object; scanned like any source file.
    ChartFile,
}

/// Charts and overlays found among the discovered files, rendered.
#[derive(Debug, Default)]
pub struct Plan {
    /// By display name; files not named are read as usual.
    pub roles: HashMap<String, Role>,
    pub outputs: Vec<Output>,
    pub errors: Vec<InputError>,
    /// What was rendered only in part (a chart without its dependencies): notes, not errors.
    pub notes: Vec<InputError>,
    /// Charts and overlays whose objects were not read (render failed or switched off).
    pub unread: Vec<String>,
}

impl Plan {
    pub fn role(&self, display: &str) -> Option<Role> {
        self.roles.get(display).copied()
    }
}

/// Finds the charts and overlays among `candidates` and renders them.
pub fn plan(candidates: &[Candidate], settings: &Settings, max_file_bytes: u64) -> Plan {
    let mut out = Plan::default();
    helm::plan(candidates, settings, max_file_bytes, &mut out);
    kustomize::plan(candidates, settings, max_file_bytes, &mut out);
    out.outputs = merge(std::mem::take(&mut out.outputs));
    out.unread.sort();
    out.errors.sort();
    out.notes.sort();
    out
}

/// One output per source file. Overlays that share a base render its objects once each:
/// a document rendered identically by several overlays is kept once (and the overlays are
/// all named in its provenance); one they change differently is kept per variant.
fn merge(mut outputs: Vec<Output>) -> Vec<Output> {
    outputs.sort_by(|a, b| (&a.display, &a.provenance.kustomization).cmp(&(&b.display, &b.provenance.kustomization)));
    let mut merged: Vec<Output> = Vec::with_capacity(outputs.len());
    for o in outputs {
        let Some(last) = merged.last_mut().filter(|m| m.display == o.display) else {
            merged.push(o);
            continue;
        };
        let have: std::collections::HashSet<String> = documents(&last.text).into_iter().collect();
        for doc in documents(&o.text) {
            if !have.contains(&doc) {
                last.text.push_str("---\n");
                last.text.push_str(&doc);
            }
        }
        if let (Some(a), Some(b)) = (&mut last.provenance.kustomization, &o.provenance.kustomization) {
            a.push_str(", ");
            a.push_str(b);
        }
    }
    merged
}

/// One output per source file, all with the same provenance.
fn outputs(by_file: std::collections::BTreeMap<String, String>, provenance: &Provenance) -> Vec<Output> {
    by_file
        .into_iter()
        .map(|(display, text)| Output {
            display,
            text,
            provenance: provenance.clone(),
        })
        .collect()
}

/// `dir/name`, or `name` for the checked folder itself.
fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}

/// The folder part of a display name (`""` at the top).
fn parent(display: &str) -> &str {
    display.rsplit_once('/').map_or("", |(d, _)| d)
}

/// A command line a user can paste: arguments quoted for a POSIX shell where needed.
fn shell_line(words: &[String]) -> String {
    words
        .iter()
        .map(|w| {
            if !w.is_empty() && w.chars().all(|c| c.is_ascii_alphanumeric() || "-_./=:,@+…".contains(c)) {
                w.clone()
            } else {
                format!("'{}'", w.replace('\'', r"'\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A renderer's message, made short: its first lines, at most `MAX_MESSAGE` characters.
fn short_message(stderr: &str) -> String {
    const MAX_MESSAGE: usize = 600;
    let text: String = stderr
        .lines()
        .map(|l| l.trim().trim_start_matches("Error: ").trim_start_matches("error: "))
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ");
    if text.chars().count() <= MAX_MESSAGE {
        return text;
    }
    let cut: String = text.chars().take(MAX_MESSAGE).collect();
    format!("{cut}…")
}

/// A failure in words.
fn describe(tool: &str, failure: &process::Failure) -> String {
    use process::Failure::*;
    match failure {
        NotFound => format!("`{tool}` was not found"),
        Timeout(d) => format!("`{tool}` did not finish within {} s and was stopped", d.as_secs()),
        TooLarge(n) => format!("`{tool}` printed more than {n} bytes and was stopped"),
        Exit(code, stderr) => {
            let msg = short_message(stderr);
            let code = code.map_or_else(|| "a signal".to_string(), |c| format!("status {c}"));
            if msg.is_empty() {
                format!("`{tool}` failed ({code})")
            } else {
                format!("`{tool}` failed ({code}): {msg}")
            }
        }
        Io(e) => format!("`{tool}` could not be run: {e}"),
    }
}

/// Splits a multi-document YAML stream into its non-empty documents (each without its
/// `---` line). A `---` inside a block scalar is indented, so a line that is exactly
/// `---` at column 1 always starts a document.
fn documents(text: &str) -> Vec<String> {
    let mut docs = Vec::new();
    let mut cur = String::new();
    for line in text.lines() {
        if line.trim_end() == "---" {
            docs.push(std::mem::take(&mut cur));
        } else {
            cur.push_str(line);
            cur.push('\n');
        }
    }
    docs.push(cur);
    docs.into_iter()
        .filter(|d| {
            d.lines()
                .any(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_split_at_markers_only() {
        let text = "---\n# Source: a\nkind: A\ndata:\n  x: |\n    ---\n---\n# only a comment\n---\nkind: B\n";
        let docs = documents(text);
        assert_eq!(docs.len(), 2, "{docs:?}");
        assert!(docs[0].contains("    ---"));
        assert_eq!(docs[1], "kind: B\n");
    }

    #[test]
    fn messages_are_short_and_commands_quoted() {
        let long = format!("Error: {}\n", "x".repeat(2000));
        assert!(short_message(&long).chars().count() <= 601);
        assert_eq!(
            shell_line(&["helm".into(), "template".into(), "my chart".into(), "it's".into()]),
            r"helm template 'my chart' 'it'\''s'"
        );
    }
}
