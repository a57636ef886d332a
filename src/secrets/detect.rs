//! Pattern facts: does a string look like an API key, is a name credential-like, does a
//! setting switch TLS verification off, is a URL a plain-HTTP gateway address.
//! These are computed in Rust because Cedar has no regular expressions; the judgments
//! ("a literal key in an env var is critical") stay in the policies.

use regex::Regex;
use std::sync::LazyLock;

#[allow(clippy::expect_used)] // a constant pattern: a failure is a bug caught by every test
fn compile(pattern: &str) -> Regex {
    Regex::new(pattern).expect("built-in pattern compiles")
}

/// Candidate keys of the gateway's OpenAI-compatible family and Anthropic's.
static KEY_CANDIDATE: LazyLock<Regex> =
    LazyLock::new(|| compile(r"sk-(?:ant-(?:api\d\d-|admin\d\d-)?|proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{16,}"));

/// The base64 of `OpenAI` that OpenAI embeds in its keys.
const OPENAI_MARKER: &str = "T3BlbkFJ";

/// Words that mark a documentation placeholder rather than a real key.
const PLACEHOLDER_WORDS: &[&str] = &[
    "your",
    "xxxx",
    "example",
    "placeholder",
    "redacted",
    "dummy",
    "changeme",
    "replace",
    "here",
    "fake",
    "sample",
    "insert",
    "secret-key",
    "api-key",
    "apikey",
];

/// Does `value` contain a word that marks a documentation placeholder (`your`, `xxxx`,
/// `example`, ...)?
pub fn has_placeholder_word(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    PLACEHOLDER_WORDS.iter().any(|w| lower.contains(w))
}

/// Words and shapes of test and demo values: `test-…`, `…-12345`, `mock`, `fake`, `invalid`,
/// `xyz`, masked (`*****`) and truncated (`...`) values, `your-…`, `<…>`, `${…}`, `{{ … }}`.
/// Such a value is shown to a reader or a test, not used to call anything.
pub fn is_placeholder_value(value: &str) -> bool {
    let v = value.trim().trim_matches(['"', '\'', '`']);
    let lower = v.to_ascii_lowercase();
    const WORDS: &[&str] = &[
        "mock",
        "fake",
        "invalid",
        "xyz",
        "dummy",
        "example",
        "placeholder",
        "redacted",
        "changeme",
        "change-me",
        "change_me",
        "your-",
        "your_",
        "yourkey",
        "xxxx",
        "never-use",
        "not-a-real",
        "notreal",
        "not_real",
        "sample",
        "12345",
        "abcdef",
        "abc123",
        "foobar",
        "lorem",
    ];
    let templated = v.contains("${") || v.contains("{{") || v.contains("$(") || v.contains("%s") || v.contains("%(");
    let angle = v.starts_with('<') && v.ends_with('>');
    let masked = v.contains("***") || v.contains("...") || v.contains('…') || v.contains("•••");
    let test = ["test-", "test_", "testing", "-test", "_test", "test"]
        .iter()
        .any(|p| lower.starts_with(p) || lower.ends_with(p));
    let one_char = v
        .chars()
        .next()
        .is_some_and(|first| v.len() >= 6 && v.chars().all(|c| c == first));
    templated || angle || masked || test || one_char || WORDS.iter().any(|w| lower.contains(w))
}

/// A password hash (bcrypt, argon2, crypt's SHA-512, LDAP `{SSHA}`): what a server stores to
/// check a password, not a password.
pub fn is_hash_value(value: &str) -> bool {
    let v = value.trim();
    [
        "$2a$",
        "$2b$",
        "$2y$",
        "$argon2",
        "$6$",
        "$5$",
        "{SSHA}",
        "{SHA}",
        "pbkdf2_sha256$",
        "sha256:",
    ]
    .iter()
    .any(|p| v.starts_with(p))
}

