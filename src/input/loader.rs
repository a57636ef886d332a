//! Loading: bytes -> YAML/JSON documents -> Kubernetes objects (typed through k8s-openapi
//! for the kinds the rules read, dynamic otherwise) and our own kinds (schema-checked).
//! Every document remembers its file, its ordinal in the file and, inside a `List`, its
//! item path, so that facts can name exact fields.

use crate::base::finding::InputError;
use crate::base::path;
use crate::base::source::{pos_at, strip_bom, Pos};
use crate::input::kinds::{self, Inventory, Profile, Retention, Waivers};
use k8s_openapi::api::{
    apps::v1 as apps, batch::v1 as batch, core::v1 as core, networking::v1 as net, rbac::v1 as rbac,
};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;
use std::sync::LazyLock;

/// Limits that keep hostile input from costing more than it is worth.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Larger files are not read (`--max-file-size`).
    pub max_file_bytes: u64,
    /// Documents read from one file; the rest is not (`--max-documents`).
    pub max_documents: usize,
    /// Nodes that YAML aliases may add to one file (see [`crate::input::guard`]).
    pub max_alias_nodes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_bytes: 8 * 1024 * 1024,
            max_documents: 10_000,
            max_alias_nodes: 100_000,
        }
    }
}

/// A Kubernetes object as the rules read it. Boxed: a Deployment is 3 KB inline, and an
/// unboxed enum made every document (a ConfigMap, a CRD) that large, 200 MB of 61,590
/// documents held until the facts are built.
#[derive(Debug, Clone)]
pub enum Object {
    Pod(Box<core::Pod>),
    Deployment(Box<apps::Deployment>),
    StatefulSet(Box<apps::StatefulSet>),
    DaemonSet(Box<apps::DaemonSet>),
    ReplicaSet(Box<apps::ReplicaSet>),
    ReplicationController(Box<core::ReplicationController>),
    Job(Box<batch::Job>),
    CronJob(Box<batch::CronJob>),
    Service(Box<core::Service>),
    Ingress(Box<net::Ingress>),
    NetworkPolicy(Box<net::NetworkPolicy>),
    Secret(Box<core::Secret>),
    ConfigMap(Box<core::ConfigMap>),
    ServiceAccount(Box<core::ServiceAccount>),
    Role(Box<rbac::Role>),
    ClusterRole(Box<rbac::ClusterRole>),
    RoleBinding(Box<rbac::RoleBinding>),
    ClusterRoleBinding(Box<rbac::ClusterRoleBinding>),
    Inventory(Box<Inventory>),
    Retention(Box<Retention>),
    Profile(Box<Profile>),
    /// Accepted exceptions (`kind: Waivers`): not checked, applied to the findings.
    Waivers(Box<Waivers>),
    /// A LiteLLM proxy `config.yaml` (no `apiVersion`): kept as JSON in `value`, read
    /// leniently by [`crate::input::litellm`].
    LiteLlm,
    /// Any other kind (CRDs, older API versions): kept as JSON, never an error.
    Dynamic,
}

#[derive(Debug, Clone)]
pub struct Document {
    pub file: usize,
    /// Ordinal of the YAML document in its file.
    pub doc: usize,
    /// Path of the object inside the document: empty, or `items[3]` inside a `List`.
    pub base: String,
    pub api_version: String,
    pub kind: String,
    pub name: String,
    pub namespace: Option<String>,
    /// The document as JSON: whole for `Dynamic` objects, only `metadata` for typed ones
    /// (their typed form has the rest).
    pub value: Value,
    pub object: Object,
}

impl Loaded {
    /// A file that could not be read at all.
    pub fn failed(error: InputError) -> Self {
        Loaded {
            errors: vec![error],
            ..Default::default()
        }
    }
}

impl Document {
    /// The namespace the object lands in when applied without `-n`.
    pub fn effective_namespace(&self) -> String {
        self.namespace.clone().unwrap_or_else(|| "default".to_string())
    }

    pub fn display(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{} {}/{}", self.kind, ns, self.name),
            None => format!("{} {}", self.kind, self.name),
        }
    }

    pub fn labels(&self) -> Vec<(String, String)> {
        string_map(self.value.pointer("/metadata/labels"))
    }

    pub fn annotations(&self) -> Vec<(String, String)> {
        string_map(self.value.pointer("/metadata/annotations"))
    }
}

/// The string entries of a JSON object, sorted by key.
pub fn string_map(v: Option<&Value>) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = v
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| {
                    let v = match v {
                        Value::String(s) => s.clone(),
                        // a null label or annotation is the empty string to the API server
                        Value::Null => String::new(),
                        v => v.to_string(),
                    };
                    (k.clone(), v)
                })
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// What reading one file produced.
#[derive(Debug, Default)]
pub struct Loaded {
    pub docs: Vec<Document>,
    pub errors: Vec<InputError>,
    /// YAML documents read (including ones that are not Kubernetes objects).
    pub documents: usize,
    /// Errors still waiting for a position: (index in `errors`, document, field path).
    pending: Vec<(usize, usize, String)>,
    /// Some document is an object with `apiVersion` and `kind` (read or not).
    pub kubernetes: bool,
}

