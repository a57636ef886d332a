//! A chart is rendered from a private copy of the files discovery found under it, never
//! from the folder itself:
//! - helm then reads nothing that the check would not: a link that leaves the checked
//!   folder, an excluded file or a FIFO is not there for `.Files.Get` to read;
//! - dependencies that `Chart.yaml` declares but `charts/` does not hold are taken out of
//!   the copy's `Chart.yaml`. Most repositories do not commit them (`helm dependency
//!   build` fetches them), and rendering never fetches: the chart's own templates are
//!   still checked, and the missing subcharts are named as not checked.

use crate::input::discover::Candidate;
use crate::input::guard::{read_file, Contents};
use serde_yaml::Value;
use std::path::Path;

/// Bytes one chart's copy may hold: a chart larger than this is not rendered.
pub const MAX_CHART_BYTES: u64 = 64 * 1024 * 1024;

/// The private copy of one chart.
pub struct Staged {
    pub dir: tempfile::TempDir,
    /// Declared dependencies not under `charts/`, taken out of the copy's `Chart.yaml`
    /// (their alias where they have one: the name their values go under).
    pub missing: Vec<String>,
}

/// Copies `files` (the chart's discovered files; `display` relative to the checked folder)
/// into a new private folder, as paths relative to `chart_display`.
pub fn stage(chart_display: &str, files: &[&Candidate], max_file: u64) -> Result<Staged, String> {
    let dir = tempfile::Builder::new()
        .prefix("compliance-chart-")
        .tempdir()
        .map_err(|e| format!("cannot create a folder to render in: {e}"))?;
    let mut total = 0u64;
    for c in files {
        let Some(rel) = relative(&c.display, chart_display) else {
            continue;
        };
        let bytes = match read_file(&c.path, max_file) {
            Ok(Contents::Bytes(b)) => b,
            Ok(Contents::TooLarge(n)) => return Err(format!("`{}` is {n} bytes, over --max-file-size", c.display)),
            // a FIFO or a device: helm would block on it
            Ok(Contents::NotAFile) | Err(_) => continue,
        };
        total += bytes.len() as u64;
        if total > MAX_CHART_BYTES {
            return Err(format!("the chart holds more than {MAX_CHART_BYTES} bytes"));
        }
        let to = dir.path().join(rel);
        if let Some(p) = to.parent() {
            std::fs::create_dir_all(p).map_err(|e| format!("cannot copy the chart: {e}"))?;
        }
        write_new(&to, &bytes).map_err(|e| format!("cannot copy the chart: {e}"))?;
    }
    let missing = drop_missing_dependencies(dir.path())?;
    Ok(Staged { dir, missing })
}

/// `display` relative to the chart folder, when it is inside it (never `..`).
fn relative<'a>(display: &'a str, chart_display: &str) -> Option<&'a str> {
    let rel = if chart_display.is_empty() {
        display
    } else {
        display.strip_prefix(chart_display)?.strip_prefix('/')?
    };
    (!rel.is_empty() && rel.split('/').all(|s| !s.is_empty() && s != "." && s != "..")).then_some(rel)
}

/// Creates the file; never opens one that exists (the folder is new and private).
fn write_new(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new().write(true).create_new(true).open(path)?;
    f.write_all(bytes)
}

/// Takes the dependencies that `charts/` does not hold out of the copy's `Chart.yaml`
/// (and drops `Chart.lock`, which would name them), and returns them.
fn drop_missing_dependencies(dir: &Path) -> Result<Vec<String>, String> {
    let chart_yaml = dir.join("Chart.yaml");
    let Ok(text) = std::fs::read_to_string(&chart_yaml) else {
        return Ok(Vec::new());
    };
    let mut chart: Value = match serde_yaml::from_str(&text) {
        Ok(v) => v,
        // helm says what is wrong with it
        Err(_) => return Ok(Vec::new()),
    };
    let Some(deps) = chart.get_mut("dependencies").and_then(Value::as_sequence_mut) else {
        return Ok(Vec::new());
    };
    let vendored = vendored_charts(&dir.join("charts"));
    let mut missing = Vec::new();
    deps.retain(|d| {
        let name = d.get("name").and_then(Value::as_str).unwrap_or_default();
        if vendored.iter().any(|v| v == name) {
            return true;
        }
        let alias = d.get("alias").and_then(Value::as_str).filter(|a| !a.is_empty());
        missing.push(alias.unwrap_or(name).to_string());
        false
    });
    if missing.is_empty() {
        return Ok(missing);
    }
    let text = serde_yaml::to_string(&chart).map_err(|e| format!("cannot rewrite `Chart.yaml`: {e}"))?;
    std::fs::write(&chart_yaml, text).map_err(|e| format!("cannot rewrite `Chart.yaml`: {e}"))?;
    let _ = std::fs::remove_file(dir.join("Chart.lock"));
    missing.sort();
    Ok(missing)
}

