//! The slices' results added up as each slice ends, in running sums of
//! rung's own where a query's keys are numbers.
//!
//! polars adds two slices' results by stacking them and grouping the stack
//! again: every slice regroups the whole running sum, so the adding grows
//! with the slices times the sum's rows. Here each slice's rows are looked
//! up in a hash table of the cells so far and added in place: the work is
//! the slice's rows, whatever the sum has grown to. At 10M national
//! applications (9 slices) that is no faster: the funnel cells' 0.23M rows
//! a slice take 60–70 ms and the differentials' 0.5M rows 80–110 ms on
//! one core, about what polars took for both on two (0.18 s a slice). At
//! 50M (41 slices, millions of differentials) the audit went from 122 to
//! 117 s (benches/RESULTS.md, eighth round). Dealt into partitions that
//! stay in the cache (see [`RunningSums`]), the 10M audit's adding took
//! 0.85–1.04 s in all against 1.13–1.77.
//!
//! Only keys whose values are numbers (booleans, integers, categoricals'
//! codes) are held so; text keys keep polars' way. Sums are added in the
//! order the slices come, as polars adds them (the running sum plus the
//! slice's), so float sums keep their bits.

use hashbrown::HashTable;
use polars::prelude::*;

/// One query's running sum.
pub(super) enum Total {
    /// Added by polars, as [`super::plan::add_slices`] does.
    Frame(DataFrame),
    /// Added here.
    Sums(RunningSums),
}

impl Total {
    /// The running sum as a frame.
    pub(super) fn into_frame(self) -> PolarsResult<DataFrame> {
        match self {
            Total::Frame(frame) => Ok(frame),
            Total::Sums(sums) => sums.into_frame(),
        }
    }
}

/// Cells keyed by the numbers of their key columns, with their sums,
/// dealt into partitions by the top bits of their key's hash.
///
/// A cell's key (and null bits) and its sums are each one record in one
/// vector: a look-up touches the table, the key and the sums, three
/// places in memory, not one per column. A slice's rows are dealt into
/// the partitions first and added a partition at a time, so the places a
/// look-up touches are a partition's, small enough to stay in the cache:
/// by the last of the 10M national audit's slices the funnel's cells are
/// 0.43M and the differentials' 1.07M (more at 50M), and one table of
/// them cost about 200 ns a row (misses in the cache, one after another).
pub(super) struct RunningSums {
    /// The first slice's result, emptied: the columns' names and types.
    template: DataFrame,
    keys: Vec<usize>,
    sums: Vec<usize>,
    /// Which sums are Float64 (held as their bits), the others UInt64.
    floats: Vec<bool>,
    /// The partitions: a power of two of them.
    parts: Vec<Cells>,
}

/// One partition's cells, in blocks of [`BLOCK`] cells that are filled
/// and never moved: a partition's vectors grown and shrunk as slices
/// added cells left the memory they moved from to the allocator, which
/// kept it, and the 10M audit's resident memory grew 150 MB by its last
/// slice.
#[derive(Default)]
struct Cells {
    /// Each cell's key words (a null is `NULL_WORD`) and then its null
    /// keys, one bit per key column: `keys.len() + 1` words a cell.
    records: Vec<Vec<u32>>,
    /// Each cell's sums, `sums.len()` a cell.
    totals: Vec<Vec<u64>>,
    /// How many cells.
    len: usize,
    /// Cell numbers by the hash of their key.
    table: HashTable<u32>,
}

/// Cells to a block: a block's records and sums are a few kilobytes each.
const BLOCK: usize = 256;

/// About this many rows of the first slice to a partition (the cells grow
/// as slices add new ones; the partitions do not).
const ROWS_A_PARTITION: usize = 1024;

/// At most this many partitions: dealing into more write streams than
/// this thrashes the TLB.
const MAX_PARTITIONS: usize = 1024;

const NULL_WORD: u32 = 0;

