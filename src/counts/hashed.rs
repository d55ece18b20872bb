//! The per-application frame for national extracts: the same columns as
//! the exact plan in [`super::application_frame`], built the fast way.
//!
//! The exact plan groups the applications by their string ids, groups the
//! events by theirs, and joins the two: two hash tables of tens of millions
//! of strings and a join between them. Here the applications and the
//! events are stacked into one stream and grouped once, on a 64-bit hash of
//! the id; labels and breakdown values travel as categoricals (a few
//! hundred distinct values) instead of strings. On 10M applications rung's
//! audit went from 21 s and 5.2 GiB to 6.3 s and 1.6 GiB
//! (benches/RESULTS.md).
//!
//! The slices group with rung's own kernel instead (see
//! [`super::by_application`]), which gives the same frame.
//!
//! It is only right when every application has one applications row and no
//! two ids share a hash. Both are checked on the way: each group counts its
//! applications rows, and carries the smallest and largest of a second,
//! independent hash of its ids, which differ when two ids collided. When
//! either check fails the caller counts again with the exact plan, so the
//! counts are always those of the exact plan (duplicates keep their first
//! row; nothing merged by a collision).

use std::sync::Arc;

use polars::prelude::*;

use super::parts::{Parts, ToSplit, Written};
use crate::error::Result;
use crate::ingest::{Profile, Source, TableKind};

/// Seeds of the two hashes (any fixed values: they only need to be
/// independent of each other).
const KEY_SEEDS: (u64, u64, u64, u64) = (0x5eed_0001, 0x5eed_0002, 0x5eed_0003, 0x5eed_0004);
const CHECK_SEEDS: (u64, u64, u64, u64) = (0x0c0f_fee1, 0x0c0f_fee2, 0x0c0f_fee3, 0x0c0f_fee4);

/// At most this many distinct stage codes are counted per application in
/// the fast plan (one boolean per code); more falls back to the exact plan.
pub(crate) const MAX_CODES: u32 = 16;

/// The key column while rows are sliced (renamed application_id after).
const KEY: &str = "__rung_key";

/// A column's hash; null stays null (polars hashes null to a constant).
fn hashed(id: Expr, seeds: (u64, u64, u64, u64)) -> Expr {
    when(id.clone().is_null())
        .then(lit(NULL).cast(DataType::UInt64))
        .otherwise(id.clone().hash(seeds.0, seeds.1, seeds.2, seeds.3))
        .alias("application_id")
}

/// A text column as a categorical of the global categories. A column
/// that is one already stays as it is: the slices' parts hold the text the
/// slices read as categoricals so (see [`super::parts`]). The tables'
/// scans give every column as text.
pub(crate) fn categorical(name: &str) -> Expr {
    let dtype = global_categorical();
    let output = Field::new(name.into(), dtype.clone());
    col(name)
        .map(
            move |column| super::text_codes::to_categorical(column, &dtype),
            move |_, _| Ok(output.clone()),
        )
        .alias(name)
}

/// The type of a categorical of the global categories. (A value of it
/// holds the categories' mapping, so their codes keep their meaning.)
pub(crate) fn global_categorical() -> DataType {
    DataType::from_categories(Categories::global())
}

/// What the per-application frame is built from.
#[derive(Clone)]
pub(crate) struct HashedInputs {
    /// Applications with canonical text columns.
    pub apps: LazyFrame,
    /// Applications columns to carry (breakdowns, exit_reason, and for
    /// panels and scores the vacancy and optional columns), present in
    /// `apps`.
    pub carry: Vec<String>,
    /// Stage events and the stage map (value, rank, code) that ranks
    /// them, or `None` when stages come from furthest_stage.
    pub events: Option<(LazyFrame, DataFrame)>,
    /// Distinct stage codes among the events.
    pub codes: u32,
    /// Carry `stage_on`, the first entered_at of the events at this rank
    /// (events with an entered_at column only).
    pub stage_date: Option<u8>,
    /// The furthest_stage rank column's expression on `apps`, when stages
    /// come from it, and the outcome's, when there is one (leaving out what
    /// is absent keeps the grouped state small).
    pub app_rank: Option<Expr>,
    /// See `app_rank`.
    pub outcome_rank: Option<Expr>,
}

