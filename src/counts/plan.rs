//! The counting plan under a memory budget: how many slices of the
//! applications (by a hash of the id) the pass is run in, running the
//! queries slice by slice and adding the slices up.

use polars::prelude::*;

use super::hashed::{self, Slice};
use super::totals::{RunningSums, Total, is_key};
use super::{
    AppFrame, FrameExtras, FunnelCounts, PANEL_TYPE, application_frame, collect_all, funnel_counts,
    repeated_application_rows, u64_column,
};
use crate::error::{Error, Result};
use crate::ingest::{self, Dataset, Profile, Source, TableKind};

/// The counting pass's memory budget when none is given: 1 GiB, which
/// holds the per-application state of about five million applications (a
/// larger extract is counted in slices).
pub const DEFAULT_MEMORY: u64 = 1 << 30;

/// Memory the counting pass holds per application at a time, and beside
/// it (buffers, the engine): measured on generated extracts of 10M
/// applications (benches/RESULTS.md), rounded up.
pub(super) const BYTES_PER_APPLICATION: u64 = 150;
pub(super) const BASE_MEMORY: u64 = 256 << 20;

/// The same when the kernel counts the funnel's cells itself (see
/// `by_application::cells`; no frame is built), which lets go of the
/// applications' ids once dealt and of the events' columns as they are
/// dealt: by the applications' events (see [`counted_per_application`]).
/// Measured on 10M national Parquet applications in one slice with about
/// 0, 1.96 and 3.92 events an application (one event, the extract's
/// events, and its events twice over): peaks of 684, 795 and 1,214 MiB,
/// the engine itself about 70 of them. So about 64 bytes an application
/// with no events (the applications' read), else 33 bytes an application
/// and 22.2 an event; rounded up. (The national and standard shapes both
/// have 1.96 events an application: 80 bytes, and 10M fit the default
/// budget in one slice, peaking at 798-818 MiB. A CSV's resident memory
/// also counts the pages of the file polars maps: 1.3-1.4 GiB at 10M, in
/// one slice or two.)
pub(super) const BYTES_PER_COUNTED_APPLICATION: u64 = 34;
pub(super) const BYTES_PER_COUNTED_EVENT: u64 = 23;
pub(super) const BYTES_PER_COUNTED_READ: u64 = 66;

/// Bytes an application when the kernel counts the cells: its own and its
/// share of the events (by the tables' estimated rows), or its read's,
/// whichever is more.
fn counted_per_application(dataset: &Dataset) -> Result<u64> {
    let rows = |kind| -> Result<u64> {
        Ok(match dataset.get(kind) {
            Some(source) => ingest::estimated_rows(source)?,
            None => 0,
        })
    };
    let (apps, events) = (
        rows(TableKind::Applications)?,
        rows(TableKind::StageEvents)?,
    );
    let with_events = BYTES_PER_COUNTED_APPLICATION
        + events
            .saturating_mul(BYTES_PER_COUNTED_EVENT)
            .div_ceil(apps.max(1));
    Ok(with_events.max(BYTES_PER_COUNTED_READ))
}

/// The same with panels or scores in the pass: the frame carries the
/// vacancy, grade, sex and date of each application, and the panel and
/// score queries hold their own state. Measured on generated extracts with
/// panels and scores (rung generate): about 510 bytes at 1M applications in
/// one slice, 610 at 10M in two; rounded up.
pub(super) const BYTES_PER_SCORED_APPLICATION: u64 = 650;

/// The same under the exact plan (an applications row repeats), whose
/// groupings key on the ids' text: polars' grouping by text holds about
/// 400 bytes a group, and the plan groups applications and events apart.
/// Measured on 10M generated applications of the national shape with one
/// row repeated, under the default budget: 1.43M applications a slice
/// peaked at 1,466 MiB (applications and events only), 555,000 a slice
/// at 1,479 MiB (with panels and scores); rounded up.
pub(super) const BYTES_PER_EXACT_APPLICATION: u64 = 900;
pub(super) const BYTES_PER_EXACT_SCORED_APPLICATION: u64 = 2300;

/// Memory the candidate check holds per application: its candidate's hash
/// and label's code, twice (as read, and dealt into partitions, see
/// `candidates`), about 30 bytes; 64 is what the grouping table it
/// replaced held, kept as the margin. Far less than the
/// pass's per application, so the check runs in fewer slices than the
/// pass, each beside one of the pass's.
pub(super) const BYTES_PER_CANDIDATE: u64 = 64;