/// How sure a finding about a literal credential `value` is: `high` for a key shape or a
/// value that looks generated; `medium` for a short demo value (`sk-1234`, `hunter2`) that
/// still works wherever it is deployed unchanged; `low` for a placeholder (`changeme`,
/// `password`, `test-token-12345`, `<your-key>`).
pub fn literal_confidence(value: &str) -> &'static str {
    let v = value.trim();
    let lower = v.to_ascii_lowercase();
    if looks_like_api_key(v) {
        return "high";
    }
    if let Some((s, e)) = find_url_password(v) {
        return match url_password_confidence(v, s, e) {
            "low" => "low",
            _ => literal_confidence(&v[s..e]),
        };
    }
    let common = matches!(
        lower.as_str(),
        "password" | "passwd" | "secret" | "admin" | "root" | "token" | "pass" | "postgres" | "guest" | "user"
    );
    // `HF_TOKEN: "HF_TOKEN"`: the name of a variable written where its value belongs
    let a_name = v.contains('_')
        && v.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
    if common || a_name || has_placeholder_word(v) || is_placeholder_value(v) || is_hash_value(v) {
        "low"
    } else if v.chars().count() < 12 || entropy(v) < 3.0 {
        "medium"
    } else {
        "high"
    }
}

/// A credential inside a URL (`postgresql://user:pass@host`): byte span of the password.
/// A password that is a variable (`${PASSWORD}`, `$(DB_PASS)`, `{{ .pass }}`) or a
/// placeholder (`password`, `pass`, `<password>`) is no credential.
pub fn find_url_password(text: &str) -> Option<(usize, usize)> {
    if !text.contains("://") || !text.contains('@') {
        return None;
    }
    URL_CREDENTIAL.captures_iter(text).find_map(|c| {
        let m = c.get(1)?;
        let pw = m.as_str();
        let lower = pw.to_ascii_lowercase();
        let trivial = matches!(
            lower.as_str(),
            "password" | "pass" | "passwd" | "pwd" | "secret" | "token" | "user" | "username"
        ) || pw.starts_with('$')
            || pw.starts_with('%')
            || pw.starts_with('{')
            || pw.starts_with('<')
            || pw.starts_with(':')
            || is_placeholder_value(pw);
        (!trivial).then_some((m.start(), m.end()))
    })
}

/// How sure a password at `text[s..e]` (found by [`find_url_password`]) is a real one:
/// `low` when it repeats the user name (`postgres:postgres`, a demo default) or is short,
/// else `medium` (a URL is also how documentation shows the shape of a setting).
pub fn url_password_confidence(text: &str, s: usize, e: usize) -> &'static str {
    let user = text
        .get(..s.saturating_sub(1))
        .and_then(|b| b.rsplit("://").next())
        .unwrap_or("");
    let pw = text.get(s..e).unwrap_or("");
    if pw == user || pw.len() < 6 || literal_confidence(pw) == "low" {
        "low"
    } else {
        "medium"
    }
}

/// `scheme://user:password@`: the password group.
static URL_CREDENTIAL: LazyLock<Regex> =
    LazyLock::new(|| compile(r"[A-Za-z][A-Za-z0-9+.\-]*://[^\s:/@\x22'`<>]+:([^\s@/\x22'`<>]+)@[A-Za-z0-9\[]"));

/// `value`'s URL, its password masked; `None` when it holds no credential.
pub fn mask_url_password(value: &str) -> Option<String> {
    let (s, e) = find_url_password(value)?;
    Some(format!(
        "{}{}{}",
        &value[..s],
        crate::secrets::mask::mask(&value[s..e]),
        &value[e..]
    ))
}

/// Finds the first key-shaped substring: `(start, end)` byte offsets.
pub fn find_api_key(text: &str) -> Option<(usize, usize)> {
    find_key(text, true)
}

/// Like [`find_api_key`], but also a key glued to the word before it (`abcsk-proj-…`):
/// not reported as a key, but never shown either (see [`crate::secrets::redact::redact_text`]).
pub fn find_key_shape(text: &str) -> Option<(usize, usize)> {
    find_key(text, false)
}

fn find_key(text: &str, at_word_start: bool) -> Option<(usize, usize)> {
    let other = find_provider_key(text, at_word_start).map(|(s, e, _)| (s, e));
    let sk = find_sk_key(text, at_word_start);
    match (sk, other) {
        (Some(a), Some(b)) => Some(if b.0 < a.0 { b } else { a }),
        (a, b) => a.or(b),
    }
}

/// Key shapes of other providers, each with its fixed prefix: Google (`AIza`), Hugging Face
/// (`hf_`), GitHub (`ghp_`, `github_pat_`, ...), AWS access key ids (`AKIA`), Slack (`xoxb-`,
/// `xoxp-`), and JSON Web Tokens with a payload (`eyJ….eyJ….sig`).
static PROVIDER_KEY: LazyLock<Regex> = LazyLock::new(|| {
    compile(concat!(
        r"(?P<google>AIza[0-9A-Za-z_\-]{35})",
        r"|(?P<huggingface>hf_[A-Za-z0-9]{30,})",
        r"|(?P<github>(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{50,}))",
        r"|(?P<aws>(?:AKIA|ASIA)[0-9A-Z]{16})",
        r"|(?P<slack>xox[bpas]-[0-9A-Za-z\-]{20,})",
        r"|(?P<jwt>eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{16,})"
    ))
});

