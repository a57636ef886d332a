//! Escaping of untrusted values (object names, paths, messages, waiver reasons: anything
//! a pull request writes) for the output they are printed in, so that a value can never
//! change the structure around it: end a Markdown paragraph, open an HTML comment, forge
//! a CI-log line or drive a terminal.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Appends `c` as a visible escape (`\n`, `\x1b`, `\u{202e}`) when it is a control
/// character or a line/paragraph separator; `false` when it is printable as it is.
fn visible(c: char, out: &mut String) -> bool {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if (c as u32) < 0x20 || c == '\x7f' => {
            let _ = write!(out, "\\x{:02x}", c as u32);
        }
        // C1 controls (CSI, OSC as one code point), separators that end a line in some
        // viewers, and the bidirectional overrides that reorder what a reader sees
        '\u{80}'..='\u{9f}'
        | '\u{2028}'
        | '\u{2029}'
        | '\u{200e}'
        | '\u{200f}'
        | '\u{202a}'..='\u{202e}'
        | '\u{2066}'..='\u{2069}' => {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
        _ => return false,
    }
    true
}

fn needs_visible(c: char) -> bool {
    visible(c, &mut String::new())
}

/// A value for a terminal or a CI log: every control character shown as an escape
/// (`\x1b`, `\n`), so that it cannot move the cursor, set the clipboard (OSC 52), hide a
/// link (OSC 8) or start a line of its own (`::error`, `::add-mask::`, `result: passed`).
pub fn terminal(s: &str) -> Cow<'_, str> {
    if !s.chars().any(needs_visible) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if !visible(c, &mut out) {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Characters that mean something inline in CommonMark/GFM (emphasis, code, links,
/// images, raw HTML and entities, table cells, strikethrough, math), backslash-escaped.
const MARKDOWN_INLINE: &[char] = &['\\', '`', '*', '_', '[', ']', '<', '>', '!', '&', '|', '~', '$'];

/// A value for Markdown running text (a list item, a heading, a table cell): the inline
/// specials backslash-escaped, line breaks as spaces (a value never starts a line, so it
/// cannot end a paragraph or a table row), other control characters as visible escapes, and
/// a first character that could open a block (`#`, `>`, `-`, `+`, `=`, `1.`) escaped.
pub fn markdown(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    // `12. ` or `12) ` opens an ordered list; `0.1.0` does not
    let digits = s.len() - s.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    let marker = s[digits..].starts_with(['.', ')']) && s[digits + 1..].chars().next().is_none_or(char::is_whitespace);
    let lead = if marker { digits } else { usize::MAX };
    for (i, c) in s.char_indices() {
        match c {
            '\n' | '\r' | '\t' | '\u{2028}' | '\u{2029}' => out.push(' '),
            c if MARKDOWN_INLINE.contains(&c) => {
                out.push('\\');
                out.push(c);
            }
            c if i == 0 && c.is_ascii_punctuation() => {
                out.push('\\');
                out.push(c);
            }
            '.' | ')' if i == lead && lead > 0 => {
                out.push('\\');
                out.push(c);
            }
            c => {
                if !visible(c, &mut out) {
                    out.push(c);
                }
            }
        }
    }
    out
}

/// A message whose `` `quoted` `` parts are code: each part escaped for its context
/// (running text by [`markdown`], code by [`code_span`]). A backtick inside a quoted value
/// can only move where code starts and ends, never let Markdown through; an unpaired
/// backtick is shown as one.
pub fn markdown_prose(s: &str, cell: bool) -> String {
    let parts: Vec<&str> = s.split('`').collect();
    let paired = parts.len() % 2 == 1;
    let mut out = String::with_capacity(s.len() + 8);
    for (i, part) in parts.iter().enumerate() {
        let last = i + 1 == parts.len();
        if i % 2 == 1 && (paired || !last) {
            out.push_str(&code_span(part, cell));
        } else {
            if i % 2 == 1 {
                out.push_str("\\`");
            }
            // mid-line after the first part: only a value's own first character opens a block
            let text = markdown(part);
            match (i, text.strip_prefix('\\')) {
                (1.., Some(rest))
                    if part.starts_with(|c: char| c.is_ascii_punctuation() && !MARKDOWN_INLINE.contains(&c)) =>
                {
                    out.push_str(rest)
                }
                _ => out.push_str(&text),
            }
        }
    }
    out
}

/// A value as a whole Markdown code span, fenced with more backticks than it holds, so
/// that it cannot be broken out of; line breaks as spaces, other control characters as
/// visible escapes. In a table cell (`cell`), `|` is escaped, which GFM undoes.
pub fn code_span(s: &str, cell: bool) -> String {
    if s.is_empty() {
        return String::new();
    }
    let mut body = String::with_capacity(s.len() + 4);
    for c in s.chars() {
        match c {
            '\n' | '\r' | '\t' | '\u{2028}' | '\u{2029}' => body.push(' '),
            '|' if cell => body.push_str("\\|"),
            c => {
                if !visible(c, &mut body) {
                    body.push(c);
                }
            }
        }
    }
    let mut longest = 0;
    let mut run = 0;
    for c in body.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    // a space on each side keeps a backtick at either end out of the fence; CommonMark
    // strips one space from each side
    let pad = if body.starts_with(['`', ' ']) || body.ends_with(['`', ' ']) {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{body}{pad}{fence}")
}

/// Raw control bytes removed from text bound for HTML (tera escapes the markup
/// characters): a report opened by an auditor shows `\x1b` rather than a raw byte.
pub fn html_text(s: &str) -> Cow<'_, str> {
    terminal(s)
}

/// The report with every control character shown as an escape, for the text output.
pub fn for_terminal(report: &crate::report::Report) -> Cow<'_, crate::report::Report> {
    let mut copy = report.clone();
    let mut changed = false;
    crate::findings::fields::each(&mut copy, &mut |s| {
        if let Cow::Owned(e) = terminal(s) {
            *s = e;
            changed = true;
        }
    });
    if changed {
        Cow::Owned(copy)
    } else {
        Cow::Borrowed(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_values_never_start_a_line() {
        let s = "p\u{1b}[2J\u{1b}]52;c;cHduZWQ=\u{7}\r\n::error::forged\u{9b}31m";
        let t = terminal(s);
        assert_eq!(t, "p\\x1b[2J\\x1b]52;c;cHduZWQ=\\x07\\r\\n::error::forged\\u{9b}31m");
        assert!(!t.contains(['\n', '\r', '\u{1b}', '\u{7}']));
        assert!(matches!(terminal("plain"), Cow::Borrowed(_)));
    }

    #[test]
    fn markdown_text_is_escaped() {
        assert_eq!(markdown("harmless\n\nAll\r\n<!--"), "harmless  All  \\<\\!--");
        assert_eq!(markdown("# title"), "\\# title");
        assert_eq!(markdown("12. x"), "12\\. x");
        assert_eq!(markdown("a-b.c"), "a-b.c");
        assert_eq!(markdown("0.1.0"), "0.1.0");
        assert_eq!(markdown("1)"), "1\\)");
        assert_eq!(
            markdown("[x](http://e) ![i](u) a|b"),
            "\\[x\\](http://e) \\!\\[i\\](u) a\\|b"
        );
    }

    #[test]
    fn prose_keeps_its_code_spans() {
        assert_eq!(
            markdown_prose("container `c` may run as root", false),
            "container `c` may run as root"
        );
        assert_eq!(markdown_prose("Pod `a`b` ok", false), "Pod `a`b\\` ok");
        assert_eq!(markdown_prose("x `a\n\n<!--` *y*", false), "x `a  <!--` \\*y\\*");
        assert_eq!(markdown_prose("`k`: v|w", true), "`k`: v\\|w");
    }

    #[test]
    fn code_spans_cannot_be_broken_out_of() {
        assert_eq!(code_span("d.yaml", false), "`d.yaml`");
        assert_eq!(code_span("a`b", false), "``a`b``");
        assert_eq!(code_span("`x``", false), "``` `x`` ```");
        assert_eq!(code_span("a|b", true), "`a\\|b`");
        assert_eq!(code_span("a\nb", false), "`a b`");
        assert_eq!(code_span("", false), "");
    }
}
