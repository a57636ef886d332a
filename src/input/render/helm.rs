//! Helm charts: `helm template RELEASE CHART [--namespace NS] [-f FILE]... [--set K=V]...`
//! on a private copy of the chart ([`super::stage`]), with no network (no `--repo`, no
//! `dependency update`: a missing dependency is left out and named), no plugins
//! (HELM_PLUGINS is an empty folder) and no post-renderer.

use super::{
    describe, documents, generated, join, outputs, parent, process, shell_line, stage, Output, Plan, Provenance, Role,
    Settings,
};
use crate::base::finding::InputError;
use crate::input::discover::Candidate;
use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// A chart folder among the discovered files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chart {
    pub dir: PathBuf,
    /// The folder relative to the checked folder (`""` for the folder itself).
    pub display: String,
}

impl Chart {
    fn name(&self) -> String {
        if self.display.is_empty() {
            ".".to_string()
        } else {
            self.display.clone()
        }
    }
}

/// Folders holding a `Chart.yaml`, outermost only: a subchart (`charts/<sub>/Chart.yaml`)
/// is rendered as part of its parent.
pub fn find(candidates: &[Candidate]) -> Vec<Chart> {
    let mut charts: Vec<Chart> = Vec::new();
    // candidates are sorted by display name, so a parent comes before its subcharts
    for c in candidates {
        let is_chart = c.path.file_name().is_some_and(|n| n == "Chart.yaml");
        let Some(dir) = c.path.parent().filter(|_| is_chart) else {
            continue;
        };
        let display = parent(&c.display).to_string();
        if charts.iter().any(|p| inside(&display, &p.display)) {
            continue;
        }
        charts.push(Chart {
            dir: dir.to_path_buf(),
            display,
        });
    }
    charts
}

/// Is `display` the folder `dir` or under it?
fn inside(display: &str, dir: &str) -> bool {
    dir.is_empty() || display == dir || display.starts_with(&format!("{dir}/"))
}

pub(super) fn plan(candidates: &[Candidate], settings: &Settings, max_file: u64, out: &mut Plan) {
    use rayon::prelude::*;
    let charts = find(candidates);
    let mut files: Vec<Vec<&Candidate>> = vec![Vec::new(); charts.len()];
    for c in candidates {
        if let Some(i) = charts.iter().position(|ch| inside(&c.display, &ch.display)) {
            out.roles
                .insert(c.display.clone(), role(&c.display, &charts[i].display));
            files[i].push(c);
        }
    }
    let rendered: Vec<(&Chart, Result<Rendered, InputError>)> = charts
        .par_iter()
        .zip(files.par_iter())
        .map(|(ch, files)| (ch, render(ch, files, settings, max_file)))
        .collect();
    for (chart, result) in rendered {
        match result {
            Ok(r) => {
                out.outputs.extend(r.outputs);
                if let Some(note) = r.note {
                    out.notes.push(note);
                    out.unread
                        .push(format!("{} (subcharts not in `charts/`)", chart.name()));
                }
            }
            Err(e) => {
                out.errors.push(e);
                out.unread.push(chart.name());
            }
        }
    }
}

/// A chart's templates (its own, its subcharts', `crds/`) are read through the rendered
/// output; its other files are helm's input, scanned as text.
fn role(display: &str, chart: &str) -> Role {
    let rel = if chart.is_empty() {
        display
    } else {
        display
            .strip_prefix(chart)
            .map_or(display, |r| r.trim_start_matches('/'))
    };
    let rendered = rel
        .split('/')
        .rev()
        .skip(1)
        .any(|dir| dir == "templates" || dir == "crds");
    if rendered {
        Role::Rendered
    } else {
        Role::ChartFile
    }
}

/// The arguments after the program name.
fn args(s: &Settings, dir: &Path) -> Vec<OsString> {
    let mut a: Vec<OsString> = vec![
        "template".into(),
        s.release.clone().into(),
        safe_path(dir).into_os_string(),
    ];
    if let Some(ns) = &s.namespace {
        a.extend(["--namespace".into(), ns.into()]);
    }
    for v in &s.helm_values {
        a.extend(["--values".into(), safe_path(v).into_os_string()]);
    }
    for e in &s.helm_set {
        a.extend(["--set".into(), e.into()]);
    }
    a
}

/// A relative path that starts with `-` would be read as a flag.
fn safe_path(p: &Path) -> PathBuf {
    if p.is_relative() && p.to_string_lossy().starts_with('-') {
        Path::new(".").join(p)
    } else {
        p.to_path_buf()
    }
}

