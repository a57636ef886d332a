//! Line detectors for source files. One Aho-Corasick pass over each line finds the
//! trigger words; only the detectors those words call for run their regular expressions,
//! so a line with none of them costs one automaton pass.

use crate::secrets::detect;
use crate::secrets::{mask, redact};
use aho_corasick::{AhoCorasick, AhoCorasickBuilder};
use regex::Regex;
use std::sync::LazyLock;

/// One detector hit: 1-based line and column (in characters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub detector: &'static str,
    pub line: u32,
    pub column: u32,
    /// The matched text, secrets masked (a key: its first characters only).
    pub masked: String,
    /// The text around the match (not the start of a long line), secrets masked, at most
    /// 100 characters.
    pub excerpt: String,
    /// What the match is, for `api-key`: `OpenAI-style key`, `value of \`SECRET_KEY\``, ...
    pub what: String,
    /// `high`, `medium` or `low` (README, "Confidence").
    pub confidence: &'static str,
    /// The environment variable the remediation suggests: the name the value is assigned
    /// to, else the provider's usual one (`OPENAI_API_KEY`).
    pub variable: String,
    /// A build-time variable that bundlers expose to the browser (`VITE_…`, `NEXT_PUBLIC_…`).
    pub public_var: bool,
    /// SHA-256 of the trimmed line (first 16 hex digits): the hit's identity when lines move.
    pub line_digest: String,
}

/// Prefixes of environment variables that Vite, Next.js, Create React App, Nuxt, Expo and
/// SvelteKit compile into client bundles.
const PUBLIC_PREFIXES: &[&str] = &[
    "VITE_",
    "NEXT_PUBLIC_",
    "REACT_APP_",
    "NUXT_PUBLIC_",
    "EXPO_PUBLIC_",
    "PUBLIC_",
];

fn public_var(line: &str) -> bool {
    let t = line.trim_start().trim_start_matches("export ");
    PUBLIC_PREFIXES.iter().any(|p| t.starts_with(p))
}

pub const API_KEY: &str = "api-key";
pub const GATEWAY_CALL: &str = "gateway-call";
pub const TLS_OFF: &str = "tls-off";
pub const HTTP_GATEWAY: &str = "http-gateway";
pub const LOG_SENSITIVE: &str = "log-sensitive";
pub const ERROR_LEAK: &str = "error-leak";

const KEY: u8 = 1;
const TLS: u8 = 2;
const HTTP: u8 = 4;
const LOG: u8 = 8;
const ERR: u8 = 16;
const CALL: u8 = 32;

/// (trigger, detectors it wakes), matched ASCII-case-insensitively.
const TRIGGERS: &[(&str, u8)] = &[
    ("sk-", KEY),
    ("api_key", KEY),
    ("apikey", KEY),
    ("_key", KEY),
    ("password", KEY),
    ("passwd", KEY),
    ("_pat", KEY),
    ("://", KEY),
    ("aiza", KEY),
    ("hf_", KEY),
    ("ghp_", KEY),
    ("github_pat_", KEY),
    ("akia", KEY),
    ("asia", KEY),
    ("xox", KEY),
    ("eyj", KEY),
    ("api-key", KEY | CALL),
    ("bearer", KEY | CALL),
    ("token", KEY),
    ("secret", KEY),
    ("verify", TLS),
    ("reject", TLS),
    ("insecure", TLS),
    ("node_tls", TLS),
    ("danger_accept", TLS),
    ("_create_unverified", TLS),
    ("cert_none", TLS),
    ("verify_none", TLS),
    ("check_hostname", TLS),
    ("skip-tls", TLS),
    ("no-check-certificate", TLS),
    ("curl", TLS),
    ("http://", HTTP),
    ("log", LOG),
    ("print", LOG),
    ("console.", LOG),
    ("puts", LOG),
    ("res.", ERR),
    ("str(", ERR),
    ("repr(", ERR),
    ("traceback", ERR),
    ("debug", ERR),
    ("http.error", ERR),
    ("authorization", CALL),
    ("dangerouslyallowbrowser", CALL),
    ("new openai", CALL),
];

#[allow(clippy::expect_used)] // constant patterns: a failure is a bug caught by every test
fn compile(pattern: &str) -> Regex {
    Regex::new(pattern).expect("built-in pattern compiles")
}

static TRIGGER_AC: LazyLock<Option<AhoCorasick>> = LazyLock::new(|| {
    AhoCorasickBuilder::new()
        .ascii_case_insensitive(true)
        .build(TRIGGERS.iter().map(|(t, _)| *t))
        .ok()
});

/// A value assigned to a name (the name is judged by [`detect::is_sensitive_name`]), or a
/// bearer token.
static ASSIGNED: LazyLock<Regex> = LazyLock::new(|| {
    compile(concat!(
        r#"(?P<name>[A-Za-z_][A-Za-z0-9_\-.]*)["'`]?\]?\s*(?::|=|=>|:=)\s*(?P<q>["'`]?)(?P<v>[A-Za-z0-9_\-./+=]{20,})"#,
        r#"|(?i:bearer)\s+(?P<b>[A-Za-z0-9_\-./+=]{20,})"#
    ))
});

