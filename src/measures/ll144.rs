//! The three tables of a NYC Local Law 144 bias audit (6 RCNY § 5-301(b)):
//! selection rates and impact ratios for sex categories, for race/ethnicity
//! categories and for their intersection, at one step of the funnel, each
//! with the number of applicants of unknown category (counted, never rated).
//!
//! The rules let an auditor leave a category holding under 2% of the data
//! out of the impact-ratio calculations. With that on (the default, as most
//! published audits do), such a category keeps its selection rate but has no
//! impact ratio and cannot be the comparator. Which category is the most
//! selected, and whether a ratio is under four-fifths, are decided exactly on
//! the counts.

use std::collections::BTreeMap;

use serde::Serialize;

use super::funnel::{MISSING_VALUE, TransitionResult};
use super::{Count, is_false};
use crate::stats::exact::{self, FOUR_FIFTHS, Fraction};
use crate::taxonomy::sex::sex_category;

/// How the tables are drawn.
#[derive(Debug, Clone)]
pub struct Ll144Settings {
    /// The stage the step selects to (`--ll144-step`); the step runs from
    /// the stage below it. `None`: the first step of the ladder.
    pub selected_stage: Option<String>,
    /// Leave categories under 2% of a table's applicants out of the impact
    /// ratios (`--ll144-exclude-under-2`).
    pub exclude_under_2_percent: bool,
    /// The breakdown column holding sex, when the audit has one.
    pub sex_column: Option<String>,
}

/// Which characteristic a table is by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Characteristic {
    /// Female, Male, Other.
    Sex,
    /// The ethnic groups of the grouping in force (EEO-1 categories with
    /// `--grouping eeo1`).
    RaceEthnicity,
    /// Race/ethnicity × sex.
    Intersectional,
}

impl Characteristic {
    /// The table's heading, as the rules and published audits word it.
    pub fn title(self) -> &'static str {
        match self {
            Characteristic::Sex => "Sex categories",
            Characteristic::RaceEthnicity => "Race/ethnicity categories",
            Characteristic::Intersectional => "Intersectional categories",
        }
    }
}

/// One category's row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ll144Row {
    /// "Female", "Asian", "Asian × Female".
    pub category: String,
    /// The race/ethnicity part (race/ethnicity and intersectional tables).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub race_ethnicity: Option<String>,
    /// The sex part (sex and intersectional tables).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sex: Option<String>,
    /// Applicants assessed at the step.
    pub applicants: Count,
    /// Of those, applicants selected (moved forward).
    pub selected: Count,
    /// selected ÷ applicants; null when suppressed or nobody applied.
    pub selection_rate: Option<f64>,
    /// selection rate ÷ the comparator's; null for an excluded category,
    /// when suppressed, or when no comparator selected anyone.
    pub impact_ratio: Option<f64>,
    /// The impact ratio is under four-fifths (decided exactly; exactly
    /// 0.80 is not under).
    pub below_four_fifths: bool,
    /// Under 2% of the table's applicants of known category.
    pub under_2_percent: bool,
    /// Left out of the impact ratios for being under 2%.
    pub excluded_under_2_percent: bool,
    /// Publication mode: a count here is suppressed.
    #[serde(skip_serializing_if = "is_false")]
    pub suppressed: bool,
}

/// One of the three tables.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ll144Table {
    /// What the table is by.
    pub characteristic: Characteristic,
    /// Categories of known value, in the grouping's order.
    pub categories: Vec<Ll144Row>,
    /// The most selected category the impact ratios divide by; null when
    /// none can be (all excluded, suppressed or none selected).
    pub comparator: Option<String>,
    /// Applicants of known category (the 2% rule's base).
    pub applicants: Count,
    /// Applicants assessed whose category is unknown: counted, left out of
    /// every rate and ratio.
    pub unknown_applicants: Count,
}