/// A key column's values as 32-bit words, if they are numbers that fit:
/// booleans, integers of up to 32 bits and categoricals' codes, and 64-bit
/// integers within the 32-bit range (signed ones keep their bits, so a
/// cell's key is a few words).
fn words_of(column: &Column) -> Option<Vec<Option<u32>>> {
    let physical = column.to_physical_repr();
    let values: Vec<Option<u32>> = match physical.dtype() {
        DataType::Boolean => physical
            .bool()
            .ok()?
            .iter()
            .map(|v| v.map(u32::from))
            .collect(),
        DataType::UInt8 | DataType::UInt16 | DataType::UInt32 | DataType::UInt64 => physical
            .cast(&DataType::UInt64)
            .ok()?
            .u64()
            .ok()?
            .iter()
            .map(|v| v.map(u32::try_from).transpose().ok())
            .collect::<Option<_>>()?,
        DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::Int64 => physical
            .cast(&DataType::Int64)
            .ok()?
            .i64()
            .ok()?
            .iter()
            .map(|v| {
                v.map(|v| i32::try_from(v).map(|v| v as u32))
                    .transpose()
                    .ok()
            })
            .collect::<Option<_>>()?,
        _ => return None,
    };
    Some(values)
}

/// Whether `column` is a key of a sum by `keys`, or, without them, of a
/// sum of the UInt64 columns (counts) by all the others.
pub(super) fn is_key(keys: Option<&[String]>, column: &Column) -> bool {
    match keys {
        Some(names) => names.iter().any(|n| n.as_str() == column.name().as_str()),
        None => column.dtype() != &DataType::UInt64,
    }
}

/// Splits `df`'s columns into keys and sums: the keys `keys` names, or
/// else every column but the UInt64 ones. `None` when a sum is not UInt64
/// or Float64 or has nulls, or there are more than 32 keys (one null bit
/// each in a word); keys that are not numbers are found by [`words_of`].
fn layout(df: &DataFrame, keys: Option<&[String]>) -> Option<(Vec<usize>, Vec<usize>)> {
    let (mut key_columns, mut sums) = (Vec::new(), Vec::new());
    for (i, c) in df.columns().iter().enumerate() {
        if is_key(keys, c) {
            key_columns.push(i);
        } else if matches!(c.dtype(), DataType::UInt64 | DataType::Float64) && c.null_count() == 0 {
            sums.push(i);
        } else {
            return None;
        }
    }
    (key_columns.len() <= 32).then_some((key_columns, sums))
}

/// The hash of a cell's record (key words and null bits).
fn hash_words(words: &[u32]) -> u64 {
    let mut h = 0u64;
    for &w in words {
        h = (h ^ u64::from(w))
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .rotate_left(29);
    }
    h ^ (h >> 32)
}

impl RunningSums {
    /// The running sum of one slice's result `df`, if its keys are numbers
    /// (see [`layout`]).
    pub(super) fn start(df: &DataFrame, keys: Option<&[String]>) -> Option<RunningSums> {
        let (keys, sums) = layout(df, keys)?;
        let floats = sums
            .iter()
            .map(|&i| df.columns()[i].dtype() == &DataType::Float64)
            .collect();
        let parts = (df.height() / ROWS_A_PARTITION)
            .next_power_of_two()
            .min(MAX_PARTITIONS);
        let mut total = RunningSums {
            template: df.clear(),
            keys,
            sums,
            floats,
            parts: (0..parts).map(|_| Cells::default()).collect(),
        };
        total.add(df).then_some(total)
    }

