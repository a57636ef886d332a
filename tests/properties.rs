//! Property tests: random Kubernetes-like documents (random kinds, nesting, keys, scalar
//! styles, comments and indentation, YAML or JSON) and source files, with key-shaped
//! secrets planted in random fields, go through the whole check; then
//! - no report format (text, JSON, Markdown, HTML, SARIF, JUnit, and the baseline file)
//!   contains a planted secret unmasked, and
//! - every finding's and every input error's line and column point inside its file.
//!
//! 64 cases by default (a few seconds); `PROPTEST_CASES=1000 cargo test --test properties`
//! runs more. A failing case is shrunk and printed; its minimal input becomes a fixed
//! regression case at the end of this file.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use compliance::check::{self, Options};
use compliance::engine::policy::RuleSet;
use compliance::report::{self, Report};
use compliance::secrets::detect;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use std::sync::LazyLock;

static RULES: LazyLock<RuleSet> = LazyLock::new(|| check::load_rules(&[]).unwrap());

// ---------------------------------------------------------------- secrets

/// A key in one of the shapes `detect` recognises, whole.
fn secret() -> impl Strategy<Value = String> {
    let prefix = prop_oneof![
        Just("sk-proj-"),
        Just("sk-ant-api03-"),
        Just("sk-svcacct-"),
        Just("sk-admin-"),
        Just("sk-"),
    ];
    (prefix, "[A-Za-z0-9]{24,48}", proptest::bool::ANY)
        .prop_map(|(p, body, marker)| {
            if marker && p == "sk-" {
                // the OpenAI form with its marker
                format!("{p}{}T3BlbkFJ{}", &body[..12], &body[12..])
            } else {
                format!("{p}{body}")
            }
        })
        .prop_filter("a key the detector recognises, whole", |s| {
            detect::find_api_key(s) == Some((0, s.len()))
        })
}

// ---------------------------------------------------------------- YAML model

#[derive(Debug, Clone, Copy)]
enum Style {
    Plain,
    Single,
    Double,
    Literal,
    Folded,
}

#[derive(Debug, Clone)]
enum Node {
    S(String, Style),
    M(Vec<(String, Node)>),
    L(Vec<Node>),
}

fn s(v: &str, style: Style) -> Node {
    Node::S(v.to_string(), style)
}

fn plain(v: &str) -> Node {
    s(v, Style::Plain)
}

fn map(entries: Vec<(&str, Node)>) -> Node {
    Node::M(entries.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

/// How a document is written.
#[derive(Debug, Clone)]
struct Layout {
    /// Indentation step: 2, 3 or 4 spaces.
    unit: usize,
    /// `key:\n  - item` (true) or `key:\n- item` (false).
    indented_seqs: bool,
    /// Comment lines and trailing comments, from this list, in turn (may be empty).
    comments: Vec<String>,
    json: bool,
}

fn safe_plain(v: &str) -> bool {
    let special = ["true", "false", "null", "yes", "no", "on", "off", "y", "n", "~"];
    !v.is_empty()
        && v.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && v.chars().all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c))
        && !special.contains(&v.to_ascii_lowercase().as_str())
}

struct Emitter<'a> {
    layout: &'a Layout,
    out: String,
    comment: usize,
}

