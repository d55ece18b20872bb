//! Statistics on counts: pure functions, no I/O, no polars.
//!
//! Every function here takes counts (never rows) and returns plain numbers or
//! `None` when the quantity is undefined for those counts. Each is unit-tested
//! against a published worked example; the sources are in `docs/methods.md`.

mod confidence;
pub mod exact;
mod fisher;
pub mod pooling;
mod proportions;
pub mod scores;
pub mod slates;
pub mod suppression;

pub use confidence::Confidence;
pub use fisher::fisher_exact_two_sided;
pub use proportions::{
    RatioDifference, RatioInterval, katz_interval, normal_quantile, rate, two_proportion_z_test,
};

#[cfg(test)]
mod tests {
    /// Asserts `actual` is within `rel` relative error of `expected`.
    pub fn close(actual: f64, expected: f64, rel: f64) {
        assert!(
            ((actual - expected) / expected).abs() < rel,
            "{actual} is not within {rel} of {expected}"
        );
    }
}
