//! Admission webhook: the decision on one `admission.k8s.io/v1` AdmissionReview, kept apart
//! from the HTTPS server ([`server`]) so that every decision is unit-tested without a socket.
//!
//! CREATE and UPDATE requests have `request.object` evaluated as a single document by the
//! same pipeline as `compliance check` (loader -> facts -> entities -> rules), and only the
//! rules marked `@scope("object")` count: the others need documents the webhook never sees
//! (a NetworkPolicy, a ServiceAccount, an inventory) or judge what a repository commits.
//! DELETE and CONNECT are allowed, and so is everything in an excluded namespace, without
//! evaluation.

pub mod alloc;
pub mod body;
pub mod bounded;
pub mod conn;
pub mod manifests;
pub mod server;

use crate::base::finding::Finding;
use crate::engine::policy::RuleSet;
use crate::input::loader;
use crate::secrets::redact;
use chrono::{DateTime, Utc};
use kube::core::admission::{AdmissionRequest, AdmissionResponse, AdmissionReview, Operation};
use kube::core::DynamicObject;
use serde_json::Value;

/// What a violation does to the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    /// `allowed: false` with a message listing the violations.
    Deny,
    /// Allowed, with one `warnings` entry per violation (kubectl prints them).
    Warn,
    /// Allowed; the violations are logged, counted and put in the audit annotations.
    Audit,
}

/// How the webhook decides.
#[derive(Debug, Clone)]
pub struct Config {
    pub mode: Mode,
    /// Requests for objects in these namespaces are allowed without evaluation.
    pub exclude_namespaces: Vec<String>,
    /// Pod Security Standards levels: a default and per-namespace levels (an
    /// AdmissionReview does not carry the namespace's labels; see docs/pod-security.md).
    pub pod_security: crate::facts::pss::Settings,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            mode: Mode::Deny,
            exclude_namespaces: vec!["kube-system".to_string()],
            pod_security: crate::facts::pss::Settings::default(),
        }
    }
}

impl Config {
    /// The namespaces to exclude: those given (`--exclude-namespace`), or by default
    /// `kube-system` and the webhook's own namespace (`own`, from `POD_NAMESPACE`), so that
    /// the webhook never blocks its own rollout.
    pub fn excluded(given: Vec<String>, own: Option<String>) -> Vec<String> {
        if !given.is_empty() {
            return given;
        }
        let mut out = vec!["kube-system".to_string()];
        if let Some(ns) = own.map(|s| s.trim().to_string()).filter(|s| !s.is_empty()) {
            if !out.contains(&ns) {
                out.push(ns);
            }
        }
        out
    }
}

/// What happened to one request (the `decision` label of the metrics and logs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Evaluated, no violation.
    Allowed,
    /// Evaluated, violations, mode `deny`.
    Denied,
    /// Evaluated, violations, mode `warn`.
    Warned,
    /// Evaluated, violations, mode `audit`.
    Audited,
    /// Allowed without evaluation: DELETE, CONNECT, an excluded namespace, no object.
    Skipped,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Allowed => "allowed",
            Outcome::Denied => "denied",
            Outcome::Warned => "warned",
            Outcome::Audited => "audited",
            Outcome::Skipped => "skipped",
        }
    }
}

/// The decision on one request: the AdmissionReview to send back and what to log.
#[derive(Debug)]
pub struct Decision {
    pub review: AdmissionReview<DynamicObject>,
    pub outcome: Outcome,
    /// `CREATE`, `UPDATE`, `DELETE` or `CONNECT`.
    pub operation: &'static str,
    /// `<kind>/<namespace>/<name>` (`-` for no namespace).
    pub object: String,
    /// Violations of object-scoped rules (messages already masked), the most severe first:
    /// at most [`DENIAL_LISTED`] of them are built (see [`bounded`]); the rest are counted.
    pub violations: Vec<Finding>,
    /// Every violation of an object-scoped rule, listed or not.
    pub violation_count: usize,
    /// Violations by rule id (all of them, listed or not).
    pub violated: std::collections::BTreeMap<String, usize>,
    /// Problems met while evaluating (they do not deny; messages masked).
    pub errors: Vec<String>,
}

