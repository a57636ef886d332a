//! The position-keeping pass. serde_yaml gives values without positions, so for files that
//! have something to report we read the YAML events once more (yaml-rust2 keeps marks) and
//! map every field path of every document to the line and column where it is written.
//! A mapping entry is placed at its key, a sequence item at its first character.

use crate::base::path;
use crate::base::source::Pos;
use std::collections::HashMap;
use yaml_rust2::parser::{Event, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// Field path -> position, for one document.
pub type DocPositions = HashMap<String, Pos>;

enum Frame {
    /// `fixup`: a sequence item whose position is its first key's (yaml-rust2 marks a
    /// block mapping at its first `:`, not at its first character).
    Map {
        path: String,
        pending: Option<String>,
        fixup: Option<String>,
    },
    Seq {
        path: String,
        next: usize,
    },
    /// A complex (non-scalar) mapping key: nothing inside is addressable.
    Opaque {
        depth: usize,
    },
}

/// Line starts, in characters, of a text in which YAML counts lines differently from the
/// reports: a lone `\r` is a line break to YAML, not to editors, `\n`-counted excerpts or
/// the source scanner.
struct LineStarts(Vec<usize>);

impl LineStarts {
    /// `None` for the usual text (no lone `\r`): YAML's own lines are the file's lines.
    fn of(text: &str) -> Option<Self> {
        let b = text.as_bytes();
        let lone_cr = b
            .iter()
            .enumerate()
            .any(|(i, &c)| c == b'\r' && b.get(i + 1) != Some(&b'\n'));
        if !lone_cr {
            return None;
        }
        let mut starts = vec![0];
        starts.extend(text.chars().enumerate().filter(|(_, c)| *c == '\n').map(|(i, _)| i + 1));
        Some(LineStarts(starts))
    }

    fn pos(&self, index: usize) -> Pos {
        let line = self.0.partition_point(|&s| s <= index).max(1);
        Pos {
            line: line as u32,
            column: (index - self.0[line - 1]) as u32 + 1,
        }
    }
}

struct Walker<'a> {
    docs: Vec<DocPositions>,
    current: DocPositions,
    stack: Vec<Frame>,
    lines: Option<LineStarts>,
    /// The last position inside the text: yaml-rust2 may mark a node that starts at the
    /// very end of the input on the line after the last.
    end: Pos,
    /// When kept: per document, the plain scalar values that YAML 1.1 reads as something
    /// other than a string (path -> the scalar as written), see [`plain_scalars`].
    plain: Option<(Vec<PlainScalars>, PlainScalars)>,
    /// When given: per document, the only paths to record (the wanted ones and their
    /// ancestors, see [`index_wanted`]); collections off these paths are not walked.
    want: Option<&'a [std::collections::HashSet<String>]>,
}

