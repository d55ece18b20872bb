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
//! Layout: this module builds the per-application frame every measure
//! shares and runs all the reducing queries together (one `collect_all`, so
//! the files are scanned once for them all); `stage_values` holds the small
//! pre-pass over stage names, `panels` and `scores` the queries for panel
//! composition and score statistics.

pub mod file;
mod hashed;
pub mod panels;
pub mod scores;
pub mod sql;
mod staff;
mod stage_values;

use std::collections::BTreeMap;

use polars::prelude::*;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::ingest::{self, Dataset, Format, Profile, Scan, Source, TableKind};
use crate::taxonomy::Taxonomy;
use crate::taxonomy::ladder::Ladder;
use hashed::Slice;
pub use panels::PanelCounts;
pub use scores::{PeriodFrom, ScoreCounts};
use stage_values::stage_value_pass;

/// Applications counted in one cell.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FunnelCell {
    /// Values of the breakdown columns, in [`FunnelCounts::by`] order.
    pub keys: Vec<Option<String>>,
    /// The raw ethnicity label, `None` when missing.
    pub label: Option<String>,
    /// Rank of the highest stage reached.
    pub reached: u8,
    /// Number of applications.
    pub applications: u64,
}

/// A cell's breakdown values, raw label and reached rank.
pub(crate) type CellKey = (Vec<Option<String>>, Option<String>, u8);

/// Applications that stopped at one stage, by label and raw exit value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExitCell {
    /// The raw ethnicity label.
    pub label: Option<String>,
    /// Rank of the highest stage reached.
    pub reached: u8,
    /// The raw exit value (exit_reason), `None` when empty.
    pub exit: Option<String>,
    /// Number of applications.
    pub applications: u64,
}

/// Rows excluded from one table for one reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Exclusion {
    /// Why, in words.
    pub reason: String,
    /// How many rows.
    pub rows: u64,
}

/// Rows read, used and excluded for one input table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TableAccount {
    /// The table.
    pub table: TableKind,
    /// Its file.
    pub path: String,
    /// Data rows read (header not counted).
    pub rows_read: u64,
    /// Rows that contributed to the counts.
    pub rows_used: u64,
    /// Rows excluded, all reasons together.
    pub rows_excluded: u64,
    /// Rows excluded, by reason.
    pub excluded: Vec<Exclusion>,
}

/// Where reached stages came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StageSource {
    /// The stage_events table.
    StageEvents,
    /// The applications table's furthest_stage column.
    FurthestStage,
    /// A counts file of furthest stages (`rung counts`).
    Counts,
    /// A counts file with a column per stage reached (a WRES-style return).
    CountsByStage,
}

/// The sufficient statistics of a funnel audit.
#[derive(Debug, Clone, Serialize)]
pub struct FunnelCounts {
    /// Breakdown columns, in key order.
    pub by: Vec<String>,
    /// The ladder the ranks refer to.
    pub ladder: Ladder,
    /// The counts.
    pub cells: Vec<FunnelCell>,
    /// Row accounting per input table.
    pub tables: Vec<TableAccount>,
    /// Where reached stages came from.
    pub stage_source: StageSource,
    /// Applications with no usable stage record, counted as applied.
    pub applications_without_stage: u64,
    /// Candidates (candidate_id) whose applications carry more than one
    /// distinct ethnicity label; `None` when there is no candidate_id.
    pub candidates_with_differing_ethnicity: Option<u64>,
    /// Application ids that recur with a different vacancy_id (so look like
    /// applicant ids); looked for only when the applications table repeats
    /// ids, and `None` when there are none.
    pub ids_across_vacancies: Option<u64>,
    /// Applications by label, reached stage and exit value; `None` when the
    /// applications table has no exit_reason column.
    pub exits: Option<Vec<ExitCell>>,
}

impl TableAccount {
    /// The table's name.
    pub fn table_name(&self) -> &'static str {
        self.table.name()
    }
}

impl FunnelCounts {
    /// Total applications counted.
    pub fn applications(&self) -> u64 {
        self.cells.iter().map(|c| c.applications).sum()
    }

