//! Score statistics: the scores table reduced, in the same streaming run as
//! the funnel, to
//!
//! - histograms of individual assessor scores by [stage, applicant label,
//!   sex, period, score];
//! - histograms of application-level scores (the mean of an application's
//!   assessors at a stage) by the same keys;
//! - per assessor × stage × applicant label (or, for an audit, the class
//!   of the label): n, Σd and Σd² of the assessor's score minus the mean of
//!   the other assessors' scores for the same application and stage.
//!
//! Each score row is used or excluded with a reason: missing ids, stage or
//! score the profile ignores, repeated (same application, stage, assessor;
//! first kept), application not in the applications table, application that
//! never reached the scored stage, assessor not on the vacancy's panel.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use polars::prelude::*;
use serde::Serialize;

use super::dates::quarter_key;
use super::hashed::{self, Slice};
use super::panels;
use super::plan::{Combine, Query};
use super::stage_values::{ValueCounts, rows_by, stage_lookup, stage_map_of};
use super::text_codes::looked_up;
use super::unknown_values;
use super::{AppFrame, TableAccount, bool_column, push_exclusion, str_column, u64_column};
use crate::error::{Error, Result};
use crate::ingest::{Profile, Scan, TableKind};
use crate::taxonomy::Taxonomy;
use crate::taxonomy::grouping::Class;
use crate::taxonomy::ladder::StageMap;

/// Where a score's period (quarter) comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum PeriodFrom {
    /// The application's applied_on date.
    Applied,
    /// The date the application entered the scored stage (stage_events'
    /// entered_at).
    Interview,
}

/// One histogram cell.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScoreCell {
    /// Rank of the scored stage.
    pub stage: u8,
    /// The applicant's raw ethnicity label.
    pub label: Option<String>,
    /// The applicant's raw sex value.
    pub sex: Option<String>,
    /// Year × 10 + quarter (20251 = 2025 Q1); `None` when undated.
    pub period: Option<i32>,
    /// The score (or the application's mean score).
    pub value: f64,
    /// How many.
    pub n: u64,
}

/// One assessor's differentials against the rest of the panel, for
/// applicants with one raw label, or in one class.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AssessorCell {
    /// The assessor.
    pub assessor: String,
    /// Rank of the scored stage.
    pub stage: u8,
    /// The applicants.
    pub applicants: Applicants,
    /// Applications scored by this assessor and at least one other.
    pub n: u64,
    /// Σ (own score − mean of the others').
    pub sum: f64,
    /// Σ of its squares.
    pub sum_sq: f64,
}

/// Which applicants an assessor's differentials are of.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Applicants {
    /// Those with this raw ethnicity label (counts files keep labels).
    Label(Option<String>),
    /// Those whose labels the audit's taxonomy puts in this class.
    Class(Class),
}

impl Applicants {
    /// Their class under `taxonomy`.
    pub fn class(&self, taxonomy: &Taxonomy) -> Class {
        match self {
            Applicants::Label(label) => taxonomy.classify(label.as_deref()),
            Applicants::Class(class) => *class,
        }
    }
}

/// The sufficient statistics of the scoring measures.
#[derive(Debug, Clone, Serialize)]
pub struct ScoreCounts {
    /// Individual assessor scores.
    pub assessor_level: Vec<ScoreCell>,
    /// Application means.
    pub application_level: Vec<ScoreCell>,
    /// Assessor differentials.
    pub assessors: Vec<AssessorCell>,
    /// Row accounting for the scores table.
    pub account: TableAccount,
    /// Where periods come from.
    pub period_from: PeriodFrom,
    /// The stage whose entry date dates a score (for `PeriodFrom::Interview`).
    pub dated_stage: Option<u8>,
}

/// The prepared scores: mapping tables from the pre-passes.
pub(crate) struct ScorePrep {
    scan: Scan,
    /// Each stage value's rank (the stage pre-pass's table, to look up).
    stage_ranks: Arc<HashMap<String, u32>>,
    /// Each score value's number: its index in the numbers.
    score_values: Arc<(HashMap<String, u32>, Vec<f64>)>,
    account: TableAccount,
    /// The most scored stage's rank (dates scores for `--period-from interview`).
    pub main_stage: Option<u8>,
}

