//! Discovery: which files a check reads, in a deterministic order.

use crate::base::error::{Error, Result};
use crate::base::finding::{InputError, Skipped};
use globset::{Glob, GlobSet, GlobSetBuilder};
use std::path::{Path, PathBuf};
use walkdir::WalkDir;

/// Folders never descended into: version control, build output, dependencies.
const SKIPPED_DIRS: &[&str] = &[".git", "target", "node_modules", ".hg", ".svn"];

/// A file to read, with the name it is reported under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub path: PathBuf,
    /// Relative to the checked folder, with `/` separators.
    pub display: String,
}

/// Builds the `--exclude` matcher. Globs match the displayed (relative) path.
pub fn excludes(globs: &[String]) -> Result<GlobSet> {
    let mut builder = GlobSetBuilder::new();
    for g in globs {
        let glob = Glob::new(g).map_err(|e| Error::BadGlob {
            glob: g.clone(),
            message: e.kind().to_string(),
        })?;
        builder.add(glob);
    }
    builder.build().map_err(|e| Error::BadGlob {
        glob: globs.join(","),
        message: e.to_string(),
    })
}

fn relative_display(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// How a link to nothing is reported (an input error only where a manifest would be).
pub const BROKEN_LINK: &str = "cannot read: broken symbolic link";

/// Walks `root`. Symlinks are followed only when they stay inside the root, so a link to
/// `/etc` or a loop back to an ancestor is never read. Entries come sorted by name.
pub fn walk(
    root: &Path,
    prefix: &str,
    include: Option<&GlobSet>,
    exclude: &GlobSet,
    out: &mut Vec<Candidate>,
    skipped: &mut Vec<(String, String)>,
) {
    let canonical_root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let mut walker = WalkDir::new(root)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            let name = e.file_name().to_string_lossy();
            !(e.depth() > 0 && e.file_type().is_dir() && SKIPPED_DIRS.contains(&name.as_ref()))
        });
    while let Some(entry) = walker.next() {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let path = e.path().map(|p| join_display(prefix, &relative_display(root, p)));
                let message = if e.loop_ancestor().is_some() {
                    "symlink loop not followed".to_string()
                } else if e.io_error().is_some_and(|io| io.kind() == std::io::ErrorKind::NotFound) {
                    format!("{BROKEN_LINK} (its target does not exist): not read")
                } else {
                    format!(
                        "cannot read: {}",
                        e.io_error().map_or_else(|| e.to_string(), |io| io.to_string())
                    )
                };
                skipped.push((path.unwrap_or_else(|| prefix.to_string()), message));
                continue;
            }
        };
        if entry.path_is_symlink() {
            let inside = entry
                .path()
                .canonicalize()
                .map(|target| target.starts_with(&canonical_root))
                .unwrap_or(false);
            if !inside {
                skipped.push((
                    join_display(prefix, &relative_display(root, entry.path())),
                    "symlink leaves the checked folder: not followed".to_string(),
                ));
                if entry.file_type().is_dir() {
                    walker.skip_current_dir();
                }
                continue;
            }
        }
        if !entry.file_type().is_file() {
            continue;
        }
        let display = join_display(prefix, &relative_display(root, entry.path()));
        if exclude.is_match(&display) || include.is_some_and(|i| !i.is_match(&display)) {
            continue;
        }
        out.push(Candidate {
            path: entry.path().to_path_buf(),
            display,
        });
    }
}

fn join_display(prefix: &str, rel: &str) -> String {
    match (prefix.is_empty(), rel.is_empty()) {
        (true, _) => rel.to_string(),
        (false, true) => prefix.to_string(),
        (false, false) => format!("{prefix}/{rel}"),
    }
}

/// Discovers the files under each of `paths`. A single folder is reported relative to
/// itself; with several paths each keeps the name it was given as a prefix.
pub fn discover(paths: &[PathBuf], exclude: &GlobSet) -> (Vec<Candidate>, Vec<(String, String)>) {
    discover_matching(paths, None, exclude)
}

