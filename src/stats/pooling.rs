//! Pooling 2×2 tables across strata (organisations, agencies, quarters…):
//! the Mantel-Haenszel risk ratio with the Greenland-Robins interval, the
//! Cochran-Mantel-Haenszel test, and the Breslow-Day test of homogeneity
//! with Tarone's correction. Plus the multiple-comparison adjustments a
//! report with many rows needs.
//!
//! A stratum is `(a, n1, c, n2)`: `a` of `n1` in the numerator group
//! progressed, `c` of `n2` in the denominator group.

use statrs::distribution::{ChiSquared, ContinuousCDF};
use statrs::function::erf::erfc;

use super::normal_quantile;

/// One stratum's counts.
pub type Stratum = (u64, u64, u64, u64);

/// A pooled risk ratio and its tests.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pooled {
    /// Mantel-Haenszel risk ratio.
    pub rr: f64,
    /// Lower limit (Greenland-Robins variance of ln RR).
    pub low: f64,
    /// Upper limit.
    pub high: f64,
    /// CMH χ² (1 df, no continuity correction).
    pub cmh: f64,
    /// Its p value.
    pub p_cmh: f64,
    /// Breslow-Day χ² with Tarone's correction (K − 1 df); `None` with one
    /// usable stratum.
    pub homogeneity: Option<f64>,
    /// Its p value.
    pub p_homogeneity: Option<f64>,
    /// Its degrees of freedom (strata with free margins, less one).
    pub homogeneity_df: Option<f64>,
    /// Mantel-Haenszel common odds ratio (odds of progressing in the
    /// numerator group over the denominator group); `None` when undefined.
    pub or: Option<f64>,
    /// Its Robins-Breslow-Greenland (1986) interval.
    pub or_low: Option<f64>,
    /// Upper limit.
    pub or_high: Option<f64>,
    /// Strata that entered the pooled estimate.
    pub strata_used: usize,
}

/// Whether a stratum can contribute: both groups have entrants.
pub fn usable(s: &Stratum) -> bool {
    s.1 > 0 && s.3 > 0
}

/// Mantel-Haenszel risk ratio of the usable strata, Greenland & Robins
/// (Biometrics 41, 1985) interval, CMH test without continuity correction
/// (as in employment cases), Breslow-Day homogeneity with Tarone's
/// correction (Tarone, Biometrika 72, 1985). `None` when the ratio is
/// undefined (no usable stratum, or nobody progressed in one group).
pub fn mantel_haenszel(strata: &[Stratum], confidence: f64) -> Option<Pooled> {
    let used: Vec<(f64, f64, f64, f64)> = strata
        .iter()
        .filter(|s| usable(s))
        .map(|&(a, n1, c, n2)| (a as f64, n1 as f64, c as f64, n2 as f64))
        .collect();
    if used.is_empty() {
        return None;
    }
    let (mut r, mut s, mut v_num) = (0.0, 0.0, 0.0);
    let (mut observed, mut expected, mut variance) = (0.0, 0.0, 0.0);
    for &(a, n1, c, n2) in &used {
        let n = n1 + n2;
        r += a * n2 / n;
        s += c * n1 / n;
        v_num += (n1 * n2 * (a + c) - a * c * n) / (n * n);
        let m1 = a + c;
        let m2 = n - m1;
        observed += a;
        expected += n1 * m1 / n;
        if n > 1.0 {
            variance += n1 * n2 * m1 * m2 / (n * n * (n - 1.0));
        }
    }
    if r <= 0.0 || s <= 0.0 {
        return None;
    }
    let rr = r / s;
    let se = (v_num / (r * s)).sqrt();
    let z = normal_quantile(confidence);
    let (cmh, p_cmh) = if variance > 0.0 {
        let chi = (observed - expected).powi(2) / variance;
        (chi, erfc((chi / 2.0).sqrt()))
    } else {
        (0.0, 1.0)
    };
    let (homogeneity, p_homogeneity, homogeneity_df) = match breslow_day_tarone(&used) {
        Some((chi, df)) => {
            let p = ChiSquared::new(df).map(|d| d.sf(chi)).unwrap_or(f64::NAN);
            (Some(chi), Some(p).filter(|p| p.is_finite()), Some(df))
        }
        None => (None, None, None),
    };
    let odds = mh_odds_ratio(&used, z);
    Some(Pooled {
        rr,
        low: (rr.ln() - z * se).exp(),
        high: (rr.ln() + z * se).exp(),
        cmh,
        p_cmh,
        homogeneity,
        p_homogeneity,
        homogeneity_df,
        or: odds.map(|o| o.0),
        or_low: odds.map(|o| o.1),
        or_high: odds.map(|o| o.2),
        strata_used: used.len(),
    })
}

