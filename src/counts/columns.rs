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
