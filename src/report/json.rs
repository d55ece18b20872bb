//! The JSON report.
//!
//! One document, shaped as in `docs/output.md` (DESIGN.md's output contract):
//! `tool`, `settings`, `inputs`, `data_quality`, `transitions`. Field names
//! are part of rung's interface: fields may be added, never renamed.
//! Undefined numbers are `null`, never `NaN`.

use std::io::Write;

use crate::audit::Audit;

/// Writes the audit as pretty-printed JSON with a final newline.
pub fn write(audit: &Audit, out: &mut dyn Write) -> std::io::Result<()> {
    write_value(audit, out)
}

/// Writes any report as pretty-printed JSON with a final newline.
pub fn write_value<T: serde::Serialize>(value: &T, out: &mut dyn Write) -> std::io::Result<()> {
    // serde_json writes non-finite floats as null, and every undefined
    // figure is already an Option, so no NaN can reach the output.
    serde_json::to_writer_pretty(&mut *out, value)?;
    writeln!(out)
}