/// Names of the charts under `charts/`: a folder with a `Chart.yaml` names itself by that
/// file's `name`; an archive `NAME-VERSION.tgz` by its file name (helm reads the name
/// inside; the file name is how `helm dependency build` writes it).
fn vendored_charts(charts: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(charts) else {
        return Vec::new();
    };
    let mut names = Vec::new();
    for e in entries.flatten() {
        let path = e.path();
        let file = e.file_name().to_string_lossy().to_string();
        if path.is_dir() {
            let declared = std::fs::read_to_string(path.join("Chart.yaml"))
                .ok()
                .and_then(|t| serde_yaml::from_str::<Value>(&t).ok())
                .and_then(|v| v.get("name").and_then(Value::as_str).map(str::to_string));
            names.extend(declared);
            names.push(file);
        } else if let Some(stem) = file.strip_suffix(".tgz").or_else(|| file.strip_suffix(".tar.gz")) {
            // `postgresql-12.1.6`: the name is everything before the last `-<digit>`
            let name = stem
                .match_indices('-')
                .filter(|(i, _)| stem[i + 1..].starts_with(|c: char| c.is_ascii_digit()))
                .map(|(i, _)| &stem[..i])
                .next_back()
                .unwrap_or(stem);
            names.push(name.to_string());
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cand(root: &Path, display: &str) -> Candidate {
        Candidate {
            path: root.join(display),
            display: display.to_string(),
        }
    }

    fn write(root: &Path, rel: &str, text: &str) {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    const CHART: &str = "apiVersion: v2\nname: app\nversion: 1.0.0\ndependencies:\n  - name: postgresql\n    version: 12.1.6\n    repository: https://charts.example.com\n  - name: valkey\n    alias: redis\n    version: 0.9.4\n    repository: https://charts.example.com\n    condition: redis.deploy\n  - name: common\n    version: 2.0.0\n    repository: file://../common\n";

    #[test]
    fn missing_dependencies_are_taken_out_and_vendored_ones_kept() {
        let src = tempfile::tempdir().unwrap();
        write(src.path(), "deploy/app/Chart.yaml", CHART);
        write(src.path(), "deploy/app/Chart.lock", "dependencies: []\n");
        write(src.path(), "deploy/app/templates/cm.yaml", "kind: ConfigMap\n");
        write(src.path(), "deploy/app/charts/postgresql-12.1.6.tgz", "not really gzip");
        write(src.path(), "deploy/other.yaml", "kind: ConfigMap\n");
        let files: Vec<Candidate> = [
            "deploy/app/Chart.lock",
            "deploy/app/Chart.yaml",
            "deploy/app/charts/postgresql-12.1.6.tgz",
            "deploy/app/templates/cm.yaml",
            "deploy/other.yaml",
        ]
        .iter()
        .map(|d| cand(src.path(), d))
        .collect();
        let refs: Vec<&Candidate> = files.iter().collect();
        let staged = stage("deploy/app", &refs, 1 << 20).unwrap();
        assert_eq!(staged.missing, ["common", "redis"]);
        let d = staged.dir.path();
        assert!(d.join("templates/cm.yaml").is_file());
        assert!(!d.join("other.yaml").exists() && !d.join("../other.yaml").exists());
        assert!(!d.join("Chart.lock").exists());
        let chart: Value = serde_yaml::from_str(&std::fs::read_to_string(d.join("Chart.yaml")).unwrap()).unwrap();
        let names: Vec<&str> = chart["dependencies"]
            .as_sequence()
            .unwrap()
            .iter()
            .map(|d| d["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["postgresql"]);
        assert_eq!(chart["name"].as_str(), Some("app"));
    }

    #[test]
    fn a_chart_without_dependencies_is_copied_as_it_is() {
        let src = tempfile::tempdir().unwrap();
        let text = "apiVersion: v2\nname: plain   # a comment kept\nversion: 0.1.0\n";
        write(src.path(), "Chart.yaml", text);
        let files = [cand(src.path(), "Chart.yaml")];
        let staged = stage("", &files.iter().collect::<Vec<_>>(), 1 << 20).unwrap();
        assert!(staged.missing.is_empty());
        assert_eq!(
            std::fs::read_to_string(staged.dir.path().join("Chart.yaml")).unwrap(),
            text
        );
    }

    #[cfg(unix)]
    #[test]
    fn only_discovered_regular_files_are_copied() {
        let src = tempfile::tempdir().unwrap();
        write(src.path(), "c/Chart.yaml", "apiVersion: v2\nname: c\nversion: 1.0.0\n");
        let fifo = src.path().join("c/files/pipe");
        std::fs::create_dir_all(fifo.parent().unwrap()).unwrap();
        assert!(std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success());
        let files = [cand(src.path(), "c/Chart.yaml"), cand(src.path(), "c/files/pipe")];
        let staged = stage("c", &files.iter().collect::<Vec<_>>(), 1 << 20).unwrap();
        assert!(staged.dir.path().join("Chart.yaml").is_file());
        assert!(!staged.dir.path().join("files/pipe").exists());
        assert_eq!(relative("c/../x", "c"), None);
        assert_eq!(relative("cc/x", "c"), None);
    }

    #[test]
    fn archive_names_drop_their_version() {
        let d = tempfile::tempdir().unwrap();
        for f in ["postgresql-12.1.6.tgz", "kube-prometheus-stack-82.4.3.tgz", "odd.tgz"] {
            write(d.path(), f, "");
        }
        let mut names = vendored_charts(d.path());
        names.sort();
        assert_eq!(names, ["kube-prometheus-stack", "odd", "postgresql"]);
    }
}
