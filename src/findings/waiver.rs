//! Waivers: accepted exceptions, each with a reason, an owner and an expiry date.
//!
//! Two forms, one semantics:
//! - `kind: Waivers` documents (schemas/waivers.schema.json), found under the checked
//!   folder or read from `--waivers FILE`: a rule id, a selector (the object's kind,
//!   namespace and name, a glob on the file), an optional field path;
//! - the annotation `compliance/waive.<RULE-ID>: "reason=...; owner=...; expires=YYYY-MM-DD"`
//!   on an object: that rule, for every finding on that object.
//!
//! Waivers apply after the rules ran: a finding that an active waiver matches leaves
//! `findings` for `waived`; a waiver past its expiry day waives nothing (its findings stay)
//! and is reported `expired`; a waiver that matched nothing is reported `unused`.

use crate::base::finding::{Finding, InputError};
use crate::base::path;
use crate::base::source::{strip_bom, Pos};
use crate::facts::model::{Kind, Resource};
use crate::input::kinds::{self, WaiverSelector};
use crate::input::loader::{self, Document, Limits, Object};
use crate::input::position::{self, DocPositions};
use chrono::NaiveDate;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

/// Annotation keys that waive a rule: `compliance/waive.K8S-002`.
pub const ANNOTATION_PREFIX: &str = "compliance/waive.";

/// Where a waiver was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// An annotation on the object it waives.
    Annotation,
    /// A `Waivers` document under the checked folder.
    Document,
    /// A `Waivers` document in a `--waivers` file.
    External,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// In force, and it waived at least one finding.
    Active,
    /// Past its `expires` day: it waives nothing.
    Expired,
    /// In force, but no finding matched it.
    Unused,
}

/// One waiver, as read.
#[derive(Debug, Clone)]
pub struct Waiver {
    pub rule: String,
    pub source: Source,
    /// The file it is written in: relative to the checked folder, or as given to `--waivers`.
    pub file: String,
    pub pos: Option<Pos>,
    /// For an annotation: the object that carries it.
    pub selector: WaiverSelector,
    pub path: Option<String>,
    pub reason: String,
    pub owner: String,
    /// The last day (UTC) the waiver applies.
    pub expires: NaiveDate,
    /// Annotation waivers: index of the carrying object in the checked documents.
    object: Option<usize>,
    glob: Option<globset::GlobMatcher>,
}

impl Waiver {
    /// Valid through its `expires` day: a waiver expiring today still waives.
    pub fn expired(&self, today: NaiveDate) -> bool {
        today > self.expires
    }

    /// Says the same as `other` (wherever each is written).
    fn same_as(&self, other: &Waiver) -> bool {
        self.rule == other.rule
            && self.selector == other.selector
            && self.path == other.path
            && self.reason == other.reason
            && self.owner == other.owner
            && self.expires == other.expires
            && self.object == other.object
    }

    fn reference(&self) -> WaiverRef {
        WaiverRef {
            source: self.source,
            file: self.file.clone(),
            line: self.pos.map(|p| p.line),
            column: self.pos.map(|p| p.column),
            rule: self.rule.clone(),
            reason: self.reason.clone(),
            owner: self.owner.clone(),
            expires: self.expires.format("%Y-%m-%d").to_string(),
        }
    }

    fn matches(&self, f: &Finding, object: Option<&ObjectKey>, object_index: Option<usize>) -> bool {
        if self.rule != f.rule {
            return false;
        }
        if let Some(o) = self.object {
            return object_index == Some(o);
        }
        let s = &self.selector;
        if let Some(g) = &self.glob {
            if !g.is_match(&f.file) {
                return false;
            }
        }
        if s.kind.is_some() || s.namespace.is_some() || s.name.is_some() {
            let Some(d) = object else { return false };
            if s.kind.as_ref().is_some_and(|k| *k != d.kind)
                || s.name.as_ref().is_some_and(|n| *n != d.name)
                || s.namespace
                    .as_ref()
                    .is_some_and(|n| Some(n.as_str()) != d.namespace.as_deref())
            {
                return false;
            }
        }
        match &self.path {
            None => true,
            Some(p) => {
                let relative = object
                    .and_then(|d| under(&f.path, &d.base).then(|| strip_base(&f.path, &d.base)))
                    .unwrap_or(&f.path);
                under(relative, p) || under(&f.path, p)
            }
        }
    }
}