    /// Adds one slice's result; false (and nothing added) when its columns
    /// are not those of the first slice, a sum has nulls, or a key does
    /// not fit a word.
    pub(super) fn add(&mut self, df: &DataFrame) -> bool {
        // The same columns, so the same keys and sums as the first slice's
        // `layout`; only the values can stop fitting.
        if df.schema() != self.template.schema()
            || self.sums.iter().any(|&i| df.columns()[i].null_count() > 0)
        {
            return false;
        }
        let Some(key_words) = self
            .keys
            .iter()
            .map(|&i| words_of(&df.columns()[i]))
            .collect::<Option<Vec<_>>>()
        else {
            return false;
        };
        // Each sum column as 64-bit words: counts as they are, floats as
        // their bits.
        let Some(values) = self
            .sums
            .iter()
            .map(|&i| match df.columns()[i].dtype() {
                DataType::Float64 => df.columns()[i]
                    .f64()
                    .ok()
                    .map(|c| c.into_no_null_iter().map(f64::to_bits).collect()),
                _ => df.columns()[i]
                    .u64()
                    .ok()
                    .map(|c| c.into_no_null_iter().collect::<Vec<u64>>()),
            })
            .collect::<Option<Vec<Vec<u64>>>>()
        else {
            return false;
        };
        let dealt = Dealt::deal(&key_words, &values, df.height(), self.parts.len());
        let (width, n_sums) = (self.keys.len() + 1, self.sums.len());
        for (p, cells) in self.parts.iter_mut().enumerate() {
            for row in dealt.starts[p]..dealt.starts[p + 1] {
                let record = &dealt.records[row * width..(row + 1) * width];
                let values = &dealt.values[row * n_sums..(row + 1) * n_sums];
                cells.add(dealt.hashes[row], record, values, &self.floats);
            }
        }
        true
    }

    /// The cells as a frame of the first slice's columns: partition by
    /// partition, each in the order its cells were first seen.
    pub(super) fn into_frame(mut self) -> PolarsResult<DataFrame> {
        // The tables first: only the records are read from here on.
        for part in &mut self.parts {
            part.table = HashTable::new();
        }
        let width = self.keys.len() + 1;
        let n_sums = self.sums.len();
        let records = || {
            self.parts
                .iter()
                .flat_map(|p| p.records.iter().flat_map(|b| b.chunks_exact(width)))
        };
        let totals = || {
            self.parts
                .iter()
                .flat_map(|p| p.totals.iter().flat_map(|b| b.chunks_exact(n_sums)))
        };
        let cells = self.parts.iter().map(|p| p.len).sum();
        let mut columns: Vec<Column> = Vec::with_capacity(self.template.width());
        for (i, c) in self.template.columns().iter().enumerate() {
            let name = c.name().clone();
            if let Some(k) = self.keys.iter().position(|&key| key == i) {
                let words: Vec<Option<u32>> = records()
                    .map(|r| (r[width - 1] & (1 << k) == 0).then_some(r[k]))
                    .collect();
                columns.push(key_column(name, c.dtype(), &words)?);
            } else {
                let s = self.sums.iter().position(|&sum| sum == i).expect("a sum");
                let values = totals().map(|t| t[s]);
                columns.push(match self.floats[s] {
                    true => Column::new(name, values.map(f64::from_bits).collect::<Vec<_>>()),
                    false => Column::new(name, values.collect::<Vec<_>>()),
                });
            }
        }
        DataFrame::new(cells, columns)
    }
}

impl Cells {
    /// Cell `cell`'s key record, of `width` words.
    fn record(&self, cell: usize, width: usize) -> &[u32] {
        let at = (cell % BLOCK) * width;
        &self.records[cell / BLOCK][at..at + width]
    }

    /// Adds one row, of key `record` (its `hash_words` is `hash`) and sums
    /// `values`, to its cell, a new one if it has none.
    fn add(&mut self, hash: u64, record: &[u32], values: &[u64], floats: &[bool]) {
        let (width, n_sums) = (record.len(), values.len());
        let hash = in_partition(hash);
        let found = self.table.find(hash, |&cell| {
            same(self.record(cell as usize, width), record)
        });
        match found {
            Some(&cell) => {
                let (cell, at) = (cell as usize, (cell as usize % BLOCK) * n_sums);
                let totals = &mut self.totals[cell / BLOCK][at..at + n_sums];
                for ((total, &value), &float) in totals.iter_mut().zip(values).zip(floats) {
                    *total = match float {
                        true => (f64::from_bits(*total) + f64::from_bits(value)).to_bits(),
                        false => *total + value,
                    };
                }
            }
            None => {
                if self.len.is_multiple_of(BLOCK) {
                    self.records.push(Vec::with_capacity(BLOCK * width));
                    self.totals.push(Vec::with_capacity(BLOCK * n_sums));
                }
                let block = self.len / BLOCK;
                self.records[block].extend_from_slice(record);
                self.totals[block].extend_from_slice(values);
                let cell = self.len as u32;
                self.len += 1;
                let (records, table) = (&self.records, &mut self.table);
                table.insert_unique(hash, cell, |&c| {
                    let at = (c as usize % BLOCK) * width;
                    in_partition(hash_words(&records[c as usize / BLOCK][at..at + width]))
                });
            }
        }
    }
}

