//! Stage-by-stage progression by group: rates, impact ratios and the
//! relative likelihood of the reference group against each other group.

use std::collections::BTreeMap;

use polars::prelude::{InitHashMaps, PlHashMap};

use serde::Serialize;

use super::{Count, is_false};
use crate::counts::FunnelCounts;
use crate::stats;
use crate::stats::Confidence;
use crate::taxonomy::Taxonomy;
use crate::taxonomy::grouping::Class;
use crate::taxonomy::ladder::Transition;

/// Which way up relative likelihoods are stated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Direction {
    /// NHS WRES: reference rate ÷ focal rate (above 1: the reference group,
    /// White by default, does better).
    NhsWres,
    /// Social Care WRES: focal rate ÷ reference rate (below 1: the focal
    /// group does worse).
    ScWres,
}

impl Direction {
    /// The standard the direction comes from.
    pub fn name(self) -> &'static str {
        match self {
            Direction::NhsWres => "NHS WRES",
            Direction::ScWres => "Social Care WRES",
        }
    }

    /// What a ratio means, in words.
    pub fn meaning(self, reference: &str, focal: &str) -> String {
        match self {
            Direction::NhsWres => format!(
                "rate of {reference} ÷ rate of {focal}; above 1 means {reference} applicants are more likely to progress"
            ),
            Direction::ScWres => format!(
                "rate of {focal} ÷ rate of {reference}; below 1 means {focal} applicants are less likely to progress"
            ),
        }
    }
}

/// Settings the funnel measure needs.
#[derive(Debug, Clone)]
pub struct FunnelSettings {
    /// Confidence level of intervals, and `1 - confidence` is the
    /// significance threshold.
    pub confidence: Confidence,
    /// Which way up ratios are stated.
    pub direction: Direction,
    /// Transitions to report.
    pub transitions: Vec<Transition>,
    /// Breakdown dimensions: each a list of indices into the counts' `by`.
    pub breakdowns: Vec<Vec<usize>>,
}

/// One group's progression through one step.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupRate {
    /// Group name.
    pub group: String,
    /// Applications that reached the step's first stage.
    pub entered: Count,
    /// Of those, applications that reached its second stage.
    pub progressed: Count,
    /// `progressed / entered`; null when nobody entered.
    pub rate: Option<f64>,
    /// Rate ÷ highest known-group rate (four-fifths rule); null for unknown
    /// classes and when undefined.
    pub impact_ratio: Option<f64>,
    /// Publication mode: a count here is suppressed, and figures derived
    /// from it are withheld.
    #[serde(skip_serializing_if = "is_false")]
    pub suppressed: bool,
}

/// A group's rate with plain counts, for tests.
#[cfg(test)]
pub(crate) fn group_rate(group: &str, entered: u64, progressed: u64) -> GroupRate {
    GroupRate {
        group: group.into(),
        entered: entered.into(),
        progressed: progressed.into(),
        rate: stats::rate(progressed, entered),
        impact_ratio: None,
        suppressed: false,
    }
}

/// Reference group against one focal group, for one step.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    /// The reference group (White by default).
    pub reference: String,
    /// The group compared with it.
    pub focal: String,
    /// Which way up `relative_likelihood` is stated.
    pub direction: Direction,
    /// The ratio of rates in `direction`; null when undefined.
    pub relative_likelihood: Option<f64>,
    /// Lower limit of the Katz log interval.
    pub ci_low: Option<f64>,
    /// Upper limit.
    pub ci_high: Option<f64>,
    /// Confidence level of the interval.
    pub confidence: Confidence,
    /// Fisher's exact test, two-sided.
    pub p_fisher: Option<f64>,
    /// Pooled two-proportion z-test, two-sided.
    pub p_z: Option<f64>,
    /// Fisher's p adjusted for the number of comparisons in the report
    /// (`--adjust`); `significant` is judged on it.
    pub p_adjusted: Option<f64>,
    /// Whether the ratio lies outside 0.80–1.25.
    pub outside_range: Option<bool>,
    /// Whether `p_fisher` is below `1 - confidence`.
    pub significant: Option<bool>,
    /// Why a figure is missing, or a caution about small numbers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// One step of the funnel for the whole dataset or one breakdown row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TransitionResult {
    /// Stage entered.
    pub from: String,
    /// Stage progressed to.
    pub to: String,
    /// What the step is known as, when it has a name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// `{}` for the whole dataset; column → value for a breakdown row.
    pub breakdown: BTreeMap<String, String>,
    /// Known groups, in scheme order.
    pub groups: Vec<GroupRate>,
    /// Declined, not known and unmapped: counted, never in a rate comparison.
    pub unknown: Vec<GroupRate>,
    /// Reference group against each other group.
    pub comparisons: Vec<Comparison>,
}

