//! The small pre-pass over a stage column's distinct values.

use std::collections::{BTreeMap, HashMap};

use polars::prelude::*;

use super::{
    TableAccount, account, bool_column, collect, push_exclusion, str_column, u64_column,
    unknown_values,
};
use crate::error::{Error, Result};
use crate::ingest::{self, Profile, Scan};
use crate::taxonomy::exits::ExitMap;
use crate::taxonomy::ladder::{StageMap, StageValue, stage_key};

/// Rows by (value of `column`, whether an id is missing): each distinct
/// pair's value, flag and count.
pub(crate) type ValueCounts = (Vec<Option<String>>, Vec<bool>, Vec<u64>);

fn value_counts(scan: &Scan, column: &str, ids: &[&str], profile: &Profile) -> Result<ValueCounts> {
    let df = rows_by(scan, &[column], ids, profile)?;
    Ok((
        str_column(&df, column)?,
        bool_column(&df, "id_missing")?,
        u64_column(&df, "n")?,
    ))
}

/// The rows of `scan` counted (`n`) by `keys` and whether any of `ids` is
/// missing (`id_missing`). When the Parquet files' statistics say no id is
/// missing (as exports' ids rarely are), the ids are not read: read to
/// tell, they took about 40% of the stage pre-pass's time (0.44 s against
/// 0.27 over the 10M national funnel's 30M events; benches/RESULTS.md,
/// eleventh round).
pub(crate) fn rows_by(
    scan: &Scan,
    keys: &[&str],
    ids: &[&str],
    profile: &Profile,
) -> Result<DataFrame> {
    let mut group: Vec<Expr> = keys.iter().map(|k| col(*k)).collect();
    let read_ids = !ids.is_empty() && !ingest::never_missing(&scan.source, profile, ids);
    if read_ids {
        group.push(any_missing(ids).alias("id_missing"));
    }
    let mut query = scan
        .frame
        .clone()
        .group_by(group)
        .agg([len().cast(DataType::UInt64).alias("n")]);
    if !read_ids {
        query = query.with_column(lit(false).alias("id_missing"));
    }
    collect(query, &[&scan.source], &Profile::canonical())
}

/// First, small pass over a stage column's distinct values: every value
/// must be on the ladder, mapped by the profile, or ignored by it. Returns
/// the mapping table (value, rank, code) for the values that are stages,
/// and the table's row account so far. Rows missing any of `ids` are
/// counted as excluded for that reason (pass no ids for a column of the
/// applications table, whose ids are accounted for elsewhere).
pub(crate) fn stage_value_pass(
    scan: &Scan,
    stage_map: &StageMap,
    column: &str,
    ids: &[&str],
    profile: &Profile,
) -> Result<(DataFrame, TableAccount, Vec<String>)> {
    crate::progress::step(format!("reading {column} values"));
    let counts = value_counts(scan, column, ids, profile)?;
    stage_map_of(counts, scan, stage_map, column, ids)
}

/// Whether any of `ids` is missing.
fn any_missing(ids: &[&str]) -> Expr {
    ids.iter()
        .map(|id| col(*id).is_null())
        .reduce(|a, b| a.or(b))
        .unwrap_or(lit(false))
}