/// The hash a partition's table files a cell by. The partition is the
/// hash's top bits, which the table would read too (hashbrown tags each
/// slot with the top seven): turned so they are the middle bits, which
/// neither reads.
fn in_partition(hash: u64) -> u64 {
    hash.rotate_left(32)
}

/// Whether two records are the same words: compared in a loop (a record
/// is a few words; `==` on slices calls `memcmp`, a tenth of the adding's
/// time).
fn same(a: &[u32], b: &[u32]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

/// One slice's rows dealt into partitions: each row's record (see
/// [`Cells`]), its sums and its hash, partition after partition, rows in
/// their order within each.
struct Dealt {
    records: Vec<u32>,
    values: Vec<u64>,
    hashes: Vec<u64>,
    /// Where each partition's rows start, and the end.
    starts: Vec<usize>,
}

impl Dealt {
    /// Deals the `height` rows of `key_words` (a column's words each) and
    /// `values` (a sum's each) into `parts` partitions, by the top bits of
    /// their hash.
    fn deal(
        key_words: &[Vec<Option<u32>>],
        values: &[Vec<u64>],
        height: usize,
        parts: usize,
    ) -> Dealt {
        let width = key_words.len() + 1;
        let bits = parts.trailing_zeros();
        let part_of = |hash: u64| match bits {
            0 => 0,
            _ => (hash >> (64 - bits)) as usize,
        };
        // The records in the rows' order, and the partitions' sizes.
        let mut records = vec![0u32; height * width];
        let mut hashes = Vec::with_capacity(height);
        let mut starts = vec![0usize; parts + 1];
        for (row, record) in records.chunks_exact_mut(width).enumerate() {
            let mut nulls = 0u32;
            for (k, column) in key_words.iter().enumerate() {
                record[k] = match column[row] {
                    Some(w) => w,
                    None => {
                        nulls |= 1 << k;
                        NULL_WORD
                    }
                };
            }
            record[width - 1] = nulls;
            let hash = hash_words(record);
            hashes.push(hash);
            starts[part_of(hash) + 1] += 1;
        }
        for p in 0..parts {
            starts[p + 1] += starts[p];
        }
        // Then moved to their partitions' places.
        let n_sums = values.len();
        let mut dealt = Dealt {
            records: vec![0u32; height * width],
            values: vec![0u64; height * n_sums],
            hashes: vec![0u64; height],
            starts,
        };
        let mut next = dealt.starts.clone();
        for (row, &hash) in hashes.iter().enumerate() {
            let p = part_of(hash);
            let to = next[p];
            next[p] += 1;
            dealt.records[to * width..(to + 1) * width]
                .copy_from_slice(&records[row * width..(row + 1) * width]);
            for (s, column) in values.iter().enumerate() {
                dealt.values[to * n_sums + s] = column[row];
            }
            dealt.hashes[to] = hash;
        }
        dealt
    }
}

/// A key column of type `dtype` from its words (see [`words_of`]).
fn key_column(name: PlSmallStr, dtype: &DataType, words: &[Option<u32>]) -> PolarsResult<Column> {
    let physical = dtype.to_physical();
    let series = match physical {
        DataType::Boolean => Series::new(
            name,
            words.iter().map(|w| w.map(|w| w != 0)).collect::<Vec<_>>(),
        ),
        DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::Int64 => Series::new(
            name,
            words
                .iter()
                .map(|w| w.map(|w| i64::from(w as i32)))
                .collect::<Vec<_>>(),
        )
        .cast(&physical)?,
        _ => Series::new(
            name,
            words.iter().map(|w| w.map(u64::from)).collect::<Vec<_>>(),
        )
        .cast(&physical)?,
    };
    let series = match dtype {
        DataType::Categorical(..) | DataType::Enum(..) => {
            Series::from_cats_and_dtype(&series, dtype, true)?
        }
        _ if dtype != &physical => series.cast(dtype)?,
        _ => series,
    };
    Ok(series.into_column())
}

#[cfg(test)]
mod tests {
    use super::super::plan::{Combine, add_slices};
    use super::*;

    fn label(values: &[Option<&str>]) -> Column {
        Column::new("label".into(), values)
            .cast(&DataType::from_categories(Categories::global()))
            .unwrap()
    }

    /// A slice's result: keys (flag, label, stage, scorers) and sums.
    fn slice(
        flag: &[bool],
        labels: &[Option<&str>],
        stage: &[Option<i32>],
        scorers: &[u64],
        n: &[u64],
        sum_e: &[f64],
    ) -> DataFrame {
        DataFrame::new_infer_height(vec![
            Column::new("flag".into(), flag),
            label(labels),
            Column::new("stage".into(), stage),
            Column::new("scorers".into(), scorers),
            Column::new("n".into(), n),
            Column::new("sum_e".into(), sum_e),
        ])
        .unwrap()
    }

    fn slices() -> Vec<DataFrame> {
        vec![
            slice(
                &[true, true, false, true],
                &[Some("White"), Some("Asian"), Some("White"), None],
                &[Some(1), Some(1), Some(2), None],
                &[2, 3, 2, 2],
                &[1, 2, 3, 4],
                &[0.5, -1.25, 2.0, 0.1],
            ),
            slice(
                &[true, true, true],
                &[Some("Asian"), None, Some("Black")],
                &[Some(1), None, Some(-3)],
                &[3, 2, 2],
                &[10, 20, 30],
                &[0.25, 0.2, 1.5],
            ),
            // A stage 0 beside the null stage: two cells.
            slice(
                &[false, true, true],
                &[Some("White"), Some("Asian"), None],
                &[Some(2), Some(1), Some(0)],
                &[2, 4, 2],
                &[100, 200, 300],
                &[-2.0, 3.0, 0.5],
            ),
        ]
    }

    const KEYS: [&str; 4] = ["flag", "label", "stage", "scorers"];

    /// Rows as text, sorted, to compare frames whatever their row order.
    fn rows(df: &DataFrame) -> Vec<String> {
        let mut out: Vec<String> = (0..df.height())
            .map(|i| format!("{:?}", df.get_row(i).unwrap().0))
            .collect();
        out.sort();
        out
    }

    /// `out` and `expected` hold the same rows, in any order.
    fn assert_same_rows(out: &DataFrame, expected: &DataFrame) {
        let names = out.get_column_names().into_iter().cloned();
        assert_eq!(rows(out), rows(&expected.select(names).unwrap()));
    }

    fn stacked(frames: &[DataFrame]) -> DataFrame {
        let mut stacked = frames[0].clone();
        for f in &frames[1..] {
            stacked.vstack_mut(f).unwrap();
        }
        stacked
    }

    /// The slices stacked and grouped once by polars: what adding them up
    /// slice by slice must give.
    fn grouped_once(frames: &[DataFrame]) -> DataFrame {
        stacked(frames)
            .lazy()
            .group_by(KEYS.map(col))
            .agg([col("n").sum(), col("sum_e").sum()])
            .collect()
            .unwrap()
    }

    fn keys() -> Vec<String> {
        KEYS.map(String::from).to_vec()
    }

    /// Cells with the same keys in several slices add up, null keys
    /// included, and the keys come back with their types (a categorical's
    /// text, a negative stage).
    #[test]
    fn running_sums_equal_one_grouping_of_every_slice() {
        let frames = slices();
        let mut sums = RunningSums::start(&frames[0], Some(&keys())).expect("numeric keys");
        for f in &frames[1..] {
            assert!(sums.add(f));
        }
        let out = sums.into_frame().unwrap();
        assert_eq!(out.schema(), frames[0].schema());
        let expected = grouped_once(&frames);
        assert_eq!(out.height(), 7);
        assert_same_rows(&out, &expected);
    }

    /// Slices large enough to be dealt into many partitions, with keys
    /// that repeat within and across slices (nulls and negative numbers
    /// among them), add up as one grouping of them all.
    #[test]
    fn many_partitions_add_up_as_one_grouping() {
        // A generator of numbers (64-bit LCG, Knuth's MMIX constants).
        let mut state = 7u64;
        let mut next = move |below: u64| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 33) % below
        };
        let labels = [Some("White"), Some("Asian"), Some("Black"), None];
        let mut frames = Vec::new();
        for _ in 0..3 {
            let rows = 6000;
            let (mut flag, mut label, mut stage, mut scorers, mut n, mut sum_e) =
                (vec![], vec![], vec![], vec![], vec![], vec![]);
            for _ in 0..rows {
                flag.push(next(2) == 0);
                label.push(labels[next(4) as usize]);
                stage.push(match next(50) {
                    0 => None,
                    s => Some(s as i32 - 25),
                });
                scorers.push(next(40));
                n.push(next(1000));
                sum_e.push(next(64) as f64 / 8.0 - 4.0);
            }
            frames.push(slice(&flag, &label, &stage, &scorers, &n, &sum_e));
        }
        let mut sums = RunningSums::start(&frames[0], Some(&keys())).expect("numeric keys");
        assert!(sums.parts.len() > 1, "{} partitions", sums.parts.len());
        for f in &frames[1..] {
            assert!(sums.add(f));
        }
        let out = sums.into_frame().unwrap();
        let expected = grouped_once(&frames);
        // Keys repeat: fewer cells than rows.
        assert!(expected.height() < 18000, "{} cells", expected.height());
        assert_same_rows(&out, &expected);
    }

    /// Text keys, or a key too large for a word, are left to polars: the
    /// plan's addition still gives the one grouping's sums.
    #[test]
    fn what_does_not_fit_is_added_by_polars() {
        let text = DataFrame::new_infer_height(vec![
            Column::new("label".into(), ["a", "b"]),
            Column::new("n".into(), [1u64, 2]),
        ])
        .unwrap();
        assert!(RunningSums::start(&text, None).is_none());

        let mut frames = slices();
        let big = slice(
            &[true],
            &[Some("White")],
            &[Some(1)],
            &[1 << 40],
            &[7],
            &[1.0],
        );
        frames.push(big);
        let how = [Combine::SumBy { keys: keys() }];
        let mut sums = RunningSums::start(&frames[0], Some(&keys())).unwrap();
        // Refused whole: nothing of the slice added.
        assert!(!sums.add(&frames[3]));
        let mut total = vec![Total::Sums(sums)];
        for f in &frames[1..] {
            total = add_slices(total, vec![f.clone()], &how).unwrap();
        }
        assert!(matches!(total[0], Total::Frame(_)));
        let out = total.pop().unwrap().into_frame().unwrap();
        let expected = grouped_once(&frames);
        assert_same_rows(&out, &expected);
    }

    /// Under `AddCounts` the keys are every column but the UInt64 counts;
    /// a Float64 column is then a key, which is not a number word: polars.
    #[test]
    fn add_counts_sums_the_uint64_columns() {
        let frames: Vec<DataFrame> = slices()
            .into_iter()
            .map(|f| f.drop("sum_e").unwrap())
            .collect();
        let how = [Combine::AddCounts];
        let mut total = vec![Total::Sums(
            RunningSums::start(&frames[0], None).expect("numeric keys"),
        )];
        for f in &frames[1..] {
            total = add_slices(total, vec![f.clone()], &how).unwrap();
        }
        assert!(matches!(total[0], Total::Sums(_)));
        let out = total.pop().unwrap().into_frame().unwrap();
        // scorers is UInt64: a count here, added, not a key.
        let expected = {
            stacked(&frames)
                .lazy()
                .group_by([col("flag"), col("label"), col("stage")])
                .agg([col("scorers").sum(), col("n").sum()])
                .collect()
                .unwrap()
        };
        assert_same_rows(&out, &expected);
        assert!(RunningSums::start(&slices()[0], None).is_none());
    }
}
