//! The counting pass: one lazy polars query reduces the rows to counts of
//! applications by [breakdown columns…, raw ethnicity label, reached stage].
//!
//! Counting by the *raw* label rather than by group keeps the taxonomy out of
//! the row-level work entirely: there are only a few hundred distinct labels,
//! so they are resolved afterwards, once each, on this small table (and the
//! same table gives `rung labels` its counts). Everything after this module
//! works on [`FunnelCounts`] in plain Rust.
//!
//! Every row read is accounted for: used, or excluded with a reason.
//!
//! Layout: this module runs the pass ([`count`], [`count_funnel`]): every
//! reducing query together (one `collect_all`, so the files are scanned once
//! for them all). `types` holds what it returns; `plan` the slicing under the
//! memory budget (`hashed` the sliced per-application frame, grouped in
//! each slice by rung's own kernel in `by_application`); `frame` the
//! per-application frame every measure shares; `funnel` the funnel, exit and
//! candidate queries and their readers; `accounting` the row accounting;
//! `columns` typed reads of results; `dates` the dates exports write, read
//! in the plan; `stage_values` the small pre-pass over stage names;
//! `panels`, `scores` and `staff` the queries for panel composition, score
//! statistics and staff records; `file` the counts file and `sql` the same
//! reduction written as SQL.

mod accounting;
mod by_application;
mod candidates;
mod columns;
pub(crate) use columns::shared_text;
mod dates;
pub mod file;
mod frame;
mod funnel;
mod hashed;
mod packed_key;
pub mod panels;
mod parts;
mod plan;
pub mod scores;
pub mod sql;
mod staff;
mod stage_values;
mod text_codes;
mod totals;
mod types;

use accounting::split_empty_rows;
pub(crate) use accounting::{account, push_exclusion, unknown_values};
use columns::collect;
pub(crate) use columns::{
    bool_column, collect_all, f64_column, i32_column, ranked_str_column, str_column, u64_column,
};
use frame::DUPLICATE_APPLICATION;
pub(crate) use frame::{AppFrame, FrameExtras, application_frame, ranked_events};
use funnel::{exit_query, read_exits, repeated_application_rows};
pub(crate) use funnel::{funnel_counts, funnel_query};
use hashed::Slice;
pub use plan::{DEFAULT_MEMORY, MAX_SLICES, MIN_MEMORY, memory_for_applications};
use plan::{OtherTables, Query, run_plan};
pub(crate) use types::CellKey;
pub use types::{
    CountRequest, Counts, Exclusion, ExitCell, FY, FY_QUARTER, FunnelCell, FunnelCounts,
    PANEL_TYPE, PERIODS, QUARTER, StageSource, TableAccount, UnratedCell,
};

use polars::prelude::*;

use crate::error::{Error, Result};
use crate::ingest::{self, Dataset, Profile, TableKind};
pub use panels::PanelCounts;
pub use scores::{PeriodFrom, ScoreCounts};