/// Whether a text that may not parse is meant as a Kubernetes manifest (or one of our own
/// kinds): a YAML line that starts with `apiVersion:` or `kind:` at the top level
/// (column 1) and a line that starts with the other at any indentation (a manifest broken
/// by its indentation is still one), or JSON keys `"apiVersion"` and `"kind"` anywhere;
/// or a top-level `kind:` naming one of our own kinds. A `.yaml`/`.json` file that fails
/// to parse and does not look like a manifest (tsconfig.json with comments, a
/// docker-compose.yml, a workflow, a values file) is read as text by the source scanner,
/// never an input error. A file that parses is judged by its documents, not by this.
pub fn looks_like_manifest(text: &str) -> bool {
    static YAML_API: LazyLock<regex::Regex> = LazyLock::new(|| line_regex(r"^(?:---[ \t]+)?apiVersion[ \t]*:"));
    static YAML_KIND: LazyLock<regex::Regex> = LazyLock::new(|| line_regex(r"^(?:---[ \t]+)?kind[ \t]*:"));
    static ANY_API: LazyLock<regex::Regex> = LazyLock::new(|| line_regex(r"^[ \t]*(?:- )?apiVersion[ \t]*:"));
    static ANY_KIND: LazyLock<regex::Regex> = LazyLock::new(|| line_regex(r"^[ \t]*(?:- )?kind[ \t]*:"));
    static JSON_API: LazyLock<regex::Regex> = LazyLock::new(|| line_regex(r#""apiVersion"\s*:"#));
    static JSON_KIND: LazyLock<regex::Regex> = LazyLock::new(|| line_regex(r#""kind"\s*:"#));
    static OWN_KIND: LazyLock<regex::Regex> = LazyLock::new(|| {
        line_regex(
            r#"^(?:---[ \t]+)?kind[ \t]*:[ \t]*["']?(?:ApiKeyInventory|RetentionPolicy|SecurityProfile|Waivers)\b"#,
        )
    });
    let text = strip_bom(text);
    (YAML_API.is_match(text) && ANY_KIND.is_match(text))
        || (YAML_KIND.is_match(text) && ANY_API.is_match(text))
        || (JSON_API.is_match(text) && JSON_KIND.is_match(text))
        || OWN_KIND.is_match(text)
}

fn line_regex(pattern: &str) -> regex::Regex {
    #[allow(clippy::expect_used)] // constant patterns
    regex::RegexBuilder::new(pattern)
        .multi_line(true)
        .build()
        .expect("constant pattern")
}

pub fn is_manifest_path(display: &str) -> bool {
    let lower = display.to_ascii_lowercase();
    lower.ends_with(".yaml") || lower.ends_with(".yml") || lower.ends_with(".json")
}

/// Parses one manifest file's text. `file` is the index the documents will refer to.
pub fn load_text(file: usize, display: &str, text: &str, limits: &Limits) -> Loaded {
    let text = strip_bom(text);
    let mut out = Loaded::default();
    if display.to_ascii_lowercase().ends_with(".json") {
        // kubectl reads a JSON file as a stream: objects written one after another are
        // documents, like YAML's `---`
        let mut stream = serde_json::Deserializer::from_str(text).into_iter::<Value>();
        for i in 0.. {
            let Some(next) = stream.next() else { break };
            match next {
                Ok(v) if i < limits.max_documents => {
                    out.documents += 1;
                    accept(file, display, i, v, &mut out);
                }
                Ok(_) => {
                    out.errors.push(too_many_documents(display, limits));
                    break;
                }
                Err(e) => {
                    out.errors.push(json_error(display, &e));
                    break;
                }
            }
        }
        if out.documents == 0 && out.errors.is_empty() {
            // an empty file: serde_json's own message for it
            if let Err(e) = serde_json::from_str::<Value>(text) {
                out.errors.push(json_error(display, &e));
            }
        }
        resolve_pending(text, &mut out);
        clamp_errors(text, &mut out);
        return out;
    }
    // nesting and alias limits, checked before serde_yaml builds anything
    let guarded = crate::input::guard::check_yaml(text, limits.max_alias_nodes).err();
    let mut stream = serde_yaml::Deserializer::from_str(text);
    let mut parsed = Vec::new();
    for i in 0.. {
        // serde_yaml parses a document when the iterator yields it: stop before that
        if let Some(r) = guarded.as_ref().filter(|r| r.doc == i) {
            out.errors
                .push(InputError::new(display, Some(r.pos), r.message.clone()));
            break;
        }
        let Some(de) = stream.next() else { break };
        if i >= limits.max_documents {
            out.errors.push(too_many_documents(display, limits));
            break;
        }
        match serde_yaml::Value::deserialize(de) {
            Ok(mut v) => {
                out.documents += 1;
                // Kubernetes' YAML reader applies `<<` merge keys; so do we
                let _ = v.apply_merge();
                parsed.push((i, yaml_to_json(v)));
            }
            Err(e) => {
                // serde_yaml keeps yielding after a syntax error: stop at the first one
                let pos = e.location().map(|l| Pos {
                    line: l.line() as u32,
                    column: l.column() as u32,
                });
                out.errors
                    .push(InputError::new(display, pos, yaml_error_message(&e.to_string())));
                break;
            }
        }
    }
    retype_yaml11(text, &mut parsed);
    for (i, v) in parsed {
        accept(file, display, i, v, &mut out);
    }
    resolve_pending(text, &mut out);
    clamp_errors(text, &mut out);
    out
}

fn json_error(display: &str, e: &serde_json::Error) -> InputError {
    // serde_json says column 0 for an error right after a line break
    let pos = Pos {
        line: (e.line() as u32).max(1),
        column: (e.column() as u32).max(1),
    };
    InputError::new(
        display,
        Some(pos),
        match strip_position(&e.to_string()) {
            m if m.starts_with("recursion limit exceeded") => {
                format!("nesting deeper than {} levels", crate::input::guard::MAX_DEPTH)
            }
            m => format!("invalid JSON: {m}"),
        },
    )
}

/// Keeps every error's position inside the text.
fn clamp_errors(text: &str, out: &mut Loaded) {
    for e in &mut out.errors {
        if let (Some(line), Some(column)) = (e.line, e.column) {
            let p = crate::base::source::clamp(text, Pos { line, column });
            e.line = Some(p.line);
            e.column = Some(p.column);
        }
    }
}

/// Takes one object already parsed (the admission webhook's `request.object`) as the
/// only document of file `file`. Errors carry no position: there is no text to point into.
pub fn load_value(file: usize, display: &str, value: Value) -> Loaded {
    let mut out = Loaded {
        documents: 1,
        ..Loaded::default()
    };
    accept(file, display, 0, value, &mut out);
    out.pending.clear();
    out
}

/// serde_yaml's message, its position taken out, its limits named the way the guard names them.
fn yaml_error_message(message: &str) -> String {
    let m = strip_position(message);
    if m.starts_with("recursion limit exceeded") {
        format!("nesting deeper than {} levels", crate::input::guard::MAX_DEPTH)
    } else if m.starts_with("repetition limit exceeded") {
        "aliases expand to too many nodes (an alias bomb?): the rest is not read".to_string()
    } else if let Some(d) = duplicate_key(&m) {
        d
    } else {
        format!("invalid YAML: {m}")
    }
}

/// serde_yaml's `spec: duplicate entry with key "selector"`, said as a field written twice.
fn duplicate_key(m: &str) -> Option<String> {
    let (at, key) = match m.split_once("duplicate entry with key ") {
        Some((at, key)) => (at.trim_end_matches(": ").trim(), key),
        None => return None,
    };
    let key = key.trim_matches('"');
    Some(if at.is_empty() {
        format!("duplicate key `{key}`: the API server rejects a field written twice")
    } else {
        format!("duplicate key `{key}` in `{at}`: the API server rejects a field written twice")
    })
}

/// serde's messages end in "at line 3 column 5": we report positions in their own fields.
pub(crate) fn strip_position(message: &str) -> String {
    static AT: LazyLock<regex::Regex> = LazyLock::new(|| {
        #[allow(clippy::expect_used)] // constant pattern
        regex::Regex::new(r"^(.*?) at line \d+ column \d+").expect("constant pattern")
    });
    match AT.captures(message) {
        Some(c) => format!("{}{}", &c[1], &message[c[0].len()..]),
        None => message.to_string(),
    }
}

/// Re-reads the plain scalars of the documents the way kubectl does (YAML 1.1, see
/// [`crate::input::yaml11`]): `defaultMode: 0400` is 256, `enabled: yes` is `true`. The
/// position-keeping pass that tells plain from quoted scalars runs only for a file that
/// holds a string YAML 1.1 would read differently.
fn retype_yaml11(text: &str, parsed: &mut [(usize, Value)]) {
    if !parsed.iter().any(|(_, v)| has_yaml11_candidate(v)) {
        return;
    }
    let plain = crate::input::position::plain_scalars(text);
    for (i, v) in parsed.iter_mut() {
        let Some(scalars) = plain.get(*i) else { continue };
        for (p, written) in scalars {
            let Some(resolved) = crate::input::yaml11::resolve_plain(written) else {
                continue;
            };
            if let Some(slot) = value_at_path(v, p) {
                // the same scalar serde_yaml read as a string (not a value merged over it)
                if slot.as_str() == Some(written.as_str()) {
                    *slot = resolved;
                }
            }
        }
    }
}

fn has_yaml11_candidate(v: &Value) -> bool {
    match v {
        Value::String(s) => crate::input::yaml11::resolve_plain(s).is_some(),
        Value::Array(a) => a.iter().any(has_yaml11_candidate),
        Value::Object(m) => m.values().any(has_yaml11_candidate),
        _ => false,
    }
}

/// The value at a field path as [`crate::base::path`] writes it (`a.b[2]["c.d"]`).
fn value_at_path<'v>(mut v: &'v mut Value, p: &str) -> Option<&'v mut Value> {
    for seg in path::segments(p)? {
        v = match seg {
            path::Segment::Key(k) => v.as_object_mut()?.get_mut(&k)?,
            path::Segment::Index(i) => v.as_array_mut()?.get_mut(i)?,
        };
    }
    Some(v)
}

/// Converts a YAML value to JSON: non-string keys become strings, tags are dropped,
/// whole floats become integers (as encoding/json writes them: `replicas: 1.0` fits an
/// integer field), non-finite floats become strings.
pub fn yaml_to_json(v: serde_yaml::Value) -> Value {
    use serde_yaml::Value as Y;
    match v {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else if let Some(u) = n.as_u64() {
                Value::from(u)
            } else {
                n.as_f64()
                    .and_then(crate::input::yaml11::float_value)
                    .unwrap_or_else(|| Value::String(n.to_string()))
            }
        }
        Y::String(s) => Value::String(s),
        Y::Sequence(s) => Value::Array(s.into_iter().map(yaml_to_json).collect()),
        Y::Mapping(m) => Value::Object(
            m.into_iter()
                .map(|(k, v)| {
                    let key = match k {
                        Y::String(s) => s,
                        Y::Bool(b) => b.to_string(),
                        Y::Number(n) => n.to_string(),
                        Y::Null => "null".to_string(),
                        other => serde_yaml::to_string(&other).unwrap_or_default().trim().to_string(),
                    };
                    (key, yaml_to_json(v))
                })
                .collect(),
        ),
        Y::Tagged(t) => yaml_to_json(t.value),
    }
}

fn accept(file: usize, display: &str, doc: usize, value: Value, out: &mut Loaded) {
    let (Some(api_version), Some(kind)) = (
        value.get("apiVersion").and_then(Value::as_str).map(str::to_string),
        value.get("kind").and_then(Value::as_str).map(str::to_string),
    ) else {
        if crate::input::litellm::recognise(&value) {
            accept_litellm(file, display, doc, value, out);
        }
        // not a Kubernetes object (values files, arbitrary YAML): nothing to check
        return;
    };
    out.kubernetes = true;
    if kind.ends_with("List") {
        if let Some(Value::Array(items)) = value.get("items") {
            for (i, item) in items.iter().enumerate() {
                let base = path::index("items", i);
                let (Some(av), Some(k)) = (
                    item.get("apiVersion").and_then(Value::as_str),
                    item.get("kind").and_then(Value::as_str),
                ) else {
                    let e = InputError::new(
                        display,
                        None,
                        format!(
                            "`{base}` in document {} is not a Kubernetes object: expected `apiVersion` and `kind`",
                            doc + 1
                        ),
                    );
                    with_path(out, e, doc, base);
                    continue;
                };
                let (av, k) = (av.to_string(), k.to_string());
                push_object(file, display, doc, base, av, k, item.clone(), out);
            }
            return;
        }
    }
    push_object(file, display, doc, String::new(), api_version, kind, value, out);
}

/// A LiteLLM proxy configuration: its shape errors, then the document itself.
fn accept_litellm(file: usize, display: &str, doc: usize, value: Value, out: &mut Loaded) {
    // its errors are input errors like a manifest's (the file is not scanned as text)
    out.kubernetes = true;
    for (p, message) in crate::input::litellm::validate(&value) {
        let e = InputError::new(
            display,
            None,
            format!("document {} (LiteLLM config): `{p}`: {message}", doc + 1),
        );
        with_path(out, e, doc, p);
    }
    let name = display.rsplit('/').next().unwrap_or(display).to_string();
    out.docs.push(Document {
        file,
        doc,
        base: String::new(),
        api_version: String::new(),
        kind: crate::input::litellm::KIND.to_string(),
        name,
        namespace: None,
        value,
        object: Object::LiteLlm,
    });
}

/// A document that failed typing: the field and what was expected.
pub struct TypeError {
    pub path: String,
    pub message: String,
}

fn typed<T: DeserializeOwned>(base: &str, v: &Value) -> Result<T, TypeError> {
    // tracking the path costs as much again as the deserialization itself, so it is paid
    // only by the rare document that fails
    if let Ok(t) = T::deserialize(v) {
        return Ok(t);
    }
    let mut repaired: Option<Value> = None;
    for _ in 0..MAX_NULL_REPAIRS {
        let current = repaired.as_ref().unwrap_or(v);
        let e = match serde_path_to_error::deserialize::<_, T>(current) {
            Ok(t) => return Ok(t),
            Err(e) => e,
        };
        let segments = error_segments(e.path());
        let inner = e.inner().to_string();
        // encoding/json leaves the zero value where the JSON says null (`redis.db:` is "")
        if let Some(expected) = inner.strip_prefix("invalid type: null, expected ") {
            let target = repaired.get_or_insert_with(|| v.clone());
            if set_zero_value(target, &segments, expected) {
                continue;
            }
        }
        let mut p = base.to_string();
        for seg in &segments {
            p = match seg {
                path::Segment::Index(i) => path::index(&p, *i),
                path::Segment::Key(k) => path::key(&p, k),
            };
        }
        let mut message = quote_values_briefly(&inner);
        // a number in a credential-named field (`DB_PASSWORD: 918273645546372819`) is a
        // secret too: serde quotes it whole
        let field = segments.iter().next_back().and_then(|seg| match seg {
            path::Segment::Key(k) => Some(k.as_str()),
            path::Segment::Index(_) => None,
        });
        if field.is_some_and(crate::secrets::detect::is_sensitive_name) {
            message = NUMBER
                .replace_all(&message, |c: &regex::Captures<'_>| {
                    format!("{} `{}`", &c[1], crate::secrets::mask::mask(&c[2]))
                })
                .into_owned();
        }
        return Err(TypeError {
            message: explain_type_error(&message, &p),
            path: p,
        });
    }
    Err(TypeError {
        path: base.to_string(),
        message: format!("more than {MAX_NULL_REPAIRS} null fields"),
    })
}

