//! # rung
//!
//! A recruitment-process bias audit engine. rung reads applicant-funnel
//! exports from applicant tracking systems and reports, stage by stage,
//! whether applicants of each ethnic group are as likely as the reference
//! group (White, by default) to progress: the NHS Workforce Race Equality
//! Standard's indicator 2 and every other step of the funnel, with
//! confidence intervals and exact tests.
//!
//! Data flows one way:
//!
//! ```text
//! ingest   files → checked lazy scans with canonical columns
//! counts   one lazy polars pass → counts by [breakdown…, raw label, stage]
//! taxonomy raw labels → ONS 2021 categories → groups (on distinct labels)
//! stats    pure functions on counts (Katz CI, Fisher, z-test)
//! measures rates, ratios, comparisons, data quality
//! report   table, JSON, CSV
//! ```
//!
//! [`audit::run`] ties them together; the `rung` binary is a thin layer of
//! argument parsing over it.

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

pub use error::{Error, Result};

/// rung's version, as reported in every output.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
