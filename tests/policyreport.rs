//! `--format policyreport`: OpenReports `Report`/`ClusterReport` objects, validated against
//! the CRDs' published OpenAPI schemas (tests/data/openreports, Apache-2.0, see SOURCES.md
//! there) with the jsonschema crate, for the examples and the corpus; namespaces, pass
//! results, waivers, the baseline, masking and the size limit.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{compliance, folder, NOW};
use compliance::report::policyreport::MAX_REPORT_BYTES;
use serde::Deserialize;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// `check ARGS --format policyreport --now NOW`: the documents and the exit code.
fn reports(args: &[&str]) -> (Vec<Value>, i32) {
    let out = compliance()
        .arg("check")
        .args(args)
        .args(["--format", "policyreport", "--now", NOW])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let docs = serde_yaml::Deserializer::from_str(&text)
        .map(|d| serde_json::to_value(serde_yaml::Value::deserialize(d).unwrap()).unwrap())
        .collect();
    (docs, out.status.code().unwrap())
}

/// Every object schema that lists its properties refuses others: the API server would
/// prune an unknown field silently (and `kubectl apply --validate=strict` refuses it), so
/// a misspelt field must fail here.
fn strict(schema: &mut Value) {
    let Some(map) = schema.as_object_mut() else { return };
    if let Some(Value::Object(props)) = map.get_mut("properties") {
        props.values_mut().for_each(strict);
        if !map.contains_key("additionalProperties") {
            map.insert("additionalProperties".into(), Value::Bool(false));
        }
    }
    for key in ["items", "additionalProperties"] {
        if let Some(sub) = map.get_mut(key) {
            strict(sub);
        }
    }
}

