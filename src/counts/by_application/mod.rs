//! The hashed plan's per-application frame of one slice, grouped by
//! rung's own kernel ([`partitioned`]): polars reads the slice's
//! applications rows and ranked stage events, keyed by the hash of their
//! ids; the kernel adds each application's events up; the frame is the
//! applications rows with what their events add, and a row for each id
//! only the events have.
//!
//! It gives the frame [`super::hashed::frame`] plans in polars, with two
//! differences that change no count: applications rows without an id each
//! stay a row (polars groups them in one), and so do repeated ids (which
//! send the count to the exact plan, so their frame is not read). The
//! tests hold the two to each other.

mod cells;
mod panel_types;
mod partitioned;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use polars::prelude::*;

use super::collect_all;
use super::hashed::{HashedInputs, MAX_CODES, Slice, candidate, categorical, stage_on};
use super::plan::release_freed_memory;
use super::stage_values::stage_lookup;
use super::text_codes::looked_up;
use crate::error::{Error, Result};
use crate::ingest::{Profile, Source, TableKind};
pub(crate) use panel_types::PanelCodes;
use partitioned::{
    AppRows, Applications, CODE_BITS, DateOf, EventRows, Grouped, Release, State,
    deal_applications, deal_events, group, partition_bits,
};

// The hashed plan's codes (at most MAX_CODES) fit the bits the kernel
// packs a code in, and its bit per code.
const _: () = assert!(MAX_CODES <= 1 << CODE_BITS);

/// The per-application frame of one slice (or the funnel's cells counted
/// from it, or both), and the candidate check's pairs when they were taken
/// from the same read.
pub(crate) struct SliceFrame {
    /// The per-application frame, unless the kernel counted the funnel's
    /// cells in its place ([`KernelCells::Alone`]).
    pub frame: Option<DataFrame>,
    /// The funnel query's result, when the kernel counted it (see
    /// [`cells`]): in place of the frame or beside it.
    pub cells: Option<DataFrame>,
    /// The candidate check's pairs (see [`candidate_pairs`]).
    pub candidates: Option<DataFrame>,
}

/// Whether, and how, the kernel counts the funnel's cells (see
/// [`cells`]) by the breakdowns it holds.
#[derive(Clone)]
pub(crate) enum KernelCells {
    /// It does not: the funnel query groups the frame's rows.
    No,
    /// In place of the frame, when the funnel query is the only one over
    /// it.
    Alone(Vec<String>),
    /// Beside the frame, which other queries read (exits, panels,
    /// scores): the funnel query then does not group its rows again. With
    /// each vacancy's panel type as codes when panels are counted (the
    /// breakdowns then end with `panel_type`).
    BesideFrame(Vec<String>, Option<Arc<PanelCodes>>),
}

impl KernelCells {
    /// The breakdowns the cells are counted by, if they are.
    fn by(&self) -> Option<&[String]> {
        match self {
            KernelCells::No => None,
            KernelCells::Alone(by) | KernelCells::BesideFrame(by, _) => Some(by),
        }
    }

    /// Each vacancy's panel type, when the cells are keyed by it.
    pub(crate) fn panel_types(&self) -> Option<&PanelCodes> {
        match self {
            KernelCells::BesideFrame(_, Some(codes)) => Some(codes),
            _ => None,
        }
    }
}

