//! `charts/compliance-webhook`, rendered by the real Helm engine (`COMPLIANCE_TEST_HELM`, the
//! `helm-python-sdk` stand-in `scripts/helm-python-template`, or `helm` on PATH) with the
//! default values and the two variants in `charts/compliance-webhook/ci/`: the HA defaults,
//! Pod Security `restricted`, `compliance check` on the output (and on the chart itself),
//! and agreement with `compliance webhook manifests`. Without an engine these tests fail
//! under CI (`CI=true`) and are skipped, with the reason printed, elsewhere.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{check_json, compliance};
use compliance::webhook::manifests::{self, Params};
use serde::Deserialize;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Command;

const CHART: &str = "charts/compliance-webhook";

fn helm() -> Option<PathBuf> {
    let on_path = || {
        std::env::split_paths(&std::env::var_os("PATH")?)
            .map(|d| d.join("helm"))
            .find(|p| p.is_file())
    };
    let found = std::env::var_os("COMPLIANCE_TEST_HELM")
        .map(PathBuf::from)
        .filter(|p| p.is_file())
        .or_else(on_path);
    if found.is_none() {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("helm is needed by this test under CI (set COMPLIANCE_TEST_HELM)");
        }
        eprintln!("skipped: helm is not available (set COMPLIANCE_TEST_HELM)");
    }
    found
}

fn documents(text: &str) -> Vec<Value> {
    serde_yaml::Deserializer::from_str(text)
        .map(|d| serde_json::to_value(serde_yaml::Value::deserialize(d).unwrap()).unwrap())
        .filter(|v: &Value| !v.is_null())
        .collect()
}

/// `helm template RELEASE CHART -n NS ARGS...`: the YAML text.
fn template(helm: &Path, release: &str, namespace: &str, args: &[&str]) -> String {
    let out = Command::new(helm)
        .args(["template", release, CHART, "-n", namespace])
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn variant(name: &str) -> String {
    format!("{CHART}/ci/{name}-values.yaml")
}

fn find<'a>(docs: &'a [Value], kind: &str, name: &str) -> &'a Value {
    docs.iter()
        .find(|d| d["kind"] == kind && d["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {kind} {name}"))
}

fn has(docs: &[Value], kind: &str) -> bool {
    docs.iter().any(|d| d["kind"] == kind)
}

/// Pod Security Standards, `restricted` profile, on every pod template: what the API
/// server's PodSecurity admission would refuse in a `restricted` namespace.
fn assert_restricted(docs: &[Value]) {
    let mut pods = 0;
    for d in docs.iter().filter(|d| d["kind"] == "Deployment") {
        let pod = &d["spec"]["template"]["spec"];
        pods += 1;
        for host in ["hostNetwork", "hostPID", "hostIPC"] {
            assert!(pod.get(host).is_none_or(|v| v == false), "{host}");
        }
        assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
        assert_ne!(pod["securityContext"]["runAsUser"], 0);
        assert_eq!(pod["securityContext"]["seccompProfile"]["type"], "RuntimeDefault");
        for v in pod["volumes"].as_array().unwrap() {
            assert!(v.get("secret").is_some() || v.get("emptyDir").is_some(), "{v}");
        }
        for c in pod["containers"].as_array().unwrap() {
            let sc = &c["securityContext"];
            assert_eq!(sc["allowPrivilegeEscalation"], false);
            assert_eq!(sc["readOnlyRootFilesystem"], true);
            assert_eq!(sc["capabilities"]["drop"], json!(["ALL"]));
            assert!(sc["capabilities"].get("add").is_none());
            assert!(sc.get("privileged").is_none_or(|v| v == false));
            assert!(c
                .get("ports")
                .unwrap()
                .as_array()
                .unwrap()
                .iter()
                .all(|p| p.get("hostPort").is_none()));
        }
    }
    assert_eq!(pods, 1);
}

/// `compliance check` on the rendered objects: every object read, no finding, no error,
/// exit 0.
fn assert_checks_clean(text: &str) {
    let dir = common::folder(&[("rendered.yaml", text)]);
    let (report, code) = check_json(dir.path(), &["--no-config"]);
    assert_eq!(report["findings"], json!([]), "{report:#}");
    assert_eq!(report["errors"], json!([]), "{report:#}");
    assert_eq!(code, 0);
    assert_eq!(
        report["summary"]["resources"].as_u64(),
        Some(documents(text).len() as u64)
    );
}

