//! Publication mode for the scoring tables and the LL144 scoring rates.

use std::collections::{BTreeMap, BTreeSet};

use super::cells::{Cells, Key};
use crate::stats::suppression::{self, WITHHELD};

/// Scoring tables in publication mode: score statistics of fewer than
/// `threshold` observations would describe a handful of people's scores, so
/// their counts are suppressed and the statistics withheld. The LL144 table's
/// counts are linked (the ethnicity categories and the sex categories each
/// add up, with their unknowns, to the same applications scored; a crossed
/// category adds up to its parts), so they get secondary suppression too.
pub fn publish_scoring(
    s: &mut crate::measures::scoring::ScoringReport,
    threshold: u64,
) -> (usize, usize) {
    use crate::measures::scoring::Level;
    let small = |n: u64| n > 0 && n < threshold;
    let mut primary = 0;
    // Groups: a group's n at the application level is the LL144 ethnicity
    // category's n, so both are handled through the LL144 system below.
    for g in &mut s.groups {
        if g.level == Level::Assessor && small(g.n.value) {
            g.n.suppressed = true;
            primary += 1;
        }
    }
    // The LL144 system: category n and above-median counts, the unknowns,
    // and two unpublished totals (all scored; all above the median).
    let mut cells = Cells::default();
    let l = &s.ll144;
    let scored = l
        .categories
        .iter()
        .filter(|c| c.dimension == "ethnicity")
        .map(|c| c.n.value)
        .sum::<u64>()
        + l.unknown_ethnicity.value;
    let total = cells.cell(Key::Quality("scored"), scored);
    let unknown_eth = cells.cell(Key::Quality("unknown_ethnicity"), l.unknown_ethnicity.value);
    let unknown_sex = cells.cell(Key::Quality("unknown_sex"), l.unknown_sex.value);
    let key = |c: &crate::measures::scoring::ScoringRate, above: bool| {
        Key::Label(format!("{}|{}|{above}", c.dimension, c.category))
    };
    let mut by_dimension: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for c in &l.categories {
        let n = cells.cell(key(c, false), c.n.value);
        cells.cell(key(c, true), c.above_median.value);
        by_dimension.entry(c.dimension).or_default().push(n);
    }
    for (dimension, mut parts) in by_dimension.clone() {
        match dimension {
            "ethnicity" => parts.push(unknown_eth),
            "sex" => parts.push(unknown_sex),
            _ => continue,
        }
        cells.relate(total, parts);
    }
    // A crossed category "E × S" adds up over S to E, and over E to S.
    for above in [false, true] {
        let mut sums: BTreeMap<(String, String), Vec<usize>> = BTreeMap::new();
        for c in l
            .categories
            .iter()
            .filter(|c| c.dimension == "ethnicity_sex")
        {
            let i = cells.get(&key(c, above)).expect("added above");
            if let Some((e, x)) = c.category.split_once(" × ") {
                sums.entry(("ethnicity".into(), e.to_string()))
                    .or_default()
                    .push(i);
                sums.entry(("sex".into(), x.to_string()))
                    .or_default()
                    .push(i);
            }
        }
        for ((dimension, category), parts) in sums {
            if let Some(t) = l
                .categories
                .iter()
                .find(|c| c.dimension == dimension && c.category == category)
            {
                let t = cells.get(&key(t, above)).expect("added above");
                cells.relate(t, parts);
            }
        }
    }
    // Drift: each period's reference and focal counts add up to the
    // groups' application-level counts when every score is dated.
    let reference = s.comparisons.first().map(|c| c.reference.clone());
    let focal = s.drift.periods.first().map(|_| {
        s.comparisons
            .iter()
            .find(|c| c.level == Level::Application)
            .map(|c| c.focal.clone())
            .unwrap_or_default()
    });
    let period_key =
        |period: &str, reference: bool| Key::StageAll(format!("drift|{period}|{reference}"));
    for (is_reference, group) in [(true, reference), (false, focal)] {
        let parts: Vec<usize> = s
            .drift
            .periods
            .iter()
            .map(|p| {
                let n = if is_reference {
                    p.n_reference.value
                } else {
                    p.n_focal.value
                };
                cells.cell(period_key(&p.period, is_reference), n)
            })
            .collect();
        let category = group.and_then(|g| {
            l.categories
                .iter()
                .find(|c| c.dimension == "ethnicity" && c.category == g)
        });
        if let Some(t) = category.and_then(|c| cells.get(&key(c, false))) {
            cells.relate(t, parts);
        }
    }
    let mut unpublished = vec![false; cells.values.len()];
    unpublished[total] = true;
    let hidden = suppression::suppress_beside_unpublished(
        &cells.values,
        &cells.equations,
        threshold,
        &unpublished,
    );
    primary += cells
        .values
        .iter()
        .enumerate()
        .filter(|&(i, &v)| i != total && small(v))
        .count();
    let secondary_ll144 = hidden
        .iter()
        .enumerate()
        .filter(|&(i, &h)| h && i != total)
        .count()
        - cells
            .values
            .iter()
            .enumerate()
            .filter(|&(i, &v)| i != total && small(v))
            .count();
    let l = &mut s.ll144;
    l.unknown_ethnicity.suppressed = hidden[unknown_eth];
    l.unknown_sex.suppressed = hidden[unknown_sex];
    let mut dims_withheld: BTreeSet<&'static str> = BTreeSet::new();
    for c in &mut l.categories {
        c.n.suppressed = cells.get(&key(c, false)).is_some_and(|i| hidden[i]);
        c.above_median.suppressed = cells.get(&key(c, true)).is_some_and(|i| hidden[i]);
        if c.n.suppressed || c.above_median.suppressed {
            c.scoring_rate = None;
            dims_withheld.insert(c.dimension);
        }
    }
    for c in &mut l.categories {
        if dims_withheld.contains(c.dimension) {
            c.impact_ratio = None;
        }
    }
    // Application-level groups follow their LL144 ethnicity category; the
    // unknown classes have no category, so they follow the small-count rule.
    for g in &mut s.groups {
        if g.level == Level::Application {
            g.n.suppressed = match l
                .categories
                .iter()
                .find(|c| c.dimension == "ethnicity" && c.category == g.group)
            {
                Some(c) => c.n.suppressed,
                None => small(g.n.value),
            };
        }
        if g.n.suppressed {
            g.mean = None;
            g.sd = None;
            g.median = None;
        }
    }
    let withheld: Vec<(String, Level)> = s
        .groups
        .iter()
        .filter(|g| g.n.suppressed)
        .map(|g| (g.group.clone(), g.level))
        .collect();
    for c in &mut s.comparisons {
        if withheld
            .iter()
            .any(|(g, lv)| *lv == c.level && (*g == c.focal || *g == c.reference))
        {
            c.mean_gap = None;
            c.gap_ci_low = None;
            c.gap_ci_high = None;
            c.hedges_g = None;
            c.g_ci_low = None;
            c.g_ci_high = None;
            c.u = None;
            c.p_mann_whitney = None;
            c.p_welch = None;
            c.note = Some(WITHHELD.into());
        }
    }
    // Drift: a period's gap rests on that period's scores.
    for p in &mut s.drift.periods {
        p.n_reference.suppressed = cells
            .get(&period_key(&p.period, true))
            .is_some_and(|i| hidden[i]);
        p.n_focal.suppressed = cells
            .get(&period_key(&p.period, false))
            .is_some_and(|i| hidden[i]);
        if p.n_reference.suppressed || p.n_focal.suppressed {
            p.gap = None;
            p.se = None;
        }
    }
    (primary, secondary_ll144)
}
