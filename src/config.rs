//! The configuration file, `.compliance.yaml`: the settings a team keeps with its
//! repository (what to read, what fails the run, which rules, extra policies, waivers,
//! outputs). It is found in the checked folder or given with `--config`, validated
//! against `schemas/config.schema.json` (unknown keys are errors, with their line and
//! column), and merged under the command line: flags override its scalar settings and add
//! to its lists.

use crate::base::error::{Error, Result};
use crate::base::finding::Severity;
use crate::base::source::Pos;
use crate::engine::policy::load_rules;
use crate::engine::policy::{PolicyDiagnostic, RuleSet, SeverityOverride};
use crate::findings::outcome::InputDigest;
use crate::input::loader::Limits;
use crate::input::position::{self, DocPositions};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

/// The names looked for in the checked folder, in this order.
pub const FILE_NAMES: [&str; 2] = [".compliance.yaml", ".compliance.yml"];

/// The JSON Schema of the file.
pub const SCHEMA: &str = include_str!("../schemas/config.schema.json");

/// The file's settings, as written (paths not yet resolved).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Config {
    #[serde(default)]
    pub include: Vec<String>,
    #[serde(default)]
    pub exclude: Vec<String>,
    pub fail_on: Option<Severity>,
    #[serde(default)]
    pub rules: RulesConfig,
    #[serde(default)]
    pub policies: Vec<PathBuf>,
    #[serde(default)]
    pub waivers: Vec<PathBuf>,
    #[serde(default)]
    pub output: OutputConfig,
    #[serde(default)]
    pub render: RenderConfig,
    /// Pod Security Standards level(s): see [`crate::facts::pss::Config`].
    pub pod_security: Option<crate::facts::pss::Config>,
}

/// `render:`: how Helm charts and Kustomize overlays are rendered.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RenderConfig {
    pub enabled: Option<bool>,
    pub timeout_seconds: Option<u64>,
    #[serde(default)]
    pub helm: HelmConfig,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HelmConfig {
    pub bin: Option<PathBuf>,
    #[serde(default)]
    pub values: Vec<PathBuf>,
    #[serde(default)]
    pub set: Vec<String>,
    pub release: Option<String>,
    pub namespace: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RulesConfig {
    #[serde(default)]
    pub disable: Vec<String>,
    #[serde(default)]
    pub severity: BTreeMap<String, Severity>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputConfig {
    /// `text`, `json`, `markdown`, `html`, `sarif` or `junit` (checked by the schema).
    pub format: Option<String>,
    pub dir: Option<PathBuf>,
}

/// Where a setting is written: for diagnostics that point into the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub file: String,
    pub pos: Pos,
}

impl Origin {
    fn diagnostic(&self, message: String) -> PolicyDiagnostic {
        PolicyDiagnostic {
            file: self.file.clone(),
            line: self.pos.line,
            column: self.pos.column,
            message,
        }
    }
}

/// `rules.disable` and `rules.severity`, each entry with where it is written, so that an
/// unknown rule id is reported at its line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleSettings {
    pub disable: Vec<(String, Origin)>,
    pub severity: Vec<(String, Severity, Origin)>,
}

impl RuleSettings {
    pub fn is_empty(&self) -> bool {
        self.disable.is_empty() && self.severity.is_empty()
    }

