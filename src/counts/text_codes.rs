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

use polars::prelude::*;
use polars_arrow::array::Array;

/// Slots of the table of views seen (a power of two): a page's
/// dictionary of a few hundred values fits with room.
const SLOTS: usize = 4096;

/// `column` as the categorical `dtype` (of the global categories): text
/// coded as [`polars`]' cast would code it; any other type cast.
pub(crate) fn to_categorical(column: Column, dtype: &DataType) -> PolarsResult<Column> {
    let (DataType::String, DataType::Categorical(_, mapping)) = (column.dtype(), dtype) else {
        return column.cast(dtype);
    };
    let text = column.str()?;
    let mut codes: Option<UInt32Chunked> = None;
    for chunk in text.downcast_iter() {
        let chunk_codes = codes_of(chunk, mapping)?;
        match &mut codes {
            None => codes = Some(chunk_codes),
            Some(all) => all.append_owned(chunk_codes)?,
        }
    }
    let codes = codes.unwrap_or_else(|| UInt32Chunked::full_null(column.name().clone(), 0));
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

/// The codes of one chunk's values (nulls where it has them).
fn codes_of(
    chunk: &<StringType as PolarsDataType>::Array,
    mapping: &CategoricalMapping,
) -> PolarsResult<UInt32Chunked> {
    let views = chunk.views();
    let validity = chunk.validity();
    // Each slot: a view seen, its code; `u32::MAX` marks an empty slot
    // (a code that large cannot be: polars' categories are fewer).
    let mut seen = vec![(0u128, u32::MAX); SLOTS];
    let mut codes = Vec::with_capacity(views.len());
    for (i, view) in views.iter().enumerate() {
        // A null's view may point anywhere: not read.
        if validity.is_some_and(|v| !v.get_bit(i)) {
            codes.push(0);
            continue;
        }
        let key = view.as_u128();
        let slot = &mut seen[slot_of(key)];
        let code = if slot.1 != u32::MAX && slot.0 == key {
            slot.1
        } else {
            // SAFETY: i is within the chunk's views.
            let code = mapping.insert_cat(unsafe { chunk.value_unchecked(i) })?;
            *slot = (key, code);
            code
        };
        codes.push(code);
    }
    Ok(UInt32Chunked::from_vec_validity(
        PlSmallStr::EMPTY,
        codes,
        validity.cloned(),
    ))
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
        // Gathered from a dictionary, as a Parquet page's values are: a
        // value's views repeat.
        let dictionary = Series::new("label".into(), spellings);
        let mut many_chunks = Series::new_empty("label".into(), &DataType::String);
        for chunk in 0..4 {
            let picks: Vec<Option<IdxSize>> = (0..3000)
                .map(|i| match (i * 7 + chunk) % 11 {
                    10 => None,
                    k => Some((k % spellings.len()) as IdxSize),
                })
                .collect();
            let picked = dictionary.take(&IdxCa::new("".into(), picks)).unwrap();
            many_chunks.append(&picked).unwrap();
        }
        assert_eq!(many_chunks.n_chunks(), 4);
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
