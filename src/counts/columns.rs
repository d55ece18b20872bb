//! Collecting queries and reading typed columns out of their results.

use std::sync::Arc;

use polars::prelude::*;

use crate::error::{Error, Result};
use crate::ingest::{self, Format, Profile, Source};

/// Runs a query; on failure, looks for the malformed CSV line that caused it.
pub(super) fn collect(
    query: LazyFrame,
    sources: &[&Source],
    profile: &Profile,
) -> Result<DataFrame> {
    let mut out = collect_all(vec![query], sources, profile)?;
    Ok(out.remove(0))
}

/// Runs several queries in one streaming execution, so shared inputs are
/// scanned once; on failure, looks for the malformed CSV line that caused it.
pub(crate) fn collect_all(
    queries: Vec<LazyFrame>,
    sources: &[&Source],
    profile: &Profile,
) -> Result<Vec<DataFrame>> {
    let plans = queries.into_iter().map(|q| q.logical_plan).collect();
    LazyFrame::collect_all_with_engine(plans, Engine::Streaming, OptFlags::default()).map_err(
        |err| {
            for s in sources {
                if s.format == Format::Csv
                    && let Err(found) = ingest::fingerprint(s, profile.delimiter)
                {
                    return found;
                }
            }
            match sources {
                [one] => ingest::polars_input_error(one, &err),
                _ => Error::input(
                    &sources[0].path,
                    format!(
                        "reading the dataset failed: {}",
                        err.to_string().lines().next().unwrap_or("")
                    ),
                ),
            }
        },
    )
}

pub(crate) fn column<'a>(df: &'a DataFrame, name: &str) -> Result<&'a Series> {
    df.column(name)
        .map(|c| c.as_materialized_series())
        .map_err(|e| Error::Internal(format!("counting pass lost column {name}: {e}")))
}

/// A text column's values; a categorical column (the hashed plan keeps
/// values as categoricals until read) reads as its text.
pub(crate) fn str_column(df: &DataFrame, name: &str) -> Result<Vec<Option<String>>> {
    let s = as_text(column(df, name)?)?;
    let ca = s.str().map_err(|e| Error::Internal(e.to_string()))?;
    Ok(ca.iter().map(|v| v.map(str::to_string)).collect())
}

/// A text column as ranks: each row's value as its place among the
/// column's distinct values in text order (a missing value first, as
/// `Option<String>` orders), and the distinct values in that order. Rows
/// compared by their ranks compare as their texts do, without comparing
/// text: the 10M national audit's 430,000 funnel cells took 0.34 s to
/// sort by their texts.
pub(crate) fn ranked_str_column(
    df: &DataFrame,
    name: &str,
) -> Result<(Vec<u32>, Vec<Option<String>>)> {
    let s = as_text(column(df, name)?)?;
    let ca = s.str().map_err(|e| Error::Internal(e.to_string()))?;
    let mut first_seen: PlHashMap<Option<&str>, u32> = PlHashMap::new();
    let seen: Vec<u32> = ca
        .iter()
        .map(|v| {
            let next = first_seen.len() as u32;
            *first_seen.entry(v).or_insert(next)
        })
        .collect();
    let mut distinct: Vec<(Option<&str>, u32)> = first_seen.into_iter().collect();
    distinct.sort_unstable();
    let mut rank_of_seen = vec![0u32; distinct.len()];
    for (rank, (_, seen)) in distinct.iter().enumerate() {
        rank_of_seen[*seen as usize] = rank as u32;
    }
    let ranks = seen.iter().map(|&i| rank_of_seen[i as usize]).collect();
    let texts = distinct
        .into_iter()
        .map(|(v, _)| v.map(str::to_string))
        .collect();
    Ok((ranks, texts))
}

/// A categorical series as text; any other as it is.
fn as_text(s: &Series) -> Result<Series> {
    if s.dtype().is_categorical() {
        s.cast(&DataType::String)
            .map_err(|e| Error::Internal(e.to_string()))
    } else {
        Ok(s.clone())
    }
}

pub(crate) fn u64_column(df: &DataFrame, name: &str) -> Result<Vec<u64>> {
    let s = column(df, name)?;
    let ca = s.u64().map_err(|e| Error::Internal(e.to_string()))?;
    Ok(ca.iter().map(|v| v.unwrap_or(0)).collect())
}

