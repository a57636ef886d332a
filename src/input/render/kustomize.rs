//! Kustomize: `kustomize build DIR` (or `kubectl kustomize DIR`) for each top overlay,
//! with `--load-restrictor LoadRestrictionsRootOnly`, no exec or alpha plugins, no
//! `--enable-helm`; an overlay that names a remote base or inflates a Helm chart is
//! refused (rendering never fetches).

use super::{describe, documents, outputs, parent, process, shell_line, Output, Plan, Provenance, Role, Settings};
use crate::base::finding::InputError;
use crate::input::discover::Candidate;
use serde_yaml::Value;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::ffi::OsString;
use std::path::{Component, Path, PathBuf};

/// The file names kustomize reads, in its order.
pub const FILE_NAMES: [&str; 3] = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// One kustomization file, read.
#[derive(Debug, Clone, Default)]
pub struct Kustomization {
    /// The folder, normalized.
    pub dir: PathBuf,
    /// The folder relative to the checked folder (`""` for the folder itself).
    pub display: String,
    /// The file's own display name.
    pub file: String,
    /// `kind: Component`: only used by others, never built alone.
    pub component: bool,
    /// `resources`, `bases` and `components` entries.
    pub refs: Vec<String>,
    /// Files under `patches`, `patchesStrategicMerge`, `patchesJson6902`.
    pub patches: Vec<String>,
    /// Uses `helmCharts` (needs `--enable-helm`, which fetches charts).
    pub helm: bool,
}