/// How many slices the hashed plan counts the applications in, so the
/// state of one slice fits the memory budget. Each slice reads the inputs
/// again, so no more are taken than the budget needs.
pub(super) fn slices_for(dataset: &Dataset, memory: u64, per_application: u64) -> Result<u64> {
    let Some(apps) = dataset.get(TableKind::Applications) else {
        return Ok(1);
    };
    let rows = ingest::estimated_rows(apps)?;
    let room = memory.saturating_sub(BASE_MEMORY).max(per_application);
    let slices = rows.saturating_mul(per_application).div_ceil(room).max(1);
    if slices > MAX_SLICES {
        let needed = memory_for(rows.div_ceil(MAX_SLICES), per_application);
        return Err(Error::usage(
            format!(
                "a memory budget of {} MiB would count these ~{rows} applications in {slices} slices, each a further read of the files: too many to finish in reasonable time",
                memory >> 20
            ),
            Some(format!(
                "give --memory {}MiB or more",
                needed.div_ceil(1 << 20)
            )),
        ));
    }
    Ok(slices)
}

/// From this many slices the per-application tables are split once into
/// temporary files, one part per slice (see `parts`); in fewer, each slice
/// reads the files whole. Writing the parts costs about as much as six
/// further reads of the tables (the whole audit of 10M applications in 9
/// slices: 6 s to split, against ~1 s a slice saved; benches/RESULTS.md).
pub(super) const SPLIT_FROM: u64 = 8;

/// The most slices the counting pass takes: each is a further read of the
/// files, so a budget needing more is refused rather than left to run for
/// hours.
pub const MAX_SLICES: u64 = 256;

/// The smallest `--memory` accepted: the engine's own memory and as much
/// again for a slice of applications (about 1.8 million).
pub const MIN_MEMORY: u64 = 2 * BASE_MEMORY;

/// The memory budget under which one slice holds `applications`
/// applications.
pub fn memory_for_applications(applications: u64) -> u64 {
    memory_for(applications, BYTES_PER_APPLICATION)
}

/// The memory budget under which one slice holds `applications`
/// applications of `per_application` bytes each.
fn memory_for(applications: u64, per_application: u64) -> u64 {
    BASE_MEMORY + applications * per_application
}

/// A reducing query, and how its results from several slices become one.
pub(crate) struct Query {
    /// The query.
    pub frame: LazyFrame,
    /// How its slices' results are put together.
    pub combine: Combine,
}

/// How one query's results from several slices become one.
pub(crate) enum Combine {
    /// Its count columns (UInt64) added up by all the other columns: right
    /// when each row's other columns are decided within a slice (the
    /// slices hold different applications).
    AddCounts,
    /// Grouped again by `keys` with `aggs` (e.g. per vacancy, whose
    /// applications fall in several slices: the largest stage reached of
    /// the slices' largest).
    By { keys: Vec<Expr>, aggs: Vec<Expr> },
    /// Every column but `keys` (UInt64 or Float64) added up by the keys.
    SumBy { keys: Vec<String> },
}

impl Combine {
    /// The keys a `SumBy` names (`None`: the columns that are not counts).
    fn sum_keys(&self) -> Option<&[String]> {
        match self {
            Combine::SumBy { keys } => Some(keys),
            _ => None,
        }
    }
}

impl From<LazyFrame> for Query {
    fn from(frame: LazyFrame) -> Query {
        Query {
            frame,
            combine: Combine::AddCounts,
        }
    }
}

/// The tables the queries read beside the per-application frame's
/// (panels, scores).
#[derive(Default)]
pub(super) struct OtherTables<'a> {
    /// Their files (named if reading fails).
    pub sources: Vec<&'a Source>,
    /// Those of them with a row per application (scores, as the split
    /// writes them: `ScorePrep::rows_to_split`), split into the slices
    /// with the applications.
    pub per_application: Vec<(TableKind, LazyFrame)>,
    /// Whether a split writes the candidate check's pairs too (when the
    /// applications have candidate ids), for the check to count a part
    /// in each slice (see [`super::hashed::Slice::candidate_pairs`]).
    pub candidate_pairs: bool,
}

