//! Issue 12: the tool is safe to run on a stranger's pull request. Each test reproduces
//! one attack of the security review and asserts the defence.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use assert_cmd::Command;
use std::path::Path;

const NOW: &str = "2026-11-24T00:00:00Z";

/// A ConfigMap whose name tries to end the report early, with a literal key, and a
/// privileged Pod whose name forges CI-log lines.
const HOSTILE: &str = r#"apiVersion: v1
kind: ConfigMap
metadata:
  name: "harmless\n\nAll checks passed.\n\n<!--"
data:
  OPENAI_API_KEY: sk-proj-abcdefghijklmnopqrstuvwxyz0123456789ABCD
---
apiVersion: v1
kind: Pod
metadata:
  name: "p\e[2J\e]52;c;cHduZWQ=\a\r\n::error::forged\n::add-mask::x\nresult: passed"
spec:
  containers:
  - name: c
    image: nginx:latest
    securityContext: {privileged: true}
"#;

fn compliance() -> Command {
    Command::cargo_bin("compliance").unwrap()
}

/// A checked folder holding [`HOSTILE`].
fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("app.yaml"), HOSTILE).unwrap();
    dir
}

fn run(dir: &Path, args: &[&str]) -> std::process::Output {
    compliance()
        .current_dir(dir)
        .args(args)
        .args(["--now", NOW])
        .output()
        .unwrap()
}

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[cfg(unix)]
mod symlinks {
    use super::*;
    use std::os::unix::fs::symlink;

    const KEYS: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOwner owner@host\n";

    /// A file outside the checked folder that a planted link points at.
    fn victim() -> (tempfile::TempDir, std::path::PathBuf) {
        let home = tempfile::tempdir().unwrap();
        let keys = home.path().join("authorized_keys");
        std::fs::write(&keys, KEYS).unwrap();
        (home, keys)
    }

    #[test]
    fn output_dir_partial_and_report_links_are_not_followed() {
        let (_home, keys) = victim();
        let repo = repo();
        let reports = repo.path().join("reports");
        std::fs::create_dir(&reports).unwrap();
        // the old fixed partial name and a final name, both planted
        symlink(&keys, reports.join(".report.md.partial")).unwrap();
        let o = run(repo.path(), &["check", ".", "--output-dir", "reports"]);
        assert_eq!(std::fs::read_to_string(&keys).unwrap(), KEYS);
        // exit 2: the planted link is an input error of the check ("not followed")
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        assert!(!stderr(&o).contains("symbolic link"), "{}", stderr(&o));
        assert!(reports.join("report.md").is_file());
        assert!(std::fs::symlink_metadata(reports.join("report.md"))
            .unwrap()
            .file_type()
            .is_file());
        // a planted final name is refused, before anything is written
        std::fs::remove_file(reports.join("report.md")).unwrap();
        symlink(&keys, reports.join("report.md")).unwrap();
        let o = run(repo.path(), &["check", ".", "--output-dir", "reports"]);
        assert_eq!(o.status.code(), Some(2));
        assert!(stderr(&o).contains("symbolic link"), "{}", stderr(&o));
        assert_eq!(std::fs::read_to_string(&keys).unwrap(), KEYS);
        // no temporary file left behind
        let names: Vec<String> = std::fs::read_dir(&reports)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".partial") && n != ".report.md.partial")
            .collect();
        assert!(names.is_empty(), "{names:?}");
    }

    #[test]
    fn output_and_baseline_links_are_refused() {
        let (_home, keys) = victim();
        let repo = repo();
        symlink(&keys, repo.path().join("out.md")).unwrap();
        let o = run(
            repo.path(),
            &["check", "app.yaml", "--format", "markdown", "--output", "out.md"],
        );
        assert_eq!(o.status.code(), Some(2));
        assert!(
            stderr(&o).contains("refusing to write `out.md`: it is a symbolic link"),
            "{}",
            stderr(&o)
        );
        symlink(&keys, repo.path().join("baseline.json")).unwrap();
        let o = compliance()
            .current_dir(repo.path())
            .args(["baseline", "app.yaml", "-o", "baseline.json", "--now", NOW])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        assert!(stderr(&o).contains("symbolic link"), "{}", stderr(&o));
        assert_eq!(std::fs::read_to_string(&keys).unwrap(), KEYS);
    }

    #[test]
    fn a_configured_output_folder_stays_inside_the_checked_folder() {
        let (home, keys) = victim();
        let repo = repo();
        // `output.dir` through a committed link to the victim's folder
        symlink(home.path(), repo.path().join("reports")).unwrap();
        std::fs::write(repo.path().join(".compliance.yaml"), "output: {dir: reports}\n").unwrap();
        let o = run(repo.path(), &["check", "."]);
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        assert!(stderr(&o).contains("leaves the checked folder"), "{}", stderr(&o));
        assert!(!home.path().join("report.json").exists());
        // `..` too
        std::fs::write(repo.path().join(".compliance.yaml"), "output: {dir: ../x}\n").unwrap();
        let o = run(repo.path(), &["check", "."]);
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        // the same link named on the command line is the user's choice
        // (exit 2: the link itself is an input error of the check, "not followed")
        let o = run(repo.path(), &["check", ".", "--no-config", "--output-dir", "reports"]);
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        assert!(stderr(&o).is_empty(), "{}", stderr(&o));
        assert!(home.path().join("report.json").is_file());
        assert_eq!(std::fs::read_to_string(&keys).unwrap(), KEYS);
    }
}

