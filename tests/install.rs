//! The install story: the Dockerfile's images (non-root distroless, the same user and port as
//! the chart and `webhook manifests` use), the container-based CI examples, and README's
//! install commands. No container engine runs here, so the images are not built: these
//! tests hold the files to what the rest of the repository says.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::compliance;
use compliance::webhook::manifests::{self, Params};
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// A build stage: its base image and its instructions (continuation lines joined).
struct Stage {
    from: String,
    lines: Vec<String>,
}

fn stages(text: &str) -> BTreeMap<String, Stage> {
    let mut joined = Vec::new();
    let mut current = String::new();
    for line in text.lines().filter(|l| !l.trim_start().starts_with('#')) {
        match line.strip_suffix('\\') {
            Some(head) => current.push_str(head),
            None => {
                current.push_str(line);
                joined.push(std::mem::take(&mut current));
            }
        }
    }
    let mut out = BTreeMap::new();
    let mut name = String::new();
    for line in joined.into_iter().filter(|l| !l.trim().is_empty()) {
        let words: Vec<&str> = line.split_whitespace().collect();
        if words[0] == "FROM" {
            assert_eq!(words.get(2).copied(), Some("AS"), "{line}");
            name = words[3].to_string();
            out.insert(
                name.clone(),
                Stage {
                    from: words[1].to_string(),
                    lines: Vec::new(),
                },
            );
        } else if let Some(s) = out.get_mut(&name) {
            s.lines.push(line.trim().to_string());
        }
    }
    out
}

fn instruction<'a>(stage: &'a Stage, keyword: &str) -> Option<&'a str> {
    stage
        .lines
        .iter()
        .rev()
        .find_map(|l| l.strip_prefix(keyword).map(str::trim))
}

fn documents(text: &str) -> Vec<Value> {
    serde_yaml::Deserializer::from_str(text)
        .map(|d| serde_json::to_value(serde_yaml::Value::deserialize(d).unwrap()).unwrap())
        .collect()
}