impl Walker<'_> {
    fn pos(&self, mark: &Marker) -> Pos {
        let p = match &self.lines {
            Some(l) => l.pos(mark.index()),
            None => Pos {
                line: (mark.line() as u32).max(1),
                column: mark.col() as u32 + 1,
            },
        };
        if p.line > self.end.line {
            self.end
        } else {
            p
        }
    }

    /// Whether `path` of the current document is recorded (always, without a wanted set).
    fn wanted(&self, path: &str) -> bool {
        match self.want {
            None => true,
            Some(sets) => sets.get(self.docs.len()).is_some_and(|set| set.contains(path)),
        }
    }

    /// Records where `path` starts, unless it is already known or not wanted.
    fn record(&mut self, path: &str, at: Pos) {
        if self.wanted(path) && !self.current.contains_key(path) {
            self.current.insert(path.to_string(), at);
        }
    }

    /// Where the node that starts now lives, or `None` inside an opaque key.
    fn node_path(&mut self, scalar_key: Option<&str>, mark: &Marker) -> Option<String> {
        let at = self.pos(mark);
        match self.stack.last_mut() {
            None => {
                self.record("", at);
                Some(String::new())
            }
            Some(Frame::Opaque { .. }) => None,
            Some(Frame::Seq { path: p, next }) => {
                let child = path::index(p, *next);
                *next += 1;
                self.record(&child, at);
                Some(child)
            }
            Some(Frame::Map {
                path: p,
                pending,
                fixup,
            }) => match pending.take() {
                Some(child) => Some(child),
                None => {
                    // this node is a key
                    match scalar_key {
                        Some(k) => {
                            let child = path::key(p, k);
                            let item = fixup.take();
                            *pending = Some(child.clone());
                            self.record(&child, at);
                            if let Some(item) = item {
                                // wanted, or its frame would not have been walked
                                self.current.insert(item, at);
                            }
                        }
                        None => *pending = Some(format!("{p}.?")),
                    }
                    None
                }
            },
        }
    }

    fn is_key_position(&self) -> bool {
        matches!(self.stack.last(), Some(Frame::Map { pending: None, .. }))
    }

    fn on_event(&mut self, ev: Event, mark: Marker) {
        match ev {
            Event::DocumentStart => {
                self.current = DocPositions::new();
                self.stack.clear();
            }
            Event::DocumentEnd => {
                self.docs.push(std::mem::take(&mut self.current));
                if let Some((docs, current)) = &mut self.plain {
                    docs.push(std::mem::take(current));
                }
            }
            Event::Scalar(value, style, _, tag) => {
                if let Some(Frame::Opaque { .. }) = self.stack.last() {
                    return;
                }
                let at = self.node_path(Some(&value), &mark);
                // a value (not a key), unquoted and untagged, that YAML 1.1 reads differently
                if let (Some(p), Some((_, current))) = (at, &mut self.plain) {
                    if style == TScalarStyle::Plain
                        && tag.is_none()
                        && crate::input::yaml11::resolve_plain(&value).is_some()
                    {
                        current.insert(p, value);
                    }
                }
            }
            Event::Alias(_) => {
                self.node_path(Some("*alias"), &mark);
            }
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                let is_map = matches!(ev, Event::MappingStart(..));
                if let Some(Frame::Opaque { depth }) = self.stack.last_mut() {
                    *depth += 1;
                    return;
                }
                if self.is_key_position() {
                    self.node_path(None, &mark);
                    self.stack.push(Frame::Opaque { depth: 1 });
                    return;
                }
                // a sequence item, or the document itself, is placed at its first key
                let in_seq = self.stack.is_empty() || matches!(self.stack.last(), Some(Frame::Seq { .. }));
                if let Some(p) = self.node_path(None, &mark) {
                    if !self.wanted(&p) {
                        // no wanted path goes through it: skip what is inside
                        self.stack.push(Frame::Opaque { depth: 1 });
                        return;
                    }
                    self.stack.push(if is_map {
                        Frame::Map {
                            fixup: in_seq.then(|| p.clone()),
                            path: p,
                            pending: None,
                        }
                    } else {
                        Frame::Seq { path: p, next: 0 }
                    });
                }
            }
            Event::MappingEnd | Event::SequenceEnd => match self.stack.last_mut() {
                Some(Frame::Opaque { depth }) if *depth > 1 => *depth -= 1,
                _ => {
                    self.stack.pop();
                }
            },
            _ => {}
        }
    }
}

/// Positions of every field of every document in `text`. A syntax error, or nesting deeper
/// than the loader reads ([`crate::input::guard::MAX_DEPTH`]), ends the walk: the documents before
/// it are still returned. (yaml-rust2 takes time quadratic in the depth of block
/// collections opened on one line: 20,000 `- ` take seconds.)
pub fn index_documents(text: &str) -> Vec<DocPositions> {
    walk(text, false, None).docs
}

/// As [`index_documents`], but each document's map holds only the paths of `want[doc]`
/// (a set closed under [`path::parent`], see [`ancestors`]), and collections off those
/// paths are not walked: what [`lookup`] gives for a wanted path is the same, at a
/// fraction of the cost when a file has a few findings among many fields.
pub fn index_wanted(text: &str, want: &[std::collections::HashSet<String>]) -> Vec<DocPositions> {
    walk(text, false, Some(want)).docs
}

/// `path` and every path above it, up to the document root `""`: the set
/// [`index_wanted`] needs for [`lookup`] of `path`.
pub fn ancestors(path: &str) -> impl Iterator<Item = &str> {
    std::iter::successors(Some(path), |p| path::parent(p))
}

/// Field path -> the plain scalar written there, for one document.
pub type PlainScalars = HashMap<String, String>;

/// Per document, the unquoted, untagged scalar values that YAML 1.1 (as kubectl reads a
/// manifest) resolves to a number, boolean or null where YAML 1.2 reads a string: the
/// loader re-types exactly these. Values reached through aliases and merge keys are not
/// listed (they keep YAML 1.2's reading). Same limits as [`index_documents`].
pub fn plain_scalars(text: &str) -> Vec<PlainScalars> {
    walk(text, true, None).plain.map(|(docs, _)| docs).unwrap_or_default()
}