#[test]
fn the_defaults_are_highly_available_and_fail_closed() {
    let Some(helm) = helm() else { return };
    let text = template(&helm, "compliance-webhook", "compliance-system", &[]);
    let docs = documents(&text);
    assert_restricted(&docs);
    assert_checks_clean(&text);
    let name = "compliance-webhook";
    let deploy = find(&docs, "Deployment", name);
    assert_eq!(deploy["spec"]["replicas"], 3);
    let pod = &deploy["spec"]["template"]["spec"];
    assert_eq!(pod["priorityClassName"], "system-cluster-critical");
    let anti = &pod["affinity"]["podAntiAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"][0];
    assert_eq!(anti["podAffinityTerm"]["topologyKey"], "kubernetes.io/hostname");
    assert_eq!(
        anti["podAffinityTerm"]["labelSelector"]["matchLabels"],
        deploy["spec"]["selector"]["matchLabels"]
    );
    // the memory bound of docs/security.md, requested in full
    let res = &pod["containers"][0]["resources"];
    assert_eq!(res["limits"]["memory"], "256Mi");
    assert_eq!(res["requests"]["memory"], "256Mi");
    assert_eq!(pod["containers"][0]["image"], "ghcr.io/example/compliance:0.1.0");
    assert_eq!(pod["volumes"][0]["secret"]["secretName"], "compliance-webhook-tls");
    let pdb = find(&docs, "PodDisruptionBudget", name);
    assert_eq!(pdb["spec"]["minAvailable"], 1);
    assert_eq!(pdb["spec"]["selector"], deploy["spec"]["selector"]);
    // only the webhook's port is open, and nothing goes out
    let np = find(&docs, "NetworkPolicy", name);
    assert_eq!(
        np["spec"]["ingress"],
        json!([{"ports": [{"port": 8443, "protocol": "TCP"}]}])
    );
    assert_eq!(np["spec"]["egress"], json!([]));
    assert_eq!(np["spec"]["policyTypes"], json!(["Ingress", "Egress"]));
    // the webhook: fail closed, 5 s, neither kube-system nor its own namespace
    let vwc = find(&docs, "ValidatingWebhookConfiguration", name);
    let hook = &vwc["webhooks"][0];
    assert_eq!(hook["failurePolicy"], "Fail");
    assert_eq!(hook["timeoutSeconds"], 5);
    assert_eq!(
        hook["namespaceSelector"]["matchExpressions"][0]["values"],
        json!(["kube-system", "compliance-system"])
    );
    assert_eq!(
        vwc["metadata"]["annotations"]["cert-manager.io/inject-ca-from"],
        "compliance-system/compliance-webhook"
    );
    // cert-manager: a self-signed Issuer and the Certificate for the Service's names
    let cert = find(&docs, "Certificate", name);
    assert_eq!(
        cert["spec"]["issuerRef"],
        json!({"name": "compliance-webhook-selfsigned", "kind": "Issuer"})
    );
    assert_eq!(cert["spec"]["secretName"], "compliance-webhook-tls");
    assert_eq!(cert["spec"]["dnsNames"][0], "compliance-webhook.compliance-system.svc");
    find(&docs, "Issuer", "compliance-webhook-selfsigned");
    // metrics: a Service on the webhook's HTTPS port; no ServiceMonitor unless asked
    let metrics = find(&docs, "Service", "compliance-webhook-metrics");
    assert_eq!(metrics["spec"]["ports"][0]["targetPort"], "https");
    assert!(!has(&docs, "ServiceMonitor"));
}

