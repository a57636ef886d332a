//! Hostile input: the limits checked before a file is read or parsed, so that no file
//! written by anyone can hang the checker, exhaust its memory or crash it.
//!
//! - [`read_file`]: only regular files, at most `--max-file-size` bytes read (a FIFO or
//!   `/dev/zero` given as a path is refused, never read forever).
//! - [`check_yaml`]: a streaming pass over the YAML events (yaml-rust2, which expands
//!   nothing) before serde_yaml builds values. It rejects nesting deeper than
//!   [`MAX_DEPTH`] (libyaml's scanner costs time proportional to the flow depth for every
//!   token: 20,000 nested `{a: ` take seconds, an 8 MiB file of them hours) and aliases
//!   that expand to more than `Limits::max_alias_nodes` nodes (billion laughs: serde_yaml
//!   bounds alias jumps by 100 per event, but each jump may copy a large anchor, so a
//!   50 KB file can still expand to millions of nodes). The pass runs only on files where
//!   a byte count says it could matter: more than [`MAX_DEPTH`] `[`/`{` bytes, or both an
//!   `&` and a `*`.

use crate::base::source::Pos;
use std::collections::HashMap;
use std::io::Read;
use std::path::Path;
use yaml_rust2::parser::{Event, Parser};
use yaml_rust2::scanner::Marker;

/// Deepest nesting of collections read: serde_yaml's and serde_json's recursion limit, so
/// the guard never rejects what the parsers would accept.
pub const MAX_DEPTH: usize = 128;

/// What reading a file gave.
#[derive(Debug)]
pub enum Contents {
    Bytes(Vec<u8>),
    /// Over the limit: the size (from the file system, or what was read before stopping).
    TooLarge(u64),
    /// A FIFO, a socket, a device: never read (it may never end).
    NotAFile,
}

/// Reads a regular file, at most `max` bytes. Never blocks on a FIFO and never reads more
/// than `max + 1` bytes, even from a file that grows while it is read.
pub fn read_file(path: &Path, max: u64) -> std::io::Result<Contents> {
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        return Ok(Contents::NotAFile);
    }
    if meta.len() > max {
        return Ok(Contents::TooLarge(meta.len()));
    }
    let file = std::fs::File::open(path)?;
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(max.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max {
        return Ok(Contents::TooLarge(bytes.len() as u64));
    }
    Ok(Contents::Bytes(bytes))
}

/// Does the text start like a binary file (a NUL byte in its first 8 KiB)?
pub fn is_binary(bytes: &[u8]) -> bool {
    bytes.iter().take(8192).any(|&b| b == 0)
}

/// Why a YAML text is not parsed beyond document `doc`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    /// Ordinal of the document where the limit was hit: the ones before it are read.
    pub doc: usize,
    pub pos: Pos,
    pub message: String,
}

/// Could this text hold deep nesting or alias expansion? A byte count, so that ordinary
/// manifests (few flow collections, no anchors) skip the event pass.
fn suspicious(text: &str) -> bool {
    let bytes = text.as_bytes();
    let openers = bytes.iter().filter(|&&b| b == b'[' || b == b'{').count();
    openers > MAX_DEPTH || (bytes.contains(&b'&') && bytes.contains(&b'*'))
}

fn pos(mark: &Marker) -> Pos {
    Pos {
        line: mark.line().max(1) as u32,
        column: mark.col() as u32 + 1,
    }
}

