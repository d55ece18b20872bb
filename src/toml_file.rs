//! Reading a TOML settings file (grouping, panel policy, slate rules) into
//! its type: a file that cannot be read or parsed is an error naming the
//! file, the line the parser points at, and where the format is described.

use std::path::Path;

use serde::de::DeserializeOwned;

use crate::error::{Error, Result};

/// Reads `path` as a `what` (e.g. "panel policy") whose format `doc`
/// describes.
pub fn read<T: DeserializeOwned>(path: &Path, what: &str, doc: &str) -> Result<T> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    toml::from_str(&text).map_err(|e| {
        Error::toml(path, &text, &e, what)
            .with_hint(format!("the {what} format is described in {doc}"))
    })
}
