//! The per-application frame every measure shares: one row per
//! application with its label, breakdown values and the furthest stage it
//! reached, from a furthest-stage column or from stage events.

use std::sync::Arc;

use polars::prelude::*;

mod exact;

use super::PANEL_TYPE;
use super::by_application::{KernelCells, PanelCodes};
use super::hashed::{self, Slice};
use super::stage_values::stage_value_pass;
use super::{PERIODS, StageSource, TableAccount, period_name};
use crate::error::{Error, Result};
use crate::ingest::{self, Dataset, Profile, Scan, Source, TableKind};
use crate::taxonomy::ladder::Ladder;
use exact::ExactInputs;

/// The row-accounting reason for a repeated applications row.
pub(super) const DUPLICATE_APPLICATION: &str = "duplicate application_id (first row kept)";

/// The per-application frame: one row per distinct application_id found in
/// the applications or stage_events table, with its first applications
/// row's columns, the highest stage it reached, and what is needed to
/// account for every row. Every counting query starts from it.
pub(crate) struct AppFrame {
    /// The lazy frame (cached: shared by all queries of one pass); none
    /// when the kernel counted the funnel's cells in its place.
    frame: Option<LazyFrame>,
    /// The applications scan.
    pub apps: Scan,
    /// The stage_events scan, if stages come from events.
    pub events: Option<Scan>,
    /// Where stages came from.
    pub stage_source: StageSource,
    /// Row account of stage_events from the stage-value pre-pass.
    pub events_account: Option<TableAccount>,
    /// The ladder.
    pub ladder: Ladder,
    /// The profile the tables were read with.
    pub profile: Profile,
    /// Whether the frame is keyed by hashed ids (see `hashed`): its counts
    /// stand only if no applications row was repeated and no hashes
    /// collided.
    pub hashed: bool,
    /// What the hashed plan's frame is built from, to build it again for
    /// one slice of the applications.
    hashed_inputs: Option<hashed::HashedInputs>,
    /// The same for the exact plan.
    exact_inputs: Option<ExactInputs>,
    /// What is added to it after grouping (again for each slice).
    finish: Finish,
    /// The candidate check's pairs of the slice's applications (columns
    /// `candidate`, `label`), when the slice's read of the applications
    /// took them (see [`super::by_application`]).
    pub candidates: Option<DataFrame>,
    /// Whether the slices take the candidate check's pairs from their
    /// reads (see [`FrameExtras::candidates`]; the applications have
    /// candidate ids). Without, a check that runs reads the files itself.
    check_candidates: bool,
    /// Whether, and how, the hashed plan's kernel counts the funnel's
    /// cells itself: in place of the frame when the funnel query is the
    /// only one over it (see [`FrameExtras::funnel_only`]); beside it,
    /// keyed by the vacancies' panel types too (the frame's are joined by
    /// the finish), when other queries read it.
    kernel_cells: KernelCells,
    /// The funnel query's result, when the kernel counted it for this
    /// slice: in place of the frame (`frame` is then none) or beside it.
    pub cells: Option<DataFrame>,
}

impl AppFrame {
    /// The per-application rows, for a query over them.
    ///
    /// # Panics
    /// When the kernel counted the funnel's cells in their place: it does
    /// so only for a pass whose one query is the funnel's.
    pub(super) fn rows(&self) -> LazyFrame {
        self.frame
            .clone()
            .expect("the per-application rows were counted into the funnel's cells")
    }

    /// The applications rows the frame is built from, for queries that
    /// read them apart (the candidate check in a pass of several slices).
    pub(super) fn application_rows(&self) -> LazyFrame {
        match &self.hashed_inputs {
            Some(inputs) => inputs.apps.clone(),
            None => self.apps.frame.clone(),
        }
    }

    /// Whether the kernel counts the funnel's cells in place of the
    /// frame (see [`super::by_application`]).
    pub(super) fn counts_cells(&self) -> bool {
        matches!(self.kernel_cells, KernelCells::Alone(_))
    }