impl HashedInputs {
    /// The applications and stage events as the slices read them, to be
    /// split into parts: keyed by [`keyed`], the events ranked already,
    /// and only the columns the slices read. The rest (candidate ids,
    /// which the candidate check's pairs carry, split apart; the stage text the
    /// ranks come from; event dates unless scores are dated by interview)
    /// would only be written and read back.
    pub(crate) fn split_tables(&self) -> Vec<(TableKind, LazyFrame)> {
        // The text the slices read as categoricals is made so once, here:
        // the parts hold their codes (see `Parts`).
        let mut columns = vec![
            col("application_id"),
            col("id_check"),
            categorical("ethnicity"),
        ];
        columns.extend(self.carry.iter().map(|c| categorical(c)));
        columns.extend(self.app_rank.iter().cloned());
        columns.extend(self.outcome_rank.iter().cloned());
        let mut tables = vec![(
            TableKind::Applications,
            keyed(self.apps.clone()).select(columns),
        )];
        if let Some((events, map)) = &self.events {
            let mut columns = vec![
                col("application_id"),
                col("id_check"),
                col("rank"),
                col("code"),
            ];
            if self.stage_date.is_some() {
                columns.push(col("entered_at"));
            }
            let ranked = super::ranked_events(keyed(events.clone()), map).select(columns);
            tables.push((TableKind::StageEvents, ranked));
        }
        tables
    }
}

/// One of `of` slices of the applications, by their id's hash: counting
/// slice by slice holds 1/`of` of the per-application state at a time.
/// Each application falls in exactly one slice (rows without an id in the
/// first), so the slices' counts add up to the whole. With `parts` the
/// tables were split into the slices once (see [`Parts`]) and each slice
/// reads its own part; without, each slice reads the inputs whole and
/// keeps its rows.
#[derive(Debug, Clone)]
pub(crate) struct Slice {
    /// Which slice, from 0.
    pub index: u64,
    /// How many slices.
    pub of: u64,
    /// The tables split into the slices, when they were.
    pub parts: Option<Arc<Parts>>,
}

impl Slice {
    /// The whole: one slice.
    pub const WHOLE: Slice = Slice {
        index: 0,
        of: 1,
        parts: None,
    };

    /// Slice `index` of `of`, read from the inputs whole.
    pub fn new(index: u64, of: u64) -> Slice {
        Slice {
            index,
            of,
            parts: None,
        }
    }

    /// Keeps the rows of this slice, by a hashed key.
    fn keep(&self, frame: LazyFrame, key: Expr) -> LazyFrame {
        if self.of <= 1 {
            return frame;
        }
        frame.filter(
            (key % lit(self.of))
                .fill_null(lit(0u64))
                .eq(lit(self.index)),
        )
    }

    /// The candidate check's pairs of this slice's candidates, when the
    /// tables were split with them (see [`write_parts`]).
    pub(crate) fn candidate_pairs(&self) -> Option<LazyFrame> {
        self.parts
            .as_ref()?
            .scan_if_written(Written::CandidatePairs, self.index)
    }

    /// This slice's rows of `table` (`rows`, as read) by the hash of
    /// their application_id: the exact plan's rows, whose ids stay text,
    /// fall in the slices the hashed plan would put them in. From its part
    /// when the tables were split, else kept from `rows`.
    pub(crate) fn keep_ids(&self, table: TableKind, rows: LazyFrame) -> LazyFrame {
        match &self.parts {
            Some(parts) => parts.scan(table, self.index),
            None => self.keep(rows, text_id_key()),
        }
    }

    /// This slice's rows of `table` (`rows`, its rows as read), keyed as
    /// the per-application frame keys its applications: application_id
    /// replaced by its 64-bit hash, and `id_check` beside it, the second
    /// hash, which the frame keeps as `check` (another table's row whose
    /// check differs is not that application's). From its part when the
    /// tables were split, else kept by the key from `rows`, hashing the
    /// second time only the rows kept.
    pub(crate) fn rows_of(&self, table: TableKind, rows: LazyFrame) -> LazyFrame {
        match &self.parts {
            Some(parts) => parts.scan(table, self.index),
            None => with_check(self.keep(with_key(rows), col(KEY))),
        }
    }
}

/// A table's rows with the key they are sliced by (the hash of their
/// application_id) as the column `KEY`.
fn with_key(rows: LazyFrame) -> LazyFrame {
    rows.with_column(hashed(col("application_id"), KEY_SEEDS).alias(KEY))
}

/// Keyed rows with the second hash of their id as `id_check`, and the key
/// as application_id. The second hash needs only 32 bits: ids that collide
/// in the key hash and also in these 32 bits go unnoticed with odds of
/// 2^-32 per collision, itself a ~10^-7 event at 50M ids.
fn with_check(keyed: LazyFrame) -> LazyFrame {
    keyed
        .with_columns([
            (hashed(col("application_id"), CHECK_SEEDS) % lit(1u64 << 32))
                .cast(DataType::UInt32)
                .alias("id_check"),
            col(KEY).alias("application_id"),
        ])
        .drop(cols([KEY]))
}