impl Emitter<'_> {
    fn next_comment(&mut self) -> Option<String> {
        if self.layout.comments.is_empty() {
            return None;
        }
        let c = self.layout.comments[self.comment % self.layout.comments.len()].clone();
        self.comment += 1;
        // one comment in three is written
        (self.comment % 3 == 0).then_some(c)
    }

    /// A scalar after `key: ` or `- `; block scalars' content goes at `col`.
    fn scalar(&mut self, v: &str, style: Style, col: usize) {
        let style = match style {
            Style::Plain if !safe_plain(v) => Style::Double,
            // a block scalar cannot hold leading spaces or line breaks as written here
            Style::Literal | Style::Folded if v.is_empty() || v.starts_with(' ') || v.contains('\n') => Style::Single,
            s => s,
        };
        match style {
            Style::Plain => self.out.push_str(v),
            Style::Single => {
                self.out.push('\'');
                self.out.push_str(&v.replace('\'', "''"));
                self.out.push('\'');
            }
            Style::Double => self.out.push_str(&serde_json::to_string(v).unwrap()),
            Style::Literal | Style::Folded => {
                self.out.push_str(if matches!(style, Style::Literal) {
                    "|-\n"
                } else {
                    ">-\n"
                });
                self.out.push_str(&" ".repeat(col));
                self.out.push_str(v);
                self.out.push('\n');
                return;
            }
        }
        if let Some(c) = self.next_comment() {
            self.out.push_str(" # ");
            self.out.push_str(&c);
        }
        self.out.push('\n');
    }

    fn comment_line(&mut self, col: usize) {
        if let Some(c) = self.next_comment() {
            self.out.push_str(&" ".repeat(col));
            self.out.push_str("# ");
            self.out.push_str(&c);
            self.out.push('\n');
        }
    }

    /// Entries at column `col`; the first one's key is already indented when `inline`.
    fn map(&mut self, entries: &[(String, Node)], col: usize, inline: bool) {
        for (i, (k, v)) in entries.iter().enumerate() {
            if !(inline && i == 0) {
                self.out.push_str(&" ".repeat(col));
            }
            let key = if safe_plain(k) {
                k.clone()
            } else {
                serde_json::to_string(k).unwrap()
            };
            self.out.push_str(&key);
            self.out.push(':');
            self.value(v, col);
            self.comment_line(col);
        }
    }

    /// The value of a map entry whose key is at `col`.
    fn value(&mut self, v: &Node, col: usize) {
        let unit = self.layout.unit;
        match v {
            Node::S(text, style) => {
                self.out.push(' ');
                self.scalar(text, *style, col + unit);
            }
            Node::M(m) if m.is_empty() => self.out.push_str(" {}\n"),
            Node::L(l) if l.is_empty() => self.out.push_str(" []\n"),
            Node::M(m) => {
                self.out.push('\n');
                self.map(m, col + unit, false);
            }
            Node::L(l) => {
                self.out.push('\n');
                let at = if self.layout.indented_seqs { col + unit } else { col };
                self.list(l, at);
            }
        }
    }

    fn list(&mut self, items: &[Node], col: usize) {
        for item in items {
            self.out.push_str(&" ".repeat(col));
            self.out.push('-');
            match item {
                Node::S(text, style) => {
                    self.out.push(' ');
                    self.scalar(text, *style, col + 2);
                }
                Node::M(m) if !m.is_empty() => {
                    self.out.push(' ');
                    self.map(m, col + 2, true);
                }
                Node::L(l) if !l.is_empty() => {
                    self.out.push('\n');
                    self.list(l, col + 2);
                }
                Node::M(_) => self.out.push_str(" {}\n"),
                Node::L(_) => self.out.push_str(" []\n"),
            }
        }
    }
}

fn to_json(n: &Node) -> serde_json::Value {
    match n {
        Node::S(v, _) => serde_json::Value::String(v.clone()),
        Node::M(m) => serde_json::Value::Object(m.iter().map(|(k, v)| (k.clone(), to_json(v))).collect()),
        Node::L(l) => serde_json::Value::Array(l.iter().map(to_json).collect()),
    }
}

/// Writes documents as one YAML stream (or, for JSON, the first document only).
fn write_docs(docs: &[Node], layout: &Layout) -> String {
    if layout.json {
        let v = to_json(&docs[0]);
        return if layout.unit == 2 {
            serde_json::to_string_pretty(&v).unwrap() + "\n"
        } else {
            serde_json::to_string(&v).unwrap()
        };
    }
    let mut e = Emitter {
        layout,
        out: String::new(),
        comment: 0,
    };
    for (i, d) in docs.iter().enumerate() {
        if i > 0 {
            e.out.push_str("---\n");
        }
        e.comment_line(0);
        match d {
            Node::M(m) => e.map(m, 0, false),
            other => e.value(other, 0),
        }
    }
    e.out
}

// ---------------------------------------------------------------- documents