/// A request body that is not an AdmissionReview: answered with HTTP 400.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadReview(pub String);

impl std::fmt::Display for BadReview {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Parses a request body and decides. The error message never quotes a secret.
pub fn decide_body(rules: &RuleSet, cfg: &Config, body: &[u8], now: DateTime<Utc>) -> Result<Decision, BadReview> {
    let (request, object) = parse_review(body)?;
    Ok(decide_parts(rules, cfg, &request, object, now))
}

/// [`decide_body`] that frees the body as soon as it is parsed, and takes the object out of
/// the request rather than copying it: a 3 MiB review is held once, not three times.
pub fn decide_owned(rules: &RuleSet, cfg: &Config, body: Vec<u8>, now: DateTime<Utc>) -> Result<Decision, BadReview> {
    let parsed = parse_review(&body);
    drop(body);
    let (request, object) = parsed?;
    Ok(decide_parts(rules, cfg, &request, object, now))
}

/// The request (its `object` taken out) and the object. The body is read once into a JSON
/// value and the object moved out of it before the rest is typed: typing the whole review
/// (`#[serde(flatten)]` in `AdmissionReview` and `DynamicObject`) buffers every field in
/// serde's generic form first, a second and third copy of a 3 MiB object.
fn parse_review(body: &[u8]) -> Result<(AdmissionRequest<DynamicObject>, Option<Value>), BadReview> {
    let not_review =
        |e: serde_json::Error| BadReview(redact::redact_text(&format!("the body is not an AdmissionReview: {e}")));
    let mut whole: Value = serde_json::from_slice(body).map_err(not_review)?;
    let mut object = None;
    if let Some(request) = whole.get_mut("request").and_then(Value::as_object_mut) {
        // the old object of an UPDATE is not judged
        request.remove("oldObject");
        object = request.remove("object").filter(|o| !o.is_null());
    }
    if let Some(o) = &object {
        if !o.is_object() {
            return Err(BadReview(
                "the body is not an AdmissionReview: `request.object` is not an object".to_string(),
            ));
        }
        // as typing it would: the object's metadata must read as ObjectMeta
        let meta = o.get("metadata").ok_or_else(|| {
            BadReview("the body is not an AdmissionReview: `request.object` has no `metadata`".to_string())
        })?;
        <kube::core::ObjectMeta as serde::Deserialize>::deserialize(meta).map_err(not_review)?;
    }
    let review: AdmissionReview<DynamicObject> = serde_json::from_value(whole).map_err(not_review)?;
    // exactly a version the API server sends: the answer echoes `apiVersion`, so anything
    // else written after `admission.k8s.io/` (a key) would be sent back unmasked
    if review.types.kind != "AdmissionReview"
        || !matches!(
            review.types.api_version.as_str(),
            "admission.k8s.io/v1" | "admission.k8s.io/v1beta1"
        )
    {
        return Err(BadReview(redact::redact_text(&format!(
            "expected kind `AdmissionReview` of `admission.k8s.io/v1`, got kind `{}` of `{}`",
            review.types.kind, review.types.api_version
        ))));
    }
    let request: AdmissionRequest<DynamicObject> = review
        .try_into()
        .map_err(|_| BadReview("the AdmissionReview has no `request`".to_string()))?;
    Ok((request, object))
}

fn operation_name(op: &Operation) -> &'static str {
    match op {
        Operation::Create => "CREATE",
        Operation::Update => "UPDATE",
        Operation::Delete => "DELETE",
        Operation::Connect => "CONNECT",
    }
}

/// A string in the object's `metadata`.
fn meta_str(object: Option<&Value>, field: &str) -> Option<String> {
    object?.get("metadata")?.get(field)?.as_str().map(str::to_string)
}

