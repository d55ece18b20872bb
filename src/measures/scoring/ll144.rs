//! The NYC Local Law 144 scoring rate: each category's share scoring above
//! the overall median, and its impact ratio.

use std::collections::BTreeMap;

use serde::Serialize;

use super::Level;
use crate::counts::scores::ScoreCell;
use crate::measures::Count;
use crate::stats::scores::Histogram;
use crate::taxonomy::Taxonomy;
use crate::taxonomy::grouping::Class;
use crate::taxonomy::sex::sex_category;

/// One category's LL144 scoring rate.
#[derive(Debug, Clone, Serialize)]
pub struct ScoringRate {
    /// "ethnicity", "sex" or "ethnicity_sex".
    pub dimension: &'static str,
    /// The category, e.g. "BME" or "BME × Female".
    pub category: String,
    /// Applications scored.
    pub n: Count,
    /// Of those, scoring above the overall median.
    pub above_median: Count,
    /// above_median / n.
    pub scoring_rate: Option<f64>,
    /// Rate ÷ highest rate in the dimension.
    pub impact_ratio: Option<f64>,
    /// Under 2% of the dimension's data: may be excluded from the impact
    /// ratio calculation under the LL144 rules (still counted here).
    pub excludable: bool,
}

/// The NYC Local Law 144 scoring-rate table.
#[derive(Debug, Clone, Serialize)]
pub struct Ll144 {
    /// Level used: application (one score per candidate).
    pub level: Level,
    /// The median of every application's score.
    pub median: Option<f64>,
    /// Rates by category.
    pub categories: Vec<ScoringRate>,
    /// Applications left out for unknown ethnicity.
    pub unknown_ethnicity: Count,
    /// Applications left out of the sex tables for unknown sex.
    pub unknown_sex: Count,
}

pub(super) fn ll144(cells: &[ScoreCell], taxonomy: &Taxonomy) -> Ll144 {
    let scheme = &taxonomy.scheme;
    let all = Histogram::new(cells.iter().map(|c| (c.value, c.n)));
    let median = all.median();
    let mut tallies: BTreeMap<(&'static str, String), (u64, u64)> = BTreeMap::new();
    let (mut unknown_ethnicity, mut unknown_sex) = (0, 0);
    for c in cells {
        let above = median.map_or(0, |m| if c.value > m { c.n } else { 0 });
        let group = match taxonomy.classify(c.label.as_deref()) {
            Class::Group(g) => Some(scheme.groups[g].clone()),
            _ => None,
        };
        let sex = sex_category(c.sex.as_deref());
        let mut add = |dim: &'static str, cat: String| {
            let t = tallies.entry((dim, cat)).or_default();
            t.0 += c.n;
            t.1 += above;
        };
        match &group {
            Some(g) => add("ethnicity", g.clone()),
            None => unknown_ethnicity += c.n,
        }
        match sex {
            Some(s) => add("sex", s.to_string()),
            None => unknown_sex += c.n,
        }
        if let (Some(g), Some(s)) = (&group, sex) {
            add("ethnicity_sex", format!("{g} × {s}"));
        }
    }
    let mut categories = Vec::new();
    for dim in ["ethnicity", "sex", "ethnicity_sex"] {
        let rows: Vec<(&String, &(u64, u64))> = tallies
            .iter()
            .filter(|((d, _), _)| *d == dim)
            .map(|((_, c), t)| (c, t))
            .collect();
        let total: u64 = rows.iter().map(|r| r.1.0).sum();
        let rate = |t: &(u64, u64)| (t.0 > 0).then(|| t.1 as f64 / t.0 as f64);
        let impact = crate::stats::exact::impact_ratios(
            &rows
                .iter()
                .map(|r| (r.1.1, r.1.0, true))
                .collect::<Vec<_>>(),
        );
        for ((category, t), impact_ratio) in rows.into_iter().zip(impact) {
            let r = rate(t);
            categories.push(ScoringRate {
                dimension: dim,
                category: category.clone(),
                n: t.0.into(),
                above_median: t.1.into(),
                scoring_rate: r,
                impact_ratio,
                excludable: crate::stats::exact::under_two_percent(t.0, total),
            });
        }
    }
    Ll144 {
        level: Level::Application,
        median,
        categories,
        unknown_ethnicity: unknown_ethnicity.into(),
        unknown_sex: unknown_sex.into(),
    }
}
