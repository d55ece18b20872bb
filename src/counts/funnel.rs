//! The funnel's reducing queries over the per-application frame (counts
//! by breakdown, label and reached stage; exits; the candidate check) and
//! the readers that turn their results into count types.

use polars::prelude::*;

use super::packed_key::PackedKey;
use super::{
    AppFrame, DUPLICATE_APPLICATION, ExitCell, FunnelCell, FunnelCounts, account, bool_column,
    i32_column, push_exclusion, ranked_str_column, split_empty_rows, str_column, u64_column,
};
use crate::error::{Error, Result};

/// The funnel query: applications by [flags…, by…, raw label, reached].
/// Under the hashed plan the labels and breakdown values stay categoricals
/// (numbers) until read, so the slices' running sums add on numbers.
pub(crate) fn funnel_query(app: &AppFrame, by: &[String]) -> LazyFrame {
    // The kernel counted the slice's cells itself, in place of the frame
    // or beside it (see `by_application::cells`).
    if let Some(cells) = &app.cells {
        return cells.clone().lazy();
    }
    cells_of(app.rows(), app.hashed, by)
}

/// The funnel query over a per-application `frame` (with its reach
/// flags), of the hashed plan or not.
pub(crate) fn cells_of(frame: LazyFrame, hashed: bool, by: &[String]) -> LazyFrame {
    let names = funnel_keys(by);
    let collided = if hashed {
        col("collided").cast(DataType::UInt64).sum()
    } else {
        lit(0u64)
    };
    // (Summed as 64-bit: the kernel's frame counts in 32.)
    // (In the order of FUNNEL_VALUES.)
    let mut aggs = vec![
        collided.alias("collided"),
        len().cast(DataType::UInt64).alias("applications"),
        col("app_rows")
            .cast(DataType::UInt64)
            .sum()
            .alias("app_rows"),
        col("n_events")
            .cast(DataType::UInt64)
            .sum()
            .alias("n_events"),
        col("n_distinct")
            .cast(DataType::UInt64)
            .sum()
            .alias("n_distinct"),
    ];
    // Under the exact plan (ids repeat), the ids whose rows name more than
    // one vacancy, counted in the pass (and its slices) rather than by a
    // further read of every id.
    if !hashed {
        aggs.push(
            col("vacancies")
                .gt(lit(1u64))
                .and(col("id_missing").not())
                .cast(DataType::UInt64)
                .sum()
                .alias(IDS_ACROSS_VACANCIES),
        );
    }
    // Under the hashed plan the keys are flags, categoricals and the
    // stage rank (a ladder's rank is a byte): grouped as one number.
    if hashed {
        let packed = frame
            .clone()
            .collect_schema()
            .ok()
            .and_then(|schema| PackedKey::new(&schema, &names, &[("reached", 8)]));
        if let Some(packed) = packed {
            return packed.group_by(frame, aggs);
        }
    }
    frame
        .group_by(names.into_iter().map(col).collect::<Vec<_>>())
        .agg(aggs)
}

/// The funnel query's keys, in order: three flags, the breakdowns, the
/// raw label and the stage reached.
pub(crate) fn funnel_keys(by: &[String]) -> Vec<&str> {
    let mut names = vec!["in_apps", "id_missing", "has_stage"];
    names.extend(by.iter().map(String::as_str));
    names.extend(["ethnicity", "reached"]);
    names
}

/// The funnel query's values after its keys (UInt64 each), under the
/// hashed plan.
pub(crate) const FUNNEL_VALUES: [&str; 5] = [
    "collided",
    "applications",
    "app_rows",
    "n_events",
    "n_distinct",
];

/// The funnel query's count of ids whose rows name several vacancies.
const IDS_ACROSS_VACANCIES: &str = "ids_across_vacancies";

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
        unrated: Vec::new(),
        applied_between: None,
        candidates_with_differing_ethnicity: None,
        ids_across_vacancies: Some(tally.ids_across_vacancies).filter(|n| *n > 0),
        exits: None,
    })
}

