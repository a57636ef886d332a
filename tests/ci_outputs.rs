//! The CI outputs: SARIF (validated against the official SARIF 2.1.0 schema), JUnit XML
//! (parsed, counts checked), `--output-dir`, and the CI examples in examples/ci.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use assert_cmd::Command;
use compliance::check::{self, Options};
use compliance::report;
use quick_xml::events::Event;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::Path;

const NOW: &str = "2026-11-24T00:00:00Z";

fn compliance() -> Command {
    Command::cargo_bin("compliance").unwrap()
}

/// Runs `compliance check` with `--now` and the given arguments: (stdout, exit code).
fn check(args: &[&str]) -> (String, i32) {
    let out = compliance()
        .arg("check")
        .args(args)
        .args(["--now", NOW])
        .output()
        .unwrap();
    (String::from_utf8(out.stdout).unwrap(), out.status.code().unwrap())
}

fn json_report(args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.extend(["--format", "json"]);
    serde_json::from_str(&check(&all).0).unwrap()
}

/// The official schema, checked in both dialects: it declares draft-04, but draft-04 has no
/// `uri-reference` format and would let any artifact URI through; draft-07 knows it (the
/// schema uses no keyword whose meaning changed in between). It is self-contained: every
/// `$ref` is local, nothing is fetched.
struct SarifSchema([jsonschema::Validator; 2]);

impl SarifSchema {
    fn errors(&self, v: &Value) -> Vec<String> {
        self.0
            .iter()
            .flat_map(|validator| validator.iter_errors(v))
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect()
    }
}

fn sarif_validator() -> SarifSchema {
    let schema: Value = serde_json::from_str(include_str!("data/sarif-schema-2.1.0.json")).unwrap();
    SarifSchema([
        jsonschema::draft4::options()
            .should_validate_formats(true)
            .build(&schema)
            .unwrap(),
        jsonschema::draft7::options()
            .should_validate_formats(true)
            .build(&schema)
            .unwrap(),
    ])
}

/// Parses SARIF text and checks it against the official schema.
fn valid_sarif(text: &str) -> Value {
    let v: Value = serde_json::from_str(text).unwrap();
    let errors = sarif_validator().errors(&v);
    assert!(errors.is_empty(), "SARIF schema violations: {errors:#?}");
    v
}

