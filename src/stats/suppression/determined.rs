//! Which hidden cells the published ones fix: a hidden cell is determined
//! when its unit vector lies in the row space of the equations restricted to
//! the hidden cells, found by a sparse reduced row echelon form per
//! connected group of hidden cells.

use super::Equation;

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
