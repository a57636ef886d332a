//! The source scanner: every text file the check walks that is not a Kubernetes manifest
//! (code, configuration, `.env` files) is scanned line by line for keys, client-side
//! gateway calls, disabled TLS verification, plain-HTTP gateway URLs, logging of whole
//! requests and error details sent to clients; secret files are checked against
//! `.gitignore` and git's index. Results become `SourceFile` and `SourceMatch` entities, so
//! the judgments stay in Cedar like every other rule.

pub mod chunks;
pub mod classify;
pub mod detectors;
pub mod git;

use crate::base::source::Pos;
use crate::facts::model::{Kind, Location, Resource};
use detectors::Hit;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// One scanned file, before the repository facts (ignored, tracked) are known.
#[derive(Debug, Clone)]
pub struct Scanned {
    pub file: usize,
    pub display: String,
    pub path: PathBuf,
    pub language: &'static str,
    pub code: bool,
    pub client_side: bool,
    pub secret_file: bool,
    pub gateway_url: bool,
    pub logs: bool,
    pub handles_errors: bool,
    pub hits: Vec<Hit>,
    /// The file has more hits than [`detectors::MAX_HITS`]: the rest are not reported.
    pub truncated: Option<crate::base::finding::InputError>,
}

/// Scans one file. `text` is `None` for a manifest, whose content the manifest rules
/// judge; only its file-level facts (is it a secret file) are kept.
pub fn scan_file(file: usize, display: &str, path: &Path, text: Option<&str>) -> Scanned {
    scan(file, display, path, text, false)
}

/// Scans the text of a binary file (`input::read` reads its NUL bytes as spaces) for key
/// shapes only: a name and value side by side, a URL or a bearer token in a binary are
/// as often a format string or a path as a credential (one such finding in 13,413 system
/// libraries and locale files, none of them a key).
pub fn scan_binary(file: usize, display: &str, path: &Path, text: &str) -> Scanned {
    scan(file, display, path, Some(text), true)
}

fn scan(file: usize, display: &str, path: &Path, text: Option<&str>, binary: bool) -> Scanned {
    let language = classify::language(display);
    let code = classify::is_code(language);
    let config = classify::is_config(language);
    let client_side = classify::is_client_side(display, language);
    let (mut hits, gateway_url, logs, handles_errors) = match text {
        // what a binary says is searched for keys, not read as the program it is not
        Some(t) if binary => {
            let mut hits = detectors::scan_text_as(t, code, config, client_side, language);
            hits.retain(detectors::is_key_shape);
            (hits, false, false, false)
        }
        Some(t) => (
            detectors::scan_text_as(t, code, config, client_side, language),
            t.lines()
                .filter(|l| l.contains("://"))
                .any(|l| crate::secrets::detect::mentions_gateway_url(l, l)),
            code && ["log", "print", "console."].iter().any(|w| t.contains(w)),
            code && ["catch", "except", "err != nil", "rescue", "recover("]
                .iter()
                .any(|w| t.contains(w)),
        ),
        None => (Vec::new(), false, false, false),
    };
    // a key in documentation, an example or a test is most often a demo value
    if classify::is_example_path(display) {
        // a database URL with a password is how docs and tests show a connection
        hits.retain(|h| h.what != "password in a URL");
        for h in &mut hits {
            h.confidence = "low";
        }
    }
    let truncated = (hits.len() > detectors::MAX_HITS).then(|| {
        hits.truncate(detectors::MAX_HITS);
        let last = hits.last().map(|h| Pos {
            line: h.line,
            column: h.column,
        });
        crate::base::finding::InputError::new(
            display,
            last,
            format!(
                "more than {} matches: the file is scanned only up to here",
                detectors::MAX_HITS
            ),
        )
    });
    Scanned {
        truncated,
        file,
        display: display.to_string(),
        path: path.to_path_buf(),
        language,
        code,
        client_side,
        secret_file: classify::is_secret_file(display) && text.is_none_or(|t| classify::holds_secrets(display, t)),
        gateway_url,
        logs,
        handles_errors,
        hits,
    }
}

/// Entities for the scanned files. Manifests appear only when they are secret files.
pub fn resources(
    scanned: &[Scanned],
    manifests: &HashSet<usize>,
    ignores: &git::Ignores,
    tracked: Option<&HashSet<PathBuf>>,
) -> Vec<Resource> {
    let mut out = Vec::new();
    for s in scanned {
        if manifests.contains(&s.file) && !s.secret_file {
            continue;
        }
        let loc = Location {
            file: s.file,
            doc: 0,
            path: String::new(),
            pos: Some(Pos::START),
        };
        let ignored = s.secret_file && ignores.is_ignored(&s.path);
        // only secret files are looked up in git's index (one canonicalize each)
        let tracked_now = s.secret_file
            && tracked.is_some_and(|t| t.contains(&s.path.canonicalize().unwrap_or_else(|_| s.path.clone())));
        let file = Resource::new(Kind::SourceFile, loc, s.display.clone())
            .str("path", s.display.clone())
            .str("language", s.language)
            .bool("code", s.code)
            .bool("clientSide", s.client_side)
            .bool("secretFile", s.secret_file)
            .bool("ignored", ignored)
            .bool("inGitRepo", tracked.is_some())
            .bool("tracked", tracked_now)
            .bool("gatewayUrl", s.gateway_url)
            .bool("logs", s.logs)
            .bool("handlesErrors", s.handles_errors)
            // a key or a .env among test fixtures and examples is most often made for them
            .str(
                "confidence",
                if classify::is_example_path(&s.display) {
                    "low"
                } else {
                    "high"
                },
            );
        let file_id = file.id.clone();
        out.push(file);
        for h in &s.hits {
            let loc = Location {
                file: s.file,
                doc: 0,
                path: String::new(),
                pos: Some(Pos {
                    line: h.line,
                    column: h.column,
                }),
            };
            out.push(
                Resource::new(Kind::SourceMatch, loc, s.display.clone())
                    .with_id(format!("{}:{}:{}:{}", s.file, h.line, h.column, h.detector))
                    .parent(Kind::SourceFile, &file_id)
                    .str("detector", h.detector)
                    .str("path", s.display.clone())
                    .bool("clientSide", s.client_side || h.public_var)
                    // where the guide says keys belong: an ignored, untracked secret file
                    .bool("inKeptSecretFile", s.secret_file && ignored && !tracked_now)
                    .str("language", s.language)
                    .str("masked", h.masked.clone())
                    .str("what", h.what.clone())
                    .str("confidence", h.confidence)
                    .str("variable", h.variable.clone())
                    .str("excerpt", h.excerpt.clone()),
            );
            if let Some(m) = out.last_mut() {
                m.identity = format!("{}:{}", h.detector, h.line_digest);
            }
        }
    }
    out
}