/// Where a secret is planted.
#[derive(Debug, Clone, Copy)]
enum Place {
    EnvValue,
    Arg,
    Annotation,
    Label,
    ConfigMapData,
    SecretStringData,
    /// A string where a number is expected: an input error that must not quote it whole.
    WrongType,
    InventoryOwner,
    ProfileUrl,
    /// Deep inside an unknown kind.
    Unknown,
    /// In a comment of a manifest.
    Comment,
    EnvFile,
    JsFile,
    /// A YAML file that is not a Kubernetes object (scanned as source).
    ValuesFile,
}

fn place() -> impl Strategy<Value = Place> {
    prop_oneof![
        Just(Place::EnvValue),
        Just(Place::Arg),
        Just(Place::Annotation),
        Just(Place::Label),
        Just(Place::ConfigMapData),
        Just(Place::SecretStringData),
        Just(Place::WrongType),
        Just(Place::InventoryOwner),
        Just(Place::ProfileUrl),
        Just(Place::Unknown),
        Just(Place::Comment),
        Just(Place::EnvFile),
        Just(Place::JsFile),
        Just(Place::ValuesFile),
    ]
}

fn style() -> impl Strategy<Value = Style> {
    prop_oneof![
        Just(Style::Plain),
        Just(Style::Single),
        Just(Style::Double),
        Just(Style::Literal),
        Just(Style::Folded),
    ]
}

/// A secret, where it goes, how it is written, and the random names around it.
#[derive(Debug, Clone)]
struct Plant {
    secret: String,
    place: Place,
    style: Style,
    /// Env var name, data key, annotation key, ...
    name: String,
    /// Path of random keys above the secret inside an unknown kind.
    nest: Vec<String>,
}

fn plant() -> impl Strategy<Value = Plant> {
    let name = prop_oneof![
        Just("API_KEY".to_string()),
        Just("OPENAI_API_KEY".to_string()),
        Just("GATEWAY_TOKEN".to_string()),
        Just("VITE_APERTIS_API_KEY".to_string()),
        Just("client-secret".to_string()),
        "[a-z][a-z0-9_.-]{0,12}",
        "[A-Z][A-Z0-9_]{0,12}",
    ];
    (
        secret(),
        place(),
        style(),
        name,
        proptest::collection::vec("[a-z][a-zA-Z0-9]{0,8}", 0..6),
    )
        .prop_map(|(secret, place, style, name, nest)| Plant {
            secret,
            place,
            style,
            name,
            nest,
        })
}

fn meta(name: &str, p: Option<&Plant>) -> Node {
    let mut m = vec![("name", plain(name)), ("namespace", plain("shop"))];
    let mut labels = vec![("app", plain(name))];
    let mut annotations = vec![];
    if let Some(p) = p {
        match p.place {
            Place::Label => labels.push(("tier", s(&p.secret, p.style))),
            Place::Annotation => annotations.push((p.name.as_str(), s(&p.secret, p.style))),
            _ => {}
        }
    }
    m.push(("labels", map(labels)));
    if !annotations.is_empty() {
        m.push(("annotations", map(annotations)));
    }
    map(m)
}

/// The document a plant lives in, or the source file (name, text) it is written to.
enum Made {
    Doc(Node),
    File(String, String),
}