fn walk<'a>(text: &str, plain: bool, want: Option<&'a [std::collections::HashSet<String>]>) -> Walker<'a> {
    let mut walker = Walker {
        want,
        plain: plain.then(Default::default),
        docs: Vec::new(),
        current: DocPositions::new(),
        stack: Vec::new(),
        lines: LineStarts::of(text),
        end: crate::base::source::clamp(
            text,
            Pos {
                line: u32::MAX,
                column: 1,
            },
        ),
    };
    let mut parser = Parser::new_from_str(text);
    let mut depth = 0usize;
    loop {
        match parser.next_token() {
            Ok((Event::StreamEnd, _)) | Err(_) => break,
            Ok((ev, mark)) => {
                match ev {
                    Event::MappingStart(..) | Event::SequenceStart(..) => depth += 1,
                    Event::MappingEnd | Event::SequenceEnd => depth = depth.saturating_sub(1),
                    Event::DocumentStart => depth = 0,
                    _ => {}
                }
                if depth > crate::input::guard::MAX_DEPTH {
                    break;
                }
                walker.on_event(ev, mark);
            }
        }
    }
    walker
}

/// The position of `path`, or of its nearest ancestor that is written in the document
/// (a rule about a missing field points at the object that should hold it).
pub fn lookup(doc: &DocPositions, mut path: &str) -> Pos {
    loop {
        if let Some(p) = doc.get(path) {
            return *p;
        }
        match path::parent(path) {
            Some(up) => path = up,
            None => return Pos::START,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "\
apiVersion: v1
kind: Pod
metadata:
  name: x
  labels:
    app.kubernetes.io/name: web
spec:
  containers:
    - name: app
      env:
        - name: A
          value: \"1\"
        - {name: B, value: two}
---
kind: ConfigMap
data: {k: v}
";

    #[test]
    fn maps_paths_to_key_positions() {
        let docs = index_documents(DOC);
        assert_eq!(docs.len(), 2);
        let d = &docs[0];
        assert_eq!(d["kind"], Pos { line: 2, column: 1 });
        assert_eq!(
            d["metadata.labels[\"app.kubernetes.io/name\"]"],
            Pos { line: 6, column: 5 }
        );
        assert_eq!(d["spec.containers[0]"], Pos { line: 9, column: 7 });
        assert_eq!(d["spec.containers[0].env[1]"], Pos { line: 13, column: 12 });
        assert_eq!(d["spec.containers[0].env[0].value"], Pos { line: 12, column: 11 });
        assert_eq!(d["spec.containers[0].env[1].value"], Pos { line: 13, column: 21 });
        assert_eq!(docs[1]["data.k"], Pos { line: 16, column: 8 });
    }

    #[test]
    fn missing_fields_fall_back_to_the_nearest_ancestor() {
        let docs = index_documents(DOC);
        let p = lookup(&docs[0], "spec.containers[0].securityContext.privileged");
        assert_eq!(p, Pos { line: 9, column: 7 });
        // a missing top-level field: the document, at its first key (not at its first `:`)
        assert_eq!(lookup(&docs[0], "rateLimit"), Pos { line: 1, column: 1 });
        assert_eq!(lookup(&docs[1], "rateLimit"), Pos { line: 15, column: 1 });
    }

    #[test]
    fn wanted_paths_are_placed_as_in_the_whole_index() {
        let whole = index_documents(DOC);
        let asked = [
            (0, "spec.containers[0].env[1].value"),
            (0, "spec.containers[0].securityContext.privileged"),
            (0, "metadata.labels[\"app.kubernetes.io/name\"]"),
            (0, "rateLimit"),
            (1, "data.k"),
            (1, "data.missing"),
        ];
        let mut want = vec![std::collections::HashSet::new(); 2];
        for (d, p) in asked {
            want[d].extend(ancestors(p).map(str::to_string));
        }
        let some = index_wanted(DOC, &want);
        assert_eq!(some.len(), 2);
        for (d, p) in asked {
            assert_eq!(lookup(&some[d], p), lookup(&whole[d], p), "{p}");
        }
        // and only those: the other container fields were not walked
        assert!(!some[0].contains_key("spec.containers[0].env[0].value"));
        assert!(some[0].len() < whole[0].len());
        // a document with nothing wanted
        let none = index_wanted(DOC, &[]);
        assert!(none.iter().all(|d| d.is_empty()));
    }

    #[test]
    fn a_lone_carriage_return_is_not_a_line_break_in_positions() {
        let docs = index_documents("a: 1\rb: 2\nc: 3\r\nd: 4\n");
        assert_eq!(docs[0]["b"], Pos { line: 1, column: 6 });
        assert_eq!(docs[0]["c"], Pos { line: 2, column: 1 });
        assert_eq!(docs[0]["d"], Pos { line: 3, column: 1 });
    }

    #[test]
    fn json_documents_have_positions_too() {
        let docs = index_documents("{\n  \"kind\": \"Pod\",\n  \"spec\": {\"containers\": [{\"name\": \"a\"}]}\n}\n");
        assert_eq!(docs[0]["spec.containers[0].name"], Pos { line: 3, column: 28 });
    }
}
