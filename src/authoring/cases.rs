//! Case folders as examples: the built-in rules' cases (`tests/cases/**`, embedded in the
//! binary by build.rs) or a folder of custom cases, and the failing and passing example
//! of a rule taken from them. A case lists the findings that must appear and the rules
//! that must not fire, and `cargo test` / `compliance test` prove it, so an example shown
//! here is one whose outcome a test has checked.

use crate::authoring::casetest::{self, Expected, EXPECTED};
use crate::secrets::detect;
use crate::secrets::{mask, redact};
use std::path::Path;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/cases.rs"));
}

/// Where the built-in cases live in the source tree.
pub const BUILTIN_ROOT: &str = "tests/cases";

/// One case: its name (the folder, e.g. `tests/cases/workloads/fires`), input files
/// (path relative to the folder, text) and expectations.
pub struct Case {
    pub name: String,
    pub files: Vec<(String, String)>,
    pub expected: Expected,
}

/// The built-in rules' cases, embedded at build time.
pub fn builtin() -> Result<Vec<Case>, String> {
    let dirs: Vec<&str> = embedded::FILES
        .iter()
        .filter_map(|(p, _)| p.strip_suffix(EXPECTED))
        .map(|d| d.trim_end_matches('/'))
        .collect();
    let mut out = Vec::new();
    for &dir in &dirs {
        let prefix = if dir.is_empty() {
            String::new()
        } else {
            format!("{dir}/")
        };
        let name = format!("{BUILTIN_ROOT}/{dir}");
        let mut expected = None;
        let mut files = Vec::new();
        for (path, text) in embedded::FILES {
            let Some(rel) = path.strip_prefix(&prefix) else {
                continue;
            };
            // a file of a case nested in this one belongs to the nested case
            if dirs
                .iter()
                .any(|d| d.len() > dir.len() && path.starts_with(&format!("{d}/")))
            {
                continue;
            }
            if rel == EXPECTED {
                expected = Some(casetest::parse_expected(&format!("{name}/{EXPECTED}"), text)?);
            } else {
                files.push((rel.to_string(), (*text).to_string()));
            }
        }
        if let Some(expected) = expected {
            out.push(Case { name, files, expected });
        }
    }
    Ok(out)
}

/// The cases under a folder on disk.
pub fn read(dir: &Path) -> Result<Vec<Case>, String> {
    let dirs = casetest::discover(dir);
    let mut out = Vec::new();
    for d in &dirs {
        let expected = casetest::read_expected(d)?;
        let mut files = Vec::new();
        for entry in walkdir::WalkDir::new(d)
            .sort_by_file_name()
            .into_iter()
            .filter_map(Result::ok)
        {
            let path = entry.path();
            if !entry.file_type().is_file() || path == d.join(EXPECTED) {
                continue;
            }
            if dirs.iter().any(|o| o != d && o.starts_with(d) && path.starts_with(o)) {
                continue;
            }
            let Ok(text) = std::fs::read_to_string(path) else {
                continue;
            };
            let rel = path
                .strip_prefix(d)
                .unwrap_or(path)
                .to_string_lossy()
                .replace('\\', "/");
            files.push((rel, text));
        }
        out.push(Case {
            name: d.display().to_string(),
            files,
            expected,
        });
    }
    Ok(out)
}

/// A shown example: lines of one input file of a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Example {
    /// The case folder.
    pub case: String,
    /// The file, relative to the case folder.
    pub file: String,
    /// For a failing example, the line the rule fires at (as `expected.yaml` lists it).
    pub line: Option<u32>,
    /// (line number, text), secrets masked.
    pub lines: Vec<(u32, String)>,
    /// The case's other input files, which the outcome may depend on.
    pub others: Vec<String>,
}

/// A rule's failing and passing examples.
#[derive(Debug, Clone, Default)]
pub struct Examples {
    pub failing: Option<Example>,
    pub passing: Option<Example>,
}

const MAX_LINES: usize = 40;

/// The YAML documents of a file: (first line, last line), 1-based, separators left out.
fn documents(text: &str) -> Vec<(u32, u32)> {
    let mut out = Vec::new();
    let mut start = 1u32;
    let mut n = 0u32;
    for (i, line) in text.lines().enumerate() {
        n = i as u32 + 1;
        if line.starts_with("---") {
            if n > start {
                out.push((start, n - 1));
            }
            start = n + 1;
        }
    }
    if n >= start {
        out.push((start, n));
    }
    out
}

fn is_yaml(file: &str) -> bool {
    file.ends_with(".yaml") || file.ends_with(".yml")
}