/// The error for a file with more than `--max-documents` documents.
fn too_many_documents(display: &str, limits: &Limits) -> InputError {
    InputError::new(
        display,
        None,
        format!(
            "more than {} document{} in one file: the rest is not read",
            limits.max_documents,
            if limits.max_documents == 1 { "" } else { "s" }
        ),
    )
}

/// Null fields one document may have before typing gives up (each costs a deserialization).
const MAX_NULL_REPAIRS: usize = 64;

fn error_segments(p: &serde_path_to_error::Path) -> Vec<path::Segment> {
    p.iter()
        .filter_map(|seg| match seg {
            serde_path_to_error::Segment::Seq { index } => Some(path::Segment::Index(*index)),
            serde_path_to_error::Segment::Map { key } => Some(path::Segment::Key(key.clone())),
            serde_path_to_error::Segment::Enum { variant } => Some(path::Segment::Key(variant.clone())),
            serde_path_to_error::Segment::Unknown => None,
        })
        .collect()
}

/// Replaces the null at `segments` by the zero value of what serde `expected` there; a
/// field whose zero value is not known is removed (a null field is as if absent).
/// `false` when there is no null there to replace.
fn set_zero_value(root: &mut Value, segments: &[path::Segment], expected: &str) -> bool {
    let Some((last, parents)) = segments.split_last() else {
        return false;
    };
    let mut parent = &mut *root;
    for seg in parents {
        let next = match seg {
            path::Segment::Key(k) => parent.as_object_mut().and_then(|m| m.get_mut(k)),
            path::Segment::Index(i) => parent.as_array_mut().and_then(|a| a.get_mut(*i)),
        };
        match next {
            Some(n) => parent = n,
            None => return false,
        }
    }
    let zero = match expected {
        "a string" | "a base64-encoded string" => Some(Value::String(String::new())),
        "a boolean" => Some(Value::Bool(false)),
        "a sequence" => Some(Value::Array(Vec::new())),
        "a map" => Some(Value::Object(serde_json::Map::new())),
        e if e.starts_with("struct ") => Some(Value::Object(serde_json::Map::new())),
        e if e.len() <= 4 && (e.starts_with('i') || e.starts_with('u') || e.starts_with('f')) => Some(Value::from(0)),
        _ => None,
    };
    match (last, parent) {
        (path::Segment::Key(k), Value::Object(m)) if m.get(k).is_some_and(Value::is_null) => {
            match zero {
                Some(z) => {
                    m.insert(k.clone(), z);
                }
                None => {
                    m.remove(k);
                }
            }
            true
        }
        (path::Segment::Index(i), Value::Array(a)) if a.get(*i).is_some_and(Value::is_null) => match zero {
            Some(z) => {
                a[*i] = z;
                true
            }
            None => false,
        },
        _ => false,
    }
}

