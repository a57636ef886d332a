//! Helm charts and Kustomize overlays rendered by the real engines: Helm's (the
//! `helm-python-sdk` stand-in `scripts/helm-python-template`, or a real `helm`) and
//! kubectl's built-in kustomize. Fixtures are real files (tests/fixtures/render/SOURCES.md).
//! Without the engines these tests fail under CI (`CI=true`) and are skipped, with the
//! reason printed, elsewhere.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{check_json, folder};
use serde_json::Value;
use std::path::{Path, PathBuf};

const FIXTURES: &str = "tests/fixtures/render";

fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join(name)).find(|p| p.is_file())
}

/// A missing engine fails the test under CI and skips it elsewhere.
fn missing(what: &str) -> Option<PathBuf> {
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{what} is needed by this test under CI (.ci/run installs it)");
    }
    eprintln!("skipped: {what} is not available");
    None
}

/// `COMPLIANCE_TEST_HELM` (a helm-compatible program), else `helm` on PATH.
fn helm() -> Option<PathBuf> {
    std::env::var_os("COMPLIANCE_TEST_HELM")
        .map(PathBuf::from)
        .filter(|p| p.is_file())
        .or_else(|| on_path("helm"))
        .or_else(|| missing("helm (set COMPLIANCE_TEST_HELM to scripts/helm-python-template's wrapper)"))
}

fn kustomize_available() -> bool {
    on_path("kustomize").is_some() || on_path("kubectl").is_some() || missing("kubectl or kustomize").is_some()
}

fn findings(report: &Value) -> &Vec<Value> {
    report["findings"].as_array().unwrap()
}

fn errors(report: &Value) -> Vec<String> {
    report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| format!("{}: {}", e["file"].as_str().unwrap(), e["message"].as_str().unwrap()))
        .collect()
}

/// litellm's chart with these `templates` only, and without its subcharts (as a repository
/// that does not commit `charts/` has it), in a new folder.
fn litellm_without_subcharts(templates: &[&str]) -> tempfile::TempDir {
    let src = Path::new(FIXTURES).join("helm/litellm-helm");
    let dir = tempfile::tempdir().unwrap();
    for rel in ["Chart.yaml", "values.yaml", "templates/_helpers.tpl"]
        .iter()
        .chain(templates)
    {
        let to = dir.path().join("litellm-helm").join(rel);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(src.join(rel), to).unwrap();
    }
    dir
}

#[test]
fn a_real_chart_is_rendered_and_findings_name_its_templates() {
    let Some(helm) = helm() else { return };
    let dir = Path::new(FIXTURES).join("helm");
    let values = dir.join("ci-values.yaml");
    let (report, _) = check_json(
        &dir,
        &[
            "--no-config",
            "--exclude",
            "required-value/**",
            "--helm-bin",
            helm.to_str().unwrap(),
            "--helm-values",
            values.to_str().unwrap(),
        ],
    );
    assert_eq!(errors(&report), Vec::<String>::new());
    let root = findings(&report)
        .iter()
        .find(|f| f["rule"] == "K8S-002" && f["resource"] == "Deployment release-litellm")
        .unwrap_or_else(|| panic!("{report:#}"));
    assert_eq!(root["file"], "litellm-helm/templates/deployment.yaml");
    // the container's `securityContext:` in `helm template --show-only templates/deployment.yaml`
    assert_eq!((root["line"].as_u64(), root["column"].as_u64()), (Some(37), Some(11)));
    assert_eq!(root["rendered"]["by"], "helm");
    assert_eq!(root["rendered"]["chart"], "litellm-helm");
    assert_eq!(root["rendered"]["release"], "release");
    assert_eq!(root["rendered"]["values"][0], values.to_str().unwrap());
    // the subchart renders as part of its parent, with the parent's values
    let sub = findings(&report)
        .iter()
        .find(|f| f["rule"] == "SEC-002")
        .unwrap_or_else(|| panic!("{report:#}"));
    assert_eq!(sub["file"], "litellm-helm/charts/postgresql/templates/statefulset.yaml");
    assert_eq!(sub["resource"], "StatefulSet release-postgresql");
    // no finding on the templates as text, nor on values.yaml as a manifest
    assert!(
        findings(&report).iter().all(|f| f["rendered"]["by"] == "helm"),
        "{report:#}"
    );
}

