//! Policy authoring, end to end: `compliance policy validate`, `compliance test`,
//! `compliance explain`, `compliance schema`, and the documents that teach them
//! (docs/entity-model.md, docs/writing-policies.md) kept true.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use assert_cmd::Command;
use compliance::authoring::{cases, explain, schema, validate};
use std::path::Path;

fn compliance() -> Command {
    Command::cargo_bin("compliance").unwrap()
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(args: &[&str]) -> Run {
    let out = compliance().args(args).env("NO_COLOR", "1").output().unwrap();
    Run {
        code: out.status.code().unwrap(),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

/// A policy folder holding `text` as `p.cedar`.
fn policy_dir(text: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("p.cedar"), text).unwrap();
    dir
}

fn rule(id: &str, annotations: &str, condition: &str, ty: &str) -> String {
    format!("@id(\"{id}\")\n{annotations}forbid (principal, action == Action::\"check\", resource is {ty})\nwhen {{ {condition} }};\n")
}

const FULL: &str = "@title(\"t\")\n@severity(\"low\")\n@remediation(\"r\")\n";

/// Validates one policy file and returns (exit code, stderr, the file's path as reported).
fn validate_text(text: &str) -> (Run, String) {
    let dir = policy_dir(text);
    let file = dir.path().join("p.cedar").display().to_string();
    let r = run(&["policy", "validate", dir.path().to_str().unwrap()]);
    (r, file)
}

// ---- policy validate ----

#[test]
fn validate_without_a_folder_checks_the_built_in_rules() {
    let r = run(&["policy", "validate"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let n = validate::load(&[]).ok().unwrap().rules.rules.len();
    assert_eq!(r.stdout, format!("{n} rules valid (built-in)\n"));
}

#[test]
fn validate_counts_custom_rules_and_files() {
    let r = run(&["policy", "validate", "examples/custom-policies/policies"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("rules valid (") && r.stdout.contains(" built-in, 2 from 2 policy files)"),
        "{}",
        r.stdout
    );
}

#[test]
fn a_type_error_names_the_place_the_line_and_the_expected_type() {
    let text = rule("ORG-1", FULL, "resource.subnetCount > \"3\"", "ApiKey");
    let (r, file) = validate_text(&text);
    assert_eq!(r.code, 2, "{}", r.stderr);
    // `"3"` is at line 6, column 31
    assert!(r.stderr.contains(&format!("[{file}:6:31]")), "{}", r.stderr);
    assert!(
        r.stderr.contains("unexpected type: expected Long but saw String"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("when { resource.subnetCount > \"3\" };"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("error: 1 policy error"), "{}", r.stderr);
}

#[test]
fn an_unknown_attribute_is_named_with_a_suggestion() {
    let text = rule("ORG-2", FULL, "resource.imagee like \"docker.io/*\"", "Container");
    let (r, file) = validate_text(&text);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains(&format!("[{file}:6:8]")), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("attribute `imagee` on entity type `Container` not found"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("did you mean `image`?"), "{}", r.stderr);
}

#[test]
fn an_optional_attribute_read_without_has_is_rejected() {
    let text = rule("ORG-3", FULL, "resource.quotaUsd > 1000", "ApiKey");
    let (r, file) = validate_text(&text);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains(&format!("[{file}:6:8]")), "{}", r.stderr);
    assert!(r.stderr.contains("optional attribute `quotaUsd`"), "{}", r.stderr);
    assert!(r.stderr.contains("e has quotaUsd"), "{}", r.stderr);
}

#[test]
fn each_missing_annotation_is_reported_at_the_rule() {
    for missing in ["title", "severity", "remediation"] {
        let annotations: String = FULL
            .lines()
            .filter(|l| !l.starts_with(&format!("@{missing}(")))
            .map(|l| format!("{l}\n"))
            .collect();
        let (r, file) = validate_text(&rule("ORG-4", &annotations, "resource.privileged", "Container"));
        assert_eq!(r.code, 2, "{missing}");
        assert!(r.stderr.contains(&format!("[{file}:1:5]")), "{missing}: {}", r.stderr);
        assert!(
            r.stderr
                .contains(&format!("rule `ORG-4` has no `@{missing}(\"...\")` annotation")),
            "{missing}: {}",
            r.stderr
        );
    }
    let no_id = format!("{FULL}forbid (principal, action, resource is Container) when {{ resource.privileged }};\n");
    let (r, file) = validate_text(&no_id);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains(&format!("[{file}:1:1]")), "{}", r.stderr);
    assert!(
        r.stderr.contains("policy has no `@id(\"...\")` annotation"),
        "{}",
        r.stderr
    );
}

#[test]
fn an_unknown_severity_is_reported_at_its_value() {
    let annotations = FULL.replace("\"low\"", "\"urgent\"");
    let (r, file) = validate_text(&rule("ORG-5", &annotations, "resource.privileged", "Container"));
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains(&format!("[{file}:3:11]")), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("has `@severity(\"urgent\")`: expected one of critical, high, medium, low, info"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_duplicate_id_is_reported_at_the_second_rule_in_the_same_or_another_file() {
    let one = rule("ORG-6", FULL, "resource.privileged", "Container");
    let (r, file) = validate_text(&format!("{one}\n{one}"));
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains(&format!("[{file}:8:5]")), "{}", r.stderr);
    assert!(
        r.stderr.contains("duplicate rule id `ORG-6` (also in `"),
        "{}",
        r.stderr
    );

    let dir = policy_dir(&one);
    std::fs::write(dir.path().join("q.cedar"), &one).unwrap();
    let r = run(&["policy", "validate", dir.path().to_str().unwrap()]);
    assert_eq!(r.code, 2);
    let q = dir.path().join("q.cedar").display().to_string();
    let p = dir.path().join("p.cedar").display().to_string();
    assert!(
        r.stderr.contains(&format!("[{q}:1:5]")) && r.stderr.contains(&format!("(also in `{p}`)")),
        "{}",
        r.stderr
    );
}

#[test]
fn reusing_a_built_in_id_replaces_the_rule_and_is_not_a_duplicate() {
    let text = rule("K8S-004", FULL, "!resource.readOnlyRootFilesystem", "Container");
    let (r, _) = validate_text(&text);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains(" built-in, 1 from 1 policy file)"), "{}", r.stdout);
}

#[test]
fn authoring_mistakes_the_check_would_accept_are_errors() {
    let annotations = format!(
        "{FULL}@message(\"container {{nmae}} is privileged\")\n@checklist(\"LIVE-5\")\n@evidence(\"privilegd\")\n"
    );
    let (r, file) = validate_text(&rule("ORG-7", &annotations, "resource.privileged", "Container"));
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains(&format!("[{file}:5:21]")), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("placeholder `{nmae}` is not an attribute of `Container`"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("checklist control `LIVE-5`, which does not exist"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("fact `privilegd` is not a Bool attribute of `Container`"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("did you mean `privileged`?"), "{}", r.stderr);
    assert!(r.stderr.contains("error: 3 policy errors"), "{}", r.stderr);
}

#[test]
fn a_parse_error_and_an_unreadable_folder_exit_2() {
    let (r, file) = validate_text(&rule("ORG-8", FULL, "resource.privileged &&", "Container"));
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains(&format!("[{file}:6:31]")) && r.stderr.contains("unexpected token `}`"),
        "{}",
        r.stderr
    );
    let r = run(&["policy", "validate", "no/such/folder"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("error: no/such/folder:0:0: cannot read the policy folder"),
        "{}",
        r.stderr
    );
}

// ---- compliance test ----

const DEPLOY: &str = "apiVersion: apps/v1
kind: Deployment
metadata: { name: agent, namespace: ops }
spec:
  selector: { matchLabels: { app: agent } }
  template:
    metadata: { labels: { app: agent } }
    spec:
      automountServiceAccountToken: false
      securityContext: { runAsNonRoot: true, runAsUser: 10001 }
      containers:
        - name: agent
          image: registry.acme.dev/agent:2.0
          securityContext:
            privileged: true
            readOnlyRootFilesystem: true
";

fn case_dir(expected: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let case = dir.path().join("privileged");
    std::fs::create_dir(&case).unwrap();
    std::fs::write(case.join("deploy.yaml"), DEPLOY).unwrap();
    std::fs::write(case.join("expected.yaml"), expected).unwrap();
    dir
}

#[test]
fn a_passing_case_prints_ok_and_the_counts() {
    let dir = case_dir("findings:\n  - { rule: K8S-001, file: deploy.yaml, line: 15 }\nabsent: [K8S-002, K8S-004]\n");
    let r = run(&["test", dir.path().to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let case = dir.path().join("privileged").display().to_string();
    assert!(r.stdout.starts_with("running 1 case\n"), "{}", r.stdout);
    assert!(r.stdout.contains(&format!("case {case} ... ok\n")), "{}", r.stdout);
    assert!(
        r.stdout.ends_with("test result: ok. 1 passed, 0 failed\n"),
        "{}",
        r.stdout
    );
}

#[test]
fn a_failing_case_shows_the_difference_and_exits_1() {
    let dir = case_dir(
        "findings:\n  - { rule: K8S-001, file: deploy.yaml, line: 14 }\nabsent: [K8S-003]\nchecklist: { LIVE-03: pass }\n",
    );
    let r = run(&["test", dir.path().to_str().unwrap()]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let case = dir.path().join("privileged").display().to_string();
    assert!(r.stdout.contains(&format!("case {case} ... FAILED\n")), "{}", r.stdout);
    assert!(r.stdout.contains(&format!("---- {case} ----")), "{}", r.stdout);
    // expected at line 14, fired at 15: both places shown
    assert!(
        r.stdout
            .contains("  - missing: K8S-001 at deploy.yaml:14 (the rule fired at deploy.yaml:15:13)"),
        "{}",
        r.stdout
    );
    // privileged implies escalation: K8S-003 fires though the case says it must not
    assert!(
        r.stdout.contains("  + unexpected: K8S-003 at deploy.yaml:14:11"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("  ~ checklist LIVE-03: expected pass, got no-evidence"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.ends_with("test result: FAILED. 0 passed, 1 failed\n"),
        "{}",
        r.stdout
    );
}

#[test]
fn an_invalid_expected_file_is_named_with_its_line_and_exits_2() {
    let dir = case_dir("findings:\n  - { rule: K8S-001, file: deploy.yaml, line: 15 }\nabsnt: [K8S-002]\n");
    let r = run(&["test", dir.path().to_str().unwrap()]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    let expected = dir.path().join("privileged/expected.yaml").display().to_string();
    assert!(r.stdout.contains("... INVALID"), "{}", r.stdout);
    assert!(
        r.stdout
            .contains(&format!("error: {expected}:3:1: unknown field `absnt`")),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("0 passed, 0 failed, 1 invalid"), "{}", r.stdout);
}

#[test]
fn a_folder_without_cases_and_a_broken_policy_folder_exit_2() {
    let empty = tempfile::tempdir().unwrap();
    let r = run(&["test", empty.path().to_str().unwrap()]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("no case folders under"), "{}", r.stderr);
    let dir = case_dir("findings: []\n");
    let bad = policy_dir(&rule("ORG-9", FULL, "resource.nope", "Container"));
    let r = run(&[
        "test",
        dir.path().to_str().unwrap(),
        "--policies",
        bad.path().to_str().unwrap(),
    ]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("attribute `nope` on entity type `Container` not found"),
        "{}",
        r.stderr
    );
}

#[test]
fn the_built_in_cases_pass_under_compliance_test() {
    let r = run(&["test"]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert!(r.stdout.contains("case tests/cases/keys/fires ... ok"), "{}", r.stdout);
    assert!(r.stdout.contains(" passed, 0 failed\n"), "{}", r.stdout);
}

/// docs/writing-policies.md walks through these two rules and their cases.
#[test]
fn the_guide_s_custom_policies_pass_their_cases() {
    let r = run(&[
        "test",
        "examples/custom-policies/cases",
        "--policies",
        "examples/custom-policies/policies",
    ]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert!(
        r.stdout.ends_with("test result: ok. 4 passed, 0 failed\n"),
        "{}",
        r.stdout
    );
    // without the custom rules, the cases that expect them fail
    let r = run(&["test", "examples/custom-policies/cases"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stdout.contains("- missing: ACME-KEY-001 at inventory.yaml:11"),
        "{}",
        r.stdout
    );
}

// ---- explain ----

#[test]
fn explain_shows_the_rule_its_cedar_source_and_proven_examples() {
    let r = run(&["explain", "K8S-001"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let out = r.stdout;
    assert!(out.starts_with("K8S-001: Privileged container\n"), "{out}");
    assert!(
        out.contains("  severity    high\n") && out.contains("  scope       object"),
        "{out}"
    );
    assert!(
        out.contains("Remediation\n  Remove `securityContext.privileged: true`"),
        "{out}"
    );
    // the exact text of its file, with line numbers
    let file = std::fs::read_to_string("policies/workloads.cedar").unwrap();
    let at = file.lines().position(|l| l == "@id(\"K8S-001\")").unwrap() + 1;
    assert!(
        out.contains(&format!("Cedar source: policies/workloads.cedar:{at}\n")),
        "{out}"
    );
    assert!(out.contains(&format!("    {at} | @id(\"K8S-001\")\n")), "{out}");
    assert!(out.contains("| when { resource.privileged };\n"), "{out}");
    assert!(
        out.contains("Failing example: tests/cases/workloads/fires/deploy.yaml (K8S-001 fires at line 17)"),
        "{out}"
    );
    assert!(out.contains("  >17 |             privileged: true\n"), "{out}");
    assert!(out.contains("Passing example: tests/cases/workloads/passes/"), "{out}");
}

#[test]
fn explain_an_unknown_rule_exits_2_with_close_ids() {
    let r = run(&["explain", "KEY-01"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("unknown rule `KEY-01`; did you mean `KEY-001`"),
        "{}",
        r.stderr
    );
    assert!(r.stdout.is_empty());
}

#[test]
fn explain_a_custom_rule_with_its_description_and_its_cases() {
    let r = run(&[
        "explain",
        "ACME-K8S-001",
        "--policies",
        "examples/custom-policies/policies",
        "--cases",
        "examples/custom-policies/cases",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout
            .contains("  source      examples/custom-policies/policies/images.cedar:3\n"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("Description\n  Images are scanned and signed"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("Failing example: examples/custom-policies/cases/image-registry/fires/deploy.yaml (ACME-K8S-001 fires at line 26)"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("  >26 |           image: docker.io/envoyproxy/envoy:v1.31.0\n"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("Passing example: examples/custom-policies/cases/image-registry/passes/deploy.yaml"),
        "{}",
        r.stdout
    );
}

#[test]
fn explain_never_shows_a_secret_of_its_examples() {
    // the literal credentials planted in the built-in cases
    let planted = [
        "sk-proj-xtpYlSXpfKtHF4vUCsMehGAkWvj7FAc9QeWJKY40",
        "sk-proj-ocJ2isAjIhKtJ0RlgLKOmxgJTeKdNnFRIBXuDL7D",
        "sk-proj-u8jzPde0IgxLd6GncfBAepfJBd0Kh8oOOL8dKLzd",
        "Tr0ub4dor-and-3",
        "ghp9f2KqL7mZ3xR8vT1wN4bY6cH0dJ5sA",
        "sk-proj-uvSwMFLZDe1f8rESQedUStPKR0CsTy4Qwb8DwkNh",
        "sk-proj-Rt5Yu9Io3Pa7Sd1Fg5Hj9Kl3Zx7Cv1Bn5Mq9Wd3",
        "sk-ant-api03-Vb6Nm2Qw8Er4Ty0Ui6Op2As8Df4Gh0Jk6Lz",
        "xoxb7Qm2Lp9Rt4Vw8Yz3",
    ];
    let loaded = validate::load(&[]).ok().unwrap();
    let all = cases::builtin().unwrap();
    let mut shown_secret_cases = 0;
    for rule in loaded.rules.rules.values() {
        let ex = cases::examples(&rule.id, &all);
        let text = explain::render(rule, &loaded.sources, &ex);
        for s in planted {
            assert!(!text.contains(s), "`explain {}` shows {s}", rule.id);
        }
        shown_secret_cases += usize::from(text.contains("…[redacted]"));
    }
    assert!(
        shown_secret_cases > 3,
        "no example shows a masked secret: the test proves nothing"
    );
}

// ---- schema ----

#[test]
fn schema_prints_the_cedar_schema_by_default() {
    let r = run(&["schema"]);
    assert_eq!(r.code, 0);
    assert_eq!(
        r.stdout,
        std::fs::read_to_string("schemas/compliance.cedarschema").unwrap()
    );
    assert!(cedar_policy::Schema::from_cedarschema_str(&r.stdout).is_ok());
    assert_eq!(run(&["schema", "cedar"]).stdout, r.stdout);
}

#[test]
fn schema_json_prints_each_kind_s_json_schema() {
    for (kind, file) in [
        ("ApiKeyInventory", "api-key-inventory"),
        ("RetentionPolicy", "retention-policy"),
        ("SecurityProfile", "security-profile"),
        ("waivers", "waivers"),
    ] {
        let r = run(&["schema", "json", kind]);
        assert_eq!(r.code, 0, "{kind}: {}", r.stderr);
        let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
        let on_disk: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(format!("schemas/{file}.schema.json")).unwrap()).unwrap();
        assert_eq!(v, on_disk, "{kind}");
        assert!(v["title"].as_str().unwrap().eq_ignore_ascii_case(kind));
    }
}

#[test]
fn schema_json_needs_a_known_kind() {
    let r = run(&["schema", "json", "Deployment"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains(
            "unknown kind `Deployment`: expected one of config, ApiKeyInventory, RetentionPolicy, SecurityProfile, Waivers"
        ),
        "{}",
        r.stderr
    );
    let r = run(&["schema", "json"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("`schema json` needs a kind"), "{}", r.stderr);
}

// ---- rules ----

#[test]
fn rules_show_the_source_of_each_rule() {
    let r = run(&["rules", "--policies", "examples/custom-policies/policies"]);
    assert_eq!(r.code, 0);
    let line = |id: &str| r.stdout.lines().find(|l| l.starts_with(id)).unwrap().to_string();
    assert!(r.stdout.lines().next().unwrap().ends_with("SOURCE"));
    assert!(line("K8S-001").ends_with(" built-in"), "{}", line("K8S-001"));
    assert!(line("ACME-K8S-001").ends_with(" examples/custom-policies/policies/images.cedar"));
    assert!(line("ACME-K8S-001").contains(" Container "));
}

// ---- the documents ----

/// The ```cedar blocks of a Markdown file.
fn cedar_blocks(markdown: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    for line in markdown.lines() {
        match (&mut current, line.trim_end()) {
            (None, "```cedar") => current = Some(String::new()),
            (Some(block), "```") => {
                out.push(std::mem::take(block));
                current = None;
            }
            (Some(block), l) => {
                block.push_str(l);
                block.push('\n');
            }
            _ => {}
        }
    }
    out
}

#[test]
fn the_entity_model_s_example_policies_validate_one_per_entity_type() {
    let doc = std::fs::read_to_string("docs/entity-model.md").unwrap();
    let blocks = cedar_blocks(&doc);
    let dir = tempfile::tempdir().unwrap();
    for (i, b) in blocks.iter().enumerate() {
        std::fs::write(dir.path().join(format!("example-{i:02}.cedar")), b).unwrap();
    }
    if let Err(f) = validate::load(&[dir.path().to_path_buf()]) {
        panic!(
            "docs/entity-model.md has invalid example policies:\n{}",
            f.render(false)
        );
    }
    for kind in compliance::facts::model::Kind::ALL {
        let n = blocks
            .iter()
            .filter(|b| b.contains(&format!("resource is {kind})")))
            .count();
        assert_eq!(n, 1, "docs/entity-model.md: {n} example policies for {kind}");
    }
}

#[test]
fn the_entity_model_describes_every_entity_type_and_attribute() {
    let doc = std::fs::read_to_string("docs/entity-model.md").unwrap();
    let mut missing = Vec::new();
    for ty in schema::entity_types().unwrap() {
        if ty.name == "Checker" {
            assert!(doc.contains("`Checker`"));
            continue;
        }
        let heading = format!("\n### {}\n", ty.name);
        let Some(start) = doc.find(&heading) else {
            missing.push(format!("section {}", ty.name));
            continue;
        };
        let section = &doc[start + heading.len()..];
        let section = &section[..section.find("\n### ").unwrap_or(section.len())];
        for a in &ty.attributes {
            if !section.contains(&format!("`{}`", a.name)) && !section.contains(&format!("`{}?`", a.name)) {
                missing.push(format!("{}.{}", ty.name, a.name));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "docs/entity-model.md does not describe: {missing:?}"
    );
}

#[test]
fn the_writing_guide_shows_the_files_it_tells_you_to_write() {
    let guide = std::fs::read_to_string("docs/writing-policies.md").unwrap();
    let policies: String = ["keys.cedar", "images.cedar"]
        .iter()
        .map(|f| std::fs::read_to_string(Path::new("examples/custom-policies/policies").join(f)).unwrap())
        .collect();
    let blocks = cedar_blocks(&guide);
    assert!(blocks.len() >= 2);
    // every final policy in the guide is in the example folder, verbatim; drafts that the
    // guide shows failing are marked as such
    for b in blocks.iter().filter(|b| !b.contains("// draft")) {
        assert!(
            policies.contains(b.trim()),
            "the guide's policy is not in examples/custom-policies:\n{b}"
        );
    }
    for case in [
        "key-quota-cap/fires",
        "key-quota-cap/passes",
        "image-registry/fires",
        "image-registry/passes",
    ] {
        let expected = std::fs::read_to_string(
            Path::new("examples/custom-policies/cases")
                .join(case)
                .join("expected.yaml"),
        )
        .unwrap();
        assert!(
            guide.contains(expected.trim()),
            "the guide does not show {case}/expected.yaml as it is"
        );
    }
}

#[test]
fn the_readme_usage_block_names_every_subcommand() {
    let help = run(&["--help"]).stdout;
    let readme = std::fs::read_to_string("README.md").unwrap();
    let start = readme.find("## Usage\n").unwrap();
    let usage = &readme[start..start + readme[start..].find("\n```\n").unwrap()];
    let commands: Vec<&str> = help
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .collect();
    assert!(commands.contains(&"explain") && commands.contains(&"policy"), "{help}");
    for c in commands {
        assert!(
            usage.contains(&format!("compliance {c} ")),
            "README's Usage block does not show `{c}`"
        );
    }
}