    /// The frame of one slice of the applications. Under the hashed plan
    /// the slice's applications and events are read from `sources` here
    /// and grouped by rung's kernel (see [`super::by_application`]); the
    /// exact plan's stays a lazy polars plan.
    pub(super) fn slice(&self, slice: &Slice, sources: &[&Source]) -> Result<AppFrame> {
        // The check's pairs are taken from the kernel's read, not from a
        // read of their own (see `FrameExtras::candidates`); a split
        // writes the pairs apart, by candidate (see `hashed::write_parts`).
        let check_candidates = self.check_candidates && slice.parts.is_none();
        let mut candidates = None;
        let mut cells = None;
        let frame = match (&self.hashed_inputs, &self.exact_inputs) {
            (Some(inputs), _) => {
                let read = super::by_application::frame(
                    inputs,
                    slice,
                    check_candidates,
                    &self.kernel_cells,
                    sources,
                    &self.profile,
                )?;
                candidates = read.candidates;
                cells = read.cells;
                match (read.frame, self.kernel_cells.panel_types().is_some()) {
                    (None, _) => None,
                    // The kernel gave the applications rows their panel
                    // types; the ids only the events have, none.
                    (Some(frame), true) => Some(self.finish.apply_with_panel_types(frame.lazy())),
                    (Some(frame), false) => Some(self.finish.apply(frame.lazy())),
                }
            }
            (None, Some(exact)) if slice.of > 1 => Some(self.finish.apply(exact.frame(slice))),
            _ => self.frame.clone(),
        };
        Ok(AppFrame {
            frame,
            finish: self.finish.clone(),
            apps: self.apps.clone(),
            events: self.events.clone(),
            stage_source: self.stage_source,
            events_account: self.events_account.clone(),
            ladder: self.ladder.clone(),
            profile: self.profile.clone(),
            hashed: self.hashed,
            hashed_inputs: self.hashed_inputs.clone(),
            exact_inputs: self.exact_inputs.clone(),
            candidates,
            check_candidates: self.check_candidates,
            kernel_cells: self.kernel_cells.clone(),
            cells,
        })
    }

    /// The per-application tables, and `others` (scores, as the split
    /// writes them: see `ScorePrep::rows_to_split`), as the slices read
    /// them (under the hashed plan see
    /// [`hashed::HashedInputs::split_tables`], under the exact plan as
    /// read), to be split into the slices once.
    pub(super) fn split_tables(
        &self,
        others: &[(TableKind, LazyFrame)],
    ) -> Vec<(TableKind, LazyFrame)> {
        let (mut tables, keyed): (_, fn(LazyFrame) -> LazyFrame) =
            match (&self.hashed_inputs, &self.exact_inputs) {
                (Some(inputs), _) => (inputs.split_tables(), hashed::keyed),
                (None, Some(inputs)) => (inputs.tables(), |rows| rows),
                (None, None) => return Vec::new(),
            };
        tables.extend(
            others
                .iter()
                .map(|(table, rows)| (*table, keyed(rows.clone()))),
        );
        tables
    }

    /// The files the frame reads.
    pub fn sources(&self) -> Vec<&Source> {
        let mut s = vec![&self.apps.source];
        if let Some(ev) = &self.events {
            s.push(&ev.source);
        }
        s
    }
}

/// What is added to the per-application frame once its rows are grouped:
/// optional columns the applications lack (as nulls), each vacancy's panel
/// type, and the reach flags.
#[derive(Clone)]
struct Finish {
    absent: Vec<Expr>,
    panel_types: Option<LazyFrame>,
    /// The panel type of a vacancy without a panel (of the same type as
    /// the panel types').
    no_panel: Expr,
}

impl Finish {
    fn apply(&self, joined: LazyFrame) -> LazyFrame {
        self.finish(joined, false)
    }

    /// [`Self::apply`] to a frame whose applications rows have their panel
    /// types already (see `by_application::PanelCodes`): the rest, "no
    /// panel" as the join leaves them.
    fn apply_with_panel_types(&self, frame: LazyFrame) -> LazyFrame {
        self.finish(frame, true)
    }

    fn finish(&self, mut joined: LazyFrame, has_panel_types: bool) -> LazyFrame {
        if !self.absent.is_empty() {
            joined = joined.with_columns(self.absent.clone());
        }
        if has_panel_types {
            joined = joined.with_column(col(PANEL_TYPE).fill_null(self.no_panel.clone()));
        } else if let Some(types) = &self.panel_types {
            joined = joined
                .join(
                    types.clone(),
                    [col("vacancy_id")],
                    [col("vacancy_id")],
                    JoinArgs::new(JoinType::Left),
                )
                .with_column(col("panel_type").fill_null(self.no_panel.clone()));
        }
        with_reach(joined)
    }
}

