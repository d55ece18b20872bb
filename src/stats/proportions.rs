//! Rates, ratios of rates and their intervals and tests.

use statrs::distribution::{ContinuousCDF, Normal};
use statrs::function::erf::erfc;

/// `progressed / entered`, or `None` when nobody entered.
pub fn rate(progressed: u64, entered: u64) -> Option<f64> {
    (entered > 0).then(|| progressed as f64 / entered as f64)
}

/// The two-sided standard normal quantile for a confidence level,
/// e.g. 1.959964 for 0.95.
pub fn normal_quantile(confidence: f64) -> f64 {
    let standard = Normal::new(0.0, 1.0).expect("standard normal is valid");
    standard.inverse_cdf(1.0 - (1.0 - confidence) / 2.0)
}

/// A ratio of two rates with its confidence interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RatioInterval {
    /// The ratio of the two rates.
    pub ratio: f64,
    /// Lower confidence limit.
    pub low: f64,
    /// Upper confidence limit.
    pub high: f64,
    /// Standard error of the log ratio.
    pub se_log: f64,
}

impl RatioInterval {
    /// The same comparison the other way up: `1/ratio`, with the limits
    /// swapped and inverted. The standard error of the log is unchanged.
    pub fn inverted(self) -> RatioInterval {
        RatioInterval {
            ratio: 1.0 / self.ratio,
            low: 1.0 / self.high,
            high: 1.0 / self.low,
            se_log: self.se_log,
        }
    }

    /// Whether this ratio differs from another estimated independently:
    /// their ratio, its interval and two-sided p, from the standard errors
    /// of the logs, SE = sqrt(SE₁² + SE₂²) (Altman & Bland, "Interaction
    /// revisited: the difference between two estimates", BMJ 2003).
    pub fn compared_with(self, other: RatioInterval, confidence: f64) -> RatioDifference {
        let log_ratio = (self.ratio / other.ratio).ln();
        let se = (self.se_log * self.se_log + other.se_log * other.se_log).sqrt();
        let z = normal_quantile(confidence);
        RatioDifference {
            ratio: log_ratio.exp(),
            low: (log_ratio - z * se).exp(),
            high: (log_ratio + z * se).exp(),
            p: if se > 0.0 {
                erfc((log_ratio / se).abs() / std::f64::consts::SQRT_2)
            } else {
                1.0
            },
        }
    }
}

/// The ratio of two independent ratios, with its interval and test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RatioDifference {
    /// First ratio ÷ second.
    pub ratio: f64,
    /// Lower limit.
    pub low: f64,
    /// Upper limit.
    pub high: f64,
    /// Two-sided p of "the two ratios are equal".
    pub p: f64,
}

/// Ratio of rates `(a/n1) / (c/n2)` with the Katz log confidence interval:
/// `SE = sqrt(1/a - 1/n1 + 1/c - 1/n2)`, limits `exp(ln RR ± z·SE)`
/// (Katz, Baptista, Azen and Pike, Biometrics 1978).
///
/// `None` when the log ratio is undefined: a zero numerator in either group
/// (`a == 0` or `c == 0`) or an empty group.
pub fn katz_interval(a: u64, n1: u64, c: u64, n2: u64, confidence: f64) -> Option<RatioInterval> {
    if a == 0 || c == 0 || n1 == 0 || n2 == 0 || a > n1 || c > n2 {
        return None;
    }
    // Everyone in both groups progressed: the standard error is zero and the
    // "interval" would be the single point 1, which claims a certainty that
    // the data cannot give.
    if a == n1 && c == n2 {
        return None;
    }
    let (a, n1, c, n2) = (a as f64, n1 as f64, c as f64, n2 as f64);
    let ratio = (a / n1) / (c / n2);
    // Clamp the tiny negative values rounding can give.
    let se_log = (1.0 / a - 1.0 / n1 + 1.0 / c - 1.0 / n2).max(0.0).sqrt();
    let z = normal_quantile(confidence);
    Some(RatioInterval {
        ratio,
        low: (ratio.ln() - z * se_log).exp(),
        high: (ratio.ln() + z * se_log).exp(),
        se_log,
    })
}