/// The key the exact plan's rows (ids as text) are sliced by, the same
/// hash the hashed plan keys its rows by: one definition for the split
/// and for the slices that read without it.
fn text_id_key() -> Expr {
    hashed(col("application_id"), KEY_SEEDS)
}

/// A table's rows (each with an application_id) keyed as its slices read
/// them: what [`Parts`] are written from.
pub(crate) fn keyed(rows: LazyFrame) -> LazyFrame {
    with_check(with_key(rows))
}

/// Writes `tables` split into `of` slices: under the hashed plan each
/// with its rows as [`keyed`] gives them, split by that key; under the
/// exact plan with its rows as read, split by the same hash of the id's
/// text ([`Slice::keep_ids`]) and in the order read (the plan keeps each
/// id's first row). `candidate_pairs` ([`candidate_pairs`]), if given,
/// are split by the candidate's hash, the key the check slices by.
pub(crate) fn write_parts(
    tables: Vec<(TableKind, LazyFrame)>,
    candidate_pairs: Option<LazyFrame>,
    hashed_plan: bool,
    of: u64,
    sources: &[&Source],
    profile: &Profile,
) -> Result<Arc<Parts>> {
    let key = match hashed_plan {
        true => col("application_id"),
        false => text_id_key(),
    };
    let mut split: Vec<ToSplit> = tables
        .into_iter()
        .map(|(table, rows)| ToSplit {
            written: table.into(),
            rows,
            key: key.clone(),
        })
        .collect();
    split.extend(candidate_pairs.map(|rows| ToSplit {
        written: Written::CandidatePairs,
        rows,
        key: col("candidate"),
    }));
    Parts::write(
        &super::parts::folder_for_parts(),
        split,
        !hashed_plan,
        of,
        sources,
        profile,
    )
}

/// An event's `stage_on`: its entered_at (as text) when it is at the
/// dated `rank`, else null (the frame keeps the smallest).
pub(crate) fn stage_on(rank: u8) -> Expr {
    when(col("rank").eq(lit(i32::from(rank))))
        .then(col("entered_at").cast(DataType::String))
        .otherwise(lit(NULL).cast(DataType::String))
        .alias("stage_on")
}