pub(crate) fn i32_column(df: &DataFrame, name: &str) -> Result<Vec<Option<i32>>> {
    let s = column(df, name)?
        .cast(&DataType::Int32)
        .map_err(|e| Error::Internal(e.to_string()))?;
    let ca = s.i32().map_err(|e| Error::Internal(e.to_string()))?;
    Ok(ca.iter().collect())
}

pub(crate) fn f64_column(df: &DataFrame, name: &str) -> Result<Vec<Option<f64>>> {
    let s = column(df, name)?
        .cast(&DataType::Float64)
        .map_err(|e| Error::Internal(e.to_string()))?;
    let ca = s.f64().map_err(|e| Error::Internal(e.to_string()))?;
    Ok(ca.iter().collect())
}

pub(crate) fn bool_column(df: &DataFrame, name: &str) -> Result<Vec<bool>> {
    let s = column(df, name)?;
    let ca = s.bool().map_err(|e| Error::Internal(e.to_string()))?;
    Ok(ca.iter().map(|v| v.unwrap_or(false)).collect())
}

/// Texts shared rather than copied: a national extract's millions of
/// panel cells name a few hundred labels, and with a `String` of each the
/// 50M audit held ~460 MB more from the panels' pre-pass to its end
/// (benches/RESULTS.md, sixth round). Hashed with polars' fast hasher,
/// as the other per-cell maps are (SipHash was a quarter of the measures).
#[derive(Default)]
pub(crate) struct Interner(PlHashSet<Arc<str>>);

impl Interner {
    /// The shared copy of `text`.
    pub(crate) fn get(&mut self, text: &str) -> Arc<str> {
        if let Some(shared) = self.0.get(text) {
            return Arc::clone(shared);
        }
        let shared: Arc<str> = Arc::from(text);
        self.0.insert(Arc::clone(&shared));
        shared
    }
}

/// A text column's values, each distinct one shared (see [`Interner`]).
pub(crate) fn shared_str_column(
    df: &DataFrame,
    name: &str,
    interner: &mut Interner,
) -> Result<Vec<Option<Arc<str>>>> {
    let s = as_text(column(df, name)?)?;
    let ca = s.str().map_err(|e| Error::Internal(e.to_string()))?;
    Ok(ca.iter().map(|v| v.map(|t| interner.get(t))).collect())
}

/// Serializes shared text as text (serde's `rc` feature would do the same
/// for the whole build).
pub(crate) mod shared_text {
    use std::sync::Arc;

    use serde::Serializer;

    pub(crate) fn text<S: Serializer>(t: &Arc<str>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(t)
    }

    pub(crate) fn optional<S: Serializer>(t: &Option<Arc<str>>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.serialize_some(&**t),
            None => s.serialize_none(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows ordered by their ranks are in the order of their texts
    /// (missing first, then byte order: "Z" before "a", "é" last), for text
    /// and for categorical columns, and each rank names its row's text.
    #[test]
    fn ranks_order_rows_as_their_texts() {
        let values = [
            Some("b"),
            None,
            Some("é"),
            Some("Z"),
            Some("b"),
            Some("a"),
            None,
            Some(""),
        ];
        let text = DataFrame::new_infer_height(vec![Column::new("v".into(), values)]).unwrap();
        let categorical = text
            .clone()
            .lazy()
            .with_column(col("v").cast(DataType::from_categories(Categories::global())))
            .collect()
            .unwrap();
        for df in [text, categorical] {
            let (ranks, texts) = ranked_str_column(&df, "v").unwrap();
            let named: Vec<Option<&str>> = ranks
                .iter()
                .map(|&r| texts[r as usize].as_deref())
                .collect();
            assert_eq!(named, values);
            assert_eq!(
                texts,
                [None, Some(""), Some("Z"), Some("a"), Some("b"), Some("é")]
                    .map(|t| t.map(str::to_string))
            );
            let mut by_rank: Vec<usize> = (0..values.len()).collect();
            by_rank.sort_by_key(|&i| ranks[i]);
            let mut by_text: Vec<usize> = (0..values.len()).collect();
            by_text.sort_by_key(|&i| values[i]);
            assert_eq!(by_rank, by_text);
        }
    }
}
