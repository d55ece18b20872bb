//! Text made a categorical of the global categories, as polars' cast
//! makes it, with the lookups of repeated values skipped.
//!
//! polars' cast hashes every value and looks it up in the categories'
//! shared table: in the 10M national full audit that was about a quarter
//! of the split's CPU (the applications' labels and breakdowns, the
//! assessors, the candidate check's labels). A Parquet column of few
//! distinct values is read as views into its pages' dictionaries, so a
//! value that repeats in a chunk repeats as the same 16-byte view
//! (length, prefix, buffer, offset; a value of 12 bytes or fewer is held
//! in the view whole). Here each view's code is remembered in a small
//! table for the chunk: a view seen before has the same text, so the
//! same code; any other goes to the categories as polars' cast does. A
//! column of distinct values (a CSV's, whose every value is its own
//! bytes) gets no help and pays little: one table probe a value.

use std::collections::HashMap;

use polars::prelude::*;
use polars_arrow::array::Array;

/// Slots of the table of views seen (a power of two): a page's
/// dictionary of a few hundred values fits with room.
const SLOTS: usize = 4096;

/// A categorical column's codes (any other type's physical values, cast
/// to 32 bits), null where the value is.
pub(crate) fn codes(column: &Column) -> PolarsResult<UInt32Chunked> {
    let physical = column.as_materialized_series().to_physical_repr();
    Ok(physical.cast(&DataType::UInt32)?.u32()?.clone())
}

/// `column` as the categorical `dtype` (of the global categories): text
/// coded as [`polars`]' cast would code it; any other type cast.
pub(crate) fn to_categorical(column: Column, dtype: &DataType) -> PolarsResult<Column> {
    let (DataType::String, DataType::Categorical(_, mapping)) = (column.dtype(), dtype) else {
        return column.cast(dtype);
    };
    let codes = coded_text(column.str()?, |text| mapping.insert_cat(text).map(Some))?;
    // SAFETY: every code was just given by the categories of `dtype`.
    // (The checked constructor looks each up again: the 10M national
    // audit's split took 2.41–2.51 s with it, 2.32–2.35 without.)
    let categorical =
        unsafe { Categorical32Chunked::from_cats_and_dtype_unchecked(codes, dtype.clone()) };
    Ok(categorical
        .into_series()
        .with_name(column.name().clone())
        .into_column())
}

/// Each of `text`'s values' code by `code_of`, chunk by chunk (see
/// [`coded`]).
fn coded_text(
    text: &StringChunked,
    mut code_of: impl FnMut(&str) -> PolarsResult<Option<u32>>,
) -> PolarsResult<UInt32Chunked> {
    let mut all: Option<UInt32Chunked> = None;
    for chunk in text.downcast_iter() {
        let chunk_codes = coded(chunk, &mut code_of)?;
        match &mut all {
            None => all = Some(chunk_codes),
            Some(all) => all.append_owned(chunk_codes)?,
        }
    }
    Ok(all.unwrap_or_else(|| UInt32Chunked::full_null(PlSmallStr::EMPTY, 0)))
}

/// Each of `chunk`'s values' code by `code_of` (null where the value is
/// null or `code_of` gives none; a code is below `NOT_CODED`), a view
/// seen before in the chunk taking the code it took then.
fn coded(
    chunk: &<StringType as PolarsDataType>::Array,
    mut code_of: impl FnMut(&str) -> PolarsResult<Option<u32>>,
) -> PolarsResult<UInt32Chunked> {
    let views = chunk.views();
    let validity = chunk.validity();
    // Each slot: a view seen, its code; `EMPTY` marks an empty slot.
    let mut seen = vec![(0u128, EMPTY); SLOTS];
    let mut codes = Vec::with_capacity(views.len());
    // Nulls, and then the values `code_of` gives no code.
    let mut valid = validity.cloned().map(|v| v.make_mut());
    for (i, view) in views.iter().enumerate() {
        // A null's view may point anywhere: not read.
        if validity.is_some_and(|v| !v.get_bit(i)) {
            codes.push(0);
            continue;
        }
        let key = view.as_u128();
        let slot = &mut seen[slot_of(key)];
        let code = if slot.1 != EMPTY && slot.0 == key {
            slot.1
        } else {
            // SAFETY: i is within the chunk's views.
            let code = match code_of(unsafe { chunk.value_unchecked(i) })? {
                Some(code) if code >= NOT_CODED => {
                    polars_bail!(ComputeError: "a code of {code}, past the codes a chunk holds")
                }
                Some(code) => code,
                None => NOT_CODED,
            };
            *slot = (key, code);
            code
        };
        if code == NOT_CODED {
            let valid = valid.get_or_insert_with(|| {
                polars_arrow::bitmap::MutableBitmap::from_len_set(views.len())
            });
            valid.set(i, false);
            codes.push(0);
        } else {
            codes.push(code);
        }
    }
    Ok(UInt32Chunked::from_vec_validity(
        PlSmallStr::EMPTY,
        codes,
        valid.map(Into::into),
    ))
}

/// No code yet: an empty slot of the table of views seen.
const EMPTY: u32 = u32::MAX;
/// A value the lookup gives no code (null in the result).
const NOT_CODED: u32 = u32::MAX - 1;