/// Pooled two-proportion z-test of `x1/n1` against `x2/n2`: the statistic and
/// its two-sided p value. `None` when a group is empty or the pooled rate is 0
/// or 1 (everyone or no one progressed: the standard error is zero).
pub fn two_proportion_z_test(x1: u64, n1: u64, x2: u64, n2: u64) -> Option<(f64, f64)> {
    if n1 == 0 || n2 == 0 {
        return None;
    }
    let (x1, n1, x2, n2) = (x1 as f64, n1 as f64, x2 as f64, n2 as f64);
    let pooled = (x1 + x2) / (n1 + n2);
    let variance = pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2);
    if variance <= 0.0 {
        return None;
    }
    let z = (x1 / n1 - x2 / n2) / variance.sqrt();
    // erfc keeps precision far into the tail, where 1 - Φ(|z|) would round to 0.
    let p = erfc(z.abs() / std::f64::consts::SQRT_2);
    Some((z, p.clamp(0.0, 1.0)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::tests::close;

    /// Katz worked example (DESIGN.md; also the standard textbook example of
    /// the log method): 10/75 vs 12/225 gives RR 2.5, 95% CI 1.1261564 to
    /// 5.5498508.
    #[test]
    fn katz_worked_example() {
        let ci = katz_interval(10, 75, 12, 225, 0.95).unwrap();
        close(ci.ratio, 2.5, 1e-12);
        close(ci.low, 1.1261564, 1e-7);
        close(ci.high, 5.5498508, 1e-7);
    }

    #[test]
    fn katz_inverted_is_the_other_direction() {
        let nhs = katz_interval(10, 75, 12, 225, 0.95).unwrap();
        let sc = katz_interval(12, 225, 10, 75, 0.95).unwrap();
        let flipped = nhs.inverted();
        close(flipped.ratio, sc.ratio, 1e-12);
        close(flipped.low, sc.low, 1e-12);
        close(flipped.high, sc.high, 1e-12);
    }

    #[test]
    fn katz_zero_cells_are_undefined() {
        assert!(katz_interval(0, 75, 12, 225, 0.95).is_none());
        assert!(katz_interval(10, 75, 0, 225, 0.95).is_none());
        assert!(katz_interval(10, 0, 12, 225, 0.95).is_none());
    }

    #[test]
    fn katz_everyone_progressed_gives_no_interval() {
        assert!(katz_interval(20, 20, 30, 30, 0.95).is_none());
        // One group at 100% still has a proper interval.
        let ci = katz_interval(20, 20, 15, 30, 0.95).unwrap();
        assert!(ci.low < 2.0 && ci.high > 2.0 && ci.se_log > 0.0);
    }

    /// RL 2.5 (10/75 vs 12/225) against RL 1.4286 (48/80 vs 21/50): ratio
    /// 1.75, 95% CI 0.7260002655 to 4.2183180164, p 0.2125265556 (the
    /// Altman-Bland formula evaluated independently in Python).
    #[test]
    fn ratio_of_two_ratios() {
        let one = katz_interval(10, 75, 12, 225, 0.95).unwrap();
        let two = katz_interval(48, 80, 21, 50, 0.95).unwrap();
        let d = one.compared_with(two, 0.95);
        close(d.ratio, 1.75, 1e-12);
        close(d.low, 0.7260002655256232, 1e-9);
        close(d.high, 4.218318016430413, 1e-9);
        close(d.p, 0.21252655562758127, 1e-9);
    }

    /// Four-fifths rule worked example (EEOC Uniform Guidelines Q&A style):
    /// 48 of 80 vs 21 of 50 selected: 0.42 / 0.60 = 0.70.
    #[test]
    fn four_fifths_worked_example() {
        let ir = crate::stats::exact::impact_ratios(&[(48, 80, true), (21, 50, true)]);
        close(ir[1].unwrap(), 0.70, 1e-12);
        assert_eq!(ir[0], Some(1.0));
    }

    #[test]
    fn normal_quantiles() {
        close(normal_quantile(0.95), 1.959963984540054, 1e-12);
        close(normal_quantile(0.99), 2.5758293035489004, 1e-12);
    }

    /// 48/80 vs 21/50: pooled 69/130; scipy gives z = 2.0007126314140273
    /// and 2 * norm.sf(z) = 0.04542336739712537.
    #[test]
    fn z_test_matches_hand_computation() {
        let (z, p) = two_proportion_z_test(48, 80, 21, 50).unwrap();
        let pooled: f64 = 69.0 / 130.0;
        let se = (pooled * (1.0 - pooled) * (1.0 / 80.0 + 1.0 / 50.0)).sqrt();
        close(z, (0.6 - 0.42) / se, 1e-12);
        close(z, 2.0007126314140273, 1e-12);
        close(p, 0.04542336739712537, 1e-10);
    }

    #[test]
    fn z_test_undefined_when_pooled_rate_is_degenerate() {
        assert!(two_proportion_z_test(0, 10, 0, 20).is_none());
        assert!(two_proportion_z_test(10, 10, 20, 20).is_none());
        assert!(two_proportion_z_test(1, 0, 2, 20).is_none());
    }

    #[test]
    fn z_test_far_tail_is_not_rounded_to_zero() {
        // z is about 22.4 here: 1 - Phi(z) is exactly 0.0 in f64, erfc is not.
        let (_, p) = two_proportion_z_test(55_000, 100_000, 50_000, 100_000).unwrap();
        assert!(p > 0.0 && p < 1e-100, "p = {p}");
    }
}
