//! The configuration file (`.compliance.yaml`, `--config`) and custom policies, end to end:
//! precedence, include/exclude, disabling and re-grading rules, overriding a built-in,
//! and what a broken or failing custom policy does.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use common::{check_json, compliance, folder, NOW};

use predicates::prelude::*;
use serde_json::Value;

/// A production key that passes every rule but KEY-011 (no owner, low): LIVE-04 passes on it.
const KEYS: &str = "apiVersion: compliance/v1alpha1
kind: ApiKeyInventory
metadata: {name: keys}
keys:
  - name: prod-backend
    environment: production
    status: active
    models: [gpt-4o-mini]
    quota: {monthlyUsd: 100}
    allowedSubnets: [\"203.0.113.10/32\"]
    createdAt: \"2026-10-01\"
    lastRotated: \"2026-10-01\"
    storage: {kind: vault, ref: kv/gw}
";

/// A Deployment whose only finding is K8S-004 (low): a writable root filesystem.
const WEB: &str = "apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: app}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      automountServiceAccountToken: false
      containers:
        - name: web
          image: nginx:1.27
          securityContext: {runAsNonRoot: true, allowPrivilegeEscalation: false}
";

fn rules_of(r: &Value) -> Vec<String> {
    r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap().to_string())
        .collect()
}

fn control<'a>(r: &'a Value, id: &str) -> &'a Value {
    r["checklist"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap()
}

#[test]
fn the_file_in_the_checked_folder_is_read_and_no_config_ignores_it() {
    let dir = folder(&[("web.yaml", WEB), (".compliance.yaml", "failOn: low\n")]);
    // K8S-004 is low: it fails the run only because the configuration says `failOn: low`
    let (r, code) = check_json(dir.path(), &[]);
    assert_eq!(code, 1, "{r:#}");
    assert_eq!(r["summary"]["failOn"], "low");
    assert_eq!(
        r["audit"]["config"]["file"],
        dir.path().join(".compliance.yaml").display().to_string()
    );
    assert_eq!(r["audit"]["config"]["bytes"], 12);
    let (r, code) = check_json(dir.path(), &["--no-config"]);
    assert_eq!(code, 0);
    assert_eq!(r["summary"]["failOn"], "high");
    assert!(r["audit"].get("config").is_none(), "no configuration, no entry");
    // `.compliance.yml` is found too
    let dir = folder(&[("web.yaml", WEB), (".compliance.yml", "failOn: low\n")]);
    assert_eq!(check_json(dir.path(), &[]).1, 1);
}

#[test]
fn an_explicit_config_is_used_from_anywhere_and_must_exist() {
    let dir = folder(&[("web.yaml", WEB), (".compliance.yaml", "failOn: critical\n")]);
    let elsewhere = folder(&[("team.yaml", "failOn: low\n")]);
    let file = elsewhere.path().join("team.yaml");
    // --config replaces the file of the checked folder
    let (r, code) = check_json(dir.path(), &["--config", file.to_str().unwrap()]);
    assert_eq!((code, r["summary"]["failOn"].as_str()), (1, Some("low")));
    compliance()
        .args(["check", "--now", NOW, "--config"])
        .arg(elsewhere.path().join("missing.yaml"))
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("cannot read the configuration file")
                .and(predicate::str::contains("missing.yaml")),
        );
    compliance()
        .args(["check", "--no-config", "--config"])
        .arg(&file)
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot be used with"));
}

#[test]
fn command_line_fail_on_overrides_the_configuration() {
    let dir = folder(&[("web.yaml", WEB), (".compliance.yaml", "failOn: low\n")]);
    assert_eq!(check_json(dir.path(), &[]).1, 1);
    let (r, code) = check_json(dir.path(), &["--fail-on", "high"]);
    assert_eq!((code, r["summary"]["failOn"].as_str()), (0, Some("high")));
    let dir = folder(&[("web.yaml", WEB), (".compliance.yaml", "failOn: critical\n")]);
    assert_eq!(check_json(dir.path(), &["--fail-on", "low"]).1, 1);
}