/// [`discover`], reading only the files under a folder that match `include` (when given).
/// Files named in `paths` are always read.
pub fn discover_matching(
    paths: &[PathBuf],
    include: Option<&GlobSet>,
    exclude: &GlobSet,
) -> (Vec<Candidate>, Vec<(String, String)>) {
    let mut out = Vec::new();
    let mut skipped = Vec::new();
    let single = paths.len() == 1;
    for p in paths {
        let given = p.to_string_lossy().trim_end_matches('/').to_string();
        if p.is_dir() {
            let prefix = if single { "" } else { given.as_str() };
            walk(p, prefix, include, exclude, &mut out, &mut skipped);
        } else {
            out.push(Candidate {
                path: p.clone(),
                display: given,
            });
        }
    }
    out.sort_by(|a, b| a.display.cmp(&b.display));
    out.dedup_by(|a, b| a.display == b.display);
    (out, skipped)
}

/// The files under `roots` that a run reads (only those matching `include`, when given,
/// and none matching `exclude`), the files it does not read with why, and the errors found
/// on the way. A broken link where a source file would be is not an input error: nothing
/// is there; where a manifest would be, it is.
pub fn files(roots: &[PathBuf], include: &[String], exclude: &[String]) -> Result<Found> {
    let exclude = excludes(exclude)?;
    let include = (!include.is_empty()).then(|| excludes(include)).transpose()?;
    let (candidates, unread) = discover_matching(roots, include.as_ref(), &exclude);
    let (notes, unread): (Vec<_>, Vec<_>) = unread
        .into_iter()
        .partition(|(f, m)| m.starts_with(BROKEN_LINK) && !crate::input::loader::is_manifest_path(f));
    Ok(Found {
        candidates,
        skipped: notes
            .into_iter()
            .map(|(file, reason)| Skipped { file, reason })
            .collect(),
        errors: unread.into_iter().map(|(f, m)| InputError::new(&f, None, m)).collect(),
    })
}

/// What [`files`] found.
pub struct Found {
    pub candidates: Vec<Candidate>,
    pub skipped: Vec<Skipped>,
    pub errors: Vec<InputError>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skips_vendor_dirs_and_sorts() {
        let dir = tempfile::tempdir().unwrap();
        for f in ["b.yaml", "a.yaml", "node_modules/x.yaml", ".git/config", "sub/c.yaml"] {
            let p = dir.path().join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, "x").unwrap();
        }
        let (files, _) = discover(&[dir.path().to_path_buf()], &excludes(&[]).unwrap());
        let names: Vec<_> = files.iter().map(|c| c.display.as_str()).collect();
        assert_eq!(names, ["a.yaml", "b.yaml", "sub/c.yaml"]);
    }

    #[test]
    fn exclude_globs_match_relative_paths() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("vendor")).unwrap();
        std::fs::write(dir.path().join("vendor/v.yaml"), "x").unwrap();
        std::fs::write(dir.path().join("a.yaml"), "x").unwrap();
        let (files, _) = discover(&[dir.path().to_path_buf()], &excludes(&["vendor/**".into()]).unwrap());
        assert_eq!(files.len(), 1);
    }

    #[test]
    fn include_globs_keep_only_matching_files_under_folders() {
        let dir = tempfile::tempdir().unwrap();
        for f in ["deploy/a.yaml", "deploy/sub/b.yaml", "other/c.yaml", "d.yaml"] {
            let p = dir.path().join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, "x").unwrap();
        }
        let include = excludes(&["deploy/**".into()]).unwrap();
        let exclude = excludes(&["**/sub/**".into()]).unwrap();
        let (files, _) = discover_matching(&[dir.path().to_path_buf()], Some(&include), &exclude);
        let names: Vec<_> = files.iter().map(|c| c.display.as_str()).collect();
        assert_eq!(names, ["deploy/a.yaml"]);
        // a file named on the command line is read whatever the globs
        let named = dir.path().join("d.yaml");
        let (files, _) = discover_matching(&[named], Some(&include), &exclude);
        assert_eq!(files.len(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_out_of_root_are_not_followed() {
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret.yaml"), "x").unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(outside.path(), dir.path().join("link")).unwrap();
        std::os::unix::fs::symlink(dir.path(), dir.path().join("loop")).unwrap();
        let (files, skipped) = discover(&[dir.path().to_path_buf()], &excludes(&[]).unwrap());
        assert!(files.is_empty(), "{files:?}");
        assert_eq!(skipped.len(), 2, "{skipped:?}");
    }
}