/// The provider names of [`PROVIDER_KEY`]'s groups, as a reader names them.
const PROVIDERS: &[(&str, &str)] = &[
    ("google", "Google API key"),
    ("huggingface", "Hugging Face token"),
    ("github", "GitHub token"),
    ("aws", "AWS access key id"),
    ("slack", "Slack token"),
    ("jwt", "JSON Web Token"),
];

/// Is the character before byte `at` a letter or digit (the match is glued to a word)?
fn alnum_before(text: &str, at: usize) -> bool {
    text[..at]
        .chars()
        .next_back()
        .is_some_and(|c| c.is_ascii_alphanumeric())
}

/// Is the character at byte `at` a letter or digit (the match runs on into a word)?
fn alnum_after(text: &str, at: usize) -> bool {
    text[at..].chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
}

/// A provider-shaped match that is neither a placeholder nor too regular to be random.
fn is_real_provider_key(body: &str) -> bool {
    !has_placeholder_word(body) && !is_placeholder_value(body) && entropy(body) >= 3.0
}

/// The first key of another provider (see [`PROVIDER_KEY`]): byte span and what it is.
pub fn find_provider_key(text: &str, at_word_start: bool) -> Option<(usize, usize, &'static str)> {
    if !["AIza", "hf_", "gh", "AKIA", "ASIA", "xox", "eyJ"]
        .iter()
        .any(|p| text.contains(p))
    {
        return None;
    }
    PROVIDER_KEY.captures_iter(text).find_map(|c| {
        let (group, what) = PROVIDERS.iter().find(|(g, _)| c.name(g).is_some())?;
        let m = c.name(group)?;
        let boundary = !at_word_start || !alnum_before(text, m.start());
        let after_ok = !alnum_after(text, m.end());
        let real = is_real_provider_key(m.as_str());
        (boundary && (after_ok || *group == "jwt") && (real || !at_word_start)).then_some((m.start(), m.end(), *what))
    })
}

/// Every key in `text` (as [`find_api_key`] finds them one by one), in one pass over it:
/// byte spans, in order, not overlapping. A minified line with thousands of keys costs one
/// scan, not one per key.
pub fn find_all_keys(text: &str) -> Vec<(usize, usize)> {
    let word_start = |at: usize| !alnum_before(text, at);
    let mut out: Vec<(usize, usize)> = Vec::new();
    if text.contains("sk-") {
        out.extend(
            KEY_CANDIDATE
                .find_iter(text)
                .filter(|m| word_start(m.start()) && is_key(m.as_str()))
                .map(|m| (m.start(), m.end())),
        );
    }
    if ["AIza", "hf_", "gh", "AKIA", "ASIA", "xox", "eyJ"]
        .iter()
        .any(|p| text.contains(p))
    {
        for c in PROVIDER_KEY.captures_iter(text) {
            let Some(m) = PROVIDERS.iter().find_map(|(g, _)| c.name(g)) else {
                continue;
            };
            let jwt = c.name("jwt").is_some();
            let after_ok = !alnum_after(text, m.end());
            if word_start(m.start()) && (after_ok || jwt) && is_real_provider_key(m.as_str()) {
                out.push((m.start(), m.end()));
            }
        }
    }
    out.sort_unstable();
    let mut kept: Vec<(usize, usize)> = Vec::with_capacity(out.len());
    for span in out {
        if kept.last().is_none_or(|&(_, e)| span.0 >= e) {
            kept.push(span);
        }
    }
    kept
}

/// What a key-shaped value is: `OpenAI key`, `Anthropic key`, `GitHub token`, ...
pub fn key_kind(key: &str) -> &'static str {
    if key.starts_with("sk-ant-") {
        return "Anthropic key";
    }
    if key.starts_with("sk-") {
        return "OpenAI-style key";
    }
    find_provider_key(key, false).map_or("key", |(_, _, what)| what)
}

