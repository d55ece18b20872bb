use super::*;
use crate::stats::tests::close;

fn hist(xs: &[f64]) -> Histogram {
    Histogram::new(xs.iter().map(|&x| (x, 1)))
}

const X: [f64; 10] = [3., 4., 4., 5., 6., 6., 6., 7., 8., 2.];
const Y: [f64; 11] = [5., 6., 7., 7., 8., 8., 9., 6., 7., 5., 4.];

#[test]
fn moments_and_median_from_a_histogram() {
    let h = hist(&X);
    let m = h.moments();
    assert_eq!(m.n, 10);
    close(m.mean().unwrap(), 5.1, 1e-14);
    close(m.sd().unwrap(), 1.8529256146249728, 1e-12);
    assert_eq!(h.median(), Some(5.5));
    assert_eq!(hist(&Y).median(), Some(7.0));
    assert_eq!(Histogram::default().median(), None);
    assert_eq!(h.count_above(5.5), 5);
}

/// scipy 1.17.1: mannwhitneyu(X, Y, method="asymptotic") gives
/// U = 30.5, p = 0.08661005844334255 (use_continuity=True).
#[test]
fn mann_whitney_matches_scipy_with_ties() {
    let r = mann_whitney(&hist(&X), &hist(&Y)).unwrap();
    close(r.u, 30.5, 1e-14);
    close(r.p, 0.08661005844334255, 1e-9);
    // The histogram form gives the same as row-by-row counts.
    let grouped = Histogram::new([
        (6.0, 3),
        (4.0, 2),
        (2.0, 1),
        (3.0, 1),
        (5.0, 1),
        (7.0, 1),
        (8.0, 1),
    ]);
    assert_eq!(mann_whitney(&grouped, &hist(&Y)).unwrap(), r);
    assert!(mann_whitney(&hist(&[5.0, 5.0]), &hist(&[5.0])).is_none());
}

/// scipy 1.17.1: ttest_ind(X, Y, equal_var=False) gives t =
/// −1.9491481421863124, p = 0.06757150794011894, df = 17.415239036357168.
#[test]
fn welch_matches_scipy() {
    let r = welch(&hist(&X).moments(), &hist(&Y).moments(), 0.95).unwrap();
    close(r.t, -1.9491481421863124, 1e-10);
    close(r.df, 17.415239036357168, 1e-10);
    close(r.p, 0.06757150794011894, 1e-8);
    assert!(r.low < r.difference && r.difference < r.high && r.high > 0.0);
}

/// Hedges' g of X against Y by the Hedges & Olkin formulas, computed
/// independently with numpy: g = −0.82596114409524, 95% CI
/// −1.7180187422311444 to 0.06609645404066422.
#[test]
fn hedges_g_worked_example() {
    let e = hedges_g(&hist(&X).moments(), &hist(&Y).moments(), 0.95).unwrap();
    close(e.g, -0.82596114409524, 1e-12);
    close(e.low, -1.7180187422311444, 1e-12);
    close(e.high, 0.06609645404066422, 1e-10);
}

/// scipy 1.17.1: false_discovery_control([0.01, 0.04, 0.03, 0.20, 0.002])
/// gives [0.025, 0.05, 0.05, 0.2, 0.01].
#[test]
fn benjamini_hochberg_matches_scipy() {
    let adj = benjamini_hochberg(&[0.01, 0.04, 0.03, 0.20, 0.002]);
    for (a, e) in adj.iter().zip([0.025, 0.05, 0.05, 0.2, 0.01]) {
        close(*a, e, 1e-12);
    }
    assert!(benjamini_hochberg(&[]).is_empty());
}

/// Weighted slope of gaps [−0.2, −0.35, −0.5, −0.8] over periods 0–3
/// with variances [0.01, 0.02, 0.015, 0.03], by hand with numpy:
/// slope −0.1815789473684211, SE 0.0581675050747111, p 0.0017983687575692773;
/// numpy.polyfit gives the OLS slope −0.195.
#[test]
fn slopes_worked_example() {
    let pts = [
        (0.0, -0.2, 0.01),
        (1.0, -0.35, 0.02),
        (2.0, -0.5, 0.015),
        (3.0, -0.8, 0.03),
    ];
    let s = weighted_slope(&pts, 0.95).unwrap();
    close(s.slope, -0.1815789473684211, 1e-12);
    close(s.se, 0.0581675050747111, 1e-12);
    close(s.p, 0.0017983687575692773, 1e-9);
    let ols = ols_slope(&pts.map(|p| (p.0, p.1))).unwrap();
    close(ols, -0.195, 1e-12);
    assert!(weighted_slope(&pts[..1], 0.95).is_none());
}