/// The per-application frame of `slice`, as [`super::hashed::frame`]
/// gives it (see the module's note), read from `sources`. With
/// `check_candidates` the candidate check's pairs (each application's
/// candidate and label) are taken from the same read of the applications:
/// a file is read, and a CSV parsed, once, not twice. As `kernel_cells`
/// says, the funnel query's result is counted, when its keys pack into
/// one number: in place of the frame, or beside it.
pub(crate) fn frame(
    inputs: &HashedInputs,
    slice: &Slice,
    check_candidates: bool,
    kernel_cells: &KernelCells,
    sources: &[&Source],
    profile: &Profile,
) -> Result<SliceFrame> {
    let (apps, events) = read(inputs, slice, check_candidates);
    // Read one after the other, not in one run of the streaming engine:
    // run together, the two reads' buffers were held at once. 10M national
    // applications in one slice: a high-water mark of 995 MiB after the
    // reads against 814, and a peak of 1,230-1,361 MiB against
    // 1,121-1,165; in two slices 876-898 against 724-769; no slower.
    let mut apps = collect_all(vec![apps], sources, profile)?.remove(0);
    let internal = |e: PolarsError| Error::Internal(format!("grouping the applications: {e}"));
    let frame_too = matches!(kernel_cells, KernelCells::BesideFrame(..));
    // The vacancies' panel types, keyed on as a breakdown is.
    if let Some(types) = kernel_cells.panel_types() {
        let panel_types = types.of(apps.column("vacancy_id").map_err(internal)?);
        apps.with_column(panel_types.map_err(internal)?)
            .map_err(internal)?;
    }
    // (Counting the cells alone, the events' dates are not read: the
    // frame, not the cells, carries them.)
    let counting = kernel_cells
        .by()
        .filter(|_| frame_too || inputs.stage_date.is_none())
        .and_then(|by| Some((by, cells::packing(&apps, by)?)));
    // When the kernel counts the cells alone (their memory budget counts
    // on it), freed pages are handed back after each read and each time
    // the kernel lets a large part go: jemalloc keeps them for seconds,
    // and the kernel's next, larger allocations (one vector each) cannot
    // reuse them, so they stacked. A read's buffers alone were 360 MiB
    // over what it kept. 10M national applications in one slice peaked at
    // 928 MiB against 1,108-1,135. Not when the frame is built, where the
    // pages are reused slice after slice: handed back, the 10M national
    // audit's nine slices took them again at 0.5-1.8 s more system time.
    let cells_alone = counting.is_some() && !frame_too;
    let release: Release = match cells_alone {
        true => &release_freed_memory,
        false => &|| {},
    };
    release();
    let mut events = collect_all(vec![events], sources, profile)?.remove(0);
    release();
    // The check's candidates are taken out of the applications, and
    // paired with their labels once the kernel is done and the events let
    // go of.
    let candidates = match check_candidates {
        true => Some(apps.drop_in_place("candidate").map_err(internal)?),
        false => None,
    };
    let applications = apps.height();
    apps.align_chunks_par();
    events.align_chunks_par();
    let (grouped, dates) = grouped(&mut apps, events, cells_alone, release).map_err(internal)?;
    let cells = match &counting {
        Some((by, packing)) => {
            let orphans = kernel_cells
                .panel_types()
                .map(|types| (crate::counts::PANEL_TYPE, types.no_panel()));
            // The kernel's cells read whether each row has an id, which
            // the frame's query reads from the ids the frame keeps.
            if frame_too {
                let missing = apps.column("application_id").map_err(internal)?.is_null();
                apps.with_column(missing.with_name("id_missing".into()).into_column())
                    .map_err(internal)?;
            }
            let counted = cells::funnel_cells(&apps, &grouped, by, packing, orphans);
            if frame_too {
                apps.drop_in_place("id_missing").map_err(internal)?;
            }
            Some(counted.map_err(internal)?)
        }
        None => None,
    };
    let frame = match (&cells, frame_too) {
        (Some(_), false) => {
            drop(grouped);
            None
        }
        _ => Some(assemble(apps.clone(), dates, grouped, inputs).map_err(internal)?),
    };
    // The applications' labels are the frame's first rows'.
    let candidates = candidates
        .map(|candidate| candidate_pairs(candidate, &apps, applications))
        .transpose()
        .map_err(internal)?;
    Ok(SliceFrame {
        frame,
        cells,
        candidates,
    })
}

/// The candidate check's pairs of the applications (the first
/// `applications` rows of `frame`, or of their read) whose candidates are
/// `candidate`: the
/// columns `candidate` and `label` (the frame's categorical, whose type
/// keeps the codes' mapping alive while the pairs wait to be counted).
fn candidate_pairs(
    candidate: Column,
    frame: &DataFrame,
    applications: usize,
) -> PolarsResult<DataFrame> {
    let label = frame
        .column("ethnicity")?
        .slice(0, applications)
        .with_name("label".into());
    DataFrame::new(applications, vec![candidate, label])
}