#[test]
fn output_replaces_the_old_report_whole() {
    let repo = repo();
    let out = repo.path().join("r.json");
    std::fs::write(&out, "old").unwrap();
    let o = run(
        repo.path(),
        &["check", "app.yaml", "--format", "json", "--output", "r.json"],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert!(v["findings"].as_array().is_some_and(|f| !f.is_empty()));
}

/// Names that try every Markdown construct: a link, an image, raw HTML, a table row, a
/// heading after a line break.
const MARKDOWN_TRICKS: &str = r#"---
apiVersion: v1
kind: Pod
metadata:
  name: "x](https://evil.example) ![i](https://evil.example/i.png) <img src=x onerror=alert(1)> `code` | fake | row |\n# Forged heading\n| a | b |"
  namespace: "<script>alert(1)</script>"
spec:
  containers:
  - name: "c`<b>`"
    image: nginx:latest
    securityContext: {privileged: true}
"#;

mod markdown {
    use super::*;
    use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

    fn render(args: &[&str]) -> (String, serde_json::Value) {
        let repo = repo();
        let mut text = HOSTILE.to_string();
        text.push_str(MARKDOWN_TRICKS);
        std::fs::write(repo.path().join("app.yaml"), text).unwrap();
        let md = run(
            repo.path(),
            &[&["check", "app.yaml", "--format", "markdown"], args].concat(),
        );
        let json = run(
            repo.path(),
            &[&["check", "app.yaml", "--format", "json"], args].concat(),
        );
        (
            String::from_utf8(md.stdout).unwrap(),
            serde_json::from_slice(&json.stdout).unwrap(),
        )
    }

    #[test]
    fn injected_names_cannot_hide_findings_or_add_markup() {
        let (md, json) = render(&[]);
        let findings = json["findings"].as_array().unwrap().len();
        assert!(findings >= 8, "{findings}");
        let mut opts = Options::empty();
        opts.insert(Options::ENABLE_TABLES);
        opts.insert(Options::ENABLE_STRIKETHROUGH);
        opts.insert(Options::ENABLE_FOOTNOTES);
        opts.insert(Options::ENABLE_MATH);
        let mut headings = Vec::new();
        let mut in_heading = None::<String>;
        let mut paragraphs = Vec::new();
        let mut para = None::<String>;
        let mut locations = 0;
        let mut cells_with_fake = 0;
        let mut in_cell = false;
        for event in Parser::new_ext(&md, opts) {
            match &event {
                Event::Html(h) | Event::InlineHtml(h) => {
                    // the template's own <details> is the only HTML
                    assert!(
                        h.contains("details") || h.contains("summary"),
                        "raw HTML passed through: {h}"
                    );
                }
                Event::Start(Tag::Link { dest_url, .. }) | Event::Start(Tag::Image { dest_url, .. }) => {
                    panic!("a link or image passed through: {dest_url}")
                }
                Event::Start(Tag::Heading { .. }) => in_heading = Some(String::new()),
                Event::End(TagEnd::Heading(_)) => headings.push(in_heading.take().unwrap()),
                Event::Start(Tag::Paragraph) => para = Some(String::new()),
                Event::End(TagEnd::Paragraph) => paragraphs.push(para.take().unwrap()),
                Event::Start(Tag::TableCell) => in_cell = true,
                Event::End(TagEnd::TableCell) => in_cell = false,
                Event::Text(t) | Event::Code(t) => {
                    for s in [&mut in_heading, &mut para].into_iter().flatten() {
                        s.push_str(t);
                    }
                    if t.starts_with("Location: ") {
                        locations += 1;
                    }
                    if in_cell && t.contains("fake") {
                        cells_with_fake += 1;
                    }
                }
                _ => {}
            }
        }
        // every finding is rendered, after the hostile names
        assert_eq!(locations, findings, "{md}");
        assert!(
            !paragraphs.iter().any(|p| p.trim() == "All checks passed."),
            "{paragraphs:?}"
        );
        assert!(!headings.iter().any(|h| h.trim() == "Forged heading"), "{headings:?}");
        assert!(
            headings
                .iter()
                .any(|h| h.contains("harmless") && h.contains("All checks passed.")),
            "{headings:?}"
        );
        assert_eq!(cells_with_fake, 0);
        assert!(!md.contains("<!--"), "an HTML comment opener went through raw");
    }

    #[test]
    fn sarif_message_text_is_escaped() {
        let repo = repo();
        std::fs::write(repo.path().join("app.yaml"), MARKDOWN_TRICKS).unwrap();
        let out = run(repo.path(), &["check", "app.yaml", "--format", "sarif"]);
        let sarif: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let results = sarif["runs"][0]["results"].as_array().unwrap();
        assert!(!results.is_empty());
        for r in results {
            let text = r["message"]["text"].as_str().unwrap();
            let links = Parser::new(text)
                .filter(|e| {
                    matches!(
                        e,
                        Event::Start(Tag::Link { .. } | Tag::Image { .. }) | Event::Html(_) | Event::InlineHtml(_)
                    )
                })
                .count();
            assert_eq!(links, 0, "{text}");
        }
    }
}

/// Item 7: a key in any field — object name, namespace, kind, file name, a map key in a
/// field path, an inventory key name, a waiver reason — is masked in every output format,
/// the baseline file included, not only in the message.
mod masking {
    use compliance::check::{self, Options};
    use compliance::report;
    use proptest::prelude::*;

    #[derive(Debug, Clone, Copy)]
    enum Field {
        Name,
        Namespace,
        Kind,
        FileName,
        MapKey,
        InventoryKeyName,
        WaiverReason,
    }

    fn field() -> impl Strategy<Value = Field> {
        prop_oneof![
            Just(Field::Name),
            Just(Field::Namespace),
            Just(Field::Kind),
            Just(Field::FileName),
            Just(Field::MapKey),
            Just(Field::InventoryKeyName),
            Just(Field::WaiverReason),
        ]
    }

    fn secret() -> impl Strategy<Value = String> {
        (
            prop_oneof![Just("sk-proj-"), Just("sk-ant-api03-"), Just("sk-")],
            "[A-Za-z0-9]{32,40}",
        )
            .prop_map(|(p, b)| format!("{p}{b}"))
            .prop_filter("a key shape", |s| {
                compliance::secrets::detect::find_key_shape(s) == Some((0, s.len()))
            })
    }

    /// (file name, content) holding `key` in `field`, with findings on that object.
    fn document(field: Field, key: &str) -> (String, String) {
        let pod = |name: &str, ns: &str, kind: &str, annotation: &str| {
            format!(
                "apiVersion: apps/v1\nkind: {kind}\nmetadata:\n  name: {name}\n  namespace: {ns}\n  annotations:\n    compliance/waive.K8S-001: \"reason={annotation}; owner=me; expires=2027-01-01\"\nspec:\n  selector: {{matchLabels: {{app: a}}}}\n  template:\n    metadata: {{labels: {{app: a}}}}\n    spec:\n      containers:\n      - name: c\n        image: nginx:latest\n        securityContext: {{privileged: true}}\n"
            )
        };
        match field {
            Field::Name => ("a.yaml".into(), pod(key, "ns", "Deployment", "ok")),
            Field::Namespace => ("a.yaml".into(), pod("web", key, "Deployment", "ok")),
            Field::Kind => ("a.yaml".into(), pod("web", "ns", key, "ok")),
            Field::WaiverReason => ("a.yaml".into(), pod("web", "ns", "Deployment", key)),
            Field::FileName => (format!("{key}.yaml"), pod("web", "ns", "Deployment", "ok")),
            Field::MapKey => (
                "a.yaml".into(),
                format!("apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: cm}}\ndata:\n  {key}: sk-proj-abcdefghijklmnopqrstuvwxyz0123456789ABCD\n"),
            ),
            Field::InventoryKeyName => (
                "keys.yaml".into(),
                format!("apiVersion: compliance/v1alpha1\nkind: ApiKeyInventory\nmetadata: {{name: inv}}\nkeys:\n  - name: {key}\n    environment: production\n    owner: me\n    status: active\n    models: [\"*\"]\n    allowedSubnets: [0.0.0.0/0]\n    createdAt: 2026-01-01\n    storage: {{kind: file, ref: x}}\n"),
            ),
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        #[test]
        fn every_field_of_every_format_is_masked(field in field(), key in secret()) {
            let dir = tempfile::tempdir().unwrap();
            let (name, text) = document(field, &key);
            std::fs::write(dir.path().join(&name), text).unwrap();
            let mut opts = Options::new(vec![dir.path().to_path_buf()], check::parse_now("2026-11-24T00:00:00Z").unwrap());
            opts.git = false;
            let rules = check::load_rules(&[]).unwrap();
            let rep = check::run_with_rules(&opts, None, &rules).unwrap();
            prop_assert!(!rep.findings.is_empty() || !rep.errors.is_empty() || !rep.waived.is_empty(), "{field:?}: nothing reported");
            let mut outputs = report::outputs::render_all(&rep, &rules).unwrap();
            outputs.push(("text", report::text(&rep)));
            outputs.push(("baseline", compliance::findings::baseline::render(&rep)));
            for (format, out) in &outputs {
                prop_assert!(!out.contains(&key), "{field:?}: {format} shows `{key}`");
                // a masked key keeps its first characters only
                prop_assert!(!out.contains(&key[..key.len() - 4]), "{field:?}: {format}");
            }
        }
    }
}

/// Item 6: the text output escapes control characters; no value starts a line.
#[test]
fn text_output_cannot_forge_lines_or_drive_the_terminal() {
    let repo = repo();
    let o = run(repo.path(), &["check", "app.yaml"]);
    let out = String::from_utf8(o.stdout).unwrap();
    assert!(
        out.contains("p\\x1b[2J\\x1b]52;c;cHduZWQ=\\x07\\r\\n::error::forged"),
        "{out}"
    );
    for c in ['\u{1b}', '\u{7}', '\r'] {
        assert!(!out.contains(c), "raw {c:?} in the text output");
    }
    for line in out.lines() {
        assert!(!line.starts_with("::"), "forged workflow command: {line}");
        assert!(
            !line.starts_with("All checks passed") && !line.starts_with("<!--"),
            "{line}"
        );
    }
    assert_eq!(out.lines().filter(|l| l.starts_with("result: ")).count(), 1, "{out}");
}

/// Item 12: the HTML report forbids scripts and remote loads, and shows control bytes as
/// escapes.
#[test]
fn html_report_has_a_restrictive_csp_and_no_raw_control_bytes() {
    let repo = repo();
    let o = run(repo.path(), &["check", "app.yaml", "--format", "html"]);
    let html = String::from_utf8(o.stdout).unwrap();
    assert!(
        html.contains(r#"<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:;"#),
        "no CSP"
    );
    assert!(!html.chars().any(|c| c.is_control() && c != '\n'), "a raw control byte");
    assert!(html.contains("p\\x1b[2J"), "the escape is shown");
}

/// Item 11: a number in a credential-named field is masked in the type error.
#[test]
fn a_credential_number_is_masked_in_a_type_error() {
    let repo = repo();
    std::fs::write(
        repo.path().join("app.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: db}\ndata:\n  DB_PASSWORD: 918273645546372819\n",
    )
    .unwrap();
    for format in ["text", "json", "markdown", "sarif"] {
        let o = run(repo.path(), &["check", "app.yaml", "--format", format]);
        let out = String::from_utf8_lossy(&o.stdout);
        assert!(out.contains("found a number"), "{format}: {out}");
        assert!(
            !out.contains("918273645546372819") && !out.contains("9182736455"),
            "{format}: {out}"
        );
    }
}

/// Found by the `config` fuzz target: serde's error for a baseline that is not one quotes
/// the value it did not expect, and the CLI printed it whole.
#[test]
fn a_key_quoted_in_a_baseline_error_is_masked() {
    let repo = repo();
    let key = "sk-proj-Q7vT2mXk9LpR4sW8nYzB3cJ6hF1dG5aE0uK";
    std::fs::write(repo.path().join("baseline.json"), format!("\"{key}\"")).unwrap();
    let o = run(repo.path(), &["check", "app.yaml", "--baseline", "baseline.json"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("invalid baseline `baseline.json`: invalid type: string"),
        "{err}"
    );
    assert!(
        err.contains("sk-pr…[redacted]") && !err.contains("Q7vT2mXk9LpR4sW8"),
        "{err}"
    );
}

/// Every fatal error goes through one masked printer (`cli::fail`): a configuration value
/// that fails its schema is quoted in the error, and a key written there came out whole.
#[test]
fn a_key_quoted_in_a_configuration_error_is_masked() {
    let repo = repo();
    let key = "sk-proj-Q7vT2mXk9LpR4sW8nYzB3cJ6hF1dG5aE0uK";
    std::fs::write(repo.path().join(".compliance.yaml"), format!("failOn: [{key}]\n")).unwrap();
    let o = run(repo.path(), &["check", "."]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains(".compliance.yaml:1:1: `failOn`"), "{err}");
    assert!(
        err.contains("sk-pr…[redacted]") && !err.contains("Q7vT2mXk9LpR4sW8"),
        "{err}"
    );
}

/// Item 8: one Latin-1 byte in a source file no longer hides the key it holds.
#[test]
fn a_latin1_byte_does_not_hide_a_key_in_a_source_file() {
    let repo = tempfile::tempdir().unwrap();
    let mut text = b"# caf\xe9\nOPENAI_API_KEY = \"sk-proj-Q7vT2mXk9LpR4sW8nYzB3cJ6hF1dG5aE0uK\"\n".to_vec();
    text.extend_from_slice(b"print('ok')\n");
    std::fs::write(repo.path().join("settings.py"), &text).unwrap();
    let o = run(repo.path(), &["check", ".", "--format", "json", "--no-git"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let findings = v["findings"].as_array().unwrap();
    assert!(
        findings.iter().any(|f| f["file"] == "settings.py" && f["line"] == 2),
        "{v:#}"
    );
    assert_ne!(o.status.code(), Some(0));
    assert!(!String::from_utf8_lossy(&o.stdout).contains("Q7vT2mXk9LpR4sW8"));
}

/// Item 3: idle connections — before the handshake, and after it with no request — are
/// closed after the idle limit; a connection over the cap is closed at once; a real
/// request still gets its answer.
mod idle_tls {
    use axum_server::tls_rustls::RustlsConfig;
    use compliance::webhook::server::{self, State};
    use compliance::webhook::Config;
    use std::io::{Read, Write};
    use std::net::{SocketAddr, TcpStream};
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    const IDLE: Duration = Duration::from_millis(1500);

    struct Served {
        addr: SocketAddr,
        cert_der: Vec<u8>,
        handle: axum_server::Handle<SocketAddr>,
        _dir: tempfile::TempDir,
    }

    fn start(max_connections: usize) -> Served {
        let dir = tempfile::tempdir().unwrap();
        let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
        let cert = dir.path().join("tls.crt");
        let key = dir.path().join("tls.key");
        std::fs::write(&cert, ck.cert.pem()).unwrap();
        std::fs::write(&key, ck.signing_key.serialize_pem()).unwrap();
        let tls = RustlsConfig::from_config(Arc::new(server::tls_config(&cert, &key).unwrap()));
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(State::new(
            Arc::new(compliance::check::load_rules(&[]).unwrap()),
            Config::default(),
        ));
        let handle = axum_server::Handle::new();
        let h = handle.clone();
        tokio::spawn(async move { server::serve_with(listener, tls, state, h, IDLE, max_connections).await });
        Served {
            addr,
            cert_der: ck.cert.der().to_vec(),
            handle,
            _dir: dir,
        }
    }

    fn tls_client(s: &Served) -> (rustls::ClientConnection, TcpStream) {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(s.cert_der.clone().into()).unwrap();
        let config = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        let mut conn = rustls::ClientConnection::new(Arc::new(config), "localhost".try_into().unwrap()).unwrap();
        let mut tcp = TcpStream::connect(s.addr).unwrap();
        tcp.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        while conn.is_handshaking() {
            conn.complete_io(&mut tcp).unwrap();
        }
        (conn, tcp)
    }

    /// Seconds until the server closes `tcp` (a read gives end of file or an error).
    fn until_closed(mut read: impl FnMut(&mut [u8]) -> std::io::Result<usize>) -> Duration {
        let started = Instant::now();
        let mut buf = [0u8; 256];
        loop {
            match read(&mut buf) {
                Ok(0) | Err(_) => return started.elapsed(),
                Ok(_) => {}
            }
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn idle_connections_are_closed_and_capped() {
        let s = start(3);
        let s = tokio::task::spawn_blocking(move || {
            // a client that completes the handshake, then says nothing
            let (mut conn, mut tcp) = tls_client(&s);
            let after_handshake = until_closed(|b| rustls::Stream::new(&mut conn, &mut tcp).read(b));
            assert!(after_handshake < Duration::from_secs(6), "{after_handshake:?}");
            assert!(after_handshake >= IDLE / 2, "{after_handshake:?}");
            // one that never starts the handshake
            let mut raw = TcpStream::connect(s.addr).unwrap();
            raw.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
            let before_handshake = until_closed(|b| raw.read(b));
            assert!(before_handshake < Duration::from_secs(6), "{before_handshake:?}");
            // the cap: three silent connections hold every slot, a fourth is closed at once
            let held: Vec<TcpStream> = (0..3).map(|_| TcpStream::connect(s.addr).unwrap()).collect();
            std::thread::sleep(Duration::from_millis(200));
            let mut over = TcpStream::connect(s.addr).unwrap();
            over.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
            let refused = until_closed(|b| over.read(b));
            assert!(refused < IDLE / 2, "{refused:?}");
            drop(held);
            std::thread::sleep(Duration::from_millis(300));
            // a real request is still answered
            let (mut conn, mut tcp) = tls_client(&s);
            let mut stream = rustls::Stream::new(&mut conn, &mut tcp);
            stream
                .write_all(b"GET /healthz HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n")
                .unwrap();
            let mut answer = Vec::new();
            let _ = stream.read_to_end(&mut answer);
            let answer = String::from_utf8_lossy(&answer);
            assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
            s
        })
        .await
        .unwrap();
        s.handle.shutdown();
    }
}

/// Item 10: output amplification. The real microservices-demo manifests (Google, Apache-2.0,
/// `tests/corpus`, vendored with its license) with their `frontend` Deployment grown to 150 privileged containers,
/// the first holding 400 env vars with literal keys: every report lists at most
/// `--max-findings-per-rule` findings of a rule in the file, then one "…and N more" entry,
/// the summary counts what was left out, and the exit status still counts everything.
#[test]
fn findings_per_file_and_rule_are_capped_in_every_format() {
    let real = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/microservices-demo/release/kubernetes-manifests.yaml"),
    )
    .unwrap();
    let mut docs: Vec<serde_yaml::Value> = Vec::new();
    for d in serde_yaml::Deserializer::from_str(&real) {
        docs.push(serde::Deserialize::deserialize(d).unwrap());
    }
    let frontend = docs
        .iter_mut()
        .find(|d| d["kind"] == "Deployment" && d["metadata"]["name"] == "frontend")
        .unwrap();
    let template = frontend["spec"]["template"]["spec"]["containers"][0].clone();
    let containers: Vec<serde_yaml::Value> = (0..150)
        .map(|i| {
            let mut c = template.clone();
            c["name"] = format!("server-{i}").into();
            c["securityContext"] = serde_yaml::from_str("{privileged: true}").unwrap();
            if i == 0 {
                let env: Vec<serde_yaml::Value> = (0..400)
                    .map(|j| {
                        serde_yaml::from_str(&format!(
                            "{{name: PAYMENT_API_KEY_{j}, value: sk-proj-{j:05}Q7vT2mXk9LpR4sW8nYzB3cJ6hF1dG5aE0uK}}"
                        ))
                        .unwrap()
                    })
                    .collect();
                c["env"] = env.into();
            }
            c
        })
        .collect();
    frontend["spec"]["template"]["spec"]["containers"] = containers.into();
    let text: String = docs
        .iter()
        .map(|d| format!("---\n{}", serde_yaml::to_string(d).unwrap()))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("kubernetes-manifests.yaml"), &text).unwrap();

    let out = run(
        dir.path(),
        &["check", ".", "--format", "json", "--output-dir", "reports"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let summary = &report["summary"];
    let listed = report["findings"].as_array().unwrap();
    let mut per: std::collections::BTreeMap<(String, String), usize> = Default::default();
    let mut more = 0;
    for f in listed {
        *per.entry((f["file"].to_string(), f["rule"].to_string())).or_default() += 1;
        if let Some(m) = f["message"].as_str().and_then(|m| m.strip_prefix("…and ")) {
            more += m.split(' ').next().unwrap().parse::<usize>().unwrap();
        }
    }
    assert!(per.values().all(|&n| n <= 101), "{per:?}");
    assert!(per.values().any(|&n| n == 101), "some rule is capped: {per:?}");
    assert_eq!(summary["maxFindingsPerRule"], 100);
    let omitted = summary["omitted"].as_u64().unwrap() as usize;
    assert_eq!(omitted, more);
    assert!(
        omitted >= 300 + 50,
        "400 keys and 150 privileged containers, 100 listed each: {omitted}"
    );
    let all = summary["findings"].as_u64().unwrap() as usize;
    let extra = listed
        .iter()
        .filter(|f| f["message"].as_str().unwrap().starts_with("…and "))
        .count();
    assert_eq!(
        all,
        listed.len() - extra + omitted,
        "summary.findings counts every finding"
    );

    // the same run without the cap: what the cap saves
    let uncapped = run(
        dir.path(),
        &["check", ".", "--format", "json", "--max-findings-per-rule", "0"],
    );
    let full: serde_json::Value = serde_json::from_slice(&uncapped.stdout).unwrap();
    assert_eq!(full["findings"].as_array().unwrap().len(), all);
    assert!(full["summary"].get("maxFindingsPerRule").is_none());

    let reports = dir.path().join("reports");
    for name in [
        "report.json",
        "report.md",
        "report.html",
        "report.sarif",
        "report.junit.xml",
    ] {
        let body = std::fs::read_to_string(reports.join(name)).unwrap();
        let mentions = body.matches("more findings of SEC-001 in this file").count();
        assert!(mentions >= 1, "{name} says how many more");
        assert!(
            body.matches("PAYMENT_API_KEY_").count() <= 2 * 101 + 10,
            "{name} lists at most 100 of the 400 keys"
        );
    }
    let text = run(dir.path(), &["check", "."]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains(&format!("({omitted} not listed: at most 100 per file and rule")),
        "{text}"
    );
}

/// Item 8: a source file with a key, padded past the size cap (8 MiB by default), is not
/// read; that must not let the run pass: it is an input error (exit 2), named in the report.
#[test]
fn a_key_padded_past_the_size_cap_does_not_pass() {
    let dir = tempfile::tempdir().unwrap();
    let key = "sk-proj-Q7vT2mXk9LpR4sW8nYzB3cJ6hF1dG5aE0uK";
    // the key before the padding, and again after it (past the first 8 MiB piece)
    let mut text = format!("OPENAI_API_KEY = \"{key}\"\n");
    text.push_str(&"# padding\n".repeat(900 * 1024));
    text.push_str(&format!("BACKUP_KEY = \"{key}\"\n"));
    assert!(text.len() > 8 * 1024 * 1024);
    std::fs::write(dir.path().join("settings.py"), &text).unwrap();
    let out = run(dir.path(), &["check", ".", "--format", "json"]);
    // scanned in pieces: both keys are findings at their lines, the run fails (exit 1)
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["errors"], serde_json::json!([]));
    let lines: Vec<u64> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "SRC-001" && f["file"] == "settings.py")
        .map(|f| f["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, vec![1, 900 * 1024 + 2]);
    assert!(!String::from_utf8_lossy(&out.stdout).contains("Q7vT2mXk9LpR4sW8nYzB3cJ6hF1dG5aE0uK"));
}

/// JUnit: every control character an object name or a file name can carry (C0, DEL, C1,
/// U+FFFE/U+FFFF, a line break) is shown as an escape; the report parses with a real XML
/// parser (quick-xml), and no attribute or text holds a control character or a line a
/// value started.
#[test]
fn junit_has_no_xml_illegal_or_control_characters() {
    let dir = tempfile::tempdir().unwrap();
    let mut name = String::from("p");
    for c in (0u32..0x20).chain(0x7f..0xa0).chain([0xfffe, 0xffff, 0x202e]) {
        name.push_str(&format!("\\u{c:04X}"));
    }
    name.push_str("\\n::error::forged");
    let manifest = format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: \"{name}\"\nspec:\n  containers:\n  - name: c\n    image: nginx:latest\n    securityContext: {{privileged: true}}\n"
    );
    std::fs::write(dir.path().join("pod.yaml"), manifest).unwrap();
    // a file name with an escape sequence and a line break: an input error names it
    std::fs::write(
        dir.path().join("bad\u{1b}[2J\n\u{9b}31m.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata: [\n",
    )
    .unwrap();
    let out = run(dir.path(), &["check", ".", "--format", "junit"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let xml = String::from_utf8(out.stdout).unwrap();
    assert!(xml.contains("privileged") || xml.contains("K8S-001"), "{xml}");
    let bad =
        |c: char| (c < ' ' && c != '\n') || ('\u{7f}'..='\u{9f}').contains(&c) || c == '\u{fffe}' || c == '\u{ffff}';
    let mut reader = quick_xml::Reader::from_str(&xml);
    let (mut texts, mut attrs) = (0, 0);
    loop {
        match reader.read_event().unwrap() {
            quick_xml::events::Event::Eof => break,
            quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e) => {
                for a in e.attributes() {
                    let a = a.unwrap();
                    let v = a
                        .normalized_value(quick_xml::XmlVersion::Explicit1_0)
                        .unwrap()
                        .into_owned();
                    assert!(!v.chars().any(|c| bad(c) || c == '\n'), "attribute {v:?}");
                    attrs += 1;
                }
            }
            quick_xml::events::Event::Text(t) => {
                let v = t.xml_content(quick_xml::XmlVersion::Explicit1_0).unwrap().into_owned();
                assert!(!v.chars().any(bad), "text {v:?}");
                // a value never starts a line of a failure's text
                assert!(!v.lines().any(|l| l.starts_with("::error")), "{v}");
                texts += 1;
            }
            _ => {}
        }
    }
    assert!(texts > 0 && attrs > 10);
    assert!(
        xml.contains("\\x1b") && xml.contains("\\u{9b}") && xml.contains("\\u{fffe}"),
        "{xml}"
    );
}