    /// Applies the settings to a loaded rule set: disabled rules leave it (the engine never
    /// evaluates them), severities change. Every id must name a rule of the set (built-in or
    /// custom); an unknown one is an error at its line, with the closest id as a hint.
    pub fn apply(&self, rules: RuleSet) -> Result<RuleSet> {
        if self.is_empty() {
            return Ok(rules);
        }
        let mut diags = Vec::new();
        let known = |id: &str, at: &Origin, diags: &mut Vec<PolicyDiagnostic>| {
            if rules.rules.contains_key(id) {
                return true;
            }
            let hint = closest(id, rules.rules.keys().map(String::as_str))
                .map(|c| format!(" (did you mean `{c}`?)"))
                .unwrap_or_default();
            diags.push(at.diagnostic(format!(
                "unknown rule id `{id}`{hint}: `compliance rules` lists the rule ids"
            )));
            false
        };
        let mut disable = BTreeSet::new();
        for (id, at) in &self.disable {
            if known(id, at, &mut diags) {
                disable.insert(id.clone());
            }
        }
        let mut severity = Vec::new();
        for (id, sev, at) in &self.severity {
            if !known(id, at, &mut diags) {
                continue;
            }
            if disable.contains(id) {
                diags.push(at.diagnostic(format!(
                    "rule `{id}` is both disabled (`rules.disable`) and given a severity: keep one"
                )));
                continue;
            }
            severity.push((id, *sev));
        }
        if !diags.is_empty() {
            return Err(Error::Config(diags));
        }
        let mut rules = rules.without(&disable);
        for (id, to) in severity {
            if let Some(rule) = rules.rules.get_mut(id) {
                if rule.severity != to {
                    rules.overrides.push(SeverityOverride {
                        rule: id.clone(),
                        title: rule.title.clone(),
                        from: rule.severity,
                        to,
                    });
                    rule.severity = to;
                }
            }
        }
        Ok(rules)
    }
}

/// A configuration file, read and validated, its paths resolved against its folder.
#[derive(Debug, Clone)]
pub struct File {
    /// The path it was read from, as given or found.
    pub path: PathBuf,
    /// Digest and size, for the report's audit trail.
    pub digest: InputDigest,
    pub include: Vec<String>,
    pub exclude: Vec<String>,
    pub fail_on: Option<Severity>,
    pub rules: RuleSettings,
    pub policies: Vec<PathBuf>,
    pub waivers: Vec<PathBuf>,
    pub format: Option<String>,
    pub output_dir: Option<PathBuf>,
    /// Rendering settings, paths resolved.
    pub render: crate::input::render::Settings,
    /// `podSecurity`, when given.
    pub pod_security: Option<crate::facts::pss::Settings>,
}

impl File {
    /// Merges the file under the command-line options in `opts`: its include/exclude globs,
    /// policy folders and waiver files come first and the command line's are added after
    /// them; its rule settings apply. (`failOn` and the outputs are `check`'s to merge: a
    /// flag, when given, overrides them.)
    pub fn apply_to(&self, opts: &mut Options) {
        opts.include = self.include.iter().chain(&opts.include).cloned().collect();
        opts.exclude = self.exclude.iter().chain(&opts.exclude).cloned().collect();
        opts.policy_dirs = self.policies.iter().chain(&opts.policy_dirs).cloned().collect();
        opts.waiver_files = self.waivers.iter().chain(&opts.waiver_files).cloned().collect();
        opts.rule_settings = self.rules.clone();
        opts.config = Some(self.digest.clone());
        opts.render = self.render.clone();
        if let Some(p) = &self.pod_security {
            opts.pod_security = p.clone();
        }
    }
}

/// The configuration of a run: `explicit` (`--config FILE`, which must exist), else
/// `.compliance.yaml` or `.compliance.yml` in the first of `paths` that is a folder (none
/// there is fine), else nothing. `disabled` (`--no-config`) skips the search.
pub fn locate(paths: &[PathBuf], explicit: Option<&Path>, disabled: bool) -> Result<Option<File>> {
    if let Some(p) = explicit {
        return read(p).map(Some);
    }
    if disabled {
        return Ok(None);
    }
    match find(paths) {
        Some(p) => read(&p).map(Some),
        None => Ok(None),
    }
}

/// `.compliance.yaml` (or `.yml`) in the first folder of `paths`.
pub fn find(paths: &[PathBuf]) -> Option<PathBuf> {
    let folder = paths.iter().find(|p| p.as_os_str() != "-" && p.is_dir())?;
    FILE_NAMES.iter().map(|n| folder.join(n)).find(|p| p.is_file())
}