/// The namespace a selector compares with: the object's own, `default` for a namespaced
/// Kubernetes object that names none, none for cluster-scoped objects and our own kinds.
fn namespace_of(d: &Document) -> Option<String> {
    if d.namespace.is_some() {
        return d.namespace.clone();
    }
    if kinds::is_own_kind(&d.api_version, &d.kind) || crate::facts::cluster_scoped(&d.kind) {
        None
    } else {
        Some("default".to_string())
    }
}

/// Is `path` the field `prefix` or below it (`a.b` covers `a.b`, `a.b.c` and `a.b[0]`,
/// not `a.bc`)? The empty prefix covers everything.
pub fn under(path: &str, prefix: &str) -> bool {
    prefix.is_empty()
        || path
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('.') || rest.starts_with('['))
}

fn strip_base<'a>(path: &'a str, base: &str) -> &'a str {
    if base.is_empty() {
        return path;
    }
    let rest = &path[base.len().min(path.len())..];
    rest.strip_prefix('.').unwrap_or(rest)
}

/// A waiver as the report shows it next to what it waived.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WaiverRef {
    pub source: Source,
    pub file: String,
    pub line: Option<u32>,
    pub column: Option<u32>,
    pub rule: String,
    pub reason: String,
    pub owner: String,
    /// YYYY-MM-DD.
    pub expires: String,
}

/// A finding that an active waiver took out of `findings`.
#[derive(Debug, Clone, Serialize)]
pub struct Waived {
    pub finding: Finding,
    /// The first active waiver that matched (in report order).
    pub waiver: WaiverRef,
}

/// Every waiver read, with what became of it.
#[derive(Debug, Clone, Serialize)]
pub struct WaiverStatus {
    pub rule: String,
    pub status: Status,
    /// Findings it matched: waived for an active waiver, still reported for an expired one.
    pub matched: usize,
    pub source: Source,
    pub file: String,
    pub line: Option<u32>,
    pub column: Option<u32>,
    /// For an annotation: the object that carries it (`file` is its file, not a glob).
    pub selector: WaiverSelector,
    pub path: Option<String>,
    pub reason: String,
    pub owner: String,
    pub expires: String,
}

/// The waivers of a run, and the input errors reading them gave.
#[derive(Debug, Default)]
pub struct Collected {
    pub waivers: Vec<Waiver>,
    pub errors: Vec<InputError>,
}

/// Field positions of a file's documents, indexed on first use.
struct Positions<'a> {
    /// The names and texts of the files from `first_file` on.
    texts: &'a [(&'a str, Option<&'a str>)],
    first_file: usize,
    cache: BTreeMap<usize, Vec<DocPositions>>,
}

impl Positions<'_> {
    fn at(&mut self, file: usize, doc: usize, path: &str) -> Option<Pos> {
        let (texts, first) = (self.texts, self.first_file);
        let docs = self.cache.entry(file).or_insert_with(|| {
            file.checked_sub(first)
                .and_then(|i| texts.get(i))
                .and_then(|t| t.1)
                .map(|t| position::index_documents(strip_bom(t)))
                .unwrap_or_default()
        });
        Some(docs.get(doc).map_or(Pos::START, |d| position::lookup(d, path)))
    }
}

/// The waivers of the checked documents (`Waivers` documents and annotations) and of the
/// `--waivers` files. `texts` are the checked files' names and texts, by file index.
pub fn collect(docs: &[Document], texts: &[(&str, Option<&str>)], external: &[PathBuf], limits: &Limits) -> Collected {
    let mut out = Collected::default();
    collect_part(docs, texts, 0, 0, &mut out);
    finish(out, external, limits)
}

