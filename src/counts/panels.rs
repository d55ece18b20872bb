//! Panel composition: the panel_members table reduced to members per
//! [vacancy, stage, member label, member sex], and the vacancies of the
//! applications table reduced to one row each (grade, breakdown values,
//! furthest stage any of its applicants reached).
//!
//! Panel composition is counted before the main pass, because each
//! vacancy's panel type (diverse, all White, …) becomes a key of the funnel
//! counts, so outcomes can be compared by panel type.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use polars::prelude::*;
use serde::Serialize;

use super::columns::{Interner, column, shared_str_column, shared_text};
use super::hashed;
use super::plan::{Combine, Query};
use super::stage_values::stage_value_pass;
use super::{AppFrame, TableAccount, collect, i32_column, push_exclusion, str_column, u64_column};
use crate::error::{Error, Result};
use crate::ingest::{Profile, Scan};
use crate::taxonomy::Taxonomy;
use crate::taxonomy::grouping::Class;
use crate::taxonomy::ladder::StageMap;

/// Members of one panel with one label and sex. The texts are shared
/// among the cells (a vacancy has several, a label thousands).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PanelCell {
    /// The vacancy.
    #[serde(serialize_with = "shared_text::text")]
    pub vacancy: Arc<str>,
    /// Rank of the stage the panel sat at.
    pub stage: u8,
    /// The members' raw ethnicity label.
    #[serde(serialize_with = "shared_text::optional")]
    pub label: Option<Arc<str>>,
    /// The members' raw sex value.
    #[serde(serialize_with = "shared_text::optional")]
    pub sex: Option<Arc<str>>,
    /// Distinct members.
    pub members: u64,
}

/// One vacancy of the applications table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VacancyCell {
    /// The vacancy.
    pub vacancy: String,
    /// Its grade (first applications row's), if the table has grades.
    pub grade: Option<String>,
    /// Its values of the breakdown columns, in the funnel counts' `by` order.
    pub keys: Vec<Option<String>>,
    /// The furthest stage any of its applications reached.
    pub reached: u8,
    /// Its applications.
    pub applications: u64,
}

/// The sufficient statistics of the panel measures.
#[derive(Debug, Clone, Serialize)]
pub struct PanelCounts {
    /// Panel members.
    pub cells: Vec<PanelCell>,
    /// Vacancies.
    pub vacancies: Vec<VacancyCell>,
    /// The stage whose panels decide a vacancy's panel type (the stage with
    /// the most panel seats).
    pub panel_stage: Option<u8>,
    /// Row accounting for panel_members.
    pub account: TableAccount,
    /// Row accounting for the staff table, when members' ethnicity came
    /// from one.
    pub staff_account: Option<TableAccount>,
    /// Distinct panel members the staff table has no record of (their
    /// ethnicity is the panel file's own, or not known); `None` without a
    /// staff table.
    pub members_not_in_staff: Option<u64>,
}

/// A vacancy's panel, as the outcome comparisons see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PanelType {
    /// At least one member from a group other than the reference group.
    Diverse,
    /// Every member known and in the reference group (White under wres).
    AllWhite,
    /// No member known to be outside the reference group, but some members'
    /// ethnicity unknown.
    Other,
    /// No panel recorded at the panel stage.
    NoPanel,
}

impl PanelType {
    /// All, in report order.
    pub const ALL: [PanelType; 4] = [
        PanelType::Diverse,
        PanelType::AllWhite,
        PanelType::Other,
        PanelType::NoPanel,
    ];

    /// The name used in JSON and as a count key.
    pub fn name(self) -> &'static str {
        match self {
            PanelType::Diverse => "diverse",
            PanelType::AllWhite => "all_white",
            PanelType::Other => "other",
            PanelType::NoPanel => "no_panel",
        }
    }

    /// From its name.
    pub fn from_name(name: &str) -> Option<PanelType> {
        PanelType::ALL.into_iter().find(|t| t.name() == name)
    }
}

