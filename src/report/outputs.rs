//! `--output-dir DIR`: every report form of one evaluation, under fixed names, so that a
//! CI job uploads the SARIF file, reads the JUnit file, appends the Markdown to the job
//! summary and archives the rest.

use super::Report;
use crate::error::{Error, Result};
use crate::policy::RuleSet;
use std::path::{Path, PathBuf};

/// The files `--output-dir` writes, in this order.
pub const FILES: [&str; 5] = [
    "report.json",
    "report.md",
    "report.html",
    "report.sarif",
    "report.junit.xml",
];

/// Renders every form: (file name, content), in [`FILES`] order.
pub fn render_all(report: &Report, rules: &RuleSet) -> Result<Vec<(&'static str, String)>> {
    let [json, md, html, sarif, junit] = FILES;
    Ok(vec![
        (json, super::json(report)),
        (md, super::markdown(report)?),
        (html, super::html(report)?),
        (sarif, super::sarif(report, rules)),
        (junit, super::junit(report, rules)),
    ])
}

/// Writes every form into `dir`, creating it (and its parents) when needed. Everything is
/// rendered before the first file is written, so a render error leaves no partial set.
pub fn write_all(dir: &Path, report: &Report, rules: &RuleSet) -> Result<Vec<PathBuf>> {
    let rendered = render_all(report, rules)?;
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| Error::Io { path, source }
    };
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    rendered
        .into_iter()
        .map(|(name, text)| {
            let path = dir.join(name);
            std::fs::write(&path, text.as_bytes()).map_err(io(&path))?;
            Ok(path)
        })
        .collect()
}