/// Reads and validates a configuration file.
pub fn read(path: &Path) -> Result<File> {
    let bytes = std::fs::read(path).map_err(|e| Error::ConfigFile {
        path: path.to_path_buf(),
        source: e,
    })?;
    let display = path.display().to_string();
    let text = String::from_utf8(bytes).map_err(|e| {
        let at = crate::input::loader::utf8_error(&display, e.as_bytes(), &e.utf8_error());
        Error::Config(vec![PolicyDiagnostic {
            file: display.clone(),
            line: at.line.unwrap_or(1),
            column: at.column.unwrap_or(1),
            message: at.message,
        }])
    })?;
    let (config, positions) = parse(&display, &text).map_err(Error::Config)?;
    let origin = |p: &str| Origin {
        file: display.clone(),
        pos: position::lookup(&positions, p),
    };
    let rules = RuleSettings {
        disable: config
            .rules
            .disable
            .iter()
            .enumerate()
            .map(|(i, id)| (id.clone(), origin(&crate::base::path::index("rules.disable", i))))
            .collect(),
        severity: config
            .rules
            .severity
            .iter()
            .map(|(id, s)| (id.clone(), *s, origin(&crate::base::path::key("rules.severity", id))))
            .collect(),
    };
    // globs are checked here, at their line, rather than when the walk starts
    let mut diags = Vec::new();
    for (key, globs) in [("include", &config.include), ("exclude", &config.exclude)] {
        for (i, g) in globs.iter().enumerate() {
            if let Err(e) = globset::Glob::new(g) {
                diags.push(
                    origin(&crate::base::path::index(key, i)).diagnostic(format!("invalid glob `{g}`: {}", e.kind())),
                );
            }
        }
    }
    let pod_security = match config
        .pod_security
        .as_ref()
        .map(crate::facts::pss::Config::settings)
        .transpose()
    {
        Ok(p) => p,
        Err(m) => {
            diags.push(origin("podSecurity").diagnostic(format!("`podSecurity`: {m}")));
            None
        }
    };
    if !diags.is_empty() {
        return Err(Error::Config(diags));
    }
    let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let resolve = |p: &PathBuf| {
        if base.as_os_str().is_empty() {
            p.clone()
        } else {
            base.join(p)
        }
    };
    let digest = {
        use sha2::{Digest, Sha256};
        InputDigest {
            file: display.clone(),
            sha256: crate::base::digest::hex(&Sha256::digest(text.as_bytes())),
            bytes: text.len() as u64,
        }
    };
    Ok(File {
        path: path.to_path_buf(),
        digest,
        include: config.include,
        exclude: config.exclude,
        fail_on: config.fail_on,
        rules,
        policies: config.policies.iter().map(resolve).collect(),
        waivers: config.waivers.iter().map(resolve).collect(),
        format: config.output.format,
        output_dir: config.output.dir.as_ref().map(resolve),
        render: {
            let (r, d) = (&config.render, crate::input::render::Settings::default());
            crate::input::render::Settings {
                enabled: r.enabled.unwrap_or(d.enabled),
                helm_bin: r.helm.bin.as_ref().map(resolve),
                helm_values: r.helm.values.iter().map(resolve).collect(),
                helm_set: r.helm.set.clone(),
                release: r.helm.release.clone().unwrap_or(d.release),
                namespace: r.helm.namespace.clone(),
                timeout: r.timeout_seconds.map_or(d.timeout, std::time::Duration::from_secs),
                max_output: d.max_output,
            }
        },
        pod_security,
    })
}

static VALIDATOR: LazyLock<std::result::Result<(serde_json::Value, jsonschema::Validator), String>> =
    LazyLock::new(|| {
        let schema: serde_json::Value = serde_json::from_str(SCHEMA).map_err(|e| e.to_string())?;
        let validator = jsonschema::draft202012::options()
            .build(&schema)
            .map_err(|e| e.to_string())?;
        Ok((schema, validator))
    });

