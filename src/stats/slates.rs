//! Statistics for small selections: the Wilson interval for a proportion,
//! and an exact test of whether fewer minority candidates were shortlisted
//! across many assignments than their longlists would give.

use statrs::distribution::{Binomial, Discrete, DiscreteCDF, Hypergeometric};

use super::normal_quantile;

/// Wilson score interval for `x` successes in `n` trials (Wilson 1927;
/// statsmodels' `proportion_confint(method="wilson")`). `None` when n = 0.
pub fn wilson(x: u64, n: u64, confidence: f64) -> Option<(f64, f64)> {
    if n == 0 {
        return None;
    }
    let (x, n) = (x as f64, n as f64);
    let z = normal_quantile(confidence);
    let p = x / n;
    let denominator = 1.0 + z * z / n;
    let centre = (p + z * z / (2.0 * n)) / denominator;
    let half = z / denominator * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt();
    Some(((centre - half).max(0.0), (centre + half).min(1.0)))
}

/// One assignment's draw: `shortlisted` of `longlisted`, of whom `focal`
/// are in the focal group.
#[derive(Debug, Clone, Copy)]
pub struct Draw {
    /// Candidates on the longlist.
    pub longlisted: u64,
    /// Of those, focal-group candidates.
    pub focal: u64,
    /// Candidates shortlisted.
    pub shortlisted: u64,
}

/// Expected focal candidates on the shortlists if each shortlist were drawn
/// at random from its longlist (Σ n·K/N), and P(total ≤ observed): the lower
/// tail of a sum of independent hypergeometric counts, computed exactly by
/// convolving their distributions.
pub fn shortlist_shortfall(draws: &[Draw], observed: u64) -> Option<(f64, f64)> {
    let mut dist = vec![1.0_f64];
    let mut expected = 0.0;
    for d in draws {
        if d.longlisted == 0 || d.shortlisted == 0 {
            continue;
        }
        let h = Hypergeometric::new(d.longlisted, d.focal, d.shortlisted).ok()?;
        expected += d.shortlisted as f64 * d.focal as f64 / d.longlisted as f64;
        let pmf: Vec<f64> = (0..=d.shortlisted).map(|x| h.pmf(x)).collect();
        let mut next = vec![0.0; dist.len() + pmf.len() - 1];
        for (i, a) in dist.iter().enumerate() {
            if *a == 0.0 {
                continue;
            }
            for (j, b) in pmf.iter().enumerate() {
                next[i + j] += a * b;
            }
        }
        dist = next;
    }
    let upto = (observed as usize).min(dist.len() - 1);
    let p: f64 = dist[..=upto].iter().sum();
    Some((expected, p.min(1.0)))
}

/// P(X ≤ x) for X ~ Binomial(n, p): the exact binomial test of "as few or
/// fewer than the benchmark share would give".
pub fn binomial_lower_tail(n: u64, p: f64, x: u64) -> Option<f64> {
    Binomial::new(p, n).ok().map(|b| b.cdf(x).min(1.0))
}

/// Expected count Σ nᵢpᵢ and P(total ≤ observed) for a sum of independent
/// binomials (one per assignment, each with its own benchmark share),
/// exactly, by convolving their distributions.
pub fn binomial_sum_lower_tail(draws: &[(u64, f64)], observed: u64) -> Option<(f64, f64)> {
    let mut dist = vec![1.0_f64];
    let mut expected = 0.0;
    for &(n, p) in draws {
        let b = Binomial::new(p, n).ok()?;
        expected += n as f64 * p;
        let pmf: Vec<f64> = (0..=n).map(|x| b.pmf(x)).collect();
        // Only the part up to `observed` matters for the lower tail.
        let len = (dist.len() + pmf.len() - 1).min(observed as usize + 1);
        let mut next = vec![0.0; len];
        for (i, a) in dist.iter().enumerate().take(len) {
            for (j, q) in pmf.iter().enumerate().take(len - i) {
                next[i + j] += a * q;
            }
        }
        dist = next;
    }
    Some((expected, dist.iter().sum::<f64>().min(1.0)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::tests::close;

    /// statsmodels 0.14: proportion_confint(7, 10, method="wilson") =
    /// (0.39677814746114537, 0.8922087325936989); (0, 4) → (0, 0.4898908364545974).
    #[test]
    fn wilson_matches_statsmodels() {
        let (l, h) = wilson(7, 10, 0.95).unwrap();
        close(l, 0.39677814746114537, 1e-9);
        close(h, 0.8922087325936989, 1e-9);
        let (l, h) = wilson(0, 4, 0.95).unwrap();
        assert!(l.abs() < 1e-15);
        close(h, 0.4898908364545974, 1e-9);
        assert!(wilson(0, 0, 0.95).is_none());
    }

    /// scipy: binom.cdf(3, 20, 0.3) = 0.10708680450373087; the sum of
    /// Binomial(20, .3), (15, .2), (30, .25): P(≤ 12) = 0.12442763385869535
    /// by convolving binom.pmf; expected 16.5.
    #[test]
    fn binomial_tails_match_scipy() {
        close(
            binomial_lower_tail(20, 0.3, 3).unwrap(),
            0.10708680450373087,
            1e-9,
        );
        let (e, p) = binomial_sum_lower_tail(&[(20, 0.3), (15, 0.2), (30, 0.25)], 12).unwrap();
        close(e, 16.5, 1e-12);
        close(p, 0.12442763385869535, 1e-9);
    }

    /// Three assignments (N, K, n) = (40, 10, 5), (25, 5, 4), (60, 20, 6):
    /// expected 4.05 focal shortlisted; P(total ≤ 2) = 0.16926420701961664
    /// by convolving scipy's hypergeom.pmf.
    #[test]
    fn shortfall_matches_scipy_convolution() {
        let draws = [
            Draw {
                longlisted: 40,
                focal: 10,
                shortlisted: 5,
            },
            Draw {
                longlisted: 25,
                focal: 5,
                shortlisted: 4,
            },
            Draw {
                longlisted: 60,
                focal: 20,
                shortlisted: 6,
            },
        ];
        let (e, p) = shortlist_shortfall(&draws, 2).unwrap();
        close(e, 4.05, 1e-12);
        close(p, 0.16926420701961664, 1e-9);
        let (_, all) = shortlist_shortfall(&draws, 15).unwrap();
        close(all, 1.0, 1e-12);
    }
}