/// Steps looked up by stage pair and breakdown row without a scan: with
/// tens of thousands of breakdown values a scan per look-up is quadratic.
pub struct Steps<'a>(
    PlHashMap<(&'a str, &'a str, &'a BTreeMap<String, String>), &'a TransitionResult>,
);

impl<'a> Steps<'a> {
    /// Indexes `transitions`; where two share a key the first is kept, as a
    /// scan would find it.
    pub fn new(transitions: &'a [TransitionResult]) -> Self {
        let mut index = PlHashMap::with_capacity(transitions.len());
        for t in transitions {
            index
                .entry((t.from.as_str(), t.to.as_str(), &t.breakdown))
                .or_insert(t);
        }
        Steps(index)
    }

    /// The step `from → to` of this breakdown row.
    pub fn get(
        &self,
        from: &str,
        to: &str,
        breakdown: &BTreeMap<String, String>,
    ) -> Option<&'a TransitionResult> {
        self.0.get(&(from, to, breakdown)).copied()
    }
}

/// What a breakdown value shows when the column is empty.
pub const MISSING_VALUE: &str = "(missing)";

/// Computes every transition for the whole dataset and each breakdown row.
pub fn funnel(
    counts: &FunnelCounts,
    taxonomy: &Taxonomy,
    settings: &FunnelSettings,
) -> Vec<TransitionResult> {
    // Each label classified once (cells of one breakdown row come sorted
    // by label, so a label mostly repeats the cell before's).
    let mut classes: PlHashMap<Option<&str>, Class> = PlHashMap::new();
    let cell_classes: Vec<Class> = {
        let mut last: Option<(Option<&str>, Class)> = None;
        counts
            .cells
            .iter()
            .map(|c| {
                let label = c.label.as_deref();
                match last {
                    Some((l, class)) if l == label => class,
                    _ => {
                        let class = *classes
                            .entry(label)
                            .or_insert_with(|| taxonomy.classify(label));
                        last = Some((label, class));
                        class
                    }
                }
            })
            .collect()
    };
    let stages = counts.ladder.len();
    let mut out = Vec::new();
    let whole: Vec<usize> = Vec::new();
    for dims in std::iter::once(&whole).chain(settings.breakdowns.iter()) {
        // breakdown values → class → applications by reached rank. Cells
        // come sorted by their keys, so a breakdown row's cells mostly
        // come in one run: added up as a run, and the run added to the
        // table when the row changes.
        let mut table: BTreeMap<Vec<Option<&str>>, ByClass> = BTreeMap::new();
        let mut run: Option<(Vec<Option<&str>>, ByClass)> = None;
        for (cell, class) in counts.cells.iter().zip(&cell_classes) {
            let same = run.as_ref().is_some_and(|(key, _)| {
                dims.iter()
                    .zip(key)
                    .all(|(&d, k)| cell.keys[d].as_deref() == *k)
            });
            if !same && let Some(done) = run.take() {
                add_run(&mut table, done);
            }
            let (_, by_class) = run.get_or_insert_with(|| {
                let key = dims.iter().map(|&d| cell.keys[d].as_deref()).collect();
                (key, BTreeMap::new())
            });
            by_class.entry(*class).or_insert_with(|| vec![0; stages])[cell.reached as usize] +=
                cell.applications;
        }
        if let Some(done) = run.take() {
            add_run(&mut table, done);
        }
        for (key, by_class) in &table {
            let breakdown: BTreeMap<String, String> = dims
                .iter()
                .zip(key)
                // Shown as labels are: a value past 200 characters is cut,
                // with its length and a digest to tell it apart.
                .map(|(&d, v)| {
                    (
                        counts.by[d].clone(),
                        super::shown_label(v.unwrap_or(MISSING_VALUE)),
                    )
                })
                .collect();
            for t in &settings.transitions {
                out.push(transition(
                    counts,
                    taxonomy,
                    settings,
                    t,
                    breakdown.clone(),
                    by_class,
                ));
            }
        }
    }
    out
}