/// The Mantel-Haenszel common odds ratio with the Robins, Breslow &
/// Greenland (Biometrics 42, 1986) variance of its log:
/// `ΣPR/(2(ΣR)²) + Σ(PS+QR)/(2ΣRΣS) + ΣQS/(2(ΣS)²)`, with `R = ad/n`,
/// `S = bc/n`, `P = (a+d)/n`, `Q = (b+c)/n`. `None` when ΣR or ΣS is 0.
fn mh_odds_ratio(strata: &[(f64, f64, f64, f64)], z: f64) -> Option<(f64, f64, f64)> {
    let (mut sr, mut ss, mut spr, mut sps_qr, mut sqs) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for &(a, n1, c, n2) in strata {
        let (b, d, n) = (n1 - a, n2 - c, n1 + n2);
        let (r, s) = (a * d / n, b * c / n);
        let (p, q) = ((a + d) / n, (b + c) / n);
        sr += r;
        ss += s;
        spr += p * r;
        sps_qr += p * s + q * r;
        sqs += q * s;
    }
    if sr <= 0.0 || ss <= 0.0 {
        return None;
    }
    let or = sr / ss;
    let var = spr / (2.0 * sr * sr) + sps_qr / (2.0 * sr * ss) + sqs / (2.0 * ss * ss);
    let se = var.sqrt();
    Some((or, (or.ln() - z * se).exp(), (or.ln() + z * se).exp()))
}

/// Breslow-Day statistic with Tarone's correction and its degrees of
/// freedom, on the Mantel-Haenszel common odds ratio. Strata whose margins
/// leave nothing free (everyone or no one progressed) are left out.
fn breslow_day_tarone(strata: &[(f64, f64, f64, f64)]) -> Option<(f64, f64)> {
    let (mut num, mut den) = (0.0, 0.0);
    for &(a, n1, c, n2) in strata {
        let n = n1 + n2;
        num += a * (n2 - c) / n;
        den += (n1 - a) * c / n;
    }
    if num <= 0.0 || den <= 0.0 {
        return None;
    }
    let or = num / den;
    let (mut chi, mut sum_a, mut sum_e, mut sum_v, mut k) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for &(a, n1, c, n2) in strata {
        let m1 = a + c;
        let lo = (m1 - n2).max(0.0);
        let hi = n1.min(m1);
        if hi <= lo {
            continue;
        }
        // Expected a under the common odds ratio: the root in [lo, hi] of
        // (1 − OR) A² + (n2 − m1 + OR (n1 + m1)) A − OR n1 m1 = 0.
        let qa = 1.0 - or;
        let qb = n2 - m1 + or * (n1 + m1);
        let qc = -or * n1 * m1;
        let e = if qa.abs() < 1e-12 {
            -qc / qb
        } else {
            let disc = (qb * qb - 4.0 * qa * qc).max(0.0).sqrt();
            let r1 = (-qb + disc) / (2.0 * qa);
            let r2 = (-qb - disc) / (2.0 * qa);
            if (lo - 1e-9..=hi + 1e-9).contains(&r1) {
                r1
            } else {
                r2
            }
        };
        let v = 1.0 / (1.0 / e + 1.0 / (n1 - e) + 1.0 / (m1 - e) + 1.0 / (n2 - m1 + e));
        if !(v.is_finite() && v > 0.0) {
            continue;
        }
        chi += (a - e).powi(2) / v;
        sum_a += a;
        sum_e += e;
        sum_v += v;
        k += 1.0;
    }
    if k < 2.0 {
        return None;
    }
    let tarone = (sum_a - sum_e).powi(2) / sum_v;
    Some((chi - tarone, k - 1.0))
}

#[cfg(test)]
mod stratified_tests {
    use super::*;
    use crate::stats::tests::close;

    /// Checked against statsmodels 0.15 `StratifiedTable` (computed here
    /// with `oddsratio_pooled`, `oddsratio_pooled_confint(alpha=0.05)`,
    /// `test_null_odds(correction=False)`, `test_equal_odds(adjust=True)`
    /// and `riskratio_pooled`): three organisations, and the kidney-stone
    /// table of Charig et al. (BMJ 1986), the textbook case of Simpson's
    /// paradox (treatment A 81/87 and 192/263, B 234/270 and 55/80).
    #[test]
    fn stratified_statistics_match_statsmodels() {
        let cases: [(&[Stratum], [f64; 8]); 2] = [
            (
                &[(30, 120, 9, 80), (20, 60, 7, 45), (15, 90, 10, 70)],
                [
                    2.061798632496477,
                    1.251718419825597,
                    3.3961420824634345,
                    8.258053079786066,
                    0.004057161591354164,
                    2.1741931389624933,
                    0.33719409344517115,
                    1.8059187069170428,
                ],
            ),
            (
                &[(81, 87, 234, 270), (192, 263, 55, 80)],
                [
                    1.44684662494262,
                    0.9157934135040253,
                    2.2858486698415734,
                    2.433855515576142,
                    0.11874052970979887,
                    0.9656297779171603,
                    0.32577252341340524,
                    1.0690001538676979,
                ],
            ),
        ];
        for (strata, [or, lo, hi, cmh, p_cmh, bd, p_bd, rr]) in cases {
            let p = mantel_haenszel(strata, 0.95).unwrap();
            close(p.or.unwrap(), or, 1e-9);
            close(p.or_low.unwrap(), lo, 1e-6);
            close(p.or_high.unwrap(), hi, 1e-6);
            close(p.cmh, cmh, 1e-9);
            close(p.p_cmh, p_cmh, 1e-7);
            close(p.homogeneity.unwrap(), bd, 1e-7);
            close(p.p_homogeneity.unwrap(), p_bd, 1e-7);
            assert_eq!(p.homogeneity_df, Some(strata.len() as f64 - 1.0));
            close(p.rr, rr, 1e-9);
        }
    }

