//! Loading: bytes -> YAML/JSON documents -> Kubernetes objects (typed through k8s-openapi
//! for the kinds the rules read, dynamic otherwise) and our own kinds (schema-checked).
//! Every document remembers its file, its ordinal in the file and, inside a `List`, its
//! item path, so that facts can name exact fields.

use crate::finding::InputError;
use crate::kinds::{self, Inventory, Profile, Retention, Waivers};
use crate::path;
use crate::source::{pos_at, strip_bom, Pos};
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
    /// Nodes that YAML aliases may add to one file (see [`crate::guard`]).
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
                .map(|(k, v)| (k.clone(), v.as_str().map_or_else(|| v.to_string(), str::to_string)))
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
        match serde_json::from_str::<Value>(text) {
            Ok(v) => {
                out.documents = 1;
                accept(file, display, 0, v, &mut out);
            }
            Err(e) => {
                // serde_json says column 0 for an error right after a line break
                let pos = Pos {
                    line: (e.line() as u32).max(1),
                    column: (e.column() as u32).max(1),
                };
                out.errors.push(InputError::new(
                    display,
                    Some(pos),
                    match strip_position(&e.to_string()) {
                        m if m.starts_with("recursion limit exceeded") => {
                            format!("nesting deeper than {} levels", crate::guard::MAX_DEPTH)
                        }
                        m => format!("invalid JSON: {m}"),
                    },
                ));
            }
        }
        resolve_pending(text, &mut out);
        clamp_errors(text, &mut out);
        return out;
    }
    // nesting and alias limits, checked before serde_yaml builds anything
    let guarded = crate::guard::check_yaml(text, limits.max_alias_nodes).err();
    let mut stream = serde_yaml::Deserializer::from_str(text);
    for i in 0.. {
        // serde_yaml parses a document when the iterator yields it: stop before that
        if let Some(r) = guarded.as_ref().filter(|r| r.doc == i) {
            out.errors
                .push(InputError::new(display, Some(r.pos), r.message.clone()));
            break;
        }
        let Some(de) = stream.next() else { break };
        if i >= limits.max_documents {
            out.errors.push(InputError::new(
                display,
                None,
                format!(
                    "more than {} documents in one file: the rest is not read",
                    limits.max_documents
                ),
            ));
            break;
        }
        match serde_yaml::Value::deserialize(de) {
            Ok(mut v) => {
                out.documents += 1;
                // Kubernetes' YAML reader applies `<<` merge keys; so do we
                let _ = v.apply_merge();
                accept(file, display, i, yaml_to_json(v), &mut out);
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
    resolve_pending(text, &mut out);
    clamp_errors(text, &mut out);
    out
}

/// Keeps every error's position inside the text.
fn clamp_errors(text: &str, out: &mut Loaded) {
    for e in &mut out.errors {
        if let (Some(line), Some(column)) = (e.line, e.column) {
            let p = crate::source::clamp(text, Pos { line, column });
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
        format!("nesting deeper than {} levels", crate::guard::MAX_DEPTH)
    } else if m.starts_with("repetition limit exceeded") {
        "aliases expand to too many nodes (an alias bomb?): the rest is not read".to_string()
    } else {
        format!("invalid YAML: {m}")
    }
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

/// Converts a YAML value to JSON: non-string keys become strings, tags are dropped,
/// non-finite floats become strings.
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
                    .and_then(serde_json::Number::from_f64)
                    .map_or_else(|| Value::String(n.to_string()), Value::Number)
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
        // not a Kubernetes object (values files, arbitrary YAML): nothing to check
        return;
    };
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
    serde_path_to_error::deserialize(v).map_err(|e| {
        let mut p = base.to_string();
        for seg in e.path().iter() {
            match seg {
                serde_path_to_error::Segment::Seq { index } => p = path::index(&p, *index),
                serde_path_to_error::Segment::Map { key } => p = path::key(&p, key),
                serde_path_to_error::Segment::Enum { variant } => p = path::key(&p, variant),
                serde_path_to_error::Segment::Unknown => {}
            }
        }
        let mut message = quote_values_briefly(&e.inner().to_string());
        // a number in a credential-named field (`DB_PASSWORD: 918273645546372819`) is a
        // secret too: serde quotes it whole
        let field = e.path().iter().next_back().and_then(|seg| match seg {
            serde_path_to_error::Segment::Map { key } => Some(key.as_str()),
            _ => None,
        });
        if field.is_some_and(crate::detect::is_sensitive_name) {
            message = NUMBER
                .replace_all(&message, |c: &regex::Captures<'_>| {
                    format!("{} `{}`", &c[1], crate::mask::mask(&c[2]))
                })
                .into_owned();
        }
        TypeError { path: p, message }
    })
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
            let prose = v.contains(char::is_whitespace) || crate::detect::entropy(v) < 3.0;
            if v.chars().count() <= 24 && prose && !crate::detect::looks_like_api_key(v) {
                format!("string \"{v}\"")
            } else {
                format!("string \"{}\"", crate::mask::mask(v))
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
    value: Value,
    out: &mut Loaded,
) {
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
        message: crate::mask::redact_text(&format!("document {} (`{kind}` `{name}`): `{p}`: {message}", doc + 1)),
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
    let docs = crate::position::index_documents(text);
    for (i, doc, p) in std::mem::take(&mut out.pending) {
        let pos = docs.get(doc).map_or(Pos::START, |d| crate::position::lookup(d, &p));
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