static UUID: LazyLock<Regex> =
    LazyLock::new(|| compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"));

/// `a.b.c` (a member access), not `eyJ…` (a token).
static DOTTED: LazyLock<Regex> = LazyLock::new(|| compile(r"^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+$"));

static EXTRA_TLS: LazyLock<Regex> = LazyLock::new(|| {
    compile(r"ssl\.CERT_NONE|\bcheck_hostname\s*=\s*False|VERIFY_NONE|\bcurl\s+(?:-[a-zA-Z]*k[a-zA-Z]*|--insecure)\b")
});

static LOG_CALL: LazyLock<Regex> = LazyLock::new(|| {
    compile(concat!(
        r"(?:\b[A-Za-z_]*(?i:log|logger|logging|_log)\.(?:debug|info|warn|warning|error|critical|exception|log|trace|fatal)|\bconsole\.(?:log|info|debug|warn|error|trace)",
        r"|\bprint(?:ln|f)?|\blog\.Print(?:f|ln)?|\bfmt\.Print(?:f|ln)?|\bputs|\bSystem\.out\.print(?:ln)?)\s*\("
    ))
});

/// Whole requests, headers, bodies and prompts as a logged value.
static SENSITIVE_ARG: LazyLock<Regex> = LazyLock::new(|| {
    compile(concat!(
        r"(?:[(,]\s*|\{|\$\{|%\()",
        r"((?:JSON\.stringify\()?(?:full_request|request|req|headers|request\.headers|req\.headers|req\.body|request\.body|request\.json|request\.data|prompt|prompts|messages|r\.Header|r\.Body)\)?)",
        r"\s*(?:[),}]|!r\}|\)s)"
    ))
});

static ERROR_LEAK_RE: LazyLock<Regex> = LazyLock::new(|| {
    compile(concat!(
        r"res(?:\.status\(\s*\d+\s*\))?\.(?:json|send)\(\s*(?:err|error|e|ex)\s*\)",
        r"|res(?:\.status\(\s*\d+\s*\))?\.(?:json|send)\(.*\b(?:err|error|e|ex)\.(?:message|stack)\b",
        r"|\b(?:return|jsonify|JSONResponse|HTTPException|Response|abort)\b.*(?:str\((?:e|err|exc|error|ex)\)|repr\((?:e|err|exc|error|ex)\)|traceback\.format_exc\(\))",
        r"|\bapp\.run\(.*\bdebug\s*=\s*True|^\s*DEBUG\s*=\s*True\b",
        r"|\bhttp\.Error\(\s*\w+\s*,\s*err\.Error\(\)"
    ))
});

static CLIENT_CALL: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r#"(?i)dangerouslyAllowBrowser\s*:\s*true|\bnew\s+OpenAI\s*\(|["']?authorization["']?\s*:\s*[`"']?\s*bearer|["']x-api-key["']\s*:"#,
    )
});

/// A gateway endpoint named in a file: what makes an Authorization header a gateway call.
const GATEWAY_HINTS: &[&str] = &[
    "api.apertis.ai",
    "api.openai.com",
    "api.anthropic.com",
    "/chat/completions",
    "/v1/completions",
    "/v1/messages",
    "/v1/embeddings",
];

/// A value that is a secret rather than a name, a path or prose.
fn secret_like(v: &str) -> bool {
    let lower = v.to_ascii_lowercase();
    v.len() >= 20
        && v.bytes().any(|b| b.is_ascii_digit())
        && v.bytes().any(|b| b.is_ascii_alphabetic())
        && detect::entropy(v) >= 3.5
        && !detect::has_placeholder_word(v)
        && !lower.contains("process.env")
        && !lower.contains("environ")
        && !v.contains("://")
        // a relative path (`token: ../../source4/auth/unix_token.c:133` in a log message)
        && !v.starts_with("../")
        && !v.starts_with("./")
}

/// 1-based character columns of byte offsets in `line`, counted in one pass (a line with
/// thousands of hits must not be counted from its start for each).
fn columns(line: &str, bytes: &[usize]) -> Vec<u32> {
    let mut order: Vec<usize> = (0..bytes.len()).collect();
    order.sort_by_key(|&i| bytes[i]);
    let mut out = vec![1; bytes.len()];
    let (mut at, mut chars) = (0usize, 0u32);
    for i in order {
        if let Some(seg) = line.get(at..bytes[i]) {
            chars += seg.chars().count() as u32;
            at = bytes[i];
            out[i] = chars + 1;
        }
    }
    out
}

fn is_comment(line: &str) -> bool {
    let t = line.trim_start();
    t.starts_with('#') || t.starts_with("//") || t.starts_with("/*") || t.starts_with('*') || t.starts_with("<!--")
}

fn allowed(line: &str) -> bool {
    line.contains("compliance:allow") || line.contains("pragma: allowlist secret")
}

/// A secret on a line: byte span, what it is, confidence.
struct Secret {
    start: usize,
    end: usize,
    what: String,
    confidence: &'static str,
    variable: String,
}

/// The hit is a key by its shape (a known prefix, a private key block), not by the name
/// it is assigned to, a URL's password or a bearer header.
pub fn is_key_shape(h: &Hit) -> bool {
    !(h.what == "password in a URL" || h.what == "bearer token" || h.what.starts_with("value of `"))
}

/// The usual environment variable for a kind of secret.
fn default_variable(what: &str) -> &'static str {
    match what {
        "OpenAI-style key" => "OPENAI_API_KEY",
        "Anthropic key" => "ANTHROPIC_API_KEY",
        "Google API key" => "GOOGLE_API_KEY",
        "Hugging Face token" => "HF_TOKEN",
        "GitHub token" => "GITHUB_TOKEN",
        "AWS access key id" => "AWS_ACCESS_KEY_ID",
        "Slack token" => "SLACK_BOT_TOKEN",
        "password in a URL" => "DATABASE_URL",
        _ => "API_TOKEN",
    }
}

