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
    /// Reported for manifests; other files (binaries over the size cap) are skipped with
    /// a note. Holds what could be read as text, to tell a manifest from another file.
    NotText(InputError, Option<String>),
    /// Text that is not UTF-8 (one Latin-1 byte): an error for a manifest, but a source
    /// file is scanned as read lossily, so that the byte cannot hide a key.
    NotUtf8(InputError, String, (String, u64)),
    /// Binary (a NUL byte in the first 8 KiB): an error for a manifest, but any other
    /// file is scanned for keys in what it says ([`binary_text`]), so that one NUL byte
    /// cannot hide a text file.
    Binary(InputError, String, (String, u64)),
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
    let digest = sha256(&bytes);
    match decode(bytes) {
        Ok(text) => Ok((text, digest)),
        // what it says still tells a manifest, and a key in it (or after a NUL byte put
        // there to hide it) is still found
        Err(Undecoded::Binary(bytes)) => Err(Unread::Binary(
            InputError::new(&c.display, None, "binary file (NUL bytes): not read"),
            binary_text(&bytes),
            digest,
        )),
        Err(Undecoded::NotUtf8(e)) => {
            let error = crate::input::loader::utf8_error(&c.display, e.as_bytes(), &e.utf8_error());
            Err(Unread::NotUtf8(
                error,
                String::from_utf8_lossy(e.as_bytes()).into_owned(),
                digest,
            ))
        }
    }
}

/// Bytes that are not read as text.
enum Undecoded {
    Binary(Vec<u8>),
    NotUtf8(std::string::FromUtf8Error),
}

/// A file's bytes as text: UTF-16 with a byte-order mark, or UTF-8 without NUL bytes.
fn decode(bytes: Vec<u8>) -> std::result::Result<String, Undecoded> {
    if let Some(text) = utf16_text(&bytes) {
        return Ok(text);
    }
    if crate::input::guard::is_binary(&bytes) {
        return Err(Undecoded::Binary(bytes));
    }
    String::from_utf8(bytes).map_err(Undecoded::NotUtf8)
}

/// The text [`read`] gives for `c`, without the digest; `None` where it gives none.
pub fn read_text(c: &Candidate, limits: &Limits) -> Option<String> {
    use crate::input::guard::{read_file, Contents};
    let Ok(Contents::Bytes(bytes)) = read_file(&c.path, limits.max_file_bytes) else {
        return None;
    };
    decode(bytes).ok()
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
    char::decode_utf16(utf16_units(body, little))
        .collect::<Result<String, _>>()
        .ok()
}

/// The code units of UTF-16 `bytes` (an odd last byte is dropped).
fn utf16_units(bytes: &[u8], little: bool) -> impl Iterator<Item = u16> + '_ {
    bytes.chunks_exact(2).map(move |p| {
        let pair = [p[0], p[1]];
        if little {
            u16::from_le_bytes(pair)
        } else {
            u16::from_be_bytes(pair)
        }
    })
}

/// What the scanner reads of a binary file: UTF-16 without a byte-order mark decoded
/// (mostly-ASCII text, every other byte NUL), anything else lossily with each NUL byte
/// read as a space: a separator, as between a PNG text chunk's keyword and its value.
fn binary_text(bytes: &[u8]) -> String {
    if let Some(text) = unmarked_utf16(bytes) {
        return text;
    }
    let spaced: Vec<u8> = bytes.iter().map(|&b| if b == 0 { b' ' } else { b }).collect();
    String::from_utf8_lossy(&spaced).into_owned()
}

/// UTF-16 text without a byte-order mark: nine in ten code units of the first 8 KiB are
/// ASCII, in little- or big-endian order.
fn unmarked_utf16(bytes: &[u8]) -> Option<String> {
    if bytes.len() % 2 != 0 {
        return None;
    }
    let head = &bytes[..bytes.len().min(8192)];
    let pairs = head.len() / 2;
    let ascii = |lo: usize| head.chunks_exact(2).filter(|p| p[1 - lo] == 0 && p[lo] != 0).count();
    let little = match (ascii(0), ascii(1)) {
        (n, _) if pairs >= 4 && n * 10 >= pairs * 9 => true,
        (_, n) if pairs >= 4 && n * 10 >= pairs * 9 => false,
        _ => return None,
    };
    Some(
        char::decode_utf16(utf16_units(bytes, little))
            .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
            .collect(),
    )
}

/// The first 64 KiB of the file (empty when it cannot be read: the scan says why).
fn head(path: &std::path::Path) -> Vec<u8> {
    use std::io::Read;
    let mut head = Vec::with_capacity(1 << 16);
    let _ = std::fs::File::open(path).and_then(|f| f.take(1 << 16).read_to_end(&mut head));
    head
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn utf16(text: &str, little: bool) -> Vec<u8> {
        text.encode_utf16()
            .flat_map(|u| if little { u.to_le_bytes() } else { u.to_be_bytes() })
            .collect()
    }

    #[test]
    fn a_nul_byte_separates_words_instead_of_gluing_them() {
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\x19tEXtComment\0sk-proj-abc\0\0IEND";
        let text = binary_text(png);
        assert!(text.contains("tEXtComment sk-proj-abc  IEND"), "{text:?}");
        assert_eq!(text.len(), png.len() + 2, "an invalid byte becomes U+FFFD (3 bytes)");
    }

    #[test]
    fn unmarked_utf16_is_decoded_in_either_order() {
        let text = "apiVersion: v1\nkind: Secret\n";
        assert_eq!(binary_text(&utf16(text, true)), text);
        assert_eq!(binary_text(&utf16(text, false)), text);
        // mostly binary with a few NUL-separated letters is not UTF-16
        let mut noisy = utf16(text, true);
        noisy.extend_from_slice(&[0xFF; 64]);
        assert!(!binary_text(&noisy).starts_with("apiVersion"));
        // an odd length is not UTF-16 either
        let mut odd = utf16(text, true);
        odd.push(b'x');
        assert!(binary_text(&odd).starts_with("a p i V e r s i o n"));
    }
}