/// Shares [.1,.2,.3,.4] → [.15,.25,.3,.3]: Σ(a−e)ln(a/e) = 0.06019864021629681.
#[test]
fn population_stability_index_worked_example() {
    let e = Histogram::new([(1.0, 10), (2.0, 20), (3.0, 30), (4.0, 40)]);
    let a = Histogram::new([(1.0, 15), (2.0, 25), (3.0, 30), (4.0, 30)]);
    close(
        population_stability_index(&e, &a).unwrap(),
        0.06019864021629681,
        1e-12,
    );
    close(
        population_stability_index(&e, &e).unwrap() + 1.0,
        1.0,
        1e-15,
    );
}

/// The t quantile against its definition: Student's t CDF (statrs's, by
/// the incomplete beta function, not the inverse) at the quantile gives
/// back the probability, from 1,000 degrees of freedom (where the
/// expansion takes over) to 10^8, where statrs's own inverse is wrong
/// (1.827 at 10^7) or never returns (10^8). Figures of the CDF at these
/// quantiles: errors of 1e-15 to 2e-10 up to 10^6 degrees, then the CDF's
/// own (8e-9 at 10^7).
#[test]
fn t_quantiles_invert_the_cdf_at_any_size() {
    for confidence in [0.9, 0.95, 0.99] {
        let target = 1.0 - (1.0 - confidence) / 2.0;
        for df in [1000.0, 2500.0, 1e4, 1e5, 1e6, 1e7, 1e8] {
            let q = t_quantile(confidence, df);
            let cdf = StudentsT::new(0.0, 1.0, df).unwrap().cdf(q);
            // statrs's CDF itself loses digits past a million degrees
            // (its continued fraction): within 1e-9 up to there, 1e-8
            // beyond (statrs's inverse missed by 0.13 at 10^7).
            let tolerance = if df <= 1e6 { 1e-9 } else { 1e-8 };
            assert!(
                (cdf - target).abs() < tolerance,
                "df {df}: cdf {cdf} at {q}, wanted {target}"
            );
        }
        // Continuous where the expansion takes over.
        close(
            t_quantile(confidence, LARGE_DF - 1e-9),
            t_quantile(confidence, LARGE_DF),
            1e-10,
        );
        // Towards the normal quantile from above as df grows.
        let z = crate::stats::normal_quantile(confidence);
        assert!(t_quantile(confidence, 1e6) > z && t_quantile(confidence, 1e6) - z < 1e-5);
        // Past where the CDF can check it (2.5e-7 off at 10^10), the
        // normal quantile to within the first term, g1(z)/df < 1e-9.
        let far = t_quantile(confidence, 1e10);
        assert!(far > z && far - z < 1e-9, "{far} against {z}");
    }
    // scipy.stats.t.ppf(0.975, 1000) = 1.9623390808264078; t tables give
    // 1.962 at 1,000 degrees and 2.042 at 30.
    close(t_quantile(0.95, 1000.0), 1.9623390808264078, 1e-11);
    close(t_quantile(0.95, 30.0), 2.0422724563012373, 1e-11);
}

/// Two groups of tens of millions of application scores: Welch's degrees
/// of freedom run to the tens of millions, and the interval is the normal
/// one (it hung the audit of a 50M-application extract).
#[test]
fn welch_of_national_groups_returns_the_normal_interval() {
    let moments = |n: u64, mean: f64, sd: f64| Moments {
        n,
        sum: mean * n as f64,
        sum_sq: (sd * sd * (n as f64 - 1.0)) + mean * mean * n as f64,
    };
    let x = moments(30_000_000, 3.10, 1.1);
    let y = moments(90_000_000, 3.05, 1.0);
    let w = welch(&x, &y, 0.95).unwrap();
    assert!(w.df > 1e7, "df {}", w.df);
    let multiplier = (w.high - w.difference) / w.se;
    close(multiplier, 1.959963984540054, 1e-6);
}