/// What the per-application frame carries beyond the funnel's needs.
#[derive(Default)]
pub(crate) struct FrameExtras<'a> {
    /// Applications columns carried when present, as nulls when not
    /// (grade, sex, applied_on…).
    pub optional: &'a [&'a str],
    /// Carry `stage_on`: the date the application entered this stage
    /// (stage_events' entered_at).
    pub stage_date: Option<u8>,
    /// vacancy_id → panel_type, joined on as `panel_type` ("no_panel" when
    /// the vacancy has none).
    pub panel_types: Option<DataFrame>,
    /// Allow the hashed plan (funnel counts only).
    pub hashed: bool,
    /// The hashed plan's slices take the candidate check's pairs from
    /// their reads of the applications (see [`AppFrame::candidates`]), to
    /// be counted once all are in: for a pass whose pairs, all of them,
    /// fit its memory budget.
    pub candidates: bool,
    /// The funnel query is the only query over the frame (no exits,
    /// panels or scores): the hashed plan's kernel may count its cells
    /// itself, without building the frame.
    pub funnel_only: bool,
}

/// Builds the per-application frame. `by` columns must exist.
pub(crate) fn application_frame(
    dataset: &Dataset,
    profile: &Profile,
    by: &[String],
    extras: &FrameExtras,
) -> Result<AppFrame> {
    let optional = extras.optional;
    let stage_map = profile
        .stage_map()
        .map_err(|e| Error::usage(format!("stage values: {e}"), None))?;
    let apps_source = dataset.applications("counting rows")?;
    let mut wanted: Vec<&str> = by.iter().map(String::as_str).collect();
    wanted.push("furthest_stage");
    wanted.push("candidate_id");
    wanted.push("outcome");
    wanted.push("exit_reason");
    wanted.extend(optional.iter().filter(|c| !by.iter().any(|b| b == *c)));
    let periods: Vec<&str> = PERIODS
        .into_iter()
        .filter(|p| by.iter().any(|b| b == p))
        .collect();
    if !periods.is_empty() {
        wanted.push("applied_on");
    }
    let mut apps = ingest::scan(apps_source, profile, &wanted)?;
    // A period without a column of its name: derived from applied_on
    // ("2025Q1", "2025/26 Q4", "2025/26"; "(missing)" when undated).
    for period in periods {
        if !apps.has(period) && apps.has("applied_on") {
            apps.frame = apps.frame.with_column(period_name(period).alias(period));
            apps.columns.insert(period.to_string());
        }
    }
    for b in by {
        if !apps.has(b) {
            return Err(Error::input(
                &apps_source.path,
                format!("--by {b}: the applications table has no column '{b}'"),
            )
            .with_hint(
                "--by takes a column of the applications table, e.g. organisation, agency or grade",
            ));
        }
    }
    let events = dataset
        .get(TableKind::StageEvents)
        .map(|s| ingest::scan(s, profile, &["entered_at"]))
        .transpose()?;

    let mut events_account = None;
    let (stage_source, stage_frame) = match &events {
        Some(ev) => {
            let (map, account, _) =
                stage_value_pass(ev, &stage_map, "stage", &["application_id"], profile)?;
            events_account = Some(account);
            (StageSource::StageEvents, Some((ev, map)))
        }
        None if apps.has("furthest_stage") => (StageSource::FurthestStage, None),
        None => {
            return Err(Error::input(
                &apps_source.path,
                "no stage information: expected a stage_events table beside it or a furthest_stage column",
            )
            .with_hint("add stage_events.csv to the dataset folder, name it with --stage-events FILE, or map a furthest-stage column in a profile"));
        }
    };
    let furthest_map = if stage_source == StageSource::FurthestStage {
        let (map, _, exits) = stage_value_pass(&apps, &stage_map, "furthest_stage", &[], profile)?;
        // One status column feeding the stage and the exit reason: only
        // the values the profile marks "exit" are exits; a stage is not.
        let same_column = profile.source_column(TableKind::Applications, "exit_reason")
            == profile.source_column(TableKind::Applications, "furthest_stage");
        if same_column && apps.has("exit_reason") {
            let exits = Series::new("exits".into(), exits);
            apps.frame = apps.frame.with_column(
                when(col("furthest_stage").is_in(lit(exits).implode(false), false))
                    .then(col("exit_reason"))
                    .otherwise(lit(NULL).cast(DataType::String))
                    .alias("exit_reason"),
            );
        }
        Some(map)
    } else {
        None
    };
    // An outcome column (e.g. Greenhouse's status "hired", Lever's archive
    // reason "Hired") can raise the stage the events or furthest_stage give:
    // a hired application was appointed wherever its stage history stops.
    let outcome_map = if apps.has("outcome") {
        Some(stage_value_pass(&apps, &stage_map, "outcome", &[], profile)?.0)
    } else {
        None
    };

    let codes = match &stage_frame {
        Some((_, map)) => map
            .column("code")
            .ok()
            .and_then(|c| c.u32().ok().and_then(|ca| ca.max()))
            .map_or(0, |m| m + 1),
        None => 0,
    };
    let hashed_plan = extras.hashed
        && !by.iter().any(|b| b == "candidate_id" || b == "ethnicity")
        && codes <= hashed::MAX_CODES;
    let mut hashed_inputs = None;
    let mut exact_inputs = None;
    let joined = if hashed_plan {
        let mut carry: Vec<String> = by.to_vec();
        // Panels and scores (which ask for optional columns) need each
        // application's vacancy, as the exact plan always carries it.
        let vacancy =
            (!optional.is_empty() || extras.panel_types.is_some()).then_some("vacancy_id");
        // (Not candidate_id: the candidate check reads the applications
        // rows itself.)
        let wanted = std::iter::once("exit_reason")
            .chain(vacancy)
            .chain(optional.iter().copied());
        for c in wanted {
            if apps.has(c) && !carry.iter().any(|b| b == c) {
                carry.push(c.to_string());
            }
        }
        let rows = with_stage_rank(
            apps.frame.clone(),
            furthest_map.as_ref(),
            "furthest_stage",
            "app_rank",
        );
        let rows = with_stage_rank(rows, outcome_map.as_ref(), "outcome", "outcome_rank");
        let inputs = hashed::HashedInputs {
            apps: rows,
            carry,
            events: stage_frame
                .as_ref()
                .map(|(ev, map)| (ev.frame.clone(), map.clone())),
            codes,
            stage_date: extras
                .stage_date
                .filter(|_| events.as_ref().is_some_and(|ev| ev.has("entered_at"))),
            app_rank: furthest_map.is_some().then(|| col("app_rank")),
            outcome_rank: outcome_map.is_some().then(|| col("outcome_rank")),
        };
        hashed_inputs = Some(inputs.clone());
        hashed::frame(inputs, &Slice::WHOLE)
    } else {
        let inputs = ExactInputs::new(
            &apps,
            by,
            optional,
            furthest_map.clone(),
            outcome_map.clone(),
            stage_frame.as_ref().map(|(ev, map)| (*ev, map)),
            extras.stage_date,
        );
        let joined = inputs.frame(&Slice::WHOLE);
        exact_inputs = Some(inputs);
        joined
    };
    let internal = |e: PolarsError| Error::Internal(format!("panel types: {e}"));
    // Under the hashed plan vacancy_id is categorical, and joins as one:
    // the vacancies' text made categorical once, not in every slice. The
    // panel type too, so the funnel's running sums add on numbers. "No
    // panel" is made a category now, not when the query runs: the funnel
    // packs its keys in the bits the categories had when it was planned
    // (see `packed_key`).
    let coded_panel_types = match (&extras.panel_types, hashed_plan) {
        (Some(types), true) => {
            let coded = types
                .clone()
                .lazy()
                .with_columns([
                    hashed::categorical("vacancy_id"),
                    hashed::categorical("panel_type"),
                ])
                .collect()
                .map_err(internal)?;
            let DataType::Categorical(_, mapping) = hashed::global_categorical() else {
                unreachable!("the global categories' type is categorical")
            };
            let no_panel = mapping.insert_cat("no_panel").map_err(internal)?;
            Some((coded, no_panel))
        }
        _ => None,
    };
    let finish = Finish {
        absent: optional
            .iter()
            .filter(|c| !apps.has(c))
            .map(|c| lit(NULL).cast(DataType::String).alias(*c))
            .collect(),
        // Coded once, above, under the hashed plan.
        panel_types: match (&coded_panel_types, &extras.panel_types) {
            (Some((types, _)), _) => Some(types.clone().lazy()),
            (None, Some(types)) => Some(types.clone().lazy()),
            (None, None) => None,
        },
        no_panel: match hashed_plan {
            true => lit("no_panel").cast(hashed::global_categorical()),
            false => lit("no_panel"),
        },
    };

    // Cells counted by the kernel need nothing the finish adds but the
    // reach flags, which it computes itself.
    let alone = hashed_plan
        && extras.funnel_only
        && !apps.has("exit_reason")
        && finish.absent.is_empty()
        && finish.panel_types.is_none()
        && hashed_inputs
            .as_ref()
            .is_some_and(|inputs| inputs.stage_date.is_none() && inputs.carry == by);
    // With other queries over the frame (exits, panels, scores), the
    // kernel counts the funnel's cells beside it, keyed by the vacancies'
    // panel types as by a breakdown: the funnel query does not group the
    // frame's rows again (about a fifth of the 10M national full audit's
    // slices' time).
    let kernel_cells = match &hashed_inputs {
        _ if alone => KernelCells::Alone(by.to_vec()),
        Some(inputs) if !extras.funnel_only => {
            let has_vacancy = inputs.carry.iter().any(|c| c == "vacancy_id");
            match &coded_panel_types {
                Some((types, no_panel)) if has_vacancy => {
                    let codes = PanelCodes::new(types, *no_panel).map_err(internal)?;
                    let mut keys = by.to_vec();
                    keys.push(PANEL_TYPE.to_string());
                    KernelCells::BesideFrame(keys, Some(Arc::new(codes)))
                }
                Some(_) => KernelCells::No,
                None => KernelCells::BesideFrame(by.to_vec(), None),
            }
        }
        _ => KernelCells::No,
    };
    Ok(AppFrame {
        frame: Some(finish.apply(joined)),
        finish,
        candidates: None,
        check_candidates: extras.candidates && apps.has("candidate_id"),
        kernel_cells,
        cells: None,
        apps,
        events,
        stage_source,
        events_account,
        ladder: stage_map.ladder().clone(),
        profile: profile.clone(),
        hashed: hashed_plan,
        hashed_inputs,
        exact_inputs,
    })
}