/// The waivers of some of a run's documents (`Waivers` documents and annotations), added
/// to `out`; the run's objects are numbered from `first` on for these documents, and
/// `texts` holds the names and texts of the files from `first_file` on.
pub fn collect_part(
    docs: &[Document],
    texts: &[(&str, Option<&str>)],
    first_file: usize,
    first: usize,
    out: &mut Collected,
) {
    let mut positions = Positions {
        texts,
        first_file,
        cache: BTreeMap::new(),
    };
    for (i, d) in docs.iter().enumerate() {
        let display = d
            .file
            .checked_sub(first_file)
            .and_then(|f| texts.get(f))
            .map_or("", |t| t.0);
        if let Object::Waivers(w) = &d.object {
            from_document(d, w, display, Source::Document, &mut positions, out);
        } else {
            from_annotations(first + i, d, display, &mut positions, out);
        }
    }
}

/// The waivers of the documents (from [`collect_part`]) and of the `--waivers` files
/// `external`, in report order.
pub fn finish(mut out: Collected, external: &[PathBuf], limits: &Limits) -> Collected {
    let in_tree = out.waivers.len();
    for p in external {
        read_external(p, limits, &mut out);
    }
    // a `--waivers` file inside the checked folder is read twice: keep its in-tree copy
    for e in out.waivers.split_off(in_tree) {
        if !out.waivers.iter().take(in_tree).any(|t| t.same_as(&e)) {
            out.waivers.push(e);
        }
    }
    out.waivers.sort_by(|a, b| {
        (a.file.as_str(), a.pos, a.source, a.rule.as_str()).cmp(&(b.file.as_str(), b.pos, b.source, b.rule.as_str()))
    });
    out
}

fn from_document(
    d: &Document,
    w: &kinds::Waivers,
    display: &str,
    source: Source,
    positions: &mut Positions<'_>,
    out: &mut Collected,
) {
    for (i, spec) in w.waivers.iter().enumerate() {
        let item = path::index(&path::key(&d.base, "waivers"), i);
        let pos = positions.at(d.file, d.doc, &item);
        // the schema checked the date and the glob; a failure here is still reported
        let Some(expires) = kinds::parse_date(&spec.expires) else {
            out.errors.push(InputError::new(
                display,
                pos,
                format!("`{item}.expires`: expected a calendar date, YYYY-MM-DD"),
            ));
            continue;
        };
        let glob = match spec.selector.file.as_deref().map(globset::Glob::new).transpose() {
            Ok(g) => g.map(|g| g.compile_matcher()),
            Err(e) => {
                out.errors
                    .push(InputError::new(display, pos, format!("`{item}.selector.file`: {e}")));
                continue;
            }
        };
        out.waivers.push(Waiver {
            rule: spec.rule.clone(),
            source,
            file: display.to_string(),
            pos,
            selector: spec.selector.clone(),
            path: spec.path.clone(),
            reason: spec.reason.trim().to_string(),
            owner: spec.owner.trim().to_string(),
            expires,
            object: None,
            glob,
        });
    }
}

fn from_annotations(index: usize, d: &Document, display: &str, positions: &mut Positions<'_>, out: &mut Collected) {
    for (key, value) in d.annotations() {
        let Some(rule) = key.strip_prefix(ANNOTATION_PREFIX) else {
            continue;
        };
        let field = path::key(&path::keys(&d.base, "metadata.annotations"), &key);
        let pos = positions.at(d.file, d.doc, &field);
        let parsed = if rule.trim().is_empty() || rule.contains(char::is_whitespace) {
            Err(format!(
                "expected a rule id after `{ANNOTATION_PREFIX}` (`{ANNOTATION_PREFIX}K8S-002`)"
            ))
        } else {
            parse_annotation(&value)
        };
        match parsed {
            Ok(a) => out.waivers.push(Waiver {
                rule: rule.to_string(),
                source: Source::Annotation,
                file: display.to_string(),
                pos,
                selector: WaiverSelector {
                    kind: Some(d.kind.clone()),
                    namespace: namespace_of(d),
                    name: Some(d.name.clone()),
                    file: Some(display.to_string()),
                },
                path: None,
                reason: a.reason,
                owner: a.owner,
                expires: a.expires,
                object: Some(index),
                glob: None,
            }),
            Err(m) => out.errors.push(InputError::new(
                display,
                pos,
                format!("waiver annotation `{key}` on {}: {m}", d.display()),
            )),
        }
    }
}

