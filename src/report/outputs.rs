//! `--output-dir DIR`: every report form of one evaluation, under fixed names, so that a
//! CI job uploads the SARIF file, reads the JUnit file, appends the Markdown to the job
//! summary, applies the PolicyReports to a cluster and archives the rest.

use super::Report;
use crate::base::error::{Error, Result};
use crate::engine::policy::RuleSet;
use std::path::{Path, PathBuf};

/// The files `--output-dir` writes, in this order.
pub const FILES: [&str; 6] = [
    "report.json",
    "report.md",
    "report.html",
    "report.sarif",
    "report.junit.xml",
    "report.policyreport.yaml",
];

/// Renders every form: (file name, content), in [`FILES`] order.
pub fn render_all(report: &Report, rules: &RuleSet) -> Result<Vec<(&'static str, String)>> {
    let [json, md, html, sarif, junit, policyreport] = FILES;
    Ok(vec![
        (json, super::json(report)),
        (md, super::markdown(report)?),
        (html, super::html(report)?),
        (sarif, super::sarif(report, rules)),
        (junit, super::junit(report, rules)),
        (policyreport, super::policyreport::render(report, rules)),
    ])
}

/// Writes every form into `dir`, creating it (and its parents) when needed. Each form is
/// written as it is rendered into a temporary file beside its final name (created
/// exclusively, with a random name: [`crate::base::atomic`]); the files get their names only once
/// all six are written, so that an error leaves no partial set. A final name that is a
/// symbolic link is refused before anything is written.
pub fn write_all(dir: &Path, report: &Report, rules: &RuleSet) -> Result<Vec<PathBuf>> {
    use super::Form;
    let forms = [
        Form::Json,
        Form::Markdown,
        Form::Html,
        Form::Sarif,
        Form::Junit,
        Form::PolicyReport,
    ];
    std::fs::create_dir_all(dir).map_err(|source| Error::Write {
        path: dir.display().to_string(),
        source,
    })?;
    let paths: Vec<PathBuf> = FILES.iter().map(|name| dir.join(name)).collect();
    for path in &paths {
        crate::base::atomic::refuse_link(path)?;
    }
    let mut pending = Vec::new();
    for (path, form) in paths.iter().zip(forms) {
        let mut file = crate::base::atomic::Pending::new(path)?;
        let dest = path.display().to_string();
        super::write(form, report, rules, &dest, &mut std::io::BufWriter::new(file.file()))?;
        pending.push(file);
    }
    for file in pending {
        file.commit()?;
    }
    Ok(paths)
}

/// `--exclude` globs that keep the reports a run writes out of what it checks: a report
/// written into a checked folder quotes the lines it found, and the next run would report
/// them again. `paths` are the paths to check as given (`-` is standard input);
/// `output_dir` excludes exactly the [`FILES`] in it, `output` that one file.
pub fn excludes(paths: &[PathBuf], output_dir: Option<&Path>, output: Option<&Path>) -> Vec<String> {
    let mut targets: Vec<PathBuf> = output_dir
        .map(|d| FILES.iter().map(|f| d.join(f)).collect())
        .unwrap_or_default();
    targets.extend(output.map(Path::to_path_buf));
    let targets: Vec<PathBuf> = targets.iter().filter_map(|t| resolved(t)).collect();
    // the names files are reported under: as crate::input::discover gives them
    let roots: Vec<&PathBuf> = paths.iter().filter(|p| p.as_os_str() != "-").collect();
    let single = roots.len() == 1;
    let mut globs = Vec::new();
    for root in roots.into_iter().filter(|r| r.is_dir()) {
        let Ok(canonical) = root.canonicalize() else {
            continue;
        };
        let given = root.to_string_lossy().trim_end_matches('/').to_string();
        for t in &targets {
            let Ok(rel) = t.strip_prefix(&canonical) else {
                continue;
            };
            let rel: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            let display = if single {
                rel.join("/")
            } else {
                format!("{given}/{}", rel.join("/"))
            };
            globs.push(globset::escape(&display));
        }
    }
    globs
}

/// `path` made absolute with symbolic links resolved, as far as it exists (the output
/// folder is made after the check).
fn resolved(path: &Path) -> Option<PathBuf> {
    let absolute = std::path::absolute(path).ok()?;
    let mut existing = absolute.as_path();
    let mut rest = Vec::new();
    loop {
        if let Ok(c) = existing.canonicalize() {
            let mut out = c;
            for part in rest.iter().rev() {
                out.push(part);
            }
            return Some(out);
        }
        rest.push(existing.file_name()?.to_os_string());
        existing = existing.parent()?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_inside_a_checked_folder_are_excluded() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("repo");
        std::fs::create_dir_all(root.join("src")).unwrap();
        let single = excludes(
            std::slice::from_ref(&root),
            Some(&root.join("out [1]")),
            Some(&root.join("src/r.sarif")),
        );
        assert_eq!(single.len(), 7);
        assert_eq!(single[0], "out [[]1[]]/report.json");
        assert_eq!(single[6], "src/r.sarif");
        // several roots: names keep the root as given
        let other = dir.path().join("other");
        std::fs::create_dir_all(&other).unwrap();
        let two = excludes(&[root.clone(), other.clone()], Some(&other.join("reports")), None);
        assert_eq!(two.len(), 6);
        assert!(two[0].ends_with("other/reports/report.json"), "{two:?}");
        // outside every checked folder, or standard input only: nothing to exclude
        assert!(excludes(&[root.join("src")], Some(&other), None).is_empty());
        assert!(excludes(&["-".into()], Some(&root), None).is_empty());
    }
}