    /// A common odds ratio of exactly 1 (where statsmodels' Breslow-Day
    /// divides by zero): worked by hand, each unequal stratum is 36 from
    /// its expected count (e = 25, v = 6.25), the balanced one 0, Tarone's
    /// term 0: χ² = 72 on 2 df, p = e^(−36).
    #[test]
    fn breslow_day_at_an_odds_ratio_of_one() {
        let p = mantel_haenszel(
            &[(40, 50, 10, 50), (10, 50, 40, 50), (25, 50, 25, 50)],
            0.95,
        )
        .unwrap();
        close(p.or.unwrap(), 1.0, 1e-12);
        close(p.homogeneity.unwrap(), 72.0, 1e-9);
        close(p.p_homogeneity.unwrap(), (-36f64).exp(), 1e-6);
        assert_eq!(p.homogeneity_df, Some(2.0));
        assert_eq!(p.cmh, 0.0);
    }
}

/// How p values are adjusted for the number of comparisons in a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Adjust {
    /// Benjamini-Hochberg false discovery rate.
    Bh,
    /// Holm's step-down family-wise error rate.
    Holm,
    /// No adjustment.
    None,
}

impl Adjust {
    /// The method's name for readers.
    pub fn describe(self) -> &'static str {
        match self {
            Adjust::Bh => "Benjamini-Hochberg",
            Adjust::Holm => "Holm",
            Adjust::None => "not adjusted",
        }
    }
}

/// Adjusted p values, in the input's order.
pub fn adjust(ps: &[f64], method: Adjust) -> Vec<f64> {
    match method {
        Adjust::Bh => super::scores::benjamini_hochberg(ps),
        Adjust::Holm => holm(ps),
        Adjust::None => ps.to_vec(),
    }
}

/// Holm's step-down adjustment: the i-th smallest p times (m − i + 1),
/// made monotone upwards, capped at 1 (Holm, Scand. J. Statist. 6, 1979).
pub fn holm(ps: &[f64]) -> Vec<f64> {
    let m = ps.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| ps[a].total_cmp(&ps[b]));
    let mut out = vec![0.0; m];
    let mut running = 0.0_f64;
    for (rank, &i) in order.iter().enumerate() {
        running = running.max((ps[i] * (m - rank) as f64).min(1.0));
        out[i] = running;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::tests::close;

    /// Three strata cross-checked with statsmodels 0.14 StratifiedTable
    /// (riskratio_pooled, test_null_odds(correction=False),
    /// test_equal_odds(adjust=True)); the Greenland-Robins interval by its
    /// formula in Python.
    #[test]
    fn mantel_haenszel_matches_statsmodels() {
        let strata = [(30, 100, 20, 100), (15, 40, 30, 120), (8, 60, 4, 50)];
        let p = mantel_haenszel(&strata, 0.95).unwrap();
        close(p.rr, 1.5184757505773674, 1e-12);
        close(p.low, 1.079685047690589, 1e-10);
        close(p.high, 2.1355937178378666, 1e-10);
        close(p.cmh, 5.7216860381857835, 1e-10);
        close(p.p_cmh, 0.016756632058203325, 1e-9);
        close(p.homogeneity.unwrap(), 0.009364097076883338, 1e-6);
        close(p.p_homogeneity.unwrap(), 0.9953288951645052, 1e-9);
        assert_eq!(p.strata_used, 3);
    }

    #[test]
    fn strata_without_entrants_are_dropped() {
        let with_empty = [
            (30, 100, 20, 100),
            (0, 0, 5, 10),
            (15, 40, 30, 120),
            (8, 60, 4, 50),
        ];
        let p = mantel_haenszel(&with_empty, 0.95).unwrap();
        close(p.rr, 1.5184757505773674, 1e-12);
        assert_eq!(p.strata_used, 3);
        assert!(mantel_haenszel(&[(0, 0, 1, 2)], 0.95).is_none());
        assert!(mantel_haenszel(&[(0, 5, 0, 5)], 0.95).is_none());
    }

    /// statsmodels' multipletests([0.01, 0.04, 0.03, 0.20, 0.002],
    /// method="holm") gives [0.04, 0.09, 0.09, 0.2, 0.01].
    #[test]
    fn holm_adjustment() {
        let adj = holm(&[0.01, 0.04, 0.03, 0.20, 0.002]);
        for (a, e) in adj.iter().zip([0.04, 0.09, 0.09, 0.2, 0.01]) {
            close(*a, e, 1e-12);
        }
        assert_eq!(adjust(&[0.3], Adjust::None), vec![0.3]);
    }
}