impl ScorePrep {
    /// The scores rows with both ids, a stage on the ladder and a score
    /// that is a number, numbered in the file's order (the numbers keep
    /// "first" meaning first in the file, as joins and the slices' parts
    /// may reorder rows), their stage as its rank (`stage_rank`) and their
    /// score as its number (`value`) in place of the text. The slices'
    /// parts hold them so: numbers to write and read back, not text, and
    /// no joins in every slice. The stage and score are looked up in the
    /// pre-passes' tables, not joined to them: a Parquet column's repeated
    /// values are looked up once a chunk (see [`looked_up`]).
    pub(crate) fn rows(&self) -> LazyFrame {
        let ranks = Arc::clone(&self.stage_ranks);
        let values = Arc::clone(&self.score_values);
        self.scan
            .frame
            .clone()
            .with_row_index("row", None)
            .filter(
                col("application_id")
                    .is_not_null()
                    .and(col("assessor_id").is_not_null()),
            )
            .with_columns([
                col("stage")
                    .cast(DataType::String)
                    .map(
                        move |stage| looked_up(&stage, &ranks)?.cast(&DataType::Int32),
                        |_, _| Ok(Field::new("stage_rank".into(), DataType::Int32)),
                    )
                    .alias("stage_rank"),
                col("score")
                    .cast(DataType::String)
                    .map(
                        move |score| score_numbers(&score, &values.0, &values.1),
                        |_, _| Ok(Field::new("value".into(), DataType::Float64)),
                    )
                    .alias("value"),
            ])
            .filter(
                col("stage_rank")
                    .is_not_null()
                    .and(col("value").is_not_null()),
            )
            .drop(cols(["stage", "score"]))
    }

    /// [`Self::rows`] as the slices' parts hold them: assessors as
    /// categoricals, made so once for all the slices (the parts hold their
    /// codes).
    pub(crate) fn rows_to_split(&self) -> LazyFrame {
        self.rows().with_column(hashed::categorical("assessor_id"))
    }
}

/// Each of `scores`' values as its number (`numbers[index]` where
/// `index` gives its index), null where it has none.
fn score_numbers(
    scores: &Column,
    index: &HashMap<String, u32>,
    numbers: &[f64],
) -> PolarsResult<Column> {
    let indices = looked_up(scores, index)?;
    let numbers: Float64Chunked = indices
        .u32()?
        .iter()
        .map(|i| i.map(|i| numbers[i as usize]))
        .collect();
    Ok(numbers.with_name(scores.name().clone()).into_column())
}