/// `apiKey`, `x-api-key`, `client.secret` as an environment variable name: `API_KEY`, ...
fn env_name(name: &str) -> String {
    let last = name.rsplit('.').next().unwrap_or(name);
    let mut out = String::new();
    let mut prev_lower = false;
    for c in last.chars() {
        if c.is_ascii_uppercase() && prev_lower {
            out.push('_');
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        out.push(if c == '-' { '_' } else { c.to_ascii_uppercase() });
    }
    out.trim_start_matches('_').to_string()
}

/// The secrets on a line: key shapes (high confidence), passwords in URLs and literal values
/// of credential-named settings (medium). `quoted_only`: in program source a value must be a
/// quoted literal (an unquoted right-hand side is code: `x = obj.attr.get(`, `self.token`).
fn secrets(line: &str, quoted_only: bool) -> Vec<Secret> {
    let mut found: Vec<Secret> = Vec::new();
    let overlaps = |found: &[Secret], s: usize, e: usize| found.iter().any(|f| s < f.end && f.start < e);
    for (s, e) in detect::find_all_keys(line) {
        let what = detect::key_kind(&line[s..e]);
        found.push(Secret {
            start: s,
            end: e,
            what: what.to_string(),
            confidence: "high",
            variable: default_variable(what).to_string(),
        });
    }
    let mut from = 0;
    while let Some((s, e)) = line.get(from..).and_then(detect::find_url_password) {
        let (s, e) = (from + s, from + e);
        if !overlaps(&found, s, e) {
            found.push(Secret {
                start: s,
                end: e,
                what: "password in a URL".to_string(),
                confidence: detect::url_password_confidence(line, s, e),
                variable: default_variable("password in a URL").to_string(),
            });
        }
        from = e;
    }
    for c in ASSIGNED.captures_iter(line) {
        let (m, what, variable) = match (c.name("v"), c.name("b")) {
            (Some(v), _) => {
                let name = c.name("name").map_or("", |n| n.as_str());
                let quoted = c.name("q").is_some_and(|q| !q.as_str().is_empty());
                if let Some(f) = found.iter_mut().find(|f| v.start() <= f.start && f.start < v.end()) {
                    // a key shape assigned to a name: the remediation names that variable
                    if detect::is_sensitive_name(name) {
                        f.variable = env_name(name);
                    }
                    continue;
                }
                if !assigned_value(line, name, &c, v, quoted, quoted_only) {
                    continue;
                }
                (v, format!("value of `{name}`"), env_name(name))
            }
            (None, Some(b)) => (b, "bearer token".to_string(), "API_TOKEN".to_string()),
            _ => continue,
        };
        let v = m.as_str().trim_end_matches(['.', '/']);
        if !overlaps(&found, m.start(), m.end()) && secret_like(v) && !detect::is_placeholder_value(v) {
            // a UUID is more often an identifier (a widget id, a publishable key) than a secret
            let confidence = if UUID.is_match(v) { "low" } else { "medium" };
            found.push(Secret {
                start: m.start(),
                end: m.start() + v.len(),
                what,
                confidence,
                variable,
            });
        }
    }
    found.sort_unstable_by_key(|f| f.start);
    found
}

/// Is `v`, assigned to `name`, a literal that may be a secret (not code, not a hash)?
fn assigned_value(
    line: &str,
    name: &str,
    c: &regex::Captures<'_>,
    v: regex::Match<'_>,
    quoted: bool,
    quoted_only: bool,
) -> bool {
    let lower = name.to_ascii_lowercase();
    let last = lower.rsplit('.').next().unwrap_or(&lower);
    if !detect::is_sensitive_name(last)
        && !last.contains("apikey")
        && !last.contains("api_key")
        && !last.contains("api-key")
    {
        return false;
    }
    // a digest of a secret is no secret (`hashed_token`, `key_sha256`)
    if ["hash", "digest", "sha", "checksum", "fingerprint"]
        .iter()
        .any(|w| lower.contains(w))
    {
        return false;
    }
    let next = line[v.end()..].chars().next();
    if quoted {
        // the literal is the whole string: `"abc def"` and `"{x}…"` are prose or templates
        let q = c.name("q").map_or("", |q| q.as_str());
        return next.is_some_and(|ch| q.starts_with(ch));
    }
    if quoted_only || matches!(next, Some('(' | '[')) {
        return false;
    }
    let value = v.as_str();
    // `settings.S3_SECRET_ACCESS_KEY`, `OTHER_VARIABLE_NAME`: references, not values
    let member = DOTTED.is_match(value) && !value.starts_with("eyJ");
    let env_name = value.contains('_')
        && value
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
    !member && !env_name
}

fn line_digest(line: &str) -> String {
    use sha2::{Digest, Sha256};
    crate::base::digest::hex(&Sha256::digest(line.trim().as_bytes()))[..16].to_string()
}

/// A line with its secrets masked, for excerpts: built once per line, however many hits
/// it has (a minified line can hold thousands).
struct Masked {
    text: String,
    /// (original start, original end, masked start, masked end) of each span, in order.
    spans: Vec<(usize, usize, usize, usize)>,
}

impl Masked {
    fn new(line: &str, spans: &[(usize, usize)]) -> Masked {
        let mut text = String::with_capacity(line.len());
        let mut map = Vec::with_capacity(spans.len());
        let mut last = 0;
        for &(s, e) in spans {
            if s < last {
                continue;
            }
            text.push_str(&line[last..s]);
            let masked_start = text.len();
            text.push_str(&mask::mask(&line[s..e]));
            map.push((s, e, masked_start, text.len()));
            last = e;
        }
        text.push_str(&line[last..]);
        Masked { text, spans: map }
    }

    /// Byte `at` of the original line, in the masked text.
    fn offset(&self, at: usize) -> usize {
        let i = self.spans.partition_point(|&(s, _, _, _)| s <= at);
        let out = match i.checked_sub(1).and_then(|k| self.spans.get(k)) {
            // inside a masked span: its start
            Some(&(_, e, masked_start, _)) if at < e => masked_start,
            Some(&(_, e, _, masked_end)) => masked_end + (at - e),
            None => at,
        };
        let mut out = out.min(self.text.len());
        while !self.text.is_char_boundary(out) {
            out -= 1;
        }
        out
    }

    /// The text around byte `at` of the original line (up to 30 characters before, 68
    /// after), secrets masked: a minified line of 100,000 characters is quoted where the
    /// match is, not at its start.
    fn excerpt(&self, at: usize) -> String {
        const BEFORE: usize = 30;
        const AFTER: usize = 68;
        // a key the spans missed (glued to a word) is redacted in a margin wide enough to
        // hold it whole, then the margin is cut off
        const MARGIN: usize = 240;
        let at = self.offset(at);
        let text = &self.text;
        let back = |from: usize, n: usize| {
            text[..from]
                .char_indices()
                .rev()
                .nth(n.saturating_sub(1))
                .map_or(0, |(i, _)| i)
        };
        let fwd = |from: usize, n: usize| text[from..].char_indices().nth(n).map_or(text.len(), |(i, _)| from + i);
        let (start, end) = (back(at, BEFORE), fwd(at, AFTER));
        let (wide_start, wide_end) = (back(start, MARGIN), fwd(end, MARGIN));
        let before = redact::redact_text(&text[wide_start..at]);
        let after = redact::redact_text(&text[at..wide_end]);
        let before_chars = before.chars().count();
        let keep = text[start..at].chars().count().min(before_chars);
        let mut out: String = before.chars().skip(before_chars - keep).collect();
        let after_keep = text[at..end].chars().count();
        out.extend(after.chars().take(after_keep));
        let mut out = out.trim().replace('`', "'");
        if start > 0 && !text[..start].trim().is_empty() {
            out.insert(0, '…');
        }
        if end < text.len() && !text[end..].trim().is_empty() {
            out.push('…');
        }
        out
    }
}

/// Hits kept per file: past this the file is reported as not fully scanned (a file of
/// 100,000 keys would otherwise cost a finding, an entity and a report entry each).
pub const MAX_HITS: usize = 1000;

/// Scans one file's text (at most [`MAX_HITS`] hits, plus one to tell that there are more). `code` / `config` switch on the code detectors; `client_side`
/// the backend-proxy detector.
pub fn scan_text(text: &str, code: bool, config: bool, client_side: bool) -> Vec<Hit> {
    scan_text_as(text, code, config, client_side, "")
}

/// Multi-line strings a line can start inside: Python docstrings, JavaScript template
/// literals. What is written there is shown to a reader, not run.
#[derive(Default)]
struct Strings {
    docstring: Option<&'static str>,
    template: bool,
    /// The terminator of an HCL heredoc (`<<EOT` … `EOT`): text a Terraform output prints.
    heredoc: Option<String>,
}

impl Strings {
    /// Is the line's start inside a multi-line string? Updates the state for the next line.
    fn advance(&mut self, line: &str, language: &str) -> bool {
        let inside = self.docstring.is_some() || self.template || self.heredoc.is_some();
        match language {
            "hcl" => match &self.heredoc {
                Some(end) if line.trim() == end => self.heredoc = None,
                Some(_) => {}
                None => {
                    if let Some((_, tag)) = line.split_once("<<") {
                        let tag = tag.trim_start_matches('-').trim();
                        if !tag.is_empty() && tag.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                            self.heredoc = Some(tag.to_string());
                        }
                    }
                }
            },
            "python" => {
                for q in ["\"\"\"", "'''"] {
                    let n = line.matches(q).count();
                    if n % 2 == 1 {
                        self.docstring = match self.docstring {
                            Some(open) if open == q => None,
                            None => Some(q),
                            other => other,
                        };
                    }
                }
            }
            "javascript" | "typescript" | "vue" | "svelte" | "html" => {
                let n = line
                    .match_indices('`')
                    .filter(|(i, _)| !line[..*i].ends_with('\\'))
                    .count();
                if n % 2 == 1 {
                    self.template = !self.template;
                }
            }
            _ => {}
        }
        inside
    }
}

