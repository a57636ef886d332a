//! Line detectors for source files. One Aho-Corasick pass over each line finds the
//! trigger words; only the detectors those words call for run their regular expressions,
//! so a line with none of them costs one automaton pass.

use crate::detect;
use crate::mask;
use aho_corasick::{AhoCorasick, AhoCorasickBuilder};
use regex::Regex;
use std::sync::LazyLock;

/// One detector hit: 1-based line and column (in characters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub detector: &'static str,
    pub line: u32,
    pub column: u32,
    /// The secret, masked (`api-key` only).
    pub masked: String,
    /// The line, trimmed, secrets masked, at most 100 characters.
    pub excerpt: String,
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

/// A key-shaped value assigned to a key-like name, or a bearer token.
static ASSIGNED: LazyLock<Regex> = LazyLock::new(|| {
    compile(concat!(
        r#"(?i)(?:[a-z0-9_\-]*api[_\-]?key|x-api-key|[a-z0-9_]*_token|[a-z0-9_]*_secret|access[_-]?token|secret[_-]?key)["'`]?\s*(?::|=|=>)\s*["'`]?([A-Za-z0-9_\-./+=]{20,})"#,
        r#"|(?i:bearer)\s+([A-Za-z0-9_\-./+=]{20,})"#
    ))
});

static EXTRA_TLS: LazyLock<Regex> = LazyLock::new(|| {
    compile(r"ssl\.CERT_NONE|\bcheck_hostname\s*=\s*False|VERIFY_NONE|\bcurl\s+(?:-[a-zA-Z]*k[a-zA-Z]*|--insecure)\b")
});

static LOG_CALL: LazyLock<Regex> = LazyLock::new(|| {
    compile(concat!(
        r"(?:\blog(?:ger|ging)?\.(?:debug|info|warn|warning|error|critical|exception|log|trace)|\bconsole\.(?:log|info|debug|warn|error|trace)",
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

/// Byte spans of the secrets on a line.
fn secret_spans(line: &str) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut from = 0;
    while let Some((s, e)) = line.get(from..).and_then(detect::find_api_key) {
        spans.push((from + s, from + e));
        from += e;
    }
    for c in ASSIGNED.captures_iter(line) {
        if let Some(m) = c.get(1).or_else(|| c.get(2)) {
            let v = m.as_str().trim_end_matches(['.', '/']);
            let overlaps = spans.iter().any(|&(s, e)| m.start() < e && s < m.end());
            if !overlaps && secret_like(v) {
                spans.push((m.start(), m.start() + v.len()));
            }
        }
    }
    spans.sort_unstable();
    spans
}

fn line_digest(line: &str) -> String {
    use sha2::{Digest, Sha256};
    crate::report::hex(&Sha256::digest(line.trim().as_bytes()))[..16].to_string()
}

fn excerpt(line: &str, spans: &[(usize, usize)]) -> String {
    let mut out = String::with_capacity(line.len());
    let mut last = 0;
    for &(s, e) in spans {
        out.push_str(&line[last..s]);
        out.push_str(&mask::mask(&line[s..e]));
        last = e;
    }
    out.push_str(&line[last..]);
    // messages quote the excerpt in backticks: a backtick inside would end the code span
    let out = mask::redact_text(out.trim()).replace('`', "'");
    if out.chars().count() > 100 {
        let cut: String = out.chars().take(99).collect();
        format!("{cut}…")
    } else {
        out
    }
}

/// Hits kept per file: past this the file is reported as not fully scanned (a file of
/// 100,000 keys would otherwise cost a finding, an entity and a report entry each).
pub const MAX_HITS: usize = 1000;

/// Scans one file's text (at most [`MAX_HITS`] hits, plus one to tell that there are more). `code` / `config` switch on the code detectors; `client_side`
/// the backend-proxy detector.
pub fn scan_text(text: &str, code: bool, config: bool, client_side: bool) -> Vec<Hit> {
    let Some(ac) = TRIGGER_AC.as_ref() else {
        return Vec::new();
    };
    let lower_gateway = client_side && {
        let lower = text.to_ascii_lowercase();
        GATEWAY_HINTS.iter().any(|h| lower.contains(h))
    };
    let mut hits = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if hits.len() > MAX_HITS {
            break;
        }
        let mut wake = 0u8;
        for m in ac.find_overlapping_iter(line) {
            wake |= TRIGGERS[m.pattern().as_usize()].1;
        }
        if wake == 0 || allowed(line) {
            continue;
        }
        let line_no = i as u32 + 1;
        let spans = if wake & KEY != 0 {
            secret_spans(line)
        } else {
            Vec::new()
        };
        // (detector, byte offset, masked secret); the line's excerpt, digest and columns
        // are computed once below, however many hits it has
        let mut found: Vec<(&'static str, usize, String)> = Vec::new();
        let mut hit = |detector: &'static str, byte: usize, masked: String| found.push((detector, byte, masked));
        for &(s, e) in &spans {
            hit(API_KEY, s, mask::mask(&line[s..e]));
        }
        let active = (code || config) && !is_comment(line);
        if active {
            code_hits(line, wake, code, client_side, lower_gateway, &mut hit);
        }
        if found.is_empty() {
            continue;
        }
        let (excerpt, digest, public) = (excerpt(line, &spans), line_digest(line), public_var(line));
        let bytes: Vec<usize> = found.iter().map(|f| f.1).collect();
        for ((detector, _, masked), column) in found.into_iter().zip(columns(line, &bytes)) {
            hits.push(Hit {
                detector,
                line: line_no,
                column,
                masked,
                excerpt: excerpt.clone(),
                public_var: public,
                line_digest: digest.clone(),
            });
        }
    }
    hits
}

/// The code and configuration detectors on one line that is not a comment.
fn code_hits(
    line: &str,
    wake: u8,
    code: bool,
    client_side: bool,
    lower_gateway: bool,
    hit: &mut impl FnMut(&'static str, usize, String),
) {
    if wake & TLS != 0 {
        let at = detect::text_disables_tls(line).or_else(|| EXTRA_TLS.find(line).map(|m| m.start()));
        if let Some(at) = at {
            hit(TLS_OFF, at, String::new());
        }
    }
    if wake & HTTP != 0 && detect::http_gateway_url(line, line) {
        let at = line.find("http://").unwrap_or(0);
        hit(HTTP_GATEWAY, at, String::new());
    }
    if !code {
        return;
    }
    if wake & LOG != 0 {
        if let Some(call) = LOG_CALL.find(line) {
            if let Some(arg) = SENSITIVE_ARG.captures(&line[call.end() - 1..]).and_then(|c| c.get(1)) {
                hit(LOG_SENSITIVE, call.end() - 1 + arg.start(), String::new());
            }
        }
    }
    if wake & ERR != 0 {
        if let Some(m) = ERROR_LEAK_RE.find(line) {
            hit(ERROR_LEAK, m.start(), String::new());
        }
    }
    if wake & CALL != 0 && client_side {
        if let Some(m) = CLIENT_CALL.find(line) {
            let direct = lower_gateway || m.as_str().to_ascii_lowercase().contains("dangerouslyallowbrowser");
            if direct || m.as_str().to_ascii_lowercase().contains("openai") {
                hit(GATEWAY_CALL, m.start(), String::new());
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
}
