//! The temporary folders the parts go in: where, what to say when one
//! cannot be written, and their removal when a run is interrupted.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, Once};

use crate::error::Error;

/// The folders of parts in use. A run stopped by Ctrl-C (or SIGTERM,
/// SIGHUP) ends without dropping them, and a national extract's parts are
/// gigabytes: the signal's handler removes them first.
static LIVE_FOLDERS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

pub(super) fn live_folders() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    LIVE_FOLDERS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Registers `folder` to be removed if the run is interrupted, installing
/// the handler the first time.
pub(super) fn remove_if_interrupted(folder: &Path) {
    static HANDLER: Once = Once::new();
    HANDLER.call_once(|| {
        // Fails only when a handler is set already (by an embedding
        // program): the parts are then left for it, as before.
        let _ = ctrlc::set_handler(|| {
            let removed = remove_live_folders();
            if removed > 0 {
                eprintln!("interrupted: removed the temporary slices");
            }
            // 128 + SIGINT, as a shell reports a Ctrl-C.
            std::process::exit(130);
        });
    });
    live_folders().push(folder.to_path_buf());
}

/// Removes every folder of parts in use; returns how many there were.
pub(super) fn remove_live_folders() -> usize {
    let folders = std::mem::take(&mut *live_folders());
    for folder in &folders {
        let _ = std::fs::remove_dir_all(folder);
    }
    folders.len()
}

/// Where the parts go: `TMPDIR` when it is set; else /var/tmp, the place
/// for large temporary files (on many systems /tmp is memory, tmpfs, and
/// parts there would take from memory what the slices save); else the
/// system's temporary folder.
pub(crate) fn folder_for_parts() -> PathBuf {
    if let Some(dir) = std::env::var_os("TMPDIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    let var_tmp = Path::new("/var/tmp");
    if cfg!(unix) && var_tmp.is_dir() {
        return var_tmp.to_path_buf();
    }
    std::env::temp_dir()
}

pub(super) const TEMP_HINT: &str = "the slices need room on disk for about 100 bytes an application (1 GB for 10 million, with stage events and scores): set TMPDIR to a folder on a disk with room, or give --memory enough for one slice";

/// When writing the parts failed for want of room (or any reason the
/// temporary folder gives), the error naming it; `None` when the folder is
/// fine and the cause was reading the inputs.
pub(super) fn written_error(dir: &Path) -> Option<Error> {
    let probe = dir.join("probe");
    let result = std::fs::write(&probe, [0u8; 4096]);
    let _ = std::fs::remove_file(&probe);
    result.err().map(|e| {
        Error::usage(
            format!(
                "writing the slices to the temporary folder {} failed: {e}",
                dir.display()
            ),
            Some(TEMP_HINT.to_string()),
        )
    })
}