/// Classifies a panel from its members' classes.
pub fn panel_type(classes: impl IntoIterator<Item = (Class, u64)>, reference: usize) -> PanelType {
    let (mut members, mut focal, mut unknown) = (0, 0, 0);
    for (class, n) in classes {
        members += n;
        match class {
            Class::Group(g) if g != reference => focal += n,
            Class::Group(_) => {}
            _ => unknown += n,
        }
    }
    if members == 0 {
        PanelType::NoPanel
    } else if focal > 0 {
        PanelType::Diverse
    } else if unknown > 0 {
        PanelType::Other
    } else {
        PanelType::AllWhite
    }
}

/// The panel table after its stage pre-pass.
pub(crate) struct PanelPrep {
    pub(crate) scan: Scan,
    stages: DataFrame,
    account: TableAccount,
}

/// Pre-pass: the panel stages must be on the ladder (or ignored).
pub(crate) fn prepare(scan: Scan, stage_map: &StageMap, profile: &Profile) -> Result<PanelPrep> {
    let (stages, account, _) = stage_value_pass(
        &scan,
        stage_map,
        "stage",
        &["vacancy_id", "member_id"],
        profile,
    )?;
    Ok(PanelPrep {
        scan,
        stages,
        account,
    })
}

impl PanelPrep {
    /// Usable panel rows with their stage rank.
    pub(crate) fn seats(&self) -> LazyFrame {
        self.scan
            .frame
            .clone()
            .with_row_index("row", None)
            .filter(
                col("vacancy_id")
                    .is_not_null()
                    .and(col("member_id").is_not_null()),
            )
            .join(
                self.stages
                    .clone()
                    .lazy()
                    .select([col("value").alias("stage"), col("rank")]),
                [col("stage")],
                [col("stage")],
                JoinArgs::new(JoinType::Inner),
            )
    }

    /// The distinct (vacancy_id, member_id) pairs, for checking assessors:
    /// read once, before the slices (each slice's scores are checked
    /// against all of them; read again per slice they cost a national
    /// audit a second a slice).
    pub(crate) fn pairs(&self, profile: &Profile) -> Result<PanelPairs> {
        // Taken before the query casts the ids: the global categories'
        // mapping lives while a type names it, and one taken after the
        // query could be a new, empty one, in which the pairs' codes mean
        // other ids.
        let categories = hashed::global_categorical();
        let query = self
            .seats()
            .select([pair_key("vacancy_id", "member_id")])
            .unique(None, UniqueKeepStrategy::Any);
        let df = collect(query, &[&self.scan.source], profile)?;
        let keys = super::columns::column(&df, "pair")?
            .u64()
            .map_err(|e| Error::Internal(e.to_string()))?;
        Ok(PanelPairs {
            pairs: Arc::new(keys.iter().flatten().collect()),
            categories,
        })
    }
}

/// The panels' (vacancy, member) pairs as [`pair_key`] numbers, in a set
/// built once for the whole count. Each slice's scores look their pair up
/// in it as they stream past, where a join to the pairs built a table of
/// all of them again in every slice (the 10M national audit's whole time
/// did not move measurably either way: benches/RESULTS.md, fifth round).
#[derive(Clone)]
pub(crate) struct PanelPairs {
    pairs: Arc<PlHashSet<u64>>,
    /// The global categories' type, held so their codes, which the pairs
    /// are made of, mean the same ids until the last slice is counted (a
    /// mapping no type names is let go of, and its codes with it).
    categories: DataType,
}

impl PanelPairs {
    /// Whether each row's `pair` (a [`pair_key`]) is a panel's; a null pair
    /// (an id missing) is not.
    pub(crate) fn holds(&self, pair: Expr) -> Expr {
        let pairs = Arc::clone(&self.pairs);
        let _categories = self.categories.clone();
        pair.map(
            move |c: Column| {
                // Named here so the closure holds the categories too.
                let _ = &_categories;
                let found: BooleanChunked = c
                    .u64()?
                    .iter()
                    .map(|k| Some(k.is_some_and(|k| pairs.contains(&k))))
                    .collect();
                Ok(found.with_name(c.name().clone()).into_column())
            },
            |_: &Schema, field: &Field| Ok(Field::new(field.name().clone(), DataType::Boolean)),
        )
    }
}