#[test]
fn the_images_are_non_root_distroless_and_match_the_webhook_manifests() {
    let text = std::fs::read_to_string("Dockerfile").unwrap();
    let stages = stages(&text);
    let build = &stages["build"];
    assert!(build
        .lines
        .iter()
        .any(|l| l.contains("cargo build --release --locked --bin compliance")));
    // what the Deployment runs as, and where it listens
    let objects = documents(&manifests::render_stream(&Params::default()).unwrap());
    let deployment = objects.iter().find(|o| o["kind"] == "Deployment").unwrap();
    let pod = &deployment["spec"]["template"]["spec"];
    let user = format!(
        "{}:{}",
        pod["securityContext"]["runAsUser"], pod["securityContext"]["runAsGroup"]
    );
    let container = &pod["containers"][0];
    let port = container["ports"][0]["containerPort"].to_string();
    for name in ["cli", "ci", "webhook"] {
        let s = &stages[name];
        assert!(
            s.from.starts_with("gcr.io/distroless/") || s.from == "scratch",
            "{name} is based on {}",
            s.from
        );
        assert!(s.from.contains("nonroot"), "{name}: {}", s.from);
        assert_eq!(instruction(s, "USER"), Some(user.as_str()), "{name}");
        assert_eq!(
            instruction(s, "ENTRYPOINT"),
            Some(r#"["/usr/local/bin/compliance"]"#),
            "{name}"
        );
        assert!(
            s.lines
                .iter()
                .any(|l| l.starts_with("COPY --from=build /out/compliance")),
            "{name}"
        );
    }
    // the default target is the webhook, serving where the Deployment's probes look, with
    // the certificate where the Deployment mounts it
    assert_eq!(
        stages.keys().last().map(String::as_str),
        Some("webhook"),
        "the last stage is the default"
    );
    let webhook = &stages["webhook"];
    assert_eq!(instruction(webhook, "EXPOSE"), Some(port.as_str()));
    let cmd: Vec<String> = serde_json::from_str(instruction(webhook, "CMD").unwrap()).unwrap();
    let args: Vec<String> = container["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_string())
        .collect();
    assert_eq!(cmd[..], args[..4]);
    // the CLI images can render the charts they find
    for name in ["cli", "ci"] {
        assert!(
            stages[name].lines.iter().any(|l| l.contains("/usr/local/bin/helm")),
            "{name}"
        );
    }
    assert!(stages["ci"].from.contains("debug"), "a CI job's image needs a shell");
    let ignore = std::fs::read_to_string(".dockerignore").unwrap();
    assert!(ignore.lines().any(|l| l == "target/"));
}

/// The `compliance check` command lines of a CI file use options that exist.
fn assert_known_options(text: &str) {
    let help = String::from_utf8(compliance().args(["check", "--help"]).output().unwrap().stdout).unwrap();
    let mut seen = 0;
    for line in text.lines().filter(|l| l.contains(" check .")) {
        seen += 1;
        for word in line.split_whitespace().filter(|w| w.starts_with("--")) {
            let option = word.trim_end_matches([',', ']']);
            assert!(
                help.contains(option),
                "`{option}` in `{line}` is not a `compliance check` option"
            );
        }
    }
    assert!(seen > 0);
}

#[test]
fn the_container_ci_examples_run_the_image_and_keep_the_reports() {
    let text = std::fs::read_to_string("examples/ci/github-actions-container.yml").unwrap();
    assert_known_options(&text);
    let gh: Value = serde_yaml::from_str(&text).unwrap();
    let job = &gh["jobs"]["compliance"];
    assert_eq!(job["permissions"]["security-events"], "write");
    let steps = job["steps"].as_array().unwrap();
    let check = steps.iter().find(|s| s["id"] == "check").unwrap()["run"]
        .as_str()
        .unwrap();
    // the image's user cannot write the runner's checkout: the reports get the runner's ids
    assert!(
        check.contains("docker run --rm --user \"$(id -u):$(id -g)\""),
        "{check}"
    );
    assert!(check.contains("\"$COMPLIANCE_IMAGE\" check . --output-dir /reports --fail-on high"));
    assert!(check.contains("-v \"$PWD/reports:/reports\""));
    let upload = steps
        .iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("github/codeql-action/upload-sarif@"))
        })
        .unwrap();
    assert_eq!(upload["with"]["sarif_file"], "reports/report.sarif");
    assert!(steps.last().unwrap()["run"]
        .as_str()
        .unwrap()
        .contains("steps.check.outputs.status"));

    let text = std::fs::read_to_string("examples/ci/gitlab-ci-container.yml").unwrap();
    assert_known_options(&text);
    let gl: Value = serde_yaml::from_str(&text).unwrap();
    let job = &gl["compliance"];
    // the runner needs a shell in the image, and the entrypoint out of the way
    assert!(job["image"]["name"].as_str().unwrap().ends_with("-ci"));
    assert_eq!(job["image"]["entrypoint"], serde_json::json!([""]));
    assert_eq!(job["artifacts"]["reports"]["junit"], "reports/report.junit.xml");
    assert_eq!(job["artifacts"]["when"], "always");
}

#[test]
fn readme_installs_with_cargo_and_the_image() {
    let readme = std::fs::read_to_string("README.md").unwrap();
    let install = readme
        .split("\n## Install")
        .nth(1)
        .unwrap()
        .split("\n## ")
        .next()
        .unwrap();
    for needle in [
        "cargo install --locked --path .",
        "docker build --target cli",
        "docker build --target webhook",
        "helm install",
        "charts/compliance-webhook",
        "docs/install.md",
    ] {
        assert!(install.contains(needle), "README's install section lacks `{needle}`");
    }
    let doc = std::fs::read_to_string("docs/install.md").unwrap();
    for file in [
        "examples/ci/github-actions.yml",
        "examples/ci/github-actions-container.yml",
        "examples/ci/gitlab-ci.yml",
        "examples/ci/gitlab-ci-container.yml",
    ] {
        assert!(doc.contains(file), "docs/install.md does not point at {file}");
        assert!(std::path::Path::new(file).is_file());
    }
}