/// Parses the text of a configuration file: YAML, then the JSON Schema (every violation,
/// at its line), then the typed settings.
pub fn parse(file: &str, text: &str) -> std::result::Result<(Config, DocPositions), Vec<PolicyDiagnostic>> {
    let text = crate::base::source::strip_bom(text);
    let at = |pos: Pos, message: String| PolicyDiagnostic {
        file: file.to_string(),
        line: pos.line,
        column: pos.column,
        message,
    };
    let value: serde_yaml::Value = match serde_yaml::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            let pos = e.location().map_or(Pos::START, |l| Pos {
                line: l.line() as u32,
                column: l.column() as u32,
            });
            return Err(vec![at(
                pos,
                format!("invalid YAML: {}", crate::input::loader::strip_position(&e.to_string())),
            )]);
        }
    };
    let mut value = value;
    let _ = value.apply_merge();
    let mut json = crate::input::loader::yaml_to_json(value);
    // an empty file is an empty configuration
    if json.is_null() {
        json = serde_json::Value::Object(serde_json::Map::new());
    }
    let positions = position::index_documents(text).into_iter().next().unwrap_or_default();
    let (schema, validator) = VALIDATOR.as_ref().map_err(|e| {
        vec![at(
            Pos::START,
            format!("the built-in configuration schema is broken: {e}"),
        )]
    })?;
    let mut diags: Vec<(Pos, String)> = Vec::new();
    for e in validator.iter_errors(&json) {
        let pointer = e.instance_path().as_str().to_string();
        match e.kind() {
            jsonschema::error::ValidationErrorKind::AdditionalProperties { unexpected } => {
                let known = known_keys(schema, &pointer);
                for key in unexpected {
                    let p = crate::base::path::from_pointer("", &format!("{pointer}/{}", escape_pointer(key)));
                    let hint = closest(key, known.iter().map(String::as_str))
                        .map(|c| format!(" (did you mean `{c}`?)"))
                        .unwrap_or_default();
                    let place = if pointer.is_empty() {
                        String::new()
                    } else {
                        format!(" in `{}`", crate::base::path::from_pointer("", &pointer))
                    };
                    diags.push((
                        position::lookup(&positions, &p),
                        format!(
                            "unknown key `{key}`{place}{hint}: expected one of {}",
                            known.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ")
                        ),
                    ));
                }
            }
            _ => {
                let p = crate::base::path::from_pointer("", &pointer);
                let field = if p.is_empty() {
                    "the configuration".to_string()
                } else {
                    format!("`{p}`")
                };
                diags.push((position::lookup(&positions, &p), format!("{field}: {e}")));
            }
        }
    }
    if !diags.is_empty() {
        diags.sort();
        diags.dedup();
        return Err(diags.into_iter().map(|(p, m)| at(p, m)).collect());
    }
    let config: Config = serde_path_to_error::deserialize(&json).map_err(|e| {
        let p = e.path().to_string();
        vec![at(position::lookup(&positions, &p), format!("`{p}`: {}", e.inner()))]
    })?;
    Ok((config, positions))
}

fn escape_pointer(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// The keys the schema allows in the object at `pointer`, in the schema's order.
fn known_keys(schema: &serde_json::Value, pointer: &str) -> Vec<String> {
    fn resolve<'s>(schema: &'s serde_json::Value, mut node: &'s serde_json::Value) -> &'s serde_json::Value {
        while let Some(r) = node.get("$ref").and_then(|r| r.as_str()) {
            match r.strip_prefix('#').and_then(|p| schema.pointer(p)) {
                Some(n) => node = n,
                None => break,
            }
        }
        node
    }
    let mut node = resolve(schema, schema);
    for seg in pointer.split('/').skip(1) {
        let next = node
            .get("properties")
            .and_then(|p| p.get(seg))
            .or_else(|| seg.parse::<usize>().ok().and_then(|_| node.get("items")))
            .or_else(|| node.get("additionalProperties").filter(|a| a.is_object()));
        match next {
            Some(n) => node = resolve(schema, n),
            None => return Vec::new(),
        }
    }
    node.get("properties")
        .and_then(|p| p.as_object())
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default()
}

/// The candidate closest to `word` when it is close enough to be a likely typo: the same
/// letters but for case, `-` and `_`, or a small edit distance.
pub fn closest<'a>(word: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let norm = |s: &str| {
        s.chars()
            .filter(|c| *c != '-' && *c != '_')
            .collect::<String>()
            .to_lowercase()
    };
    let w = norm(word);
    let limit = (w.chars().count() / 3).max(1);
    candidates
        .map(|c| (edit_distance(&w, &norm(c)), c))
        .filter(|(d, _)| *d <= limit)
        .min()
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let here = row[j + 1];
            row[j + 1] = if ca == *cb {
                prev
            } else {
                1 + prev.min(row[j]).min(row[j + 1])
            };
            prev = here;
        }
    }
    row[b.len()]
}

