//! Waivers end to end: each path (valid, expired, unused, malformed, annotation form,
//! external `--waivers` file) through the command line, with exit codes and every report
//! format. The data-driven cases in tests/cases/waivers/ cover the matching in detail.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use common::{check_json, compliance, folder, NOW};

use predicates::prelude::*;
use serde_json::Value;
use std::path::Path;

/// One privileged container: K8S-001 (high) at line 17, K8S-003 (medium) at line 18.
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
";

fn waivers(expires: &str, selector: &str) -> String {
    format!(
        "apiVersion: compliance/v1alpha1\nkind: Waivers\nmetadata: {{name: w}}\nwaivers:\n  - rule: K8S-001\n    selector: {selector}\n    reason: The CNI agent needs the host network\n    owner: team-network\n    expires: {expires}\n"
    )
}

fn rules(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let f = f.get("finding").unwrap_or(f);
            format!("{}@{}", f["rule"].as_str().unwrap(), f["line"])
        })
        .collect()
}

#[test]
fn without_a_waiver_the_privileged_container_fails_the_run() {
    let dir = folder(&[("deploy.yaml", DEPLOY)]);
    let (r, code) = check_json(dir.path(), &[]);
    assert_eq!(code, 1);
    assert_eq!(rules(&r["findings"]), ["K8S-001@17", "K8S-003@18"]);
    assert_eq!(r["summary"]["waived"], 0);
    assert_eq!(r["waived"], serde_json::json!([]));
    assert_eq!(r["waivers"], serde_json::json!([]));
    assert_eq!(r["baseline"], Value::Null);
}

#[test]
fn valid_waiver_moves_the_finding_to_waived_and_the_exit_code_drops() {
    let dir = folder(&[
        ("deploy.yaml", DEPLOY),
        (
            "waivers.yaml",
            &waivers("2027-01-31", "{kind: Deployment, namespace: shop, name: api}"),
        ),
    ]);
    let (r, code) = check_json(dir.path(), &[]);
    assert_eq!(code, 0, "{r:#}");
    assert_eq!(rules(&r["findings"]), ["K8S-003@18"]);
    assert_eq!(rules(&r["waived"]), ["K8S-001@17"]);
    assert_eq!(r["summary"]["findings"], 1);
    assert_eq!(r["summary"]["waived"], 1);
    assert_eq!(r["summary"]["bySeverity"]["high"], 0);
    assert_eq!(r["summary"]["failed"], false);
    let w = &r["waived"][0]["waiver"];
    assert_eq!(w["source"], "document");
    assert_eq!(
        (w["file"].as_str(), w["line"].as_u64()),
        (Some("waivers.yaml"), Some(5))
    );
    assert_eq!(w["owner"], "team-network");
    assert_eq!(w["expires"], "2027-01-31");
    let s = &r["waivers"][0];
    assert_eq!((s["status"].as_str(), s["matched"].as_u64()), (Some("active"), Some(1)));
    assert_eq!(s["selector"]["kind"], "Deployment");

    compliance()
        .arg("check")
        .arg(dir.path())
        .args(["--now", NOW])
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "1 waived by 1 active waiver; 0 expired, 0 unused.",
        ))
        .stdout(predicate::str::contains("K8S-001").not());
}

#[test]
fn a_waiver_expiring_today_still_waives() {
    let dir = folder(&[
        ("deploy.yaml", DEPLOY),
        ("waivers.yaml", &waivers("2026-11-24", "{name: api}")),
    ]);
    let (r, code) = check_json(dir.path(), &[]);
    assert_eq!(code, 0, "{r:#}");
    assert_eq!(r["waivers"][0]["status"], "active");
}

#[test]
fn expired_waiver_keeps_the_finding_and_is_reported_as_expired() {
    let dir = folder(&[
        ("deploy.yaml", DEPLOY),
        ("waivers.yaml", &waivers("2026-11-23", "{name: api}")),
    ]);
    let (r, code) = check_json(dir.path(), &[]);
    assert_eq!(code, 1, "an expired waiver waives nothing");
    assert_eq!(rules(&r["findings"]), ["K8S-001@17", "K8S-003@18"]);
    assert_eq!(r["summary"]["waived"], 0);
    let s = &r["waivers"][0];
    assert_eq!(
        (s["status"].as_str(), s["matched"].as_u64()),
        (Some("expired"), Some(1))
    );

    compliance()
        .arg("check")
        .arg(dir.path())
        .args(["--now", NOW])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "warning: waivers.yaml:5:5: waiver expired on 2026-11-23: no longer waives K8S-001 (1 finding reported again) (owner: team-network)",
        ))
        .stdout(predicate::str::contains("0 waived by 0 active waivers; 1 expired, 0 unused."));
}

