//! Statistics on score distributions, from sufficient statistics only.
//!
//! Interview scores sit on short scales (1–5, 1–10, strong_no…strong_yes), so
//! the counting pass hands over a *histogram*: each distinct score value with
//! how many times it occurs. From a histogram everything here is exact, not
//! approximated: the mean and variance are sums over values, the median is
//! read off the cumulative counts, and Mann-Whitney's rank sum uses each
//! value's mid-rank (the average rank its tied block occupies), which is what
//! a rank computed row by row would give.
//!
//! Where only sums are available (assessor differentials), [`Moments`] carries
//! n, Σx and Σx².

use statrs::distribution::{ContinuousCDF, StudentsT};
use statrs::function::erf::erfc;

use super::normal_quantile;

/// Counts per distinct value, sorted by value.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Histogram {
    bins: Vec<(f64, u64)>,
}

impl Histogram {
    /// A histogram from (value, count) pairs in any order; repeated values
    /// are merged, zero counts dropped. Values must be finite.
    pub fn new(pairs: impl IntoIterator<Item = (f64, u64)>) -> Histogram {
        let mut bins: Vec<(f64, u64)> = pairs.into_iter().filter(|p| p.1 > 0).collect();
        bins.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut merged: Vec<(f64, u64)> = Vec::with_capacity(bins.len());
        for (v, n) in bins {
            match merged.last_mut() {
                Some(last) if last.0 == v => last.1 += n,
                _ => merged.push((v, n)),
            }
        }
        Histogram { bins: merged }
    }

    /// The (value, count) pairs, by value.
    pub fn bins(&self) -> &[(f64, u64)] {
        &self.bins
    }

    /// Adds another histogram's counts.
    pub fn merge(&self, other: &Histogram) -> Histogram {
        Histogram::new(self.bins.iter().chain(other.bins.iter()).copied())
    }

    /// Number of observations.
    pub fn n(&self) -> u64 {
        self.bins.iter().map(|b| b.1).sum()
    }

    /// Count, mean and sample variance.
    pub fn moments(&self) -> Moments {
        let n = self.n();
        let mut m = Moments::default();
        if n == 0 {
            return m;
        }
        let mean = self.bins.iter().map(|(v, c)| v * *c as f64).sum::<f64>() / n as f64;
        // Centred sums: exact to rounding, with no cancellation.
        let ss: f64 = self
            .bins
            .iter()
            .map(|(v, c)| (v - mean) * (v - mean) * *c as f64)
            .sum();
        m.n = n;
        m.sum = mean * n as f64;
        m.sum_sq = ss + n as f64 * mean * mean;
        m
    }

    /// The median: the middle value, or the mean of the two middle values
    /// when n is even. `None` when empty.
    pub fn median(&self) -> Option<f64> {
        let n = self.n();
        if n == 0 {
            return None;
        }
        // 0-based positions of the middle observation(s).
        let lo = (n - 1) / 2;
        let hi = n / 2;
        Some((self.value_at(lo) + self.value_at(hi)) / 2.0)
    }

    fn value_at(&self, position: u64) -> f64 {
        let mut seen = 0;
        for (v, c) in &self.bins {
            seen += c;
            if position < seen {
                return *v;
            }
        }
        self.bins.last().map_or(f64::NAN, |b| b.0)
    }

    /// How many observations are strictly above `threshold`.
    pub fn count_above(&self, threshold: f64) -> u64 {
        self.bins
            .iter()
            .filter(|b| b.0 > threshold)
            .map(|b| b.1)
            .sum()
    }

    /// Share of observations in each of the given values' bins (0 where the
    /// value does not occur).
    fn shares(&self, values: &[f64]) -> Vec<f64> {
        let n = self.n() as f64;
        values
            .iter()
            .map(|v| {
                self.bins
                    .iter()
                    .find(|b| b.0 == *v)
                    .map_or(0.0, |b| b.1 as f64 / n)
            })
            .collect()
    }
}

/// n, Σx and Σx² of a sample.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Moments {
    /// Number of observations.
    pub n: u64,
    /// Sum of the observations.
    pub sum: f64,
    /// Sum of their squares.
    pub sum_sq: f64,
}

