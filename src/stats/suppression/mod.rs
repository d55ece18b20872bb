//! Small-cell suppression for published tables, with secondary suppression.
//!
//! The published counts are cells; additive relations among them (a total
//! equals the sum of its parts: a whole-dataset count is the sum of its
//! breakdown rows, the applicants at a stage the sum of the ethnicity
//! classes) are equations a reader can use. Primary suppression hides every
//! cell with 0 < value < threshold. Secondary suppression then hides more
//! cells until no hidden cell is determined by the published ones:
//!
//! 1. while some equation has exactly one hidden member, hide the smallest
//!    other member of that equation (parts before the total, non-zero
//!    before zero), so the equation has two unknowns;
//! 2. then check the whole system exactly: a hidden cell is determined when
//!    its unit vector lies in the row space of the equations restricted to
//!    the hidden cells (reduced row echelon form); for each such cell hide
//!    the smallest published member of an equation containing it, and go
//!    back to 1.
//!
//! Each round hides at least one more cell, so it ends. Zeros are not
//! primary (a zero identifies nobody) but may be hidden as secondaries. What
//! this does not protect against: bounds from non-negativity (two hidden
//! cells summing to 3 are each 0–3), which is the usual accepted residual of
//! cell suppression (see docs/publication.md).
//!
//! Layout: this module hides cells (`suppress`); `cells` builds the system
//! a report's publication pass hands it and what the pass reports;
//! `determined` finds the hidden cells the published ones fix.

mod cells;
mod determined;

pub use cells::{Cells, Publication, WITHHELD, pooled_can_be_shown};
pub use determined::determined_cells;

/// `total = Σ parts`, as indices into the cell list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Equation {
    /// The cell holding the sum.
    pub total: usize,
    /// The cells summed.
    pub parts: Vec<usize>,
}

impl Equation {
    fn members(&self) -> impl Iterator<Item = usize> + '_ {
        std::iter::once(self.total).chain(self.parts.iter().copied())
    }
}

/// Which cells to hide: `true` for suppressed.
pub fn suppress(values: &[u64], equations: &[Equation], threshold: u64) -> Vec<bool> {
    suppress_beside_unpublished(values, equations, threshold, &vec![false; values.len()])
}

/// As [`suppress`], where the `unpublished` cells are never shown (a total
/// that no table prints, linking two that do): they start hidden and stay
/// so in the result.
pub fn suppress_beside_unpublished(
    values: &[u64],
    equations: &[Equation],
    threshold: u64,
    unpublished: &[bool],
) -> Vec<bool> {
    let mut hidden: Vec<bool> = values
        .iter()
        .zip(unpublished)
        .map(|(&v, &u)| u || (v > 0 && v < threshold))
        .collect();
    let mut single = SingleHidden::new(equations, &hidden, unpublished);
    loop {
        // An unpublished cell may be worked out (nothing is lost); only a
        // suppressed one must not be.
        while let Some(e) = single.first() {
            let e = &equations[e];
            let pick = cheapest(e, values, &hidden)
                .expect("an equation with one hidden member has others");
            single.hide(pick, &mut hidden, equations, unpublished);
        }
        let determined = determined_cells(equations, &hidden);
        let Some(&cell) = determined.iter().find(|&&c| !unpublished[c]) else {
            return hidden;
        };
        // Widen an equation through the determined cell; if every equation
        // through it is already fully hidden, widen any equation with a
        // published member in its connected system.
        let pick = equations
            .iter()
            .filter(|e| e.members().any(|m| m == cell))
            .filter_map(|e| cheapest(e, values, &hidden))
            .min_by_key(|&m| sort_key(m, values))
            .or_else(|| {
                equations
                    .iter()
                    .filter(|e| e.members().any(|m| hidden[m]))
                    .filter_map(|e| cheapest(e, values, &hidden))
                    .min_by_key(|&m| sort_key(m, values))
            });
        match pick {
            Some(m) => single.hide(m, &mut hidden, equations, unpublished),
            // Nothing left to hide: every cell of every equation is hidden.
            None => return hidden,
        }
    }
}