/// Runs the counting pass: the panel composition first (small), then the
/// funnel, vacancies and scores together in one streaming run.
pub fn count(dataset: &Dataset, profile: &Profile, request: &CountRequest) -> Result<Counts> {
    if let Some((source, shape)) = dataset.counts_file() {
        let funnel = file::read(source, shape, profile, request.by)?;
        let scores = match dataset.get(TableKind::Scores) {
            Some(s) if request.scores => Some(file::read_scores(s, &funnel.ladder)?),
            _ => None,
        };
        return Ok(Counts {
            funnel,
            panels: None,
            scores,
        });
    }
    let stage_map = profile
        .stage_map()
        .map_err(|e| Error::usage(format!("stage values: {e}"), None))?;
    let staff = match (
        dataset.get(TableKind::Staff),
        dataset.get(TableKind::PanelMembers),
    ) {
        (Some(source), Some(_)) if request.panels => Some(staff::read(source, profile)?),
        _ => None,
    };
    let panel_prep = match dataset.get(TableKind::PanelMembers) {
        Some(source) if request.panels => {
            crate::progress::step("reading panels");
            // With HR records at hand the panel file need not carry
            // ethnicity itself.
            let required: &[&str] = match staff {
                Some(_) => &["vacancy_id", "stage", "member_id"],
                None => TableKind::PanelMembers.required_columns(),
            };
            let mut scan = ingest::scan_requiring(
                source,
                profile,
                required,
                &["member_ethnicity", "member_sex"],
            )?;
            scan.fill_absent(&["member_ethnicity", "member_sex"]);
            if let Some(staff) = &staff {
                scan.frame = staff::join(scan.frame, staff);
            }
            Some(panels::prepare(scan, &stage_map, profile)?)
        }
        _ => None,
    };
    let composition = panel_prep
        .as_ref()
        .map(|p| panels::composition(p, profile, request.taxonomy))
        .transpose()?;
    let members_not_in_staff = match (&staff, &panel_prep) {
        (Some(_), Some(prep)) => Some(staff::members_not_in_staff(prep, profile)?),
        _ => None,
    };
    let score_prep = match dataset.get(TableKind::Scores) {
        Some(source) if request.scores => {
            crate::progress::step("reading scores");
            let scan = ingest::scan(source, profile, &[])?;
            Some(scores::prepare(scan, &stage_map, profile)?)
        }
        _ => None,
    };
    let stage_date = match (&score_prep, request.period_from) {
        (Some(p), PeriodFrom::Interview) => p.main_stage,
        _ => None,
    };
    let optional: &[&str] = if panel_prep.is_some() || score_prep.is_some() {
        &["grade", "sex", "applied_on"]
    } else {
        &[]
    };
    let mut keys = request.by.to_vec();
    if composition.is_some() {
        keys.push(PANEL_TYPE.to_string());
    }
    let mut others = OtherTables {
        candidate_pairs: true,
        ..OtherTables::default()
    };
    if let Some(s) = dataset
        .get(TableKind::PanelMembers)
        .filter(|_| panel_prep.is_some())
    {
        others.sources.push(s);
    }
    if let (Some(s), Some(prep)) = (dataset.get(TableKind::Scores), &score_prep) {
        others.sources.push(s);
        // Scores are per application: split into the slices with the
        // applications.
        others
            .per_application
            .push((TableKind::Scores, prep.rows_to_split()));
    }
    let panel_pairs = match (&panel_prep, &score_prep) {
        (Some(panels), Some(_)) => Some(panels.pairs(profile)?),
        _ => None,
    };
    let candidate_slices = plan::slices_for(dataset, request.memory, plan::BYTES_PER_CANDIDATE)?;
    let extras = FrameExtras {
        optional,
        stage_date,
        panel_types: composition.as_ref().map(|c| c.3.clone()),
        hashed: true,
        candidates: candidate_slices == 1,
        // Exits are not known yet: the frame asks the applications.
        funnel_only: composition.is_none() && score_prep.is_none(),
    };
    // The assessor check needs each applicant's class only.
    let classes =
        (!request.assessors_by_label).then(|| std::sync::Arc::new(request.taxonomy.clone()));
    let mut check_candidates = false;
    // The check's pairs as the hashed plan's slices take them.
    let mut candidate_pairs: Vec<DataFrame> = Vec::new();
    let mut count_exits = false;
    let (results, mut funnel) = run_plan(
        dataset,
        profile,
        &keys,
        extras,
        request.memory,
        &others,
        |app, slice| {
            let mut queries: Vec<Query> = vec![funnel_query(app, &keys).into()];
            check_candidates = app.apps.has("candidate_id");
            if slice.index == 0 {
                // A first slice: of the pass, or of the pass again,
                // exactly.
                candidate_pairs.clear();
            }
            if check_candidates {
                // The check counts a split's part of its pairs in each
                // slice; or the pairs the slices' reads gave, all with the
                // last slice; or else reads the files itself, in slices
                // fewer than the pass's (it holds a few words per
                // candidate), each beside one of the pass's first.
                let of = candidate_slices.min(slice.of);
                queries.push(
                    match (&app.candidates, slice.candidate_pairs(), slice.index < of) {
                        // Split with the tables by the candidate's hash:
                        // each slice counts its part's candidates.
                        (_, Some(part), _) => hashed::counted_candidates(part),
                        // Taken from each slice's read, and counted with
                        // the last slice's queries, once all are in.
                        (Some(pairs), _, _) => {
                            candidate_pairs.push(pairs.clone());
                            match slice.index + 1 == slice.of {
                                true => hashed::counted_candidates(
                                    concat(
                                        candidate_pairs
                                            .drain(..)
                                            .map(DataFrame::lazy)
                                            .collect::<Vec<_>>(),
                                        UnionArgs::default(),
                                    )
                                    .expect("frames of the same columns"),
                                ),
                                false => hashed::no_candidates(),
                            }
                        }
                        (None, None, true) => hashed::candidate_query(
                            app.application_rows(),
                            &Slice::new(slice.index, of),
                        ),
                        (None, None, false) => hashed::no_candidates(),
                    }
                    .into(),
                );
            }
            count_exits = app.apps.has("exit_reason");
            if count_exits {
                queries.push(exit_query(app).into());
            }
            if composition.is_some() {
                queries.push(panels::vacancy_query(app, request.by));
            }
            if let Some(prep) = &score_prep {
                queries.extend(scores::queries(
                    prep,
                    app,
                    panel_pairs.as_ref(),
                    request.period_from,
                    slice,
                    classes.as_ref(),
                ));
            }
            queries
        },
    )?;
    crate::progress::step("reading the counts");
    // The results in the queries' order: the funnel, then each of these
    // the pass had.
    let mut next = 1;
    let mut take = |had: bool| {
        let at = next;
        next += usize::from(had);
        had.then_some(at)
    };
    let candidates_at = take(check_candidates);
    let exits_at = take(count_exits);
    let vacancies_at = take(composition.is_some());
    let scores_at = next;
    // The scores' cells (the assessors' most of all) are read on a thread
    // of their own while this one reads the rest.
    let (scores, rest) = std::thread::scope(|scope| {
        let scores = score_prep.as_ref().map(|prep| {
            let results = &results[scores_at..];
            scope.spawn(move || scores::read(prep, results, request.period_from))
        });
        let rest = (|| -> Result<_> {
            if let Some(at) = candidates_at {
                funnel.candidates_with_differing_ethnicity =
                    Some(u64_column(&results[at], "n")?.first().copied().unwrap_or(0));
            }
            if let Some(at) = exits_at {
                funnel.exits = Some(read_exits(&results[at])?);
            }
            vacancies_at
                .map(|at| panels::read_vacancies(&results[at], request.by))
                .transpose()
        })();
        let scores = scores
            .map(|read| read.join().expect("reading the scores' cells"))
            .transpose();
        (scores, rest)
    });
    let (scores, vacancies) = (scores?, rest?);
    let panels = composition
        .zip(vacancies)
        .map(
            |((cells, account, panel_stage, _), vacancies)| PanelCounts {
                cells,
                vacancies,
                panel_stage,
                account,
                staff_account: staff.map(|s| s.account),
                members_not_in_staff,
            },
        );
    // The frames read are handed back before the measures are computed:
    // polars' threads allocated them, and memory one thread frees is not
    // reused by another's allocations (the main thread's, from here on)
    // until it is returned.
    drop(results);
    plan::release_freed_memory();
    crate::progress::step("reading the dates applied");
    funnel.applied_between = applied_between(dataset, profile)?;
    Ok(Counts {
        funnel,
        panels,
        scores,
    })
}