fn make(p: &Plant, i: usize) -> Made {
    let name = format!("app{i}");
    let secret = || s(&p.secret, p.style);
    let deployment = |env: Vec<Node>, args: Vec<Node>, replicas: Node| {
        let mut container = vec![("name", plain("main")), ("image", plain("registry.example/app:1.0"))];
        if !args.is_empty() {
            container.push(("args", Node::L(args)));
        }
        if !env.is_empty() {
            container.push(("env", Node::L(env)));
        }
        container.push(("securityContext", map(vec![("privileged", plain("true"))])));
        map(vec![
            ("apiVersion", plain("apps/v1")),
            ("kind", plain("Deployment")),
            ("metadata", meta(&name, Some(p))),
            (
                "spec",
                map(vec![
                    ("replicas", replicas),
                    ("selector", map(vec![("matchLabels", map(vec![("app", plain(&name))]))])),
                    (
                        "template",
                        map(vec![
                            ("metadata", map(vec![("labels", map(vec![("app", plain(&name))]))])),
                            ("spec", map(vec![("containers", Node::L(vec![map(container)]))])),
                        ]),
                    ),
                ]),
            ),
        ])
    };
    let kv = |kind: &str, field: &str| {
        map(vec![
            ("apiVersion", plain("v1")),
            ("kind", plain(kind)),
            ("metadata", meta(&name, Some(p))),
            (field, map(vec![(p.name.as_str(), secret())])),
        ])
    };
    Made::Doc(match p.place {
        Place::EnvValue => deployment(
            vec![map(vec![("name", plain(&p.name)), ("value", secret())])],
            vec![],
            plain("2"),
        ),
        Place::Arg => deployment(vec![], vec![plain("--api-key"), secret()], plain("1")),
        Place::WrongType => deployment(vec![], vec![], secret()),
        Place::Annotation | Place::Label | Place::Comment => deployment(vec![], vec![], plain("1")),
        Place::ConfigMapData => kv("ConfigMap", "data"),
        Place::SecretStringData => kv("Secret", "stringData"),
        Place::InventoryOwner => map(vec![
            ("apiVersion", plain("compliance/v1alpha1")),
            ("kind", plain("ApiKeyInventory")),
            ("metadata", map(vec![("name", plain(&name))])),
            (
                "keys",
                Node::L(vec![map(vec![
                    ("name", plain("prod-chat")),
                    ("environment", plain("production")),
                    ("status", plain("active")),
                    ("owner", secret()),
                    ("createdAt", s("2025-01-01", Style::Double)),
                ])]),
            ),
        ]),
        Place::ProfileUrl => map(vec![
            ("apiVersion", plain("compliance/v1alpha1")),
            ("kind", plain("SecurityProfile")),
            ("metadata", map(vec![("name", plain(&name))])),
            (
                "apiBaseUrl",
                s(&format!("http://api.apertis.ai/v1?key={}", p.secret), p.style),
            ),
        ]),
        Place::Unknown => {
            let mut node = map(vec![(p.name.as_str(), secret())]);
            for k in p.nest.iter().rev() {
                node = Node::M(vec![(k.clone(), node)]);
            }
            map(vec![
                ("apiVersion", plain("example.com/v1")),
                ("kind", plain("Widget")),
                ("metadata", meta(&name, None)),
                ("spec", node),
            ])
        }
        Place::EnvFile => return Made::File(".env".into(), format!("# local\n{}={}\n", p.name, p.secret)),
        Place::JsFile => {
            return Made::File(
                "frontend/src/api.js".into(),
                format!(
                    "const apiKey = '{}';\nfetch('https://api.apertis.ai/v1/chat/completions', {{ headers: {{ Authorization: `Bearer {}` }} }});\n",
                    p.secret, p.secret
                ),
            )
        }
        Place::ValuesFile => {
            return Made::File(
                "values.yaml".into(),
                format!("gateway:\n  apiKey: {}\n  url: https://api.apertis.ai\n", p.secret),
            )
        }
    })
}

/// A generated folder: files (relative name, text) and the secrets planted in them.
#[derive(Debug, Clone)]
struct Case {
    files: Vec<(String, String)>,
    secrets: Vec<String>,
}

fn case() -> impl Strategy<Value = Case> {
    (
        proptest::collection::vec(plant(), 1..5),
        proptest::collection::vec((2usize..5, proptest::bool::ANY, proptest::bool::weighted(0.15)), 3),
        proptest::collection::vec("[a-zA-Z0-9 :,.-]{0,30}", 0..4),
        0usize..3,
    )
        .prop_map(|(plants, layouts, words, split)| {
            let mut docs: Vec<Vec<Node>> = vec![Vec::new(); 3];
            let mut files = Vec::new();
            let mut comments = words;
            for (i, p) in plants.iter().enumerate() {
                match make(p, i) {
                    Made::Doc(d) => {
                        if matches!(p.place, Place::Comment) {
                            comments.push(format!("old key {}", p.secret));
                        }
                        docs[(i + split) % 3].push(d);
                    }
                    Made::File(name, text) => {
                        if !files.iter().any(|(n, _): &(String, String)| *n == name) {
                            files.push((name, text));
                        }
                    }
                }
            }
            for (f, ds) in docs.iter().enumerate() {
                if ds.is_empty() {
                    continue;
                }
                let (unit, indented_seqs, json) = layouts[f];
                let layout = Layout {
                    unit,
                    indented_seqs,
                    comments: comments.clone(),
                    json: json && ds.len() == 1,
                };
                let ext = if layout.json { "json" } else { "yaml" };
                files.push((format!("manifests/m{f}.{ext}"), write_docs(ds, &layout)));
            }
            // only the secrets of files that were written (a second `.env` plant is dropped)
            let secrets = plants
                .iter()
                .map(|p| p.secret.clone())
                .filter(|sec| files.iter().any(|(_, t)| t.contains(sec.as_str())))
                .collect();
            Case { files, secrets }
        })
}