/// The equations with exactly one hidden member (counted with repeats),
/// that member not an unpublished cell, kept up to date as cells are
/// hidden: step 1 takes the first of them in equation order, and a scan
/// from the start for each hidden cell would be quadratic in a breakdown
/// with tens of thousands of rows.
struct SingleHidden {
    /// Hidden members of each equation, with repeats.
    hidden_members: Vec<usize>,
    /// The equations each cell is a member of (once per occurrence).
    by_cell: Vec<Vec<usize>>,
    /// Equations with exactly one hidden member, which is published.
    ready: std::collections::BTreeSet<usize>,
}

impl SingleHidden {
    fn new(equations: &[Equation], hidden: &[bool], unpublished: &[bool]) -> Self {
        let mut by_cell = vec![Vec::new(); hidden.len()];
        let mut hidden_members = vec![0; equations.len()];
        for (i, e) in equations.iter().enumerate() {
            for m in e.members() {
                by_cell[m].push(i);
                hidden_members[i] += usize::from(hidden[m]);
            }
        }
        let mut single = SingleHidden {
            hidden_members,
            by_cell,
            ready: Default::default(),
        };
        for (i, e) in equations.iter().enumerate() {
            single.update(i, e, hidden, unpublished);
        }
        single
    }

    /// The first equation, in order, with one hidden member.
    fn first(&self) -> Option<usize> {
        self.ready.first().copied()
    }

    /// Hides cell `m` and updates the equations it is a member of.
    fn hide(
        &mut self,
        m: usize,
        hidden: &mut [bool],
        equations: &[Equation],
        unpublished: &[bool],
    ) {
        if hidden[m] {
            return;
        }
        hidden[m] = true;
        for k in 0..self.by_cell[m].len() {
            let i = self.by_cell[m][k];
            self.hidden_members[i] += 1;
            self.update(i, &equations[i], hidden, unpublished);
        }
    }

    fn update(&mut self, i: usize, e: &Equation, hidden: &[bool], unpublished: &[bool]) {
        let ready =
            self.hidden_members[i] == 1 && e.members().any(|m| hidden[m] && !unpublished[m]);
        if ready {
            self.ready.insert(i);
        } else {
            self.ready.remove(&i);
        }
    }
}

/// Smallest non-zero values first, then zeros; ties by position.
fn sort_key(m: usize, values: &[u64]) -> (bool, u64, usize) {
    (values[m] == 0, values[m], m)
}