#[test]
fn output_format_and_dir_come_from_the_configuration_unless_given() {
    let dir = folder(&[
        ("web.yaml", WEB),
        (".compliance.yaml", "output: {format: sarif, dir: reports}\n"),
    ]);
    let out = compliance()
        .args(["check", "--now", NOW])
        .arg(dir.path())
        .output()
        .unwrap();
    let sarif: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    // the folder is relative to the configuration file, and is not checked by the next run
    for f in [
        "report.json",
        "report.md",
        "report.html",
        "report.sarif",
        "report.junit.xml",
    ] {
        assert!(dir.path().join("reports").join(f).is_file(), "{f}");
    }
    let (r, _) = check_json(dir.path(), &[]);
    assert!(r["audit"]["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .all(|i| !i["file"].as_str().unwrap().starts_with("reports/")));
    compliance()
        .args(["check", "--now", NOW, "--format", "text"])
        .arg(dir.path())
        .assert()
        .stdout(predicate::str::contains("web.yaml:13:11: low K8S-004"));
}

#[test]
fn include_and_exclude_globs_apply_and_command_line_excludes_add_to_them() {
    let files = [
        ("deploy/web.yaml", WEB),
        ("deploy/keys.yaml", KEYS),
        ("vendor/web.yaml", WEB),
        ("legacy/web.yaml", WEB),
    ];
    let files_of = |r: &Value| {
        let mut f: Vec<String> = r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["file"].as_str().unwrap().to_string())
            .collect();
        f.dedup();
        f
    };
    let dir = folder(&[files.as_slice(), &[(".compliance.yaml", "exclude: [\"vendor/**\"]\n")]].concat());
    let (r, _) = check_json(dir.path(), &[]);
    assert_eq!(files_of(&r), ["deploy/keys.yaml", "deploy/web.yaml", "legacy/web.yaml"]);
    // --exclude adds to the configuration's globs
    let (r, _) = check_json(dir.path(), &["--exclude", "legacy/**"]);
    assert_eq!(files_of(&r), ["deploy/keys.yaml", "deploy/web.yaml"]);

    let dir = folder(
        &[
            files.as_slice(),
            &[(
                ".compliance.yaml",
                "include: [\"deploy/**\", \"legacy/**\"]\nexclude: [\"**/keys.yaml\"]\n",
            )],
        ]
        .concat(),
    );
    let (r, _) = check_json(dir.path(), &[]);
    assert_eq!(files_of(&r), ["deploy/web.yaml", "legacy/web.yaml"]);
    assert_eq!(r["summary"]["files"], 2, "only the included files are read: {r:#}");
}

#[test]
fn gitignore_files_still_apply_to_included_files() {
    // the root `.gitignore` is not included, but git still ignores `app/.env` by it
    let dir = folder(&[
        (".gitignore", ".env\n"),
        (
            "app/.env",
            "OPENAI_API_KEY=sk-proj-Q7vT2mXk9LpR4sW8nYzB3cJ6hF1dG5aE0uK\n",
        ),
        ("app/web.yaml", WEB),
        (".compliance.yaml", "include: [\"app/**\"]\n"),
    ]);
    let (r, _) = check_json(dir.path(), &["--no-git"]);
    assert_eq!(rules_of(&r), ["K8S-004"], "{r:#}");
    // not ignored: reported
    std::fs::write(dir.path().join(".gitignore"), "dist/\n").unwrap();
    let (r, _) = check_json(dir.path(), &["--no-git"]);
    assert!(rules_of(&r).contains(&"SRC-008".to_string()), "{r:#}");
}

#[test]
fn a_disabled_built_in_is_not_evaluated_and_is_listed_for_the_auditor() {
    let dir = folder(&[("keys.yaml", KEYS)]);
    let (before, _) = check_json(dir.path(), &[]);
    assert_eq!(rules_of(&before), ["KEY-011"]);
    assert_eq!(control(&before, "LIVE-04")["status"], "pass");

    std::fs::write(
        dir.path().join(".compliance.yaml"),
        "rules:\n  disable: [KEY-011, KEY-009]\n",
    )
    .unwrap();
    let (r, code) = check_json(dir.path(), &[]);
    assert_eq!(code, 0);
    assert!(rules_of(&r).is_empty(), "{r:#}");
    let disabled: Vec<&str> = r["audit"]["disabledRules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["rule"].as_str().unwrap())
        .collect();
    assert_eq!(disabled, ["KEY-009", "KEY-011"]);
    assert_eq!(
        r["audit"]["disabledRules"][0]["title"],
        "IP allowlist entry is very broad"
    );
    assert_eq!(r["audit"]["rules"], before["audit"]["rules"].as_u64().unwrap() - 2);
    assert_ne!(r["audit"]["policySetSha256"], before["audit"]["policySetSha256"]);
    // a control that lost a rule is never `pass`: the other rules do not speak for it
    let live04 = control(&r, "LIVE-04");
    assert_eq!(live04["status"], "no-evidence", "{live04:#}");
    assert_eq!(live04["disabled"], serde_json::json!(["KEY-009"]));
    assert!(!live04["rules"].as_array().unwrap().iter().any(|x| x == "KEY-009"));
    // REVIEW-03 lost KEY-011 but KEY-001 etc. still examined the key: still not `pass`
    assert_eq!(control(&r, "REVIEW-03")["status"], "no-evidence");
    assert_eq!(
        control(&r, "LIVE-05")["status"],
        "pass",
        "untouched controls still pass"
    );
    assert!(control(&r, "LIVE-05").get("disabled").is_none());

    // every report says so
    let text = compliance()
        .args(["check", "--now", NOW])
        .arg(dir.path())
        .output()
        .unwrap()
        .stdout;
    let text = String::from_utf8(text).unwrap();
    assert!(
        text.contains("disabled by the configuration: KEY-009, KEY-011."),
        "{text}"
    );
    let md = compliance()
        .args(["check", "--now", NOW, "--format", "markdown"])
        .arg(dir.path())
        .output()
        .unwrap()
        .stdout;
    let md = String::from_utf8(md).unwrap();
    assert!(md.contains("- **Rules disabled by the configuration:** `KEY-009` IP allowlist entry is very broad; `KEY-011` Key without an owner"), "{md}");
    assert!(md.contains("`KEY-008`, ~~`KEY-009`~~ (disabled)"), "{md}");
    // the baseline command uses the configuration too
    let baseline = dir.path().join("baseline.json");
    compliance()
        .args(["baseline", "--now", NOW, "-o"])
        .arg(&baseline)
        .arg(dir.path())
        .assert()
        .success()
        .stderr(predicate::str::contains("0 findings recorded"));
}

#[test]
fn a_severity_override_changes_the_finding_everywhere_and_the_exit_status() {
    let dir = folder(&[
        ("keys.yaml", KEYS),
        (".compliance.yaml", "rules:\n  severity:\n    KEY-011: high\n"),
    ]);
    let (r, code) = check_json(dir.path(), &[]);
    assert_eq!(code, 1, "high now fails at the default failOn: {r:#}");
    assert_eq!(r["findings"][0]["rule"], "KEY-011");
    assert_eq!(r["findings"][0]["severity"], "high");
    assert_eq!(r["summary"]["bySeverity"]["high"], 1);
    assert_eq!(
        r["audit"]["severityOverrides"],
        serde_json::json!([{"rule": "KEY-011", "title": "Key without an owner", "from": "low", "to": "high"}])
    );
    let out = compliance()
        .args(["check", "--now", NOW, "--format", "sarif"])
        .arg(dir.path())
        .output()
        .unwrap();
    let sarif: Value = serde_json::from_slice(&out.stdout).unwrap();
    let run = &sarif["runs"][0];
    assert_eq!(run["results"][0]["ruleId"], "KEY-011");
    assert_eq!(run["results"][0]["level"], "error");
    let rule = run["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == "KEY-011")
        .unwrap();
    assert_eq!(rule["defaultConfiguration"]["level"], "error");
    // lowered instead: passes even at failOn medium
    std::fs::write(
        dir.path().join(".compliance.yaml"),
        "failOn: medium\nrules:\n  severity: {KEY-011: info}\n",
    )
    .unwrap();
    let (r, code) = check_json(dir.path(), &[]);
    assert_eq!((code, r["findings"][0]["severity"].as_str()), (0, Some("info")));
}

#[test]
fn a_custom_policy_from_the_configuration_overrides_a_built_in_by_id() {
    let strict = "@id(\"K8S-004\")\n@scope(\"object\")\n@title(\"Writable root filesystem (strict)\")\n@severity(\"high\")\n@remediation(\"Make it read-only.\")\nforbid (principal, action, resource is Container)\nwhen { !resource.readOnlyRootFilesystem };\n";
    let dir = folder(&[
        ("web.yaml", WEB),
        (".compliance.yaml", "policies: [team/policies]\n"),
        ("team/policies/strict.cedar", strict),
    ]);
    let (r, code) = check_json(dir.path(), &[]);
    assert_eq!(code, 1, "the replacement is high: {r:#}");
    let f = &r["findings"][0];
    assert_eq!(
        (f["rule"].as_str(), f["severity"].as_str(), f["title"].as_str()),
        (Some("K8S-004"), Some("high"), Some("Writable root filesystem (strict)"))
    );
    assert_eq!(r["findings"].as_array().unwrap().len(), 1, "replaced, not added");
    // `compliance rules --policies` shows where the rule comes from
    let out = compliance()
        .args(["rules", "--format", "json", "--policies"])
        .arg(dir.path().join("team/policies"))
        .output()
        .unwrap();
    let rules: Value = serde_json::from_slice(&out.stdout).unwrap();
    let k = rules.as_array().unwrap().iter().find(|x| x["id"] == "K8S-004").unwrap();
    assert!(k["source"].as_str().unwrap().ends_with("strict.cedar"), "{k:#}");
    // the repository's example does the same
    let out = compliance()
        .args([
            "check",
            "examples/deploy",
            "--config",
            "examples/config/.compliance.yaml",
            "--format",
            "json",
            "--now",
            NOW,
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    let k8s004 = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "K8S-004")
        .unwrap();
    assert_eq!(k8s004["severity"], "medium");
    assert!(!rules_of(&r).contains(&"K8S-005".to_string()));
    assert_eq!(r["summary"]["findings"], 22);
}

#[test]
fn a_custom_policy_that_fails_validation_stops_the_run() {
    let dir = folder(&[
        ("web.yaml", WEB),
        (".compliance.yaml", "policies: [policies]\n"),
        (
            "policies/bad.cedar",
            "@id(\"ORG-1\")\n@title(\"t\")\n@severity(\"high\")\n@remediation(\"r\")\nforbid (principal, action, resource is Container)\nwhen { resource.nosuch };\n",
        ),
    ]);
    compliance()
        .args(["check", "--now", NOW])
        .arg(dir.path())
        .assert()
        .code(2)
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::contains("1 policy error").and(predicate::str::contains("bad.cedar:6:")))
        .stderr(predicate::str::contains("nosuch"));
    // a missing policy folder is an error too, named
    std::fs::write(dir.path().join(".compliance.yaml"), "policies: [nowhere]\n").unwrap();
    compliance()
        .args(["check", "--now", NOW])
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("nowhere"));
}

#[test]
fn a_custom_policy_that_errors_at_evaluation_is_reported_and_fails_its_control() {
    // LIVE-04 passes on this inventory; a rule of LIVE-04 that cannot be evaluated must
    // not leave it passing, nor be skipped
    let overflow = "@id(\"ORG-2\")\n@title(\"overflows\")\n@severity(\"low\")\n@checklist(\"LIVE-04\")\n@remediation(\"none\")\nforbid (principal, action, resource is ApiKey)\nwhen { resource.rotationAgeDays * 9223372036854775807 > 0 };\n";
    let dir = folder(&[
        ("keys.yaml", KEYS),
        (".compliance.yaml", "policies: [policies]\n"),
        ("policies/overflow.cedar", overflow),
    ]);
    let (r, code) = check_json(dir.path(), &[]);
    assert_eq!(code, 2, "{r:#}");
    let errors = r["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!(errors[0]["file"], "keys.yaml");
    assert_eq!(errors[0]["line"], 5);
    let message = errors[0]["message"].as_str().unwrap();
    assert!(
        message.contains("rule `ORG-2` could not be evaluated on ApiKey") && message.contains("overflow"),
        "{message}"
    );
    let live04 = control(&r, "LIVE-04");
    assert_eq!(live04["status"], "fail", "{live04:#}");
    assert_eq!(live04["errored"], serde_json::json!(["ORG-2"]));
    // the other rules still ran
    assert_eq!(rules_of(&r), ["KEY-011"]);
    compliance()
        .args(["check", "--now", NOW])
        .arg(dir.path())
        .assert()
        .code(2)
        .stdout(predicate::str::contains(
            "error: keys.yaml:5:5: rule `ORG-2` could not be evaluated",
        ))
        .stdout(predicate::str::contains("LIVE-04    FAIL"));
}

#[test]
fn unknown_keys_are_errors_with_line_column_and_the_known_keys() {
    let dir = folder(&[
        ("web.yaml", WEB),
        (
            ".compliance.yaml",
            "exclude: []\nrules:\n  disabled: [K8S-004]\nfail_on: low\n",
        ),
    ]);
    let out = compliance()
        .args(["check", "--now", NOW])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty(), "nothing is checked with a broken configuration");
    let err = String::from_utf8(out.stderr).unwrap();
    let file = dir.path().join(".compliance.yaml").display().to_string();
    assert!(err.contains("2 configuration errors"), "{err}");
    assert!(
        err.contains(&format!("{file}:3:3: unknown key `disabled` in `rules` (did you mean `disable`?): expected one of `disable`, `severity`")),
        "{err}"
    );
    assert!(
        err.contains(&format!("{file}:4:1: unknown key `fail_on` (did you mean `failOn`?): expected one of `include`, `exclude`, `failOn`, `rules`, `policies`, `waivers`, `output`")),
        "{err}"
    );
    // a wrong value is located too
    std::fs::write(dir.path().join(".compliance.yaml"), "\nfailOn: severe\n").unwrap();
    compliance()
        .args(["check", "--now", NOW])
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains(format!("{file}:2:1: `failOn`:")));
}

#[test]
fn an_unknown_rule_id_is_an_error_with_a_suggestion() {
    let dir = folder(&[
        ("web.yaml", WEB),
        (
            ".compliance.yaml",
            "rules:\n  disable:\n    - K8S-004\n    - k8s-05\n  severity:\n    NOPE-1: high\n",
        ),
    ]);
    let file = dir.path().join(".compliance.yaml").display().to_string();
    compliance()
        .args(["check", "--now", NOW])
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains(format!(
            "{file}:4:7: unknown rule id `k8s-05` (did you mean `K8S-005`?)"
        )))
        .stderr(predicate::str::contains(format!(
            "{file}:6:5: unknown rule id `NOPE-1`:"
        )));
    // the same for `baseline`
    compliance()
        .args(["baseline", "--now", NOW, "-o"])
        .arg(dir.path().join("b.json"))
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown rule id `k8s-05`"));
    // a custom rule's id can be disabled or re-graded like a built-in's
    std::fs::write(
        dir.path().join(".compliance.yaml"),
        "policies: [p]\nrules:\n  severity: {ORG-3: high}\n",
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("p")).unwrap();
    std::fs::write(
        dir.path().join("p/img.cedar"),
        "@id(\"ORG-3\")\n@title(\"Unpinned image\")\n@severity(\"low\")\n@remediation(\"Pin it.\")\nforbid (principal, action, resource is Container)\nwhen { resource.image like \"nginx:*\" };\n",
    )
    .unwrap();
    let (r, code) = check_json(dir.path(), &[]);
    assert_eq!(code, 1, "{r:#}");
    let org = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "ORG-3")
        .unwrap();
    assert_eq!(org["severity"], "high");
}