fn find_sk_key(text: &str, at_word_start: bool) -> Option<(usize, usize)> {
    if !text.contains("sk-") {
        return None;
    }
    KEY_CANDIDATE
        .find_iter(text)
        .find(|m| {
            // `task-scheduler-…` holds `sk-` too: a key starts at a word boundary
            let boundary = !at_word_start
                || text[..m.start()]
                    .chars()
                    .next_back()
                    .is_none_or(|c| !c.is_ascii_alphanumeric());
            boundary && (is_key(m.as_str()) || (!at_word_start && key_shaped(m.as_str())))
        })
        .map(|m| (m.start(), m.end()))
}

/// For masking only: a candidate long enough, with letters and digits, that may hold a key
/// followed by more characters (`sk-…Jk-T3Bsk-…`), which [`is_key`] rejects as a whole.
fn key_shaped(candidate: &str) -> bool {
    let body = &candidate[3..];
    body.len() >= 20 && body.bytes().any(|b| b.is_ascii_digit()) && body.bytes().any(|b| b.is_ascii_alphabetic())
}

/// True when `text` contains a key-shaped substring.
pub fn looks_like_api_key(text: &str) -> bool {
    find_api_key(text).is_some()
}

/// The matched key in `text`, masked, or an empty string.
pub fn masked_key(text: &str) -> String {
    find_api_key(text)
        .map(|(s, e)| crate::secrets::mask::mask(&text[s..e]))
        .unwrap_or_default()
}

fn is_key(candidate: &str) -> bool {
    let rest = &candidate[3..];
    let body = ["ant-", "proj-", "svcacct-", "admin-"]
        .iter()
        .find_map(|p| rest.strip_prefix(p))
        .unwrap_or(rest);
    let typed = body.len() != rest.len();
    if has_placeholder_word(body) {
        return false;
    }
    if body.contains(OPENAI_MARKER) {
        return true;
    }
    // legacy `sk-` keys are plain alphanumerics; `-` and `_` appear only in the typed forms
    if !typed && body.contains(['-', '_']) {
        return false;
    }
    let has_digit = body.bytes().any(|b| b.is_ascii_digit());
    let has_alpha = body.bytes().any(|b| b.is_ascii_alphabetic());
    body.len() >= 20 && has_digit && has_alpha && entropy(body) >= 3.5
}

/// Shannon entropy in bits per character.
pub fn entropy(s: &str) -> f64 {
    let mut counts = [0u32; 256];
    for b in s.bytes() {
        counts[b as usize] += 1;
    }
    let len = s.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / len;
            -p * p.log2()
        })
        .sum()
}

fn normalise_name(name: &str) -> String {
    name.trim()
        .chars()
        .map(|c| match c {
            '-' | '.' | ' ' => '_',
            c => c.to_ascii_uppercase(),
        })
        .collect()
}

/// Credential-like names: `*_API_KEY`, `*APIKEY`, `*_KEY` (`*_MASTER_KEY`, `*_SALT_KEY`, but
/// not `PUBLIC_KEY`, `CACHE_KEY`, ...), `*_TOKEN`, `*_SECRET*` (not `*_SECRET_NAME`, ...),
/// `*_PASSWORD`, `*_PASS`, `PGPASSWORD`, `*_PAT` (and the bare words).
pub fn is_sensitive_name(name: &str) -> bool {
    let n = normalise_name(name);
    const SUFFIXES: &[&str] = &[
        "API_KEY",
        "APIKEY",
        "_TOKEN",
        "_SECRET",
        "SECRET_KEY",
        "ACCESS_KEY",
        "PASSWORD",
        "_PASSWD",
        "_PASS",
        "_PAT",
        "_SALT",
        "ACCOUNTKEY",
    ];
    const EXACT: &[&str] = &["TOKEN", "SECRET", "PASSWORD", "APIKEY", "API_KEY", "SALT"];
    SUFFIXES.iter().any(|s| n.ends_with(s))
        || EXACT.contains(&n.as_str())
        || key_suffix(&n)
        || ["SECRET", "PASSWORD", "PASSWD"].iter().any(|w| segment(&n, w))
}