// ---------------------------------------------------------------- the properties

fn run(case: &Case) -> (Report, Vec<(&'static str, String)>) {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in &case.files {
        let p = dir.path().join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    let mut opts = Options::new(
        vec![dir.path().to_path_buf()],
        check::parse_now("2026-11-24T00:00:00Z").unwrap(),
    );
    opts.git = false;
    let rep = check::run_with_rules(&opts, None, &RULES).unwrap();
    let mut outputs = report::outputs::render_all(&rep, &RULES).unwrap();
    outputs.push(("text", report::text(&rep)));
    outputs.push(("baseline", compliance::findings::baseline::render(&rep)));
    (rep, outputs)
}

fn inside(text: &str, line: u32, column: u32) -> bool {
    let lines: Vec<&str> = text.split('\n').collect();
    line >= 1
        && column >= 1
        && lines
            .get(line as usize - 1)
            .is_some_and(|l| column as usize <= l.chars().count() + 1)
}

fn check_case(case: &Case) -> Result<(), TestCaseError> {
    let (rep, outputs) = run(case);
    for (format, text) in &outputs {
        for secret in &case.secrets {
            prop_assert!(
                !text.contains(secret.as_str()),
                "{format} report shows `{secret}` unmasked"
            );
        }
    }
    let text_of = |file: &str| {
        case.files
            .iter()
            .find(|(n, _)| n == file)
            .map(|(_, t)| t.trim_start_matches('\u{feff}'))
    };
    for f in &rep.findings {
        let text = text_of(&f.file);
        prop_assert!(text.is_some(), "finding in an unknown file: {f:?}");
        prop_assert!(
            inside(text.unwrap_or(""), f.line, f.column),
            "{} at {}:{}:{} is outside the file",
            f.rule,
            f.file,
            f.line,
            f.column
        );
    }
    for e in &rep.errors {
        if let (Some(line), Some(column), Some(text)) = (e.line, e.column, text_of(&e.file)) {
            prop_assert!(inside(text, line, column), "error outside the file: {e:?}");
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(64),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn planted_secrets_never_appear_unmasked_and_positions_are_inside_files(case in case()) {
        check_case(&case)?;
    }
}

/// The generator itself: documents parse, and the planted secrets are found, so the
/// property above is not vacuous.
#[test]
fn generated_documents_are_valid_and_secrets_are_reported() {
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let (mut reported, mut total) = (0, 0);
    for _ in 0..16 {
        let case = case().new_tree(&mut runner).unwrap().current();
        for (name, text) in &case.files {
            if name.ends_with(".yaml") && name.starts_with("manifests/") {
                for doc in serde_yaml::Deserializer::from_str(text) {
                    let v: Result<serde_yaml::Value, _> = serde::Deserialize::deserialize(doc);
                    assert!(v.is_ok(), "{name} does not parse: {v:?}\n{text}");
                }
            }
        }
        let (rep, outputs) = run(&case);
        let json = &outputs.iter().find(|(f, _)| *f == "report.json").unwrap().1;
        for secret in &case.secrets {
            total += 1;
            // the masked form (first five characters) is what the reports show
            let head: String = secret.chars().take(5).collect();
            if json.contains(&format!("{head}…[redacted]")) {
                reported += 1;
            }
        }
        let _ = rep;
    }
    // comments, unknown kinds and fields no rule reads are not reported, only never shown
    assert!(
        reported * 3 >= total,
        "only {reported} of {total} planted secrets were reported"
    );
}
