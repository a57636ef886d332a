//! Running a renderer (helm, kustomize) on input nobody vetted: argv only (no shell),
//! standard input closed, a deadline and an output cap (the process is killed past
//! either), and a private, empty folder for the tool's plugins, caches and settings.

use std::ffi::OsString;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Bytes of standard error kept for the message.
const MAX_STDERR: u64 = 64 * 1024;

/// Why a run gave no output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The program is not there (or not executable).
    NotFound,
    /// Killed at the deadline.
    Timeout(Duration),
    /// Killed when its output passed the cap.
    TooLarge(u64),
    /// It ran and failed: its exit code and standard error.
    Exit(Option<i32>, String),
    /// It could not be started or waited for.
    Io(String),
}

/// What a renderer may not do, and where its scratch folder is.
#[derive(Debug, Clone)]
pub struct Bounds {
    pub timeout: Duration,
    pub max_output: u64,
}

/// An empty folder removed when dropped: HELM_PLUGINS and the tools' homes point into it,
/// so no plugin, repository list or kubeconfig of the user's is read.
pub struct Scratch(PathBuf);

impl Scratch {
    pub fn new() -> std::io::Result<Scratch> {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "compliance-render-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(dir.join("plugins"))?;
        Ok(Scratch(dir))
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    /// Environment variables that keep helm and kubectl inside the scratch folder.
    fn env(&self) -> Vec<(&'static str, PathBuf)> {
        let d = &self.0;
        vec![
            ("HELM_PLUGINS", d.join("plugins")),
            ("HELM_CACHE_HOME", d.join("cache")),
            ("HELM_CONFIG_HOME", d.join("config")),
            ("HELM_DATA_HOME", d.join("data")),
            ("HELM_REPOSITORY_CONFIG", d.join("config/repositories.yaml")),
            ("HELM_REGISTRY_CONFIG", d.join("config/registry.json")),
            ("KUBECONFIG", d.join("kubeconfig")),
            ("XDG_CONFIG_HOME", d.join("config")),
            ("XDG_CACHE_HOME", d.join("cache")),
        ]
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs `program args` in `cwd` and returns its standard output.
pub fn run(program: &Path, args: &[OsString], cwd: &Path, bounds: &Bounds) -> Result<Vec<u8>, Failure> {
    let scratch = Scratch::new().map_err(|e| Failure::Io(e.to_string()))?;
    let mut cmd = Command::new(program);
    cmd.args(args)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // a post-renderer or plugin named by the environment is not run
        .env_remove("HELM_POST_RENDERER")
        .env_remove("KUSTOMIZE_PLUGIN_HOME");
    for (k, v) in scratch.env() {
        cmd.env(k, v);
    }
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::NotFound | std::io::ErrorKind::PermissionDenied
            ) =>
        {
            return Err(Failure::NotFound)
        }
        Err(e) => return Err(Failure::Io(e.to_string())),
    };
    let over = Arc::new(AtomicBool::new(false));
    let stdout = child.stdout.take().map(|out| {
        let (over, cap) = (Arc::clone(&over), bounds.max_output);
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = out.take(cap + 1).read_to_end(&mut buf);
            if buf.len() as u64 > cap {
                over.store(true, Ordering::Relaxed);
                buf.clear();
            }
            buf
        })
    });
    let stderr = child.stderr.take().map(|err| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = err.take(MAX_STDERR).read_to_end(&mut buf);
            String::from_utf8_lossy(&buf).into_owned()
        })
    });
    let deadline = Instant::now() + bounds.timeout;
    let status = loop {
        if over.load(Ordering::Relaxed) {
            let _ = child.kill();
            let _ = child.wait();
            return Err(Failure::TooLarge(bounds.max_output));
        }
        match child.try_wait() {
            Ok(Some(s)) => break s,
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(Failure::Timeout(bounds.timeout));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => {
                let _ = child.kill();
                return Err(Failure::Io(e.to_string()));
            }
        }
    };
    let out = stdout.and_then(|t| t.join().ok()).unwrap_or_default();
    let err = stderr.and_then(|t| t.join().ok()).unwrap_or_default();
    if over.load(Ordering::Relaxed) {
        return Err(Failure::TooLarge(bounds.max_output));
    }
    if !status.success() {
        return Err(Failure::Exit(status.code(), err));
    }
    Ok(out)
}

/// Finds `name` on PATH.
pub fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join(name)).find(|p| p.is_file())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    fn bounds(ms: u64, max: u64) -> Bounds {
        Bounds {
            timeout: Duration::from_millis(ms),
            max_output: max,
        }
    }

    #[test]
    fn kills_at_the_deadline() {
        let started = Instant::now();
        let r = run(
            Path::new("/bin/sleep"),
            &["10".into()],
            Path::new("/"),
            &bounds(200, 1000),
        );
        assert_eq!(r, Err(Failure::Timeout(Duration::from_millis(200))));
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn kills_past_the_output_cap() {
        let r = run(Path::new("/usr/bin/yes"), &[], Path::new("/"), &bounds(10_000, 4096));
        assert_eq!(r, Err(Failure::TooLarge(4096)));
    }

    #[test]
    fn reports_exit_status_stderr_and_missing_programs() {
        let r = run(
            Path::new("/bin/sh"),
            &["-c".into(), "echo boom >&2; exit 3".into()],
            Path::new("/"),
            &bounds(10_000, 4096),
        );
        assert_eq!(r, Err(Failure::Exit(Some(3), "boom\n".into())));
        let r = run(Path::new("/nonexistent/helm"), &[], Path::new("/"), &bounds(1000, 10));
        assert_eq!(r, Err(Failure::NotFound));
    }

    #[test]
    fn plugins_point_into_an_empty_private_folder() {
        let r = run(
            Path::new("/bin/sh"),
            &["-c".into(), "ls -A \"$HELM_PLUGINS\"; echo \"$HELM_PLUGINS\"".into()],
            Path::new("/"),
            &bounds(10_000, 4096),
        )
        .unwrap();
        let text = String::from_utf8(r).unwrap();
        assert!(
            text.trim().ends_with("/plugins") && text.contains("compliance-render-"),
            "{text}"
        );
        assert_eq!(text.lines().count(), 1, "{text}");
    }
}