/// A breakdown row's applications by class and by the rank they reached.
type ByClass = BTreeMap<Class, Vec<u64>>;

/// A breakdown row's run of cells, added to the row's counts (the row may
/// come in several runs when the cells are not sorted by its columns).
fn add_run<'a>(
    table: &mut BTreeMap<Vec<Option<&'a str>>, ByClass>,
    (key, by_class): (Vec<Option<&'a str>>, ByClass),
) {
    let row = table.entry(key).or_default();
    for (class, reached) in by_class {
        match row.get_mut(&class) {
            None => {
                row.insert(class, reached);
            }
            Some(counts) => {
                for (total, n) in counts.iter_mut().zip(reached) {
                    *total += n;
                }
            }
        }
    }
}

fn transition(
    counts: &FunnelCounts,
    taxonomy: &Taxonomy,
    settings: &FunnelSettings,
    t: &Transition,
    breakdown: BTreeMap<String, String>,
    by_class: &BTreeMap<Class, Vec<u64>>,
) -> TransitionResult {
    let scheme = &taxonomy.scheme;
    let reached_at_least = |class: Class, rank: u8| -> u64 {
        by_class
            .get(&class)
            .map(|v| v[rank as usize..].iter().sum())
            .unwrap_or(0)
    };
    let progression = |class: Class| {
        let entered = reached_at_least(class, t.from);
        let progressed = reached_at_least(class, t.to);
        (entered, progressed, stats::rate(progressed, entered))
    };
    let known: Vec<(u64, u64, Option<f64>)> = (0..scheme.groups.len())
        .map(|g| progression(Class::Group(g)))
        .collect();
    let impact = stats::exact::impact_ratios(
        &known
            .iter()
            .map(|&(entered, progressed, _)| (progressed, entered, true))
            .collect::<Vec<_>>(),
    );
    let groups = known
        .iter()
        .zip(impact)
        .enumerate()
        .map(
            |(g, (&(entered, progressed, rate), impact_ratio))| GroupRate {
                group: scheme.groups[g].clone(),
                entered: entered.into(),
                progressed: progressed.into(),
                rate,
                impact_ratio,
                suppressed: false,
            },
        )
        .collect();
    let unknown = Class::UNKNOWN
        .iter()
        .map(|&class| {
            let (entered, progressed, rate) = progression(class);
            GroupRate {
                group: scheme.class_name(class).to_string(),
                entered: entered.into(),
                progressed: progressed.into(),
                rate,
                impact_ratio: None,
                suppressed: false,
            }
        })
        .collect();
    let r = scheme.reference;
    let comparisons = (0..scheme.groups.len())
        .filter(|&g| g != r)
        .map(|g| {
            let (n1, a, _) = known[r];
            let (n2, c, _) = known[g];
            compare(&scheme.groups[r], &scheme.groups[g], a, n1, c, n2, settings)
        })
        .collect();
    TransitionResult {
        from: counts.ladder.name(t.from).to_string(),
        to: counts.ladder.name(t.to).to_string(),
        label: t.label.clone(),
        breakdown,
        groups,
        unknown,
        comparisons,
    }
}