/// Applications by raw label, reached stage and raw exit value.
pub(super) fn exit_query(app: &AppFrame) -> LazyFrame {
    app.rows()
        .filter(col("in_apps").and(col("id_missing").not()))
        .group_by([col("ethnicity"), col("reached"), col("exit_reason")])
        .agg([len().cast(DataType::UInt64).alias("n")])
        .with_columns([
            col("ethnicity").cast(DataType::String),
            col("exit_reason").cast(DataType::String),
        ])
}

pub(super) fn read_exits(df: &DataFrame) -> Result<Vec<ExitCell>> {
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

pub(super) struct Tally {
    pub(super) cells: Vec<FunnelCell>,
    pub(super) app_rows: u64,
    pub(super) app_duplicates: u64,
    pub(super) app_missing_id: u64,
    pub(super) events_unknown_app: u64,
    pub(super) event_duplicates: u64,
    pub(super) without_stage: u64,
    /// Application ids whose rows name more than one vacancy (counted by
    /// the exact plan only: under the hashed plan no id repeats).
    pub(super) ids_across_vacancies: u64,
}

/// Applications rows beyond one per application, among the rows with an
/// id: the repeats the funnel excludes, and whose presence makes the
/// hashed plan count again exactly.
pub(super) fn repeated_application_rows(df: &DataFrame) -> Result<u64> {
    let in_apps = bool_column(df, "in_apps")?;
    let id_missing = bool_column(df, "id_missing")?;
    let app_rows = u64_column(df, "app_rows")?;
    let applications = u64_column(df, "applications")?;
    Ok((0..df.height())
        .filter(|&i| in_apps[i] && !id_missing[i])
        .map(|i| app_rows[i] - applications[i])
        .sum())
}

pub(super) fn read_cells(df: &DataFrame, by: &[String]) -> Result<Tally> {
    let in_apps = bool_column(df, "in_apps")?;
    let id_missing = bool_column(df, "id_missing")?;
    let has_stage = bool_column(df, "has_stage")?;
    // The breakdown values, then the label: ranks to sort by, and texts.
    let ranked: Vec<(Vec<u32>, Vec<Option<String>>)> = by
        .iter()
        .map(String::as_str)
        .chain(["ethnicity"])
        .map(|c| ranked_str_column(df, c))
        .collect::<Result<_>>()?;
    let reached = df
        .column("reached")
        .and_then(|c| c.i32().cloned())
        .map_err(|e| Error::Internal(e.to_string()))?;
    let applications = u64_column(df, "applications")?;
    let app_rows = u64_column(df, "app_rows")?;
    let n_events = u64_column(df, "n_events")?;
    let n_distinct = u64_column(df, "n_distinct")?;
    // Only the exact plan's result has the column.
    let ids_across_vacancies = match df.column(IDS_ACROSS_VACANCIES) {
        Ok(_) => u64_column(df, IDS_ACROSS_VACANCIES)?.iter().sum(),
        Err(_) => 0,
    };
    let mut t = Tally {
        cells: Vec::with_capacity(df.height()),
        app_rows: 0,
        app_duplicates: repeated_application_rows(df)?,
        app_missing_id: 0,
        events_unknown_app: 0,
        event_duplicates: 0,
        without_stage: 0,
        ids_across_vacancies,
    };
    let mut counted: Vec<usize> = Vec::with_capacity(df.height());
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
        t.event_duplicates += n_events[i] - n_distinct[i];
        if !has_stage[i] {
            t.without_stage += applications[i];
        }
        counted.push(i);
    }
    // A stable order, whatever order the engine produced groups in: by
    // breakdown values, label and stage, compared by their ranks.
    let reached_of = |i: usize| reached.get(i).unwrap_or(0) as u8;
    counted.sort_by(|&a, &b| {
        ranked
            .iter()
            .map(|(ranks, _)| ranks[a].cmp(&ranks[b]))
            .find(|o| o.is_ne())
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(reached_of(a).cmp(&reached_of(b)))
    });
    let (label, keys) = ranked.split_last().expect("the label is ranked");
    let text = |(ranks, texts): &(Vec<u32>, Vec<Option<String>>), i: usize| {
        texts[ranks[i] as usize].clone()
    };
    t.cells = counted
        .into_iter()
        .map(|i| FunnelCell {
            keys: keys.iter().map(|k| text(k, i)).collect(),
            label: text(label, i),
            reached: reached_of(i),
            applications: applications[i],
        })
        .collect();
    Ok(t)
}