#[test]
fn a_chart_that_fails_to_render_is_one_input_error_with_the_command() {
    let Some(helm) = helm() else { return };
    let dir = Path::new(FIXTURES).join("helm");
    let bin = helm.to_str().unwrap();
    let (report, code) = check_json(
        &dir,
        &["--no-config", "--exclude", "litellm-helm/**", "--helm-bin", bin],
    );
    assert_eq!(code, 2);
    let errs = errors(&report);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(
        errs[0].starts_with("required-value/Chart.yaml: Helm chart not rendered"),
        "{errs:?}"
    );
    assert!(
        errs[0].contains("redis.auth.username is required when redis.deploy=true"),
        "{errs:?}"
    );
    assert!(
        errs[0].contains("`helm template release tests/fixtures/render/helm/required-value | compliance check -`"),
        "{errs:?}"
    );
    // evidence not read: no control passes, each says which chart
    for c in report["checklist"].as_array().unwrap() {
        assert_ne!(c["status"], "pass", "{c}");
        assert_eq!(c["unread"][0], "required-value");
    }
    // the value it requires, given, renders it; a password given on the command line is
    // not committed, one in a values file is
    let committed = tempfile::tempdir().unwrap();
    let values = committed.path().join("values.yaml");
    std::fs::write(&values, "redis:\n  auth:\n    password: Zr8qLw2Xv9Tb4Nc7Hd3\n").unwrap();
    let render = |extra: &[&str]| {
        let mut args = vec![
            "--no-config",
            "--exclude",
            "litellm-helm/**",
            "--helm-bin",
            bin,
            "--helm-set",
            "redis.auth.username=redis-password",
            "--helm-namespace",
            "ai",
        ];
        args.extend_from_slice(extra);
        let (report, _) = check_json(&dir, &args);
        assert_eq!(errors(&report), Vec::<String>::new());
        report
    };
    let given = render(&["--helm-set", "redis.auth.password=Zr8qLw2Xv9Tb4Nc7Hd3"]);
    assert!(findings(&given).iter().all(|f| f["rule"] != "SEC-004"), "{given:#}");
    assert!(!given.to_string().contains("Zr8qLw2Xv9Tb4Nc7Hd3"));
    let report = render(&["--helm-values", values.to_str().unwrap()]);
    let f = findings(&report)
        .iter()
        .find(|f| f["rule"] == "SEC-004")
        .unwrap_or_else(|| panic!("{report:#}"));
    assert_eq!(f["file"], "required-value/templates/redis-secret.yaml");
    assert_eq!(f["resource"], "Secret ai/release-redis-auth");
    assert_eq!(f["path"], "data.redis-password");
    assert_eq!(f["rendered"]["set"], serde_json::json!(["redis.auth.username"]));
    assert!(!report.to_string().contains("Zr8qLw2Xv9Tb4Nc7Hd3"));
}