#[test]
fn the_webhook_applies_the_configuration_rules_and_rejects_a_bad_one() {
    let dir = folder(&[(".compliance.yaml", "rules:\n  disable: [K8S-999]\n")]);
    compliance()
        .args(["webhook", "--tls-cert", "nope.crt", "--tls-key", "nope.key", "--config"])
        .arg(dir.path().join(".compliance.yaml"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown rule id `K8S-999`"));

    // reloads keep the configuration's rule settings
    std::fs::write(dir.path().join(".compliance.yaml"), "rules:\n  disable: [K8S-001]\n").unwrap();
    let file = compliance::config::read(&dir.path().join(".compliance.yaml")).unwrap();
    let rules = file.rules.apply(compliance::check::load_rules(&[]).unwrap()).unwrap();
    assert!(!rules.rules.contains_key("K8S-001"));
    let state = compliance::webhook::server::State::new(std::sync::Arc::new(rules), Default::default())
        .with_rule_settings(file.rules);
    compliance::webhook::server::reload_rules(&state, &[]).unwrap();
    assert!(!state.rules().rules.contains_key("K8S-001"));
    assert!(state.rules().rules.contains_key("K8S-002"));
}

#[test]
fn the_shipped_schema_accepts_the_example_and_rejects_unknown_keys() {
    let schema: Value = serde_json::from_str(compliance::config::SCHEMA).unwrap();
    let validator = jsonschema::draft202012::new(&schema).unwrap();
    let text = std::fs::read_to_string("examples/config/.compliance.yaml").unwrap();
    let example: Value = serde_yaml::from_str(&text).unwrap();
    assert!(validator.is_valid(&example));
    assert!(!validator.is_valid(&serde_json::json!({"failOn": "high", "colour": "red"})));
    assert!(compliance::config::parse("x", &text).is_ok());
}
