//! Every file the tool writes (`--output`, `--output-dir`, `baseline -o`, `webhook
//! manifests --output-dir`) is written here: into a temporary file created exclusively
//! (`O_EXCL`, a random name) in the target folder, flushed to disk, then renamed over the
//! final name. A pull request can commit a symbolic link where a report goes
//! (`reports/report.md -> ~/.ssh/authorized_keys`): an existing link is refused, never
//! opened, and the rename replaces a link planted after that check rather than following
//! it. A full disk or a killed run leaves the old file, never a truncated one.

use crate::base::error::{Error, Result};
use std::io::Write;
use std::path::{Path, PathBuf};

/// A file being written: [`Pending::commit`] gives it its name.
pub struct Pending {
    target: Target,
    path: PathBuf,
}

enum Target {
    /// A regular file (or none yet): written beside it, then renamed over it.
    Temp(tempfile::NamedTempFile),
    /// A terminal, pipe or device (`/dev/stdout`, `/dev/null`): written in place, since a
    /// rename would replace the device node rather than write to it.
    Stream(std::fs::File),
}

impl Pending {
    /// Starts writing `path`; refuses a `path` that is a symbolic link to a file.
    pub fn new(path: &Path) -> Result<Self> {
        if let Some(stream) = stream(path)? {
            return Ok(Pending {
                target: Target::Stream(stream),
                path: path.to_path_buf(),
            });
        }
        refuse_link(path)?;
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let temp = tempfile::Builder::new()
            .prefix(&format!(".{name}."))
            .suffix(".partial")
            .tempfile_in(dir)
            .map_err(write_error(path))?;
        Ok(Pending {
            target: Target::Temp(temp),
            path: path.to_path_buf(),
        })
    }

    /// Where the content goes (buffer it: every write is a system call).
    pub fn file(&mut self) -> &mut std::fs::File {
        match &mut self.target {
            Target::Temp(t) => t.as_file_mut(),
            Target::Stream(f) => f,
        }
    }

    /// Flushes the content to disk and renames it over the final name. Dropped without a
    /// commit, the temporary file is removed.
    pub fn commit(self) -> Result<()> {
        let path = self.path;
        let Target::Temp(temp) = self.target else {
            return Ok(());
        };
        let file = temp.as_file();
        permissions(file, &path).map_err(write_error(&path))?;
        file.sync_all().map_err(write_error(&path))?;
        // checked again: a link planted since `new` would be replaced, but say so instead
        refuse_link(&path)?;
        temp.persist(&path).map_err(|e| write_error(&path)(e.error))?;
        Ok(())
    }
}

/// `path` opened for writing in place when it is (or links to) a terminal, pipe, socket or
/// character device; `None` for a regular file or a missing one.
#[cfg(unix)]
fn stream(path: &Path) -> Result<Option<std::fs::File>> {
    use std::os::unix::fs::FileTypeExt;
    let Ok(meta) = std::fs::metadata(path) else {
        return Ok(None);
    };
    let t = meta.file_type();
    if t.is_char_device() || t.is_fifo() || t.is_socket() {
        let f = std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(write_error(path))?;
        return Ok(Some(f));
    }
    if t.is_block_device() {
        return Err(write_error(path)(std::io::Error::other("a block device: not written")));
    }
    Ok(None)
}

#[cfg(not(unix))]
fn stream(_: &Path) -> Result<Option<std::fs::File>> {
    Ok(None)
}

/// Writes `path` atomically with what `write` puts into it.
pub fn write_file(path: &Path, write: impl FnOnce(&mut dyn Write) -> Result<()>) -> Result<()> {
    let mut pending = Pending::new(path)?;
    {
        let mut out = std::io::BufWriter::new(pending.file());
        write(&mut out)?;
        out.flush().map_err(write_error(path))?;
    }
    pending.commit()
}

/// Writes `bytes` to `path` atomically.
pub fn write_bytes(path: &Path, bytes: &[u8]) -> Result<()> {
    write_file(path, |out| out.write_all(bytes).map_err(write_error(path)))
}