/// [`stage_value_pass`] on rows counted already: each distinct (value of
/// `column`, whether an id is missing) pair's value, flag and count.
pub(crate) fn stage_map_of(
    (values, id_missing, n): ValueCounts,
    scan: &Scan,
    stage_map: &StageMap,
    column: &str,
    ids: &[&str],
) -> Result<(DataFrame, TableAccount, Vec<String>)> {
    let mut rows_read = 0;
    let mut missing_id = 0;
    let mut missing_stage = 0;
    let mut ignored = 0;
    let mut unknown: BTreeMap<String, u64> = BTreeMap::new();
    let mut mapped: BTreeMap<String, u8> = BTreeMap::new();
    let mut exits = Vec::new();
    let mut exit_rows = 0;
    for i in 0..n.len() {
        rows_read += n[i];
        if id_missing[i] {
            missing_id += n[i];
            continue;
        }
        let Some(value) = &values[i] else {
            missing_stage += n[i];
            continue;
        };
        match stage_map.get(value) {
            Some(StageValue::Rank(r)) => {
                mapped.insert(value.clone(), r);
            }
            Some(StageValue::Ignore) => ignored += n[i],
            // A furthest stage that is an exit: the first stage is all that
            // is known. As an event or outcome, an exit is no stage.
            Some(StageValue::Exit) if column == "furthest_stage" => {
                mapped.insert(value.clone(), 0);
                exits.push(value.clone());
            }
            Some(StageValue::Exit) => exit_rows += n[i],
            None => *unknown.entry(value.clone()).or_insert(0) += n[i],
        }
    }
    if !unknown.is_empty() {
        // Exit words ("Withdrawn", "Rejected") are not stages: never
        // suggest mapping one to a stage.
        let exit_map = ExitMap::default();
        let exit_words: Vec<String> = unknown
            .keys()
            .filter(|v| exit_map.classify(v).is_some())
            .cloned()
            .collect();
        let (count, shown, first) = unknown_values(unknown);
        let hint = if let Some(word) = exit_words.first() {
            format!(
                "{} an application's end, not a stage: map {} to \"exit\" in a profile's [stage_values] (it then counts as reaching the first stage), and set exit_reason to this same column under [columns.applications] to report it as an exit; map the other values to stages (docs/profiles.md)",
                exit_words
                    .iter()
                    .map(|w| format!("'{w}'"))
                    .collect::<Vec<_>>()
                    .join(", ")
                    + if exit_words.len() == 1 { " is" } else { " are" },
                if exit_words.len() == 1 {
                    format!("\"{word}\"")
                } else {
                    "each".to_string()
                }
            )
        } else {
            format!(
                "map each value to a stage, \"ignore\" or \"exit\", in a profile's [stage_values] section, e.g. \"{first}\" = \"{}\" (docs/profiles.md)",
                stage_map.ladder().stages()[1]
            )
        };
        return Err(Error::input(
            &scan.source.path,
            format!(
                "{count} stage value{} not on the ladder ({}): {shown}",
                if count == 1 { " is" } else { "s are" },
                stage_map.ladder().stages().join(" < "),
            ),
        )
        .with_column(column)
        .with_hint(hint));
    }
    // A code per distinct stage (after the ladder's loose matching), so
    // "Shortlisted" and "shortlisted " count as one stage for duplicates.
    let mut codes: HashMap<String, u32> = HashMap::new();
    let mut value_col = Vec::new();
    let mut rank_col = Vec::new();
    let mut code_col = Vec::new();
    for (value, rank) in mapped {
        let next = codes.len() as u32;
        let code = *codes.entry(stage_key(&value)).or_insert(next);
        value_col.push(value);
        rank_col.push(rank as i32);
        code_col.push(code);
    }
    let map = DataFrame::new_infer_height(vec![
        Column::new("value".into(), value_col),
        Column::new("rank".into(), rank_col),
        Column::new("code".into(), code_col),
    ])
    .map_err(|e| Error::Internal(e.to_string()))?;
    let mut excluded = Vec::new();
    push_exclusion(
        &mut excluded,
        &format!("missing {}", ids.join(" or ")),
        missing_id,
    );
    push_exclusion(&mut excluded, "missing stage", missing_stage);
    push_exclusion(
        &mut excluded,
        "stage value the profile marks \"ignore\"",
        ignored,
    );
    push_exclusion(
        &mut excluded,
        "exit value the profile marks \"exit\" (an end, not a stage)",
        exit_rows,
    );
    let excluded_rows = excluded.iter().map(|e| e.rows).sum::<u64>();
    Ok((
        map,
        account(&scan.source, rows_read, rows_read - excluded_rows, excluded),
        exits,
    ))
}

/// A stage map's (from [`stage_value_pass`]) values, each with what
/// `number` makes of its rank and code, to look up.
pub(crate) fn stage_lookup(
    map: &DataFrame,
    number: impl Fn(u32, u32) -> u32,
) -> PolarsResult<HashMap<String, u32>> {
    let values = map.column("value")?.str()?;
    let ranks = map.column("rank")?.cast(&DataType::UInt32)?;
    let codes = map.column("code")?.cast(&DataType::UInt32)?;
    Ok(values
        .iter()
        .zip(ranks.u32()?.iter())
        .zip(codes.u32()?.iter())
        .filter_map(|((value, rank), code)| Some((value?.to_string(), number(rank?, code?))))
        .collect())
}