/// The name of the period `period` (one of [`PERIODS`]) holding
/// applied_on: the calendar quarter "2025Q1", or the financial year (April
/// to March) "2025/26" and its quarter "2025/26 Q1" (April to June).
fn period_name(period: &str) -> Expr {
    let key = dates::quarter_key(col("applied_on"));
    let (year, quarter) = (key.clone() / lit(10), key % lit(10));
    if period == QUARTER {
        return year.cast(DataType::String) + lit("Q") + quarter.cast(DataType::String);
    }
    let in_q1 = quarter.clone().eq(lit(1));
    let start = when(in_q1.clone())
        .then(year.clone() - lit(1))
        .otherwise(year);
    let end = (start.clone() + lit(1)) % lit(100);
    let end = when(end.clone().lt(lit(10)))
        .then(lit("0") + end.clone().cast(DataType::String))
        .otherwise(end.cast(DataType::String));
    let fy = start.cast(DataType::String) + lit("/") + end;
    if period == FY {
        return fy;
    }
    let fy_quarter = when(in_q1).then(lit(4)).otherwise(quarter - lit(1));
    fy + lit(" Q") + fy_quarter.cast(DataType::String)
}

/// The first and last applied_on of the applications table's rows (ISO
/// dates), for the period a report covers; `None` without the column or
/// when no value reads as a date. A scan of that one column: folded into
/// the counting plan it cost the funnel 4.6 times its time (measured on
/// 1M applications), as the column then rides through every join.
fn applied_between(dataset: &Dataset, profile: &Profile) -> Result<Option<[String; 2]>> {
    let Some(source) = dataset.get(TableKind::Applications) else {
        return Ok(None);
    };
    let scan = ingest::scan(source, profile, &["applied_on"])?;
    if !scan.has("applied_on") {
        return Ok(None);
    }
    // Dates repeat: reading each distinct value once is what keeps this
    // to a fraction of the counting pass (parsed row by row it cost three
    // times the funnel's time on 1M applications).
    // Text is coded first ([`hashed::categorical`]: a Parquet column's
    // repeated values once a chunk) and made unique by its codes, not by
    // polars' hashing of every row's text, which was about 4% of the 10M
    // national funnel's time.
    let text = scan
        .frame
        .clone()
        .collect_schema()
        .map_err(|e| Error::input(&source.path, e.to_string()))?
        .get("applied_on")
        .is_some_and(|dtype| dtype == &DataType::String);
    let applied_on = match text {
        true => hashed::categorical("applied_on"),
        false => col("applied_on"),
    };
    let day = dates::day_key(col("applied_on"));
    let query = scan
        .frame
        .clone()
        .select([applied_on])
        .unique(None, UniqueKeepStrategy::Any)
        .select([
            day.clone().min().alias("first_day"),
            day.max().alias("last_day"),
        ]);
    let df = collect(query, &[source], profile)?;
    let first = i32_column(&df, "first_day")?.into_iter().flatten().min();
    let last = i32_column(&df, "last_day")?.into_iter().flatten().max();
    let iso = |d: i32| format!("{:04}-{:02}-{:02}", d / 10_000, d / 100 % 100, d % 100);
    Ok(first.zip(last).map(|(f, l)| [iso(f), iso(l)]))
}

/// Runs the counting pass over a dataset: the funnel counts alone.
/// `memory` is the budget of the counting pass in bytes (see
/// [`slices_for`]).
pub fn count_funnel(
    dataset: &Dataset,
    profile: &Profile,
    by: &[String],
    memory: u64,
) -> Result<FunnelCounts> {
    if let Some((source, shape)) = dataset.counts_file() {
        return file::read(source, shape, profile, by);
    }
    let extras = FrameExtras {
        hashed: true,
        funnel_only: true,
        ..FrameExtras::default()
    };
    let others = OtherTables::default();
    let (_, funnel) = run_plan(dataset, profile, by, extras, memory, &others, |app, _| {
        vec![funnel_query(app, by).into()]
    })?;
    Ok(funnel)
}