/// `*_KEY` names that hold a secret: not the names of public keys, lookup keys and the like.
fn key_suffix(n: &str) -> bool {
    const NOT_SECRET: &[&str] = &[
        "PUBLIC",
        "PUB",
        "CACHE",
        "SORT",
        "PRIMARY",
        "PARTITION",
        "HASH",
        "ROUTING",
        "OBJECT",
        "S3",
        "LOOKUP",
        "IDEMPOTENCY",
        "FOREIGN",
        "UNIQUE",
        "INDEX",
        "REDIS",
        "PREFIX",
        "RANGE",
        "MAP",
        "DICT",
        "ROW",
        "GROUP",
        "LABEL",
        "ANNOTATION",
        "CONFIG",
        "STORAGE",
        "SSH_PUBLIC",
        "FILE",
        "TRANSLATION",
        "I18N",
        "SESSION_COOKIE",
    ];
    let Some(stem) = n.strip_suffix("_KEY") else {
        return false;
    };
    !stem.is_empty()
        && !NOT_SECRET
            .iter()
            .any(|w| stem == *w || stem.ends_with(&format!("_{w}")))
}

/// `*_SECRET_*` and `*_PASSWORD_*` names (`password_in` of iSCSI CHAP), except those of where
/// a secret is or how it is handled (`*_SECRET_NAME`, `*_PASSWORD_FILE`, `*_PASSWORD_POLICY`).
fn segment(n: &str, word: &str) -> bool {
    const WHERE: &[&str] = &[
        "NAME",
        "NAMES",
        "NAMESPACE",
        "PATH",
        "FILE",
        "DIR",
        "REF",
        "ARN",
        "ID",
        "MOUNT",
        "VOLUME",
        "PROVIDER",
        "STORE",
        "ENABLED",
        "TYPE",
        "KEY_REF",
        "VERSION",
        "MANAGER",
        "BACKEND",
        "LOCATION",
        "URL",
        "ENDPOINT",
        "POLICY",
        "LENGTH",
        "EXPIRY",
        "TTL",
        "HASH",
        "RESET",
        "REQUIRED",
        "AUTH",
        "ROTATION",
        "SOURCE",
    ];
    let parts: Vec<&str> = n.split('_').collect();
    let Some(i) = parts.iter().position(|p| *p == word) else {
        return false;
    };
    let tail = parts[i + 1..].join("_");
    tail.is_empty() || !WHERE.iter().any(|w| tail == *w || tail.ends_with(&format!("_{w}")))
}

/// Names that suggest the thing holds an LLM gateway key (`apertis-api-key`, `OPENAI_API_KEY`).
pub fn is_key_name(name: &str) -> bool {
    let n = normalise_name(name);
    n.contains("API_KEY") || n.contains("APIKEY")
}

/// A literal value that is really a value: not empty, not a `$(VAR)` / `${VAR}` reference, not
/// a `<placeholder>`, not a boolean and not an absolute file path (where a token is mounted).
pub fn is_literal_value(value: &str) -> bool {
    let v = value.trim();
    if v.is_empty()
        || v.starts_with("$(")
        || v.starts_with("${")
        || v.contains("{{")
        || (v.starts_with('<') && v.ends_with('>'))
    {
        return false;
    }
    let lower = v.to_ascii_lowercase();
    if matches!(
        lower.as_str(),
        "true" | "false" | "yes" | "no" | "0" | "1" | "none" | "null"
    ) {
        return false;
    }
    !v.starts_with('/') || v.contains(char::is_whitespace)
}

fn is_false(v: &str) -> bool {
    matches!(v.trim().to_ascii_lowercase().as_str(), "0" | "false" | "no" | "off")
}

fn is_true(v: &str) -> bool {
    matches!(v.trim().to_ascii_lowercase().as_str(), "1" | "true" | "yes" | "on")
}

/// An environment variable that switches certificate verification off.
pub fn env_disables_tls(name: &str, value: &str) -> bool {
    let n = normalise_name(name);
    match n.as_str() {
        "NODE_TLS_REJECT_UNAUTHORIZED" | "PYTHONHTTPSVERIFY" => is_false(value),
        // requests and curl treat an empty CA bundle as "do not verify"
        "CURL_CA_BUNDLE" | "REQUESTS_CA_BUNDLE" => value.trim().is_empty(),
        "GIT_SSL_NO_VERIFY" => is_true(value),
        _ => {
            let insecure =
                (n.contains("INSECURE") || n.contains("SKIP_VERIFY") || n.contains("SKIP_TLS")) && is_true(value);
            let verify = [
                "TLS_VERIFY",
                "SSL_VERIFY",
                "VERIFY_SSL",
                "VERIFY_TLS",
                "CERT_VERIFY",
                "VERIFY_CERTS",
            ]
            .iter()
            .any(|s| n.ends_with(s))
                && is_false(value);
            insecure || verify
        }
    }
}