/// The fields of a waiver annotation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Annotation {
    pub reason: String,
    pub owner: String,
    pub expires: NaiveDate,
}

/// Parses `reason=...; owner=...; expires=YYYY-MM-DD` (any order, spaces around `;` and
/// `=` ignored). The value is never quoted back in errors except a bad date.
pub fn parse_annotation(value: &str) -> Result<Annotation, String> {
    const FORM: &str = "expected `reason=...; owner=...; expires=YYYY-MM-DD`";
    let (mut reason, mut owner, mut expires) = (None, None, None);
    for part in value.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((k, v)) = part.split_once('=') else {
            return Err(format!("a part has no `=`: {FORM}"));
        };
        let (k, v) = (k.trim().to_ascii_lowercase(), v.trim().to_string());
        let slot = match k.as_str() {
            "reason" => &mut reason,
            "owner" => &mut owner,
            "expires" => &mut expires,
            other if other.chars().count() <= 16 => return Err(format!("unknown field `{other}`: {FORM}")),
            _ => return Err(format!("unknown field: {FORM}")),
        };
        if slot.is_some() {
            return Err(format!("`{k}` is given twice"));
        }
        if v.is_empty() {
            return Err(format!("`{k}` is empty: {FORM}"));
        }
        *slot = Some(v);
    }
    let missing: Vec<&str> = [("reason", &reason), ("owner", &owner), ("expires", &expires)]
        .into_iter()
        .filter(|(_, v)| v.is_none())
        .map(|(k, _)| k)
        .collect();
    if !missing.is_empty() {
        return Err(format!("missing `{}`: {FORM}", missing.join("`, `")));
    }
    let (Some(reason), Some(owner), Some(expires)) = (reason, owner, expires) else {
        return Err(FORM.to_string());
    };
    let date = kinds::parse_date(&expires)
        .filter(|_| expires.len() == 10)
        .ok_or_else(|| {
            let shown = if expires.chars().count() <= 16 {
                format!(" `{expires}`")
            } else {
                String::new()
            };
            format!("`expires`{shown} is not a date: expected YYYY-MM-DD")
        })?;
    Ok(Annotation {
        reason,
        owner,
        expires: date,
    })
}

/// Reads a `--waivers` file: only `Waivers` documents, reported under the name given.
fn read_external(p: &std::path::Path, limits: &Limits, out: &mut Collected) {
    let display = p.display().to_string();
    let text = match crate::input::guard::read_file(p, limits.max_file_bytes) {
        Ok(crate::input::guard::Contents::TooLarge(size)) => {
            out.errors.push(InputError::new(
                &display,
                None,
                format!(
                    "waiver file is {size} bytes, over the {}-byte limit: not read",
                    limits.max_file_bytes
                ),
            ));
            return;
        }
        Ok(crate::input::guard::Contents::NotAFile) => {
            out.errors.push(InputError::new(
                &display,
                None,
                "cannot read waiver file: not a regular file",
            ));
            return;
        }
        Ok(crate::input::guard::Contents::Bytes(b)) => match String::from_utf8(b) {
            Ok(t) => t,
            Err(e) => {
                out.errors
                    .push(loader::utf8_error(&display, e.as_bytes(), &e.utf8_error()));
                return;
            }
        },
        Err(e) => {
            out.errors
                .push(InputError::new(&display, None, format!("cannot read waiver file: {e}")));
            return;
        }
    };
    // `.yaml` unless it says `.json`: a waiver file may have any name
    let parse_as = if display.to_ascii_lowercase().ends_with(".json") {
        display.clone()
    } else {
        format!("{display}.yaml")
    };
    let mut loaded = loader::load_text(0, &parse_as, &text, limits);
    for e in &mut loaded.errors {
        e.file = display.clone();
    }
    let texts = [(display.as_str(), Some(text.as_str()))];
    let mut positions = Positions {
        texts: &texts,
        first_file: 0,
        cache: BTreeMap::new(),
    };
    let mut found = false;
    for d in &loaded.docs {
        if let Object::Waivers(w) = &d.object {
            found = true;
            from_document(d, w, &display, Source::External, &mut positions, out);
        } else {
            let pos = positions.at(0, d.doc, &path::keys(&d.base, "kind"));
            out.errors.push(InputError::new(
                &display,
                pos,
                format!(
                    "{} is not a `Waivers` document: a `--waivers` file holds only waivers",
                    d.display()
                ),
            ));
        }
    }
    if !found && loaded.errors.is_empty() && loaded.docs.is_empty() {
        out.errors.push(InputError::new(
            &display,
            None,
            format!(
                "no `Waivers` document (`apiVersion: {}`, `kind: Waivers`)",
                kinds::API_VERSION
            ),
        ));
    }
    out.errors.extend(loaded.errors);
}

