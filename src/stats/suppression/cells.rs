//! The published cells of a report as a system: each distinct count one
//! cell, the additive relations between them its equations; and the summary
//! a publication pass reports, with the rule for pooled figures.

use super::Equation;

/// What publication mode did, for the `publication` section of the output.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
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

/// A system of published cells under construction: each distinct key is
/// one cell with its value, and the additive relations between cells are
/// the equations [`suppress`] works on. Each report's publication pass
/// names its cells with its own key type.
#[derive(Debug)]
pub struct Cells<K> {
    index: std::collections::HashMap<K, usize>,
    /// Each cell's key, in the order added.
    pub keys: Vec<K>,
    /// Each cell's value.
    pub values: Vec<u64>,
    /// The relations added.
    pub equations: Vec<Equation>,
}

impl<K> Default for Cells<K> {
    fn default() -> Self {
        Cells {
            index: Default::default(),
            keys: Vec::new(),
            values: Vec::new(),
            equations: Vec::new(),
        }
    }
}

impl<K: std::hash::Hash + Eq + Clone> Cells<K> {
    /// The cell of `key`, added with `value` if new.
    pub fn cell(&mut self, key: K, value: u64) -> usize {
        if let Some(&i) = self.index.get(&key) {
            return i;
        }
        let i = self.values.len();
        self.index.insert(key.clone(), i);
        self.keys.push(key);
        self.values.push(value);
        i
    }

    /// The cell of `key`, if added.
    pub fn get(&self, key: &K) -> Option<usize> {
        self.index.get(key).copied()
    }

    /// Adds `total = Σ parts` when the numbers agree (a relation that does
    /// not hold in the numbers gives a reader nothing to solve with).
    pub fn relate(&mut self, total: usize, parts: Vec<usize>) {
        let sum: u64 = parts.iter().map(|&p| self.values[p]).sum();
        if !parts.is_empty() && sum == self.values[total] && !parts.contains(&total) {
            self.equations.push(Equation { total, parts });
        }
    }
}