/// serde's type errors said the way a manifest's author can act on them.
fn explain_type_error(message: &str, p: &str) -> String {
    let Some((found, expected)) = message
        .strip_prefix("invalid type: ")
        .and_then(|m| m.split_once(", expected "))
    else {
        return explain_base64(message, p).unwrap_or_else(|| message.to_string());
    };
    let integer = matches!(expected, "i8" | "i16" | "i32" | "i64" | "u8" | "u16" | "u32" | "u64");
    let expected_text = if integer { "an integer" } else { expected };
    let hint = if expected == "a string" || expected == "a base64-encoded string" {
        if found.starts_with("integer") || found.starts_with("floating point") {
            // a number where a string belongs may be a PIN or a numeric password: not shown
            "found a number: the API server rejects a number here; quote it".to_string()
        } else if found.starts_with("boolean") {
            format!(
                "found the boolean {} (unquoted true/false/yes/no/on/off/y/n are booleans in YAML 1.1, as kubectl reads them): quote it",
                value_of(found)
            )
        } else if found == "map" {
            "found a mapping (unquoted `{{ … }}` or `key: value` text is a mapping in YAML): quote it".to_string()
        } else if found == "sequence" {
            "found a list".to_string()
        } else {
            format!("found {found}")
        }
    } else if integer && found.starts_with("string") {
        format!("found the {found}: the API server rejects a string here; write a number, unquoted")
    } else {
        format!("found {found}")
    };
    format!("expected {expected_text}, {hint}")
}