impl Moments {
    /// Adds one observation.
    pub fn add(&mut self, x: f64) {
        self.n += 1;
        self.sum += x;
        self.sum_sq += x * x;
    }

    /// Combines two samples.
    pub fn merge(self, other: Moments) -> Moments {
        Moments {
            n: self.n + other.n,
            sum: self.sum + other.sum,
            sum_sq: self.sum_sq + other.sum_sq,
        }
    }

    /// The mean; `None` when empty.
    pub fn mean(&self) -> Option<f64> {
        (self.n > 0).then(|| self.sum / self.n as f64)
    }

    /// The sample variance (n − 1 denominator); `None` below two observations.
    pub fn variance(&self) -> Option<f64> {
        if self.n < 2 {
            return None;
        }
        let n = self.n as f64;
        let mean = self.sum / n;
        Some(((self.sum_sq - n * mean * mean) / (n - 1.0)).max(0.0))
    }

    /// The sample standard deviation.
    pub fn sd(&self) -> Option<f64> {
        self.variance().map(f64::sqrt)
    }
}

/// A standardised mean difference with its interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EffectSize {
    /// Hedges' g: focal − reference, in pooled standard deviations,
    /// corrected for small-sample bias.
    pub g: f64,
    /// Lower limit.
    pub low: f64,
    /// Upper limit.
    pub high: f64,
}

/// Hedges' g of `focal` against `reference` (focal − reference) with its
/// normal-approximation interval (Hedges & Olkin 1985):
/// d = (m_f − m_r) / s_pooled, g = J·d with J = 1 − 3 / (4(n_f + n_r) − 9),
/// SE(g) = sqrt((n_f + n_r)/(n_f n_r) + g² / (2(n_f + n_r))).
/// `None` when a group has fewer than two scores or both have no spread.
pub fn hedges_g(focal: &Moments, reference: &Moments, confidence: f64) -> Option<EffectSize> {
    let (vf, vr) = (focal.variance()?, reference.variance()?);
    let (nf, nr) = (focal.n as f64, reference.n as f64);
    let pooled = (((nf - 1.0) * vf + (nr - 1.0) * vr) / (nf + nr - 2.0)).sqrt();
    if pooled <= 0.0 {
        return None;
    }
    let d = (focal.mean()? - reference.mean()?) / pooled;
    let j = 1.0 - 3.0 / (4.0 * (nf + nr) - 9.0);
    let g = j * d;
    let se = ((nf + nr) / (nf * nr) + g * g / (2.0 * (nf + nr))).sqrt();
    let z = normal_quantile(confidence);
    Some(EffectSize {
        g,
        low: g - z * se,
        high: g + z * se,
    })
}

/// Mann-Whitney U test from two histograms.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MannWhitney {
    /// U of the first sample: its rank sum minus n₁(n₁+1)/2.
    pub u: f64,
    /// Standardised statistic, with continuity correction.
    pub z: f64,
    /// Two-sided p value.
    pub p: f64,
}

/// Two-sided Mann-Whitney U test of `x` against `y` by the normal
/// approximation, with the tie correction of the variance and a continuity
/// correction of 0.5 (as scipy's `mannwhitneyu(x, y, method="asymptotic")`
/// with its default `use_continuity=True`). Ranks are mid-ranks of each tied
/// block, read off the merged histogram. `None` when a sample is empty or
/// every observation is tied.
pub fn mann_whitney(x: &Histogram, y: &Histogram) -> Option<MannWhitney> {
    let (n1, n2) = (x.n() as f64, y.n() as f64);
    if n1 == 0.0 || n2 == 0.0 {
        return None;
    }
    let both = x.merge(y);
    let n = n1 + n2;
    let mut rank_sum_x = 0.0;
    let mut ties = 0.0;
    let mut below = 0.0;
    for &(value, count) in both.bins() {
        let t = count as f64;
        let mid_rank = below + (t + 1.0) / 2.0;
        let in_x = x
            .bins()
            .iter()
            .find(|b| b.0 == value)
            .map_or(0.0, |b| b.1 as f64);
        rank_sum_x += in_x * mid_rank;
        ties += t * t * t - t;
        below += t;
    }
    let u = rank_sum_x - n1 * (n1 + 1.0) / 2.0;
    let mean = n1 * n2 / 2.0;
    let variance = n1 * n2 / 12.0 * ((n + 1.0) - ties / (n * (n - 1.0)));
    if variance <= 0.0 {
        return None;
    }
    let z = ((u - mean).abs() - 0.5) / variance.sqrt();
    let p = erfc(z / std::f64::consts::SQRT_2).min(1.0);
    Some(MannWhitney { u, z, p })
}