/// Runs the reducing queries `queries` builds on the per-application
/// frame; the first must be the funnel query (by `keys`). The hashed plan
/// goes first, in slices when the extract is larger than the memory budget
/// holds; if it does not stand (a repeated applications row, a collision)
/// the exact plan counts again, in slices too. Slices' results are stacked
/// and their counts added. Returns the results and the funnel counts.
pub(super) fn run_plan(
    dataset: &Dataset,
    profile: &Profile,
    keys: &[String],
    mut extras: FrameExtras,
    memory: u64,
    others: &OtherTables,
    mut queries: impl FnMut(&AppFrame, &Slice) -> Vec<Query>,
) -> Result<(Vec<DataFrame>, FunnelCounts)> {
    let by: Vec<String> = keys.iter().filter(|k| *k != PANEL_TYPE).cloned().collect();
    let mut retried = false;
    // What the pre-passes (stage values, panel composition) freed.
    release_freed_memory();
    'plans: loop {
        let app = application_frame(dataset, profile, &by, &extras)?;
        // Panels and scores (the other tables) hold more per application
        // than the funnel; the exact plan, keyed by the ids' text, more
        // than the hashed.
        let per_application = match (app.hashed, others.sources.is_empty()) {
            (true, true) if app.counts_cells() => counted_per_application(dataset)?,
            (true, true) => BYTES_PER_APPLICATION,
            (true, false) => BYTES_PER_SCORED_APPLICATION,
            (false, true) => BYTES_PER_EXACT_APPLICATION,
            (false, false) => BYTES_PER_EXACT_SCORED_APPLICATION,
        };
        let slices = slices_for(dataset, memory, per_application)?;
        let mut sources = app.sources();
        sources.extend_from_slice(&others.sources);
        // In many slices the per-application tables are split once, so
        // each slice reads its part, not every table again.
        let parts = if slices >= SPLIT_FROM {
            let tables = app.split_tables(&others.per_application);
            let pairs = (others.candidate_pairs && app.apps.has("candidate_id"))
                .then(|| hashed::candidate_pairs(app.application_rows()));
            Some(hashed::write_parts(
                tables, pairs, app.hashed, slices, &sources, profile,
            )?)
        } else {
            None
        };
        let counted = std::thread::scope(|scope| {
            // The slices' results are added up on a thread of their own,
            // each while the next slice is counted: added on this one
            // they left a core idle for 0.85–1.04 s of the 10M national
            // audit (benches/RESULTS.md, thirteenth round), whose nine
            // slices then took 7.7–8.3 s against 6.8–7.8 (fourteenth). Memory
            // holds the running sums and at most two slices' results
            // (the one being added, the one waiting), not every slice's:
            // a national extract's funnel cells by organisation and panel
            // type are a million rows a slice.
            let (send, received) = std::sync::mpsc::sync_channel(0);
            let adder = scope.spawn(move || add_as_they_come(received));
            for index in 0..slices {
                let slice = Slice {
                    index,
                    of: slices,
                    parts: parts.clone(),
                };
                let again = match retried {
                    true => " again, exactly (an application id repeats)",
                    false => "",
                };
                crate::progress::step(match slices {
                    1 => format!("counting{again}"),
                    _ => format!("counting{again}, slice {} of {slices}", index + 1),
                });
                let part = app.slice(&slice, &sources)?;
                let (frames, how): (Vec<LazyFrame>, Vec<Combine>) = queries(&part, &slice)
                    .into_iter()
                    .map(|q| (q.frame, q.combine))
                    .unzip();
                let results = collect_all(frames, &sources, profile)?;
                if app.hashed && !hashed_slice_holds(&results[0])? {
                    // A repeated applications row or a hash collision:
                    // count again, exactly (the adder stops as `send`
                    // goes).
                    return Ok(None);
                }
                if send.send((results, how)).is_err() {
                    // The adder stopped on an error, which its result
                    // gives.
                    break;
                }
                // What a slice frees is not handed back: the next slice
                // reuses it. Handed back, every slice faulted its pages
                // in again (2.5M page faults in the 10M national audit
                // against 1.8M, 1.5 s more of the system's time), and the
                // peak was no lower.
            }
            drop(send);
            adder.join().expect("the thread adding up slices").map(Some)
        })?;
        let Some(total) = counted else {
            extras.hashed = false;
            retried = true;
            continue 'plans;
        };
        // What the slices freed: the reading of the sums does not reuse
        // it, and stacked on it came the 10M audit's peak.
        release_freed_memory();
        let internal = |e: PolarsError| Error::Internal(format!("adding up slices: {e}"));
        let mut totals = total.into_iter();
        let first = totals
            .next()
            .expect("the funnel query's total")
            .into_frame()
            .map_err(internal)?;
        // The funnel's cells are read while the other queries' sums become
        // frames.
        let (funnel, rest) = std::thread::scope(|scope| {
            let funnel = scope.spawn(|| funnel_counts(&app, &first, keys));
            let rest = totals
                .map(Total::into_frame)
                .collect::<PolarsResult<Vec<_>>>()
                .map_err(internal);
            (funnel.join().expect("reading the funnel's cells"), rest)
        });
        let (funnel, mut results) = (funnel?, rest?);
        results.insert(0, first);
        return Ok((results, funnel));
    }
}

/// The slices' results, as they come, added up.
fn add_as_they_come(
    slices: std::sync::mpsc::Receiver<(Vec<DataFrame>, Vec<Combine>)>,
) -> Result<Vec<Total>> {
    let mut total: Option<Vec<Total>> = None;
    for (results, how) in slices {
        total = Some(match total.take() {
            None => start_totals(results, &how),
            Some(sum) => add_slices(sum, results, &how)?,
        });
    }
    Ok(total.unwrap_or_default())
}