/// Checks a YAML text against the nesting and alias limits; `Ok` when it may be handed
/// to serde_yaml. A text the event parser cannot read is rejected with its syntax error
/// when it is suspicious (its nesting and aliases cannot be bounded otherwise).
pub fn check_yaml(text: &str, max_alias_nodes: u64) -> Result<(), Rejected> {
    if !suspicious(text) {
        return Ok(());
    }
    let mut parser = Parser::new_from_str(text);
    // per open collection: its anchor id (0: none) and its node count so far
    let mut stack: Vec<(usize, u64)> = Vec::new();
    // node count of each anchored node, by anchor id
    let mut anchors: HashMap<usize, u64> = HashMap::new();
    let mut aliased: u64 = 0;
    let mut doc = 0usize;
    let reject = |doc: usize, mark: &Marker, message: String| Rejected {
        doc,
        pos: pos(mark),
        message,
    };
    loop {
        let (event, mark) = match parser.next_token() {
            Ok(e) => e,
            Err(e) => {
                let message = if e.info().contains("recursion limit") {
                    format!("nesting deeper than {MAX_DEPTH} levels")
                } else {
                    format!("invalid YAML: {}", e.info())
                };
                return Err(reject(doc, e.marker(), message));
            }
        };
        // a finished node of `size` nodes, anchored as `anchor`
        let done = |stack: &mut Vec<(usize, u64)>, anchors: &mut HashMap<usize, u64>, anchor: usize, size: u64| {
            if anchor != 0 {
                anchors.insert(anchor, size);
            }
            if let Some(parent) = stack.last_mut() {
                parent.1 = parent.1.saturating_add(size);
            }
        };
        match event {
            Event::StreamEnd => return Ok(()),
            Event::DocumentStart => stack.clear(),
            Event::DocumentEnd => doc += 1,
            Event::Scalar(_, _, anchor, _) => done(&mut stack, &mut anchors, anchor, 1),
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(reject(doc, &mark, format!("nesting deeper than {MAX_DEPTH} levels")));
                }
                stack.push((anchor, 1));
            }
            Event::SequenceEnd | Event::MappingEnd => {
                if let Some((anchor, size)) = stack.pop() {
                    done(&mut stack, &mut anchors, anchor, size);
                }
            }
            Event::Alias(id) => {
                let size = anchors.get(&id).copied().unwrap_or(1);
                aliased = aliased.saturating_add(size);
                if aliased > max_alias_nodes {
                    return Err(reject(
                        doc,
                        &mark,
                        format!(
                            "aliases expand to more than {max_alias_nodes} nodes (an alias bomb?): the rest is not read"
                        ),
                    ));
                }
                done(&mut stack, &mut anchors, 0, size);
            }
            Event::Nothing | Event::StreamStart => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn laughs(levels: usize) -> String {
        let mut s = String::from("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for i in 1..levels {
            let refs = vec![format!("*a{}", i - 1); 9].join(", ");
            s.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
        }
        s
    }

    #[test]
    fn ordinary_yaml_skips_the_event_pass() {
        assert!(!suspicious("apiVersion: v1\nkind: Pod\nmetadata: {name: x}\n"));
        assert!(suspicious(&"[".repeat(MAX_DEPTH + 1)));
        assert!(suspicious("a: &x 1\nb: *x\n"));
    }

    #[test]
    fn billion_laughs_is_rejected_at_the_alias_that_crosses_the_budget() {
        let r = check_yaml(&laughs(10), 100_000).unwrap_err();
        assert_eq!(r.doc, 0);
        assert!(r.message.contains("aliases expand to more than 100000 nodes"), "{r:?}");
        // lines 2 to 5 add 74,718 nodes; the first `*a4` on line 6 adds 66,430 more
        assert_eq!(r.pos, Pos { line: 6, column: 10 }, "{r:?}");
        // a few aliases are fine
        assert_eq!(check_yaml(&laughs(3), 100_000), Ok(()));
    }

    #[test]
    fn one_large_anchor_aliased_many_times_is_rejected() {
        let mut s = String::from("a: &a\n");
        for i in 0..1000 {
            s.push_str(&format!("  - x{i}\n"));
        }
        s.push_str("b:\n");
        s.push_str(&"  - *a\n".repeat(1000));
        let r = check_yaml(&s, 100_000).unwrap_err();
        assert!(r.pos.line > 1002, "{r:?}");
    }

    #[test]
    fn nesting_is_limited_to_the_parsers_depth() {
        let ok = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        assert_eq!(check_yaml(&ok, 100), Ok(()));
        let deep = "[".repeat(100_000) + &"]".repeat(100_000);
        let r = check_yaml(&deep, 100).unwrap_err();
        // the scanner looks ahead (a flow collection may be a key) and stops at 255 levels
        assert!(r.pos.line == 1 && r.pos.column <= 256, "{r:?}");
        assert!(r.message.contains("nesting deeper than 128 levels"));
        let flow = "{a: ".repeat(100_000);
        assert!(check_yaml(&flow, 100).is_err());
    }

    #[test]
    fn later_documents_are_named() {
        let text = format!("a: 1\n---\nb: 2\n---\n{}\n", "[".repeat(200));
        let r = check_yaml(&text, 100).unwrap_err();
        assert_eq!((r.doc, r.pos.line), (2, 5), "{r:?}");
    }

    #[test]
    fn special_files_are_not_read() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("a.yaml");
        std::fs::write(&f, "0123456789").unwrap();
        assert!(matches!(read_file(&f, 10).unwrap(), Contents::Bytes(b) if b.len() == 10));
        assert!(matches!(read_file(&f, 9).unwrap(), Contents::TooLarge(10)));
        assert!(matches!(read_file(dir.path(), 9).unwrap(), Contents::NotAFile));
        #[cfg(unix)]
        assert!(matches!(
            read_file(Path::new("/dev/zero"), 9).unwrap(),
            Contents::NotAFile
        ));
    }
}
