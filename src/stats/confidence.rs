//! The confidence level: checked once, when it is read, and asked for its
//! two-sided normal quantile, its α and whether a p value is significant,
//! instead of each measure re-deriving "p < 1 − confidence".

use serde::Serialize;

use crate::error::{Error, Result};

/// A confidence level strictly between 0 and 1 (0.95 by default). Written
/// to JSON as the bare number.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Serialize)]
#[serde(transparent)]
pub struct Confidence(f64);

impl Default for Confidence {
    fn default() -> Self {
        Confidence(0.95)
    }
}

impl Confidence {
    /// Checks `level`: a confidence level must lie strictly between 0 and 1.
    pub fn new(level: f64) -> Result<Confidence> {
        if level > 0.0 && level < 1.0 {
            Ok(Confidence(level))
        } else {
            Err(Error::usage(
                format!("--confidence {level} must lie strictly between 0 and 1"),
                Some("e.g. --confidence 0.95".into()),
            ))
        }
    }

    /// The level, e.g. 0.95.
    pub fn level(self) -> f64 {
        self.0
    }

    /// The level in per cent, e.g. 95 for 0.95, as reports state it
    /// (rounded to nine decimals, so 0.9 shows as 90, not 90.00000000000001).
    pub fn percent(self) -> f64 {
        (self.0 * 100.0 * 1e9).round() / 1e9
    }

    /// 1 − level: the significance level a p value is held against.
    pub fn alpha(self) -> f64 {
        1.0 - self.0
    }

    /// The two-sided standard normal quantile, e.g. 1.959964 for 0.95.
    pub fn z(self) -> f64 {
        super::normal_quantile(self.0)
    }

    /// Whether `p` is below α.
    pub fn significant(self, p: f64) -> bool {
        p < self.alpha()
    }
}

impl std::fmt::Display for Confidence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_levels_strictly_between_0_and_1() {
        for bad in [0.0, 1.0, -0.5, 1.2, f64::NAN, f64::INFINITY] {
            assert!(Confidence::new(bad).is_err(), "{bad}");
        }
        let c = Confidence::new(0.9).unwrap();
        assert!((c.alpha() - 0.1).abs() < 1e-15);
        // 0.95: the familiar 1.959964 (Abramowitz and Stegun, table 26.5).
        assert!((Confidence::default().z() - 1.959_964).abs() < 1e-6);
        // p equal to α is not significant: the rule is p < α.
        assert!(!Confidence::new(0.75).unwrap().significant(0.25));
        assert!(Confidence::new(0.75).unwrap().significant(0.249));
    }
}
