//! Grouping by several small keys as one 64-bit number.
//!
//! polars groups by several columns by encoding each row's keys as bytes
//! and looking the bytes up (hashed, then compared with `memcmp`): in the
//! 10M national funnel that was about a fifth of the CPU (perf, 199 Hz:
//! `RowEncodedHashGrouper`, `BytesIndexMap::entry`, `memcmp`), for a
//! query that groups 10M per-application rows into some 0.2M cells by
//! three flags, the breakdowns, the label and the stage reached. Those
//! keys are all small numbers (flags, stage ranks, categoricals' codes),
//! so here they are packed into one UInt64, which polars groups by as a
//! number, and unpacked from the few rows that come out.
//!
//! Each key takes its value's bits and one bit saying it is null. A
//! categorical's codes are bounded by its categories' count when the
//! query is planned; a code given later (a category made while the query
//! runs) would not fit, so the query also says whether any code did not,
//! and unpacking fails loudly if one did rather than count it in the wrong
//! cell.

use polars::prelude::*;

/// The column holding the packed key while grouping.
const PACKED: &str = "__rung_packed_key";
/// The column saying whether a key outgrew its bits.
const OUTGROWN: &str = "__rung_key_outgrown";

/// One key column's place in the packed key.
#[derive(Clone)]
struct KeyField {
    name: PlSmallStr,
    dtype: DataType,
    /// The lowest bit of the value; the null bit is `shift + bits`.
    shift: u32,
    bits: u32,
    /// Codes at or above this do not fit (categoricals only).
    limit: Option<u64>,
}

/// How to pack a group-by's keys into one number.
#[derive(Clone)]
pub(crate) struct PackedKey {
    fields: Vec<KeyField>,
}

/// The bits that hold every value below `limit`.
fn bits_below(limit: u64) -> u32 {
    (64 - limit.saturating_sub(1).leading_zeros()).max(1)
}

impl PackedKey {
    /// The packing of `keys` (columns of `schema`), when each is a
    /// boolean, a categorical or one of `small` (integer columns whose
    /// values are known to lie in 0..2^bits, with their bits) and all fit
    /// in 64 bits with their null bits; else `None`.
    pub(crate) fn new(schema: &Schema, keys: &[&str], small: &[(&str, u32)]) -> Option<PackedKey> {
        let mut fields = Vec::with_capacity(keys.len());
        let mut shift = 0u32;
        for &name in keys {
            let dtype = schema.get(name)?.clone();
            let (bits, limit) = match &dtype {
                DataType::Boolean => (1, None),
                DataType::Categorical(_, mapping) => {
                    let limit = mapping.num_cats_upper_bound() as u64;
                    (bits_below(limit), Some(limit))
                }
                d if d.is_integer() => (small.iter().find(|(n, _)| *n == name)?.1, None),
                _ => return None,
            };
            fields.push(KeyField {
                name: name.into(),
                dtype,
                shift,
                bits,
                limit,
            });
            shift += bits + 1;
            if shift > 64 {
                return None;
            }
        }
        Some(PackedKey { fields })
    }

    /// `frame` grouped by the packed keys with `aggs`: the same columns,
    /// in the same order and of the same types, as
    /// `frame.group_by(keys).agg(aggs)` (rows in another order).
    pub(crate) fn group_by(&self, frame: LazyFrame, aggs: Vec<Expr>) -> LazyFrame {
        let keys: Vec<Expr> = self.fields.iter().map(|f| col(f.name.clone())).collect();
        let plain = frame.clone().group_by(keys).agg(aggs.clone());
        // The plain plan reports what is wrong with it when run.
        let Ok(schema) = plain.clone().collect_schema() else {
            return plain;
        };
        let mut all = aggs;
        all.push(self.outgrown().any(true).alias(OUTGROWN));
        let unpack = self.clone();
        frame.group_by([self.packed()]).agg(all).map(
            move |df| unpack.unpack(df),
            OptFlags::empty(),
            Some(Arc::new(move |_: &Schema| Ok(schema.clone()))),
            Some("unpack the keys"),
        )
    }