/// The command a user runs to render the chart and check the result; `--helm-set` values
/// are not repeated (they may be secrets).
pub fn command(chart: &Chart, s: &Settings) -> String {
    // the folder as the user can reach it from where `compliance` ran
    let mut w = vec![
        "helm".to_string(),
        "template".to_string(),
        s.release.clone(),
        safe_path(&chart.dir).display().to_string(),
    ];
    if let Some(ns) = &s.namespace {
        w.extend(["--namespace".to_string(), ns.clone()]);
    }
    for v in &s.helm_values {
        w.extend(["--values".to_string(), v.display().to_string()]);
    }
    for e in &s.helm_set {
        w.extend(["--set".to_string(), format!("{}=…", set_key(e))]);
    }
    format!("{} | compliance check -", shell_line(&w))
}

/// `a.b=c` -> `a.b`.
fn set_key(expr: &str) -> &str {
    expr.split_once('=').map_or(expr, |(k, _)| k)
}

fn provenance(chart: &Chart, s: &Settings) -> Provenance {
    Provenance {
        by: "helm".to_string(),
        chart: Some(chart.name()),
        kustomization: None,
        values: s.helm_values.iter().map(|v| v.display().to_string()).collect(),
        set: s.helm_set.iter().map(|e| set_key(e).to_string()).collect(),
        release: Some(s.release.clone()),
        namespace: s.namespace.clone(),
    }
}

/// What rendering one chart gave.
pub struct Rendered {
    pub outputs: Vec<Output>,
    /// Said when dependencies were left out: their objects are not checked.
    pub note: Option<InputError>,
}

/// Renders one chart from a private copy of its discovered `files` (see [`super::stage`]):
/// the rendered objects per template, or one error at `Chart.yaml`.
pub fn render(chart: &Chart, files: &[&Candidate], s: &Settings, max_file: u64) -> Result<Rendered, InputError> {
    let at = join(&chart.display, "Chart.yaml");
    let fail = |why: String| {
        InputError::new(
            &at,
            None,
            format!(
                "Helm chart not rendered, its objects are not checked: {why}; render it with `{}`",
                command(chart, s)
            ),
        )
    };
    if !s.enabled {
        return Err(fail("rendering is switched off (--no-render)".to_string()));
    }
    let Some(bin) = s.helm_bin.clone().or_else(|| process::which("helm")) else {
        return Err(fail("`helm` is not on PATH (--helm-bin names it)".to_string()));
    };
    let staged = stage::stage(&chart.display, files, max_file).map_err(fail)?;
    let missing = missing_words(&staged.missing);
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let stdout = process::run(&bin, &args(s, staged.dir.path()), &cwd, &s.bounds()).map_err(|f| {
        // helm names the private copy: say the chart's own folder instead
        let why = describe("helm template", &f).replace(&staged.dir.path().display().to_string(), &chart.name());
        match &missing {
            Some(m) => fail(format!(
                "{why} (rendered without its dependencies {m}, which are not in `charts/`)"
            )),
            None => fail(why),
        }
    })?;
    let mut text = String::from_utf8_lossy(&stdout).into_owned();
    if text.contains("kind: Secret") {
        // a second render tells the values generated at install time from committed ones
        if let Ok(again) = process::run(&bin, &args(s, staged.dir.path()), &cwd, &s.bounds()) {
            let given: Vec<&str> = s
                .helm_set
                .iter()
                .filter_map(|e| e.split_once('=').map(|(_, v)| v))
                .collect();
            text = generated::without_generated_values(&text, &String::from_utf8_lossy(&again), &given);
        }
    }
    let note = missing.map(|m| {
        InputError::new(
            &at,
            None,
            format!(
                "Helm chart rendered without its dependencies {m}: they are not in `charts/` and rendering never fetches them, so their objects are not checked; run `helm dependency build {}` and check again to include them",
                safe_path(&chart.dir).display()
            ),
        )
    });
    Ok(Rendered {
        outputs: split(&text, chart, &provenance(chart, s)),
        note,
    })
}

/// `` `a`, `b` `` for a note, or nothing when no dependency is missing.
fn missing_words(missing: &[String]) -> Option<String> {
    (!missing.is_empty()).then(|| format!("`{}`", missing.join("`, `")))
}

