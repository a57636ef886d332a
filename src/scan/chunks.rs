//! Files over the size cap (`--max-file-size`) are scanned too, in pieces, so that padding a
//! source file past the cap cannot hide a key. Each piece ends after its last newline, so
//! lines stay whole and line numbers carry over; a line longer than a piece is cut with an
//! overlap longer than any key, and a match found twice in the overlap is kept once. Memory
//! stays at one piece; time is bounded by `max_total` bytes, past which the rest of the file
//! is an input error (it counts toward the exit status: fail closed).

use super::{detectors, scan_file, Scanned};
use crate::base::finding::InputError;
use crate::base::source::Pos;
use sha2::{Digest, Sha256};
use std::collections::HashSet;
use std::io::Read;
use std::path::Path;

/// Bytes kept from the end of a piece with no newline: longer than any key or token the
/// detectors match.
const OVERLAP: usize = 512;

/// What scanning a large file gave: the scan, the SHA-256 and size of what was read, and
/// an error when the file was not read to its end.
pub struct Large {
    pub scanned: Scanned,
    pub digest: (String, u64),
    pub error: Option<InputError>,
}

/// Scans the file at `path` in pieces of `piece` bytes, reading at most `max_total` bytes.
pub fn scan_large(file: usize, display: &str, path: &Path, piece: usize, max_total: u64) -> Large {
    let mut whole = scan_file(file, display, path, Some(""));
    let mut hasher = Sha256::new();
    let mut seen: HashSet<(u32, u32, &'static str)> = HashSet::new();
    let fail = |message: String, at: Option<Pos>| Some(InputError::new(display, at, message));
    let mut reader = match std::fs::File::open(path) {
        Ok(f) => f.take(max_total),
        Err(e) => {
            return Large {
                scanned: whole,
                digest: (String::new(), 0),
                error: fail(format!("cannot read: {e}"), None),
            }
        }
    };
    let piece = piece.max(OVERLAP * 4);
    let (mut carry, mut line, mut column, mut total) = (Vec::new(), 1u32, 0u32, 0u64);
    let mut buf = vec![0u8; piece];
    loop {
        let n = match read_full(&mut reader, &mut buf) {
            Ok(n) => n,
            Err(e) => {
                whole.truncated = fail(format!("cannot read past byte {total}: {e}"), None);
                break;
            }
        };
        total += n as u64;
        hasher.update(&buf[..n]);
        let mut bytes = std::mem::take(&mut carry);
        bytes.extend_from_slice(&buf[..n]);
        let last = n < buf.len();
        // cut after the last newline; a piece with none is cut with an overlap
        let (cut, next) = match bytes.iter().rposition(|&b| b == b'\n') {
            _ if last => (bytes.len(), bytes.len()),
            Some(i) => (i + 1, i + 1),
            None => (bytes.len(), bytes.len().saturating_sub(OVERLAP)),
        };
        let text = String::from_utf8_lossy(&bytes[..cut]);
        let part = scan_file(file, display, path, Some(&text));
        merge(&mut whole, part, line, column, &mut seen);
        let consumed = &bytes[..next];
        let newlines = consumed.iter().filter(|&&b| b == b'\n').count() as u32;
        column = match consumed.iter().rposition(|&b| b == b'\n') {
            Some(i) => String::from_utf8_lossy(&consumed[i + 1..]).chars().count() as u32,
            None => column + String::from_utf8_lossy(consumed).chars().count() as u32,
        };
        line += newlines;
        carry = bytes[next..].to_vec();
        if last {
            break;
        }
    }
    let error = if total >= max_total && more(&mut reader) {
        fail(
            format!("file is over {max_total} bytes: scanned up to here, the rest is not read (--max-file-size)"),
            Some(Pos {
                line,
                column: column + 1,
            }),
        )
    } else {
        None
    };
    cap(&mut whole, display);
    let digest = (crate::base::digest::hex(&hasher.finalize()), total);
    Large {
        error: error.or(whole.truncated.take()),
        scanned: whole,
        digest,
    }
}

/// Fills `buf` as far as the reader goes.
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// Whether the file goes on past what `take` allowed.
fn more(r: &mut std::io::Take<std::fs::File>) -> bool {
    let mut one = [0u8; 1];
    r.get_mut().read(&mut one).is_ok_and(|n| n > 0)
}

/// Adds a piece's scan to the whole: its hits moved to the piece's first line (and, on
/// that line, past the columns before it), each match once; its file-level facts or-ed.
fn merge(whole: &mut Scanned, part: Scanned, line: u32, column: u32, seen: &mut HashSet<(u32, u32, &'static str)>) {
    for mut h in part.hits {
        if h.line == 1 {
            h.column += column;
        }
        h.line += line - 1;
        if seen.insert((h.line, h.column, h.detector)) {
            whole.hits.push(h);
        }
    }
    whole.gateway_url |= part.gateway_url;
    whole.logs |= part.logs;
    whole.handles_errors |= part.handles_errors;
    whole.secret_file |= part.secret_file;
}

/// At most [`detectors::MAX_HITS`] hits, as for a file read whole.
fn cap(whole: &mut Scanned, display: &str) {
    if whole.hits.len() <= detectors::MAX_HITS {
        return;
    }
    whole.hits.truncate(detectors::MAX_HITS);
    let last = whole.hits.last().map(|h| Pos {
        line: h.line,
        column: h.column,
    });
    whole.truncated = Some(InputError::new(
        display,
        last,
        format!(
            "more than {} matches: the file is scanned only up to here",
            detectors::MAX_HITS
        ),
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "sk-proj-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789AbCdEfGh";

    fn write(text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("app.py");
        std::fs::write(&p, text).unwrap();
        (dir, p)
    }

    fn keys(l: &Large) -> Vec<(u32, u32)> {
        l.scanned
            .hits
            .iter()
            .filter(|h| h.detector == "api-key")
            .map(|h| (h.line, h.column))
            .collect()
    }

    #[test]
    fn a_key_after_the_padding_is_found_at_its_line() {
        let padding = "x = 1\n".repeat(5000);
        let text = format!("{padding}client = OpenAI(api_key=\"{KEY}\")\n");
        let (_d, p) = write(&text);
        let whole = scan_file(0, "app.py", &p, Some(&text));
        let large = scan_large(0, "app.py", &p, 4096, 1 << 30);
        assert_eq!(
            keys(&large),
            whole
                .hits
                .iter()
                .filter(|h| h.detector == "api-key")
                .map(|h| (h.line, h.column))
                .collect::<Vec<_>>()
        );
        assert_eq!(keys(&large), vec![(5001, 26)]);
        assert_eq!(large.digest.1, text.len() as u64);
        assert!(large.error.is_none());
    }

    #[test]
    fn a_key_across_a_cut_in_one_long_line_is_found_once() {
        for offset in [4000usize, 4090, 4096, 4100, 5000] {
            let text = format!("{}\"{KEY}\" {}\n", "a".repeat(offset), "b".repeat(9000));
            let (_d, p) = write(&text);
            let large = scan_large(0, "app.py", &p, 4096, 1 << 30);
            assert_eq!(keys(&large), vec![(1, offset as u32 + 2)], "offset {offset}");
        }
    }

    #[test]
    fn past_the_total_the_rest_is_an_error() {
        let text = format!("{}{KEY}\n", "y = 2\n".repeat(4000));
        let (_d, p) = write(&text);
        let large = scan_large(0, "app.py", &p, 4096, 8192);
        assert!(keys(&large).is_empty());
        let e = large.error.unwrap();
        assert!(e.message.contains("the rest is not read"), "{}", e.message);
    }
}