#[test]
fn unused_waiver_is_reported_and_does_not_change_the_exit_code() {
    let dir = folder(&[
        ("deploy.yaml", DEPLOY),
        ("waivers.yaml", &waivers("2027-01-31", "{namespace: payments}")),
    ]);
    let (r, code) = check_json(dir.path(), &[]);
    assert_eq!(code, 1);
    assert_eq!(rules(&r["findings"]), ["K8S-001@17", "K8S-003@18"]);
    let s = &r["waivers"][0];
    assert_eq!((s["status"].as_str(), s["matched"].as_u64()), (Some("unused"), Some(0)));

    // on a clean run an unused waiver is still shown, and still exits 0
    let clean = folder(&[("waivers.yaml", &waivers("2027-01-31", "{namespace: payments}"))]);
    compliance()
        .arg("check")
        .arg(clean.path())
        .args(["--now", NOW])
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "warning: waivers.yaml:5:5: waiver unused: no K8S-001 finding matched it",
        ));
}

#[test]
fn malformed_waiver_is_an_input_error_with_its_line() {
    let no_reason =
        waivers("2027-01-31", "{name: api}").replace("    reason: The CNI agent needs the host network\n", "");
    let dir = folder(&[("deploy.yaml", DEPLOY), ("waivers.yaml", &no_reason)]);
    let (r, code) = check_json(dir.path(), &[]);
    assert_eq!(code, 2);
    let e = &r["errors"][0];
    assert_eq!(
        (e["file"].as_str(), e["line"].as_u64()),
        (Some("waivers.yaml"), Some(5))
    );
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("\"reason\" is a required property"),
        "{e}"
    );
    // the document is rejected whole: nothing is waived
    assert_eq!(rules(&r["findings"]), ["K8S-001@17", "K8S-003@18"]);

    let no_expiry = waivers("2027-01-31", "{name: api}").replace("    expires: 2027-01-31\n", "");
    let dir = folder(&[("deploy.yaml", DEPLOY), ("waivers.yaml", &no_expiry)]);
    let (r, code) = check_json(dir.path(), &[]);
    assert_eq!(code, 2);
    assert!(
        r["errors"][0]["message"].as_str().unwrap().contains("\"expires\""),
        "{r:#}"
    );
}

#[test]
fn annotation_waives_its_rule_on_its_object() {
    let annotated = DEPLOY.replace(
        "  namespace: shop\n",
        "  namespace: shop\n  annotations:\n    compliance/waive.K8S-001: \"reason=CNI agent; owner=team-network; expires=2027-01-31\"\n",
    );
    let dir = folder(&[("deploy.yaml", &annotated)]);
    let (r, code) = check_json(dir.path(), &[]);
    assert_eq!(code, 0, "{r:#}");
    assert_eq!(rules(&r["findings"]), ["K8S-003@20"]);
    assert_eq!(rules(&r["waived"]), ["K8S-001@19"]);
    let s = &r["waivers"][0];
    assert_eq!(s["source"], "annotation");
    assert_eq!(
        (s["file"].as_str(), s["line"].as_u64(), s["column"].as_u64()),
        (Some("deploy.yaml"), Some(7), Some(5))
    );
    assert_eq!(s["selector"]["name"], "api");
    assert_eq!(s["reason"], "CNI agent");
}

#[test]
fn malformed_annotation_is_an_input_error_at_the_annotation() {
    let annotated = DEPLOY.replace(
        "  namespace: shop\n",
        "  namespace: shop\n  annotations:\n    team: shop\n    compliance/waive.K8S-001: \"reason=CNI agent; expires=2027-01-31\"\n",
    );
    let dir = folder(&[("deploy.yaml", &annotated)]);
    let out = compliance()
        .arg("check")
        .arg(dir.path())
        .args(["--now", NOW])
        .assert()
        .code(2)
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.contains("error: deploy.yaml:8:5: waiver annotation `compliance/waive.K8S-001` on Deployment shop/api: missing `owner`"),
        "{text}"
    );
    assert!(text.contains("high K8S-001"), "the finding is not waived: {text}");
}

#[test]
fn external_waiver_file_waives_manifests_outside_its_folder() {
    let checked = folder(&[("vendor/chart/deploy.yaml", DEPLOY), ("app/readme.txt", "hello\n")]);
    let elsewhere = folder(&[("team-waivers.yaml", &waivers("2027-01-31", "{file: \"vendor/**\"}"))]);
    let file = elsewhere.path().join("team-waivers.yaml");
    let given = file.to_str().unwrap();
    // without it the vendored chart fails the run
    assert_eq!(check_json(checked.path(), &[]).1, 1);
    let (r, code) = check_json(checked.path(), &["--waivers", given]);
    assert_eq!(code, 0, "{r:#}");
    assert_eq!(rules(&r["waived"]), ["K8S-001@17"]);
    let s = &r["waivers"][0];
    assert_eq!(s["source"], "external");
    assert_eq!((s["file"].as_str(), s["line"].as_u64()), (Some(given), Some(5)));
    assert_eq!(s["selector"]["file"], "vendor/**");
}