fn run_of(sarif: &Value) -> &Value {
    let runs = sarif["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1);
    &runs[0]
}

fn fingerprint(result: &Value) -> String {
    result["partialFingerprints"]["complianceFingerprint/v1"]
        .as_str()
        .unwrap()
        .to_string()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

#[test]
fn sarif_of_every_example_validates_against_the_official_schema() {
    for (dir, code) in [
        ("examples/deploy", 1),
        ("examples/app", 1),
        ("tests/fixtures/bad", 2),
        ("tests/fixtures/planted", 2),
    ] {
        let (text, got) = check(&[dir, "--format", "sarif"]);
        assert_eq!(got, code, "{dir}");
        let sarif = valid_sarif(&text);
        assert_eq!(sarif["version"], "2.1.0");
        let json = json_report(&[dir]);
        let run = run_of(&sarif);
        let results = run["results"].as_array().unwrap();
        assert_eq!(results.len(), json["findings"].as_array().unwrap().len(), "{dir}");
        let invocation = &run["invocations"][0];
        assert_eq!(invocation["exitCode"], code, "{dir}");
        let errors = json["errors"].as_array().unwrap();
        // the run completed; GitHub would drop every result of an unsuccessful execution
        assert_eq!(invocation["executionSuccessful"], true, "{dir}");
        let notes = invocation["toolExecutionNotifications"].as_array().map_or(0, Vec::len);
        assert_eq!(notes, errors.len(), "{dir}");
    }
}

#[test]
fn the_schema_check_rejects_invalid_sarif() {
    let (text, _) = check(&["examples/deploy", "--format", "sarif"]);
    let mut v: Value = serde_json::from_str(&text).unwrap();
    let schema = sarif_validator();
    assert!(schema.errors(&v).is_empty());
    let loc = &mut v["runs"][0]["results"][0]["locations"][0]["physicalLocation"];
    loc["artifactLocation"]["uri"] = "not a uri reference".into();
    loc["region"]["startLine"] = 0.into();
    v["runs"][0]["results"][1]["level"] = "fatal".into();
    let errors = schema.errors(&v);
    assert_eq!(errors.len(), 3, "{errors:#?}");
    assert!(
        errors.iter().any(|e| e.ends_with("/artifactLocation/uri")),
        "{errors:#?}"
    );
}

#[test]
fn sarif_results_point_where_the_json_report_does() {
    let json = json_report(&["examples/deploy"]);
    let (text, _) = check(&["examples/deploy", "--format", "sarif"]);
    let sarif = valid_sarif(&text);
    let run = run_of(&sarif);
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let results = run["results"].as_array().unwrap();
    for (r, f) in results.iter().zip(json["findings"].as_array().unwrap()) {
        assert_eq!(r["ruleId"], f["rule"]);
        let rule = &rules[r["ruleIndex"].as_u64().unwrap() as usize];
        assert_eq!(rule["id"], f["rule"]);
        let level = match f["severity"].as_str().unwrap() {
            "critical" | "high" => "error",
            "medium" => "warning",
            _ => "note",
        };
        assert_eq!(r["level"], level);
        assert_eq!(r["message"]["text"], f["message"]);
        let loc = &r["locations"][0]["physicalLocation"];
        assert_eq!(loc["artifactLocation"]["uri"], f["file"]);
        assert_eq!(loc["artifactLocation"]["uriBaseId"], "%SRCROOT%");
        assert_eq!(loc["region"]["startLine"], f["line"]);
        assert_eq!(loc["region"]["startColumn"], f["column"]);
        // the end of a finding's field is not known: no made-up end
        assert!(loc["region"].get("endLine").is_none() && loc["region"].get("endColumn").is_none());
        let logical: Vec<&str> = r["locations"][0]["logicalLocations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["fullyQualifiedName"].as_str().unwrap())
            .collect();
        assert_eq!(logical, [f["resource"].as_str().unwrap(), f["path"].as_str().unwrap()]);
    }
    let sec = results.iter().find(|r| r["ruleId"] == "SEC-001").unwrap();
    assert_eq!(
        sec["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "frontend.yaml"
    );
    assert_eq!(sec["locations"][0]["physicalLocation"]["region"]["startLine"], 33);
    assert_eq!(sec["locations"][0]["physicalLocation"]["region"]["startColumn"], 15);
    assert_eq!(run["columnKind"], "unicodeCodePoints");
}

#[test]
fn sarif_describes_every_rule_for_github() {
    let catalogue: Value = serde_json::from_slice(
        &compliance()
            .args(["rules", "--format", "json"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let (text, _) = check(&["examples/deploy", "--format", "sarif"]);
    let sarif = valid_sarif(&text);
    let rules = run_of(&sarif)["tool"]["driver"]["rules"].as_array().unwrap();
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    let expected: Vec<&str> = catalogue
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, expected, "one descriptor per rule, in id order");
    for (r, c) in rules.iter().zip(catalogue.as_array().unwrap()) {
        let band = match c["severity"].as_str().unwrap() {
            "critical" => "9.5",
            "high" => "8.0",
            "medium" => "5.5",
            "low" => "3.0",
            _ => "0.0",
        };
        assert_eq!(r["properties"]["security-severity"], band, "{}", c["id"]);
        assert_eq!(r["shortDescription"]["text"], c["title"]);
        assert!(!r["fullDescription"]["text"].as_str().unwrap().is_empty());
        assert!(!r["help"]["text"].as_str().unwrap().is_empty());
        assert!(r["help"]["markdown"].as_str().unwrap().contains("```cedar"));
        assert!(r["name"].as_str().unwrap().chars().all(char::is_alphanumeric));
        let tags: Vec<&str> = r["properties"]["tags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap())
            .collect();
        // GitHub reads security-severity only for rules tagged `security`
        assert!(tags.contains(&"security") && tags.contains(&c["category"].as_str().unwrap()));
        for control in c["checklist"].as_array().unwrap() {
            assert!(tags.contains(&control.as_str().unwrap()));
        }
        assert!(["error", "warning", "note"].contains(&r["defaultConfiguration"]["level"].as_str().unwrap()));
    }
}

#[test]
fn sarif_fingerprints_survive_a_line_inserted_above() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("deploy");
    copy_dir(Path::new("examples/deploy"), &root);
    let root_arg = root.to_str().unwrap();
    let prints = || {
        let (text, _) = check(&[root_arg, "--format", "sarif", "--no-git"]);
        let sarif = valid_sarif(&text);
        run_of(&sarif)["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    fingerprint(r),
                    r["ruleId"].as_str().unwrap().to_string(),
                    r["locations"][0]["physicalLocation"]["region"]["startLine"]
                        .as_u64()
                        .unwrap(),
                )
            })
            .collect::<Vec<_>>()
    };
    let before = prints();
    let file = root.join("frontend.yaml");
    let text = std::fs::read_to_string(&file).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines.insert(32, "# a comment inserted above the SEC-001 finding");
    std::fs::write(&file, lines.join("\n") + "\n").unwrap();
    let after = prints();

    let key = |v: &[(String, String, u64)]| v.iter().map(|x| (x.0.clone(), x.1.clone())).collect::<BTreeSet<_>>();
    assert_eq!(key(&before), key(&after), "same findings, same fingerprints");
    let line_of = |v: &[(String, String, u64)]| v.iter().find(|x| x.1 == "SEC-001").unwrap().2;
    assert_eq!((line_of(&before), line_of(&after)), (33, 34), "the finding moved down");
    let unique: HashSet<&String> = before.iter().map(|x| &x.0).collect();
    assert_eq!(unique.len(), before.len(), "fingerprints are unique within a run");
}

#[test]
fn sarif_fingerprints_tell_apart_findings_that_share_rule_file_and_path() {
    // several keys in one source file: same rule, file, resource and (empty) field path
    let (text, _) = check(&["tests/fixtures/planted", "--format", "sarif"]);
    let sarif = valid_sarif(&text);
    let results = run_of(&sarif)["results"].as_array().unwrap();
    let mut per_file_rule: BTreeMap<(String, String), usize> = BTreeMap::new();
    for r in results {
        let uri = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap()
            .to_string();
        *per_file_rule
            .entry((uri, r["ruleId"].as_str().unwrap().to_string()))
            .or_default() += 1;
    }
    assert!(per_file_rule.values().any(|n| *n > 1), "the fixture has such findings");
    let prints: HashSet<String> = results.iter().map(fingerprint).collect();
    assert_eq!(prints.len(), results.len());
}

/// A temporary folder with a Pod whose names need escaping in XML and encoding in URIs,
/// plus an active and an expired waiver annotation.
fn awkward_folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("we&ird <1>.yaml"),
        r#"apiVersion: v1
kind: Pod
metadata:
  name: "x<&>\"'y"
  namespace: default
  annotations:
    compliance/waive.K8S-001: "reason=Needs <raw> & \"device\" access; owner=team-node; expires=2099-01-31"
    compliance/waive.K8S-004: "reason=Old exception; owner=team-node; expires=2020-01-31"
spec:
  automountServiceAccountToken: false
  containers:
    - name: "c&<"
      image: nginx
      securityContext: {privileged: true, runAsNonRoot: true, allowPrivilegeEscalation: false}
"#,
    )
    .unwrap();
    dir
}

#[test]
fn sarif_encodes_uris_and_leaves_waived_findings_out() {
    let dir = awkward_folder();
    let (text, code) = check(&[dir.path().to_str().unwrap(), "--format", "sarif", "--no-git"]);
    assert_eq!(code, 0, "{text}");
    let sarif = valid_sarif(&text);
    let run = run_of(&sarif);
    let results = run["results"].as_array().unwrap();
    let uri = &results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"];
    // `&` may stand in a URI path; space and angle brackets may not
    assert_eq!(uri, "we&ird%20%3C1%3E.yaml");
    // GitHub ignores `suppressions`: a waived finding is no result at all
    assert!(results.iter().all(|r| r["ruleId"] != "K8S-001"), "{results:#?}");
    assert_eq!(run["properties"]["waived"], 1);
    // the expired waiver waives nothing and is a configuration warning
    assert!(results.iter().any(|r| r["ruleId"] == "K8S-004"));
    let notes = run["invocations"][0]["toolConfigurationNotifications"]
        .as_array()
        .unwrap();
    assert!(
        notes
            .iter()
            .any(|n| n["level"] == "warning" && n["message"]["text"].as_str().unwrap().contains("expired")),
        "{notes:#?}"
    );
}

#[test]
fn sarif_marks_baseline_state_with_a_baseline() {
    let dir = tempfile::tempdir().unwrap();
    let baseline = dir.path().join("baseline.json");
    compliance()
        .args(["baseline", "examples/deploy", "--now", NOW, "-o"])
        .arg(&baseline)
        .assert()
        .success();
    let b = baseline.to_str().unwrap();
    let (text, code) = check(&["examples/deploy", "--format", "sarif", "--baseline", b]);
    assert_eq!(code, 0);
    let sarif = valid_sarif(&text);
    let results = run_of(&sarif)["results"].as_array().unwrap();
    assert!(!results.is_empty());
    assert!(results.iter().all(|r| r["baselineState"] == "unchanged"));
    let (text, _) = check(&["examples/app", "--format", "sarif", "--baseline", b]);
    let sarif = valid_sarif(&text);
    assert!(run_of(&sarif)["results"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["baselineState"] == "new"));
    // without a baseline there is no baseline state
    let (text, _) = check(&["examples/deploy", "--format", "sarif"]);
    assert!(!text.contains("baselineState"));
}

/// What a JUnit file holds, read with an XML parser.
#[derive(Debug, Default)]
struct Junit {
    /// (suite name, tests, failures, errors, skipped) as the attributes say.
    suites: Vec<(String, usize, usize, usize, usize)>,
    /// (suite, classname, name, outcome: pass / failure / error / skipped, failure type)
    cases: Vec<(String, String, String, String, String)>,
    /// The text of every `<failure>` and `<error>`.
    bodies: Vec<String>,
    root: BTreeMap<String, String>,
}

fn attrs(e: &quick_xml::events::BytesStart<'_>) -> BTreeMap<String, String> {
    e.attributes()
        .map(|a| {
            let a = a.unwrap();
            (
                String::from_utf8(a.key.as_ref().to_vec()).unwrap(),
                a.normalized_value(quick_xml::XmlVersion::Explicit1_0)
                    .unwrap()
                    .into_owned(),
            )
        })
        .collect()
}

fn parse_junit(text: &str) -> Junit {
    let mut reader = quick_xml::Reader::from_str(text);
    reader.config_mut().check_end_names = true;
    let mut j = Junit::default();
    let mut suite = String::new();
    let mut in_body = false;
    let num = |m: &BTreeMap<String, String>, k: &str| m.get(k).map_or(0, |v| v.parse::<usize>().unwrap());
    loop {
        let ev = reader
            .read_event()
            .unwrap_or_else(|e| panic!("not well-formed XML: {e}\n{text}"));
        match ev {
            Event::Eof => break,
            Event::Start(e) | Event::Empty(e) => {
                let a = attrs(&e);
                match e.name().as_ref() {
                    b"testsuites" => j.root = a,
                    b"testsuite" => {
                        suite = a["name"].clone();
                        j.suites.push((
                            suite.clone(),
                            num(&a, "tests"),
                            num(&a, "failures"),
                            num(&a, "errors"),
                            num(&a, "skipped"),
                        ));
                    }
                    b"testcase" => j.cases.push((
                        suite.clone(),
                        a["classname"].clone(),
                        a["name"].clone(),
                        "pass".into(),
                        String::new(),
                    )),
                    outcome @ (b"failure" | b"error" | b"skipped") => {
                        let case = j.cases.last_mut().unwrap();
                        assert_eq!(case.3, "pass", "one outcome per test case: {case:?}");
                        case.3 = String::from_utf8(outcome.to_vec()).unwrap();
                        case.4 = a.get("type").cloned().unwrap_or_default();
                        if outcome != b"skipped" {
                            assert!(!a["message"].is_empty());
                            j.bodies.push(String::new());
                            in_body = true;
                        }
                    }
                    _ => {}
                }
            }
            Event::Text(t) if in_body => {
                j.bodies.last_mut().unwrap().push_str(&t.decode().unwrap());
            }
            Event::GeneralRef(r) if in_body => {
                let name = r.decode().unwrap();
                let c = match name.as_ref() {
                    "amp" => "&",
                    "lt" => "<",
                    "gt" => ">",
                    "quot" => "\"",
                    "apos" => "'",
                    other => panic!("unexpected entity {other}"),
                };
                j.bodies.last_mut().unwrap().push_str(c);
            }
            Event::End(e) if matches!(e.name().as_ref(), b"failure" | b"error") => in_body = false,
            _ => {}
        }
    }
    j
}

/// The counts the attributes claim agree with the test cases.
fn assert_counts_agree(j: &Junit) {
    for (name, tests, failures, errors, skipped) in &j.suites {
        let of = |o: &str| j.cases.iter().filter(|c| &c.0 == name && c.3 == o).count();
        let all = j.cases.iter().filter(|c| &c.0 == name).count();
        assert_eq!(
            (*tests, *failures, *errors, *skipped),
            (all, of("failure"), of("error"), of("skipped")),
            "suite {name}"
        );
    }
    let sum = |i: usize| {
        j.suites
            .iter()
            .map(|s| [s.1, s.2, s.3, s.4][i])
            .sum::<usize>()
            .to_string()
    };
    for (i, k) in ["tests", "failures", "errors", "skipped"].iter().enumerate() {
        assert_eq!(j.root[*k], sum(i), "testsuites {k}");
    }
}

#[test]
fn junit_has_a_test_case_per_rule_and_resource_with_the_expected_counts() {
    let (text, code) = check(&["examples/deploy", "--format", "junit"]);
    assert_eq!(code, 1);
    let j = parse_junit(&text);
    assert_counts_agree(&j);
    let json = json_report(&["examples/deploy"]);
    let findings = json["findings"].as_array().unwrap();
    let pairs: BTreeSet<(&str, &str)> = findings
        .iter()
        .map(|f| (f["rule"].as_str().unwrap(), f["resource"].as_str().unwrap()))
        .collect();
    let catalogue: Value = serde_json::from_slice(
        &compliance()
            .args(["rules", "--format", "json"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let rules = catalogue.as_array().unwrap().len();
    let rules_with_findings: BTreeSet<&str> = pairs.iter().map(|p| p.0).collect();
    // one suite (no input errors): a failing case per rule x resource, a passing one per
    // rule without findings
    assert_eq!(j.suites.len(), 1);
    let (_, tests, failures, errors, skipped) = j.suites[0].clone();
    assert_eq!(failures, pairs.len());
    assert_eq!(tests, pairs.len() + rules - rules_with_findings.len());
    assert_eq!((errors, skipped), (0, 0));
    assert_eq!(
        (failures, tests),
        (23, 114),
        "examples/deploy: 23 failing pairs, 91 clean rules"
    );
    let failing: BTreeSet<(&str, &str)> = j
        .cases
        .iter()
        .filter(|c| c.3 == "failure")
        .map(|c| (c.1.as_str(), c.2.as_str()))
        .collect();
    assert_eq!(failing, pairs);
    // each failure carries file:line:column and the message of each of its findings
    let bodies = j.bodies.join("\n");
    for f in findings {
        let at = format!("{}:{}:{}: ", f["file"].as_str().unwrap(), f["line"], f["column"]);
        assert!(bodies.contains(&at), "{at}");
        assert!(bodies.contains(f["message"].as_str().unwrap()));
    }
    let sec = j.cases.iter().find(|c| c.1 == "SEC-001").unwrap();
    assert_eq!(
        (sec.2.as_str(), sec.4.as_str()),
        ("Deployment chat/chat-frontend", "critical")
    );
}

#[test]
fn junit_puts_input_errors_in_their_own_suite() {
    let (text, code) = check(&["tests/fixtures/bad", "--format", "junit"]);
    assert_eq!(code, 2);
    let j = parse_junit(&text);
    assert_counts_agree(&j);
    let json = json_report(&["tests/fixtures/bad"]);
    let errors = json["errors"].as_array().unwrap().len();
    assert!(errors >= 4);
    let suite = j.suites.iter().find(|s| s.0 == "compliance input errors").unwrap();
    assert_eq!((suite.1, suite.3), (errors, errors));
    assert!(
        j.bodies.iter().any(|b| b.starts_with("truncated.yaml:7:1: ")),
        "{:?}",
        j.bodies
    );
}

#[test]
fn junit_escapes_names_and_skips_waived_findings() {
    let dir = awkward_folder();
    let (text, _) = check(&[dir.path().to_str().unwrap(), "--format", "junit", "--no-git"]);
    let j = parse_junit(&text);
    assert_counts_agree(&j);
    let waived = j.cases.iter().find(|c| c.1 == "K8S-001").unwrap();
    assert_eq!(waived.2, "Pod default/x<&>\"'y");
    assert_eq!(waived.3, "skipped");
    assert!(text.contains("Needs &lt;raw&gt; &amp; &quot;device&quot; access"));
    let expired = j.cases.iter().find(|c| c.1 == "K8S-004").unwrap();
    assert_eq!(expired.3, "failure");
}

#[test]
fn output_dir_writes_five_reports_that_agree() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("nested/reports");
    let (stdout, code) = check(&["examples/deploy", "--output-dir", out.to_str().unwrap()]);
    assert_eq!(code, 1, "the exit status is the check's");
    assert!(
        stdout.contains("frontend.yaml:33:15: critical SEC-001"),
        "text still goes to stdout"
    );
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut expected: Vec<String> = report::outputs::FILES.iter().map(|s| s.to_string()).collect();
    expected.sort();
    assert_eq!(names, expected);
    assert_eq!(
        report::outputs::FILES,
        [
            "report.json",
            "report.md",
            "report.html",
            "report.sarif",
            "report.junit.xml",
            "report.policyreport.yaml"
        ]
    );
    let read = |n: &str| std::fs::read_to_string(out.join(n)).unwrap();

    let json: Value = serde_json::from_str(&read("report.json")).unwrap();
    let n = json["findings"].as_array().unwrap().len();
    assert_eq!(n, 23);
    let sarif = valid_sarif(&read("report.sarif"));
    assert_eq!(run_of(&sarif)["results"].as_array().unwrap().len(), n);
    let junit = parse_junit(&read("report.junit.xml"));
    let junit_findings: usize = junit
        .bodies
        .iter()
        .map(|b| b.lines().filter(|l| !l.starts_with(' ')).count())
        .sum();
    assert_eq!(junit_findings, n);
    let md = read("report.md");
    assert!(md.contains(&format!("**Findings:** {n}")), "{md}");
    let html = read("report.html");
    assert!(html.starts_with("<!DOCTYPE html>") || html.starts_with("<!doctype html>"));
    for f in json["findings"].as_array().unwrap() {
        let rule = f["rule"].as_str().unwrap();
        assert!(md.contains(rule) && html.contains(rule), "{rule}");
    }

    // the same evaluation as --format gives (SARIF and JUnit carry no command line)
    for (format, name) in [
        ("sarif", "report.sarif"),
        ("junit", "report.junit.xml"),
        ("policyreport", "report.policyreport.yaml"),
    ] {
        assert_eq!(
            check(&["examples/deploy", "--format", format]).0,
            read(name),
            "{format}"
        );
    }
}

/// Reports are written as they are rendered (issue 7); a destination that fails part-way is
/// a clear error with exit status 2, whichever renderer was writing.
#[test]
fn a_report_that_cannot_be_written_is_an_error_naming_the_destination() {
    if !Path::new("/dev/full").exists() {
        return;
    }
    for format in ["text", "json", "markdown", "html", "sarif", "junit", "policyreport"] {
        let out = compliance()
            .args([
                "check",
                "examples/deploy",
                "--now",
                NOW,
                "--format",
                format,
                "--output",
                "/dev/full",
            ])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{format}: {stderr}");
        assert!(stderr.contains("cannot write `/dev/full`"), "{format}: {stderr}");
        assert!(stderr.contains("No space left on device"), "{format}: {stderr}");
    }
}

#[test]
fn output_dir_combines_with_format_and_output() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("reports");
    let single = dir.path().join("single.sarif");
    let (stdout, code) = check(&[
        "examples/deploy",
        "--format",
        "sarif",
        "--output",
        single.to_str().unwrap(),
        "--output-dir",
        out.to_str().unwrap(),
    ]);
    assert_eq!((stdout.as_str(), code), ("", 1));
    assert_eq!(
        std::fs::read_to_string(&single).unwrap(),
        std::fs::read_to_string(out.join("report.sarif")).unwrap()
    );
    // an output folder that cannot be made is a usage error
    let blocker = dir.path().join("file");
    std::fs::write(&blocker, "").unwrap();
    compliance()
        .args(["check", "examples/deploy", "--now", NOW, "--output-dir"])
        .arg(blocker.join("reports"))
        .assert()
        .code(2);
}

#[test]
fn reports_written_into_the_checked_folder_are_not_checked_next_time() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("app");
    copy_dir(Path::new("examples/app"), &root);
    let run = || {
        let out = compliance()
            .current_dir(&root)
            .args(["check", ".", "--no-git", "--now", NOW, "--output-dir", "reports"])
            .args(["--format", "sarif", "--output", "app.sarif"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        std::fs::read_to_string(root.join("reports/report.json")).unwrap()
    };
    let first = run();
    assert!(root.join("app.sarif").is_file());
    let second = run();
    let findings = |t: &str| serde_json::from_str::<Value>(t).unwrap()["findings"].clone();
    assert_eq!(
        findings(&first),
        findings(&second),
        "the second run saw the first run's reports"
    );
}

#[test]
fn library_renders_every_form_deterministically() {
    let opts = Options::new(vec!["examples/deploy".into()], check::parse_now(NOW).unwrap());
    let rules = check::load_rules(&opts.policy_dirs).unwrap();
    let rep = check::run_with_rules(&opts, None, &rules).unwrap();
    let first = report::outputs::render_all(&rep, &rules).unwrap();
    let again = report::outputs::render_all(&check::run_with_rules(&opts, None, &rules).unwrap(), &rules).unwrap();
    assert_eq!(first, again);
    let names: Vec<&str> = first.iter().map(|(n, _)| *n).collect();
    assert_eq!(names, report::outputs::FILES);
    let sarif = valid_sarif(&report::sarif(&rep, &rules));
    assert_eq!(
        run_of(&sarif)["tool"]["driver"]["rules"].as_array().unwrap().len(),
        rules.rules.len()
    );
    // the same as check::run
    assert_eq!(report::json(&check::run(&opts, None).unwrap()), report::json(&rep));
}

fn yaml(path: &str) -> serde_yaml::Value {
    serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The `compliance check` command lines of a CI file use options that exist.
fn assert_known_options(text: &str) {
    let help = String::from_utf8(compliance().args(["check", "--help"]).output().unwrap().stdout).unwrap();
    for line in text.lines().filter(|l| l.contains("compliance check")) {
        for word in line.split_whitespace().filter(|w| w.starts_with("--")) {
            let option = word.trim_end_matches([',', ']']);
            assert!(
                help.contains(option),
                "`{option}` in `{line}` is not a `compliance check` option"
            );
        }
    }
}

#[test]
fn ci_examples_are_valid_and_use_the_reports() {
    // GitHub Actions: run, upload SARIF with security-events: write, summary, exit status kept
    let text = std::fs::read_to_string("examples/ci/github-actions.yml").unwrap();
    assert_known_options(&text);
    let gh = yaml("examples/ci/github-actions.yml");
    let job = &gh["jobs"]["compliance"];
    assert_eq!(job["permissions"]["security-events"], "write");
    let steps = job["steps"].as_sequence().unwrap();
    let run_text: Vec<&str> = steps.iter().filter_map(|s| s["run"].as_str()).collect();
    assert!(run_text
        .iter()
        .any(|r| r.contains("compliance check . --output-dir reports --fail-on high")));
    assert!(run_text
        .iter()
        .any(|r| r.contains("reports/report.md") && r.contains("$GITHUB_STEP_SUMMARY")));
    let upload = steps
        .iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("github/codeql-action/upload-sarif@v3"))
        })
        .unwrap();
    assert_eq!(upload["with"]["sarif_file"], "reports/report.sarif");
    assert!(upload["if"].as_str().unwrap().contains("always()"));
    let last = steps.last().unwrap();
    assert!(last["run"].as_str().unwrap().contains("steps.check.outputs.status"));

    // GitLab: the JUnit report
    let text = std::fs::read_to_string("examples/ci/gitlab-ci.yml").unwrap();
    assert_known_options(&text);
    let gl = yaml("examples/ci/gitlab-ci.yml");
    let job = &gl["compliance"];
    assert_eq!(job["artifacts"]["reports"]["junit"], "reports/report.junit.xml");
    assert_eq!(job["artifacts"]["when"], "always");
    assert!(job["script"]
        .as_sequence()
        .unwrap()
        .iter()
        .any(|s| s.as_str().unwrap().contains("--output-dir reports")));

    // pre-commit: the hook definitions at the repository root and the example config
    let hooks = yaml(".pre-commit-hooks.yaml");
    let hooks = hooks.as_sequence().unwrap();
    for h in hooks {
        for key in ["id", "name", "entry", "language"] {
            assert!(h[key].as_str().is_some(), "hook without `{key}`: {h:?}");
        }
        assert!(h["entry"].as_str().unwrap().starts_with("compliance check"));
        assert_eq!(h["pass_filenames"], false);
    }
    let ids: Vec<&str> = hooks.iter().map(|h| h["id"].as_str().unwrap()).collect();
    let config = yaml("examples/ci/pre-commit-config.yaml");
    for repo in config["repos"].as_sequence().unwrap() {
        for hook in repo["hooks"].as_sequence().unwrap() {
            assert!(ids.contains(&hook["id"].as_str().unwrap()), "{hook:?}");
        }
    }
    assert_known_options(&std::fs::read_to_string("examples/ci/pre-commit-config.yaml").unwrap());
}
