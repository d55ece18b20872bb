//! The exact plan's per-application frame: the rows keyed by their ids'
//! text, grouped by polars. Taken when the hashed plan cannot be (an
//! applications row repeats an id, a breakdown by ethnicity or candidate,
//! more stage codes than the kernel packs).

use polars::prelude::*;

use super::{ranked_events, with_stage_rank};
use crate::counts::hashed::Slice;
use crate::ingest::{Scan, TableKind};

/// What the exact plan's per-application frame is built from: the rows
/// as read (ids as their text), to build it again for one slice.
#[derive(Clone)]
pub(super) struct ExactInputs {
    apps: LazyFrame,
    /// The applications' aggregations by id (the first row's values).
    app_aggs: Vec<Expr>,
    furthest_map: Option<DataFrame>,
    outcome_map: Option<DataFrame>,
    /// Stage events and the stage map that ranks them.
    events: Option<(LazyFrame, DataFrame)>,
    /// The aggregation giving each application's `stage_on`.
    stage_on: Expr,
}

impl ExactInputs {
    /// The inputs for the applications `apps` carrying `by` and the
    /// `optional` columns they have, stages from furthest_stage (through
    /// `furthest_map`) or from `events` (with the stage map that ranks
    /// them), raised by the outcome (`outcome_map`), and with
    /// `stage_date` each application's first entered_at at that rank.
    pub(super) fn new(
        apps: &Scan,
        by: &[String],
        optional: &[&str],
        furthest_map: Option<DataFrame>,
        outcome_map: Option<DataFrame>,
        events: Option<(&Scan, &DataFrame)>,
        stage_date: Option<u8>,
    ) -> ExactInputs {
        // Applications, one row per id (duplicates counted, the first kept).
        let mut app_aggs = vec![
            col("ethnicity").first(),
            len().cast(DataType::UInt64).alias("app_rows"),
        ];
        app_aggs.push(col("vacancy_id").first());
        // How many vacancies an id's rows name (a missing one counted as
        // one): more than one marks an applicant id exported where an
        // application id belongs (`ids_across_vacancies`).
        app_aggs.push(
            col("vacancy_id")
                .n_unique()
                .cast(DataType::UInt64)
                .alias("vacancies"),
        );
        // Columns aggregated already (vacancy_id) are not taken twice.
        app_aggs.extend(
            by.iter()
                .filter(|b| !matches!(b.as_str(), "vacancy_id" | "ethnicity"))
                .map(|b| col(b.as_str()).first()),
        );
        for c in optional {
            if apps.has(c) && !by.iter().any(|b| b == c) {
                app_aggs.push(col(*c).first());
            }
        }
        if furthest_map.is_some() {
            app_aggs.push(col("furthest_stage").first());
        }
        if outcome_map.is_some() {
            app_aggs.push(col("outcome").first());
        }
        if apps.has("exit_reason") {
            app_aggs.push(col("exit_reason").first());
        }
        let stage_on = match (stage_date, &events) {
            (Some(r), Some((ev, _))) if ev.has("entered_at") => col("entered_at")
                .filter(col("rank").eq(lit(r as i32)))
                .min()
                .alias("stage_on"),
            _ => lit(NULL).cast(DataType::String).alias("stage_on"),
        };
        ExactInputs {
            apps: apps.frame.clone(),
            app_aggs,
            furthest_map,
            outcome_map,
            events: events.map(|(ev, map)| (ev.frame.clone(), map.clone())),
            stage_on,
        }
    }

    /// The per-application tables as read, to be split into the slices.
    pub(super) fn tables(&self) -> Vec<(TableKind, LazyFrame)> {
        let mut tables = vec![(TableKind::Applications, self.apps.clone())];
        if let Some((events, _)) = &self.events {
            tables.push((TableKind::StageEvents, events.clone()));
        }
        tables
    }

    /// The per-application frame of one slice: applications grouped by
    /// their id's text (a repeated row counted, the first kept),
    /// full-joined with their events reduced to the highest rank. A slice
    /// keeps the ids the hashed plan would put in it, so every row of one
    /// id (repeats, events) is in the same slice.
    pub(super) fn frame(&self, slice: &Slice) -> LazyFrame {
        let applications = slice
            .keep_ids(TableKind::Applications, self.apps.clone())
            .group_by([col("application_id")])
            .agg(self.app_aggs.clone());
        let applications = with_stage_rank(
            applications,
            self.furthest_map.as_ref(),
            "furthest_stage",
            "app_rank",
        );
        let applications = with_stage_rank(
            applications,
            self.outcome_map.as_ref(),
            "outcome",
            "outcome_rank",
        );
        let Some((events, map)) = &self.events else {
            return applications.with_columns([
                lit(NULL).cast(DataType::Int32).alias("event_rank"),
                lit(NULL).cast(DataType::UInt64).alias("n_events"),
                lit(NULL).cast(DataType::UInt64).alias("n_distinct"),
                lit(NULL).cast(DataType::String).alias("stage_on"),
            ]);
        };
        // Stage events, reduced to the highest rank per application.
        let per_app = ranked_events(slice.keep_ids(TableKind::StageEvents, events.clone()), map)
            .group_by([col("application_id")])
            .agg([
                col("rank").max().alias("event_rank"),
                len().cast(DataType::UInt64).alias("n_events"),
                col("code")
                    .n_unique()
                    .cast(DataType::UInt64)
                    .alias("n_distinct"),
                self.stage_on.clone(),
            ]);
        applications.join(
            per_app,
            [col("application_id")],
            [col("application_id")],
            JoinArgs::new(JoinType::Full).with_coalesce(JoinCoalesce::CoalesceColumns),
        )
    }
}
