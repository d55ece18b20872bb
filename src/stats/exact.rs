//! Verdicts on ratios of counts, decided exactly.
//!
//! A rate is a ratio of two counts and a ratio of rates a ratio of two
//! products of counts, so every threshold rule (the four-fifths rule, the
//! 0.80–1.25 band, a slate's minimum share) can be decided by
//! cross-multiplying integers instead of comparing floating-point
//! quotients. That matters at the boundary: White 5/6 vs BME 4/6 is a ratio
//! of exactly 1.25, which the quotient of two rounded rates puts at
//! 1.2500000000000002, outside the band. The EEOC's rule is that exactly
//! four-fifths is not adverse impact (29 CFR 1607.4D), so the boundary
//! belongs inside.
//!
//! The value shown beside a verdict comes from one correctly rounded
//! division of the two exact integers ([`Fraction::value`]), so a ratio of
//! exactly 4/5 shows as 0.8 and is judged inside the band.

use std::cmp::Ordering;

/// A non-negative rational number `num / den` of counts, `den > 0`.
#[derive(Debug, Clone, Copy)]
pub struct Fraction {
    num: u128,
    den: u128,
}

/// Four-fifths, the EEOC threshold.
pub const FOUR_FIFTHS: Fraction = Fraction { num: 4, den: 5 };
/// Five-fourths, its reciprocal: the top of the 0.80–1.25 band.
pub const FIVE_FOURTHS: Fraction = Fraction { num: 5, den: 4 };

impl Fraction {
    /// `num / den`; `None` when `den` is 0.
    pub fn new(num: u128, den: u128) -> Option<Fraction> {
        (den > 0).then_some(Fraction { num, den })
    }

    /// The rate `progressed / entered`; `None` when nobody entered.
    pub fn rate(progressed: u64, entered: u64) -> Option<Fraction> {
        Fraction::new(progressed.into(), entered.into())
    }

    /// The ratio of two rates, `(a / n1) / (c / n2) = a·n2 / (n1·c)`;
    /// `None` when a rate is undefined or the second is 0.
    pub fn of_rates(a: u64, n1: u64, c: u64, n2: u64) -> Option<Fraction> {
        if n1 == 0 || n2 == 0 {
            return None;
        }
        Fraction::new(
            u128::from(a) * u128::from(n2),
            u128::from(n1) * u128::from(c),
        )
    }

    /// The decimal a user wrote (a TOML threshold such as 0.3), exactly: the
    /// shortest decimal that reads back as `x`. `None` for a negative,
    /// infinite or NaN value, or one with more than 19 decimal places.
    pub fn from_decimal(x: f64) -> Option<Fraction> {
        if !x.is_finite() || x < 0.0 {
            return None;
        }
        let text = format!("{x}");
        let (whole, frac) = text.split_once('.').unwrap_or((&text, ""));
        if frac.len() > 19 {
            return None;
        }
        let den = 10u128.checked_pow(frac.len() as u32)?;
        let num: u128 = format!("{whole}{frac}").parse().ok()?;
        Fraction::new(num, den)
    }

    /// The value, from one correctly rounded division when both parts are
    /// below 2^53.
    pub fn value(self) -> f64 {
        self.num as f64 / self.den as f64
    }

    /// Exact comparison by cross-multiplication. Only for counts beyond
    /// about 2^63, where a product overflows 128 bits, does it fall back to
    /// comparing values.
    pub fn compare(self, other: Fraction) -> Ordering {
        match (
            self.num.checked_mul(other.den),
            other.num.checked_mul(self.den),
        ) {
            (Some(l), Some(r)) => l.cmp(&r),
            _ => self.value().total_cmp(&other.value()),
        }
    }

    /// `low ≤ self ≤ high`, boundaries included.
    pub fn within(self, low: Fraction, high: Fraction) -> bool {
        self.compare(low) != Ordering::Less && self.compare(high) != Ordering::Greater
    }

    /// Inside the 0.80–1.25 band (boundaries included: exactly four-fifths
    /// is not adverse impact).
    pub fn within_four_fifths_band(self) -> bool {
        self.within(FOUR_FIFTHS, FIVE_FOURTHS)
    }
}

/// `n` is under 2% of `total`, exactly: the NYC Local Law 144 rules let an
/// auditor leave such a category out of the impact ratios.
pub fn under_two_percent(n: u64, total: u64) -> bool {
    u128::from(n) * 50 < u128::from(total)
}

/// The comparator of impact ratios: the group with the highest rate among
/// those allowed to be it, chosen exactly (the first on a tie); `None` when
/// none has entrants or the highest rate is 0. `groups` are (progressed,
/// entered, may be the comparator).
pub fn comparator(groups: &[(u64, u64, bool)]) -> Option<usize> {
    groups
        .iter()
        .enumerate()
        .filter(|(_, g)| g.2)
        .filter_map(|(i, &(p, n, _))| Some((i, Fraction::rate(p, n)?)))
        .max_by(|x, y| x.1.compare(y.1).then(y.0.cmp(&x.0)))
        .filter(|&(i, _)| groups[i].0 > 0)
        .map(|(i, _)| i)
}

/// Each group's impact ratio against the group at `comparator`, exactly;
/// `None` for a group with no entrants or without a comparator.
pub fn impact_ratio_fractions(
    groups: &[(u64, u64, bool)],
    comparator: Option<usize>,
) -> Vec<Option<Fraction>> {
    groups
        .iter()
        .map(|&(p, n, _)| {
            let (bp, bn, _) = groups[comparator?];
            Fraction::of_rates(p, n, bp, bn)
        })
        .collect()
}