/// Welch's unequal-variances t-test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Welch {
    /// Mean of x minus mean of y.
    pub difference: f64,
    /// Standard error of the difference.
    pub se: f64,
    /// Welch-Satterthwaite degrees of freedom.
    pub df: f64,
    /// The t statistic.
    pub t: f64,
    /// Two-sided p value.
    pub p: f64,
    /// Interval for the difference at the requested confidence.
    pub low: f64,
    /// Upper limit.
    pub high: f64,
}

/// Welch's t-test of x against y from their moments (scipy's
/// `ttest_ind(x, y, equal_var=False)`). `None` below two observations per
/// group or when both variances are zero.
pub fn welch(x: &Moments, y: &Moments, confidence: f64) -> Option<Welch> {
    let (vx, vy) = (x.variance()?, y.variance()?);
    let (nx, ny) = (x.n as f64, y.n as f64);
    let (ax, ay) = (vx / nx, vy / ny);
    let se2 = ax + ay;
    if se2 <= 0.0 {
        return None;
    }
    let se = se2.sqrt();
    let df = se2 * se2 / (ax * ax / (nx - 1.0) + ay * ay / (ny - 1.0));
    let difference = x.mean()? - y.mean()?;
    let t = difference / se;
    let dist = StudentsT::new(0.0, 1.0, df).ok()?;
    let p = (2.0 * dist.cdf(-t.abs())).min(1.0);
    let q = t_quantile(confidence, df);
    Some(Welch {
        difference,
        se,
        df,
        t,
        p,
        low: difference - q * se,
        high: difference + q * se,
    })
}

/// Degrees of freedom from which [`t_quantile`] uses its expansion.
const LARGE_DF: f64 = 1000.0;

/// The two-sided `confidence` quantile of Student's t with `df` degrees of
/// freedom (2.0423 for 95% at 30). Below 1,000 degrees statrs's inverse;
/// from there the Cornish-Fisher expansion in 1/df about the normal
/// quantile z (Abramowitz & Stegun 26.7.5, four terms: off by under 1e-11
/// at 1,000 and less above). statrs's inverse drifts at national sizes
/// (1.95985 instead of 1.95997 at a million degrees, 1.827 at ten
/// million) and at a hundred million never returns, and a Welch test of
/// two large groups has degrees of freedom in the millions.
pub fn t_quantile(confidence: f64, df: f64) -> f64 {
    if df < LARGE_DF {
        let dist = StudentsT::new(0.0, 1.0, df).expect("positive degrees of freedom");
        return dist.inverse_cdf(1.0 - (1.0 - confidence) / 2.0);
    }
    let z = normal_quantile(confidence);
    let (z2, v) = (z * z, 1.0 / df);
    let g1 = (z2 + 1.0) * z / 4.0;
    let g2 = ((5.0 * z2 + 16.0) * z2 + 3.0) * z / 96.0;
    let g3 = (((3.0 * z2 + 19.0) * z2 + 17.0) * z2 - 15.0) * z / 384.0;
    let g4 = ((((79.0 * z2 + 776.0) * z2 + 1482.0) * z2 - 1920.0) * z2 - 945.0) * z / 92160.0;
    z + v * (g1 + v * (g2 + v * (g3 + v * g4)))
}

/// Benjamini-Hochberg adjusted p values (false discovery rate), in the
/// input's order: p_(i) · m / i, made monotone from the largest down,
/// capped at 1 (scipy's `false_discovery_control(ps, method="bh")`).
pub fn benjamini_hochberg(ps: &[f64]) -> Vec<f64> {
    let m = ps.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| ps[a].total_cmp(&ps[b]));
    let mut adjusted = vec![0.0; m];
    let mut running = 1.0_f64;
    for (rank, &i) in order.iter().enumerate().rev() {
        running = running.min(ps[i] * m as f64 / (rank + 1) as f64);
        adjusted[i] = running.min(1.0);
    }
    adjusted
}