#[test]
fn errors_in_an_external_waiver_file_are_input_errors_under_the_name_given() {
    let checked = folder(&[("deploy.yaml", DEPLOY)]);
    let elsewhere = folder(&[
        ("bad.yaml", &waivers("2027-13-01", "{name: api}")),
        ("deploy.yaml", DEPLOY),
        ("empty.yaml", "# nothing\n"),
    ]);
    let bad = elsewhere.path().join("bad.yaml");
    let not_waivers = elsewhere.path().join("deploy.yaml");
    let empty = elsewhere.path().join("empty.yaml");
    let missing = elsewhere.path().join("missing.yaml");
    let (r, code) = check_json(
        checked.path(),
        &[
            "--waivers",
            bad.to_str().unwrap(),
            "--waivers",
            not_waivers.to_str().unwrap(),
            "--waivers",
            empty.to_str().unwrap(),
            "--waivers",
            missing.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 2);
    let errors: Vec<(String, Option<u64>, String)> = r["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["file"].as_str().unwrap().to_string(),
                e["line"].as_u64(),
                e["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let of = |p: &Path| {
        errors
            .iter()
            .find(|e| e.0 == p.to_str().unwrap())
            .unwrap_or_else(|| panic!("no error for {}: {errors:?}", p.display()))
    };
    assert_eq!(of(&bad).1, Some(9), "{errors:?}");
    assert!(of(&not_waivers).2.contains("not a `Waivers` document"), "{errors:?}");
    assert_eq!(of(&not_waivers).1, Some(2));
    assert!(of(&empty).2.contains("no `Waivers` document"), "{errors:?}");
    assert!(of(&missing).2.contains("cannot read waiver file"), "{errors:?}");
}

#[test]
fn markdown_and_html_reports_carry_the_waiver_appendix() {
    let dir = folder(&[
        ("deploy.yaml", DEPLOY),
        (
            "waivers.yaml",
            &format!(
                "{}  - rule: K8S-003\n    selector: {{name: api}}\n    reason: Old | exception\n    owner: team-shop\n    expires: 2026-01-01\n",
                waivers("2027-01-31", "{name: api}")
            ),
        ),
    ]);
    let md = compliance()
        .arg("check")
        .arg(dir.path())
        .args(["--now", NOW, "--format", "markdown"])
        .output()
        .unwrap();
    let md = String::from_utf8(md.stdout).unwrap();
    assert!(md.contains("## Waivers"), "{md}");
    assert!(md.contains("| ACTIVE | `K8S-001` | name `api` | The CNI agent needs the host network | team-network | 2027-01-31 | 1 | `waivers.yaml:5` |"), "{md}");
    assert!(
        md.contains("| **EXPIRED** | `K8S-003` | name `api` | Old \\| exception | team-shop | 2026-01-01 | 1 |"),
        "{md}"
    );
    assert!(md.contains("### Waived findings"), "{md}");
    let html = compliance()
        .arg("check")
        .arg(dir.path())
        .args(["--now", NOW, "--format", "html"])
        .output()
        .unwrap();
    let html = String::from_utf8(html.stdout).unwrap();
    assert!(html.contains("<section id=\"waivers\""), "{html}");
    assert!(html.contains("<a href=\"#waivers\">Waivers</a>"));
    assert!(html.contains(">EXPIRED</span>") && html.contains(">ACTIVE</span>"));
    assert!(html.contains("Old | exception"));
}

#[test]
fn a_waivers_file_inside_the_checked_folder_given_again_is_read_once() {
    let dir = folder(&[
        ("deploy.yaml", DEPLOY),
        ("policy/waivers.yaml", &waivers("2027-01-31", "{name: api}")),
    ]);
    let again = dir.path().join("policy/waivers.yaml");
    let (r, code) = check_json(dir.path(), &["--waivers", again.to_str().unwrap()]);
    assert_eq!(code, 0, "{r:#}");
    let w = r["waivers"].as_array().unwrap();
    assert_eq!(w.len(), 1, "{w:#?}");
    assert_eq!(
        (w[0]["source"].as_str(), w[0]["file"].as_str()),
        (Some("document"), Some("policy/waivers.yaml"))
    );
}
