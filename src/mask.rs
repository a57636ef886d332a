//! Masking of secret values. Every place that could show a value goes through here.

use crate::detect;

/// How many characters of a secret are shown before the redaction marker.
const SHOWN: usize = 5;

/// Masks a secret value: `sk-abcdef…` becomes `sk-ab…[redacted]`. Short values show less,
/// so that a 6-character password never appears nearly whole.
pub fn mask(value: &str) -> String {
    let count = value.chars().count();
    let shown = if count >= 16 { SHOWN } else { count / 4 };
    let head: String = value.chars().take(shown).collect();
    format!("{head}…[redacted]")
}

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
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_long_values_to_five_characters() {
        assert_eq!(mask("sk-abcdefghijklmnopqrstuvwxyz"), "sk-ab…[redacted]");
    }

    #[test]
    fn short_values_show_a_quarter_at_most() {
        assert_eq!(mask("hunter2"), "h…[redacted]");
        assert_eq!(mask("abc"), "…[redacted]");
    }

    #[test]
    fn redacts_keys_inside_text() {
        let key = "sk-proj-Q7vT2mXk9LpR4sW8nYzB3cJ6hF1dG5aE0uK";
        let text = format!("invalid type: string \"{key}\", expected a map");
        let red = redact_text(&text);
        assert!(!red.contains(key));
        assert!(red.contains("sk-pr…[redacted]"));
    }

    #[test]
    fn redacts_keys_glued_to_a_word() {
        let key = "sk-proj-Q7vT2mXk9LpR4sW8nYzB3cJ6hF1dG5aE0uK";
        let red = redact_text(&format!("plant{key}"));
        assert_eq!(red, "plantsk-pr…[redacted]");
        // the detector still wants a word start
        assert_eq!(detect::find_api_key(&format!("plant{key}")), None);
    }
}
