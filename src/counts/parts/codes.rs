//! Categorical columns written as their codes in the global categories,
//! and read back as the same categoricals (see the parent module).

use std::sync::Arc;

use polars::prelude::*;

/// A table's columns as the split writes them: its categorical columns
/// as their codes.
pub(super) struct Coded {
    /// The columns as written.
    pub(super) written: SchemaRef,
    /// The categorical columns, and their type (the global categories:
    /// holding it keeps their codes, see [`from_codes`]).
    categorical: Vec<(PlSmallStr, DataType)>,
}

impl Coded {
    pub(super) fn of(schema: &Schema) -> PolarsResult<Coded> {
        let mut written = schema.clone();
        let mut categorical = Vec::new();
        for (name, dtype) in schema.iter() {
            if let DataType::Categorical(categories, _) = dtype {
                // Only the global categories' codes mean the same text in
                // every slice.
                polars_ensure!(
                    categories.is_global(),
                    ComputeError: "column {name} is not of the global categories"
                );
                written.set_dtype(name, dtype.to_physical());
                categorical.push((name.clone(), dtype.clone()));
            }
        }
        Ok(Coded {
            written: Arc::new(written),
            categorical,
        })
    }

    /// The categorical columns as their codes.
    pub(super) fn to_codes(&self) -> Vec<Expr> {
        self.categorical
            .iter()
            .map(|(name, _)| col(name.clone()).to_physical())
            .collect()
    }

    /// The codes as the categorical columns again.
    pub(super) fn to_categoricals(&self) -> Vec<Expr> {
        self.categorical
            .iter()
            .map(|(name, dtype)| from_codes(name, dtype.clone()))
            .collect()
    }
}

/// Column `name`, codes of the categories of `dtype` (a categorical), as
/// that categorical. The codes were written by this process from the
/// same categories, whose mapping lives while a type naming it does (the
/// closure holds one); a code the mapping lacks stops the count.
fn from_codes(name: &PlSmallStr, dtype: DataType) -> Expr {
    let output = Field::new(name.clone(), dtype.clone());
    col(name.clone()).map(
        move |codes: Column| {
            let codes = codes.as_materialized_series();
            let categorical =
                Categorical32Chunked::from_cats_and_dtype(codes.u32()?.clone(), dtype.clone());
            polars_ensure!(
                categorical.null_count() == codes.null_count(),
                ComputeError: "a part holds a code its categories lack"
            );
            Ok(categorical.into_series().into_column())
        },
        move |_, _| Ok(output.clone()),
    )
}
