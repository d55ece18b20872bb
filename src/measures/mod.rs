//! Measures: plain Rust computations over the counting pass's tables. They
//! read no files and print nothing; the report module renders what they
//! return.

pub mod change;
pub mod findings;
pub mod funnel;
pub mod panels;
pub mod pooling;
pub mod quality;
pub mod scoring;
pub mod slates;