/// Lexical normalization (`a/./b/../c` -> `a/c`): references are compared as paths.
fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// A reference kustomize would fetch: a URL, `git@…`, or a `host/org/repo` go-getter path.
pub fn is_remote(entry: &str) -> bool {
    let e = entry.trim();
    e.contains("://")
        || e.starts_with("git@")
        || e.contains("?ref=")
        || e.contains("//")
        || ["github.com/", "gitlab.com/", "bitbucket.org/"]
            .iter()
            .any(|h| e.starts_with(h))
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_sequence)
        .map(|s| s.iter().filter_map(|x| x.as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}

/// Reads a kustomization file's text; `None` when it is not a mapping.
pub fn parse(text: &str) -> Option<Kustomization> {
    let v: Value = serde_yaml::from_str(crate::base::source::strip_bom(text)).ok()?;
    let m = v.as_mapping()?;
    let get = |k: &str| m.get(k);
    let mut refs = strings(get("resources"));
    refs.extend(strings(get("bases")));
    refs.extend(strings(get("components")));
    let mut patches = Vec::new();
    for key in ["patches", "patchesJson6902", "patchesStrategicMerge"] {
        for item in get(key).and_then(Value::as_sequence).into_iter().flatten() {
            let path = match item {
                Value::String(s) => Some(s.as_str()),
                Value::Mapping(p) => p.get("path").and_then(Value::as_str),
                _ => None,
            };
            // an inline patch is YAML text, not a file name
            if let Some(p) = path.filter(|p| !p.contains('\n')) {
                patches.push(p.to_string());
            }
        }
    }
    Some(Kustomization {
        component: get("kind").and_then(Value::as_str) == Some("Component"),
        refs,
        patches,
        helm: get("helmCharts").is_some() || get("helmChartInflationGenerator").is_some(),
        ..Kustomization::default()
    })
}

/// The kustomization files among `candidates`, read (at most `max_bytes` each).
pub fn find(candidates: &[Candidate], max_bytes: u64) -> Vec<Kustomization> {
    let mut out: Vec<Kustomization> = Vec::new();
    for c in candidates {
        let named = c.path.file_name().is_some_and(|n| FILE_NAMES.iter().any(|f| n == *f));
        let Some(dir) = c.path.parent().filter(|_| named) else {
            continue;
        };
        // one per folder, in kustomize's order of names
        let display = parent(&c.display).to_string();
        if out.iter().any(|k| k.display == display) {
            continue;
        }
        let small = std::fs::metadata(&c.path).is_ok_and(|m| m.len() <= max_bytes);
        let Some(text) = small.then(|| std::fs::read_to_string(&c.path).ok()).flatten() else {
            continue;
        };
        if let Some(mut k) = parse(&text) {
            k.dir = normalize(dir);
            k.display = display;
            k.file = c.display.clone();
            out.push(k);
        }
    }
    out
}

pub(super) fn plan(candidates: &[Candidate], settings: &Settings, max_bytes: u64, out: &mut Plan) {
    use rayon::prelude::*;
    let all = find(candidates, max_bytes);
    if all.is_empty() {
        return;
    }
    let by_path: HashMap<PathBuf, &str> = candidates
        .iter()
        .map(|c| (normalize(&c.path), c.display.as_str()))
        .collect();
    let by_dir: HashMap<&Path, usize> = all.iter().enumerate().map(|(i, k)| (k.dir.as_path(), i)).collect();
    let mut used = HashSet::new();
    for k in &all {
        for r in k.refs.iter().filter(|r| !is_remote(r)) {
            if let Some(&i) = by_dir.get(normalize(&k.dir.join(r)).as_path()) {
                used.insert(i);
            }
        }
        // patches are fragments whether or not anything renders
        for p in &k.patches {
            if let Some(d) = by_path.get(&normalize(&k.dir.join(p))) {
                out.roles.insert((*d).to_string(), Role::Fragment);
            }
        }
    }
    let tops: Vec<&Kustomization> = all
        .iter()
        .enumerate()
        .filter(|(i, k)| !used.contains(i) && !k.component)
        .map(|(_, k)| k)
        .collect();
    let rendered: Vec<(&Kustomization, Vec<String>, Rendered)> = tops
        .into_par_iter()
        .map(|k| {
            let closure = Closure::of(k, &all, &by_dir, &by_path);
            let resources = closure.files.iter().map(|(_, d)| d.clone()).collect();
            (k, resources, render(k, &closure, settings, max_bytes))
        })
        .collect();
    for (k, resources, result) in rendered {
        match result {
            Ok(outputs) => {
                // the rendered objects stand for the resource files: each object once
                for r in resources {
                    out.roles.entry(r).or_insert(Role::Rendered);
                }
                out.outputs.extend(outputs);
            }
            Err(e) => {
                out.errors.push(e);
                out.unread.push(if k.display.is_empty() {
                    ".".into()
                } else {
                    k.display.clone()
                });
            }
        }
    }
}

/// An overlay's objects, or why it did not render.
type Rendered = Result<Vec<Output>, InputError>;

/// What an overlay reads, through its local bases and components.
#[derive(Debug, Default)]
struct Closure {
    /// Resource files under the checked folder: (path, display).
    files: Vec<(PathBuf, String)>,
    remote: Vec<String>,
    helm: bool,
}

impl Closure {
    fn of(
        top: &Kustomization,
        all: &[Kustomization],
        by_dir: &HashMap<&Path, usize>,
        by_path: &HashMap<PathBuf, &str>,
    ) -> Closure {
        let mut c = Closure::default();
        let mut seen = HashSet::new();
        let mut stack = vec![top];
        while let Some(k) = stack.pop() {
            if !seen.insert(k.dir.clone()) {
                continue;
            }
            c.helm |= k.helm;
            for r in &k.refs {
                if is_remote(r) {
                    c.remote.push(r.clone());
                    continue;
                }
                let p = normalize(&k.dir.join(r));
                if let Some(&i) = by_dir.get(p.as_path()) {
                    stack.push(&all[i]);
                } else if let Some(d) = by_path.get(&p) {
                    c.files.push((p.clone(), (*d).to_string()));
                }
            }
        }
        c.files.sort_by(|a, b| a.1.cmp(&b.1));
        c.files.dedup();
        c
    }
}

/// The program and arguments: `kustomize build` if installed, else `kubectl kustomize`.
fn program(dir: &Path) -> Option<(PathBuf, Vec<OsString>, &'static str)> {
    let restrict = ["--load-restrictor".into(), "LoadRestrictionsRootOnly".into()];
    let dir: OsString = if dir.is_relative() && dir.to_string_lossy().starts_with('-') {
        Path::new(".").join(dir).into_os_string()
    } else {
        dir.as_os_str().to_os_string()
    };
    if let Some(bin) = process::which("kustomize") {
        let mut a: Vec<OsString> = vec!["build".into(), dir];
        a.extend(restrict);
        return Some((bin, a, "kustomize build"));
    }
    let bin = process::which("kubectl")?;
    let mut a: Vec<OsString> = vec!["kustomize".into(), dir];
    a.extend(restrict);
    Some((bin, a, "kubectl kustomize"))
}

fn command(k: &Kustomization, tool: &str) -> String {
    // the folder as the user can reach it from where `compliance` ran
    let dir = k.dir.display().to_string();
    let dir = if dir.is_empty() { ".".to_string() } else { dir };
    let mut w: Vec<String> = tool.split(' ').map(str::to_string).collect();
    w.push(dir);
    format!("{} | compliance check -", shell_line(&w))
}

fn render(k: &Kustomization, closure: &Closure, s: &Settings, max_bytes: u64) -> Rendered {
    let fail = |why: String, tool: &str| {
        InputError::new(
            &k.file,
            None,
            format!(
                "Kustomize overlay not rendered, its objects are checked from its resource files as written: {why}; render it with `{}`",
                command(k, tool)
            ),
        )
    };
    if let Some(r) = closure.remote.first() {
        return Err(fail(
            format!("it names a remote base `{r}`, and rendering never fetches from the network"),
            "kubectl kustomize",
        ));
    }
    if closure.helm {
        return Err(fail(
            "it inflates a Helm chart (`helmCharts`), which needs `--enable-helm` and the network".to_string(),
            "kubectl kustomize --enable-helm",
        ));
    }
    if !s.enabled {
        return Err(fail(
            "rendering is switched off (--no-render)".to_string(),
            "kubectl kustomize",
        ));
    }
    let Some((bin, args, tool)) = program(&k.dir) else {
        return Err(fail(
            "neither `kustomize` nor `kubectl` is on PATH".to_string(),
            "kubectl kustomize",
        ));
    };
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let stdout = process::run(&bin, &args, &cwd, &s.bounds()).map_err(|f| fail(describe(tool, &f), tool))?;
    Ok(split(&String::from_utf8_lossy(&stdout), k, closure, max_bytes))
}

/// (kind, name) of a document, when it has them.
fn identity(doc: &str) -> Option<(String, String)> {
    let v: Value = serde_yaml::from_str(doc).ok()?;
    let kind = v.get("kind")?.as_str()?.to_string();
    let name = v.get("metadata")?.get("name")?.as_str()?.to_string();
    Some((kind, name))
}

/// Assigns each rendered object to the resource file it came from (same kind and name,
/// or the same kind and a name that contains the original one, as `namePrefix` and
/// `nameSuffix` make it), else to the kustomization file; one text per file.
fn split(text: &str, k: &Kustomization, closure: &Closure, max_bytes: u64) -> Vec<Output> {
    let mut origins: Vec<(String, String, &str)> = Vec::new();
    for (path, display) in &closure.files {
        let small = std::fs::metadata(path).is_ok_and(|m| m.len() <= max_bytes);
        let Some(src) = small.then(|| std::fs::read_to_string(path).ok()).flatten() else {
            continue;
        };
        for doc in documents(&src) {
            if let Some((kind, name)) = identity(&doc) {
                origins.push((kind, name, display.as_str()));
            }
        }
    }
    let provenance = Provenance {
        by: "kustomize".to_string(),
        chart: None,
        kustomization: Some(if k.display.is_empty() {
            ".".into()
        } else {
            k.display.clone()
        }),
        values: Vec::new(),
        set: Vec::new(),
        release: None,
        namespace: None,
    };
    let mut by_file: BTreeMap<String, String> = BTreeMap::new();
    for doc in documents(text) {
        let origin = identity(&doc).and_then(|(kind, name)| {
            origins
                .iter()
                .find(|(k2, n2, _)| *k2 == kind && *n2 == name)
                .or_else(|| {
                    origins
                        .iter()
                        .filter(|(k2, n2, _)| *k2 == kind && name.contains(n2.as_str()))
                        .max_by_key(|(_, n2, _)| n2.len())
                })
                .map(|(_, _, d)| (*d).to_string())
        });
        let entry = by_file.entry(origin.unwrap_or_else(|| k.file.clone())).or_default();
        entry.push_str("---\n");
        entry.push_str(&doc);
    }
    outputs(by_file, &provenance)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_references_are_recognized() {
        for r in [
            "https://github.com/argoproj/argo-cd//manifests/cluster-install?ref=v2.9.0",
            "github.com/kubernetes-sigs/kustomize/examples/multibases?ref=v3.3.1",
            "git@github.com:org/repo.git",
        ] {
            assert!(is_remote(r), "{r}");
        }
        for r in ["../base", "./redis-ha", "deployment.yaml", "../../base/dex"] {
            assert!(!is_remote(r), "{r}");
        }
    }

    #[test]
    fn patches_of_every_form_are_collected() {
        let k = parse(
            "resources: [../base]\ncomponents: [../c]\npatches:\n- path: a.yaml\n- patch: |-\n    - op: remove\n      path: /x\npatchesStrategicMerge:\n- b.yaml\npatchesJson6902:\n- target: {kind: Deployment}\n  path: c.yaml\n",
        )
        .unwrap();
        assert_eq!(k.refs, ["../base", "../c"]);
        assert_eq!(k.patches, ["a.yaml", "c.yaml", "b.yaml"]);
    }
}
