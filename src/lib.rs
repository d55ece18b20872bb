//! # rung
//!
//! A recruitment-process bias audit engine. rung reads applicant-funnel
//! exports from applicant tracking systems and reports, stage by stage,
//! whether applicants of each ethnic group are as likely as the reference
//! group (White, by default) to progress: the NHS Workforce Race Equality
//! Standard's indicator 2 and every other step of the funnel, with
//! confidence intervals and exact tests.
//!
//! Data flows one way, each layer using only those below it:
//!
//! ```text
//! cli         (the binary) arguments → a spec → a report
//! report      terminal, JSON, CSV, Markdown, HTML, XLSX from a finished report
//! audit       runs the counting pass and every measure into an `Audit`;
//!             `audit::publish` is publication mode's pass over it
//! spec        settings files read and checked once (policies, slate rules)
//! measures    rates, ratios, comparisons, pooling, panels, scores, slates
//! counts      one lazy polars pass → counts by [breakdown…, raw label, stage]
//! ingest      files → checked lazy scans with canonical columns
//! taxonomy    raw labels → categories → groups; stage names → ladder; sex
//! stats       pure functions on counts (Katz CI, Fisher, pooling, suppression)
//! provenance  what produced an output: version, command, inputs and hashes
//! toml_file   reading a TOML settings file, errors naming file and line
//! ```
//!
//! `generate` writes synthetic exports for tests and benchmarks; `output`
//! writes files atomically; `progress` reports on long runs.
//! [`audit::run`] ties the layers together; the `rung` binary is a thin
//! layer of argument parsing over it.

#![deny(missing_docs)]

pub mod audit;
pub mod counts;
pub mod error;
pub mod generate;
pub mod ingest;
pub mod measures;
pub mod output;
pub mod progress;
pub mod provenance;
pub mod report;
pub mod spec;
pub mod stats;
pub mod taxonomy;
pub mod toml_file;

pub use error::{Error, Result};

/// rung's version, as reported in every output.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
