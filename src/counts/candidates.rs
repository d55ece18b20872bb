//! The candidate check's count: candidates whose applications carry
//! different labels, from one row per application (the candidate's hash,
//! the label's code).
//!
//! polars grouped the rows by candidate in one table of every candidate
//! (7.7 million in a 10M national extract), far larger than the cache.
//! Here the rows are first dealt into partitions by the top bits of the
//! candidate's hash, then each partition's candidates are put together in
//! a table small enough to stay in the cache.

use polars::prelude::*;

/// Partitions by the top bits of the hash: 10M applications give about
/// 40,000 candidates a partition.
const PARTITION_BITS: u32 = 8;

/// The candidates among `rows` of (candidate, label) with at least two
/// different labels. `rows` is gone through twice: once to size the
/// partitions, once to deal the rows into them.
pub(crate) fn differing_candidates<I>(rows: impl Fn() -> I) -> u64
where
    I: Iterator<Item = (u64, u32)>,
{
    let partition = |c: u64| (c >> (64 - PARTITION_BITS)) as usize;
    let mut start = vec![0usize; (1 << PARTITION_BITS) + 1];
    for (c, _) in rows() {
        start[partition(c) + 1] += 1;
    }
    for p in 1..start.len() {
        start[p] += start[p - 1];
    }
    let mut next = start.clone();
    let total = start[start.len() - 1];
    let (mut candidates, mut labels) = (vec![0u64; total], vec![0u32; total]);
    for (c, l) in rows() {
        let at = &mut next[partition(c)];
        candidates[*at] = c;
        labels[*at] = l;
        *at += 1;
    }
    // The partitions counted in two halves, on two threads (polars waits
    // while the check runs).
    let count = |bounds: &[usize]| {
        // Each candidate's first label, and whether another differed.
        let mut seen: PlHashMap<u64, (u32, bool)> = PlHashMap::new();
        let mut differing = 0;
        for p in bounds.windows(2) {
            seen.clear();
            for (&c, &l) in candidates[p[0]..p[1]].iter().zip(&labels[p[0]..p[1]]) {
                let (first, differs) = seen.entry(c).or_insert((l, false));
                if !*differs && *first != l {
                    *differs = true;
                    differing += 1;
                }
            }
        }
        differing
    };
    // The halves share the bound between them.
    let middle = start.len() / 2;
    let (first, second) = (&start[..=middle], &start[middle..]);
    std::thread::scope(|scope| {
        let other = scope.spawn(|| count(second));
        count(first) + other.join().expect("counting half the candidates")
    })
}

/// [`differing_candidates`] of a frame with the columns `candidate`
/// (UInt64) and `label` (UInt32, or a categorical's codes), as a frame of
/// one row, `n`. Rows missing either are left out: a missing label
/// differs from none.
pub(crate) fn count_frame(df: DataFrame) -> PolarsResult<DataFrame> {
    let candidate = df.column("candidate")?.u64()?;
    let label = super::text_codes::codes(df.column("label")?)?;
    let n = differing_candidates(|| {
        candidate
            .iter()
            .zip(label.iter())
            .filter_map(|(c, l)| Some((c?, l?)))
    });
    DataFrame::new_infer_height(vec![Column::new("n".into(), [n])])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Counted against the definition, candidate by candidate, over hashes
    /// spread across every partition: a candidate counts once however
    /// many labels it has; missing labels and candidates are left out.
    #[test]
    fn candidates_with_two_labels_are_counted_once() {
        let mut candidate = Vec::new();
        let mut label = Vec::new();
        let mut expected = 0;
        for i in 0..5_000u64 {
            let hash = i.wrapping_mul(0x9E37_79B9_7F4A_7C15);
            // Candidate i has i % 4 + 1 applications; every seventh has a
            // second label on its last (and some a third before it), every
            // fifth a missing one first.
            let applications = i % 4 + 1;
            let differs = i % 7 == 0 && applications > 1;
            for a in 0..applications {
                candidate.push(Some(hash));
                label.push(match a {
                    0 if i % 5 == 0 => None,
                    a if differs && a == applications - 1 => Some(2),
                    // A third label for some: still one candidate.
                    a if differs && i % 3 == 0 && a > 0 && a == applications - 2 => Some(4),
                    _ => Some(1),
                });
            }
            // A first-application missing label leaves one labelled
            // application for a two-application candidate: still 1 then 2.
            if differs && !(i % 5 == 0 && applications == 2) {
                expected += 1;
            }
            candidate.push(None);
            label.push(Some(3));
        }
        assert!(expected > 100);
        let count = |candidate: Vec<Option<u64>>, label: Vec<Option<u32>>| {
            let df = DataFrame::new_infer_height(vec![
                Column::new("candidate".into(), candidate),
                Column::new("label".into(), label),
            ])
            .unwrap();
            count_frame(df)
                .unwrap()
                .column("n")
                .unwrap()
                .u64()
                .unwrap()
                .get(0)
        };
        assert_eq!(count(candidate.clone(), label.clone()), Some(expected));
        // Order does not matter.
        candidate.reverse();
        label.reverse();
        assert_eq!(count(candidate, label), Some(expected));
    }
}