/// Parses `--now`.
pub fn parse_now(s: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|d| d.with_timezone(&Utc))
        .map_err(|_| Error::BadNow(s.to_string()))
}

/// Everything a check run needs to know: what to read, which rules, when, and how to
/// report. The command line and the configuration file fill it in; `check` consumes it.
#[derive(Debug, Clone)]
pub struct Options {
    /// Folders or files; `-` reads standard input.
    pub paths: Vec<PathBuf>,
    /// When not empty, only files under a checked folder that match one of these globs
    /// are read (the configuration's `include`).
    pub include: Vec<String>,
    pub exclude: Vec<String>,
    pub policy_dirs: Vec<PathBuf>,
    pub now: DateTime<Utc>,
    pub fail_on: Severity,
    pub limits: Limits,
    /// Ask git which files are tracked (data-driven cases switch it off: a case is a
    /// folder, whatever repository it sits in).
    pub git: bool,
    /// The command line, recorded in the report's audit trail.
    pub command_line: Vec<String>,
    /// `--waivers` files: `Waivers` documents read from anywhere.
    pub waiver_files: Vec<PathBuf>,
    /// `--baseline`: findings in it are listed but do not fail the run.
    pub baseline: Option<crate::findings::baseline::Baseline>,
    /// Rules disabled and severities changed by the configuration file.
    pub rule_settings: RuleSettings,
    /// The configuration file read, for the audit trail.
    pub config: Option<InputDigest>,
    /// How Helm charts and Kustomize overlays are rendered.
    pub render: crate::input::render::Settings,
    /// Pod Security Standards level (`--pod-security`, `podSecurity`).
    pub pod_security: crate::facts::pss::Settings,
}

impl Options {
    /// Defaults for everything but what to check and when.
    pub fn new(paths: Vec<PathBuf>, now: DateTime<Utc>) -> Self {
        Options {
            paths,
            include: Vec::new(),
            exclude: Vec::new(),
            policy_dirs: Vec::new(),
            now,
            fail_on: Severity::High,
            limits: Limits::default(),
            git: true,
            command_line: Vec::new(),
            waiver_files: Vec::new(),
            baseline: None,
            rule_settings: RuleSettings::default(),
            config: None,
            render: crate::input::render::Settings::default(),
            pod_security: crate::facts::pss::Settings::default(),
        }
    }