/// The `kind:` of the document holding `line`.
fn kind_at(text: &str, (from, to): (u32, u32)) -> Option<String> {
    text.lines()
        .skip(from as usize - 1)
        .take((to - from + 1) as usize)
        .find_map(|l| l.strip_prefix("kind:").map(|k| k.trim().to_string()))
}

/// The lines to show around `line` (or from the top): the whole YAML document when it is
/// short, else a window.
fn excerpt(file: &str, text: &str, line: Option<u32>, doc: Option<(u32, u32)>) -> Vec<(u32, String)> {
    let total = text.lines().count() as u32;
    let (mut from, mut to) = doc.unwrap_or((1, total.max(1)));
    if (to - from + 1) as usize > MAX_LINES {
        let half = (MAX_LINES / 2) as u32;
        let center = line.unwrap_or(from + half).clamp(from, to);
        from = center.saturating_sub(half).max(from);
        to = (from + MAX_LINES as u32 - 1).min(to);
    }
    let lines: Vec<&str> = text.lines().collect();
    let masked = mask_lines(&lines, is_yaml(file));
    (from..=to)
        .filter_map(|n| masked.get(n as usize - 1).map(|l| (n, l.clone())))
        .collect()
}

/// Masks what a secret value would be in an example: key-shaped strings anywhere, literal
/// values of credential-named settings (`DB_PASSWORD: x`, `token = x`, an env var named so
/// and its `value:` on the next line) and every value in a Secret's `data`/`stringData`.
pub fn mask_lines(lines: &[&str], yaml: bool) -> Vec<String> {
    let mut out = Vec::with_capacity(lines.len());
    let mut sensitive_env = false;
    let mut secret_doc = false;
    let mut secret_data_indent: Option<usize> = None;
    for line in lines {
        let indent = line.len() - line.trim_start().len();
        let trimmed = line.trim_start().trim_start_matches("- ");
        if yaml {
            if line.starts_with("---") {
                secret_doc = false;
                secret_data_indent = None;
            }
            if let Some(kind) = line.strip_prefix("kind:") {
                secret_doc = kind.trim() == "Secret";
            }
            if secret_data_indent.is_some_and(|i| indent <= i && !line.trim().is_empty()) {
                secret_data_indent = None;
            }
        }
        let mut masked = None;
        if let Some((key, value)) = split_setting(trimmed) {
            let in_secret_data = secret_data_indent.is_some();
            let env_value = sensitive_env && key == "value";
            if (in_secret_data || env_value || detect::is_sensitive_name(key)) && detect::is_literal_value(value) {
                if let Some(start) = line.rfind(value) {
                    let end = start + value.len();
                    masked = Some(format!("{}{}{}", &line[..start], mask::mask(value), &line[end..]));
                }
            }
            sensitive_env = yaml && key == "name" && detect::is_sensitive_name(value);
        } else {
            sensitive_env = false;
        }
        if yaml && secret_doc && indent == 0 && (trimmed == "data:" || trimmed == "stringData:") {
            secret_data_indent = Some(0);
        }
        out.push(redact::redact_text(&masked.unwrap_or_else(|| (*line).to_string())));
    }
    out
}