/// What a waiver compares with in a checked document. It is kept apart so that the
/// documents themselves (their JSON and typed forms, most of a run's memory) can be freed
/// once the facts are built.
#[derive(Debug, Clone)]
pub struct ObjectKey {
    pub file: usize,
    pub doc: usize,
    pub base: String,
    pub kind: String,
    pub name: String,
    /// The namespace a selector compares with (see `namespace_of`).
    pub namespace: Option<String>,
}

impl ObjectKey {
    pub fn of(d: &Document) -> Self {
        ObjectKey {
            file: d.file,
            doc: d.doc,
            base: d.base.clone(),
            kind: d.kind.clone(),
            name: d.name.clone(),
            namespace: namespace_of(d),
        }
    }
}

/// Which checked document each entity belongs to (manifest entities only: the source
/// scanner's files and the namespaces derived from many objects have none).
pub struct Objects<'a> {
    docs: &'a [ObjectKey],
    by_place: HashMap<(usize, usize), Vec<usize>>,
}

impl<'a> Objects<'a> {
    pub fn new(docs: &'a [ObjectKey]) -> Self {
        let mut by_place: HashMap<(usize, usize), Vec<usize>> = HashMap::new();
        for (i, d) in docs.iter().enumerate() {
            by_place.entry((d.file, d.doc)).or_default().push(i);
        }
        Objects { docs, by_place }
    }

    pub fn of(&self, r: &Resource) -> Option<usize> {
        if matches!(r.kind, Kind::SourceFile | Kind::SourceMatch) {
            return None;
        }
        let best = self
            .by_place
            .get(&(r.loc.file, r.loc.doc))?
            .iter()
            .copied()
            .filter(|&i| under(&r.loc.path, &self.docs[i].base))
            .max_by_key(|&i| self.docs[i].base.len())?;
        // a namespace belongs to its Namespace object, not to the first object naming it
        (r.kind != Kind::Namespace || self.docs[best].kind == "Namespace").then_some(best)
    }
}

/// What applying the waivers gave.
#[derive(Debug, Default)]
pub struct Outcome {
    /// The findings no active waiver matched, in the order given.
    pub findings: Vec<Finding>,
    pub waived: Vec<Waived>,
    /// One per waiver, in report order (file, line).
    pub waivers: Vec<WaiverStatus>,
}