/// The `v1alpha1` schema of a CRD file, strict, as a validator.
fn validator(file: &str) -> jsonschema::Validator {
    let text = std::fs::read_to_string(Path::new("tests/data/openreports").join(file)).unwrap();
    let crd: Value = serde_yaml::from_str(&text).unwrap();
    assert_eq!(crd["spec"]["group"], "openreports.io");
    let version = crd["spec"]["versions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "v1alpha1")
        .unwrap();
    let mut schema = version["schema"]["openAPIV3Schema"].clone();
    strict(&mut schema);
    jsonschema::draft4::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap()
}

struct Schemas {
    report: jsonschema::Validator,
    cluster: jsonschema::Validator,
}

impl Schemas {
    fn new() -> Self {
        Schemas {
            report: validator("openreports.io_reports.yaml"),
            cluster: validator("openreports.io_clusterreports.yaml"),
        }
    }

    /// Schema errors of one document, with the document's name.
    fn errors(&self, d: &Value) -> Vec<String> {
        let v = match d["kind"].as_str() {
            Some("Report") => &self.report,
            Some("ClusterReport") => &self.cluster,
            other => return vec![format!("unexpected kind {other:?}")],
        };
        v.iter_errors(d)
            .map(|e| format!("{}: {e} at {}", d["metadata"]["name"], e.instance_path()))
            .collect()
    }
}

/// Schema-valid, within the size limit, with summaries that count the results, names
/// unique in their namespace, and a namespace exactly on `Report`s.
fn assert_valid(docs: &[Value], schemas: &Schemas) {
    let mut names = BTreeSet::new();
    for d in docs {
        assert_eq!(schemas.errors(d), Vec::<String>::new());
        assert_eq!(d["apiVersion"], "openreports.io/v1alpha1");
        assert_eq!(d["source"], "compliance");
        let bytes = serde_json::to_vec(d).unwrap().len();
        assert!(bytes <= MAX_REPORT_BYTES, "{} is {bytes} bytes", d["metadata"]["name"]);
        let ns = d["metadata"]["namespace"].as_str();
        assert_eq!(ns.is_some(), d["kind"] == "Report", "{}", d["metadata"]);
        assert!(names.insert((ns.map(str::to_string), d["metadata"]["name"].to_string())));
        let results = d["results"].as_array().unwrap();
        assert!(!results.is_empty());
        let mut counted: BTreeMap<&str, u64> = BTreeMap::new();
        for r in results {
            *counted.entry(r["result"].as_str().unwrap()).or_default() += 1;
            assert_eq!(r["source"], "compliance");
            assert_eq!(r["timestamp"]["seconds"], 1_795_478_400);
            // a namespaced object's results are in its namespace's report
            if let Some(res) = r["resources"].get(0) {
                assert_eq!(res["namespace"].as_str(), ns, "{r}");
            }
        }
        for k in ["pass", "fail", "warn", "error", "skip"] {
            assert_eq!(
                d["summary"][k],
                counted.get(k).copied().unwrap_or(0),
                "{k} in {}",
                d["metadata"]
            );
        }
    }
}

fn results(docs: &[Value]) -> Vec<&Value> {
    docs.iter().flat_map(|d| d["results"].as_array().unwrap()).collect()
}

/// How many findings a result stands for.
fn findings_of(r: &Value) -> u64 {
    r["properties"]["findings"].as_str().map_or(1, |n| n.parse().unwrap())
}

#[test]
fn reports_of_every_example_validate_against_the_published_crds() {
    let schemas = Schemas::new();
    for (dir, code) in [
        ("examples/deploy", 1),
        ("examples/app", 1),
        ("examples/webhook", 0),
        ("tests/fixtures/bad", 2),
        ("tests/fixtures/planted", 2),
    ] {
        let (docs, got) = reports(&[dir]);
        assert_eq!(got, code, "{dir}");
        assert_valid(&docs, &schemas);
        // every finding is in one result: fail results add up to the findings
        let (json, _) = common::check_json(Path::new(dir), &[]);
        let findings = json["findings"].as_array().unwrap().len() as u64;
        let failing: u64 = results(&docs)
            .iter()
            .filter(|r| r["result"] == "fail")
            .map(|r| findings_of(r))
            .sum();
        assert_eq!(failing, findings, "{dir}");
    }
}

#[test]
fn the_schema_check_rejects_what_the_api_server_would_not_keep() {
    let schemas = Schemas::new();
    let (mut docs, _) = reports(&["examples/deploy"]);
    let d = &mut docs[0];
    assert!(schemas.errors(d).is_empty());
    d["results"][0]["result"] = "failed".into();
    d["results"][1]["severity"] = "urgent".into();
    d["results"][2]["resource"] = Value::Array(Vec::new()); // `resources` misspelt
    d["summary"]["pass"] = "3".into();
    let errors = schemas.errors(d);
    assert_eq!(errors.len(), 4, "{errors:#?}");
}

#[test]
fn namespaced_objects_get_their_namespace_report_and_the_rest_a_cluster_report() {
    let (docs, code) = reports(&["examples/deploy"]);
    assert_eq!(code, 1);
    let kinds: Vec<(String, Option<&str>, &str)> = docs
        .iter()
        .map(|d| {
            (
                d["kind"].as_str().unwrap().to_string(),
                d["metadata"]["namespace"].as_str(),
                d["metadata"]["name"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("ClusterReport".to_string(), None, "compliance"),
            ("Report".to_string(), Some("chat"), "compliance")
        ]
    );
    let all = results(&docs);
    // the literal key in the frontend's env: one result, with the rule's id, severity,
    // category, the object and the exact field
    let sec = all
        .iter()
        .find(|r| r["policy"] == "SEC-001" && r["result"] == "fail")
        .unwrap();
    assert_eq!(sec["rule"], "SEC-001");
    assert_eq!(sec["severity"], "critical");
    assert_eq!(sec["category"], "secrets");
    assert_eq!(sec["scored"], true);
    assert_eq!(
        sec["resources"][0],
        serde_json::json!({"apiVersion": "apps/v1", "kind": "Deployment", "name": "chat-frontend", "namespace": "chat"})
    );
    assert_eq!(sec["properties"]["file"], "frontend.yaml");
    assert_eq!(sec["properties"]["line"], "33");
    assert_eq!(
        sec["properties"]["field"],
        "spec.template.spec.containers[0].env[0].value"
    );
    // the key is masked as in every output
    let text = serde_json::to_string(&docs).unwrap();
    let raw = std::fs::read_to_string("examples/deploy/frontend.yaml").unwrap();
    let key = raw
        .split_whitespace()
        .find(|w| w.trim_matches('"').starts_with("sk-"))
        .unwrap()
        .trim_matches('"');
    assert!(key.len() > 20 && !text.contains(key));
    assert!(sec["message"].as_str().unwrap().contains("[redacted]"), "{sec}");
    // a cluster-scoped object is in the cluster report
    let rbac = all.iter().find(|r| r["policy"] == "RBAC-002").unwrap();
    assert_eq!(rbac["resources"][0]["kind"], "ClusterRole");
    assert!(rbac["resources"][0].get("namespace").is_none());
    // passing rules are results too, one per rule and object, without a message
    let passing: Vec<&&Value> = all.iter().filter(|r| r["result"] == "pass").collect();
    assert!(!passing.is_empty());
    let failing: BTreeSet<(String, String)> = all
        .iter()
        .filter(|r| r["result"] != "pass")
        .map(|r| (r["policy"].to_string(), r["resources"].to_string()))
        .collect();
    for p in &passing {
        assert!(p.get("message").is_none());
        assert_eq!(p["resources"].as_array().unwrap().len(), 1);
        assert!(
            !failing.contains(&(p["policy"].to_string(), p["resources"].to_string())),
            "{p}"
        );
    }
    // the hardened example Deployment passes the container rules it fails here
    let (clean, code) = reports(&["examples/webhook"]);
    assert_eq!(code, 0);
    let deployment_rules: BTreeSet<&str> = results(&clean)
        .iter()
        .filter(|r| r["resources"][0]["kind"] == "Deployment")
        .map(|r| {
            assert_eq!(r["result"], "pass");
            r["policy"].as_str().unwrap()
        })
        .collect();
    for rule in ["K8S-002", "K8S-003", "K8S-004", "K8S-005"] {
        assert!(deployment_rules.contains(rule), "{rule}: {deployment_rules:?}");
    }
}

/// Two privileged containers (K8S-001 twice) in one Deployment, one waived rule.
const DEPLOY: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      automountServiceAccountToken: false
      securityContext: {runAsNonRoot: true}
      containers:
        - name: app
          image: ghcr.io/acme/api:1
          securityContext:
            privileged: true
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
        - name: sidecar
          image: ghcr.io/acme/sidecar:1
          securityContext:
            privileged: true
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
";

#[test]
fn findings_of_one_rule_on_one_object_are_one_result_and_waivers_skip() {
    let dir = folder(&[("deploy.yaml", DEPLOY)]);
    let path = dir.path().to_str().unwrap();
    let (docs, code) = reports(&[path]);
    assert_eq!(code, 1);
    assert_valid(&docs, &Schemas::new());
    let all = results(&docs);
    let k1: Vec<&&Value> = all.iter().filter(|r| r["policy"] == "K8S-001").collect();
    assert_eq!(k1.len(), 1);
    assert_eq!(k1[0]["result"], "fail");
    assert_eq!(k1[0]["properties"]["findings"], "2");
    let fields = k1[0]["properties"]["fields"].as_str().unwrap();
    assert!(fields.contains("containers[0].securityContext.privileged"), "{fields}");
    assert!(fields.contains("containers[1].securityContext.privileged"), "{fields}");

    // a waiver turns the result into `skip`, with the waiver's reason
    let waivers = "apiVersion: compliance/v1alpha1\nkind: Waivers\nmetadata: {name: w}\nwaivers:\n  - rule: K8S-001\n    selector: {kind: Deployment, name: api}\n    reason: The CNI agent needs it\n    owner: team-network\n    expires: 2027-01-31\n";
    std::fs::write(dir.path().join("waivers.yaml"), waivers).unwrap();
    let (docs, code) = reports(&[path]);
    assert_eq!(code, 0);
    assert_valid(&docs, &Schemas::new());
    let k1: Vec<&Value> = results(&docs)
        .into_iter()
        .filter(|r| r["policy"] == "K8S-001")
        .collect();
    assert_eq!(k1.len(), 1);
    assert_eq!(k1[0]["result"], "skip");
    assert_eq!(k1[0]["properties"]["waiver"], "The CNI agent needs it");
    assert_eq!(k1[0]["properties"]["waiverOwner"], "team-network");
    std::fs::remove_file(dir.path().join("waivers.yaml")).unwrap();

    // in the baseline: `warn`, not scored
    let base = dir.path().join("baseline.json");
    let out = compliance()
        .args(["baseline", path, "-o", base.to_str().unwrap(), "--now", NOW])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let (docs, code) = reports(&[path, "--baseline", base.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert_valid(&docs, &Schemas::new());
    let k1: Vec<&Value> = results(&docs)
        .into_iter()
        .filter(|r| r["policy"] == "K8S-001")
        .collect();
    assert_eq!(k1[0]["result"], "warn");
    assert_eq!(k1[0]["scored"], false);
}

#[test]
fn the_output_dir_has_the_policy_reports_too() {
    let out = tempfile::tempdir().unwrap();
    let code = compliance()
        .args(["check", "examples/deploy", "--now", NOW, "--output-dir"])
        .arg(out.path())
        .output()
        .unwrap()
        .status
        .code();
    assert_eq!(code, Some(1));
    let written = std::fs::read_to_string(out.path().join("report.policyreport.yaml")).unwrap();
    let (docs, _) = reports(&["examples/deploy"]);
    let again: Vec<Value> = serde_yaml::Deserializer::from_str(&written)
        .map(|d| serde_json::to_value(serde_yaml::Value::deserialize(d).unwrap()).unwrap())
        .collect();
    assert_eq!(again, docs);
}

#[test]
fn the_corpus_gives_valid_reports_under_the_size_limit() {
    // the real corpus, vendored with its licenses (tests/corpus/SOURCES.md)
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let c = corpus.to_str().unwrap();
    let (docs, _) = reports(&[c]);
    let schemas = Schemas::new();
    assert_valid(&docs, &schemas);
    let (json, _) = common::check_json(&corpus, &[]);
    let findings = json["findings"].as_array().unwrap().len() as u64;
    let all = results(&docs);
    let failing: u64 = all
        .iter()
        .filter(|r| r["result"] == "fail")
        .map(|r| findings_of(r))
        .sum();
    assert_eq!(failing, findings);
    let namespaces: BTreeSet<&str> = docs
        .iter()
        .filter_map(|d| d["metadata"]["namespace"].as_str())
        .collect();
    let passes = all.iter().filter(|r| r["result"] == "pass").count();
    eprintln!(
        "corpus: {} reports in {} namespaces, {} results ({} pass), {findings} findings",
        docs.len(),
        namespaces.len(),
        all.len(),
        passes
    );
    assert!(namespaces.len() > 1 && passes > 1000);
}

#[test]
fn the_configuration_can_ask_for_policy_reports() {
    let dir = folder(&[
        ("deploy.yaml", DEPLOY),
        (".compliance.yaml", "output:\n  format: policyreport\n"),
    ]);
    let out = compliance()
        .arg("check")
        .arg(dir.path())
        .args(["--now", NOW])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with("apiVersion: openreports.io/v1alpha1\nkind: Report\n"),
        "{text}"
    );
}
