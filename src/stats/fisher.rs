//! Fisher's exact test for a 2×2 table, two-sided, in log space.
//!
//! The two-sided p value is the sum of the probabilities of every table with
//! the same margins that is no more likely than the observed one (the
//! definition R's `fisher.test` and scipy's `fisher_exact` use, with the same
//! relative tolerance of 1e-7 for ties). Probabilities are handled as logs
//! relative to the most likely table, and neighbouring tables are reached by
//! the hypergeometric recurrence, so nothing overflows with hundreds of
//! thousands of applicants per cell and the work is proportional to the
//! spread of the distribution, not to the number of applicants.

use statrs::function::gamma::ln_gamma;

/// Two-sided Fisher exact p for the table `[[a, b], [c, d]]`. Counts are
/// at most 2^40 in all (counts files are held to that), so the margins
/// cannot overflow; a larger table saturates rather than panics.
pub fn fisher_exact_two_sided(a: u64, b: u64, c: u64, d: u64) -> f64 {
    let row1 = a.saturating_add(b);
    let col1 = a.saturating_add(c);
    let total = row1.saturating_add(c).saturating_add(d);
    if total == 0 {
        return 1.0;
    }
    let low = (row1 + col1).saturating_sub(total);
    let high = row1.min(col1);
    if low == high {
        return 1.0;
    }
    // log P(X = x + 1) - log P(X = x) for X ~ Hypergeometric(total, col1, row1).
    let step_up = |x: u64| -> f64 {
        let num = ((col1 - x) as f64) * ((row1 - x) as f64);
        let den = ((x + 1) as f64) * ((total + x + 1 - col1 - row1) as f64);
        (num / den).ln()
    };
    let mode = (((row1 + 1) as f64 * (col1 + 1) as f64 / (total + 2) as f64).floor() as u64)
        .clamp(low, high);

    // Log probability of the observed table relative to the mode: by the
    // recurrence when it is near (exact), by log-gamma when it is millions
    // of tables away (the p value is then far below anything shown).
    let mut log_observed = 0.0;
    if a.abs_diff(mode) > 10_000_000 {
        let ln_p = |x: u64| -> f64 {
            -ln_gamma(x as f64 + 1.0)
                - ln_gamma((row1 - x) as f64 + 1.0)
                - ln_gamma((col1 - x) as f64 + 1.0)
                - ln_gamma((total + x - row1 - col1) as f64 + 1.0)
        };
        log_observed = ln_p(a) - ln_p(mode);
    } else if a > mode {
        for x in mode..a {
            log_observed += step_up(x);
        }
    } else {
        for x in a..mode {
            log_observed -= step_up(x);
        }
    }
    // The p value is at most the observed table's probability times the
    // number of tables (under 2^41): below e^-800 it is 0 in double
    // precision, and summing the tail would take as long as the table is big.
    if log_observed < -800.0 {
        return 0.0;
    }
    // Terms are largest at the mode and fall away monotonically on both
    // sides, so once a term is this far below the observed one (and the
    // mode) nothing further can change the sums at double precision.
    let cutoff = log_observed.min(0.0) - 60.0;
    let tie = log_observed + 1e-7_f64.ln_1p();

    // `total` is scaled by the mode's probability; `tail` by the observed one's.
    let mut total_scaled = 0.0;
    let mut tail_scaled = 0.0;
    let mut add = |log_term: f64| {
        total_scaled += log_term.exp();
        if log_term <= tie {
            tail_scaled += (log_term - log_observed).exp();
        }
    };
    let mut log_term = 0.0;
    let mut x = mode;
    loop {
        add(log_term);
        if x == high || log_term < cutoff {
            break;
        }
        log_term += step_up(x);
        x += 1;
    }
    log_term = 0.0;
    x = mode;
    while x > low {
        log_term -= step_up(x - 1);
        x -= 1;
        add(log_term);
        if log_term < cutoff {
            break;
        }
    }
    let log_p = log_observed + tail_scaled.ln() - total_scaled.ln();
    log_p.exp().min(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::tests::close;

    /// Fisher's lady tasting tea (Fisher 1935; R `fisher.test` help page):
    /// [[3,1],[1,3]] gives p = 0.4857143.
    #[test]
    fn tea_tasting() {
        close(fisher_exact_two_sided(3, 1, 1, 3), 0.4857143, 1e-6);
    }

    /// [[1,9],[11,3]]: the example in scipy.stats.fisher_exact's
    /// documentation and Wikipedia's "Fisher's exact test", p = 0.0027595.
    #[test]
    fn dieting_example() {
        close(fisher_exact_two_sided(1, 9, 11, 3), 0.0027595, 1e-4);
    }

    #[test]
    fn symmetric_under_transposition_and_row_swap() {
        let p = fisher_exact_two_sided(7, 12, 2, 19);
        close(fisher_exact_two_sided(7, 2, 12, 19), p, 1e-12);
        close(fisher_exact_two_sided(2, 19, 7, 12), p, 1e-12);
    }

    /// A table with a trillion applicants far from its mode finishes at
    /// once (log-gamma for the distance) and gives a vanishing p; near its
    /// mode it matches the symmetric case.
    #[test]
    fn huge_tables_finish() {
        let n = 1u64 << 39;
        assert!(fisher_exact_two_sided(0, n, n, 0) < 1e-300);
        close(
            fisher_exact_two_sided(n / 2, n / 2, n / 2, n / 2),
            1.0,
            1e-9,
        );
    }

    #[test]
    fn degenerate_tables() {
        assert_eq!(fisher_exact_two_sided(0, 0, 0, 0), 1.0);
        assert_eq!(fisher_exact_two_sided(5, 0, 7, 0), 1.0);
        assert_eq!(fisher_exact_two_sided(0, 5, 0, 7), 1.0);
        close(fisher_exact_two_sided(5, 5, 5, 5), 1.0, 1e-12);
    }

    /// Independent check: direct summation of every table's probability from
    /// log-factorials (the textbook definition), on tables small enough for
    /// that to be exact.
    #[test]
    fn agrees_with_direct_summation() {
        fn ln_fact(n: u64) -> f64 {
            (1..=n).map(|k| (k as f64).ln()).sum()
        }
        fn brute(a: u64, b: u64, c: u64, d: u64) -> f64 {
            let (r1, r2, c1, n) = (a + b, c + d, a + c, a + b + c + d);
            let c2 = b + d;
            let lp = |x: u64| {
                ln_fact(r1) + ln_fact(r2) + ln_fact(c1) + ln_fact(c2)
                    - ln_fact(n)
                    - ln_fact(x)
                    - ln_fact(r1 - x)
                    - ln_fact(c1 - x)
                    - ln_fact(r2 + x - c1)
            };
            let lo = (r1 + c1).saturating_sub(n);
            let hi = r1.min(c1);
            let obs = lp(a);
            (lo..=hi)
                .map(lp)
                .filter(|&l| l <= obs + 1e-7)
                .map(f64::exp)
                .sum::<f64>()
                .min(1.0)
        }
        for &(a, b, c, d) in &[
            (10, 65, 12, 213),
            (0, 30, 9, 41),
            (48, 32, 21, 29),
            (120, 380, 95, 405),
            (3, 0, 0, 3),
            (1, 200, 15, 180),
        ] {
            close(fisher_exact_two_sided(a, b, c, d), brute(a, b, c, d), 1e-9);
        }
    }

    /// Hundreds of thousands per group: no overflow, a sane p, and agreement
    /// with scipy.stats.fisher_exact([[100000, 100000], [101000, 99000]])
    /// = 0.0015822417371621309 (scipy 1.17.1, computed for this test).
    #[test]
    fn large_counts_do_not_overflow() {
        let p = fisher_exact_two_sided(100_000, 100_000, 101_000, 99_000);
        close(p, 0.0015822417371621309, 1e-8);
        let big = fisher_exact_two_sided(150_000, 50_000, 100_000, 100_000);
        assert!((0.0..1e-300).contains(&big), "p = {big}");
        let null = fisher_exact_two_sided(100_000, 100_000, 100_000, 100_000);
        close(null, 1.0, 1e-9);
    }
}