/// `boolean `true`` -> `` `true` ``
fn value_of(found: &str) -> &str {
    found.split_once(' ').map_or(found, |(_, v)| v)
}

/// The base64 crate's messages (`Invalid symbol 33, offset 5.`) for a Secret's `data`,
/// without the value or any part of it.
fn explain_base64(message: &str, p: &str) -> Option<String> {
    let detail = if let Some(rest) = message
        .strip_prefix("Invalid symbol ")
        .or_else(|| message.strip_prefix("Invalid last symbol "))
    {
        let offset = rest.split_once("offset ").map(|(_, o)| o.trim_end_matches('.'))?;
        format!("a character that is not base64 at offset {offset}")
    } else if message.starts_with("Invalid input length") {
        "its length is not a multiple of 4".to_string()
    } else if message.starts_with("Invalid padding") {
        "wrong `=` padding".to_string()
    } else {
        return None;
    };
    let hint = if p.contains("data") {
        "; `data` values are base64-encoded: put plain text under `stringData`"
    } else {
        ""
    };
    Some(format!("not valid base64 ({detail}){hint}"))
}

static QUOTED: LazyLock<regex::Regex> = LazyLock::new(|| {
    #[allow(clippy::expect_used)] // constant pattern
    regex::Regex::new(r#"string "((?:[^"\\]|\\.)*)""#).expect("constant pattern")
});

static NUMBER: LazyLock<regex::Regex> = LazyLock::new(|| {
    #[allow(clippy::expect_used)] // constant pattern
    regex::Regex::new(r"(integer|floating point|boolean) `([^`]*)`").expect("constant pattern")
});

/// serde quotes the offending string; a long one may be a secret, so only short values
/// that do not look like keys are shown.
fn quote_values_briefly(message: &str) -> String {
    QUOTED
        .replace_all(message, |c: &regex::Captures<'_>| {
            let v = &c[1];
            // short prose ("runAsUser: 1000", "<ADD LUN>") is shown; anything password-like is not
            let prose = v.contains(char::is_whitespace) || crate::secrets::detect::entropy(v) < 3.0;
            if v.chars().count() <= 24 && prose && !crate::secrets::detect::looks_like_api_key(v) {
                format!("string \"{v}\"")
            } else {
                format!("string \"{}\"", crate::secrets::mask::mask(v))
            }
        })
        .into_owned()
}