/// The slice's applications rows (key, check, ethnicity, carried columns,
/// ranks, and with `candidates` the candidate's hash) and ranked events
/// (key, check, rank, code, and the dated rank's date), as the kernel
/// reads them.
fn read(inputs: &HashedInputs, slice: &Slice, candidates: bool) -> (LazyFrame, LazyFrame) {
    let mut columns = vec![
        col("application_id"),
        col("id_check").alias("check"),
        categorical("ethnicity"),
    ];
    if candidates {
        columns.push(candidate());
    }
    columns.extend(inputs.carry.iter().map(|c| categorical(c)));
    for (name, rank) in [
        ("app_rank", &inputs.app_rank),
        ("outcome_rank", &inputs.outcome_rank),
    ] {
        if let Some(rank) = rank {
            columns.push(rank.clone().cast(DataType::Int32).alias(name));
        }
    }
    let apps = slice
        .rows_of(TableKind::Applications, inputs.apps.clone())
        .select(columns);
    let mut columns = vec![col("application_id"), col("id_check"), col("stage")];
    columns.extend(inputs.stage_date.map(stage_on));
    let events = match &inputs.events {
        Some((events, map)) => {
            let keyed = slice.rows_of(TableKind::StageEvents, events.clone());
            match slice.parts {
                // The parts hold the events ranked: rank and code in one
                // number, as the kernel unpacks it.
                Some(_) => keyed.with_column(
                    ((col("rank").cast(DataType::UInt32) * lit(1u32 << CODE_BITS))
                        + col("code").cast(DataType::UInt32))
                    .alias("stage"),
                ),
                None => ranked(keyed, map),
            }
            .select(columns)
        }
        // Stages from furthest_stage: no events.
        None => DataFrame::new_infer_height(vec![
            Column::new_empty("application_id".into(), &DataType::UInt64),
            Column::new_empty("id_check".into(), &DataType::UInt32),
            Column::new_empty("stage".into(), &DataType::UInt32),
        ])
        .expect("columns of one length")
        .lazy(),
    };
    (apps, events)
}

/// The kernel run on the read frames (their chunks aligned). The events
/// are let go of as they are dealt (but for their dates, when read), and
/// their memory `release`d. `counting` the cells (not building the frame),
/// the applications' ids and checks are let go of once dealt, and only
/// whether each row had an id (`id_missing`) stays.
fn grouped(
    apps: &mut DataFrame,
    events: DataFrame,
    counting: bool,
    release: Release,
) -> PolarsResult<(Grouped, Option<Series>)> {
    let bits = partition_bits(apps.height());
    let text = |e: String| polars_err!(ComputeError: "{e}");
    let dealt_apps = {
        let app_keys = apps.column("application_id")?.as_materialized_series();
        let has_key = app_keys.u64()?.downcast_iter().map(|a| {
            a.validity()
                .filter(|v| v.unset_bits() > 0)
                .map(|v| v.iter().collect::<Vec<bool>>())
        });
        let (keys, checks) = (
            buffers::<UInt64Type>(apps, "application_id")?,
            buffers::<UInt32Type>(apps, "check")?,
        );
        let applications = Applications {
            pieces: keys
                .iter()
                .zip(&checks)
                .zip(has_key)
                .map(|((keys, checks), has_key)| AppRows {
                    keys,
                    checks,
                    has_key,
                })
                .collect(),
        };
        deal_applications(&applications, bits).map_err(text)?
    };
    if counting {
        let ids = apps.drop_in_place("application_id")?;
        apps.drop_in_place("check")?;
        let missing = ids.as_materialized_series().is_null();
        apps.with_column(missing.with_name("id_missing".into()).into_column())?;
    }
    if events.column("application_id")?.null_count() > 0 {
        polars_bail!(ComputeError: "a ranked event without an id");
    }
    let dates = match events.column("stage_on") {
        Ok(c) => Some(c.as_materialized_series().rechunk()),
        Err(_) => None,
    };
    let pieces: Vec<_> = buffers::<UInt64Type>(&events, "application_id")?
        .into_iter()
        .zip(buffers::<UInt32Type>(&events, "id_check")?)
        .zip(buffers::<UInt32Type>(&events, "stage")?)
        .map(|((keys, checks), stages)| EventRows {
            keys,
            checks,
            stages,
        })
        .collect();
    // The pieces hold the events' columns now, each let go of as dealt.
    drop(events);
    let dealt = deal_events(pieces, bits, dates.is_some(), release).map_err(text)?;
    release();
    let text_of = dates.as_ref().map(|d| d.str()).transpose()?;
    let text_of = text_of.map(|d| d.downcast_as_array());
    let date = |row: usize| text_of.and_then(|d| d.get(row));
    let grouped = group(dealt_apps, dealt, Some(date_reader(&date)), release).map_err(text)?;
    Ok((grouped, dates))
}