/// `key: value`, `key = value` or `KEY=value`, quotes around the value removed.
fn split_setting(line: &str) -> Option<(&str, &str)> {
    let (key, value) = match (line.find(':'), line.find('=')) {
        (Some(c), Some(e)) if e < c => line.split_at(e),
        (Some(c), _) => line.split_at(c),
        (None, Some(e)) => line.split_at(e),
        (None, None) => return None,
    };
    let key = key.trim().trim_matches(|c| c == '"' || c == '\'');
    let value = value[1..].trim();
    if key.is_empty() || key.contains(char::is_whitespace) || value.is_empty() || value == "|" || value == ">" {
        return None;
    }
    let value = value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .or_else(|| value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
        .unwrap_or(value);
    Some((key, value))
}

fn others(case: &Case, shown: &str) -> Vec<String> {
    case.files
        .iter()
        .map(|(f, _)| f.clone())
        .filter(|f| f != shown)
        .collect()
}

/// Prefers the conventional `fires` / `passes` folders, then the first in name order.
fn preference(case: &Case, word: &str) -> (bool, String) {
    (!case.name.ends_with(word), case.name.clone())
}

/// The rule's failing example (a case that lists it among `findings`) and passing example
/// (a case that lists it in `absent`, preferably the failing case's sibling).
pub fn examples(rule: &str, cases: &[Case]) -> Examples {
    let mut failing_cases: Vec<&Case> = cases
        .iter()
        .filter(|c| c.expected.findings.iter().any(|f| f.rule == rule))
        .collect();
    failing_cases.sort_by_key(|c| preference(c, "fires"));
    let mut failing_kind = None;
    let mut failing_file = None;
    let failing = failing_cases.first().and_then(|case| {
        let f = case.expected.findings.iter().find(|f| f.rule == rule)?;
        let (_, text) = case.files.iter().find(|(name, _)| *name == f.file)?;
        let doc = is_yaml(&f.file)
            .then(|| documents(text).into_iter().find(|(a, b)| (*a..=*b).contains(&f.line)))
            .flatten();
        failing_kind = doc.and_then(|d| kind_at(text, d));
        failing_file = Some(f.file.clone());
        Some(Example {
            case: case.name.clone(),
            file: f.file.clone(),
            line: Some(f.line),
            lines: excerpt(&f.file, text, Some(f.line), doc),
            others: others(case, &f.file),
        })
    });
    let parent = |name: &str| name.rsplit_once('/').map(|(p, _)| p.to_string());
    let failing_parent = failing.as_ref().and_then(|e| parent(&e.case));
    let mut passing_cases: Vec<&Case> = cases
        .iter()
        .filter(|c| c.expected.absent.iter().any(|r| r == rule) && !c.files.is_empty())
        .collect();
    passing_cases.sort_by_key(|c| {
        let sibling = failing_parent.is_some() && parent(&c.name) == failing_parent;
        (!sibling, preference(c, "passes"))
    });
    let passing = passing_cases.first().and_then(|case| {
        let with_kind = |(name, text): &&(String, String)| {
            failing_kind.as_ref().and_then(|k| {
                documents(text)
                    .into_iter()
                    .find(|d| kind_at(text, *d).as_ref() == Some(k))
                    .map(|d| (name.clone(), text.clone(), Some(d)))
            })
        };
        let chosen = case
            .files
            .iter()
            .find(|(n, _)| Some(n) == failing_file.as_ref())
            .and_then(|f| with_kind(&f).or_else(|| Some((f.0.clone(), f.1.clone(), None))))
            .or_else(|| case.files.iter().find_map(|f| with_kind(&f)))
            .or_else(|| case.files.first().map(|(n, t)| (n.clone(), t.clone(), None)))?;
        let (file, text, doc) = chosen;
        let doc = doc.or_else(|| is_yaml(&file).then(|| documents(&text).into_iter().next()).flatten());
        Some(Example {
            case: case.name.clone(),
            lines: excerpt(&file, &text, None, doc),
            others: others(case, &file),
            file,
            line: None,
        })
    });
    Examples { failing, passing }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_cases_are_those_on_disk() {
        let embedded = builtin().unwrap();
        let on_disk = read(Path::new(BUILTIN_ROOT)).unwrap();
        assert!(!embedded.is_empty());
        let names = |c: &[Case]| c.iter().map(|c| c.name.clone()).collect::<Vec<_>>();
        assert_eq!(names(&embedded), names(&on_disk));
        for (a, b) in embedded.iter().zip(&on_disk) {
            assert_eq!(a.files, b.files, "{}", a.name);
        }
    }

    #[test]
    fn documents_split_on_separators() {
        assert_eq!(documents("a: 1\nb: 2\n---\nc: 3\n"), [(1, 2), (4, 4)]);
        assert_eq!(documents("---\na: 1\n"), [(2, 2)]);
    }

    #[test]
    fn secrets_are_masked_in_examples() {
        let text = "kind: Deployment\nenv:\n  - name: DB_PASSWORD\n    value: \"Tr0ub4dor-and-3\"\n  - name: LOG_LEVEL\n    value: info\n  github_token: \"ghp9f2KqL7mZ3xR8vT1wN4bY6cH0dJ5sA\"\n  key = sk-proj-uvSwMFLZDe1f8rESQedUStPKR0CsTy4Qwb8DwkNh\n---\nkind: Secret\nstringData:\n  db: hunter22\nmetadata:\n  name: x\n";
        let lines: Vec<&str> = text.lines().collect();
        let out = mask_lines(&lines, true).join("\n");
        for secret in [
            "Tr0ub4dor-and-3",
            "ghp9f2KqL7mZ3xR8vT1wN4bY6cH0dJ5sA",
            "uvSwMFLZDe1f8r",
            "hunter22",
        ] {
            assert!(!out.contains(secret), "{secret} shown:\n{out}");
        }
        assert!(out.contains("value: info") && out.contains("name: x"), "{out}");
    }
}