/// `column`'s text values' codes in `codes` (null where a value is null
/// or not in `codes`), as `UInt32`: a Parquet column of few values (read
/// as views into its pages' dictionaries) is looked up about once a
/// distinct view a chunk, not once a row.
pub(crate) fn looked_up(column: &Column, codes: &HashMap<String, u32>) -> PolarsResult<Column> {
    let looked_up = coded_text(column.str()?, |value| Ok(codes.get(value).copied()))?;
    Ok(looked_up.with_name(column.name().clone()).into_column())
}

/// A view's slot: its bits mixed by a multiplication, the top bits kept.
fn slot_of(key: u128) -> usize {
    let mixed =
        ((key as u64) ^ ((key >> 64) as u64).rotate_left(29)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    (mixed >> (64 - SLOTS.trailing_zeros())) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `values` picked in four chunks of 3,000, a null in each eleven:
    /// gathered from a dictionary, as a Parquet page's values are, so a
    /// value's views repeat.
    fn repeated_views(name: &str, values: &[&str]) -> Series {
        let dictionary = Series::new(name.into(), values);
        let mut many_chunks = Series::new_empty(name.into(), &DataType::String);
        for chunk in 0..4 {
            let picks: Vec<Option<IdxSize>> = (0..3000)
                .map(|i| match (i * 7 + chunk) % 11 {
                    10 => None,
                    k => Some((k % values.len()) as IdxSize),
                })
                .collect();
            let picked = dictionary.take(&IdxCa::new("".into(), picks)).unwrap();
            many_chunks.append(&picked).unwrap();
        }
        assert_eq!(many_chunks.n_chunks(), 4);
        many_chunks
    }

    fn global() -> DataType {
        DataType::from_categories(Categories::global())
    }

    /// The codes are polars' cast's, value for value, nulls kept: on text
    /// of few values in several chunks (short ones held in the view,
    /// long ones in buffers, repeated as a Parquet dictionary's are), and
    /// on text of distinct values. Both are read back as the same text.
    #[test]
    fn codes_are_those_of_polars_cast() {
        let dtype = global();
        let spellings = [
            "White - English, Welsh, Scottish, Northern Irish or British",
            "Asian or Asian British - Indian",
            "Mixed",
            "",
            "Black or Black British - Caribbean",
        ];
        let many_chunks = repeated_views("label", &spellings);
        let distinct: Vec<Option<String>> = (0..5000)
            .map(|i| (i % 13 != 0).then(|| format!("candidate-{i:08}-of-the-extract")))
            .collect();
        for text in [many_chunks, Series::new("label".into(), distinct)] {
            let column = text.clone().into_column();
            let ours = to_categorical(column.clone(), &dtype).unwrap();
            let polars = column.cast(&dtype).unwrap();
            assert_eq!(ours.dtype(), polars.dtype());
            let codes = |c: &Column| -> Vec<Option<u32>> {
                c.as_materialized_series()
                    .to_physical_repr()
                    .u32()
                    .unwrap()
                    .iter()
                    .collect()
            };
            assert_eq!(codes(&ours), codes(&polars));
            let back = ours.cast(&DataType::String).unwrap();
            assert!(back.as_materialized_series().equals_missing(&text));
        }
    }

    /// Text of few values in several chunks, their views repeated as a
    /// Parquet dictionary's are (short values held in the view, long ones
    /// in buffers); or of distinct values. Each value's lookup is the
    /// table's, row by row: null where the value is null or not in the
    /// table (as the inner join `ranked_events` makes drops the row).
    #[test]
    fn looked_up_codes_are_the_tables_row_by_row() {
        let values = [
            "shortlisted",
            "Telephone interview - second round",
            "offer",
            "withdrawn",
            "",
        ];
        // "withdrawn" is not in the table; "" maps to a code of its own.
        let table: HashMap<String, u32> = [
            ("shortlisted", 17),
            ("Telephone interview - second round", 34),
            ("offer", 51),
            ("", 0),
        ]
        .into_iter()
        .map(|(v, c)| (v.to_string(), c))
        .collect();
        let many_chunks = repeated_views("stage", &values);
        let distinct: Vec<Option<String>> = (0..5000)
            .map(|i| (i % 13 != 0).then(|| format!("{}{i}", values[i % 5])))
            .collect();
        let mut table_with_distinct = table.clone();
        table_with_distinct.insert("offer17".to_string(), 68);
        for (text, table) in [
            (many_chunks, &table),
            (Series::new("stage".into(), distinct), &table_with_distinct),
        ] {
            let ours: Vec<Option<u32>> = looked_up(&text.clone().into_column(), table)
                .unwrap()
                .u32()
                .unwrap()
                .iter()
                .collect();
            let row_by_row: Vec<Option<u32>> = text
                .str()
                .unwrap()
                .iter()
                .map(|v| v.and_then(|v| table.get(v).copied()))
                .collect();
            assert_eq!(ours, row_by_row);
            assert!(ours.iter().any(Option::is_none) && ours.iter().any(Option::is_some));
        }
    }

    /// A column that is not text is cast: a categorical stays itself.
    #[test]
    fn other_types_are_cast() {
        let dtype = global();
        let text = Series::new("x".into(), ["a", "b", "a"]).into_column();
        let categorical = text.cast(&dtype).unwrap();
        let again = to_categorical(categorical.clone(), &dtype).unwrap();
        assert!(
            again
                .as_materialized_series()
                .equals_missing(categorical.as_materialized_series())
        );
    }
}