/// Pre-passes over the scores table: stage values onto the ladder, score
/// values to numbers. Unknown values of either stop with a list.
pub(crate) fn prepare(scan: Scan, stage_map: &StageMap, profile: &Profile) -> Result<ScorePrep> {
    let ids = ["application_id", "assessor_id"];
    // One read for both pre-passes: the rows by stage, score and whether
    // an id is missing (see `rows_by`). The stage pre-pass adds them up by
    // stage; the scores' are the rows with both ids and a stage on the
    // ladder.
    crate::progress::step("reading stage values");
    let df = rows_by(&scan, &["stage", "score"], &ids, profile)?;
    let (stage_texts, score_texts) = (str_column(&df, "stage")?, str_column(&df, "score")?);
    let (id_missing, counted) = (bool_column(&df, "id_missing")?, u64_column(&df, "n")?);
    let mut by_stage: BTreeMap<(Option<&str>, bool), u64> = BTreeMap::new();
    for i in 0..df.height() {
        *by_stage
            .entry((stage_texts[i].as_deref(), id_missing[i]))
            .or_default() += counted[i];
    }
    let mut stage_counts: ValueCounts = (Vec::new(), Vec::new(), Vec::new());
    for ((stage, missing), n) in by_stage {
        stage_counts.0.push(stage.map(str::to_string));
        stage_counts.1.push(missing);
        stage_counts.2.push(n);
    }
    let (stages, mut account, _) = stage_map_of(stage_counts, &scan, stage_map, "stage", &ids)?;
    let stage_ranks =
        stage_lookup(&stages, |rank, _| rank).map_err(|e| Error::Internal(e.to_string()))?;
    // The rows with both ids and a stage on the ladder, by score and
    // stage.
    let mut by_score: BTreeMap<(Option<&str>, u32), u64> = BTreeMap::new();
    for i in 0..df.height() {
        let rank = stage_texts[i].as_deref().and_then(|s| stage_ranks.get(s));
        if let (false, Some(&rank)) = (id_missing[i], rank) {
            *by_score
                .entry((score_texts[i].as_deref(), rank))
                .or_default() += counted[i];
        }
    }
    let mut unknown: BTreeMap<String, u64> = BTreeMap::new();
    let mut missing = 0;
    let mut ignored = 0;
    let mut mapped: BTreeMap<String, f64> = BTreeMap::new();
    let mut outside = 0;
    let mut per_stage: BTreeMap<u8, u64> = BTreeMap::new();
    for ((text, rank), n) in by_score {
        let Some(text) = text else {
            missing += n;
            continue;
        };
        match profile.score_value(text) {
            Some(Some(v)) if profile.score_scale.is_some_and(|(lo, hi)| v < lo || v > hi) => {
                outside += n;
            }
            Some(Some(v)) => {
                mapped.insert(text.to_string(), v);
                *per_stage.entry(rank as u8).or_default() += n;
            }
            Some(None) => ignored += n,
            None => *unknown.entry(text.to_string()).or_default() += n,
        }
    }
    if !unknown.is_empty() {
        let (count, shown, first) = unknown_values(unknown);
        return Err(Error::input(
            &scan.source.path,
            format!(
                "{count} score value{} not a number: {shown}",
                if count == 1 { " is" } else { "s are" },
            ),
        )
        .with_column("score")
        .with_hint(format!(
            "map text ratings to numbers, or to \"ignore\", in a profile's [score_values] section, e.g. \"{first}\" = 3 (docs/profiles.md)"
        )));
    }
    push_exclusion(&mut account.excluded, "missing score", missing);
    if let Some((lo, hi)) = profile.score_scale {
        push_exclusion(
            &mut account.excluded,
            &format!("score outside the profile's scale ({lo}–{hi})"),
            outside,
        );
    }
    push_exclusion(
        &mut account.excluded,
        "score value the profile marks \"ignore\"",
        ignored,
    );
    account.rows_excluded = account.excluded.iter().map(|e| e.rows).sum();
    account.rows_used = account.rows_read - account.rows_excluded;
    let (texts, numbers): (Vec<String>, Vec<f64>) = mapped.into_iter().unzip();
    let index = texts.into_iter().zip(0..).collect();
    let main_stage = per_stage.iter().max_by_key(|(_, n)| **n).map(|(r, _)| *r);
    Ok(ScorePrep {
        scan,
        stage_ranks: Arc::new(stage_ranks),
        score_values: Arc::new((index, numbers)),
        account,
        main_stage,
    })
}

/// Status codes of a deduplicated score.
const USED: i32 = 0;
const UNKNOWN_APPLICATION: i32 = 1;
const NOT_REACHED: i32 = 2;
const NOT_ON_PANEL: i32 = 3;