    /// The rules of this run: built-in, `policy_dirs`, then the configuration's rule settings.
    pub fn load_rules(&self) -> Result<RuleSet> {
        self.rule_settings.apply(load_rules(&self.policy_dirs)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn messages(r: std::result::Result<(Config, DocPositions), Vec<PolicyDiagnostic>>) -> Vec<String> {
        match r {
            Ok(_) => panic!("expected diagnostics"),
            Err(d) => d.iter().map(ToString::to_string).collect(),
        }
    }

    #[test]
    fn every_key_parses() {
        let text = "include: [\"deploy/**\"]\nexclude: [vendor/**]\nfailOn: medium\nrules:\n  disable: [K8S-004]\n  severity: {K8S-005: high}\npolicies: [policies]\nwaivers: [waivers.yaml]\noutput: {format: sarif, dir: reports}\n";
        let (c, _) = parse("c.yaml", text).unwrap();
        assert_eq!(c.include, ["deploy/**"]);
        assert_eq!(c.exclude, ["vendor/**"]);
        assert_eq!(c.fail_on, Some(Severity::Medium));
        assert_eq!(c.rules.disable, ["K8S-004"]);
        assert_eq!(c.rules.severity["K8S-005"], Severity::High);
        assert_eq!(c.policies, [PathBuf::from("policies")]);
        assert_eq!(c.waivers, [PathBuf::from("waivers.yaml")]);
        assert_eq!(c.output.format.as_deref(), Some("sarif"));
        assert_eq!(c.output.dir, Some(PathBuf::from("reports")));
    }

    #[test]
    fn an_empty_file_is_an_empty_configuration() {
        assert_eq!(parse("c.yaml", "").unwrap().0, Config::default());
        assert_eq!(parse("c.yaml", "# nothing yet\n").unwrap().0, Config::default());
    }

    #[test]
    fn unknown_keys_are_located_and_named_with_a_suggestion() {
        let m = messages(parse(
            "c.yaml",
            "exclude: []\nfail_on: high\nrules:\n  disabled: [K8S-001]\n",
        ));
        assert_eq!(m.len(), 2, "{m:?}");
        assert!(
            m[0].starts_with("c.yaml:2:1: unknown key `fail_on` (did you mean `failOn`?): expected one of `include`, `exclude`, `failOn`, `rules`, `policies`, `waivers`, `output`"),
            "{m:?}"
        );
        assert!(
            m[1].starts_with("c.yaml:4:3: unknown key `disabled` in `rules` (did you mean `disable`?): expected one of `disable`, `severity`"),
            "{m:?}"
        );
    }

    #[test]
    fn wrong_values_are_located() {
        let m = messages(parse(
            "c.yaml",
            "failOn: urgent\nrules:\n  severity:\n    K8S-001: severe\npolicies: policies\n",
        ));
        assert_eq!(m.len(), 3, "{m:?}");
        assert!(
            m[0].starts_with("c.yaml:1:1: `failOn`: \"urgent\" is not one of"),
            "{m:?}"
        );
        assert!(m[1].starts_with("c.yaml:4:5: `rules.severity.K8S-001`:"), "{m:?}");
        assert!(
            m[2].starts_with("c.yaml:5:1: `policies`:") && m[2].contains("array"),
            "{m:?}"
        );
        let m = messages(parse("c.yaml", "- a\n- b\n"));
        assert!(m[0].starts_with("c.yaml:1:1: the configuration:"), "{m:?}");
        let m = messages(parse("c.yaml", "failOn: [high\n"));
        assert!(m[0].starts_with("c.yaml:") && m[0].contains("invalid YAML"), "{m:?}");
    }

    #[test]
    fn render_settings_are_read_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(".compliance.yaml");
        let text = "render:\n  timeoutSeconds: 5\n  helm:\n    values: [deploy/prod.yaml]\n    set: [\"image.tag=1\"]\n    release: gw\n    namespace: ai\n";
        std::fs::write(&file, text).unwrap();
        let r = read(&file).unwrap().render;
        assert_eq!(r.helm_values, [dir.path().join("deploy/prod.yaml")]);
        assert_eq!(r.helm_set, ["image.tag=1"]);
        assert_eq!((r.release.as_str(), r.namespace.as_deref()), ("gw", Some("ai")));
        assert_eq!(r.timeout, std::time::Duration::from_secs(5));
        assert!(r.enabled);
        let m = messages(parse("c.yaml", "render:\n  helm:\n    set: [novalue]\n    repo: x\n"));
        assert_eq!(m.len(), 2, "{m:?}");
        assert!(
            m.iter()
                .any(|x| x.starts_with("c.yaml:4:5: unknown key `repo` in `render.helm`")),
            "{m:?}"
        );
    }

    #[test]
    fn paths_resolve_against_the_file_and_globs_are_checked() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(".compliance.yaml");
        let text = "policies: [p]\nwaivers: [w/x.yaml]\noutput: {dir: out}\nexclude: [\"a/**\"]\n";
        std::fs::write(&file, text).unwrap();
        let f = read(&file).unwrap();
        assert_eq!(f.policies, [dir.path().join("p")]);
        assert_eq!(f.waivers, [dir.path().join("w/x.yaml")]);
        assert_eq!(f.output_dir, Some(dir.path().join("out")));
        assert_eq!(f.digest.bytes, text.len() as u64);
        assert_eq!(f.exclude, ["a/**"]);
        std::fs::write(&file, "include:\n  - ok/**\n  - \"[bad\"\n").unwrap();
        let Err(Error::Config(d)) = read(&file) else {
            panic!("expected a glob error")
        };
        assert_eq!((d[0].line, d[0].column), (3, 5), "{d:?}");
        assert!(d[0].message.contains("invalid glob `[bad`"), "{d:?}");
    }