/// Groups `helm template`'s output by its `# Source:` lines: one text per template, the
/// documents as `helm template --show-only <template>` prints them (each after `---` and
/// its `# Source:` line), so that a line number is that output's.
pub fn split(text: &str, chart: &Chart, provenance: &Provenance) -> Vec<Output> {
    let mut by_source: BTreeMap<String, String> = BTreeMap::new();
    for doc in documents(text) {
        let source = doc
            .lines()
            .find_map(|l| l.strip_prefix("# Source: "))
            .map(|s| s.trim().to_string());
        let display = match &source {
            // `<chart name>/templates/x.yaml`: the chart's own name, not its folder's
            Some(s) => join(&chart.display, s.split_once('/').map_or(s.as_str(), |(_, rest)| rest)),
            None => join(&chart.display, "Chart.yaml"),
        };
        let entry = by_source.entry(display).or_default();
        entry.push_str("---\n");
        if !doc.starts_with("# Source: ") {
            if let Some(s) = &source {
                entry.push_str(&format!("# Source: {s}\n"));
            }
        }
        entry.push_str(&doc);
    }
    outputs(by_source, provenance)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cand(display: &str) -> Candidate {
        Candidate {
            path: PathBuf::from("/r").join(display),
            display: display.to_string(),
        }
    }

    #[test]
    fn templates_are_rendered_and_other_chart_files_scanned() {
        assert_eq!(role("c/templates/a.yaml", "c"), Role::Rendered);
        assert_eq!(role("c/templates/tests/t.yaml", "c"), Role::Rendered);
        assert_eq!(role("c/charts/pg/templates/s.yaml", "c"), Role::Rendered);
        assert_eq!(role("templates/a.yaml", ""), Role::Rendered);
        assert_eq!(role("c/values.yaml", "c"), Role::ChartFile);
        assert_eq!(role("c/Chart.yaml", "c"), Role::ChartFile);
        assert_eq!(role("c/ci/values-templates.yaml", "c"), Role::ChartFile);
    }

    #[test]
    fn subcharts_belong_to_their_parent() {
        let found = find(&[
            cand("deploy/app/Chart.yaml"),
            cand("deploy/app/charts/pg/Chart.yaml"),
            cand("deploy/app/templates/x.yaml"),
            cand("other/Chart.yaml"),
        ]);
        let names: Vec<_> = found.iter().map(|c| c.display.as_str()).collect();
        assert_eq!(names, ["deploy/app", "other"]);
    }

    #[test]
    fn output_is_grouped_by_template_with_helm_show_only_lines() {
        let chart = Chart {
            dir: PathBuf::from("/r/deploy/app"),
            display: "deploy/app".into(),
        };
        let out = "---\n# Source: app/templates/a.yaml\nkind: A\n---\n# Source: app/charts/pg/templates/s.yaml\nkind: S\n---\n# Source: app/templates/a.yaml\nkind: A2\n";
        let p = provenance(&chart, &Settings::default());
        let got = split(out, &chart, &p);
        let names: Vec<_> = got.iter().map(|o| o.display.as_str()).collect();
        assert_eq!(
            names,
            ["deploy/app/charts/pg/templates/s.yaml", "deploy/app/templates/a.yaml"]
        );
        assert_eq!(
            got[1].text,
            "---\n# Source: app/templates/a.yaml\nkind: A\n---\n# Source: app/templates/a.yaml\nkind: A2\n"
        );
    }

    #[test]
    fn the_command_never_repeats_set_values() {
        let chart = Chart {
            dir: PathBuf::from("c"),
            display: "x/c".into(),
        };
        let s = Settings {
            helm_set: vec!["db.password=hunter2".into()],
            helm_values: vec![PathBuf::from("prod values.yaml")],
            namespace: Some("ai".into()),
            ..Settings::default()
        };
        let c = command(&chart, &s);
        assert_eq!(
            c,
            "helm template release c --namespace ai --values 'prod values.yaml' --set db.password=… | compliance check -"
        );
        assert!(!c.contains("hunter2"));
    }

    #[test]
    fn a_missing_helm_is_one_error_at_chart_yaml() {
        let chart = Chart {
            dir: PathBuf::from("c"),
            display: "c".into(),
        };
        let s = Settings {
            helm_bin: Some(PathBuf::from("/nonexistent/helm")),
            ..Settings::default()
        };
        let e = render(&chart, &[], &s, 1 << 20).err().unwrap();
        assert_eq!(e.file, "c/Chart.yaml");
        assert!(e.message.contains("`helm template` was not found"), "{}", e.message);
        assert!(
            e.message.contains("`helm template release c | compliance check -`"),
            "{}",
            e.message
        );
    }
}
