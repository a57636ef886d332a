//! `compliance test`: runs case folders (input files + `expected.yaml`, see
//! [`crate::authoring::casetest`]) like a test runner — one `case NAME ... ok|FAILED` line each, the
//! differences of the failed ones, then `N passed, N failed`. `tests/policy_cases.rs` runs
//! the built-in rules' cases through the same code.

use crate::authoring::casetest;
use crate::base::exit::Exit;
use crate::engine::policy::RuleSet;
use std::fmt::Write;
use std::path::{Path, PathBuf};

/// The folder `compliance test` runs without arguments: `tests/cases` if it exists, else `.`.
pub fn default_dir() -> PathBuf {
    let cases = PathBuf::from("tests/cases");
    if cases.is_dir() {
        cases
    } else {
        PathBuf::from(".")
    }
}

/// The case folders under `dirs`, in order; none at all is an error.
pub fn discover(dirs: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    for d in dirs {
        if !d.is_dir() {
            return Err(format!("`{}` is not a folder", d.display()));
        }
        out.extend(casetest::discover(d));
    }
    if out.is_empty() {
        let names: Vec<String> = dirs.iter().map(|d| format!("`{}`", d.display())).collect();
        return Err(format!(
            "no case folders under {}: a case is a folder with input files and an `{}`",
            names.join(", "),
            casetest::EXPECTED
        ));
    }
    Ok(out)
}

/// What a run gave.
#[derive(Debug, Default)]
pub struct Summary {
    pub passed: usize,
    /// (case, differences)
    pub failed: Vec<(String, String)>,
    /// (case, why its `expected.yaml` could not be used)
    pub invalid: Vec<(String, String)>,
}

impl Summary {
    /// [`Exit::Error`] when a case is invalid, [`Exit::Fail`] when one failed, else
    /// [`Exit::Pass`].
    pub fn exit(&self) -> Exit {
        if !self.invalid.is_empty() {
            Exit::Error
        } else if !self.failed.is_empty() {
            Exit::Fail
        } else {
            Exit::Pass
        }
    }

    /// [`Summary::exit`] as the number the process exits with.
    pub fn exit_code(&self) -> u8 {
        self.exit().code()
    }

    /// The report after the per-case lines: failures with their differences, invalid
    /// cases, and the counts.
    pub fn render(&self) -> String {
        let mut out = String::new();
        if !self.failed.is_empty() {
            out.push_str("\nfailures:\n");
            for (name, diff) in &self.failed {
                let _ = writeln!(out, "\n---- {name} ----");
                out.push_str("  (- expected but missing, + found but not expected, ~ expected otherwise)\n");
                for line in diff.trim_start_matches('\n').lines() {
                    let _ = writeln!(out, "{line}");
                }
            }
        }
        if !self.invalid.is_empty() {
            out.push_str("\ninvalid cases:\n");
            for (_, why) in &self.invalid {
                let _ = writeln!(out, "  error: {}", why.trim());
            }
        }
        let verdict = if self.exit_code() == 0 { "ok" } else { "FAILED" };
        let _ = write!(
            out,
            "\ntest result: {verdict}. {} passed, {} failed",
            self.passed,
            self.failed.len()
        );
        if !self.invalid.is_empty() {
            let _ = write!(out, ", {} invalid", self.invalid.len());
        }
        out.push('\n');
        out
    }
}

/// Runs the cases with `rules`, calling `line` with each `case NAME ... ok` line as it is
/// decided.
pub fn run(cases: &[PathBuf], rules: &RuleSet, line: &mut dyn FnMut(&str)) -> Summary {
    let mut summary = Summary::default();
    line(&format!(
        "running {} case{}",
        cases.len(),
        if cases.len() == 1 { "" } else { "s" }
    ));
    for dir in cases {
        let r = casetest::run_case_with_rules(dir, rules);
        let status = match (&r.failure, r.invalid) {
            (None, _) => {
                summary.passed += 1;
                "ok"
            }
            (Some(why), true) => {
                summary.invalid.push((r.name.clone(), why.clone()));
                "INVALID"
            }
            (Some(diff), false) => {
                summary.failed.push((r.name.clone(), diff.clone()));
                "FAILED"
            }
        };
        line(&format!("case {} ... {status}", r.name));
    }
    summary
}

/// Runs every case under `dir` and returns the whole output with the summary: for tests.
pub fn run_dir(dir: &Path, rules: &RuleSet) -> Result<(Summary, String), String> {
    let cases = discover(&[dir.to_path_buf()])?;
    let mut out = String::new();
    let summary = run(&cases, rules, &mut |l| {
        out.push_str(l);
        out.push('\n');
    });
    out.push_str(&summary.render());
    Ok((summary, out))
}
