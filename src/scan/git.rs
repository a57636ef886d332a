//! What git would do with a file: `.gitignore` semantics (nested files, negation,
//! directory patterns, through the `ignore` crate's implementation of git's rules) and
//! whether the file is tracked (`git ls-files`, when the folder is a work tree).

use super::Scanned;
use crate::input::discover::Candidate;
use ignore::gitignore::{Gitignore, GitignoreBuilder};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The `.gitignore` files of a checked tree, deepest first.
pub struct Ignores {
    matchers: Vec<(PathBuf, Gitignore)>,
}

impl Ignores {
    /// `files` are the `.gitignore` files found by discovery; `.git/info/exclude` of each
    /// root is read too.
    pub fn load(files: &[PathBuf], roots: &[PathBuf]) -> Self {
        let mut matchers: Vec<(PathBuf, Gitignore)> = Vec::new();
        let excludes = roots.iter().map(|r| (r.clone(), r.join(".git/info/exclude")));
        let gitignores = files
            .iter()
            .filter_map(|f| Some((f.parent()?.to_path_buf(), f.clone())));
        for (dir, file) in gitignores.chain(excludes).filter(|(_, f)| f.is_file()) {
            let mut b = GitignoreBuilder::new(&dir);
            // a line that is not a valid glob is skipped, as git skips it
            let _ = b.add(&file);
            if let Ok(gi) = b.build() {
                matchers.push((dir, gi));
            }
        }
        matchers.sort_by_key(|(d, _)| std::cmp::Reverse(d.components().count()));
        Ignores { matchers }
    }

    /// Is `path` (as discovered) ignored? The deepest `.gitignore` with a matching rule
    /// decides, and a rule on a parent folder applies to everything inside it.
    pub fn is_ignored(&self, path: &Path) -> bool {
        for (dir, gi) in &self.matchers {
            if !path.starts_with(dir) {
                continue;
            }
            let m = gi.matched_path_or_any_parents(path, false);
            if m.is_ignore() {
                return true;
            }
            if m.is_whitelist() {
                return false;
            }
        }
        false
    }
}

/// Canonical paths of the files git tracks in the work trees that hold `roots`; `None` when
/// no root is in a work tree (or git is not installed).
pub fn tracked(roots: &[PathBuf]) -> Option<HashSet<PathBuf>> {
    let mut out = HashSet::new();
    let mut any = false;
    for root in roots {
        let dir = if root.is_dir() {
            root.as_path()
        } else {
            root.parent().unwrap_or(Path::new("."))
        };
        let top = Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(["rev-parse", "--show-toplevel"])
            .output()
            .ok()?;
        if !top.status.success() {
            continue;
        }
        any = true;
        let top = PathBuf::from(String::from_utf8_lossy(&top.stdout).trim());
        let Ok(list) = Command::new("git")
            .arg("-C")
            .arg(&top)
            .args(["ls-files", "-z"])
            .output()
        else {
            continue;
        };
        for name in list.stdout.split(|&b| b == 0).filter(|n| !n.is_empty()) {
            let p = top.join(String::from_utf8_lossy(name).as_ref());
            out.insert(p.canonicalize().unwrap_or(p));
        }
    }
    any.then_some(out)
}

/// What git would say of the secret files found: which `.gitignore` rules apply to them,
/// and, when `ask_git` and there is a secret file, which files are tracked.
pub struct Scope {
    pub ignores: Ignores,
    pub tracked: Option<HashSet<PathBuf>>,
}

impl Scope {
    /// `candidates` are the files discovery found (their `.gitignore` files are read);
    /// git also reads every `.gitignore` above a secret file, whatever `include`/`exclude`
    /// say, so those are read too.
    pub fn of(candidates: &[Candidate], scanned: &[Scanned], roots: &[PathBuf], ask_git: bool) -> Self {
        let mut gitignores: Vec<PathBuf> = candidates
            .iter()
            .filter(|c| c.path.file_name().is_some_and(|n| n == ".gitignore"))
            .map(|c| c.path.clone())
            .collect();
        for s in scanned.iter().filter(|s| s.secret_file) {
            let Some(root) = roots.iter().find(|r| s.path.starts_with(r)) else {
                continue;
            };
            for dir in s.path.ancestors().skip(1).take_while(|d| d.starts_with(root)) {
                let g = dir.join(".gitignore");
                if !gitignores.contains(&g) && g.is_file() {
                    gitignores.push(g);
                }
            }
        }
        // git is asked only when there is a secret file to ask about
        let tracked = (ask_git && scanned.iter().any(|s| s.secret_file))
            .then(|| tracked(roots))
            .flatten();
        Scope {
            ignores: Ignores::load(&gitignores, roots),
            tracked,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, rel: &str, text: &str) -> PathBuf {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn nested_negation_and_directory_patterns() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path();
        let top = write(root, ".gitignore", ".env\n.env.*\n!.env.example\nsecrets/\n*.pem\n");
        let nested = write(root, "svc/.gitignore", "!.env.local\n");
        let ignores = Ignores::load(&[top, nested], &[root.to_path_buf()]);
        let ignored = |rel: &str| ignores.is_ignored(&root.join(rel));
        assert!(ignored(".env"));
        assert!(ignored("app/.env.production"));
        assert!(!ignored(".env.example"), "negation re-includes");
        assert!(ignored("secrets/api.key"), "directory pattern covers its files");
        assert!(ignored("deep/certs/tls.pem"));
        assert!(
            !ignored("svc/.env.local"),
            "the nested file's negation wins for its folder"
        );
        assert!(ignored("other/.env.local"));
        assert!(!ignored("config/secrets.yml"));
    }
}