/// The events whose stage `map` ranks, their stage's text replaced by its
/// rank and code in one number (and the rank alone as `rank`, for the
/// dated rank's dates): what [`super::ranked_events`] gives, without its
/// join, whose hashing and probing of every event's text was about 5% of
/// the 10M national funnel's CPU. A Parquet column's repeated values are
/// looked up once a chunk (see [`looked_up`]).
fn ranked(events: LazyFrame, map: &DataFrame) -> LazyFrame {
    let packed = stage_lookup(map, |rank, code| (rank << CODE_BITS) + code);
    let packed = Arc::new(packed.expect("the stage map's columns"));
    events
        .filter(col("application_id").is_not_null())
        .with_column(
            col("stage")
                .map(
                    move |stage| looked_up(&stage, &packed),
                    |_, field| Ok(Field::new(field.name().clone(), DataType::UInt32)),
                )
                .alias("stage"),
        )
        .filter(col("stage").is_not_null())
        .with_column(
            (col("stage") / lit(1u32 << CODE_BITS))
                .cast(DataType::Int32)
                .alias("rank"),
        )
}

/// A numeric column's chunks' values (the frame's chunks aligned), held
/// apart from the frame (which can be let go of while they are in use).
fn buffers<T: PolarsNumericType>(
    df: &DataFrame,
    name: &str,
) -> PolarsResult<Vec<impl std::ops::Deref<Target = [T::Native]> + Send + Sync + use<T>>> {
    let column = df.column(name)?.as_materialized_series();
    Ok(column
        .unpack::<T>()?
        .downcast_iter()
        .map(|a| a.values().clone())
        .collect())
}

/// `date` as the kernel takes it.
fn date_reader<'a>(date: &'a (impl Fn(usize) -> Option<&'a str> + Sync)) -> &'a DateOf<'a> {
    date
}

/// The frame: the applications rows with their states' columns, then the
/// orphans' rows (nulls where the applications table would have spoken).
fn assemble(
    apps: DataFrame,
    dates: Option<Series>,
    grouped: Grouped,
    inputs: &HashedInputs,
) -> PolarsResult<DataFrame> {
    let Grouped {
        applications,
        orphans,
    } = grouped;
    let state_columns = |states: &[State]| -> PolarsResult<Vec<Column>> {
        let mut columns = vec![
            states
                .iter()
                .map(|s| (s.n_events > 0).then_some(i32::from(s.rank)))
                .collect::<Int32Chunked>()
                .with_name("event_rank".into())
                .into_column(),
            UInt32Chunked::from_vec(
                "n_events".into(),
                states.iter().map(|s| s.n_events).collect(),
            )
            .into_column(),
            UInt32Chunked::from_vec(
                "n_distinct".into(),
                states.iter().map(|s| s.distinct_codes()).collect(),
            )
            .into_column(),
            states
                .iter()
                .map(|s| s.collided)
                .collect::<BooleanChunked>()
                .with_name("collided".into())
                .into_column(),
        ];
        columns.push(match &dates {
            Some(dates) => {
                let rows: IdxCa = states
                    .iter()
                    .map(|s| s.first_dated().map(|r| r as IdxSize))
                    .collect();
                dates
                    .take(&rows)?
                    .with_name("stage_on".into())
                    .into_column()
            }
            None => Column::full_null("stage_on".into(), states.len(), &DataType::String),
        });
        Ok(columns)
    };
    let mut frame = apps;
    let app_rows = UInt32Chunked::from_vec(
        "app_rows".into(),
        applications
            .iter()
            .map(|s| if s.repeated { 2 } else { 1 })
            .collect(),
    );
    frame.with_column(app_rows.into_column())?;
    for column in state_columns(&applications)? {
        frame.with_column(column)?;
    }
    drop(applications);
    if !orphans.is_empty() {
        let n = orphans.len();
        let mut columns = Vec::with_capacity(frame.width());
        for column in frame.columns() {
            let name = column.name().clone();
            columns.push(match name.as_str() {
                "application_id" => {
                    UInt64Chunked::from_vec(name, orphans.iter().map(|o| o.key).collect())
                        .into_column()
                }
                "check" => UInt32Chunked::from_vec(name, orphans.iter().map(|o| o.check).collect())
                    .into_column(),
                _ => Column::full_null(name, n, column.dtype()),
            });
        }
        let mut rest = DataFrame::new(n, columns)?;
        let states: Vec<State> = orphans.iter().map(|o| o.state).collect();
        for column in state_columns(&states)? {
            rest.with_column(column)?;
        }
        frame.vstack_mut(&rest)?;
    }
    // Ranks the applications table has no column for: null, as the
    // polars plan leaves them.
    for (name, rank) in [
        ("app_rank", &inputs.app_rank),
        ("outcome_rank", &inputs.outcome_rank),
    ] {
        if rank.is_none() {
            frame.with_column(Column::full_null(
                name.into(),
                frame.height(),
                &DataType::Int32,
            ))?;
        }
    }
    Ok(frame)
}