/// The running sums of the first slice's results: of rung's own where
/// the query's sums can be (see [`RunningSums`]), else the frame.
fn start_totals(results: Vec<DataFrame>, combine: &[Combine]) -> Vec<Total> {
    results
        .into_iter()
        .zip(combine)
        .map(|(df, how)| {
            let own = match how {
                Combine::By { .. } => None,
                _ => RunningSums::start(&df, how.sum_keys()),
            };
            own.map_or(Total::Frame(df), Total::Sums)
        })
        .collect()
}

/// Each query's running sum with one more slice's results added. Sums of
/// rung's own add the slice in place; the others (and any whose slice no
/// longer fits them) are stacked with it and put together as the query's
/// [`Combine`] says: its UInt64 count columns (for `SumBy`, all but the
/// keys) added up by the other columns, since the slices hold different
/// applications. All of polars' in one run of the streaming engine: one by
/// one in the default engine this took 0.7–0.9 s a slice of the 10M
/// national audit, a fifth of its time; then ~0.3 s.
pub(super) fn add_slices(
    sum: Vec<Total>,
    part: Vec<DataFrame>,
    combine: &[Combine],
) -> Result<Vec<Total>> {
    let internal = |e: PolarsError| Error::Internal(format!("adding up slices: {e}"));
    let mut added: Vec<Option<Total>> = Vec::with_capacity(sum.len());
    let mut plans = Vec::new();
    for ((total, part), how) in sum.into_iter().zip(part).zip(combine) {
        let mut stacked = match total {
            Total::Sums(mut sums) => {
                if sums.add(&part) {
                    added.push(Some(Total::Sums(sums)));
                    continue;
                }
                sums.into_frame().map_err(internal)?
            }
            Total::Frame(frame) => frame,
        };
        stacked.vstack_mut(&part).map_err(internal)?;
        let plan = match how {
            Combine::By { keys, aggs } => stacked.lazy().group_by(keys.clone()).agg(aggs.clone()),
            Combine::AddCounts | Combine::SumBy { .. } => {
                let (keys, sums): (Vec<&Column>, Vec<&Column>) = stacked
                    .columns()
                    .iter()
                    .partition(|c| is_key(how.sum_keys(), c));
                let sums: Vec<Expr> = sums.iter().map(|c| col(c.name().clone()).sum()).collect();
                let keys: Vec<Expr> = keys.iter().map(|c| col(c.name().clone())).collect();
                if keys.is_empty() {
                    stacked.lazy().select(sums)
                } else {
                    stacked.lazy().group_by(keys).agg(sums)
                }
            }
        };
        plans.push(plan.logical_plan);
        added.push(None);
    }
    let mut frames =
        LazyFrame::collect_all_with_engine(plans, Engine::Streaming, OptFlags::default())
            .map_err(internal)?
            .into_iter();
    Ok(added
        .into_iter()
        .map(|total| match total {
            Some(own) => own,
            None => Total::Frame(frames.next().expect("one frame a plan")),
        })
        .collect())
}

/// Whether one slice's counts from the hashed plan stand: no applications
/// row repeated (the exact plan keeps the first row's values) and no two
/// ids sharing a hash.
pub(super) fn hashed_slice_holds(df: &DataFrame) -> Result<bool> {
    let collided: u64 = u64_column(df, "collided")?.iter().sum();
    Ok(collided == 0 && repeated_application_rows(df)? == 0)
}

/// Hands freed memory back to the system between steps that allocate
/// differently (the pre-passes, each table of the split, the slices once
/// all are added up, the measures; within a slice, the kernel's steps):
/// jemalloc keeps freed pages for some seconds before it returns them, and
/// the next step's peak would stack on them. Not between slices, which
/// reuse them. (The binary's allocator; in tests, which keep the
/// system's, this purges jemalloc's empty arenas.)
pub(crate) fn release_freed_memory() {
    #[cfg(not(target_env = "msvc"))]
    // SAFETY: "arena.<MALLCTL_ARENAS_ALL>.purge" takes and returns nothing
    // (null pointers, zero length); it only returns unused pages.
    unsafe {
        /// jemalloc's MALLCTL_ARENAS_ALL: the name of every arena at once.
        const PURGE_ALL: &std::ffi::CStr = c"arena.4096.purge";
        let status = tikv_jemalloc_sys::mallctl(
            PURGE_ALL.as_ptr(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            0,
        );
        // A name jemalloc does not know fails here, in the sliced tests.
        debug_assert_eq!(status, 0, "jemalloc refused {PURGE_ALL:?}");
    }
}
