//! Policy diagnostics, rendered miette-style: the message (Cedar's, which names the
//! expected type), `file:line:column`, the source line with the offending token
//! underlined and labelled, and Cedar's help when it has one.

use crate::engine::policy::{PolicyDiagnostic, BUILTIN};
use miette::{GraphicalReportHandler, GraphicalTheme, NamedSource, SourceSpan};
use std::collections::BTreeMap;

/// The text of every policy file a diagnostic may point into, by the name it is reported under.
#[derive(Debug, Clone, Default)]
pub struct Sources(BTreeMap<String, String>);

impl Sources {
    /// The built-in policy files plus `extra` (name, text).
    pub fn new(extra: &[(String, String)]) -> Sources {
        let mut map: BTreeMap<String, String> = BUILTIN
            .iter()
            .map(|(n, t)| ((*n).to_string(), (*t).to_string()))
            .collect();
        map.extend(extra.iter().cloned());
        Sources(map)
    }

    pub fn get(&self, file: &str) -> Option<&str> {
        self.0.get(file).map(String::as_str)
    }
}

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("{message}")]
struct Located {
    message: String,
    #[source_code]
    src: NamedSource<String>,
    #[label("{label}")]
    span: SourceSpan,
    label: String,
    #[help]
    help: Option<String>,
}

/// The byte offset of a 1-based line and (character) column.
pub fn offset_of(text: &str, line: u32, column: u32) -> Option<usize> {
    let mut start = 0usize;
    for _ in 1..line {
        start += text[start..].find('\n')? + 1;
    }
    let line_text = &text[start..text[start..].find('\n').map_or(text.len(), |e| start + e)];
    let within = line_text
        .char_indices()
        .nth(column.saturating_sub(1) as usize)
        .map_or(line_text.len(), |(i, _)| i);
    Some(start + within)
}

/// How long the token at `offset` is: a string literal, a dotted name (`resource.quotaUsd`),
/// a number, or one character.
fn token_len(text: &str, offset: usize) -> usize {
    let rest = &text[offset..];
    let mut chars = rest.char_indices();
    let Some((_, first)) = chars.next() else {
        return 0;
    };
    if first == '{' {
        return rest
            .find('}')
            .filter(|e| !rest[..*e].contains('\n'))
            .map_or(1, |e| e + 1);
    }
    if first == '"' {
        let mut escaped = false;
        for (i, c) in chars {
            match c {
                '\\' if !escaped => escaped = true,
                '"' if !escaped => return i + 1,
                '\n' => return i,
                _ => escaped = false,
            }
        }
        return rest.len();
    }
    if first.is_ascii_alphanumeric() || first == '_' {
        let end = rest
            .char_indices()
            .find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '.'))
            .map_or(rest.len(), |(i, _)| i);
        return rest[..end].trim_end_matches('.').len().max(1);
    }
    first.len_utf8()
}

/// Splits `message (help: text)` as policy.rs writes Cedar's help.
fn split_help(message: &str) -> (String, Option<String>) {
    match message.rsplit_once(" (help: ") {
        Some((m, h)) if h.ends_with(')') => (m.to_string(), Some(h[..h.len() - 1].to_string())),
        _ => (message.to_string(), None),
    }
}

/// The label under the caret: what was expected, when the message says so.
fn label_of(message: &str) -> String {
    if let Some(i) = message.find(" has no `@") {
        let annotation = message[i + " has no ".len()..].split(' ').next().unwrap_or("");
        return format!("this rule has no {annotation}");
    }
    if let Some(i) = message.rfind("expected ") {
        return message[i..].to_string();
    }
    if let Some((_, rest)) = message.split_once("`, ") {
        if message.starts_with("for policy `") {
            return rest.to_string();
        }
    }
    "here".to_string()
}

/// Renders diagnostics, one block each. Those that point at no line of a known file
/// (an unreadable folder) are plain `error: file: message` lines.
pub fn render(diags: &[PolicyDiagnostic], sources: &Sources, color: bool) -> String {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(120)
        .with_wrap_lines(false);
    let mut out = String::new();
    for d in diags {
        let located = sources
            .get(&d.file)
            .filter(|_| d.line > 0)
            .and_then(|text| offset_of(text, d.line, d.column).map(|o| (text, o)));
        let Some((text, offset)) = located else {
            out.push_str(&format!("error: {d}\n"));
            continue;
        };
        let (message, help) = split_help(&d.message);
        let report = Located {
            label: label_of(&message),
            message: message.clone(),
            src: NamedSource::new(&d.file, text.to_string()),
            span: (offset, token_len(text, offset)).into(),
            help,
        };
        let mut block = String::new();
        if handler.render_report(&mut block, &report).is_err() {
            block = format!("error: {d}\n");
        }
        out.push_str(&block);
        if !out.ends_with('\n') {
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_and_tokens() {
        let t = "@id(\"A\")\nwhen { resource.quotaUsd > \"100\" };\n";
        let o = offset_of(t, 2, 8).unwrap();
        assert_eq!(&t[o..o + token_len(t, o)], "resource.quotaUsd");
        let o = offset_of(t, 2, 28).unwrap();
        assert_eq!(&t[o..o + token_len(t, o)], "\"100\"");
        let o = offset_of(t, 1, 5).unwrap();
        assert_eq!(&t[o..o + token_len(t, o)], "\"A\"");
        assert_eq!(offset_of(t, 9, 1), None);
    }

    #[test]
    fn renders_the_line_the_caret_and_the_expectation() {
        let text = "@id(\"A-2\")\nforbid (principal, action, resource is Container)\nwhen { resource.name > 3 };\n";
        let sources = Sources::new(&[("t.cedar".into(), text.into())]);
        let d = PolicyDiagnostic {
            file: "t.cedar".into(),
            line: 3,
            column: 8,
            message: "for policy `A-2`, unexpected type: expected Long but saw String".into(),
        };
        let out = render(&[d], &sources, false);
        assert!(out.contains("t.cedar:3:8"), "{out}");
        assert!(out.contains("when { resource.name > 3 };"), "{out}");
        assert!(out.contains("expected Long but saw String"), "{out}");
        // the token is underlined, labelled in its middle
        assert!(out.contains("        ──────┬──────\n"), "{out}");
    }
}
