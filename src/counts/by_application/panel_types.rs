//! Each vacancy's panel type as a code, looked up by the vacancy's code,
//! so the kernel can key the funnel's cells by panel type as it keys them
//! by any breakdown (see [`super::cells`]).
//!
//! The frame's panel type is a left join of the vacancies' types on
//! vacancy_id, "no_panel" where none matches (`frame::Finish`); this gives
//! the applications rows the same column. An id only the events have has
//! no vacancy, so "no_panel" too: [`PanelCodes::no_panel`].

use std::collections::HashMap;

use polars::prelude::*;

use crate::counts::text_codes::codes;

/// Vacancies' panel types as codes of the global categories.
pub(crate) struct PanelCodes {
    /// The panel type's code of each vacancy's code.
    of_vacancy: HashMap<u32, u32>,
    /// The code of "no_panel".
    no_panel: u32,
    /// The categories' type (a value of it keeps the codes' mapping alive).
    dtype: DataType,
}

impl PanelCodes {
    /// From `types` (vacancy_id, panel_type: categoricals of the global
    /// categories, as the finish joins them) and `no_panel`, the code of
    /// the type of a vacancy without a panel, in the same categories.
    pub(crate) fn new(types: &DataFrame, no_panel: u32) -> PolarsResult<PanelCodes> {
        let (vacancies, panel_types) = (
            codes(types.column("vacancy_id")?)?,
            codes(types.column("panel_type")?)?,
        );
        let of_vacancy = vacancies
            .iter()
            .zip(panel_types.iter())
            .filter_map(|(vacancy, panel)| Some((vacancy?, panel?)))
            .collect();
        Ok(PanelCodes {
            of_vacancy,
            no_panel,
            dtype: types.column("panel_type")?.dtype().clone(),
        })
    }

    /// The code of "no_panel", for the ids only the events have.
    pub(crate) fn no_panel(&self) -> u32 {
        self.no_panel
    }

    /// The panel type of each of `vacancies` (categoricals of the same
    /// categories): its vacancy's, or "no_panel" for a vacancy without a
    /// panel or a null one.
    pub(crate) fn of(&self, vacancies: &Column) -> PolarsResult<Column> {
        let types: UInt32Chunked = codes(vacancies)?
            .iter()
            .map(|vacancy| {
                Some(
                    vacancy
                        .and_then(|v| self.of_vacancy.get(&v).copied())
                        .unwrap_or(self.no_panel),
                )
            })
            .collect();
        let types = Categorical32Chunked::from_cats_and_dtype(types, self.dtype.clone());
        Ok(types
            .into_series()
            .with_name(crate::counts::PANEL_TYPE.into())
            .into_column())
    }
}