#[test]
fn missing_dependencies_are_never_fetched_and_the_chart_is_checked_without_them() {
    let Some(helm) = helm() else { return };
    let dir = litellm_without_subcharts(&[
        "templates/service.yaml",
        "templates/configmap-litellm.yaml",
        "templates/deployment.yaml",
    ]);
    let (report, code) = check_json(
        dir.path(),
        &[
            "--no-config",
            "--helm-bin",
            helm.to_str().unwrap(),
            "--helm-set",
            "keda.enabled=false",
        ],
    );
    // a chart whose dependencies are not committed is a healthy repository: no input error
    assert!(errors(&report).is_empty(), "{:?}", errors(&report));
    assert_ne!(code, 2);
    let notes: Vec<&str> = report["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["file"] == "litellm-helm/Chart.yaml")
        .map(|s| s["reason"].as_str().unwrap())
        .collect();
    assert_eq!(notes.len(), 1, "{report:#}");
    assert!(
        notes[0].starts_with("Helm chart rendered without its dependencies `postgresql`, `redis`"),
        "{notes:?}"
    );
    // the chart's own templates were rendered and checked
    assert!(
        findings(&report)
            .iter()
            .any(|f| f["file"] == "litellm-helm/templates/deployment.yaml"),
        "{report:#}"
    );
    // the subcharts were not read: no checklist control may pass on them
    let checklist = report["checklist"].as_array().unwrap();
    assert!(checklist.iter().all(|c| c["status"] != "pass"), "{checklist:#?}");
}

#[test]
fn without_helm_a_chart_is_one_error_and_its_templates_none() {
    let dir = Path::new(FIXTURES).join("helm");
    let (report, code) = check_json(&dir, &["--no-config", "--helm-bin", "/nonexistent/helm"]);
    assert_eq!(code, 2);
    let errs = errors(&report);
    assert_eq!(errs.len(), 2, "{errs:?}");
    assert!(errs[0].starts_with("litellm-helm/Chart.yaml: Helm chart not rendered, its objects are not checked: `helm template` was not found"), "{errs:?}");
    assert!(findings(&report).is_empty(), "{report:#}");
    let (report, _) = check_json(&dir, &["--no-config", "--no-render"]);
    assert!(errors(&report).iter().all(|e| e.contains("rendering is switched off")));
}

#[test]
fn kustomize_patches_are_fragments_and_remote_bases_are_refused() {
    if !kustomize_available() {
        return;
    }
    let dir = Path::new(FIXTURES).join("kustomize");
    for extra in [&[][..], &["--no-render"][..]] {
        let (report, code) = check_json(&dir, &[&["--no-config"][..], extra].concat());
        assert_eq!(code, 2);
        let errs = errors(&report);
        assert!(errs.iter().any(|e| e.starts_with("remote/kustomization.yaml: Kustomize overlay not rendered")
            && e.contains("names a remote base `https://github.com/argoproj/argo-cd//manifests/cluster-install?ref=v2.9.0`")), "{errs:?}");
        // argo-cd's patch is part of a Deployment, not one: never judged, never an error
        let patch = "ha/argocd-repo-server-deployment.yaml";
        assert!(findings(&report).iter().all(|f| f["file"] != patch), "{report:#}");
        assert!(report["errors"].as_array().unwrap().iter().all(|e| e["file"] != patch));
    }
    let (report, _) = check_json(&dir, &["--no-config"]);
    assert_eq!(errors(&report).len(), 1);
    // the patched Deployment was checked, once
    let examined: Vec<&str> = report["checklist"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["examined"].as_array().unwrap().iter().filter_map(Value::as_str))
        .collect();
    assert!(examined.contains(&"Deployment argocd-repo-server"), "{examined:?}");
}

#[test]
fn kustomize_findings_point_at_the_resource_file_once() {
    if !kustomize_available() {
        return;
    }
    let deployment = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  selector:\n    matchLabels: {app: api}\n  template:\n    metadata:\n      labels: {app: api}\n    spec:\n      containers:\n        - name: api\n          image: example/api:1\n";
    let dir = folder(&[
        ("base/kustomization.yaml", "resources:\n  - deployment.yaml\n"),
        ("base/deployment.yaml", deployment),
        (
            "prod/kustomization.yaml",
            "resources:\n  - ../base\nnamePrefix: prod-\nnamespace: shop\npatches:\n  - path: replicas.yaml\n",
        ),
        (
            "prod/replicas.yaml",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  replicas: 3\n",
        ),
    ]);
    let (report, _) = check_json(dir.path(), &["--no-config"]);
    assert_eq!(errors(&report), Vec::<String>::new());
    let k2: Vec<&Value> = findings(&report).iter().filter(|f| f["rule"] == "K8S-002").collect();
    assert_eq!(k2.len(), 1, "{report:#}");
    assert_eq!(k2[0]["file"], "base/deployment.yaml");
    assert_eq!(k2[0]["resource"], "Deployment shop/prod-api");
    assert_eq!(k2[0]["rendered"]["by"], "kustomize");
    assert_eq!(k2[0]["rendered"]["kustomization"], "prod");
    let text = common::compliance()
        .arg("check")
        .arg(dir.path())
        .arg("--no-config")
        .output()
        .unwrap();
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(
        text.contains("    rendered: by kustomize from `prod` (the line is in its rendered output)\n"),
        "{text}"
    );
    // a kustomize that fails leaves the resources checked as written, once
    let bad = folder(&[
        (
            "base/kustomization.yaml",
            "resources:\n  - deployment.yaml\n  - missing.yaml\n",
        ),
        ("base/deployment.yaml", deployment),
    ]);
    let (report, code) = check_json(bad.path(), &["--no-config"]);
    assert_eq!(code, 2);
    let errs = errors(&report);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(
        errs[0].starts_with("base/kustomization.yaml: Kustomize overlay not rendered"),
        "{errs:?}"
    );
    assert!(errs[0].contains("| compliance check -`"), "{errs:?}");
    let k2: Vec<&Value> = findings(&report).iter().filter(|f| f["rule"] == "K8S-002").collect();
    assert_eq!(k2.len(), 1);
    assert_eq!(k2[0]["file"], "base/deployment.yaml");
    assert!(k2[0].get("rendered").is_none());
}

#[test]
fn secret_values_generated_at_install_are_not_committed_key_material() {
    let Some(helm) = helm() else { return };
    let dir = litellm_without_subcharts(&["templates/secret-masterkey.yaml"]);
    let sec004 = |extra: &[&str]| -> Vec<Value> {
        let mut args = vec!["--no-config", "--helm-bin", helm.to_str().unwrap()];
        args.extend_from_slice(extra);
        let (report, _) = check_json(dir.path(), &args);
        assert!(errors(&report).is_empty(), "{:?}", errors(&report));
        findings(&report)
            .iter()
            .filter(|f| f["rule"] == "SEC-004")
            .cloned()
            .collect()
    };
    // the chart's default: `randAlphaNum 17` at install time, never in the repository
    assert_eq!(sec004(&[]), Vec::<Value>::new());
    // a master key committed in a values file is in every clone
    let values = dir.path().join("prod-values.yaml");
    std::fs::write(&values, "masterkey: sk-proj-Q7vT2mXk9LpR4sW8nYzB3cJ6hF1dG5aE0uK\n").unwrap();
    let committed = sec004(&["--helm-values", values.to_str().unwrap()]);
    assert_eq!(committed.len(), 1, "{committed:#?}");
    assert_eq!(committed[0]["file"], "litellm-helm/templates/secret-masterkey.yaml");
    assert_eq!(committed[0]["path"], "data.masterkey");
}