/// The three tables at one step.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ll144Report {
    /// The stage applicants were assessed at.
    pub from: String,
    /// The stage "selected" means reaching.
    pub to: String,
    /// Whether categories under 2% were left out of the impact ratios.
    pub exclude_under_2_percent: bool,
    /// The breakdown column sex came from; null when the audit has none
    /// (then only the race/ethnicity table is drawn).
    pub sex_column: Option<String>,
    /// Sex, race/ethnicity, intersectional (those the data allows).
    pub tables: Vec<Ll144Table>,
}

/// A tally of (applicants, selected) per category.
type Tally = BTreeMap<String, (Count, Count)>;

fn add(tally: &mut Tally, key: &str, entered: Count, progressed: Count) {
    let cell = tally.entry(key.to_string()).or_default();
    *cell = (cell.0 + entered, cell.1 + progressed);
}

/// The step the tables are drawn at: from the stage below `selected_stage`
/// (or the first step) among the whole-dataset transitions.
fn step<'a>(
    transitions: &'a [TransitionResult],
    ladder: &[String],
    selected_stage: Option<&str>,
) -> Option<&'a TransitionResult> {
    let to = match selected_stage {
        Some(s) => s,
        None => ladder.get(1)?.as_str(),
    };
    let at = ladder.iter().position(|s| s == to)?;
    let from = ladder.get(at.checked_sub(1)?)?;
    transitions
        .iter()
        .find(|t| t.breakdown.is_empty() && t.from == *from && t.to == to)
}

/// The tables, or `None` when the step is not among the transitions.
/// `unrated` applicants (a counts file's unknown row with no selected
/// count) are added to every table's unknown applicants.
pub fn ll144(
    transitions: &[TransitionResult],
    ladder: &[String],
    groups: &[String],
    settings: &Ll144Settings,
    unrated: Count,
) -> Option<Ll144Report> {
    let whole = step(transitions, ladder, settings.selected_stage.as_deref())?;
    let (from, to) = (whole.from.clone(), whole.to.clone());
    let everyone: Count = whole
        .groups
        .iter()
        .chain(&whole.unknown)
        .map(|g| g.entered)
        .sum();

    let mut race = Tally::new();
    for g in &whole.groups {
        add(&mut race, &g.group, g.entered, g.progressed);
    }
    let race_unknown: Count = whole.unknown.iter().map(|g| g.entered).sum();
    let race_order: Vec<(String, Option<String>, Option<String>)> = groups
        .iter()
        .map(|g| (g.clone(), Some(g.clone()), None))
        .collect();
    let race = table(
        Characteristic::RaceEthnicity,
        &race,
        &race_order,
        race_unknown,
        settings.exclude_under_2_percent,
    );
    let mut tables = vec![race];

    if let Some(column) = &settings.sex_column {
        let mut sex = Tally::new();
        let mut both = Tally::new();
        let mut sex_values = Vec::new();
        for t in transitions.iter().filter(|t| {
            t.from == from
                && t.to == to
                && t.breakdown.len() == 1
                && t.breakdown.contains_key(column)
        }) {
            let raw = &t.breakdown[column];
            let value = (raw != MISSING_VALUE)
                .then(|| sex_category(Some(raw)))
                .flatten();
            let Some(value) = value else { continue };
            if !sex_values.contains(&value) {
                sex_values.push(value);
            }
            for g in t.groups.iter().chain(&t.unknown) {
                add(&mut sex, value, g.entered, g.progressed);
            }
            for g in &t.groups {
                add(
                    &mut both,
                    &format!("{} × {value}", g.group),
                    g.entered,
                    g.progressed,
                );
            }
        }
        // Male before Female before Other, as the rules' example lists them.
        let sexes: Vec<&str> = ["Male", "Female", "Other"]
            .into_iter()
            .filter(|s| sex_values.contains(s))
            .collect();
        let sex_known: Count = sex.values().map(|c| c.0).sum();
        // The rules' order: sex, race/ethnicity, intersectional.
        tables.insert(
            0,
            table(
                Characteristic::Sex,
                &sex,
                &sexes
                    .iter()
                    .map(|s| (s.to_string(), None, Some(s.to_string())))
                    .collect::<Vec<_>>(),
                minus(everyone, sex_known),
                settings.exclude_under_2_percent,
            ),
        );
        let both_known: Count = both.values().map(|c| c.0).sum();
        let order: Vec<_> = groups
            .iter()
            .flat_map(|g| {
                sexes
                    .iter()
                    .map(move |s| (format!("{g} × {s}"), Some(g.clone()), Some(s.to_string())))
            })
            .collect();
        tables.push(table(
            Characteristic::Intersectional,
            &both,
            &order,
            minus(everyone, both_known),
            settings.exclude_under_2_percent,
        ));
    }
    for t in &mut tables {
        t.unknown_applicants = t.unknown_applicants + unrated;
    }
    Some(Ll144Report {
        from,
        to,
        exclude_under_2_percent: settings.exclude_under_2_percent,
        sex_column: settings.sex_column.clone(),
        tables,
    })
}