/// Decides on one request.
pub fn decide(rules: &RuleSet, cfg: &Config, req: &AdmissionRequest<DynamicObject>, now: DateTime<Utc>) -> Decision {
    let object = req.object.as_ref().and_then(|o| serde_json::to_value(o).ok());
    decide_parts(rules, cfg, req, object, now)
}

/// Decides on `req`, whose object is `object` (`req.object` is not read).
fn decide_parts(
    rules: &RuleSet,
    cfg: &Config,
    req: &AdmissionRequest<DynamicObject>,
    incoming: Option<Value>,
    now: DateTime<Utc>,
) -> Decision {
    let operation = operation_name(&req.operation);
    let namespace = req
        .namespace
        .clone()
        .or_else(|| meta_str(incoming.as_ref(), "namespace"));
    let name = if !req.name.is_empty() {
        req.name.clone()
    } else {
        meta_str(incoming.as_ref(), "name")
            .or_else(|| meta_str(incoming.as_ref(), "generateName"))
            .unwrap_or_default()
    };
    // masked: a key used as a name would otherwise reach the log line and the denial
    let object = redact::redact_text(&format!(
        "{}/{}/{}",
        req.kind.kind,
        namespace.as_deref().unwrap_or("-"),
        name
    ));
    let mut decision = Decision {
        review: AdmissionResponse::from(req).into_review(),
        outcome: Outcome::Skipped,
        operation,
        object: object.clone(),
        violations: Vec::new(),
        violation_count: 0,
        violated: std::collections::BTreeMap::new(),
        errors: Vec::new(),
    };
    if matches!(req.operation, Operation::Delete | Operation::Connect) {
        return decision;
    }
    if namespace
        .as_deref()
        .is_some_and(|ns| cfg.exclude_namespaces.iter().any(|x| x == ns))
    {
        return decision;
    }
    let Some(mut value) = incoming else {
        return decision;
    };
    // an object too large to judge in bounded memory is not judged: denied in deny mode
    let values = bounded::count_values(&value, bounded::MAX_OBJECT_VALUES);
    if values > bounded::MAX_OBJECT_VALUES {
        drop(value);
        let reason = format!(
            "the object holds over {} JSON values, more than the webhook judges in bounded memory (a workload this large cannot start a process: Linux caps a process's environment and arguments at 2 MiB)",
            bounded::MAX_OBJECT_VALUES
        );
        decision.errors.push(reason.clone());
        if cfg.mode == Mode::Deny {
            if let Some(response) = decision.review.response.as_mut() {
                let message = format!("compliance: {object} was not checked; deny mode fails closed:\n- {reason}");
                deny(response, redact::redact_text(&message));
                decision.outcome = Outcome::Denied;
            }
        } else {
            decision.outcome = Outcome::Allowed;
        }
        return decision;
    }
    // the API server leaves `metadata.namespace` out of a CREATE in the request's namespace
    if let (Some(ns), Some(meta)) = (&namespace, value.get_mut("metadata").and_then(Value::as_object_mut)) {
        meta.entry("namespace").or_insert_with(|| Value::String(ns.clone()));
    }
    if !name.is_empty() {
        if let Some(meta) = value.get_mut("metadata").and_then(Value::as_object_mut) {
            meta.entry("name").or_insert_with(|| Value::String(name.clone()));
        }
    }
    let mut loaded = loader::load_value(0, &object, value);
    decision
        .errors
        .extend(loaded.errors.iter().map(|e| redact::redact_text(&e.message)));
    let unreadable = !loaded.errors.is_empty();
    let judged = match bounded::judge(
        rules,
        std::mem::take(&mut loaded.docs),
        &object,
        now,
        DENIAL_LISTED,
        &cfg.pod_security,
    ) {
        Ok(j) => j,
        Err(e) => {
            decision.errors.push(redact::redact_text(&e));
            return decision;
        }
    };
    decision
        .errors
        .extend(judged.errors.iter().map(|e| redact::redact_text(&e.message)));
    decision.violation_count = judged.total;
    decision.violated = judged.by_rule;
    decision.violations = judged
        .shown
        .into_iter()
        .map(|mut f| {
            crate::findings::fields::finding(&mut f, &mut crate::findings::fields::mask_one);
            f
        })
        .collect();
    // fail closed: an object that cannot be read as its kind (a field of the wrong type)
    // was not judged; in deny mode it is denied, as the CLI exits 2 on it
    if cfg.mode == Mode::Deny && unreadable {
        if let Some(response) = decision.review.response.as_mut() {
            deny(response, unreadable_message(&object, &decision.errors));
            decision.outcome = Outcome::Denied;
            return decision;
        }
    }
    if decision.violation_count == 0 {
        decision.outcome = Outcome::Allowed;
        return decision;
    }
    let Some(response) = decision.review.response.as_mut() else {
        return decision;
    };
    match cfg.mode {
        Mode::Deny => {
            deny(
                response,
                denial_message(&object, &decision.violations, decision.violation_count),
            );
            decision.outcome = Outcome::Denied;
        }
        Mode::Warn => {
            let mut warnings: Vec<String> = decision.violations.iter().take(DENIAL_LISTED).map(warning).collect();
            let listed = warnings.len();
            if decision.violation_count > listed {
                warnings.push(format!("and {} more", decision.violation_count - listed));
            }
            response.warnings = Some(warnings);
            decision.outcome = Outcome::Warned;
        }
        Mode::Audit => {
            // each rule once, so the annotation stays small whatever the object holds
            let ids: Vec<&str> = decision.violated.keys().map(String::as_str).collect();
            response
                .audit_annotations
                .insert("violations".to_string(), ids.join(","));
            decision.outcome = Outcome::Audited;
        }
    }
    decision
}

