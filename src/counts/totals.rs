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

use polars::prelude::*;

use partitions::{Cells, Dealt};

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

/// About this many rows of the first slice to a partition (the cells grow
/// as slices add new ones; the partitions do not).
const ROWS_A_PARTITION: usize = 1024;

/// At most this many partitions: dealing into more write streams than
/// this thrashes the TLB.
const MAX_PARTITIONS: usize = 1024;

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
        for (p, cells) in self.parts.iter_mut().enumerate() {
            for (hash, record, values) in dealt.rows(p) {
                cells.add(hash, record, values, &self.floats);
            }
        }
        true
    }

    /// The cells as a frame of the first slice's columns: partition by
    /// partition, each in the order its cells were first seen.
    pub(super) fn into_frame(mut self) -> PolarsResult<DataFrame> {
        // The tables first: only the records are read from here on.
        for part in &mut self.parts {
            part.drop_table();
        }
        let width = self.keys.len() + 1;
        let n_sums = self.sums.len();
        let records = || self.parts.iter().flat_map(|p| p.records(width));
        let totals = || self.parts.iter().flat_map(|p| p.totals(n_sums));
        let cells = self.parts.iter().map(Cells::len).sum();
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

mod partitions;
#[cfg(test)]
mod tests;