/// Applies `waivers` to findings, each with its object already set ([`Finding::object`],
/// an index into `docs`). `today` is the `--now` date (UTC).
pub fn apply(findings: Vec<Finding>, docs: &[ObjectKey], waivers: &[Waiver], today: NaiveDate) -> Outcome {
    let mut matched = vec![0usize; waivers.len()];
    let mut out = Outcome::default();
    let mut by: Vec<Option<usize>> = Vec::new();
    for f in &findings {
        let object = f.object.and_then(|i| docs.get(i));
        let mut first: Option<usize> = None;
        for (i, w) in waivers.iter().enumerate() {
            if w.matches(f, object, f.object) {
                matched[i] += 1;
                if first.is_none() && !w.expired(today) {
                    first = Some(i);
                }
            }
        }
        by.push(first);
    }
    // a large run's findings are moved, not copied, when none is waived (the common case)
    if by.iter().all(Option::is_none) {
        out.findings = findings;
    } else {
        let waived = by.iter().filter(|b| b.is_some()).count();
        out.waived.reserve_exact(waived);
        out.findings.reserve_exact(findings.len() - waived);
        for (finding, b) in findings.into_iter().zip(by) {
            match b {
                Some(i) => out.waived.push(Waived {
                    finding,
                    waiver: waivers[i].reference(),
                }),
                None => out.findings.push(finding),
            }
        }
    }
    out.waivers = waivers
        .iter()
        .zip(matched)
        .map(|(w, n)| WaiverStatus {
            rule: w.rule.clone(),
            status: if w.expired(today) {
                Status::Expired
            } else if n == 0 {
                Status::Unused
            } else {
                Status::Active
            },
            matched: n,
            source: w.source,
            file: w.file.clone(),
            line: w.pos.map(|p| p.line),
            column: w.pos.map(|p| p.column),
            selector: w.selector.clone(),
            path: w.path.clone(),
            reason: w.reason.clone(),
            owner: w.owner.clone(),
            expires: w.expires.format("%Y-%m-%d").to_string(),
        })
        .collect();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annotation_values_parse_in_any_order() {
        let a = parse_annotation(" owner=team-chat ;reason=Vendor image runs as root; expires = 2027-01-31").unwrap();
        assert_eq!(a.owner, "team-chat");
        assert_eq!(a.reason, "Vendor image runs as root");
        assert_eq!(a.expires, NaiveDate::from_ymd_opt(2027, 1, 31).unwrap());
    }

    #[test]
    fn malformed_annotations_say_what_is_missing() {
        let e = parse_annotation("reason=x; owner=y").unwrap_err();
        assert!(e.contains("missing `expires`"), "{e}");
        let e = parse_annotation("reason=x").unwrap_err();
        assert!(e.contains("missing `owner`, `expires`"), "{e}");
        let e = parse_annotation("reason=x; owner=y; expires=next week").unwrap_err();
        assert!(e.contains("`expires` `next week` is not a date"), "{e}");
        let e = parse_annotation("reason=x; owner=y; expires=2027-02-30").unwrap_err();
        assert!(e.contains("not a date"), "{e}");
        let e = parse_annotation("reason=x; owner=y; expiry=2027-01-01").unwrap_err();
        assert!(e.contains("unknown field `expiry`"), "{e}");
        let e = parse_annotation("reason=; owner=y; expires=2027-01-01").unwrap_err();
        assert!(e.contains("`reason` is empty"), "{e}");
    }

    #[test]
    fn paths_match_at_field_boundaries() {
        assert!(under("spec.containers[0].env[1].value", "spec.containers[0]"));
        assert!(under("spec.containers[0]", "spec.containers[0]"));
        assert!(under("spec.containers[0]", "spec.containers"));
        assert!(!under("spec.containers[0]", "spec.container"));
        assert!(!under("spec.containers[10]", "spec.containers[1]"));
        assert!(under("anything", ""));
    }

    #[test]
    fn a_waiver_expiring_today_still_waives() {
        let w = Waiver {
            rule: "K8S-002".into(),
            source: Source::Document,
            file: "w.yaml".into(),
            pos: None,
            selector: WaiverSelector::default(),
            path: None,
            reason: "r".into(),
            owner: "o".into(),
            expires: NaiveDate::from_ymd_opt(2026, 11, 24).unwrap(),
            object: None,
            glob: None,
        };
        assert!(!w.expired(NaiveDate::from_ymd_opt(2026, 11, 24).unwrap()));
        assert!(w.expired(NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()));
    }
}