/// The violations a denial message lists; the rest are counted ("and N more").
pub const DENIAL_LISTED: usize = 20;

/// The status message of a denial: one line per violation (the most severe first, at most
/// [`DENIAL_LISTED`]) with the rule id, title, field path, what was found and the fix, then
/// "and N more" up to `total`. Masked again as a last line of defence.
pub fn denial_message(object: &str, violations: &[Finding], total: usize) -> String {
    let total = total.max(violations.len());
    let mut out = format!(
        "compliance: {object} violates {} rule{}:",
        total,
        if total == 1 { "" } else { "s" }
    );
    let listed = violations.len().min(DENIAL_LISTED);
    for f in violations.iter().take(listed) {
        out.push_str(&format!(
            "\n- {} ({}) {} at `{}`: {}. Fix: {}",
            f.rule, f.severity, f.title, f.path, f.message, f.remediation
        ));
    }
    if total > listed {
        out.push_str(&format!("\n- and {} more", total - listed));
    }
    redact::redact_text(&out)
}

/// The status message of an object denied because it could not be read.
/// Turns `response` into a denial (403 Forbidden) with `message`.
fn deny(response: &mut AdmissionResponse, message: String) {
    response.allowed = false;
    response.result.status = Some(kube::core::response::StatusSummary::Failure);
    response.result.code = 403;
    response.result.reason = "Forbidden".to_string();
    response.result.message = message;
}

fn unreadable_message(object: &str, errors: &[String]) -> String {
    let mut out =
        format!("compliance: {object} cannot be read as its kind, so it was not checked; deny mode fails closed:");
    for e in errors.iter().take(DENIAL_LISTED) {
        out.push_str(&format!("\n- {e}"));
    }
    if errors.len() > DENIAL_LISTED {
        out.push_str(&format!("\n- and {} more", errors.len() - DENIAL_LISTED));
    }
    redact::redact_text(&out)
}

/// One `warnings` entry: kubectl prints each on its own line.
fn warning(f: &Finding) -> String {
    redact::redact_text(&format!("{} {} at `{}`: {}", f.rule, f.title, f.path, f.message))
}

#[cfg(test)]
mod tests;