/// The score queries, to run with the funnel's. `panel_pairs` holds the
/// distinct (vacancy_id, member_id) of the panels, when there are any.
/// With `classes`, the assessors' differentials are added up by the class
/// it puts each applicant's label in, else kept by label.
pub(crate) fn queries(
    prep: &ScorePrep,
    app: &AppFrame,
    panel_pairs: Option<&panels::PanelPairs>,
    period_from: PeriodFrom,
    slice: &Slice,
    classes: Option<&Arc<Taxonomy>>,
) -> Vec<Query> {
    let date = match period_from {
        PeriodFrom::Applied => col("applied_on"),
        PeriodFrom::Interview => col("stage_on"),
    };
    let mut app_columns = vec![
        col("application_id"),
        col("in_apps"),
        col("vacancy_id"),
        col("ethnicity"),
        col("sex"),
        col("reached"),
        date.alias("dated_on"),
    ];
    let mut rows = prep.rows();
    // The frame holds one slice of the applications. Under the hashed plan
    // it is keyed by the ids' hash: the scores are keyed and sliced alike,
    // and a score whose second hash differs from its application's is not
    // that application's. Under the exact plan the ids stay text, and the
    // scores are sliced by the same hash of it.
    let mut unknown = col("in_apps").fill_null(lit(false)).not();
    if app.hashed {
        rows = slice.rows_of(TableKind::Scores, rows);
        app_columns.push(col("check"));
        unknown = unknown.or(col("id_check").neq(col("check")).fill_null(lit(true)));
    } else {
        rows = slice.keep_ids(TableKind::Scores, rows);
    }
    let apps = app.rows().select(app_columns);
    let on_panel = match panel_pairs {
        Some(pairs) => pairs.holds(panels::pair_key("vacancy_id", "assessor_id")),
        None => lit(true),
    };
    let has_classes = classes.is_some();
    let classes = classes.cloned();
    let schema = move |input: &Schema| tally::schema(input, has_classes);
    let tallied = rows
        // Assessors as categoricals of the global categories: the tally
        // and the slices' running sums key on a number, not on text. (The
        // parts hold them so already.)
        .with_column(hashed::categorical("assessor_id"))
        .join(
            apps,
            [col("application_id")],
            [col("application_id")],
            JoinArgs::new(JoinType::Left),
        )
        // Each row's status as its application and panel give it; a
        // repeated score is unknown if any of its rows is (the tally).
        // Dates are parsed only for scored applications, after the join.
        .with_columns([
            quarter_key(col("dated_on")).alias("period"),
            when(unknown)
                .then(lit(UNKNOWN_APPLICATION))
                .when(col("reached").lt(col("stage_rank")))
                .then(lit(NOT_REACHED))
                .when(on_panel.not())
                .then(lit(NOT_ON_PANEL))
                .otherwise(lit(USED))
                .alias("status"),
        ])
        .select(tally::INPUT.map(col))
        .map(
            move |df| tally::tally(df, classes.as_deref()),
            OptFlags::empty(),
            Some(Arc::new(schema)),
            Some("score tally"),
        )
        .cache();
    let part = |which: i32, columns: &[&str]| {
        tallied
            .clone()
            .filter(col(tally::PART).eq(lit(which)))
            .select(columns.iter().map(|c| col(*c)).collect::<Vec<_>>())
    };
    // Labels leave as text (the hashed plan's frame holds categoricals).
    let as_text = |names: &[&str]| -> Vec<Expr> {
        names
            .iter()
            .map(|n| col(*n).cast(DataType::String))
            .collect()
    };
    // The assessor-level histogram, by status too: its unused rows give the
    // exclusion counts, so one query serves both.
    let assessor_level = part(
        tally::ASSESSOR_LEVEL,
        &[
            "status",
            "stage_rank",
            "ethnicity",
            "sex",
            "period",
            "value",
            "n",
            "rows",
        ],
    )
    .with_columns(as_text(&["ethnicity", "sex"]));
    let application_level = part(
        tally::APPLICATION_LEVEL,
        &["stage_rank", "ethnicity", "sex", "period", "value", "n"],
    )
    .with_columns(as_text(&["ethnicity", "sex"]));
    let differentials = part(
        tally::DIFFERENTIALS,
        &[
            "assessor_id",
            "stage_rank",
            APPLICANTS,
            "scorers",
            "n",
            "sum_e",
            "sum_e2",
        ],
    )
    .with_columns(if has_classes {
        vec![]
    } else {
        as_text(&[APPLICANTS])
    });
    vec![
        assessor_level.into(),
        application_level.into(),
        // An assessor's applications fall in several slices: their sums
        // add.
        Query {
            frame: differentials,
            combine: Combine::SumBy {
                keys: ["assessor_id", "stage_rank", APPLICANTS, "scorers"]
                    .map(String::from)
                    .to_vec(),
            },
        },
    ]
}

/// The differentials' column of applicants: their raw label (text) or
/// their class's code (Int32).
const APPLICANTS: &str = "applicants";

mod read;
mod tally;

pub(crate) use read::read;
