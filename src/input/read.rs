//! Reading one file within the limits: its text (UTF-8, or UTF-16 with a byte-order mark,
//! as kubectl reads it), its digest for the audit trail, or why it was not read.

use crate::base::finding::{InputError, Provenance};
use crate::input::discover::Candidate;
use crate::input::loader::Limits;

/// One input file, read.
pub struct Input {
    pub display: String,
    /// Kept for manifests: findings are placed by a second read of the text.
    pub text: Option<String>,
    /// SHA-256 and size of what was read, for the audit trail.
    pub digest: Option<(String, u64)>,
    /// Rendered output (of a chart's template, of an overlay's resource): from where.
    pub rendered: Option<Provenance>,
}

pub fn sha256(bytes: &[u8]) -> (String, u64) {
    use sha2::{Digest, Sha256};
    (crate::base::digest::hex(&Sha256::digest(bytes)), bytes.len() as u64)
}

/// Why a file was not read.
pub enum Unread {
    /// Reported for every file.
    Error(InputError),
    /// Reported for manifests; other files (assets, binaries) are skipped with a note.
    /// Holds what could be read as text, to tell a manifest from another file.
    NotText(InputError, Option<String>),
    /// Text that is not UTF-8 (one Latin-1 byte): an error for a manifest, but a source
    /// file is scanned as read lossily, so that the byte cannot hide a key.
    NotUtf8(InputError, String, (String, u64)),
    /// Text over the size cap: an error for a manifest; a source file is scanned in pieces
    /// (`scan::chunks`), so that padding cannot hide a key.
    /// Holds the file's first 64 KiB, to tell a manifest from another file.
    TooLarge(InputError, String),
}

pub fn read(c: &Candidate, limits: &Limits) -> std::result::Result<(String, (String, u64)), Unread> {
    use crate::input::guard::{read_file, Contents};
    let note = |message: String| Unread::NotText(InputError::new(&c.display, None, message), None);
    let bytes = match read_file(&c.path, limits.max_file_bytes) {
        Ok(Contents::Bytes(b)) => b,
        Ok(Contents::TooLarge(size)) => {
            let message = format!(
                "file is {size} bytes, over the {}-byte limit (--max-file-size): not read",
                limits.max_file_bytes
            );
            // a large binary (an image, a model) is skipped like a small one
            let head = head(&c.path);
            return Err(if crate::input::guard::is_binary(&head) {
                note(message)
            } else {
                let head = String::from_utf8_lossy(&head).into_owned();
                Unread::TooLarge(InputError::new(&c.display, None, message), head)
            });
        }
        Ok(Contents::NotAFile) => {
            return Err(Unread::Error(InputError::new(
                &c.display,
                None,
                "not a regular file (a FIFO, socket or device): not read",
            )))
        }
        Err(e) => {
            return Err(Unread::Error(InputError::new(
                &c.display,
                None,
                format!("cannot read: {e}"),
            )))
        }
    };
    if let Some(text) = utf16_text(&bytes) {
        return Ok((text, sha256(&bytes)));
    }
    if crate::input::guard::is_binary(&bytes) {
        // UTF-16 text is all NUL bytes to us: its letters still tell a manifest
        let letters: Vec<u8> = bytes.iter().copied().filter(|&b| b != 0).collect();
        return Err(Unread::NotText(
            InputError::new(&c.display, None, "binary file (NUL bytes): not read"),
            Some(String::from_utf8_lossy(&letters).into_owned()),
        ));
    }
    let digest = sha256(&bytes);
    String::from_utf8(bytes).map(|t| (t, digest.clone())).map_err(|e| {
        let error = crate::input::loader::utf8_error(&c.display, e.as_bytes(), &e.utf8_error());
        Unread::NotUtf8(error, String::from_utf8_lossy(e.as_bytes()).into_owned(), digest)
    })
}

/// UTF-16 text with a byte-order mark, as kubectl reads it (it transcodes such files to
/// UTF-8 before parsing); `None` for anything else, or for UTF-16 that does not decode.
fn utf16_text(bytes: &[u8]) -> Option<String> {
    let little = match bytes {
        [0xFF, 0xFE, ..] => true,
        [0xFE, 0xFF, ..] => false,
        _ => return None,
    };
    let body = &bytes[2..];
    if body.len() % 2 != 0 {
        return None;
    }
    let units = body.chunks_exact(2).map(|p| {
        let pair = [p[0], p[1]];
        if little {
            u16::from_le_bytes(pair)
        } else {
            u16::from_be_bytes(pair)
        }
    });
    char::decode_utf16(units).collect::<Result<String, _>>().ok()
}

/// The first 64 KiB of the file (empty when it cannot be read: the scan says why).
fn head(path: &std::path::Path) -> Vec<u8> {
    use std::io::Read;
    let mut head = Vec::with_capacity(1 << 16);
    let _ = std::fs::File::open(path).and_then(|f| f.take(1 << 16).read_to_end(&mut head));
    head
}