/// Impact ratios: each rate over the highest rate among the candidates
/// allowed to be the comparator, chosen and divided exactly. `groups` are
/// (progressed, entered, may be the comparator); a group with no entrants,
/// or every group when the highest rate is 0, gets `None`.
pub fn impact_ratios(groups: &[(u64, u64, bool)]) -> Vec<Option<f64>> {
    impact_ratio_fractions(groups, comparator(groups))
        .into_iter()
        .map(|r| r.map(Fraction::value))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reference written independently: reduce both sides by their gcd
    /// and compare as i128 cross-products.
    fn reference_in_band(a: i128, n1: i128, c: i128, n2: i128) -> bool {
        fn gcd(x: i128, y: i128) -> i128 {
            if y == 0 { x.abs() } else { gcd(y, x % y) }
        }
        let (mut p, mut q) = (a * n2, n1 * c);
        let g = gcd(p, q);
        p /= g;
        q /= g;
        // 4/5 ≤ p/q ≤ 5/4
        5 * p >= 4 * q && 4 * p <= 5 * q
    }

    #[test]
    fn the_boundary_is_inside_in_both_directions() {
        // The examples: White 5/6 vs BME 4/6 (RL 1.25), and the
        // Social Care direction of White 75/100 vs BME 60/100 (0.80).
        let nhs = Fraction::of_rates(5, 6, 4, 6).unwrap();
        assert_eq!(nhs.value(), 1.25);
        assert!(nhs.within_four_fifths_band());
        let sc = Fraction::of_rates(60, 100, 75, 100).unwrap();
        assert_eq!(sc.value(), 0.8);
        assert!(sc.within_four_fifths_band());
        // One applicant either side of the boundary is outside.
        assert!(
            !Fraction::of_rates(59, 100, 75, 100)
                .unwrap()
                .within_four_fifths_band()
        );
        assert!(
            !Fraction::of_rates(76, 100, 60, 100)
                .unwrap()
                .within_four_fifths_band()
        );
        // The EEOC worked example: 48/80 vs 21/50 → 0.70, adverse impact.
        let ir = Fraction::of_rates(21, 50, 48, 80).unwrap();
        assert_eq!(ir.value(), 0.7);
        assert!(!ir.within_four_fifths_band());
    }

    /// Every two-group table with 1–40 entrants per group, in both
    /// directions, against the rational reference; and every table lying
    /// exactly on a boundary shows 0.8 or 1.25 and is inside.
    #[test]
    fn exhaustive_small_tables_match_the_rational_reference() {
        let mut on_boundary = 0;
        for n1 in 1..=40u64 {
            for n2 in 1..=40u64 {
                for a in 0..=n1 {
                    for c in 1..=n2 {
                        let f = Fraction::of_rates(a, n1, c, n2).unwrap();
                        let expected =
                            reference_in_band(a as i128, n1 as i128, c as i128, n2 as i128);
                        assert_eq!(
                            f.within_four_fifths_band(),
                            expected,
                            "{a}/{n1} vs {c}/{n2}"
                        );
                        let exact = 4 * a * n2 == 5 * n1 * c || 5 * a * n2 == 4 * n1 * c;
                        if exact {
                            on_boundary += 1;
                            assert!(
                                f.value() == 0.8 || f.value() == 1.25,
                                "{a}/{n1} vs {c}/{n2}"
                            );
                            assert!(expected);
                        }
                    }
                }
            }
        }
        assert!(on_boundary > 1000, "{on_boundary}");
    }

    #[test]
    fn two_percent_is_not_under_two_percent() {
        assert!(under_two_percent(1, 51));
        assert!(!under_two_percent(1, 50));
        assert!(!under_two_percent(2, 100));
        assert!(!under_two_percent(u64::MAX, u64::MAX));
    }

    #[test]
    fn decimals_are_read_as_written() {
        let f = Fraction::from_decimal(0.3).unwrap();
        assert_eq!((f.num, f.den), (3, 10));
        // 3 of 10 is exactly 0.3: a 30% minimum share is met.
        assert_eq!(Fraction::rate(3, 10).unwrap().compare(f), Ordering::Equal);
        assert_eq!(Fraction::rate(29, 100).unwrap().compare(f), Ordering::Less);
        assert!(Fraction::from_decimal(-0.1).is_none());
        assert!(Fraction::from_decimal(f64::NAN).is_none());
        assert_eq!(
            Fraction::from_decimal(1.0).map(|f| (f.num, f.den)),
            Some((1, 1))
        );
    }

    #[test]
    fn impact_ratios_divide_by_the_best_comparator() {
        // 48/80 and 21/50 (EEOC): 1.0 and 0.7.
        assert_eq!(
            impact_ratios(&[(48, 80, true), (21, 50, true)]),
            vec![Some(1.0), Some(0.7)]
        );
        // An excluded small group cannot be the comparator.
        assert_eq!(
            impact_ratios(&[(48, 80, true), (21, 50, true), (2, 2, false)]),
            vec![Some(1.0), Some(0.7), Some(160.0 / 96.0)]
        );
        assert_eq!(
            impact_ratios(&[(0, 5, true), (0, 0, true)]),
            vec![None, None]
        );
        // Huge counts do not overflow or panic.
        let big = u64::MAX;
        assert_eq!(
            impact_ratios(&[(big, big, true), (big / 2, big, true)])[0],
            Some(1.0)
        );
    }
}
