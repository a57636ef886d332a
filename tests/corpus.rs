//! The real corpus (tests/corpus, vendored with its licenses: manifests from checkov, kube-linter, kube-score,
//! polaris, kubernetes/examples and microservices-demo) loads without a panic, and the
//! only input errors are the files that are genuinely invalid.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use compliance::check::{self, Options};
use std::collections::BTreeSet;
use std::path::PathBuf;

/// Files that are not valid Kubernetes objects: malformed fixtures of other checkers,
/// duplicate keys, wrong types. Each was looked at by hand.
const INVALID: &[&str] = &[
    "checkov/tests/kubernetes/checks/example_AllowPrivilegeEscalation/pod-runas1000-malformed-PASSED.yaml",
    "checkov/tests/kubernetes/checks/example_DockerSocketVolume/scope-2PASSED-1FAILED.yaml",
    "checkov/tests/kubernetes/checks/example_DockerSocketVolume/scope-UNKNOWN.yaml",
    "checkov/tests/kubernetes/checks/example_Requests_Limits/pod-requests-limits-UNKNOWN.yaml",
    "checkov/tests/kubernetes/checks/example_Requests_Limits/pod-requests-limits-UNKNOWN2.yaml",
    "checkov/tests/kubernetes/checks/example_RootContainers/rootContainersFAILED-malformed-spec.yaml",
    "checkov/tests/kubernetes/checks/example_RootContainers/rootContainersFAILED.yaml",
    "checkov/tests/kubernetes/checks/example_RootContainers/rootContainersFAILED_2.yaml",
    "checkov/tests/kubernetes/checks/example_RootContainers/rootContainersUNKNOWN.yaml",
    "checkov/tests/kubernetes/checks/example_RootContainersHighUID/rootContainersHighUIDFAILED.yaml",
    "checkov/tests/kubernetes/checks/example_RootContainersHighUID/rootContainersHighUIDUNKNOWN.yaml",
    "checkov/tests/kubernetes/checks/example_Seccomp/pod-seccomp-FAILED2.yaml",
    "checkov/tests/kubernetes/checks/example_Secrets/pod-secretsEnvironment-UNKNOWN.yaml",
    "checkov/tests/kubernetes/checks/example_SecurityContexts/pod-container-FAILED_malformed_spec.yaml",
    "checkov/tests/kubernetes/checks/example_ServiceAccountTokens/ServiceAccountTokensUNKNOWN.yaml",
    "checkov/tests/kubernetes/graph/resources/faulty_resources/incompatible_selector.yaml",
    "examples/_archived/openshift-origin/etcd-controller.yaml",
    "examples/_archived/openshift-origin/etcd-discovery-controller.yaml",
    "examples/_archived/openshift-origin/openshift-controller.yaml",
    "examples/_archived/persistent-volume-provisioning/quobyte/quobyte-admin-secret.yaml",
    "examples/_archived/volumes/fibre_channel/fc.yaml",
    "examples/_archived/volumes/scaleio/sc-pvc.yaml",
    "kube-linter/pkg/templates/kubeconform/testdata/demonset.yaml",
    "kube-linter/pkg/templates/sortedkeys/testdata/configmap-merge-unsorted.yaml",
    "kube-linter/tests/checks/cel.yml",
    "kube-score/parser/testdata/invalid-yaml.yaml",
];

fn corpus() -> PathBuf {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    assert!(p.is_dir(), "the vendored corpus is missing at {}", p.display());
    p
}

#[test]
fn the_whole_corpus_loads_and_only_invalid_files_error() {
    let opts = Options::new(vec![corpus()], check::parse_now("2026-11-24T00:00:00Z").unwrap());
    let report = check::run(&opts, None).unwrap();
    let got: BTreeSet<&str> = report.errors.iter().map(|e| e.file.as_str()).collect();
    let want: BTreeSet<&str> = INVALID.iter().copied().collect();
    assert_eq!(got, want, "errors: {:#?}", report.errors);
    // every error names a line
    assert!(report.errors.iter().all(|e| e.line.is_some()), "{:#?}", report.errors);
    assert!(report.summary.files >= 1300, "{:?}", report.summary);
    assert!(report.summary.resources >= 2000, "{:?}", report.summary);
    // the corpus is full of checker fixtures: every workload rule fires somewhere
    for rule in [
        "K8S-001", "K8S-002", "K8S-003", "K8S-004", "K8S-005", "RBAC-001", "RBAC-002", "SEC-002", "SEC-004", "TLS-001",
    ] {
        assert!(report.findings.iter().any(|f| f.rule == rule), "{rule} never fired");
    }
    // every finding points inside its file
    for f in &report.findings {
        let text = std::fs::read_to_string(corpus().join(&f.file)).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let line = lines
            .get(f.line as usize - 1)
            .unwrap_or_else(|| panic!("{f:?} beyond the end"));
        assert!((f.column as usize) <= line.chars().count() + 1, "{f:?}: {line}");
    }
}