/// The per-application frame as one lazy polars plan: application_id
/// (the hash), app_rows (null for an id only the events have), the
/// carried columns (categorical), app_rank, outcome_rank, event_rank,
/// n_events, n_distinct, and `collided`. The counting slices build the
/// same frame with rung's own kernel ([`super::by_application`], 12–24%
/// faster on 10M applications); this plan stands as the whole frame
/// before slicing, and as what the kernel is tested against.
pub(crate) fn frame(inputs: HashedInputs, slice: &Slice) -> LazyFrame {
    let check = || col("id_check").alias("check");
    let cat_null = || lit(NULL).cast(DataType::String).cast(global_categorical());
    let key = || col("application_id");
    // (applications side, events side) of every stacked column.
    let mut columns: Vec<(Expr, Expr)> = vec![
        (key(), key()),
        (check(), check()),
        (lit(1u32).alias("is_app"), lit(0u32).alias("is_app")),
        (categorical("ethnicity"), cat_null().alias("ethnicity")),
    ];
    for c in &inputs.carry {
        columns.push((
            categorical(c).alias(c.as_str()),
            cat_null().alias(c.as_str()),
        ));
    }
    let int_null = |name: &str| lit(NULL).cast(DataType::Int32).alias(name);
    let mut absent = Vec::new();
    for (name, rank) in [
        ("app_rank", inputs.app_rank.clone()),
        ("outcome_rank", inputs.outcome_rank.clone()),
    ] {
        match rank {
            Some(r) => columns.push((r.cast(DataType::Int32).alias(name), int_null(name))),
            None => absent.push(int_null(name)),
        }
    }
    columns.push((
        int_null("event_rank"),
        col("rank").cast(DataType::Int32).alias("event_rank"),
    ));
    columns.push((
        lit(NULL).cast(DataType::UInt32).alias("code"),
        col("code").cast(DataType::UInt32).alias("code"),
    ));
    if let Some(rank) = inputs.stage_date {
        columns.push((
            lit(NULL).cast(DataType::String).alias("stage_on"),
            stage_on(rank),
        ));
    } else {
        absent.push(lit(NULL).cast(DataType::String).alias("stage_on"));
    }
    let (app_side, event_side): (Vec<Expr>, Vec<Expr>) = columns.into_iter().unzip();
    // Each side keeps its slice before anything else is computed of it.
    let keyed = |table, rows: LazyFrame| slice.rows_of(table, rows);
    let apps = keyed(TableKind::Applications, inputs.apps).select(app_side);
    let stacked = match inputs.events {
        Some((events, map)) => concat(
            [
                apps,
                match slice.parts {
                    // The parts hold the events ranked.
                    Some(_) => keyed(TableKind::StageEvents, events),
                    None => super::ranked_events(keyed(TableKind::StageEvents, events), &map),
                }
                .select(event_side),
            ],
            UnionArgs::default(),
        )
        .expect("the two sides have the same columns"),
        None => apps,
    };
    let mut aggs = vec![
        col("is_app").sum().alias("app_rows"),
        len().alias("rows"),
        col("ethnicity").max().alias("ethnicity"),
        col("event_rank").max().alias("event_rank"),
        col("check").min().neq(col("check").max()).alias("collided"),
        // Other tables' ids (scores) are checked against it too.
        col("check").min().alias("check"),
    ];
    if inputs.stage_date.is_some() {
        aggs.push(col("stage_on").min().alias("stage_on"));
    }
    for (name, rank) in [
        ("app_rank", &inputs.app_rank),
        ("outcome_rank", &inputs.outcome_rank),
    ] {
        if rank.is_some() {
            aggs.push(col(name).max().alias(name));
        }
    }
    aggs.extend(
        inputs
            .carry
            .iter()
            .map(|c| col(c.as_str()).max().alias(c.as_str())),
    );
    // Distinct stage codes per application, one flag per code.
    let distinct = (0..inputs.codes.min(MAX_CODES))
        .map(|c| col("code").eq(lit(c)).any(true).cast(DataType::UInt64))
        .reduce(|a, b| a + b)
        .unwrap_or(lit(0u64));
    aggs.push(distinct.alias("n_distinct"));
    stacked
        .group_by([col("application_id")])
        .agg(aggs)
        .with_columns([
            (col("rows").cast(DataType::UInt64) - col("app_rows").cast(DataType::UInt64))
                .alias("n_events"),
            when(col("app_rows").gt(lit(0u32)))
                .then(col("app_rows").cast(DataType::UInt64))
                .otherwise(lit(NULL).cast(DataType::UInt64))
                .alias("app_rows"),
        ])
        .with_columns(absent)
}

/// Candidates whose applications carry different labels, straight from
/// the applications rows (so the per-application frame need not be kept
/// for a second reader): under the hashed plan no row repeats, so rows
/// are applications; under the exact plan a repeated row with another
/// label (or another candidate) is a disagreement in the records too, and
/// counting rows gives the same answer however the applications are
/// sliced. Counted by [`super::candidates`].
///
/// Sliced by the candidate's hash, so a candidate's applications are all
/// in one slice whatever their application ids.
pub(crate) fn candidate_query(apps: LazyFrame, slice: &Slice) -> LazyFrame {
    counted_candidates(slice.keep(candidate_pairs(apps), col("candidate")))
}

/// The candidate check's pair of each of `apps`' rows: the hash of its
/// candidate ([`candidate`]) and its label (categorical).
pub(crate) fn candidate_pairs(apps: LazyFrame) -> LazyFrame {
    apps.select([candidate(), categorical("ethnicity").alias("label")])
}

/// The candidate check of `pairs` (columns `candidate` and `label`, see
/// [`super::candidates::count_frame`]): one row, `n`.
pub(crate) fn counted_candidates(pairs: LazyFrame) -> LazyFrame {
    pairs.map(
        super::candidates::count_frame,
        OptFlags::empty(),
        Some(Arc::new(|_: &Schema| -> PolarsResult<SchemaRef> {
            Ok(Arc::new(Schema::from_iter([Field::new(
                "n".into(),
                DataType::UInt64,
            )])))
        })),
        Some("candidate check"),
    )
}

/// An application's candidate for the check: the hash of its
/// candidate_id, null for an application without an id (the check counts
/// candidates with a label and an id).
pub(crate) fn candidate() -> Expr {
    when(col("application_id").is_not_null())
        .then(hashed(col("candidate_id"), KEY_SEEDS))
        .otherwise(lit(NULL).cast(DataType::UInt64))
        .alias("candidate")
}

/// The candidate query's result where it does not run: none counted.
pub(crate) fn no_candidates() -> LazyFrame {
    DataFrame::new_infer_height(vec![Column::new("n".into(), [0u64])])
        .expect("one column")
        .lazy()
}