static TLS_OFF_TEXT: LazyLock<Regex> = LazyLock::new(|| {
    compile(concat!(
        r"(?i:verify\s*=\s*false\b)|(?i:rejectUnauthorized[\x22']?\s*[:=]\s*false)|",
        r"(?i:insecureSkipVerify[\x22']?\s*[:=]\s*true)|--insecure-skip-tls-verify(?:=true)?\b|",
        r"--(?:tls-)?skip-tls-verify(?:=true)?\b|--tls-verify=false|--no-check-certificate|",
        r"NODE_TLS_REJECT_UNAUTHORIZED[\x22']?\s*[:=]\s*[\x22']?0|ssl\._create_unverified_context|",
        r"danger_accept_invalid_certs\(\s*true\s*\)|(?i:(?:tls|ssl)[_-]?verify[\x22']?\s*[:=]\s*[\x22']?(?:false|0|no)\b)|",
        r"(?i:verify[_-]?(?:ssl|tls)[\x22']?\s*[:=]\s*[\x22']?(?:false|0|no)\b)|(?:^|\s)--insecure(?:\s|$|=true)"
    ))
});

/// Free text (an argument, a config file held in a ConfigMap) that switches verification off.
/// Returns the byte offset of the first match.
pub fn text_disables_tls(text: &str) -> Option<usize> {
    TLS_OFF_TEXT.find(text).map(|m| m.start())
}

/// [`text_disables_tls`], as the byte span of the match.
pub fn text_disables_tls_span(text: &str) -> Option<(usize, usize)> {
    TLS_OFF_TEXT.find(text).map(|m| (m.start(), m.end()))
}

static URL: LazyLock<Regex> = LazyLock::new(|| compile(r"https?://[^\s\x22'<>`]+"));

const GATEWAY_HOST_HINTS: &[&str] = &["apertis", "openai", "anthropic", "llm", "gateway", "litellm"];
const GATEWAY_NAME_HINTS: &[&str] = &["OPENAI", "APERTIS", "ANTHROPIC", "LLM", "GATEWAY", "AI_"];

fn url_host(url: &str) -> &str {
    let rest = url.trim_start_matches("http://").trim_start_matches("https://");
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    let authority = authority.rsplit('@').next().unwrap_or(authority);
    if authority.starts_with('[') {
        return authority
            .split(']')
            .next()
            .map_or(authority, |h| h.trim_start_matches('['));
    }
    authority.split(':').next().unwrap_or(authority)
}

/// Loopback and the host seen from a container (`host.docker.internal`): a local proxy or a
/// sidecar, never the network.
pub fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host.starts_with("127.")
        || host == "::1"
        || host == "0.0.0.0"
        || host == "host.docker.internal"
        || host.ends_with(".localhost")
}

/// The first URL of an LLM gateway in `value`: either the host says so, or the setting's
/// name does. Loopback addresses are left alone (a local proxy or a sidecar).
fn gateway_url<'a>(name: &str, value: &'a str) -> Option<&'a str> {
    let n = normalise_name(name);
    let named = GATEWAY_NAME_HINTS.iter().any(|h| n.contains(h))
        && ["URL", "BASE", "ENDPOINT", "HOST", "API"].iter().any(|h| n.contains(h));
    URL.find_iter(value).map(|m| m.as_str()).find(|url| {
        let host = url_host(url).to_ascii_lowercase();
        !is_loopback(&host) && (named || GATEWAY_HOST_HINTS.iter().any(|h| host.contains(h)))
    })
}

/// Hosts of XML namespaces, schemas, licences and documentation: named in code, never called.
const REFERENCE_HOSTS: &[&str] = &[
    "www.w3.org",
    "w3.org",
    "schemas.xmlsoap.org",
    "schemas.microsoft.com",
    "schemas.openxmlformats.org",
    "purl.org",
    "json-schema.org",
    "schema.org",
    "ns.adobe.com",
    "www.apache.org",
    "apache.org",
    "opensource.org",
    "creativecommons.org",
    "xmlns.com",
    "example.com",
    "example.org",
    "example.net",
    "www.example.com",
    "relaxng.org",
    "docbook.org",
    "www.openarchives.org",
    "ogp.me",
    "www.inkscape.org",
    "inkscape.org",
    "sodipodi.sourceforge.net",
    "www.gnu.org",
    "react.dev",
    "reactjs.org",
    "fb.me",
];

