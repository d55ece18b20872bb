//! Writing outputs whole or not at all: a file is written beside its
//! target under a temporary name and renamed over it only when everything
//! was written, so a run that fails part-way leaves an existing file as it
//! was, and two runs writing one file cannot interleave. A target that is
//! not a regular file (`/dev/null`, a named pipe, a terminal) is written
//! directly: renaming over it would replace the device with a file.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// An output being written: a file (under a temporary name until
/// [`Output::finish`]) or standard output.
pub struct Output {
    writer: Box<dyn Write>,
    /// (temporary file, target) while a file is being written.
    pending: Option<(PathBuf, PathBuf)>,
}

impl Output {
    /// Standard output.
    pub fn stdout() -> Output {
        Output {
            writer: Box::new(BufWriter::new(std::io::stdout().lock())),
            pending: None,
        }
    }

    /// A file, written under a temporary name beside `target` (or
    /// directly, when `target` is a device or a pipe).
    pub fn file(target: &Path) -> Result<Output> {
        if is_special(target) {
            let file = open_special(target)?;
            return Ok(Output {
                writer: Box::new(BufWriter::new(file)),
                pending: None,
            });
        }
        let temp = temporary_beside(target);
        let file = File::create(&temp).map_err(|e| Error::io(target, e))?;
        Ok(Output {
            writer: Box::new(BufWriter::new(file)),
            pending: Some((temp, target.to_path_buf())),
        })
    }

    /// Flushes, and puts a file in place of its target.
    pub fn finish(mut self) -> std::io::Result<()> {
        self.writer.flush()?;
        if let Some((temp, target)) = self.pending.take() {
            // Closed before the rename, so what is renamed is complete.
            self.writer = Box::new(std::io::sink());
            if let Err(e) = std::fs::rename(&temp, &target) {
                let _ = std::fs::remove_file(&temp);
                return Err(e);
            }
        }
        Ok(())
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.writer.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.writer.flush()
    }
}

impl Drop for Output {
    /// An output dropped before [`Output::finish`] failed: its temporary
    /// file goes, and the target is left as it was.
    fn drop(&mut self) {
        if let Some((temp, _)) = self.pending.take() {
            self.writer = Box::new(std::io::sink());
            let _ = std::fs::remove_file(temp);
        }
    }
}

/// Text a spreadsheet would run as a formula when opened from a file rung
/// writes: it begins with `=`, `+`, `-`, `@`, a tab or a carriage return
/// (CSV injection, OWASP). Every writer of text for spreadsheets guards
/// against it with a leading apostrophe.
pub fn starts_formula(s: &str) -> bool {
    s.starts_with(['=', '+', '-', '@', '\t', '\r'])
}

/// Whether `target` exists and is not a regular file (following links): a
/// character device such as `/dev/null` or `/dev/stdout`, a named pipe, a
/// socket.
fn is_special(target: &Path) -> bool {
    std::fs::metadata(target).is_ok_and(|m| !m.is_file() && !m.is_dir())
}

/// Opens a device or pipe for writing, as it is.
fn open_special(target: &Path) -> Result<File> {
    File::options()
        .write(true)
        .open(target)
        .map_err(|e| Error::io(target, e))
}

/// A hidden name beside `target`, unique to this process.
fn temporary_beside(target: &Path) -> PathBuf {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "output".into());
    target.with_file_name(format!(".{name}.{}.rung-partial", std::process::id()))
}

/// Writes a file whole or not at all: `write` fills a temporary file beside
/// `target`, which then replaces it.
pub fn write_file(target: &Path, write: impl FnOnce(&mut File) -> Result<()>) -> Result<()> {
    if is_special(target) {
        return write(&mut open_special(target)?);
    }
    let temp = temporary_beside(target);
    let mut file = File::create(&temp).map_err(|e| Error::io(target, e))?;
    let result = write(&mut file)
        .and_then(|_| file.sync_data().map_err(|e| Error::io(target, e)))
        .and_then(|_| {
            drop(file);
            std::fs::rename(&temp, target).map_err(|e| Error::io(target, e))
        });
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_write_leaves_the_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("report.xlsx");
        std::fs::write(&target, "old").unwrap();
        {
            let mut out = Output::file(&target).unwrap();
            out.write_all(b"half a rep").unwrap();
            // Dropped without finish: the run failed.
        }
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "old");
        let mut out = Output::file(&target).unwrap();
        out.write_all(b"new").unwrap();
        out.finish().unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "new");
        // No temporary file is left behind either way.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        let failed = write_file(&target, |_| Err(Error::Internal("boom".into())));
        assert!(failed.is_err());
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "new");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
