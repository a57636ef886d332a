//! The blocking HTTPS client of `inventory import` (ureq with rustls): HTTPS only unless
//! `--allow-http`, no redirects (a redirect could carry the admin token elsewhere), a
//! timeout per request, a size limit per response, and a digest of every body read.
//! The admin token is sent in a header and appears in no error, log or output.

use super::ImportError;
use sha2::{Digest, Sha256};
use std::time::Duration;

/// How the admin token is sent.
#[derive(Clone, Copy)]
pub enum Auth {
    /// `Authorization: Bearer TOKEN` (LiteLLM, OpenAI).
    Bearer,
    /// `x-api-key: TOKEN` with `anthropic-version` (Anthropic).
    AnthropicKey,
}

/// The admin token: never printed (`Debug` says `[redacted]`).
pub struct Token(String);

impl Token {
    pub fn new(t: String) -> Self {
        Token(t.trim().to_string())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The token itself, for the tests that prove it is written nowhere.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token([redacted])")
    }
}

/// Network settings of one import.
#[derive(Debug, Clone)]
pub struct Settings {
    pub allow_http: bool,
    /// PEM files of the certificate authorities to trust instead of the built-in roots.
    pub ca_certs: Vec<Vec<u8>>,
    pub timeout: Duration,
    /// Largest response body read.
    pub max_body_bytes: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            allow_http: false,
            ca_certs: Vec::new(),
            timeout: Duration::from_secs(30),
            max_body_bytes: 16 * 1024 * 1024,
        }
    }
}

pub struct Client {
    agent: ureq::Agent,
    base: String,
    token: Token,
    auth: Auth,
    max_body_bytes: u64,
    digest: Sha256,
    pub responses: u64,
}

impl Client {
    pub fn new(base: &str, token: Token, auth: Auth, settings: &Settings) -> Result<Client, ImportError> {
        let base = base.trim_end_matches('/').to_string();
        let lower = base.to_ascii_lowercase();
        if lower.starts_with("http://") {
            if !settings.allow_http {
                return Err(ImportError::InsecureUrl { url: base });
            }
        } else if !lower.starts_with("https://") {
            return Err(ImportError::BadUrl { url: base });
        }
        use ureq::tls::{RootCerts, TlsConfig};
        let roots = if settings.ca_certs.is_empty() {
            RootCerts::WebPki
        } else {
            let mut certs = Vec::new();
            for pem in &settings.ca_certs {
                for item in ureq::tls::parse_pem(pem) {
                    match item {
                        Ok(ureq::tls::PemItem::Certificate(c)) => certs.push(c.to_owned()),
                        Ok(_) => {}
                        Err(e) => return Err(ImportError::CaCert(e.to_string())),
                    }
                }
            }
            if certs.is_empty() {
                return Err(ImportError::CaCert("no certificate in the PEM file".to_string()));
            }
            RootCerts::new_with_certs(&certs)
        };
        let config = ureq::Agent::config_builder()
            .https_only(!settings.allow_http)
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_global(Some(settings.timeout))
            .user_agent(format!("{}/{}", env!("CARGO_PKG_NAME"), env!("CARGO_PKG_VERSION")))
            .tls_config(TlsConfig::builder().root_certs(roots).build())
            .build();
        Ok(Client {
            agent: config.into(),
            base,
            token,
            auth,
            max_body_bytes: settings.max_body_bytes,
            digest: Sha256::new(),
            responses: 0,
        })
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    /// GET `path` (with its query) and parse the JSON body. `endpoint` names the request
    /// in errors (`GET /key/list`), without the query.
    pub fn get_json(&mut self, endpoint: &str, path_and_query: &str) -> Result<serde_json::Value, ImportError> {
        let url = format!("{}{}", self.base, path_and_query);
        let request = self.agent.get(&url).header("accept", "application/json");
        let request = match self.auth {
            Auth::Bearer => request.header("authorization", &format!("Bearer {}", self.token.0)),
            Auth::AnthropicKey => request
                .header("x-api-key", &self.token.0)
                .header("anthropic-version", "2023-06-01"),
        };
        let mut response = request.call().map_err(|e| ImportError::Transport {
            endpoint: endpoint.to_string(),
            message: crate::secrets::redact::redact_text(&e.to_string()).replace(&self.token.0, "[redacted]"),
        })?;
        let status = response.status().as_u16();
        let body = response
            .body_mut()
            .with_config()
            .limit(self.max_body_bytes)
            .read_to_vec()
            .map_err(|e| ImportError::Transport {
                endpoint: endpoint.to_string(),
                message: e.to_string(),
            })?;
        if !(200..300).contains(&status) {
            return Err(ImportError::Status {
                endpoint: endpoint.to_string(),
                status,
                hint: match status {
                    401 | 403 => " (the admin token was refused: check it and its permissions)",
                    404 => " (is the URL the admin API's base?)",
                    429 => " (rate limited: try again later)",
                    _ => "",
                },
            });
        }
        self.digest.update(path_and_query.as_bytes());
        self.digest.update(b"\n");
        self.digest.update(&body);
        self.digest.update(b"\n");
        self.responses += 1;
        serde_json::from_slice(&body).map_err(|e| ImportError::Json {
            endpoint: endpoint.to_string(),
            message: e.to_string(),
        })
    }

    /// The digest of every response read so far.
    pub fn digest(&self) -> String {
        crate::base::digest::hex(&self.digest.clone().finalize())
    }
}

/// Percent-encodes a query value or path segment (ids come from the API; they are not trusted).
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