/// Is byte `at` of `line` inside a string literal or a trailing comment? A string that
/// closes before `end` (a quoted key: `"rejectUnauthorized": false`) is code.
fn in_prose(line: &str, at: usize, end: usize, language: &str) -> Prose {
    let hash_comments = matches!(
        language,
        "python" | "shell" | "ruby" | "yaml" | "toml" | "config" | "dotenv" | "dockerfile"
    );
    let mut quote: Option<char> = None;
    let mut escaped = false;
    let mut prev = '\0';
    for (i, ch) in line.char_indices() {
        if i >= end {
            break;
        }
        match quote {
            Some(q) => {
                if escaped {
                    escaped = false;
                } else if ch == '\\' {
                    escaped = true;
                } else if ch == q {
                    quote = None;
                }
            }
            None if i < at => {
                if (ch == '#' && hash_comments) || (ch == '/' && prev == '/' && !hash_comments) {
                    return Prose::Comment;
                }
                if matches!(ch, '"' | '\'' | '`') {
                    quote = Some(ch);
                }
            }
            None => {}
        }
        prev = ch;
    }
    if quote.is_some() {
        Prose::String
    } else {
        Prose::Code
    }
}

#[derive(PartialEq, Eq)]
enum Prose {
    Code,
    String,
    Comment,
}

/// [`scan_text`] for a file of `language` (`""`: judge as the flags say). In program source
/// other than shell, a credential is only a quoted literal; lines inside docstrings and
/// template literals are prose for the code detectors.
pub fn scan_text_as(text: &str, code: bool, config: bool, client_side: bool, language: &str) -> Vec<Hit> {
    let Some(ac) = TRIGGER_AC.as_ref() else {
        return Vec::new();
    };
    let lower_gateway = client_side && {
        let lower = text.to_ascii_lowercase();
        GATEWAY_HINTS.iter().any(|h| lower.contains(h))
    };
    let quoted_only = code && !matches!(language, "shell" | "");
    let mut strings = Strings::default();
    let mut prev_gate = 0u8;
    let mut hits = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if hits.len() > MAX_HITS {
            break;
        }
        let in_string = strings.advance(line, language);
        // a condition up to three lines above (`if insecure {`, `return &tls.Config{`)
        let gated = prev_gate > 0;
        prev_gate = if opt_in(line) { 3 } else { prev_gate.saturating_sub(1) };
        let mut wake = 0u8;
        for m in ac.find_overlapping_iter(line) {
            wake |= TRIGGERS[m.pattern().as_usize()].1;
        }
        if wake == 0 || allowed(line) {
            continue;
        }
        let line_no = i as u32 + 1;
        let found_secrets = if wake & KEY != 0 {
            secrets(line, quoted_only)
        } else {
            Vec::new()
        };
        let spans: Vec<(usize, usize)> = found_secrets.iter().map(|f| (f.start, f.end)).collect();
        // (detector, byte offset, masked match, what, confidence, variable)
        let mut found: Vec<(&'static str, usize, String, String, &'static str, String)> = Vec::new();
        for f in found_secrets {
            found.push((
                API_KEY,
                f.start,
                mask::mask(&line[f.start..f.end]),
                f.what,
                f.confidence,
                f.variable,
            ));
        }
        let active = (code || config) && !is_comment(line) && !in_string;
        if active {
            let mut hit = |detector: &'static str, byte: usize, end: usize| {
                let prose = if code {
                    in_prose(line, byte, end, language)
                } else {
                    Prose::Code
                };
                // URLs and logged values are written in strings; a switch or a call is not
                let in_string_counts = matches!(detector, TLS_OFF | GATEWAY_CALL | ERROR_LEAK);
                let skip = prose == Prose::Comment || (prose == Prose::String && in_string_counts);
                // `if insecure { … InsecureSkipVerify = true }`: the user opts in
                let confidence = if detector == TLS_OFF && (gated || opt_in(&line[..byte])) {
                    "medium"
                } else {
                    "high"
                };
                if !skip {
                    found.push((
                        detector,
                        byte,
                        quote(line, &spans, byte, end),
                        String::new(),
                        confidence,
                        String::new(),
                    ));
                }
            };
            code_hits(line, wake, code, client_side, lower_gateway, &mut hit);
        }
        if found.is_empty() {
            continue;
        }
        let (digest, public) = (line_digest(line), public_var(line));
        let masked_line = Masked::new(line, &spans);
        let bytes: Vec<usize> = found.iter().map(|f| f.1).collect();
        for ((detector, byte, masked, what, confidence, variable), column) in
            found.into_iter().zip(columns(line, &bytes))
        {
            if hits.len() > MAX_HITS {
                break;
            }
            hits.push(Hit {
                detector,
                line: line_no,
                column,
                masked,
                excerpt: masked_line.excerpt(byte),
                what,
                confidence,
                variable,
                public_var: public,
                line_digest: digest.clone(),
            });
        }
    }
    hits
}