    /// The same counts without one breakdown key (cells that differ only
    /// in it added together); unchanged when `key` is not a breakdown.
    pub fn without_key(mut self, key: &str) -> FunnelCounts {
        let Some(i) = self.by.iter().position(|b| b == key) else {
            return self;
        };
        self.by.remove(i);
        let mut merged: BTreeMap<CellKey, u64> = BTreeMap::new();
        for mut c in self.cells {
            c.keys.remove(i);
            *merged.entry((c.keys, c.label, c.reached)).or_default() += c.applications;
        }
        self.cells = merged
            .into_iter()
            .map(|((keys, label, reached), applications)| FunnelCell {
                keys,
                label,
                reached,
                applications,
            })
            .collect();
        self
    }

    /// Applications per raw label.
    pub fn label_totals(&self) -> BTreeMap<Option<String>, u64> {
        let mut out = BTreeMap::new();
        for c in &self.cells {
            *out.entry(c.label.clone()).or_insert(0) += c.applications;
        }
        out
    }
}

/// What to count.
pub struct CountRequest<'a> {
    /// Breakdown columns of the applications table.
    pub by: &'a [String],
    /// Labels → groups (panel types need it before the main pass).
    pub taxonomy: &'a Taxonomy,
    /// Count panels, when the dataset has a panel_members table.
    pub panels: bool,
    /// Count scores, when the dataset has a scores table.
    pub scores: bool,
    /// Where score periods come from.
    pub period_from: PeriodFrom,
    /// The counting pass's memory budget in bytes ([`DEFAULT_MEMORY`]
    /// unless told).
    pub memory: u64,
}

/// Everything the measures need, as counts.
#[derive(Debug, Clone)]
pub struct Counts {
    /// The funnel. When panels are counted its last key is `panel_type`.
    pub funnel: FunnelCounts,
    /// Panels, if counted.
    pub panels: Option<PanelCounts>,
    /// Scores, if counted.
    pub scores: Option<ScoreCounts>,
}

/// The breakdown derived from applied_on when the table has no such column.
pub const QUARTER: &str = "quarter";
/// `--by fy-quarter`: the UK financial-year quarter of applied_on (April to
/// March, as the NHS and local government report), e.g. "2025/26 Q2".
pub const FY_QUARTER: &str = "fy-quarter";
/// `--by fy`: the financial year of applied_on, e.g. "2025/26".
pub const FY: &str = "fy";
/// The period columns rung derives from applied_on when the table has no
/// column of that name.
pub const PERIODS: [&str; 3] = [QUARTER, FY_QUARTER, FY];

/// The breakdown key panel types are counted under.
pub const PANEL_TYPE: &str = "panel_type";

