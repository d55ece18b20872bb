//! Each stage's make-up against availability: for every stage after the
//! first, each focal group's count against what the stage before it (the
//! pool) would give, and, with `--availability FILE`, against an external
//! benchmark of group shares (e.g. census shares for the occupation and
//! area). An exact binomial lower tail says whether so few could be chance;
//! the shortfall is in people ("2 fewer BME candidates than the pool would
//! give").

use std::collections::BTreeMap;

use serde::Serialize;

use super::Count;
use super::funnel::TransitionResult;
use crate::ingest::benchmark::Benchmark;
use crate::stats::slates::binomial_lower_tail;

/// Known groups' counts at each stage: stage → group → count.
type StageCounts<'a> = BTreeMap<&'a str, BTreeMap<&'a str, Count>>;

/// A benchmark to test against: its name, the shares it gives, and whether
/// those shares rest on a suppressed count.
struct Against {
    name: String,
    shares: Vec<(String, f64)>,
    hidden: bool,
}

/// One stage × breakdown row × focal group against one benchmark.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StageAvailability {
    /// The stage whose make-up is tested.
    pub stage: String,
    /// `{}` for the whole dataset; column → value for a breakdown row.
    pub breakdown: BTreeMap<String, String>,
    /// The focal group.
    pub group: String,
    /// Its applicants at the stage.
    pub observed: Count,
    /// Applicants of known ethnicity at the stage.
    pub known: Count,
    /// The share the benchmark gives the group.
    pub share: Option<f64>,
    /// known × share; null when withheld.
    pub expected: Option<f64>,
    /// expected − observed (positive: fewer than the benchmark would give).
    pub shortfall: Option<f64>,
    /// P(X ≤ observed) for X ~ Binomial(known, share).
    pub p_binomial: Option<f64>,
    /// "previous stage (applied)" or the benchmark file and the key it
    /// matched.
    pub benchmark: String,
}

/// Every stage's make-up, by breakdown row, against the previous stage and
/// (when given) an external benchmark. Counts come from the steps, so in
/// publication mode a suppressed count is carried over and the figures that
/// rest on it are withheld.
pub fn availability(
    transitions: &[TransitionResult],
    ladder: &[String],
    reference: &str,
    benchmark: Option<&Benchmark>,
) -> Vec<StageAvailability> {
    // breakdown → stage → group → count (known groups only).
    let mut at: BTreeMap<&BTreeMap<String, String>, StageCounts> = BTreeMap::new();
    for t in transitions {
        let row = at.entry(&t.breakdown).or_default();
        for g in &t.groups {
            row.entry(t.from.as_str())
                .or_default()
                .insert(&g.group, g.entered);
            row.entry(t.to.as_str())
                .or_default()
                .insert(&g.group, g.progressed);
        }
    }
    let mut out = Vec::new();
    for (breakdown, stages) in &at {
        let known = |stage: &str| -> Option<Count> {
            let groups = stages.get(stage)?;
            Some(groups.values().copied().sum())
        };
        for (i, stage) in ladder.iter().enumerate() {
            let (Some(groups), Some(n)) = (stages.get(stage.as_str()), known(stage)) else {
                continue;
            };
            let mut benchmarks: Vec<Against> = Vec::new();
            let previous = i.checked_sub(1).map(|p| ladder[p].as_str());
            if let Some((prev, pool, pool_n)) =
                previous.and_then(|prev| Some((prev, stages.get(prev)?, known(prev)?)))
            {
                benchmarks.push(Against {
                    name: format!("previous stage ({prev})"),
                    shares: pool
                        .iter()
                        .filter(|_| pool_n.value > 0)
                        .map(|(g, c)| (g.to_string(), c.value as f64 / pool_n.value as f64))
                        .collect(),
                    hidden: pool_n.suppressed,
                });
            }
            if let Some(b) = benchmark {
                let values: Vec<Option<String>> =
                    b.keys.iter().map(|k| breakdown.get(k).cloned()).collect();
                if let Some((matched, shares)) = b.shares_for(&values) {
                    benchmarks.push(Against {
                        name: format!("{} ({matched})", b.file),
                        shares,
                        hidden: false,
                    });
                }
            }
            for Against {
                name,
                shares,
                hidden: pool_hidden,
            } in benchmarks
            {
                for (group, observed) in groups.iter().filter(|(g, _)| **g != reference) {
                    let share = shares.iter().find(|(g, _)| g == group).map(|(_, s)| *s);
                    let withheld = pool_hidden || observed.suppressed || n.suppressed;
                    let expected = share.filter(|_| !withheld).map(|s| n.value as f64 * s);
                    out.push(StageAvailability {
                        stage: stage.clone(),
                        breakdown: (*breakdown).clone(),
                        group: group.to_string(),
                        observed: *observed,
                        known: n,
                        share: share.filter(|_| !pool_hidden),
                        expected,
                        shortfall: expected.map(|e| e - observed.value as f64),
                        p_binomial: share
                            .filter(|_| !withheld)
                            .and_then(|s| binomial_lower_tail(n.value, s, observed.value)),
                        benchmark: name.clone(),
                    });
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measures::funnel::group_rate as rate;

    #[test]
    fn shortlist_against_its_pool() {
        // Pool: 60 White, 40 BME (40% BME). Shortlist: 16 White, 4 BME of 20:
        // 8 expected, 4 fewer. P(X ≤ 4 | n = 20, p = 0.4) = 0.0509520
        // (Σ_{k≤4} C(20, k) 0.4^k 0.6^(20−k), with Python's math.comb).
        let t = TransitionResult {
            from: "applied".into(),
            to: "shortlisted".into(),
            label: None,
            breakdown: BTreeMap::new(),
            groups: vec![rate("White", 60, 16), rate("BME", 40, 4)],
            unknown: Vec::new(),
            comparisons: Vec::new(),
        };
        let ladder = vec!["applied".to_string(), "shortlisted".to_string()];
        let rows = availability(&[t], &ladder, "White", None);
        assert_eq!(rows.len(), 1);
        let r = &rows[0];
        assert_eq!((r.stage.as_str(), r.group.as_str()), ("shortlisted", "BME"));
        assert_eq!(r.benchmark, "previous stage (applied)");
        assert!((r.expected.unwrap() - 8.0).abs() < 1e-12);
        assert!((r.shortfall.unwrap() - 4.0).abs() < 1e-12);
        assert!((r.p_binomial.unwrap() - 0.050_951_953).abs() < 1e-8);
    }
}