/// A (vacancy, member) pair as one number, `pair`: the two ids' codes in
/// the global categories, the vacancy's in the high 32 bits and the
/// member's in the low, looked up instead of the text (see
/// [`PanelPairs`]). Exact: two pairs share a number only if they are the
/// same ids. The ids may be text or categoricals of the global categories
/// already (the slices' frames carry them so), whose codes are taken as
/// they are. Null when either id is null.
pub(crate) fn pair_key(vacancy: &str, member: &str) -> Expr {
    let code = |c: &str| hashed::categorical(c).to_physical().cast(DataType::UInt64);
    (code(vacancy) * lit(1u64 << 32) + code(member)).alias("pair")
}

/// Counts panel members (a member listed twice for the same vacancy and
/// stage counts once) and finds each vacancy's panel type.
pub(crate) fn composition(
    prep: &PanelPrep,
    profile: &Profile,
    taxonomy: &Taxonomy,
) -> Result<(Vec<PanelCell>, TableAccount, Option<u8>, DataFrame)> {
    let query = prep
        .seats()
        .group_by([col("vacancy_id"), col("rank"), col("member_id")])
        .agg([
            col("member_ethnicity").min_by(col("row")),
            col("member_sex").min_by(col("row")),
            len().cast(DataType::UInt64).alias("copies"),
        ])
        .group_by([
            col("vacancy_id"),
            col("rank"),
            col("member_ethnicity"),
            col("member_sex"),
        ])
        .agg([
            len().cast(DataType::UInt64).alias("members"),
            col("copies").sum().cast(DataType::UInt64).alias("copies"),
        ]);
    // Sorted by polars (both cores) in the cells' order, nulls first as
    // `Option` sorts, so the sort below only checks it.
    let query = query.sort_by_exprs(
        [
            col("vacancy_id"),
            col("rank"),
            col("member_ethnicity"),
            col("member_sex"),
        ],
        SortMultipleOptions::default().with_maintain_order(false),
    );
    let df = collect(query, &[&prep.scan.source], profile)?;
    let mut texts = Interner::default();
    let label = shared_str_column(&df, "member_ethnicity", &mut texts)?;
    let sex = shared_str_column(&df, "member_sex", &mut texts)?;
    let rank = i32_column(&df, "rank")?;
    let members = u64_column(&df, "members")?;
    let copies = u64_column(&df, "copies")?;
    let vacancies = column(&df, "vacancy_id")?
        .str()
        .map_err(|e| Error::Internal(e.to_string()))?;
    let mut cells: Vec<PanelCell> = Vec::with_capacity(df.height());
    let mut duplicates = 0;
    for (i, vacancy) in vacancies.iter().enumerate() {
        duplicates += copies[i] - members[i];
        let vacancy = vacancy.unwrap_or_default();
        // A vacancy's cells are consecutive: its text is shared among
        // them without a table of every vacancy.
        let vacancy = match cells.last() {
            Some(last) if &*last.vacancy == vacancy => Arc::clone(&last.vacancy),
            _ => Arc::from(vacancy),
        };
        cells.push(PanelCell {
            vacancy,
            stage: rank[i].unwrap_or(0) as u8,
            label: label[i].clone(),
            sex: sex[i].clone(),
            members: members[i],
        });
    }
    drop(df);
    cells.sort_by(|a, b| {
        (&a.vacancy, a.stage, &a.label, &a.sex).cmp(&(&b.vacancy, b.stage, &b.label, &b.sex))
    });
    let mut account = prep.account.clone();
    push_exclusion(
        &mut account.excluded,
        "repeat of a member already on the vacancy's panel at that stage",
        duplicates,
    );
    account.rows_excluded = account.excluded.iter().map(|e| e.rows).sum();
    account.rows_used = account.rows_read - account.rows_excluded;

    // The panel stage: where most seats are.
    let mut seats_by_stage: BTreeMap<u8, u64> = BTreeMap::new();
    for c in &cells {
        *seats_by_stage.entry(c.stage).or_default() += c.members;
    }
    let panel_stage = seats_by_stage
        .iter()
        .max_by_key(|(stage, n)| (**n, std::cmp::Reverse(**stage)))
        .map(|(s, _)| *s);
    let types = panel_types(&cells, panel_stage, taxonomy);
    let (ids, names): (Vec<&str>, Vec<&str>) = types.iter().map(|(v, t)| (&**v, t.name())).unzip();
    let frame = DataFrame::new_infer_height(vec![
        Column::new("vacancy_id".into(), ids),
        Column::new("panel_type".into(), names),
    ])
    .map_err(|e| Error::Internal(e.to_string()))?;
    Ok((cells, account, panel_stage, frame))
}