/// An error when `path` is a symbolic link (dangling or not).
pub fn refuse_link(path: &Path) -> Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => Err(Error::Symlink {
            path: path.display().to_string(),
        }),
        _ => Ok(()),
    }
}

/// An error when a folder of `rel` below `base` (or `rel` itself) is a symbolic link, or
/// when `rel` leaves `base` (absolute, or with `..`): for a folder named by a repository's
/// configuration, which must stay inside the checked folder.
pub fn refuse_outside(base: &Path, rel: &Path) -> Result<()> {
    use std::path::Component;
    let mut at = base.to_path_buf();
    for part in rel.components() {
        match part {
            Component::Normal(p) => {
                at.push(p);
                if refuse_link(&at).is_err() {
                    return Err(Error::Outside {
                        path: rel.display().to_string(),
                    });
                }
            }
            Component::CurDir => {}
            _ => {
                return Err(Error::Outside {
                    path: rel.display().to_string(),
                })
            }
        }
    }
    Ok(())
}

fn write_error(path: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
    move |source| Error::Write {
        path: path.display().to_string(),
        source,
    }
}

/// A temporary file is made readable by its owner only; the final file keeps the mode of
/// the file it replaces, else gets the usual 0644.
#[cfg(unix)]
fn permissions(file: &std::fs::File, path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path)
        .map(|m| m.permissions().mode() & 0o7777)
        .unwrap_or(0o644);
    file.set_permissions(std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn permissions(_: &std::fs::File, _: &Path) -> std::io::Result<()> {
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn a_symbolic_link_is_refused_and_its_target_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("authorized_keys");
        std::fs::write(&target, "ssh-ed25519 AAAA owner\n").unwrap();
        let link = dir.path().join("report.md");
        symlink(&target, &link).unwrap();
        let e = write_bytes(&link, b"pwned\n").unwrap_err();
        assert!(e.to_string().contains("symbolic link"), "{e}");
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "ssh-ed25519 AAAA owner\n");
        // a dangling link too: it would create its target
        let dangling = dir.path().join("baseline.json");
        symlink(dir.path().join("nowhere"), &dangling).unwrap();
        assert!(write_bytes(&dangling, b"x").is_err());
        assert!(!dir.path().join("nowhere").exists());
        // no temporary file is left behind
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(left.len(), 3, "{left:?}");
    }

    #[test]
    fn a_failed_write_keeps_the_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("baseline.json");
        std::fs::write(&path, "old").unwrap();
        let e = write_file(&path, |out| {
            out.write_all(b"half").unwrap();
            Err(Error::Write {
                path: "x".into(),
                source: std::io::Error::new(std::io::ErrorKind::StorageFull, "no space left"),
            })
        });
        assert!(e.is_err());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "old");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        write_bytes(&path, b"new").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
    }

    #[test]
    fn a_device_is_written_in_place_never_replaced() {
        use std::os::unix::fs::FileTypeExt;
        write_bytes(Path::new("/dev/null"), b"x").unwrap();
        assert!(std::fs::metadata("/dev/null").unwrap().file_type().is_char_device());
        if Path::new("/dev/full").exists() {
            let e = write_bytes(Path::new("/dev/full"), &[b'x'; 1 << 16]).unwrap_err();
            assert!(e.to_string().contains("cannot write `/dev/full`"), "{e}");
            assert!(std::fs::metadata("/dev/full").unwrap().file_type().is_char_device());
        }
    }

    #[test]
    fn a_configured_folder_stays_inside() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("real")).unwrap();
        symlink("/tmp", dir.path().join("link")).unwrap();
        assert!(refuse_outside(dir.path(), Path::new("reports/x")).is_ok());
        assert!(refuse_outside(dir.path(), Path::new("real/reports")).is_ok());
        assert!(refuse_outside(dir.path(), Path::new("link/reports")).is_err());
        assert!(refuse_outside(dir.path(), Path::new("../reports")).is_err());
        assert!(refuse_outside(dir.path(), Path::new("/tmp/reports")).is_err());
    }
}