/// The API version the typed model reads, and older ones it can read after a small patch.
fn current_version(kind: &str) -> Option<(&'static str, &'static [&'static str])> {
    Some(match kind {
        "Pod" | "Service" | "Secret" | "ConfigMap" | "ServiceAccount" | "ReplicationController" => ("v1", &[]),
        "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" => {
            ("apps/v1", &["apps/v1beta1", "apps/v1beta2", "extensions/v1beta1"])
        }
        "Job" => ("batch/v1", &[]),
        "CronJob" => ("batch/v1", &["batch/v1beta1", "batch/v2alpha1"]),
        "Ingress" => (
            "networking.k8s.io/v1",
            &["networking.k8s.io/v1beta1", "extensions/v1beta1"],
        ),
        "NetworkPolicy" => ("networking.k8s.io/v1", &["extensions/v1beta1"]),
        "Role" | "ClusterRole" | "RoleBinding" | "ClusterRoleBinding" => (
            "rbac.authorization.k8s.io/v1",
            &[
                "rbac.authorization.k8s.io/v1beta1",
                "rbac.authorization.k8s.io/v1alpha1",
            ],
        ),
        _ => return None,
    })
}

/// Rewrites an older API version's object to the current version's shape, keeping what
/// the rules read (pod templates, TLS, hosts, rules) and dropping what moved.
fn upgrade(kind: &str, current: &str, v: &Value) -> Value {
    let mut v = v.clone();
    v["apiVersion"] = Value::String(current.to_string());
    if let Some(spec) = v.get_mut("spec").and_then(Value::as_object_mut) {
        match kind {
            "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" => {
                spec.entry("selector").or_insert_with(|| serde_json::json!({}));
                if kind == "StatefulSet" {
                    spec.entry("serviceName")
                        .or_insert_with(|| Value::String(String::new()));
                }
            }
            "Ingress" => {
                spec.remove("backend");
                if let Some(Value::Array(rules)) = spec.get_mut("rules") {
                    for r in rules.iter_mut().filter_map(Value::as_object_mut) {
                        r.remove("http");
                    }
                }
            }
            _ => {}
        }
    }
    v
}

fn to_object(kind: &str, base: &str, v: &Value) -> Result<Object, TypeError> {
    Ok(match kind {
        "Pod" => Object::Pod(typed(base, v)?),
        "Deployment" => Object::Deployment(typed(base, v)?),
        "StatefulSet" => Object::StatefulSet(typed(base, v)?),
        "DaemonSet" => Object::DaemonSet(typed(base, v)?),
        "ReplicaSet" => Object::ReplicaSet(typed(base, v)?),
        "ReplicationController" => Object::ReplicationController(typed(base, v)?),
        "Job" => Object::Job(typed(base, v)?),
        "CronJob" => Object::CronJob(typed(base, v)?),
        "Service" => Object::Service(typed(base, v)?),
        "Ingress" => Object::Ingress(typed(base, v)?),
        "NetworkPolicy" => Object::NetworkPolicy(typed(base, v)?),
        "Secret" => Object::Secret(typed(base, v)?),
        "ConfigMap" => Object::ConfigMap(typed(base, v)?),
        "ServiceAccount" => Object::ServiceAccount(typed(base, v)?),
        "Role" => Object::Role(typed(base, v)?),
        "ClusterRole" => Object::ClusterRole(typed(base, v)?),
        "RoleBinding" => Object::RoleBinding(typed(base, v)?),
        "ClusterRoleBinding" => Object::ClusterRoleBinding(typed(base, v)?),
        _ => Object::Dynamic,
    })
}

#[allow(clippy::too_many_arguments)]
fn push_object(
    file: usize,
    display: &str,
    doc: usize,
    base: String,
    api_version: String,
    kind: String,
    mut value: Value,
    out: &mut Loaded,
) {
    if kind == "Secret" {
        unwrap_base64_lines(&mut value);
    }
    let meta = value.get("metadata");
    let name = meta
        .and_then(|m| m.get("name").or_else(|| m.get("generateName")))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let namespace = meta
        .and_then(|m| m.get("namespace"))
        .and_then(Value::as_str)
        .map(str::to_string);
    let field_error = |p: &str, message: String| InputError {
        // the position is filled in once the file's positions are indexed
        line: None,
        column: None,
        file: display.to_string(),
        message: crate::secrets::redact::redact_text(&format!(
            "document {} (`{kind}` `{name}`): `{p}`: {message}",
            doc + 1
        )),
    };
    let object = if kinds::is_own_kind(&api_version, &kind) {
        let violations = kinds::validate(&kind, &value);
        if !violations.is_empty() {
            for v in violations {
                let p = path::from_pointer(&base, &v.pointer);
                with_path(out, field_error(&p, v.message), doc, p);
            }
            return;
        }
        let parsed = match kind.as_str() {
            "ApiKeyInventory" => typed::<Box<Inventory>>(&base, &value).map(Object::Inventory),
            "SecurityProfile" => typed::<Box<Profile>>(&base, &value).map(Object::Profile),
            "Waivers" => typed::<Box<Waivers>>(&base, &value).map(Object::Waivers),
            _ => typed::<Box<Retention>>(&base, &value).map(Object::Retention),
        };
        match parsed {
            Ok(o) => o,
            Err(e) => {
                with_path(out, field_error(&e.path, e.message), doc, e.path);
                return;
            }
        }
    } else {
        match current_version(&kind) {
            Some((current, _)) if current == api_version => match to_object(&kind, &base, &value) {
                Ok(o) => o,
                Err(e) => {
                    with_path(out, field_error(&e.path, e.message), doc, e.path);
                    return;
                }
            },
            Some((current, legacy)) if legacy.contains(&api_version.as_str()) => {
                to_object(&kind, &base, &upgrade(&kind, current, &value)).unwrap_or(Object::Dynamic)
            }
            _ => Object::Dynamic,
        }
    };
    // a typed object holds everything the facts read; of its JSON form only the metadata
    // (labels, annotations) is read again, so the rest is not kept twice
    let value = match (&object, value) {
        (Object::Dynamic, v) => v,
        (_, Value::Object(mut map)) => {
            let mut kept = serde_json::Map::new();
            if let Some(meta) = map.remove("metadata") {
                kept.insert("metadata".to_string(), meta);
            }
            Value::Object(kept)
        }
        (_, v) => v,
    };
    out.docs.push(Document {
        file,
        doc,
        base,
        api_version,
        kind,
        name,
        namespace,
        value,
        object,
    });
}

/// Go's base64 decoder skips line breaks, so a `data` value folded over lines (`|`) is
/// valid to the API server; the typed model's decoder is stricter.
fn unwrap_base64_lines(secret: &mut Value) {
    if let Some(data) = secret.get_mut("data").and_then(Value::as_object_mut) {
        for v in data.values_mut() {
            if let Value::String(s) = v {
                if s.contains(['\n', '\r']) {
                    s.retain(|c| c != '\n' && c != '\r');
                }
            }
        }
    }
}

fn with_path(out: &mut Loaded, e: InputError, doc: usize, p: String) {
    out.pending.push((out.errors.len(), doc, p));
    out.errors.push(e);
}

/// Gives field errors their line and column: a second, position-keeping read of the file,
/// paid only by files that have such errors.
fn resolve_pending(text: &str, out: &mut Loaded) {
    if out.pending.is_empty() {
        return;
    }
    let docs = crate::input::position::index_documents(text);
    for (i, doc, p) in std::mem::take(&mut out.pending) {
        let pos = docs
            .get(doc)
            .map_or(Pos::START, |d| crate::input::position::lookup(d, &p));
        if let Some(e) = out.errors.get_mut(i) {
            e.line = Some(pos.line);
            e.column = Some(pos.column);
        }
    }
}

/// A file that is not UTF-8: the error names the first bad byte's line.
pub fn utf8_error(display: &str, bytes: &[u8], err: &std::str::Utf8Error) -> InputError {
    let valid = &bytes[..err.valid_up_to()];
    let text = String::from_utf8_lossy(valid);
    let pos = pos_at(&text, text.len());
    InputError::new(
        display,
        Some(pos),
        format!(
            "file is not valid UTF-8 (invalid byte at offset {}): expected UTF-8 text",
            err.valid_up_to()
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Loaded {
        load_text(0, "t.yaml", text, &Limits::default())
    }

    fn messages(l: &Loaded) -> Vec<(Option<u32>, String)> {
        l.errors.iter().map(|e| (e.line, e.message.clone())).collect()
    }

    const DEPLOY: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
spec:
  replicas: 1.0
  selector: {matchLabels: {app: d}}
  template:
    metadata: {labels: {app: d}}
    spec:
      containers:
        - name: app
          image: x
          env:
            - {name: A, value: '0400'}
            - {name: B, value: \"yes\"}
      volumes:
        - name: a
          secret: {secretName: s, defaultMode: 0400}
        - name: b
          configMap: {name: c, defaultMode: 0x1ED}
        - name: c
          projected: {defaultMode: 0o755, sources: []}
        - name: d
          secret: {secretName: s, defaultMode: 4_2_0}
";

    #[test]
    fn plain_octal_hex_and_underscored_modes_are_integers_and_quoted_strings_stay_strings() {
        let l = load(DEPLOY);
        assert!(l.errors.is_empty(), "{:?}", messages(&l));
        let Object::Deployment(d) = &l.docs[0].object else {
            panic!("not typed")
        };
        let spec = &d.spec;
        assert_eq!(spec.replicas, Some(1));
        let pod = spec.template.spec.as_ref().unwrap();
        let vols = pod.volumes.as_ref().unwrap();
        assert_eq!(vols[0].secret.as_ref().unwrap().default_mode, Some(256));
        assert_eq!(vols[1].config_map.as_ref().unwrap().default_mode, Some(0o755));
        assert_eq!(vols[2].projected.as_ref().unwrap().default_mode, Some(0o755));
        assert_eq!(vols[3].secret.as_ref().unwrap().default_mode, Some(420));
        let env = pod.containers[0].env.as_ref().unwrap();
        assert_eq!(env[0].value.as_deref(), Some("0400"));
        assert_eq!(env[1].value.as_deref(), Some("yes"));
    }

    #[test]
    fn an_unquoted_yes_in_a_string_field_is_a_boolean_kubectl_rejects() {
        let l = load("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  a: \"on\"\n  b: on\n");
        let m = messages(&l);
        assert_eq!(m.len(), 1, "{m:?}");
        assert_eq!(m[0].0, Some(6));
        assert!(
            m[0].1
                .contains("`data.b`: expected a string, found the boolean `true` (unquoted"),
            "{m:?}"
        );
    }

    #[test]
    fn a_null_field_is_its_zero_value() {
        let l = load(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  labels: {a: }\ndata:\n  redis.db:\n  n: ~\n",
        );
        assert!(l.errors.is_empty(), "{:?}", messages(&l));
        let Object::ConfigMap(cm) = &l.docs[0].object else {
            panic!("not typed")
        };
        let data = cm.data.as_ref().unwrap();
        assert_eq!(data.get("redis.db").map(String::as_str), Some(""));
        assert_eq!(data.get("n").map(String::as_str), Some(""));
        assert_eq!(l.docs[0].labels(), [("a".to_string(), String::new())]);
        // a null struct field is as if absent; a null list item is an empty object
        let l = load("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  securityContext: null\n  containers:\n    - name: a\n      ports: null\n");
        assert!(l.errors.is_empty(), "{:?}", messages(&l));
        let l =
            load("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - name:\n      image: x\n");
        let Object::Pod(p) = &l.docs[0].object else {
            panic!("not typed")
        };
        assert_eq!(p.spec.as_ref().unwrap().containers[0].name, "");
    }

    #[test]
    fn a_number_in_a_string_field_is_rejected_with_a_hint() {
        let l = load("apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData:\n  githubAppID: 1\n");
        let m = messages(&l);
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].0, Some(5));
        assert!(
            m[0].1.ends_with("`stringData.githubAppID`: expected a string, found a number: the API server rejects a number here; quote it"),
            "{m:?}"
        );
        // a numeric password is not shown
        let l = load("apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData:\n  pin: 4711\n");
        let m = messages(&l);
        assert!(
            m[0].1.contains("`stringData.pin`: expected a string, found a number") && !m[0].1.contains("4711"),
            "{m:?}"
        );
        let l = load("apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec:\n  ports:\n    - port: \"80\"\n");
        let m = messages(&l);
        assert!(
            m[0].1
                .contains("`spec.ports[0].port`: expected an integer, found the string \"80\""),
            "{m:?}"
        );
    }

    #[test]
    fn invalid_base64_is_explained_and_never_quoted() {
        let l = load("apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata:\n  webhook.github.secret: shhhh! it's a GitHub secret\n");
        let m = messages(&l);
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].0, Some(5));
        assert!(
            m[0].1
                .contains("not valid base64 (a character that is not base64 at offset 5)"),
            "{m:?}"
        );
        assert!(!m[0].1.contains("shhhh") && !m[0].1.contains("Invalid symbol"), "{m:?}");
        // Go's decoder skips line breaks: a folded value is valid
        let l = load("apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata:\n  k: |\n    aGVsbG8g\n    d29ybGQ=\n");
        assert!(l.errors.is_empty(), "{:?}", messages(&l));
        let Object::Secret(s) = &l.docs[0].object else {
            panic!("not typed")
        };
        assert_eq!(s.data.as_ref().unwrap()["k"].0, b"hello world");
    }

    #[test]
    fn duplicate_keys_are_rejected_and_named() {
        let l =
            load("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  hostNetwork: true\n  hostNetwork: false\n");
        let m = messages(&l);
        assert_eq!(m.len(), 1);
        assert!(
            m[0].1
                .starts_with("duplicate key `hostNetwork` in `spec`: the API server rejects"),
            "{m:?}"
        );
    }

    #[test]
    fn values_through_aliases_keep_their_yaml_1_2_reading() {
        // documented limit: the plain-scalar pass does not follow aliases
        let l = load("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  a: &x 0400\n  b: *x\n");
        let m = messages(&l);
        assert_eq!(m.len(), 1, "{m:?}");
        assert!(m[0].1.contains("`data.a`: expected a string, found a number"), "{m:?}");
    }

    #[test]
    fn a_json_file_is_a_stream_of_objects() {
        let l = load_text(
            0,
            "list.json",
            "{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"metadata\": {\"name\": \"a\"}}\n{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"metadata\": {\"name\": \"b\"}}\n",
            &Limits::default(),
        );
        assert!(l.errors.is_empty(), "{:?}", messages(&l));
        let names: Vec<&str> = l.docs.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
    }

    #[test]
    fn what_looks_like_a_manifest() {
        for yes in [
            "apiVersion: v1\nkind: Pod\n",
            "# c\nkind: Deployment\nmetadata: {}\napiVersion: apps/v1\n",
            "\u{feff}apiVersion: apps/v1\n    kind: Deployment\n",
            "{\n  \"kind\": \"Pod\",\n  \"apiVersion\": \"v1\", // comment\n}\n",
            "kind: ApiKeyInventory\nkeys: [\n",
            "--- apiVersion: v1\nkind: List\n",
        ] {
            assert!(looks_like_manifest(yes), "{yes}");
        }
        for no in [
            "{\n  // tsconfig\n  \"compilerOptions\": {},\n}\n",
            "services:\n  web:\n    image: nginx\n",
            "on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n",
            "extraObjects:\n  - apiVersion: v1\n    kind: ConfigMap\n",
            "repos:\n  - repo: x\n    hooks:\n      - id: kind\n",
            "",
        ] {
            assert!(!looks_like_manifest(no), "{no}");
        }
    }
}