/// Runs the counting pass: the panel composition first (small), then the
/// funnel, vacancies and scores together in one streaming run.
pub fn count(dataset: &Dataset, profile: &Profile, request: &CountRequest) -> Result<Counts> {
    if let Some(source) = dataset.counts_source() {
        let funnel = file::read(source, profile, request.by)?;
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
            Some(panels::prepare(scan, &stage_map)?)
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
    let mut extra_sources = Vec::new();
    if let Some(s) = dataset
        .get(TableKind::PanelMembers)
        .filter(|_| panel_prep.is_some())
    {
        extra_sources.push(s);
    }
    if let Some(s) = dataset
        .get(TableKind::Scores)
        .filter(|_| score_prep.is_some())
    {
        extra_sources.push(s);
    }
    let extras = FrameExtras {
        optional,
        stage_date,
        panel_types: composition.as_ref().map(|c| c.3.clone()),
        hashed: true,
    };
    let mut check_candidates = false;
    let mut count_exits = false;
    let (results, mut funnel) = run_plan(
        dataset,
        profile,
        &keys,
        extras,
        request.memory,
        &extra_sources,
        |app, slice| {
            let mut queries = vec![funnel_query(app, &keys)];
            check_candidates = app.apps.has("candidate_id");
            if check_candidates {
                queries.push(if app.hashed {
                    hashed::candidate_query(app.application_rows(), slice)
                } else {
                    candidate_query(app)
                });
            }
            count_exits = app.apps.has("exit_reason");
            if count_exits {
                queries.push(exit_query(app));
            }
            if composition.is_some() {
                queries.push(panels::vacancy_query(app, request.by));
            }
            if let Some(prep) = &score_prep {
                queries.extend(scores::queries(
                    prep,
                    app,
                    panel_prep.as_ref().map(|p| p.pairs()),
                    request.period_from,
                ));
            }
            queries
        },
    )?;
    let mut next = 1;
    if check_candidates {
        funnel.candidates_with_differing_ethnicity = Some(
            u64_column(&results[next], "n")?
                .first()
                .copied()
                .unwrap_or(0),
        );
        next += 1;
    }
    if count_exits {
        funnel.exits = Some(read_exits(&results[next])?);
        next += 1;
    }
    let panels = match composition {
        Some((cells, account, panel_stage, _)) => {
            let vacancies = panels::read_vacancies(&results[next], request.by)?;
            next += 1;
            Some(PanelCounts {
                cells,
                vacancies,
                panel_stage,
                account,
                staff_account: staff.map(|s| s.account),
                members_not_in_staff,
            })
        }
        None => None,
    };
    let scores = match &score_prep {
        Some(prep) => Some(scores::read(prep, &results[next..], request.period_from)?),
        None => None,
    };
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
    let key = scores::quarter_key(col("applied_on"));
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

/// Runs the counting pass over a dataset: the funnel counts alone.
/// `memory` is the budget of the counting pass in bytes (see
/// [`slices_for`]).
pub fn count_funnel(
    dataset: &Dataset,
    profile: &Profile,
    by: &[String],
    memory: u64,
) -> Result<FunnelCounts> {
    if let Some(source) = dataset.counts_source() {
        return file::read(source, profile, by);
    }
    let extras = FrameExtras {
        hashed: true,
        ..FrameExtras::default()
    };
    let (_, funnel) = run_plan(dataset, profile, by, extras, memory, &[], |app, _| {
        vec![funnel_query(app, by)]
    })?;
    Ok(funnel)
}

/// The counting pass's memory budget when none is given: 1 GiB, which
/// holds the per-application state of about five million applications (a
/// larger extract is counted in slices).
pub const DEFAULT_MEMORY: u64 = 1 << 30;

/// Memory the counting pass holds per application at a time, and beside
/// it (buffers, the engine): measured on generated extracts of 10M
/// applications (benches/RESULTS.md), rounded up.
const BYTES_PER_APPLICATION: u64 = 150;
const BASE_MEMORY: u64 = 256 << 20;

/// How many slices the hashed plan counts the applications in, so the
/// state of one slice fits the memory budget. Each slice reads the inputs
/// again, so no more are taken than the budget needs.
fn slices_for(dataset: &Dataset, memory: u64) -> Result<u64> {
    let Some(apps) = dataset.get(TableKind::Applications) else {
        return Ok(1);
    };
    let rows = ingest::estimated_rows(apps)?;
    let room = memory
        .saturating_sub(BASE_MEMORY)
        .max(BYTES_PER_APPLICATION);
    let slices = rows
        .saturating_mul(BYTES_PER_APPLICATION)
        .div_ceil(room)
        .max(1);
    if slices > MAX_SLICES {
        let needed = memory_for_applications(rows.div_ceil(MAX_SLICES));
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
    BASE_MEMORY + applications * BYTES_PER_APPLICATION
}

/// Runs the reducing queries `queries` builds on the per-application
/// frame; the first must be the funnel query (by `keys`). The hashed plan
/// goes first, in slices when the extract is larger than the memory budget
/// holds; if it does not stand (a repeated applications row, a collision)
/// the exact plan counts again, whole. Slices' results are stacked and
/// their counts added. Returns the results and the funnel counts.
fn run_plan(
    dataset: &Dataset,
    profile: &Profile,
    keys: &[String],
    mut extras: FrameExtras,
    memory: u64,
    extra_sources: &[&Source],
    mut queries: impl FnMut(&AppFrame, Slice) -> Vec<LazyFrame>,
) -> Result<(Vec<DataFrame>, FunnelCounts)> {
    let by: Vec<String> = keys.iter().filter(|k| *k != PANEL_TYPE).cloned().collect();
    let mut retried = false;
    'plans: loop {
        let app = application_frame(dataset, profile, &by, &extras)?;
        let slices = if app.hashed {
            slices_for(dataset, memory)?
        } else {
            1
        };
        let mut sources = app.sources();
        sources.extend_from_slice(extra_sources);
        let mut parts: Vec<Vec<DataFrame>> = Vec::new();
        for index in 0..slices {
            let slice = Slice { index, of: slices };
            crate::progress::step(match slices {
                _ if retried => "counting again, exactly (an application id repeats)".into(),
                1 => "counting".to_string(),
                _ => format!("counting, slice {} of {slices}", index + 1),
            });
            let part = app.slice(slice);
            let results = collect_all(queries(&part, slice), &sources, profile)?;
            if app.hashed && !hashed_slice_holds(&results[0], keys)? {
                // A repeated applications row or a hash collision: count
                // again, exactly.
                extras.hashed = false;
                retried = true;
                continue 'plans;
            }
            parts.push(results);
        }
        let results = stack_slices(parts)?;
        let funnel = funnel_counts(&app, &results[0], keys)?;
        return Ok((results, funnel));
    }
}

/// Each query's results over the slices, as one: stacked, with the UInt64
/// (count) columns added up by the other columns. The slices hold
/// different applications, so their counts add.
fn stack_slices(parts: Vec<Vec<DataFrame>>) -> Result<Vec<DataFrame>> {
    let mut parts = parts.into_iter();
    let first = parts.next().unwrap_or_default();
    let rest: Vec<Vec<DataFrame>> = parts.collect();
    if rest.is_empty() {
        return Ok(first);
    }
    let internal = |e: PolarsError| Error::Internal(format!("adding up slices: {e}"));
    first
        .into_iter()
        .enumerate()
        .map(|(q, df)| {
            let mut stacked = df;
            for part in &rest {
                stacked.vstack_mut(&part[q]).map_err(internal)?;
            }
            let (sums, keys): (Vec<&Column>, Vec<&Column>) = stacked
                .columns()
                .iter()
                .partition(|c| c.dtype() == &DataType::UInt64);
            let sums: Vec<Expr> = sums.iter().map(|c| col(c.name().clone()).sum()).collect();
            let keys: Vec<Expr> = keys.iter().map(|c| col(c.name().clone())).collect();
            let frame = stacked.lazy();
            let added = if keys.is_empty() {
                frame.select(sums)
            } else {
                frame.group_by(keys).agg(sums)
            };
            added.collect().map_err(internal)
        })
        .collect()
}

/// The row-accounting reason for a repeated applications row.
const DUPLICATE_APPLICATION: &str = "duplicate application_id (first row kept)";

/// Whether one slice's counts from the hashed plan stand: no applications
/// row repeated (the exact plan keeps the first row's values) and no two
/// ids sharing a hash.
fn hashed_slice_holds(df: &DataFrame, keys: &[String]) -> Result<bool> {
    let collided: u64 = u64_column(df, "collided")?.iter().sum();
    Ok(collided == 0 && read_cells(df, keys)?.app_duplicates == 0)
}

/// The per-application frame: one row per distinct application_id found in
/// the applications or stage_events table, with its first applications
/// row's columns, the highest stage it reached, and what is needed to
/// account for every row. Every counting query starts from it.
pub(crate) struct AppFrame {
    /// The lazy frame (cached: shared by all queries of one pass).
    pub frame: LazyFrame,
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
}

impl AppFrame {
    /// The applications rows the frame is built from: under the hashed
    /// plan the same rows, so other queries on them can share its read of
    /// the files.
    fn application_rows(&self) -> LazyFrame {
        match &self.hashed_inputs {
            Some(inputs) => inputs.apps.clone(),
            None => self.apps.frame.clone(),
        }
    }

    /// The frame of one slice of the applications (hashed plan only; the
    /// exact plan is never sliced).
    fn slice(&self, slice: Slice) -> AppFrame {
        let mut inputs = self.hashed_inputs.clone();
        let frame = match &mut inputs {
            Some(inputs) => {
                // CSV is costly to parse twice: in one slice the candidate
                // check shares the per-application frame's read of the
                // applications (one cache, two readers). Measured on the
                // 10M-row bench extract: 15.7 s → 12.7 s, and no more
                // memory; in several slices the cache's buffers took 10%
                // more than the budget, so there each reads for itself.
                if slice.of == 1 && self.apps.source.format == Format::Csv {
                    inputs.apps = inputs.apps.clone().cache();
                }
                with_reach(hashed::frame(inputs.clone(), slice))
            }
            None => self.frame.clone(),
        };
        AppFrame {
            frame,
            apps: self.apps.clone(),
            events: self.events.clone(),
            stage_source: self.stage_source,
            events_account: self.events_account.clone(),
            ladder: self.ladder.clone(),
            profile: self.profile.clone(),
            hashed: self.hashed,
            hashed_inputs: inputs,
        }
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
            let (map, account, _) = stage_value_pass(ev, &stage_map, "stage", &["application_id"])?;
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
        let (map, _, exits) = stage_value_pass(&apps, &stage_map, "furthest_stage", &[])?;
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
        Some(stage_value_pass(&apps, &stage_map, "outcome", &[])?.0)
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
        && optional.is_empty()
        && extras.stage_date.is_none()
        && extras.panel_types.is_none()
        && !by.iter().any(|b| b == "candidate_id" || b == "ethnicity")
        && codes <= hashed::MAX_CODES;
    let mut hashed_inputs = None;
    let joined = if hashed_plan {
        let mut carry: Vec<String> = by.to_vec();
        for c in ["candidate_id", "exit_reason"] {
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
            app_rank: furthest_map.is_some().then(|| col("app_rank")),
            outcome_rank: outcome_map.is_some().then(|| col("outcome_rank")),
        };
        hashed_inputs = Some(inputs.clone());
        hashed::frame(inputs, Slice::WHOLE)
    } else {
        // Applications, one row per id (duplicates counted, the first kept).
        let mut app_aggs = vec![
            col("ethnicity").first(),
            len().cast(DataType::UInt64).alias("app_rows"),
        ];
        app_aggs.push(col("vacancy_id").first());
        if apps.has("candidate_id") && !by.iter().any(|b| b == "candidate_id") {
            app_aggs.push(col("candidate_id").first());
        }
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
        let applications = apps
            .frame
            .clone()
            .group_by([col("application_id")])
            .agg(app_aggs);
        let applications = with_stage_rank(
            applications,
            furthest_map.as_ref(),
            "furthest_stage",
            "app_rank",
        );
        let applications = with_stage_rank(
            applications,
            outcome_map.as_ref(),
            "outcome",
            "outcome_rank",
        );

        // Stage events, reduced to the highest rank per application.
        if let Some((ev, map)) = &stage_frame {
            let per_app = ranked_events(ev.frame.clone(), map)
                .group_by([col("application_id")])
                .agg([
                    col("rank").max().alias("event_rank"),
                    len().cast(DataType::UInt64).alias("n_events"),
                    col("code")
                        .n_unique()
                        .cast(DataType::UInt64)
                        .alias("n_distinct"),
                    match extras.stage_date {
                        Some(r) if ev.has("entered_at") => col("entered_at")
                            .filter(col("rank").eq(lit(r as i32)))
                            .min()
                            .alias("stage_on"),
                        _ => lit(NULL).cast(DataType::String).alias("stage_on"),
                    },
                ]);
            applications.join(
                per_app,
                [col("application_id")],
                [col("application_id")],
                JoinArgs::new(JoinType::Full).with_coalesce(JoinCoalesce::CoalesceColumns),
            )
        } else {
            applications.with_columns([
                lit(NULL).cast(DataType::Int32).alias("event_rank"),
                lit(NULL).cast(DataType::UInt64).alias("n_events"),
                lit(NULL).cast(DataType::UInt64).alias("n_distinct"),
                lit(NULL).cast(DataType::String).alias("stage_on"),
            ])
        }
    };
    let mut joined = joined;
    let absent: Vec<Expr> = optional
        .iter()
        .filter(|c| !apps.has(c))
        .map(|c| lit(NULL).cast(DataType::String).alias(*c))
        .collect();
    if !absent.is_empty() {
        joined = joined.with_columns(absent);
    }
    if let Some(types) = &extras.panel_types {
        joined = joined
            .join(
                types.clone().lazy(),
                [col("vacancy_id")],
                [col("vacancy_id")],
                JoinArgs::new(JoinType::Left),
            )
            .with_column(col("panel_type").fill_null(lit("no_panel")));
    }

    Ok(AppFrame {
        frame: with_reach(joined),
        apps,
        events,
        stage_source,
        events_account,
        ladder: stage_map.ladder().clone(),
        profile: profile.clone(),
        hashed: hashed_plan,
        hashed_inputs,
    })
}

/// The flags and reached stage every query reads, on the joined
/// per-application columns.
fn with_reach(joined: LazyFrame) -> LazyFrame {
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
fn with_stage_rank(
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

/// The funnel query: applications by [flags…, by…, raw label, reached].
pub(crate) fn funnel_query(app: &AppFrame, by: &[String]) -> LazyFrame {
    let mut keys = vec![col("in_apps"), col("id_missing"), col("has_stage")];
    keys.extend(by.iter().map(|b| col(b.as_str())));
    keys.push(col("ethnicity"));
    keys.push(col("reached"));
    let collided = if app.hashed {
        col("collided").cast(DataType::UInt64).sum()
    } else {
        lit(0u64)
    };
    // Keys back to text (the hashed plan carries them as categoricals).
    let as_text: Vec<Expr> = by
        .iter()
        .map(String::as_str)
        .chain(["ethnicity"])
        .map(|c| col(c).cast(DataType::String))
        .collect();
    app.frame
        .clone()
        .group_by(keys)
        .agg([
            collided.alias("collided"),
            len().cast(DataType::UInt64).alias("applications"),
            col("app_rows")
                .sum()
                .cast(DataType::UInt64)
                .alias("app_rows"),
            col("n_events")
                .sum()
                .cast(DataType::UInt64)
                .alias("n_events"),
            col("n_distinct")
                .sum()
                .cast(DataType::UInt64)
                .alias("n_distinct"),
        ])
        .with_columns(as_text)
}

/// Reads the funnel query's result into counts, with the row accounting.
pub(crate) fn funnel_counts(app: &AppFrame, df: &DataFrame, by: &[String]) -> Result<FunnelCounts> {
    let apps_source = &app.apps.source;
    let stage_source = app.stage_source;
    let tally = read_cells(df, by)?;
    let ladder = app.ladder.clone();
    let mut app_excluded = Vec::new();
    push_exclusion(
        &mut app_excluded,
        DUPLICATE_APPLICATION,
        tally.app_duplicates,
    );
    push_exclusion(
        &mut app_excluded,
        "missing application_id",
        tally.app_missing_id,
    );
    let app_read = tally.app_rows;
    let app_used = app_read - tally.app_duplicates - tally.app_missing_id;
    if app_read == 0 {
        return Err(Error::input(
            &apps_source.path,
            "the applications table has no rows: expected one row per application",
        ));
    }
    let mut apps_account = account(apps_source, app_read, app_used, app_excluded);
    split_empty_rows(
        &mut apps_account,
        apps_source,
        &app.profile,
        "application_id",
    )?;
    let mut out_tables = vec![apps_account];
    if let Some(mut ev_account) = app.events_account.clone() {
        if let Some(events) = &app.events {
            split_empty_rows(
                &mut ev_account,
                &events.source,
                &app.profile,
                "application_id",
            )?;
        }
        if ev_account.rows_read == 0 {
            return Err(Error::input(
                std::path::Path::new(&ev_account.path),
                "the stage_events table has no rows: expected one row per application and stage reached",
            )
            .with_hint("without events every application would count as only applied; check the export, or leave the file out and give applications a furthest_stage column"));
        }
        push_exclusion(
            &mut ev_account.excluded,
            "event for an application not in the applications table",
            tally.events_unknown_app,
        );
        push_exclusion(
            &mut ev_account.excluded,
            "repeat of an event already recorded for the application",
            tally.event_duplicates,
        );
        ev_account.rows_excluded = ev_account.excluded.iter().map(|e| e.rows).sum();
        ev_account.rows_used = ev_account.rows_read - ev_account.rows_excluded;
        out_tables.push(ev_account);
    }
    Ok(FunnelCounts {
        by: by.to_vec(),
        ladder,
        cells: tally.cells,
        tables: out_tables,
        stage_source,
        applications_without_stage: tally.without_stage,
        candidates_with_differing_ethnicity: None,
        ids_across_vacancies: if tally.app_duplicates > 0 {
            Some(ids_across_vacancies(apps_source, &app.profile)?).filter(|n| *n > 0)
        } else {
            None
        },
        exits: None,
    })
}

/// Application ids that recur with a different vacancy_id: the mark of an
/// applicant id exported where an application id belongs. A second read of
/// the ids, made only when some repeat.
fn ids_across_vacancies(source: &Source, profile: &Profile) -> Result<u64> {
    let scan = ingest::scan(source, profile, &[])?;
    let query = scan
        .frame
        .select([col("application_id"), col("vacancy_id")])
        .filter(col("application_id").is_not_null())
        .unique(None, UniqueKeepStrategy::Any)
        .group_by([col("application_id")])
        .agg([len().alias("n")])
        .filter(col("n").gt(lit(1)))
        .select([len().cast(DataType::UInt64).alias("ids")]);
    let df = collect(query, &[source], profile)?;
    Ok(u64_column(&df, "ids")?.first().copied().unwrap_or(0))
}

/// Applications by raw label, reached stage and raw exit value.
fn exit_query(app: &AppFrame) -> LazyFrame {
    app.frame
        .clone()
        .filter(col("in_apps").and(col("id_missing").not()))
        .group_by([col("ethnicity"), col("reached"), col("exit_reason")])
        .agg([len().cast(DataType::UInt64).alias("n")])
        .with_columns([
            col("ethnicity").cast(DataType::String),
            col("exit_reason").cast(DataType::String),
        ])
}

fn read_exits(df: &DataFrame) -> Result<Vec<ExitCell>> {
    let label = str_column(df, "ethnicity")?;
    let reached = i32_column(df, "reached")?;
    let exit = str_column(df, "exit_reason")?;
    let n = u64_column(df, "n")?;
    let mut cells: Vec<ExitCell> = (0..df.height())
        .map(|i| ExitCell {
            label: label[i].clone(),
            reached: reached[i].unwrap_or(0) as u8,
            exit: exit[i].clone(),
            applications: n[i],
        })
        .collect();
    cells.sort_by(|a, b| (&a.label, a.reached, &a.exit).cmp(&(&b.label, b.reached, &b.exit)));
    Ok(cells)
}

/// Candidates whose applications do not agree on their ethnicity: one row,
/// `n`. Each application is counted under its own label; this only says
/// how often the labels disagree.
pub(crate) fn candidate_query(app: &AppFrame) -> LazyFrame {
    app.frame
        .clone()
        .filter(
            col("in_apps")
                .and(col("id_missing").not())
                .and(col("candidate_id").is_not_null()),
        )
        .group_by([col("candidate_id")])
        // Lowest and highest label differ exactly when there are two
        // (nulls are skipped); cheaper than counting distinct strings.
        .agg([
            col("ethnicity").min().alias("lowest"),
            col("ethnicity").max().alias("highest"),
        ])
        .filter(col("lowest").neq(col("highest")))
        .select([len().cast(DataType::UInt64).alias("n")])
}

pub(crate) fn account(
    source: &Source,
    read: u64,
    used: u64,
    excluded: Vec<Exclusion>,
) -> TableAccount {
    TableAccount {
        table: source.table,
        path: source.path.display().to_string(),
        rows_read: read,
        rows_used: used,
        rows_excluded: read - used,
        excluded,
    }
}

/// Unknown values with their row counts, most frequent first, as a list
/// for an error message ("'Phone screen' (2 rows), …", at most 20 shown),
/// and the most frequent value for the hint.
pub(crate) fn unknown_values(unknown: BTreeMap<String, u64>) -> (usize, String, String) {
    let mut list: Vec<(String, u64)> = unknown.into_iter().collect();
    list.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut shown: Vec<String> = list
        .iter()
        .take(20)
        .map(|(v, n)| format!("'{v}' ({n} {})", if *n == 1 { "row" } else { "rows" }))
        .collect();
    if list.len() > 20 {
        shown.push(format!("and {} more", list.len() - 20));
    }
    let first = list.first().map(|l| l.0.clone()).unwrap_or_default();
    (list.len(), shown.join(", "), first)
}

/// Moves the rows with no value in any column (blank lines) out of the
/// table's "missing <id>" exclusion into a reason of their own; the totals
/// do not change. Only looks when rows without an id were found.
fn split_empty_rows(
    account: &mut TableAccount,
    source: &Source,
    profile: &Profile,
    id: &str,
) -> Result<()> {
    let reason = format!("missing {id}");
    let Some(i) = account.excluded.iter().position(|e| e.reason == reason) else {
        return Ok(());
    };
    let empty = ingest::empty_rows(source, profile, id)?.min(account.excluded[i].rows);
    if empty > 0 {
        account.excluded[i].rows -= empty;
        if account.excluded[i].rows == 0 {
            account.excluded.remove(i);
        }
        push_exclusion(&mut account.excluded, "empty line (no values)", empty);
    }
    Ok(())
}

pub(crate) fn push_exclusion(list: &mut Vec<Exclusion>, reason: &str, rows: u64) {
    if rows > 0 {
        list.push(Exclusion {
            reason: reason.to_string(),
            rows,
        });
    }
}

struct Tally {
    cells: Vec<FunnelCell>,
    app_rows: u64,
    app_duplicates: u64,
    app_missing_id: u64,
    events_unknown_app: u64,
    event_duplicates: u64,
    without_stage: u64,
}

fn read_cells(df: &DataFrame, by: &[String]) -> Result<Tally> {
    let in_apps = bool_column(df, "in_apps")?;
    let id_missing = bool_column(df, "id_missing")?;
    let has_stage = bool_column(df, "has_stage")?;
    let keys: Vec<Vec<Option<String>>> = by
        .iter()
        .map(|b| str_column(df, b))
        .collect::<Result<_>>()?;
    let labels = str_column(df, "ethnicity")?;
    let reached = df
        .column("reached")
        .and_then(|c| c.i32().cloned())
        .map_err(|e| Error::Internal(e.to_string()))?;
    let applications = u64_column(df, "applications")?;
    let app_rows = u64_column(df, "app_rows")?;
    let n_events = u64_column(df, "n_events")?;
    let n_distinct = u64_column(df, "n_distinct")?;
    let mut t = Tally {
        cells: Vec::with_capacity(df.height()),
        app_rows: 0,
        app_duplicates: 0,
        app_missing_id: 0,
        events_unknown_app: 0,
        event_duplicates: 0,
        without_stage: 0,
    };
    for i in 0..df.height() {
        if !in_apps[i] {
            t.events_unknown_app += n_events[i];
            continue;
        }
        t.app_rows += app_rows[i];
        if id_missing[i] {
            t.app_missing_id += app_rows[i];
            continue;
        }
        t.app_duplicates += app_rows[i] - applications[i];
        t.event_duplicates += n_events[i] - n_distinct[i];
        if !has_stage[i] {
            t.without_stage += applications[i];
        }
        t.cells.push(FunnelCell {
            keys: keys.iter().map(|k| k[i].clone()).collect(),
            label: labels[i].clone(),
            reached: reached.get(i).unwrap_or(0) as u8,
            applications: applications[i],
        });
    }
    // A stable order, whatever order the engine produced groups in.
    t.cells
        .sort_by(|a, b| (&a.keys, &a.label, a.reached).cmp(&(&b.keys, &b.label, b.reached)));
    Ok(t)
}

/// Runs a query; on failure, looks for the malformed CSV line that caused it.
fn collect(query: LazyFrame, sources: &[&Source], profile: &Profile) -> Result<DataFrame> {
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

pub(crate) fn str_column(df: &DataFrame, name: &str) -> Result<Vec<Option<String>>> {
    let s = column(df, name)?;
    let ca = s.str().map_err(|e| Error::Internal(e.to_string()))?;
    Ok(ca.iter().map(|v| v.map(str::to_string)).collect())
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