/// The name a URL is assigned to on its line (`OPENAI_BASE_URL=`, `base_url: "`,
/// `openai_base_url="`), if any.
fn assigned_name(before: &str) -> &str {
    let t = before.trim_end_matches(['"', '\'', '`', ' ', 'f', 'r']);
    let Some(t) = t.strip_suffix(['=', ':']) else {
        return "";
    };
    // `==` and `!=` compare; `:=` and `=>` assign
    if t.ends_with(['=', '!', '<', '>']) {
        return "";
    }
    let t = t.trim_end_matches(['"', '\'', ' ', ':']);
    let start = t
        .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.'))
        .map_or(0, |i| i + 1);
    &t[start..]
}

/// A plain-HTTP LLM gateway address in a line of source: judged on each URL itself (its
/// host, and the setting it is assigned to), never on other words of the line. Loopback
/// (`localhost`, `127.0.0.1`, `0.0.0.0`, `host.docker.internal`), templated hosts
/// (`http://{HOST}`), single-word hosts (`http://unused`, `http://ollama:11434`: a service
/// on the compose or cluster network), XML namespaces and documentation hosts are left alone. Returns the URL's byte span.
pub fn source_http_gateway(line: &str) -> Option<(usize, usize)> {
    URL.find_iter(line).find_map(|m| {
        let url = m.as_str();
        if !url.starts_with("http://") {
            return None;
        }
        let rest = &url["http://".len()..];
        let host = url_host(url).to_ascii_lowercase();
        let templated = host.is_empty()
            || host.contains(['{', '}', '$', '%', '(', '<', '+'])
            || rest.starts_with(['{', '$', '%', '<']);
        // a single-word host (`http://ollama:11434`) is a compose or cluster-internal service
        if templated || is_loopback(&host) || !host.contains('.') {
            return None;
        }
        if REFERENCE_HOSTS
            .iter()
            .any(|r| host == *r || host.ends_with(&format!(".{r}")))
        {
            return None;
        }
        let n = normalise_name(assigned_name(&line[..m.start()]));
        let llm_named = ["OPENAI", "APERTIS", "ANTHROPIC", "LLM", "LITELLM", "AI_"]
            .iter()
            .any(|h| n.contains(h))
            && ["URL", "BASE", "ENDPOINT", "HOST", "API"].iter().any(|h| n.contains(h));
        let llm_host = GATEWAY_HOST_HINTS.iter().any(|h| host.contains(h));
        (llm_named || llm_host).then_some((m.start(), m.end()))
    })
}

/// Names an LLM gateway address (HTTP or HTTPS): evidence for "HTTPS enforced".
pub fn mentions_gateway_url(name: &str, value: &str) -> bool {
    gateway_url(name, value).is_some()
}

/// An `http://` address of an LLM gateway.
pub fn http_gateway_url(name: &str, value: &str) -> bool {
    let n = normalise_name(name);
    let named = GATEWAY_NAME_HINTS.iter().any(|h| n.contains(h))
        && ["URL", "BASE", "ENDPOINT", "HOST", "API"].iter().any(|h| n.contains(h));
    URL.find_iter(value).map(|m| m.as_str()).any(|url| {
        let host = url_host(url).to_ascii_lowercase();
        url.starts_with("http://")
            && !is_loopback(&host)
            && !is_cluster_internal(&host)
            && (named || GATEWAY_HOST_HINTS.iter().any(|h| host.contains(h)))
    })
}

/// A single-word host (`http://vllm-service:8000`): a Service of the same namespace, like
/// the GKE samples' model servers, reached on the cluster network, not the gateway over
/// the internet (as for the source scanner's single-word hosts). A gateway named across
/// namespaces (`llm-gateway.payments.svc`) is still judged: it is a shared gateway.
fn is_cluster_internal(host: &str) -> bool {
    !host.contains('.')
}

#[cfg(test)]
mod tests {
    use super::*;

    const OPENAI: &str = "sk-proj-Q7vT2mXk9LpR4sW8nYzB3cJ6hF1dG5aE0uK";
    const ANTHROPIC: &str = "sk-ant-api03-h7Kq2LmN9pR4tV6xZ8bD1fG3jW5yA0cE";
    const LEGACY: &str = "sk-Zx81KqPL3mN7vB2cT3BlbkFJw4Re9TyU6iO0pAsDfGh";

    #[test]
    fn finds_real_key_shapes() {
        for key in [OPENAI, ANTHROPIC, LEGACY, "sk-9fJ2kLm4Qp8Rt6Vw3Xy7Za1Bc5De0Fg"] {
            assert!(looks_like_api_key(key), "{key}");
            assert!(looks_like_api_key(&format!("--api-key={key}")), "{key}");
        }
    }

