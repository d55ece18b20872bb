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

/// Hidden cells whose value the published cells and the equations fix
/// exactly. Works per connected group of hidden cells, by reduced row
/// echelon form of the equations' coefficients on the hidden cells (the
/// published cells only move the right-hand side, which does not matter for
/// whether a solution is unique).
pub fn determined_cells(equations: &[Equation], hidden: &[bool]) -> Vec<usize> {
    let unknowns: Vec<usize> = (0..hidden.len()).filter(|&i| hidden[i]).collect();
    if unknowns.is_empty() {
        return Vec::new();
    }
    let column: std::collections::HashMap<usize, usize> =
        unknowns.iter().enumerate().map(|(c, &i)| (i, c)).collect();
    // Rows: each equation's coefficients on the hidden cells.
    let rows: Vec<Vec<(usize, f64)>> = equations
        .iter()
        .map(|e| {
            let mut row: Vec<(usize, f64)> = Vec::new();
            let mut add = |cell: usize, coef: f64| {
                if let Some(&c) = column.get(&cell) {
                    match row.iter_mut().find(|(k, _)| *k == c) {
                        Some(entry) => entry.1 += coef,
                        None => row.push((c, coef)),
                    }
                }
            };
            add(e.total, -1.0);
            for &p in &e.parts {
                add(p, 1.0);
            }
            row.retain(|(_, v)| *v != 0.0);
            row
        })
        .filter(|r| !r.is_empty())
        .collect();
    // Connected components of hidden cells (union-find over rows).
    let mut parent: Vec<usize> = (0..unknowns.len()).collect();
    fn find(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    for r in &rows {
        let first = find(&mut parent, r[0].0);
        for &(c, _) in &r[1..] {
            let root = find(&mut parent, c);
            parent[root] = first;
        }
    }
    let mut components: std::collections::BTreeMap<usize, (Vec<usize>, Vec<usize>)> =
        std::collections::BTreeMap::new();
    for c in 0..unknowns.len() {
        let root = find(&mut parent, c);
        components.entry(root).or_default().0.push(c);
    }
    for (ri, r) in rows.iter().enumerate() {
        let root = find(&mut parent, r[0].0);
        components.entry(root).or_default().1.push(ri);
    }
    let mut determined = Vec::new();
    for (cols, row_ids) in components.values() {
        if row_ids.is_empty() {
            continue;
        }
        let local: std::collections::HashMap<usize, usize> =
            cols.iter().enumerate().map(|(l, &c)| (c, l)).collect();
        let m: Vec<SparseRow> = row_ids
            .iter()
            .map(|&ri| {
                let mut row: SparseRow = rows[ri].iter().map(|&(c, v)| (local[&c], v)).collect();
                row.sort_unstable_by_key(|&(c, _)| c);
                row
            })
            .collect();
        for l in rref(m, cols.len()) {
            determined.push(unknowns[cols[l]]);
        }
    }
    determined.sort_unstable();
    determined
}

/// A matrix row as (column, value) pairs in column order, zeros left out.
type SparseRow = Vec<(usize, f64)>;

/// Reduces the rows `m` over `cols` columns to reduced row echelon form and
/// returns the columns fixed on their own: pivot columns whose row has no
/// other entry, in column order.
///
/// Sparse, with a fill-reducing pivot order: a breakdown with thousands of
/// rows gives thousands of equations on thousands of hidden cells, a few
/// entries each, plus a few long ones (a whole-dataset count as the sum of
/// its rows). As a dense matrix that takes gigabytes; eliminated column by
/// column, the long rows fill every other row in. So the shortest row is
/// pivoted first, on its entry whose column is in the fewest rows (among
/// entries at least a tenth of the row's largest, for stability). Which
/// columns are fixed does not depend on the order: a column is fixed when
/// its unit vector is in the row space, and in any reduced form that is
/// exactly when its pivot row has no other entry.
fn rref(rows: Vec<SparseRow>, cols: usize) -> Vec<usize> {
    use std::cmp::Reverse;
    use std::collections::{BTreeMap, BinaryHeap};
    const EPS: f64 = 1e-9;
    // Ordered maps: reducing a long row by a short pivot row touches only
    // the short row's columns.
    let mut m: Vec<BTreeMap<usize, f64>> =
        rows.into_iter().map(|r| r.into_iter().collect()).collect();
    // Row ids holding each column (may hold stale ids; values are checked).
    let mut holders: Vec<Vec<usize>> = vec![Vec::new(); cols];
    for (id, row) in m.iter().enumerate() {
        for &c in row.keys() {
            holders[c].push(id);
        }
    }
    // Rows not yet pivoted, shortest first; an entry whose length is stale
    // is skipped (the row was pushed again with its new length).
    let mut queue: BinaryHeap<Reverse<(usize, usize)>> = m
        .iter()
        .enumerate()
        .map(|(id, row)| Reverse((row.len(), id)))
        .collect();
    let mut pivoted = vec![false; m.len()];
    let mut pivots: Vec<(usize, usize)> = Vec::new();
    while let Some(Reverse((length, best))) = queue.pop() {
        if pivoted[best] || length != m[best].len() {
            continue;
        }
        let largest = m[best].values().map(|v| v.abs()).fold(0.0, f64::max);
        let Some(c) = m[best]
            .iter()
            .filter(|&(_, v)| v.abs() > EPS && v.abs() >= largest / 10.0)
            .min_by_key(|&(&c, _)| (holders[c].len(), c))
            .map(|(&c, _)| c)
        else {
            // Nothing above rounding left in this row.
            continue;
        };
        pivoted[best] = true;
        let p = m[best][&c];
        for v in m[best].values_mut() {
            *v /= p;
        }
        let pivot_row: Vec<(usize, f64)> = m[best].iter().map(|(&j, &v)| (j, v)).collect();
        let mut with_c: Vec<usize> = std::mem::take(&mut holders[c])
            .into_iter()
            .filter(|&id| id != best && m[id].get(&c).is_some_and(|v| v.abs() > EPS))
            .collect();
        with_c.sort_unstable();
        with_c.dedup();
        for &id in &with_c {
            let f = m[id][&c];
            let row = &mut m[id];
            for &(j, pv) in &pivot_row {
                let entry = row.entry(j).or_insert_with(|| {
                    holders[j].push(id);
                    0.0
                });
                *entry -= f * pv;
                if *entry == 0.0 {
                    row.remove(&j);
                }
            }
            if !pivoted[id] {
                queue.push(Reverse((row.len(), id)));
            }
        }
        // Column c is now only in its pivot row (and, below EPS, in rows
        // that were not reduced by it, as in a dense reduction).
        holders[c] = vec![best];
        pivots.push((best, c));
    }
    let mut fixed: Vec<usize> = pivots
        .into_iter()
        .filter(|&(id, c)| m[id].iter().all(|(&j, v)| j == c || v.abs() <= EPS))
        .map(|(_, c)| c)
        .collect();
    fixed.sort_unstable();
    fixed
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
    /// The dense reduction this module used before it went sparse, kept as
    /// the reference the sparse one must agree with exactly.
    fn dense_rref(m: &mut [Vec<f64>]) -> Vec<usize> {
        const EPS: f64 = 1e-9;
        let (rows, cols) = (m.len(), m.first().map_or(0, Vec::len));
        let mut pivots: Vec<(usize, usize)> = Vec::new();
        let mut r = 0;
        for c in 0..cols {
            if r == rows {
                break;
            }
            let Some(best) = (r..rows)
                .filter(|&i| m[i][c].abs() > EPS)
                .max_by(|&a, &b| m[a][c].abs().total_cmp(&m[b][c].abs()))
            else {
                continue;
            };
            m.swap(r, best);
            let p = m[r][c];
            for v in m[r].iter_mut() {
                *v /= p;
            }
            let pivot_row = m[r].clone();
            for (i, row) in m.iter_mut().enumerate() {
                if i != r && row[c].abs() > EPS {
                    let f = row[c];
                    for (v, pv) in row.iter_mut().zip(&pivot_row) {
                        *v -= f * pv;
                    }
                }
            }
            pivots.push((r, c));
            r += 1;
        }
        pivots
            .into_iter()
            .filter(|&(r, c)| {
                m[r].iter()
                    .enumerate()
                    .all(|(j, v)| j == c || v.abs() <= EPS)
            })
            .map(|(_, c)| c)
            .collect()
    }

    /// Determined columns of random sparse systems shaped like the
    /// published ones (short rows, a few long ones, ±1 coefficients, some
    /// repeated), by the sparse and the dense reduction.
    #[test]
    fn the_sparse_reduction_agrees_with_the_dense_one() {
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        let mut with_determined = 0;
        for _ in 0..400 {
            let cols = 1 + next(40) as usize;
            let rows = 1 + next(30) as usize;
            let m: Vec<SparseRow> = (0..rows)
                .map(|_| {
                    let len = if next(5) == 0 {
                        cols
                    } else {
                        1 + next(4) as usize
                    };
                    let mut row: std::collections::BTreeMap<usize, f64> = Default::default();
                    for _ in 0..len {
                        let c = next(cols as u64) as usize;
                        *row.entry(c).or_default() += if next(2) == 0 { 1.0 } else { -1.0 };
                    }
                    row.into_iter().filter(|&(_, v)| v != 0.0).collect()
                })
                .filter(|r: &SparseRow| !r.is_empty())
                .collect();
            let mut dense: Vec<Vec<f64>> = m
                .iter()
                .map(|r| {
                    let mut d = vec![0.0; cols];
                    for &(c, v) in r {
                        d[c] = v;
                    }
                    d
                })
                .collect();
            let mut expected = dense_rref(&mut dense);
            expected.sort_unstable();
            with_determined += usize::from(!expected.is_empty());
            assert_eq!(rref(m.clone(), cols), expected, "{m:?}");
        }
        // Both kinds of system were tried.
        assert!((40..=380).contains(&with_determined), "{with_determined}");
    }
}
