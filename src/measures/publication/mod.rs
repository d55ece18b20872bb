//! Publication mode (`--publish`): suppress small counts so that no
//! published figure identifies a handful of applicants, and withhold every
//! figure derived from a suppressed count.
//!
//! The published counts form one system of cells: each group's count at
//! each stage for the whole dataset and every breakdown row (and panel type),
//! the unknown-ethnicity totals the sensitivity bounds print, the applicants
//! and known applicants at each stage, the data-quality headline counts and
//! the unmapped labels' counts. The additive relations between them (a
//! whole-dataset count is the sum of its breakdown rows, the applicants at a
//! stage are the sum of the classes, …) are the equations a reader could use
//! to work a hidden count out; [`crate::stats::suppression`] hides cells
//! until none can be. An equation is only added when it holds in the
//! numbers (a breakdown whose rows do not add up to the whole gives a reader
//! nothing to solve with).
//!
//! One pass per report, over the one system of cells: `audit` (the funnel,
//! its breakdowns, data quality, panels), `scoring` (score statistics and
//! the LL144 table), `slates` (assignments' lists and rule outcomes).

use std::collections::HashMap;

use serde::Serialize;

use crate::stats::suppression::Equation;

mod audit;
mod scoring;
mod slates;

pub use audit::{publish, rests_on_small_counts, withhold_change};
pub use scoring::publish_scoring;
pub use slates::publish_slates;

/// What publication mode did, for the `publication` section of the output.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Publication {
    /// Counts from 1 to `threshold − 1` are suppressed.
    pub threshold: u64,
    /// Distinct published counts considered.
    pub cells: usize,
    /// Suppressed because they are small.
    pub primary: usize,
    /// Suppressed so that the small ones cannot be worked out.
    pub secondary: usize,
    /// Additive relations checked.
    pub equations: usize,
    /// What else was left out, and why.
    pub withheld: Vec<String>,
}

/// The note on a comparison whose counts are suppressed.
pub const WITHHELD: &str = "withheld for publication: derived from suppressed counts";

/// Where a count sits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Key {
    /// A group's (or unknown class's) applicants reaching a stage.
    Funnel {
        breakdown: Vec<(String, String)>,
        group: String,
        stage: String,
    },
    /// The unknown classes together (sensitivity's `unknown_entered`).
    Unknown {
        breakdown: Vec<(String, String)>,
        stage: String,
    },
    /// All applicants reaching a stage (disclosure by stage).
    StageAll(String),
    /// Known-ethnicity applicants reaching a stage.
    StageKnown(String),
    /// A data-quality headline count.
    Quality(&'static str),
    /// An unmapped label's count.
    Label(String),
}

#[derive(Default)]
struct Cells {
    index: HashMap<Key, usize>,
    keys: Vec<Key>,
    values: Vec<u64>,
    equations: Vec<Equation>,
}

impl Cells {
    fn cell(&mut self, key: Key, value: u64) -> usize {
        if let Some(&i) = self.index.get(&key) {
            return i;
        }
        let i = self.values.len();
        self.index.insert(key.clone(), i);
        self.keys.push(key);
        self.values.push(value);
        i
    }

    fn get(&self, key: &Key) -> Option<usize> {
        self.index.get(key).copied()
    }

    /// Adds `total = Σ parts` when the numbers agree.
    fn relate(&mut self, total: usize, parts: Vec<usize>) {
        let sum: u64 = parts.iter().map(|&p| self.values[p]).sum();
        if !parts.is_empty() && sum == self.values[total] && !parts.contains(&total) {
            self.equations.push(Equation { total, parts });
        }
    }
}

/// The figures a pooled row prints that depend on the strata's counts:
/// crude ratio, pooled risk ratio and its two limits, the CMH χ² (its p is
/// the same equation), the odds ratio and its two limits, the homogeneity
/// χ² (its p likewise). Counted generously: each as one equation.
const POOLED_FIGURES: usize = 9;

/// Whether a pooled estimate may be shown when `hidden` of the counts it
/// combines are suppressed. Each printed figure is one equation in the
/// hidden counts: with no more unknowns than equations a reader could solve
/// for them, so the figures are withheld; with more, the system is
/// underdetermined. This is a judgement (the equations are non-linear and
/// the counts integers), stated in docs/publication.md.
pub fn pooled_can_be_shown(hidden: usize) -> bool {
    hidden == 0 || hidden > POOLED_FIGURES
}
