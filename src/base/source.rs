//! Source files as read, kept for position lookups and digests.

/// The name standard input is reported under.
pub const STDIN: &str = "<stdin>";

/// A position in a file: 1-based line and column (columns count characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, serde::Serialize)]
pub struct Pos {
    pub line: u32,
    pub column: u32,
}

impl Pos {
    pub const START: Pos = Pos { line: 1, column: 1 };
}

/// Converts a byte offset in `text` to a position.
pub fn pos_at(text: &str, offset: usize) -> Pos {
    let offset = offset.min(text.len());
    let before = &text.as_bytes()[..offset];
    let line = before.iter().filter(|&&b| b == b'\n').count() as u32 + 1;
    let line_start = before.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let column = String::from_utf8_lossy(&before[line_start..]).chars().count() as u32 + 1;
    Pos { line, column }
}

/// `pos`, moved inside `text` when a parser points past its end (libyaml reports an
/// unexpected end of input on the line after the last one).
pub fn clamp(text: &str, pos: Pos) -> Pos {
    let lines = text.split('\n').count() as u32;
    let line = pos.line.clamp(1, lines);
    let len = text.split('\n').nth(line as usize - 1).map_or(0, |l| l.chars().count()) as u32;
    let column = if line < pos.line {
        len + 1
    } else {
        pos.column.clamp(1, len + 1)
    };
    Pos { line, column }
}

/// Strips a UTF-8 byte-order mark, which serde_yaml rejects.
pub fn strip_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based() {
        let t = "ab\ncdé\nf";
        assert_eq!(pos_at(t, 0), Pos { line: 1, column: 1 });
        assert_eq!(pos_at(t, 3), Pos { line: 2, column: 1 });
        assert_eq!(pos_at(t, 7), Pos { line: 2, column: 4 });
        assert_eq!(pos_at(t, 8), Pos { line: 3, column: 1 });
    }

    #[test]
    fn positions_past_the_end_are_clamped() {
        let t = "a: 1\nb c";
        assert_eq!(clamp(t, Pos { line: 3, column: 1 }), Pos { line: 2, column: 4 });
        assert_eq!(clamp(t, Pos { line: 1, column: 9 }), Pos { line: 1, column: 5 });
        assert_eq!(clamp(t, Pos { line: 0, column: 0 }), Pos { line: 1, column: 1 });
        assert_eq!(clamp(t, Pos { line: 2, column: 2 }), Pos { line: 2, column: 2 });
    }
}