/// `a − b`, suppressed when either is (the difference would give a hidden
/// part away).
fn minus(a: Count, b: Count) -> Count {
    Count {
        value: a.value.saturating_sub(b.value),
        suppressed: a.suppressed || b.suppressed,
    }
}

/// One table from its tally, rows in `order` (category, race/ethnicity,
/// sex); categories nobody was assessed in are left out.
fn table(
    characteristic: Characteristic,
    tally: &Tally,
    order: &[(String, Option<String>, Option<String>)],
    unknown_applicants: Count,
    exclude: bool,
) -> Ll144Table {
    let cells: Vec<_> = order
        .iter()
        .filter_map(|(category, race, sex)| {
            let &(applicants, selected) = tally.get(category)?;
            (applicants.value > 0).then_some((category, race, sex, applicants, selected))
        })
        .collect();
    let applicants: Count = cells.iter().map(|c| c.3).sum();
    let under: Vec<bool> = cells
        .iter()
        .map(|c| exact::under_two_percent(c.3.value, applicants.value))
        .collect();
    let suppressed: Vec<bool> = cells
        .iter()
        .map(|c| c.3.suppressed || c.4.suppressed)
        .collect();
    let eligible = |i: usize| !(exclude && under[i]);
    // A hidden count among the categories that could be the comparator
    // hides which one is: every impact ratio is withheld.
    let withheld = (0..cells.len()).any(|i| eligible(i) && suppressed[i]);
    let counts: Vec<(u64, u64, bool)> = cells
        .iter()
        .enumerate()
        .map(|(i, c)| (c.4.value, c.3.value, eligible(i) && !withheld))
        .collect();
    let best = exact::comparator(&counts);
    let ratios = exact::impact_ratio_fractions(&counts, best);
    let categories = cells
        .iter()
        .zip(ratios)
        .enumerate()
        .map(
            |(i, (&(category, race, sex, applicants, selected), ratio))| {
                let ratio = ratio.filter(|_| eligible(i) && !suppressed[i]);
                Ll144Row {
                    category: category.clone(),
                    race_ethnicity: race.clone(),
                    sex: sex.clone(),
                    applicants,
                    selected,
                    selection_rate: (!suppressed[i])
                        .then(|| crate::stats::rate(selected.value, applicants.value))
                        .flatten(),
                    impact_ratio: ratio.map(Fraction::value),
                    below_four_fifths: ratio
                        .is_some_and(|r| r.compare(FOUR_FIFTHS) == std::cmp::Ordering::Less),
                    under_2_percent: under[i],
                    excluded_under_2_percent: exclude && under[i],
                    suppressed: suppressed[i],
                }
            },
        )
        .collect();
    Ll144Table {
        characteristic,
        categories,
        comparator: best.map(|i| cells[i].0.clone()),
        applicants,
        unknown_applicants,
    }
}

#[cfg(test)]
mod tests;