    #[test]
    fn the_file_is_found_in_the_first_folder_only_when_asked() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(".compliance.yml"), "failOn: low\n").unwrap();
        let paths = vec![PathBuf::from("-"), dir.path().to_path_buf()];
        let found = locate(&paths, None, false).unwrap().unwrap();
        assert_eq!(found.fail_on, Some(Severity::Low));
        assert!(locate(&paths, None, true).unwrap().is_none());
        assert!(locate(&[PathBuf::from("-")], None, false).unwrap().is_none());
        let missing = dir.path().join("nope.yaml");
        assert!(matches!(
            locate(&paths, Some(&missing), false),
            Err(Error::ConfigFile { .. })
        ));
    }

    #[test]
    fn rule_settings_disable_and_override_and_reject_unknown_ids() {
        let at = Origin {
            file: "c.yaml".into(),
            pos: Pos { line: 3, column: 5 },
        };
        let rules = crate::engine::policy::load(&[]).unwrap();
        let digest = rules.digest.clone();
        let low = rules.rules["K8S-004"].severity;
        let settings = RuleSettings {
            disable: vec![("K8S-001".into(), at.clone())],
            severity: vec![("K8S-004".into(), Severity::Critical, at.clone())],
        };
        let set = settings.apply(rules).unwrap();
        assert!(!set.rules.contains_key("K8S-001"));
        assert_eq!(
            set.disabled.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
            ["K8S-001"]
        );
        assert!(set
            .sets
            .values()
            .all(|s| s.policies().all(|p| p.id().to_string() != "K8S-001")));
        assert_ne!(set.digest, digest, "the digest is that of the policies that take part");
        assert_eq!(set.rules["K8S-004"].severity, Severity::Critical);
        assert_eq!(
            set.overrides,
            [SeverityOverride {
                rule: "K8S-004".into(),
                title: set.rules["K8S-004"].title.clone(),
                from: low,
                to: Severity::Critical
            }]
        );

        let bad = RuleSettings {
            disable: vec![("k8s-001".into(), at.clone()), ("NOPE-999".into(), at.clone())],
            severity: Vec::new(),
        };
        let Err(Error::Config(d)) = bad.apply(crate::engine::policy::load(&[]).unwrap()) else {
            panic!("expected unknown ids")
        };
        let m: Vec<String> = d.iter().map(ToString::to_string).collect();
        assert_eq!(m.len(), 2);
        assert!(
            m[0].starts_with("c.yaml:3:5: unknown rule id `k8s-001` (did you mean `K8S-001`?)"),
            "{m:?}"
        );
        assert!(m[1].contains("unknown rule id `NOPE-999`:"), "{m:?}");
    }

    #[test]
    fn close_matches() {
        let keys = ["include", "exclude", "failOn"];
        assert_eq!(closest("fail-on", keys.into_iter()), Some("failOn"));
        assert_eq!(closest("exlude", keys.into_iter()), Some("exclude"));
        assert_eq!(closest("colour", keys.into_iter()), None);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
