//! Redaction of free text (error messages, excerpts, URLs): every key-shaped substring and
//! every password in a URL replaced by its mask.

use crate::secrets::detect;
use crate::secrets::mask::mask;

/// Replaces every key-shaped substring of free text (error messages, excerpts) by its mask,
/// a key glued to the word before it included.
pub fn redact_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some((start, end)) = detect::find_key_shape(rest) {
        out.push_str(&rest[..start]);
        out.push_str(&mask(&rest[start..end]));
        rest = &rest[end..];
    }
    out.push_str(rest);
    redact_url_passwords(&out)
}

/// Masks the password of every `scheme://user:password@host` in `text`.
fn redact_url_passwords(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some((start, end)) = detect::find_url_password(rest) {
        out.push_str(&rest[..start]);
        out.push_str(&mask(&rest[start..end]));
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}