/// The flags and reached stage every query reads, on the joined
/// per-application columns.
pub(super) fn with_reach(joined: LazyFrame) -> LazyFrame {
    joined
        .with_columns([
            col("app_rows").is_not_null().alias("in_apps"),
            col("application_id").is_null().alias("id_missing"),
            col("event_rank")
                .is_not_null()
                .or(col("app_rank").is_not_null())
                .or(col("outcome_rank").is_not_null())
                .alias("has_stage"),
            {
                let base = coalesce(&[col("event_rank"), col("app_rank"), lit(0i32)])
                    .cast(DataType::Int32);
                let outcome = col("outcome_rank").cast(DataType::Int32);
                when(outcome.clone().gt(base.clone()).fill_null(lit(false)))
                    .then(outcome)
                    .otherwise(base)
                    .alias("reached")
            },
        ])
        .cache()
}

/// Stage events with an application id and a stage on the ladder, with
/// that stage's rank and code (ignored values drop out here; they were
/// counted by the stage-value pre-pass).
pub(crate) fn ranked_events(events: LazyFrame, map: &DataFrame) -> LazyFrame {
    events.filter(col("application_id").is_not_null()).join(
        map.clone()
            .lazy()
            .select([col("value").alias("stage"), col("rank"), col("code")]),
        [col("stage")],
        [col("stage")],
        JoinArgs::new(JoinType::Inner),
    )
}

/// Joins the ladder rank of a stage-valued applications column (through its
/// value map) as `rank_alias`; a null column when the table has none.
pub(super) fn with_stage_rank(
    applications: LazyFrame,
    map: Option<&DataFrame>,
    column: &str,
    rank_alias: &str,
) -> LazyFrame {
    match map {
        Some(map) => applications.join(
            map.clone()
                .lazy()
                .select([col("value").alias(column), col("rank").alias(rank_alias)]),
            [col(column)],
            [col(column)],
            JoinArgs::new(JoinType::Left),
        ),
        None => applications.with_column(lit(NULL).cast(DataType::Int32).alias(rank_alias)),
    }
}
