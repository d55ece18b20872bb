//! Each input read once, start to end, beside the counting pass: its
//! SHA-256 for the provenance and, for CSV, the line check (decompressing
//! gzip and zstd as polars does).

use std::io::Read;
use std::path::Path;

use sha2::{Digest, Sha256};

use super::line_check;
use super::{Dataset, Format, Source};
use crate::error::{Error, Result};

/// Reads a file once, start to end: returns its SHA-256 and, for CSV,
/// checks every line on the way: the same number of fields as the header
/// and UTF-8 text. polars is lenient about both (it truncates extra fields
/// and pads short rows), so without this a shifted column would be counted
/// in silence. Runs on its own thread beside the counting pass.
pub fn fingerprint(source: &Source, delimiter: u8) -> Result<String> {
    let mut hasher = Sha256::new();
    for path in &source.files {
        hasher = fingerprint_file(path, source.format, delimiter, hasher)?;
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// Feeds one file's bytes (as stored, compressed or not) to the hasher,
/// line-checking its CSV text on the way.
pub(super) fn fingerprint_file(
    path: &Path,
    format: Format,
    delimiter: u8,
    mut hasher: Sha256,
) -> Result<Sha256> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut hashing = Tap {
        inner: std::io::BufReader::with_capacity(1 << 20, file),
        seen: |bytes: &[u8]| hasher.update(bytes),
    };
    if format == Format::Csv {
        let text =
            decompressed(std::io::BufReader::new(&mut hashing)).map_err(|e| Error::io(path, e))?;
        line_check::check(text, delimiter, path)?;
    }
    // Whatever the CSV reader left unread (nothing, normally) still counts.
    std::io::copy(&mut hashing, &mut std::io::sink()).map_err(|e| Error::io(path, e))?;
    drop(hashing);
    Ok(hasher)
}

/// A reader of text that may be gzip or zstd compressed, told by its first
/// bytes (as polars tells them), decompressed as it is read.
pub(super) fn decompressed<'a, R: std::io::BufRead + 'a>(
    mut reader: R,
) -> std::io::Result<Box<dyn Read + 'a>> {
    let head = reader.fill_buf()?;
    Ok(if head.starts_with(&[0x1f, 0x8b]) {
        Box::new(flate2::bufread::MultiGzDecoder::new(reader))
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Box::new(zstd::Decoder::with_buffer(reader)?)
    } else {
        Box::new(reader)
    })
}

/// Runs `work` (the counting pass) while a second thread hashes and
/// line-checks every file of the dataset. A malformed line found by the
/// check is reported in preference to whatever the work made of it.
pub fn beside_fingerprints<T: Send>(
    dataset: &Dataset,
    delimiter: u8,
    work: impl FnOnce() -> Result<T> + Send,
) -> Result<(T, Vec<String>)> {
    let (result, hashes) = std::thread::scope(|scope| {
        let hashing = scope.spawn(|| {
            dataset
                .sources()
                .map(|s| fingerprint(s, delimiter))
                .collect::<Result<Vec<String>>>()
        });
        let result = work();
        let hashes = hashing
            .join()
            .unwrap_or_else(|_| Err(Error::Internal("hashing thread panicked".into())));
        (result, hashes)
    });
    let hashes = hashes?;
    Ok((result?, hashes))
}

/// Passes bytes through, showing each run read to `seen` (to hash them,
/// or count them).
pub(super) struct Tap<R, F> {
    pub(super) inner: R,
    pub(super) seen: F,
}

impl<R: Read, F: FnMut(&[u8])> Read for Tap<R, F> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        (self.seen)(&buf[..n]);
        Ok(n)
    }
}