/// A condition that lets the user choose insecure TLS (`if insecure {`, `if c.Insecure`,
/// `if !strictValidation`, `case insecureRedis:`).
fn opt_in(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    let condition = lower.contains("if ") || lower.contains("case ") || lower.contains("? ") || lower.contains("&&");
    condition
        && [
            "insecure",
            "skipverify",
            "skip_verify",
            "strict",
            "verify_ssl",
            "no_verify",
            "noverify",
            "bypass",
            "ignore_ssl",
            "ignoressl",
            "disable_ssl",
            "unsafe",
        ]
        .iter()
        .any(|w| lower.contains(w))
}

/// The matched text `line[start..end]`, secrets masked, at most 80 characters.
fn quote(line: &str, spans: &[(usize, usize)], start: usize, end: usize) -> String {
    let end = end.min(line.len()).max(start);
    let Some(text) = line.get(start..end) else {
        return String::new();
    };
    let local: Vec<(usize, usize)> = spans
        .iter()
        .filter(|&&(s, e)| s >= start && e <= end)
        .map(|&(s, e)| (s - start, e - start))
        .collect();
    let mut out = String::new();
    let mut last = 0;
    for (s, e) in local {
        out.push_str(&text[last..s]);
        out.push_str(&mask::mask(&text[s..e]));
        last = e;
    }
    out.push_str(&text[last..]);
    let out = redact::redact_text(out.trim()).replace('`', "'");
    if out.chars().count() > 80 {
        let cut: String = out.chars().take(79).collect();
        format!("{cut}…")
    } else {
        out
    }
}