    /// The keys packed into one UInt64.
    fn packed(&self) -> Expr {
        self.fields
            .iter()
            .map(|f| {
                let value = col(f.name.clone());
                let number = match f.dtype {
                    DataType::Categorical(..) => value.clone().to_physical(),
                    _ => value.clone(),
                }
                .cast(DataType::UInt64)
                .fill_null(lit(0u64));
                number * lit(1u64 << f.shift)
                    + value.is_null().cast(DataType::UInt64) * lit(1u64 << (f.shift + f.bits))
            })
            .reduce(|a, b| a + b)
            .unwrap_or(lit(0u64))
            .alias(PACKED)
    }

    /// Whether a row's categorical code does not fit its bits.
    fn outgrown(&self) -> Expr {
        self.fields
            .iter()
            .filter_map(|f| {
                let limit = f.limit?;
                Some(
                    col(f.name.clone())
                        .to_physical()
                        .cast(DataType::UInt64)
                        .gt_eq(lit(limit))
                        .fill_null(lit(false)),
                )
            })
            .reduce(|a, b| a.or(b))
            .unwrap_or(lit(false))
    }

    /// What key `field`'s `value` (a categorical's code, a flag as 0 or 1,
    /// a small integer) adds to a packed key; `None` when it does not fit
    /// the bits planned for it. For packing keys outside polars (see
    /// [`PackedKey::unpacked`]).
    pub(crate) fn part(&self, field: usize, value: Option<u64>) -> Option<u64> {
        let f = &self.fields[field];
        match value {
            None => Some(1u64 << (f.shift + f.bits)),
            Some(v) if v >> f.bits == 0 => Some(v << f.shift),
            Some(_) => None,
        }
    }

    /// The grouped rows with their keys unpacked in place of the packed
    /// one (and of the check that every code fitted).
    fn unpack(&self, grouped: DataFrame) -> PolarsResult<DataFrame> {
        if grouped.column(OUTGROWN)?.bool()?.any() {
            polars_bail!(ComputeError: "a categorical's code outgrew the bits planned for it");
        }
        let packed: Vec<u64> = grouped.column(PACKED)?.u64()?.into_no_null_iter().collect();
        let rest = grouped
            .columns()
            .iter()
            .filter(|c| c.name() != PACKED && c.name() != OUTGROWN)
            .cloned()
            .collect();
        self.unpacked(&packed, rest)
    }

    /// Cells' keys, packed, unpacked into the key columns (as
    /// `group_by` gives them), followed by `rest` (the cells' values, one
    /// row per key).
    pub(crate) fn unpacked(&self, packed: &[u64], rest: Vec<Column>) -> PolarsResult<DataFrame> {
        let mut columns = Vec::with_capacity(rest.len() + self.fields.len());
        for f in &self.fields {
            let mask = (1u64 << f.bits) - 1;
            let values = packed.iter().map(|&key| {
                let is_null = key >> (f.shift + f.bits) & 1 == 1;
                (!is_null).then_some((key >> f.shift) & mask)
            });
            let series = match &f.dtype {
                DataType::Boolean => Series::new(
                    f.name.clone(),
                    values.map(|v| v.map(|v| v == 1)).collect::<Vec<_>>(),
                ),
                DataType::Categorical(..) => {
                    let codes = Series::new(
                        f.name.clone(),
                        values.map(|v| v.map(|v| v as u32)).collect::<Vec<_>>(),
                    );
                    Series::from_cats_and_dtype(&codes, &f.dtype, true)?
                }
                dtype => Series::new(f.name.clone(), values.collect::<Vec<_>>()).cast(dtype)?,
            };
            columns.push(series.into_column());
        }
        columns.extend(rest);
        DataFrame::new(packed.len(), columns)
    }
}

#[cfg(test)]
mod tests;