#[test]
fn a_provided_secret_required_anti_affinity_and_a_service_monitor() {
    let Some(helm) = helm() else { return };
    let text = template(
        &helm,
        "compliance-webhook",
        "compliance-system",
        &["-f", &variant("hardened")],
    );
    let docs = documents(&text);
    assert_restricted(&docs);
    assert_checks_clean(&text);
    let name = "compliance-webhook";
    assert!(!has(&docs, "Certificate") && !has(&docs, "Issuer"));
    let pod = &find(&docs, "Deployment", name)["spec"]["template"]["spec"];
    assert_eq!(find(&docs, "Deployment", name)["spec"]["replicas"], 5);
    assert_eq!(pod["volumes"][0]["secret"]["secretName"], "compliance-webhook-serving");
    assert!(pod["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"].is_array());
    let c = &pod["containers"][0];
    assert!(c["image"]
        .as_str()
        .unwrap()
        .ends_with("@sha256:4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945"));
    let args: Vec<&str> = c["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert!(args.contains(&"--mode=audit"));
    assert!(args.contains(&"--exclude-namespace=monitoring") && args.contains(&"--exclude-namespace=cert-manager"));
    let vwc = find(&docs, "ValidatingWebhookConfiguration", name);
    assert!(vwc["metadata"].get("annotations").is_none());
    let hook = &vwc["webhooks"][0];
    assert_eq!(
        hook["clientConfig"]["caBundle"],
        "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg=="
    );
    assert_eq!(hook["failurePolicy"], "Ignore");
    assert_eq!(hook["timeoutSeconds"], 3);
    assert_eq!(
        hook["namespaceSelector"]["matchExpressions"][0]["values"],
        json!(["kube-system", "compliance-system", "monitoring", "cert-manager"])
    );
    let sm = find(&docs, "ServiceMonitor", name);
    assert_eq!(sm["metadata"]["labels"]["release"], "kube-prometheus-stack");
    let ep = &sm["spec"]["endpoints"][0];
    assert_eq!(
        (ep["port"].as_str(), ep["scheme"].as_str()),
        (Some("https-metrics"), Some("https"))
    );
    assert_eq!(ep["tlsConfig"]["ca"]["secret"]["name"], "compliance-webhook-serving");
    // the metrics Service carries the label the ServiceMonitor selects
    let metrics = find(&docs, "Service", "compliance-webhook-metrics");
    for (k, v) in sm["spec"]["selector"]["matchLabels"].as_object().unwrap() {
        assert_eq!(&metrics["metadata"]["labels"][k], v, "{k}");
    }
    let np = find(&docs, "NetworkPolicy", name);
    assert_eq!(
        np["spec"]["ingress"][0]["from"],
        json!([{"ipBlock": {"cidr": "10.0.0.0/28"}}])
    );
    assert_eq!(
        np["spec"]["ingress"][0]["ports"],
        json!([{"port": 8443, "protocol": "TCP"}])
    );
}

#[test]
fn an_organisation_issuer_without_metrics_or_network_policy() {
    let Some(helm) = helm() else { return };
    let text = template(&helm, "gate", "policy", &["-f", &variant("issuer")]);
    let docs = documents(&text);
    assert_restricted(&docs);
    assert_checks_clean(&text);
    // another release name and namespace: every name follows
    let name = "gate-compliance-webhook";
    let cert = find(&docs, "Certificate", name);
    assert_eq!(
        cert["spec"]["issuerRef"],
        json!({"name": "corp-ca", "kind": "ClusterIssuer", "group": "cert-manager.io"})
    );
    assert_eq!(cert["spec"]["dnsNames"][0], "gate-compliance-webhook.policy.svc");
    assert!(!has(&docs, "Issuer") && !has(&docs, "NetworkPolicy"));
    assert!(docs
        .iter()
        .all(|d| d["metadata"]["name"] != "gate-compliance-webhook-metrics"));
    assert_eq!(find(&docs, "PodDisruptionBudget", name)["spec"]["maxUnavailable"], 1);
    let pod = &find(&docs, "Deployment", name)["spec"]["template"]["spec"];
    assert!(pod.get("priorityClassName").is_none());
    let hook = &find(&docs, "ValidatingWebhookConfiguration", name)["webhooks"][0];
    assert_eq!(hook["clientConfig"]["service"]["namespace"], "policy");
    assert_eq!(
        hook["namespaceSelector"]["matchExpressions"][0]["values"],
        json!(["kube-system", "policy"])
    );
}

#[test]
fn the_restricted_check_notices_a_weaker_pod() {
    let Some(helm) = helm() else { return };
    let docs = documents(&template(&helm, "compliance-webhook", "compliance-system", &[]));
    let weaken: [fn(&mut Value); 4] = [
        |pod| pod["containers"][0]["securityContext"]["allowPrivilegeEscalation"] = json!(true),
        |pod| pod["securityContext"]["seccompProfile"]["type"] = json!("Unconfined"),
        |pod| pod["hostNetwork"] = json!(true),
        |pod| pod["volumes"][0] = json!({"name": "tls", "hostPath": {"path": "/etc"}}),
    ];
    for change in weaken {
        let mut docs = docs.clone();
        let d = docs.iter_mut().find(|d| d["kind"] == "Deployment").unwrap();
        change(&mut d["spec"]["template"]["spec"]);
        let caught = std::panic::catch_unwind(|| assert_restricted(&docs));
        assert!(caught.is_err());
    }
}

#[test]
fn values_that_would_break_the_install_are_refused() {
    let Some(helm) = helm() else { return };
    for (set, says) in [
        ("mode=block", "mode `block`"),
        ("failurePolicy=fail", "failurePolicy `fail`"),
        ("timeoutSeconds=31", "timeoutSeconds `31`"),
        ("certificates.certManager.enabled=false", "certificates.caBundle"),
    ] {
        let out = Command::new(&helm)
            .args([
                "template",
                "compliance-webhook",
                CHART,
                "-n",
                "compliance-system",
                "--set",
                set,
            ])
            .output()
            .unwrap();
        assert!(!out.status.success(), "{set} was accepted");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{set}: {err}");
    }
}

#[test]
fn compliance_renders_the_chart_itself_and_finds_nothing() {
    let Some(helm) = helm() else { return };
    let (report, code) = check_json(
        Path::new("charts"),
        &["--no-config", "--helm-bin", helm.to_str().unwrap()],
    );
    assert_eq!(report["errors"], json!([]), "{report:#}");
    assert_eq!(report["findings"], json!([]), "{report:#}");
    assert_eq!(code, 0);
    // the chart's objects were judged, not its templates as text
    assert!(report["summary"]["resources"].as_u64().unwrap() >= 9, "{report:#}");
}

/// Is every field of `a` in `b` with the same value (maps may have more keys in `b`;
/// lists have the same length, item by item)? The path of the first difference.
fn within(a: &Value, b: &Value, at: &str) -> Result<(), String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => x.iter().try_for_each(|(k, v)| match y.get(k) {
            Some(w) => within(v, w, &format!("{at}.{k}")),
            None => Err(format!("{at}.{k} is missing")),
        }),
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .try_for_each(|(i, (v, w))| within(v, w, &format!("{at}[{i}]"))),
        _ if a == b => Ok(()),
        _ => Err(format!("{at}: {a} != {b}")),
    }
}