/// Panel type of every vacancy with a panel at `stage`.
pub fn panel_types(
    cells: &[PanelCell],
    stage: Option<u8>,
    taxonomy: &Taxonomy,
) -> BTreeMap<Arc<str>, PanelType> {
    let reference = taxonomy.scheme.reference;
    // Taken in runs of one vacancy, sorted (counting leaves the cells so,
    // and a sorted slice sorts in one pass): a national extract's million
    // vacancies are not each looked up by text.
    let mut at_stage: Vec<&PanelCell> = cells.iter().filter(|c| Some(c.stage) == stage).collect();
    at_stage.sort_by(|a, b| a.vacancy.cmp(&b.vacancy));
    at_stage
        .chunk_by(|a, b| a.vacancy == b.vacancy)
        .map(|run| {
            let classes = run
                .iter()
                .map(|c| (taxonomy.classify(c.label.as_deref()), c.members));
            (run[0].vacancy.clone(), panel_type(classes, reference))
        })
        .collect()
}

/// One row per vacancy of the applications table. A vacancy whose
/// applications carry several values of a column (applications across two
/// quarters) counts under the smallest (the earliest quarter): one rule, the
/// same on every run, where taking a row's value would depend on the order
/// the rows were read in.
pub(crate) fn vacancy_query(app: &AppFrame, by: &[String]) -> Query {
    // The smallest in text order: a categorical's min compares its texts.
    // Values and vacancies stay categorical (numbers) until read, so the
    // slices' running sums group on numbers.
    let smallest = |c: &str| col(c).min().alias(c);
    // The group key (vacancy_id) and grade are taken already.
    let others: Vec<&str> = by
        .iter()
        .map(String::as_str)
        .filter(|b| !matches!(*b, "grade" | "vacancy_id"))
        .collect();
    let mut aggs = vec![
        smallest("grade"),
        col("reached").max().alias("reached"),
        len().cast(DataType::UInt64).alias("applications"),
    ];
    aggs.extend(others.iter().map(|b| smallest(b)));
    // A vacancy's applications may fall in several slices: the slices'
    // smallest of the smallest, largest of the largest, sum of the counts.
    let mut again = vec![
        col("grade").min(),
        col("reached").max(),
        col("applications").sum(),
    ];
    again.extend(others.iter().map(|b| col(*b).min()));
    Query {
        frame: app
            .rows()
            .filter(col("in_apps").and(col("id_missing").not()))
            .group_by([col("vacancy_id")])
            .agg(aggs),
        combine: Combine::By {
            keys: vec![col("vacancy_id")],
            aggs: again,
        },
    }
}

/// Reads the vacancy query's result.
pub(crate) fn read_vacancies(df: &DataFrame, by: &[String]) -> Result<Vec<VacancyCell>> {
    let vacancy = str_column(df, "vacancy_id")?;
    let grade = str_column(df, "grade")?;
    let reached = i32_column(df, "reached")?;
    let applications = u64_column(df, "applications")?;
    let keys: Vec<Vec<Option<String>>> = by
        .iter()
        .map(|b| str_column(df, b))
        .collect::<Result<_>>()?;
    let mut out: Vec<VacancyCell> = (0..df.height())
        .map(|i| VacancyCell {
            vacancy: vacancy[i].clone().unwrap_or_default(),
            grade: grade[i].clone(),
            keys: keys.iter().map(|k| k[i].clone()).collect(),
            reached: reached[i].unwrap_or(0) as u8,
            applications: applications[i],
        })
        .collect();
    out.sort_by(|a, b| a.vacancy.cmp(&b.vacancy));
    Ok(out)
}

/// Vacancies named in panels but absent from the applications table.
pub fn unknown_vacancies(counts: &PanelCounts) -> BTreeSet<&str> {
    let known: BTreeSet<&str> = counts
        .vacancies
        .iter()
        .map(|v| v.vacancy.as_str())
        .collect();
    counts
        .cells
        .iter()
        .map(|c| &*c.vacancy)
        .filter(|v| !known.contains(v))
        .collect()
}

#[cfg(test)]
mod tests;