/// The code and configuration detectors on one line that is not a comment: each hit is
/// `(detector, start, end)` of the matched text.
fn code_hits(
    line: &str,
    wake: u8,
    code: bool,
    client_side: bool,
    lower_gateway: bool,
    hit: &mut impl FnMut(&'static str, usize, usize),
) {
    if wake & TLS != 0 {
        let at = detect::text_disables_tls_span(line).or_else(|| EXTRA_TLS.find(line).map(|m| (m.start(), m.end())));
        if let Some((s, e)) = at {
            hit(TLS_OFF, s, e);
        }
    }
    if wake & HTTP != 0 {
        if let Some((s, e)) = detect::source_http_gateway(line) {
            hit(HTTP_GATEWAY, s, e);
        }
    }
    if !code {
        return;
    }
    if wake & LOG != 0 {
        if let Some(call) = LOG_CALL.find(line) {
            if let Some(arg) = SENSITIVE_ARG.captures(&line[call.end() - 1..]).and_then(|c| c.get(1)) {
                hit(LOG_SENSITIVE, call.end() - 1 + arg.start(), call.end() - 1 + arg.end());
            }
        }
    }
    if wake & ERR != 0 {
        if let Some(m) = ERROR_LEAK_RE.find(line) {
            hit(ERROR_LEAK, m.start(), m.end());
        }
    }
    if wake & CALL != 0 && client_side {
        if let Some(m) = CLIENT_CALL.find(line) {
            let lower = m.as_str().to_ascii_lowercase();
            let direct = lower_gateway || lower.contains("dangerouslyallowbrowser");
            // a command shown to the user (`curl … -H "Authorization: Bearer …"`) is no call
            let before = line[..m.start()].to_ascii_lowercase();
            let snippet = before.contains("curl ") || before.contains("-h ") || before.contains("--header");
            if (direct || lower.contains("openai")) && !snippet {
                hit(GATEWAY_CALL, m.start(), m.end());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY1: &str = "sk-proj-Hq7Lm2Xv9Rt4Wp8Kz3Nb6Yc1Df5Gs0Aj2Ue7Io";

    fn found(text: &str, code: bool, client: bool) -> Vec<(&'static str, u32, u32)> {
        scan_text(text, code, false, client)
            .into_iter()
            .map(|h| (h.detector, h.line, h.column))
            .collect()
    }

    #[test]
    fn a_relative_path_is_not_a_secret_value() {
        let text = "converted security token to a unix token:  ../../source4/auth/unix_token.c:133\n";
        assert_eq!(found(text, false, false), []);
        let text = "token = \"./build/cache/a81f3c9e0b2d4f6a8c1e3b5d7f9a0c2e.json\"\n";
        assert_eq!(found(text, true, false), []);
        // the same shape without the path is still one
        let text = "token = \"a81f3c9e0b2d4f6a8c1e3b5d7f9a0c2e1234\"\n";
        assert_eq!(found(text, true, false).len(), 1);
    }

    #[test]
    fn keys_in_three_languages_with_exact_columns() {
        let py = format!("import os\nclient = OpenAI(api_key=\"{KEY1}\")\n");
        assert_eq!(found(&py, true, false), [(API_KEY, 2, 26)]);
        let js = format!("const apiKey = '{KEY1}';\n");
        assert_eq!(found(&js, true, false), [(API_KEY, 1, 17)]);
        let go = format!("package main\n\nconst key = \"{KEY1}\"\n");
        assert_eq!(found(&go, true, false), [(API_KEY, 3, 14)]);
        let env = "APERTIS_API_KEY=Zq8Xw3Vr6Ty1Ui4Op7As2Df5Gh9Jk0Lm\n";
        assert_eq!(found(env, false, false), [(API_KEY, 1, 17)]);
        let bearer = "curl -H 'Authorization: Bearer Zq8Xw3Vr6Ty1Ui4Op7As2Df5Gh9Jk0Lm' https://api.apertis.ai/v1\n";
        assert_eq!(found(bearer, false, false), [(API_KEY, 1, 32)]);
    }

    #[test]
    fn placeholders_comments_about_keys_and_references_are_not_keys() {
        for text in [
            "APERTIS_API_KEY=sk-your-api-key\n",
            "api_key = \"sk-xxx\"\n",
            "const apiKey = \"sk-abc123...\";\n",
            "# set APERTIS_API_KEY in your environment\n",
            "api_key=os.environ.get(\"APERTIS_API_KEY\")\n",
            "apiKey: process.env.APERTIS_API_KEY,\n",
            "headers: { 'Authorization': `Bearer ${apiKey}` }\n",
            "OPENAI_API_KEY=<your key>\n",
            "API_KEY=${API_KEY}\n",
        ] {
            assert_eq!(found(text, true, false), [], "{text}");
        }
        let allowed = format!("key = \"{KEY1}\"  # pragma: allowlist secret\n");
        assert_eq!(found(&allowed, true, false), []);
    }

    #[test]
    fn bundled_variables_are_public() {
        let hits = scan_text(
            &format!("VITE_APERTIS_API_KEY={KEY1}\nSERVER_KEY={KEY1}\n"),
            false,
            true,
            false,
        );
        let public: Vec<bool> = hits.iter().map(|h| h.public_var).collect();
        assert_eq!(public, [true, false]);
    }

    #[test]
    fn excerpts_never_hold_the_key() {
        let hits = scan_text(
            &format!("headers = {{'Authorization': 'Bearer {KEY1}'}}\n"),
            true,
            false,
            false,
        );
        assert!(!hits.is_empty());
        assert!(hits
            .iter()
            .all(|h| !h.excerpt.contains(KEY1) && !h.masked.contains(KEY1)));
    }

    #[test]
    fn tls_switches_in_three_languages() {
        assert_eq!(
            found("r = requests.get(url, verify=False)\n", true, false),
            [(TLS_OFF, 1, 23)]
        );
        assert_eq!(
            found(
                "const agent = new https.Agent({ rejectUnauthorized: false });\n",
                true,
                false
            ),
            [(TLS_OFF, 1, 33)]
        );
        assert_eq!(
            found(
                "tr := &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}\n",
                true,
                false
            ),
            [(TLS_OFF, 1, 52)]
        );
        assert_eq!(
            found(
                "let c = Client::builder().danger_accept_invalid_certs(true).build()?;\n",
                true,
                false
            ),
            [(TLS_OFF, 1, 27)]
        );
        assert_eq!(
            found("ctx = ssl._create_unverified_context()\n", true, false),
            [(TLS_OFF, 1, 7)]
        );
        assert_eq!(
            found("# never do verify=False\nr = get(url, verify=True)\n", true, false),
            []
        );
    }

    #[test]
    fn http_gateway_urls_in_code() {
        assert_eq!(
            found("base_url = \"http://api.apertis.ai/v1\"\n", true, false),
            [(HTTP_GATEWAY, 1, 13)]
        );
        assert_eq!(
            found("baseURL: 'http://llm-gateway.internal/v1',\n", true, false),
            [(HTTP_GATEWAY, 1, 11)]
        );
        assert_eq!(
            found(
                "base_url = \"https://api.apertis.ai/v1\"\nredis = 'http://redis:6379'\n",
                true,
                false
            ),
            []
        );
    }

    #[test]
    fn logging_whole_requests_in_three_languages() {
        assert_eq!(
            found("logger.info(f\"Request: {full_request}\")\n", true, false),
            [(LOG_SENSITIVE, 1, 25)]
        );
        assert_eq!(
            found("console.log('incoming', req.body);\n", true, false),
            [(LOG_SENSITIVE, 1, 25)]
        );
        assert_eq!(
            found("log.Printf(\"headers: %v\", r.Header)\n", true, false),
            [(LOG_SENSITIVE, 1, 27)]
        );
        assert_eq!(
            found(
                "logger.info(f\"Request to model {model}, tokens: {token_count}\")\n",
                true,
                false
            ),
            []
        );
        assert_eq!(found("console.error('API error:', error);\n", true, false), []);
    }

    #[test]
    fn error_details_sent_to_clients() {
        assert_eq!(
            found("    res.status(500).json({ error: err.message });\n", true, false),
            [(ERROR_LEAK, 1, 5)]
        );
        assert_eq!(
            found("        return jsonify({'error': str(e)}), 500\n", true, false),
            [(ERROR_LEAK, 1, 9)]
        );
        assert_eq!(
            found("\t\thttp.Error(w, err.Error(), 500)\n", true, false),
            [(ERROR_LEAK, 1, 3)]
        );
        assert_eq!(
            found(
                "res.status(500).json({ error: 'Internal server error' });\n",
                true,
                false
            ),
            []
        );
    }

    #[test]
    fn client_side_gateway_calls_in_three_languages() {
        let vue = "<script setup>\nconst r = await fetch('https://api.apertis.ai/v1/chat/completions', {\n  headers: { \"x-api-key\": key },\n});\n</script>\n";
        assert_eq!(found(vue, true, true), [(GATEWAY_CALL, 3, 14)]);
        let tsx = "const c = new OpenAI({ apiKey: props.k, dangerouslyAllowBrowser: true });\n";
        assert_eq!(found(tsx, true, true), [(GATEWAY_CALL, 1, 11)]);
        let html = "<script>fetch('https://api.openai.com/v1/chat/completions', {headers: {'Authorization': 'Bearer ' + k}})</script>\n";
        assert_eq!(found(html, true, true), [(GATEWAY_CALL, 1, 72)]);
    }

    #[test]
    fn http_gateway_urls_in_config_and_go() {
        assert_eq!(
            scan_text("OPENAI_BASE_URL=http://gateway.internal/v1\n", false, true, false).len(),
            1
        );
        assert_eq!(
            found("const base = \"http://api.apertis.ai/v1\"\n", true, false),
            [(HTTP_GATEWAY, 1, 15)]
        );
    }

    #[test]
    fn client_side_gateway_calls() {
        let direct = "fetch('https://api.apertis.ai/v1/chat/completions', {\n  headers: { 'Authorization': `Bearer ${apiKey}` }\n});\n";
        assert_eq!(found(direct, true, true), [(GATEWAY_CALL, 2, 14)]);
        // the same code on the server is the backend proxy itself
        assert_eq!(found(direct, true, false), []);
        assert_eq!(
            found(
                "const client = new OpenAI({ apiKey, dangerouslyAllowBrowser: true });\n",
                true,
                true
            ),
            [(GATEWAY_CALL, 1, 16)]
        );
        let proxy = "fetch('/api/chat', { method: 'POST', headers: { Authorization: `Bearer ${session}` } });\n";
        assert_eq!(found(proxy, true, true), []);
    }

    fn found_as(text: &str, language: &str) -> Vec<(&'static str, u32)> {
        let code = crate::scan::classify::is_code(language);
        let config = crate::scan::classify::is_config(language);
        scan_text_as(text, code, config, false, language)
            .into_iter()
            .map(|h| (h.detector, h.line))
            .collect()
    }

    // Lines below are copied from public repositories, all MIT-licensed: BerriAI/litellm
    // (litellm/integrations/s3.py, litellm/proxy/litellm_pre_call_utils.py,
    // tests/.../scim conftest.py, deploy/kubernetes/kub.yaml), arc53/DocsGPT
    // (application/storage/s3.py, scripts/e2e/env.sh, setup.sh, tests/...),
    // Mintplex-Labs/anything-llm. Whole files: tests/cases/source/real-repos/SOURCES.md.

    #[test]
    fn code_on_the_right_hand_side_is_not_a_key() {
        for line in [
            "                s3_aws_session_token = litellm.s3_callback_params.get(\n",
            "        secret_key = settings.S3_SECRET_ACCESS_KEY\n",
            "        api_key = self.api_key_from_environment_variable_2\n",
            "    token = self.token\n",
            "master_key = get_secret_str(\"LITELLM_MASTER_KEY\")\n",
        ] {
            assert_eq!(found_as(line, "python"), [], "{line}");
        }
    }

    #[test]
    fn test_and_placeholder_values_are_not_keys() {
        for line in [
            "        \"SCIM_TOKEN\": \"test-bearer-token-12345\",\n",
            "    test_api_key = \"test-bearer-token-12345\"\n",
            "export JWT_SECRET_KEY=\"e2e-fixed-secret-never-use-in-prod\"\n",
            "api_key = \"sk-*****************************abcd\"\n",
            "api_key = \"my-mock-api-key-0123456789abcdef\"\n",
            "api_key = \"invalid-key-0123456789abcdefghij\"\n",
            "OPENAI_API_KEY = \"your-openai-api-key-0123456789\"\n",
            "API_KEY=\"${LITELLM_API_KEY_FROM_VAULT_2024}\"\n",
            "api_key: \"{{ .Values.masterkey2024abcdefghij }}\"\n",
        ] {
            assert_eq!(found_as(line, "python"), [], "{line}");
            assert_eq!(found_as(line, "shell"), [], "{line}");
        }
    }

    #[test]
    fn hashes_are_not_keys() {
        let line = "    hashed_token = \"88dc28d0f030c55ed4ab77ed8faf098196cb1c05df778539800c9f1243fe6b4b\"\n";
        assert_eq!(found_as(line, "python"), []);
        let line = "    token_sha256 = \"88dc28d0f030c55ed4ab77ed8faf098196cb1c05df778539800c9f1243fe6b4b\"\n";
        assert_eq!(found_as(line, "python"), []);
    }

    #[test]
    fn literal_keys_keep_their_confidence_and_variable() {
        let hits = scan_text_as(
            &format!("client = OpenAI(api_key=\"{KEY1}\")\n"),
            true,
            false,
            false,
            "python",
        );
        assert_eq!(hits.len(), 1);
        assert_eq!(
            (hits[0].confidence, hits[0].what.as_str()),
            ("high", "OpenAI-style key")
        );
        assert_eq!(hits[0].variable, "API_KEY");
        let hits = scan_text_as(
            "    ANTHROPIC_SECRET = \"Zq8Xw3Vr6Ty1Ui4Op7As2Df5Gh9Jk0Lm\"\n",
            true,
            false,
            false,
            "python",
        );
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].confidence, "medium");
        assert_eq!(hits[0].variable, "ANTHROPIC_SECRET");
        // unquoted in a .env file is a literal
        assert_eq!(
            found_as("SECRET_KEY=a8f5f167f44f4964e6c998dee827110c\n", "dotenv"),
            [(API_KEY, 1)]
        );
    }

    #[test]
    fn other_providers_key_shapes() {
        for key in [
            "AIzaSyA1b2C3d4E5f6G7h8I9j0KlMnOpQrStUvW",
            "hf_Qx7Lm2Xv9Rt4Wp8Kz3Nb6Yc1Df5Gs0Aj2Ue",
            "ghp_Qx7Lm2Xv9Rt4Wp8Kz3Nb6Yc1Df5Gs0Aj2Ue7I",
            "AKIAZ7Q2LM4XV9RT4WP8",
            "xoxb-2048-Qx7Lm2Xv9Rt4Wp8Kz3Nb6Yc1",
            "sk-ant-admin01-Qx7Lm2Xv9Rt4Wp8Kz3Nb6Yc1Df5Gs0Aj2Ue",
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZG1pbiIsImV4cCI6MTcwMDAwMDAwMH0.Qx7Lm2Xv9Rt4Wp8Kz3Nb6Yc1Df5G",
        ] {
            let hits = scan_text_as(&format!("conf = {{ 'k': '{key}' }}\n"), true, false, false, "python");
            assert_eq!(hits.len(), 1, "{key}");
            assert_eq!(hits[0].confidence, "high", "{key}");
            assert!(!hits[0].masked.contains(key) && !hits[0].excerpt.contains(key), "{key}");
        }
    }

    #[test]
    fn passwords_in_urls() {
        // litellm deploy/kubernetes/kub.yaml
        let line = "              value: \"postgresql://ishaan:HogdJCvK89Xe@ep-bitter-fog-a573fgz9.us-east-2.aws.neon.tech/local?sslmode=require\"\n";
        let hits = scan_text_as(line, false, true, false, "yaml");
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].what, "password in a URL");
        assert!(!hits[0].excerpt.contains("HogdJCvK89Xe"));
        // DocsGPT docker-compose: a demo default, the password repeats the user
        let hits = scan_text_as(
            "      - POSTGRES_URI=postgresql://docsgpt:docsgpt@postgres:5432/docsgpt\n",
            false,
            true,
            false,
            "yaml",
        );
        assert_eq!(hits[0].confidence, "low");
        for line in [
            "DATABASE_URL=postgresql://user:password@localhost:5432/db\n",
            "DATABASE_URL=postgresql://user:${PGPASSWORD}@db:5432/app\n",
        ] {
            assert_eq!(found_as(line, "dotenv"), [], "{line}");
        }
    }

    #[test]
    fn urls_are_judged_by_their_host_not_the_line() {
        // a minified bundle that names the OpenAI API elsewhere on the line
        let svg = "let e={openai_api_base:\"https://api.openai.com/v1\"};return(0,n.jsx)(\"svg\",{xmlns:\"http://www.w3.org/2000/svg\",viewBox:\"0 0 24 24\"})\n";
        assert_eq!(found_as(svg, "javascript"), []);
        // DocsGPT setup.sh and tests
        for line in [
            "        openai_base_url=\"http://host.docker.internal:8000/v1\"\n",
            "    assert llm.base_url == \"http://x\"\n",
            "    sb = JupyterKernelGatewaySandbox(gateway_url=\"http://unused\")\n",
            "MOCK_LLM_BASE_URL = f\"http://{MOCK_LLM_HOST}:{MOCK_LLM_PORT}/v1\"\n",
            "      - SANDBOX_GATEWAY_URL=http://docsgpt-sandbox:8888\n",
            "OPENAI_BASE_URL=http://localhost:4000/v1\n",
            "OPENAI_BASE_URL=http://0.0.0.0:4000\n",
        ] {
            assert_eq!(found_as(line, "python"), [], "{line}");
            assert_eq!(found_as(line, "shell"), [], "{line}");
        }
        // a service on the compose network (DocsGPT setup.sh) is not the internet
        assert_eq!(
            found_as(
                "    echo \"OPENAI_BASE_URL=http://ollama:11434/v1\" >> \"$ENV_FILE\"\n",
                "shell"
            ),
            []
        );
        assert_eq!(
            found_as(
                "    echo \"OPENAI_BASE_URL=http://ollama.corp.example:11434/v1\" >> \"$ENV_FILE\"\n",
                "shell"
            ),
            [(HTTP_GATEWAY, 1)]
        );
        assert_eq!(
            found_as(
                "client = OpenAI(base_url=\"http://litellm.internal.corp/v1\")\n",
                "python"
            ),
            [(HTTP_GATEWAY, 1)]
        );
    }

    #[test]
    fn tls_switches_mentioned_in_prose_are_not_code() {
        let doc = "def get_client(verify=True):\n    \"\"\"\n    Returns a client. Pass verify=False to skip certificate checks.\n    \"\"\"\n    assert verify, \"verify=False is not allowed here\"\n    return httpx.Client(verify=verify)  # never verify=False\n";
        assert_eq!(found_as(doc, "python"), []);
        assert_eq!(
            found_as("    client = httpx.AsyncClient(verify=False)\n", "python"),
            [(TLS_OFF, 1)]
        );
        assert_eq!(
            found_as("const opts = { \"rejectUnauthorized\": false };\n", "javascript"),
            [(TLS_OFF, 1)]
        );
    }

    #[test]
    fn tls_switches_behind_a_user_option_are_medium_confidence() {
        // argo-cd pkg/apiclient/apiclient.go and util/grpc/grpc.go (Apache-2.0)
        let go = "\tif c.Insecure {\n\t\ttlsConfig.InsecureSkipVerify = true\n\t}\n\tvar tlsConfig tls.Config\n\ttlsConfig.InsecureSkipVerify = true\n";
        let hits = scan_text_as(go, true, false, false, "go");
        let got: Vec<(u32, &str)> = hits.iter().map(|h| (h.line, h.confidence)).collect();
        assert_eq!(got, [(2, "medium"), (5, "high")]);
        // argo-cd util/dex/dex.go: the condition two lines above
        let go = "\tif !tlsConfig.StrictValidation {\n\t\treturn &tls.Config{\n\t\t\tInsecureSkipVerify: true,\n";
        assert_eq!(scan_text_as(go, true, false, false, "go")[0].confidence, "medium");
        // anything-llm collector/utils/extensions/Confluence/ConfluenceLoader/index.js (MIT)
        let js = "      if (this.bypassSSL) process.env.NODE_TLS_REJECT_UNAUTHORIZED = \"0\";\n";
        assert_eq!(
            scan_text_as(js, true, false, false, "javascript")[0].confidence,
            "medium"
        );
    }

    #[test]
    fn commands_printed_by_terraform_outputs_are_not_code() {
        // vllm-project/production-stack tutorials/terraform/coreweave/output.tf (Apache-2.0)
        let tf = "output \"summary\" {\n  value = <<EOT\n  2. Test Model    : curl -k \"https://${local.vllm_host}/v1/models\"\nEOT\n}\nprovider \"x\" { insecure = true }\n";
        let hits = scan_text_as(tf, false, true, false, "hcl");
        assert!(hits.iter().all(|h| h.line != 3), "{hits:?}");
    }

    #[test]
    fn a_uuid_assigned_to_a_key_name_is_low_confidence() {
        // DocsGPT extensions/react-widget/src/components/DocsGPTWidget.tsx (MIT): the public
        // widget key of the project's own demo
        let tsx = "  apiKey = '527686a3-e867-4b4d-9fec-f5f45fdb613a',\n";
        let hits = scan_text_as(tsx, true, false, true, "typescript");
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].confidence, "low");
    }

    #[test]
    fn snippets_shown_to_users_are_not_client_calls() {
        let tsx = "const code = `curl https://api.openai.com/v1/chat/completions \\\n  -H \"Authorization: Bearer $OPENAI_API_KEY\"`;\nconst other = \"curl -H 'Authorization: Bearer sk-...' https://api.openai.com/v1/models\";\n";
        let hits: Vec<&str> = scan_text_as(tsx, true, false, true, "typescript")
            .iter()
            .map(|h| h.detector)
            .collect();
        assert!(!hits.contains(&GATEWAY_CALL), "{hits:?}");
    }

    #[test]
    fn any_logger_receiver() {
        // litellm/proxy/litellm_pre_call_utils.py
        assert_eq!(
            found_as(
                "    verbose_proxy_logger.debug(\"Request Headers: %s\", headers)\n",
                "python"
            ),
            [(LOG_SENSITIVE, 1)]
        );
        assert_eq!(found_as("    self.logger.info(\"model=%s\", model)\n", "python"), []);
    }

    #[test]
    fn excerpts_of_minified_lines_show_the_match() {
        let line = format!("{} r = get(u, verify=False) {}\n", "a".repeat(5000), "b".repeat(5000));
        let hits = scan_text_as(&line, true, false, false, "python");
        assert_eq!(hits.len(), 1);
        assert!(hits[0].excerpt.contains("verify=False"), "{}", hits[0].excerpt);
        assert!(hits[0].excerpt.chars().count() <= 100);
        assert_eq!(hits[0].masked, "verify=False");
    }
}