    #[test]
    fn ignores_placeholders() {
        for text in [
            "sk-your-api-key",
            "sk-xxx",
            "sk-...",
            "sk-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
            "sk-your-api-key-here-1234567890",
            "task-scheduler-deployment-2",
            "sk-abcdefghijklmnopqrstuvwxyz",
        ] {
            assert!(!looks_like_api_key(text), "{text}");
        }
    }

    #[test]
    fn sensitive_names() {
        for n in [
            "OPENAI_API_KEY",
            "apertis-api-key",
            "GITHUB_TOKEN",
            "DB_PASSWORD",
            "aws.secret_key",
            "apiKey",
        ] {
            assert!(is_sensitive_name(n), "{n}");
        }
        for n in [
            "LITELLM_MASTER_KEY",
            "LITELLM_SALT_KEY",
            "GITHUB_PAT",
            "PGPASSWORD",
            "node.session.auth.password_in",
            "azurestorageaccountkey",
            "CLIENT_SECRET_VALUE",
        ] {
            assert!(is_sensitive_name(n), "{n}");
        }
        for n in [
            "LOG_LEVEL",
            "TOKEN_PATH",
            "SECRETS_DIR",
            "API_BASE_URL",
            "PUBLIC_KEY",
            "CACHE_KEY",
            "JWT_SECRET_NAME",
            "PASSWORD_FILE",
            "S3_KEY",
        ] {
            assert!(!is_sensitive_name(n), "{n}");
        }
    }

    #[test]
    fn literal_values() {
        assert!(is_literal_value("hunter2"));
        for v in [
            "",
            "$(DB_PASS)",
            "${TOKEN}",
            "<token>",
            "true",
            "/var/run/secrets/token",
        ] {
            assert!(!is_literal_value(v), "{v}");
        }
    }

    #[test]
    fn tls_switches() {
        assert!(env_disables_tls("NODE_TLS_REJECT_UNAUTHORIZED", "0"));
        assert!(!env_disables_tls("NODE_TLS_REJECT_UNAUTHORIZED", "1"));
        assert!(env_disables_tls("REQUESTS_CA_BUNDLE", ""));
        assert!(env_disables_tls("GATEWAY_TLS_VERIFY", "false"));
        assert!(env_disables_tls("KAFKA_INSECURE_SKIP_VERIFY", "true"));
        assert!(!env_disables_tls("LOG_LEVEL", "false"));
        assert!(text_disables_tls("httpx.Client(verify=False)").is_some());
        assert!(text_disables_tls("{ rejectUnauthorized: false }").is_some());
        assert!(text_disables_tls("tls:\n  insecureSkipVerify: true").is_some());
        assert!(text_disables_tls("--insecure-skip-tls-verify").is_some());
        assert!(text_disables_tls("verify=True").is_none());
        assert!(text_disables_tls("--insecure-port=0").is_none());
    }

    #[test]
    fn http_gateway_urls() {
        assert!(http_gateway_url("BASE_URL", "http://api.apertis.ai/v1"));
        assert!(http_gateway_url("OPENAI_BASE_URL", "http://proxy.internal:8080/v1"));
        assert!(!http_gateway_url("OPENAI_BASE_URL", "https://api.apertis.ai/v1"));
        assert!(!http_gateway_url("OPENAI_BASE_URL", "http://localhost:4000/v1"));
        assert!(!http_gateway_url("REDIS_URL", "http://redis:6379"));
        // in-cluster model servers of the GKE samples (gke-ray/rayserve/gradio.yaml,
        // adk-vllm/deploy-agent.yaml): the cluster network, not the gateway
        assert!(!http_gateway_url("HOST", "http://rayllm-serve-svc:8000"));
        assert!(!http_gateway_url("LLM_BASE_URL", "http://vllm-llama3-service:8000/v1"));
        assert!(http_gateway_url(
            "OPENAI_BASE_URL",
            "http://litellm.ai.svc.cluster.local:4000"
        ));
        assert!(http_gateway_url("OPENAI_BASE_URL", "http://llm.example.com/v1"));
        assert!(mentions_gateway_url("BASE_URL", "https://api.apertis.ai/v1"));
        assert!(!mentions_gateway_url("REDIS_URL", "https://redis:6379"));
    }
}