/// `compliance webhook manifests` and the chart make the same objects: every field the
/// manifests set, the chart sets to the same value; the chart adds labels, the metrics
/// Service and `imagePullPolicy`, and leaves the Namespace to `helm --create-namespace`.
fn assert_agree(params: &Params, chart: &[Value]) {
    let ours = documents(&manifests::render_stream(params).unwrap());
    let mut matched = Vec::new();
    for o in ours.iter().filter(|o| o["kind"] != "Namespace") {
        let (kind, name) = (o["kind"].as_str().unwrap(), o["metadata"]["name"].as_str().unwrap());
        let c = find(chart, kind, name);
        within(o, c, &format!("{kind} {name}")).unwrap_or_else(|e| panic!("the chart differs: {e}"));
        matched.push((kind, name));
    }
    let extra: Vec<String> = chart
        .iter()
        .map(|c| (c["kind"].as_str().unwrap(), c["metadata"]["name"].as_str().unwrap()))
        .filter(|k| !matched.contains(k))
        .map(|(k, n)| format!("{k} {n}"))
        .collect();
    assert_eq!(extra, [format!("Service {}-metrics", params.name)]);
}

#[test]
fn the_chart_and_webhook_manifests_agree() {
    let Some(helm) = helm() else { return };
    let defaults = Params::default();
    assert_eq!(defaults.replicas, 3);
    let chart = documents(&template(&helm, &defaults.name, &defaults.namespace, &[]));
    assert_agree(&defaults, &chart);
    // and with every parameter changed
    let params = Params {
        namespace: "policy".into(),
        name: "gate".into(),
        image: "registry.local/compliance:1.2.3".into(),
        mode: "warn".into(),
        failure_policy: "Ignore".into(),
        replicas: 4,
        timeout_seconds: 10,
    };
    let chart = documents(&template(
        &helm,
        "release",
        "policy",
        &[
            "--set",
            "fullnameOverride=gate,image.repository=registry.local/compliance,image.tag=1.2.3",
            "--set",
            "mode=warn,failurePolicy=Ignore,replicas=4,timeoutSeconds=10",
        ],
    ));
    assert_agree(&params, &chart);
    // the command line's output is the library's
    let out = compliance().args(["webhook", "manifests"]).output().unwrap();
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        manifests::render_stream(&defaults).unwrap()
    );
}

#[test]
fn the_agreement_check_notices_a_difference() {
    let a = json!({"spec": {"replicas": 3, "template": {"args": ["--mode=deny"]}}});
    assert!(within(
        &a,
        &json!({"spec": {"replicas": 3, "x": 1, "template": {"args": ["--mode=deny"]}}}),
        ""
    )
    .is_ok());
    assert!(within(
        &a,
        &json!({"spec": {"replicas": 2, "template": {"args": ["--mode=deny"]}}}),
        ""
    )
    .is_err());
    assert!(within(
        &a,
        &json!({"spec": {"replicas": 3, "template": {"args": ["--mode=deny", "-v"]}}}),
        ""
    )
    .is_err());
    assert!(within(&a, &json!({"spec": {"template": {"args": ["--mode=deny"]}}}), "").is_err());
}