/// The published member of `e` that is cheapest to hide: a part before the
/// total, then by [`sort_key`].
fn cheapest(e: &Equation, values: &[u64], hidden: &[bool]) -> Option<usize> {
    e.parts
        .iter()
        .copied()
        .filter(|&m| !hidden[m])
        .min_by_key(|&m| sort_key(m, values))
        .or_else(|| (!hidden[e.total]).then_some(e.total))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 2 × 2 table with row and column totals and a grand total:
    /// cells 0..4 inner (r0c0, r0c1, r1c0, r1c1), 4..6 row totals, 6..8
    /// column totals, 8 grand total.
    fn two_by_two(inner: [u64; 4]) -> (Vec<u64>, Vec<Equation>) {
        let [a, b, c, d] = inner;
        let values = vec![a, b, c, d, a + b, c + d, a + c, b + d, a + b + c + d];
        let eq = |total, parts: &[usize]| Equation {
            total,
            parts: parts.to_vec(),
        };
        let equations = vec![
            eq(4, &[0, 1]),
            eq(5, &[2, 3]),
            eq(6, &[0, 2]),
            eq(7, &[1, 3]),
            eq(8, &[4, 5]),
            eq(8, &[6, 7]),
        ];
        (values, equations)
    }

    #[test]
    fn a_lone_small_cell_takes_its_row_and_column_partners_with_it() {
        let (values, equations) = two_by_two([3, 40, 50, 60]);
        let hidden = suppress(&values, &equations, 5);
        // The 3, then 40 (its row) and 50 (its column), then 60 so that
        // neither the second row nor the second column gives them away.
        assert_eq!(&hidden[..4], &[true, true, true, true]);
        assert!(determined_cells(&equations, &hidden).is_empty());
        // With only the primary hidden, the 3 is determined.
        let primary: Vec<bool> = values.iter().map(|&v| v > 0 && v < 5).collect();
        assert_eq!(determined_cells(&equations, &primary), vec![0]);
    }

    #[test]
    fn nothing_small_nothing_hidden() {
        let (values, equations) = two_by_two([30, 40, 0, 60]);
        assert!(suppress(&values, &equations, 5).iter().all(|h| !h));
    }

    #[test]
    fn chained_equations_are_caught_by_the_exact_check() {
        // x + y = 10, y + z = 10, x + z = 10 with x, y, z hidden: each
        // equation has two unknowns, yet the three together fix all three
        // (x = y = z = 5). Cells: 0 x, 1 y, 2 z, 3..6 the published totals.
        let values = vec![5, 5, 5, 10, 10, 10];
        let equations = vec![
            Equation {
                total: 3,
                parts: vec![0, 1],
            },
            Equation {
                total: 4,
                parts: vec![1, 2],
            },
            Equation {
                total: 5,
                parts: vec![0, 2],
            },
        ];
        let forced = vec![true, true, true, false, false, false];
        assert_eq!(determined_cells(&equations, &forced), vec![0, 1, 2]);
        let hidden = suppress(&values, &equations, 6);
        assert!(determined_cells(&equations, &hidden).is_empty());
        assert!(hidden[3..].iter().any(|&h| h), "a total must be hidden too");
    }

    #[test]
    fn an_unpublished_total_still_links_two_tables() {
        // Ethnicity (3, 50, unknown 20) and sex (40, 33) both add up to the
        // 73 scored, which no table prints (cell 5).
        let values = vec![3, 50, 20, 40, 33, 73];
        let equations = vec![
            Equation {
                total: 5,
                parts: vec![0, 1, 2],
            },
            Equation {
                total: 5,
                parts: vec![3, 4],
            },
        ];
        let unpublished = vec![false, false, false, false, false, true];
        let hidden = suppress_beside_unpublished(&values, &equations, 5, &unpublished);
        assert!(hidden[0] && hidden[5]);
        assert!(
            hidden[1] || hidden[2],
            "the 3 is 73 − 50 − 20 unless one more is hidden"
        );
        let determined = determined_cells(&equations, &hidden);
        assert!(!determined.contains(&0));
        // Nothing small: only the unpublished total is hidden.
        let values = vec![30, 50, 20, 67, 33, 100];
        let hidden = suppress_beside_unpublished(&values, &equations, 5, &unpublished);
        assert_eq!(hidden, unpublished);
    }

    /// Brute force: every 2 × 2 table of non-negative integers (inner
    /// cells up to `bound`) that agrees with every published cell.
    fn completions(values: &[u64], hidden: &[bool], bound: u64) -> Vec<Vec<u64>> {
        let range = |i: usize| {
            if hidden[i] {
                0..=bound
            } else {
                values[i]..=values[i]
            }
        };
        let mut out = Vec::new();
        // The inner cells fix the rest; check the published ones.
        for a in range(0) {
            for b in range(1) {
                for c in range(2) {
                    for d in range(3) {
                        let (all, _) = two_by_two([a, b, c, d]);
                        if (0..all.len()).all(|i| hidden[i] || all[i] == values[i]) {
                            out.push(all);
                        }
                    }
                }
            }
        }
        out
    }

    #[test]
    fn no_small_count_has_a_single_possible_value_in_small_tables() {
        // Every 2 × 2 table with cells in 0..=5 and threshold 3.
        for code in 0..6u64.pow(4) {
            let inner = [code % 6, code / 6 % 6, code / 36 % 6, code / 216 % 6];
            let bound = inner.iter().sum::<u64>() + 4;
            let (values, equations) = two_by_two(inner);
            let hidden = suppress(&values, &equations, 3);
            for (i, v) in values.iter().enumerate() {
                if *v > 0 && *v < 3 {
                    assert!(hidden[i], "primary cell {i} of {inner:?} shown");
                }
            }
            if !hidden.iter().any(|&h| h) {
                continue;
            }
            // No inner cell exceeds the grand total; when that is hidden
            // too, allow a margin above the true one.
            let all = completions(&values, &hidden, if hidden[8] { bound } else { values[8] });
            assert!(!all.is_empty());
            // Linear algebra cannot use non-negativity, but an attacker can
            // (a published zero total makes its hidden parts zero), so check
            // the small counts against every integer completion.
            for i in (0..values.len()).filter(|&i| values[i] > 0 && values[i] < 3) {
                let first = all[0][i];
                assert!(
                    all.iter().any(|c| c[i] != first),
                    "cell {i} of {inner:?} is recoverable: always {first}"
                );
            }
        }
    }
}