/// Compares reference (`a` of `n1` progressed) with focal (`c` of `n2`).
pub fn compare(
    reference: &str,
    focal: &str,
    a: u64,
    n1: u64,
    c: u64,
    n2: u64,
    settings: &FunnelSettings,
) -> Comparison {
    let direction = settings.direction;
    let confidence = settings.confidence;
    let mut comparison = Comparison {
        reference: reference.to_string(),
        focal: focal.to_string(),
        direction,
        relative_likelihood: None,
        ci_low: None,
        ci_high: None,
        confidence,
        p_fisher: None,
        p_z: None,
        outside_range: None,
        p_adjusted: None,
        significant: None,
        note: None,
    };
    if n1 == 0 || n2 == 0 {
        let missing = if n1 == 0 { reference } else { focal };
        comparison.note = Some(format!(
            "insufficient data: no {missing} applicants entered this step"
        ));
        return comparison;
    }
    let p_fisher = stats::fisher_exact_two_sided(a, n1 - a, c, n2 - c);
    comparison.p_fisher = Some(p_fisher);
    comparison.p_z = stats::two_proportion_z_test(a, n1, c, n2).map(|(_, p)| p);
    // Judged on the unadjusted p until the report's comparisons are
    // adjusted together (measures::pooling::adjust_comparisons).
    comparison.p_adjusted = Some(p_fisher);
    comparison.significant = Some(confidence.significant(p_fisher));

    // Ratio in the NHS direction first: (a/n1) / (c/n2).
    let (top, bottom) = match direction {
        Direction::NhsWres => ((a, n1), (c, n2)),
        Direction::ScWres => ((c, n2), (a, n1)),
    };
    if top.0 == 0 && bottom.0 == 0 {
        comparison.note = Some(format!(
            "insufficient data: no {reference} or {focal} applicant progressed, so the ratio is undefined"
        ));
        return comparison;
    }
    if bottom.0 == 0 {
        let nobody = if direction == Direction::NhsWres {
            focal
        } else {
            reference
        };
        comparison.outside_range = Some(true);
        comparison.note = Some(format!(
            "no {nobody} applicant progressed: the ratio is infinite and not shown; read the counts and p values"
        ));
        return comparison;
    }
    // Judged and shown from the exact ratio of counts: exactly 4/5 or 5/4
    // is inside the band (stats::exact).
    let exact = stats::exact::Fraction::of_rates(top.0, top.1, bottom.0, bottom.1)
        .expect("both groups entered and the bottom rate is not zero");
    comparison.relative_likelihood = Some(exact.value());
    comparison.outside_range = Some(!exact.within_four_fifths_band());
    match stats::katz_interval(top.0, top.1, bottom.0, bottom.1, confidence.level()) {
        Some(ci) => {
            comparison.ci_low = Some(ci.low);
            comparison.ci_high = Some(ci.high);
            if [a, n1 - a, c, n2 - c].iter().any(|&x| x < 5) {
                comparison.note =
                    Some("fewer than 5 applicants in a cell: treat the ratio with caution".into());
            }
        }
        None if top.0 == top.1 && bottom.0 == bottom.1 => {
            comparison.note = Some(
                "every applicant in both groups progressed: no confidence interval can be given"
                    .into(),
            );
        }
        None => {
            comparison.note = Some(
                "a group has no applicant who progressed: the ratio is zero and its interval undefined"
                    .into(),
            );
        }
    }
    comparison
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(direction: Direction) -> FunnelSettings {
        FunnelSettings {
            confidence: Confidence::default(),
            direction,
            transitions: vec![],
            breakdowns: vec![],
        }
    }

    #[test]
    fn nhs_and_sc_directions_are_reciprocal() {
        let nhs = compare(
            "White",
            "BME",
            10,
            75,
            12,
            225,
            &settings(Direction::NhsWres),
        );
        let sc = compare(
            "White",
            "BME",
            10,
            75,
            12,
            225,
            &settings(Direction::ScWres),
        );
        let (r1, r2) = (
            nhs.relative_likelihood.unwrap(),
            sc.relative_likelihood.unwrap(),
        );
        assert!((r1 - 2.5).abs() < 1e-12);
        assert!((r1 * r2 - 1.0).abs() < 1e-12);
        assert!((nhs.ci_low.unwrap() * sc.ci_high.unwrap() - 1.0).abs() < 1e-12);
        assert_eq!(nhs.p_fisher, sc.p_fisher);
        assert_eq!(nhs.outside_range, Some(true));
    }

    #[test]
    fn zero_cells_give_null_with_a_reason() {
        let s = settings(Direction::NhsWres);
        let none_entered = compare("White", "BME", 5, 10, 0, 0, &s);
        assert_eq!(none_entered.relative_likelihood, None);
        assert_eq!(none_entered.p_fisher, None);
        assert!(
            none_entered
                .note
                .unwrap()
                .contains("no BME applicants entered")
        );

        let focal_zero = compare("White", "BME", 5, 10, 0, 10, &s);
        assert_eq!(focal_zero.relative_likelihood, None);
        assert!(focal_zero.p_fisher.is_some());
        assert!(focal_zero.note.unwrap().contains("infinite"));

        let both_zero = compare("White", "BME", 0, 10, 0, 10, &s);
        assert_eq!(both_zero.relative_likelihood, None);
        assert_eq!(both_zero.p_fisher, Some(1.0));
        assert_eq!(both_zero.p_z, None);

        let reference_zero = compare("White", "BME", 0, 10, 3, 10, &s);
        assert_eq!(reference_zero.relative_likelihood, Some(0.0));
        assert_eq!(reference_zero.ci_low, None);
    }
}