/// A trend line's slope with its interval and test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Slope {
    /// Change per unit of x.
    pub slope: f64,
    /// Its standard error.
    pub se: f64,
    /// Lower limit.
    pub low: f64,
    /// Upper limit.
    pub high: f64,
    /// Two-sided p value of slope = 0.
    pub p: f64,
}

/// Inverse-variance weighted least-squares slope of y on x, treating each
/// point's variance as known (as in meta-regression): weights w = 1/var,
/// slope = Σw(x−x̄)(y−ȳ) / Σw(x−x̄)², SE = 1/sqrt(Σw(x−x̄)²), normal
/// interval and p. `None` with fewer than two usable points or no spread in x.
pub fn weighted_slope(points: &[(f64, f64, f64)], confidence: f64) -> Option<Slope> {
    let usable: Vec<(f64, f64, f64)> = points
        .iter()
        .copied()
        .filter(|p| p.2 > 0.0 && p.2.is_finite())
        .map(|(x, y, v)| (x, y, 1.0 / v))
        .collect();
    if usable.len() < 2 {
        return None;
    }
    let sw: f64 = usable.iter().map(|p| p.2).sum();
    let xbar = usable.iter().map(|p| p.2 * p.0).sum::<f64>() / sw;
    let ybar = usable.iter().map(|p| p.2 * p.1).sum::<f64>() / sw;
    let sxx: f64 = usable.iter().map(|p| p.2 * (p.0 - xbar).powi(2)).sum();
    if sxx <= 0.0 {
        return None;
    }
    let sxy: f64 = usable
        .iter()
        .map(|p| p.2 * (p.0 - xbar) * (p.1 - ybar))
        .sum();
    let slope = sxy / sxx;
    let se = (1.0 / sxx).sqrt();
    let z = normal_quantile(confidence);
    let p = erfc((slope / se).abs() / std::f64::consts::SQRT_2);
    Some(Slope {
        slope,
        se,
        low: slope - z * se,
        high: slope + z * se,
        p,
    })
}

/// Ordinary least-squares slope of y on x; `None` with fewer than two
/// points or no spread in x.
pub fn ols_slope(points: &[(f64, f64)]) -> Option<f64> {
    if points.len() < 2 {
        return None;
    }
    let n = points.len() as f64;
    let xbar = points.iter().map(|p| p.0).sum::<f64>() / n;
    let ybar = points.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = points.iter().map(|p| (p.0 - xbar).powi(2)).sum();
    (sxx > 0.0).then(|| {
        points
            .iter()
            .map(|p| (p.0 - xbar) * (p.1 - ybar))
            .sum::<f64>()
            / sxx
    })
}

/// Smallest share a bin is given in the population stability index, so a
/// value absent from one period does not make the index infinite.
pub const PSI_FLOOR: f64 = 1e-4;

/// Population stability index of `actual` against `expected`:
/// Σ (a − e) · ln(a / e) over the score values of either, with shares
/// floored at [`PSI_FLOOR`]. Conventional reading: below 0.1 stable,
/// 0.1–0.25 some shift, above 0.25 a large shift. `None` if either is empty.
pub fn population_stability_index(expected: &Histogram, actual: &Histogram) -> Option<f64> {
    if expected.n() == 0 || actual.n() == 0 {
        return None;
    }
    let values: Vec<f64> = expected.merge(actual).bins().iter().map(|b| b.0).collect();
    let e = expected.shares(&values);
    let a = actual.shares(&values);
    Some(
        e.iter()
            .zip(&a)
            .map(|(&e, &a)| {
                let (e, a) = (e.max(PSI_FLOOR), a.max(PSI_FLOOR));
                (a - e) * (a / e).ln()
            })
            .sum(),
    )
}

/// Two-sided p of a normal z statistic.
pub fn normal_p(z: f64) -> f64 {
    erfc(z.abs() / std::f64::consts::SQRT_2)
}

#[cfg(test)]
mod tests;
