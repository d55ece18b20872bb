//! The staff table: HR records, one row per employee. No ATS holds its
//! interviewers' ethnicity, so panel members take theirs (and their sex)
//! from here, joined on member_id. The table is small (an organisation's
//! staff list), so it is read whole, once.

use polars::prelude::*;

use super::panels::PanelPrep;
use super::{TableAccount, account, bool_column, collect, push_exclusion, u64_column};
use crate::error::{Error, Result};
use crate::ingest::{self, Profile, Source};

/// The staff table reduced to one row per employee.
pub(crate) struct Staff {
    /// member_id, staff_ethnicity, staff_sex, in_staff (always true).
    pub frame: DataFrame,
    /// Row accounting.
    pub account: TableAccount,
}

/// Reads the staff table. An employee listed twice keeps the first row's
/// values; the repeats are counted.
pub(crate) fn read(source: &Source, profile: &Profile) -> Result<Staff> {
    let mut scan = ingest::scan(source, profile, &["member_sex"])?;
    scan.fill_absent(&["member_sex"]);
    let first = |c: &str| col(c).min_by(col("row"));
    let query = scan
        .frame
        .clone()
        .with_row_index("row", None)
        .group_by([col("member_id")])
        .agg([
            first("member_ethnicity").alias("staff_ethnicity"),
            first("member_sex").alias("staff_sex"),
            len().cast(DataType::UInt64).alias("copies"),
        ])
        .with_column(col("member_id").is_null().alias("id_missing"));
    let df = collect(query, &[source], profile)?;
    let copies = u64_column(&df, "copies")?;
    let id_missing = bool_column(&df, "id_missing")?;
    let (mut read, mut missing, mut repeats) = (0, 0, 0);
    for (n, no_id) in copies.iter().zip(&id_missing) {
        read += n;
        if *no_id {
            missing += n;
        } else {
            repeats += n - 1;
        }
    }
    let mut excluded = Vec::new();
    push_exclusion(&mut excluded, "missing member_id", missing);
    push_exclusion(
        &mut excluded,
        "repeat of an employee already listed (the first row's values are used)",
        repeats,
    );
    let frame = df
        .lazy()
        .filter(col("id_missing").not())
        .select([
            col("member_id"),
            col("staff_ethnicity"),
            col("staff_sex"),
            lit(true).alias("in_staff"),
        ])
        .collect()
        .map_err(|e| Error::Internal(e.to_string()))?;
    Ok(Staff {
        frame,
        account: account(source, read, read - missing - repeats, excluded),
    })
}

/// Joins the staff records onto panel rows (member_id, member_ethnicity,
/// member_sex): the HR record's ethnicity and sex win; the panel file's own
/// values fill in where HR has none. Adds `in_staff`.
pub(crate) fn join(panel: LazyFrame, staff: &Staff) -> LazyFrame {
    panel
        .join(
            staff.frame.clone().lazy(),
            [col("member_id")],
            [col("member_id")],
            JoinArgs::new(JoinType::Left),
        )
        .with_columns([
            coalesce(&[col("staff_ethnicity"), col("member_ethnicity")]).alias("member_ethnicity"),
            coalesce(&[col("staff_sex"), col("member_sex")]).alias("member_sex"),
            col("in_staff").fill_null(lit(false)),
        ])
        .drop(cols(["staff_ethnicity", "staff_sex"]))
}

/// Distinct panel members with no staff record.
pub(crate) fn members_not_in_staff(prep: &PanelPrep, profile: &Profile) -> Result<u64> {
    let df = collect(
        prep.seats()
            .filter(col("in_staff").not())
            .select([col("member_id")
                .n_unique()
                .cast(DataType::UInt64)
                .alias("n")]),
        &[&prep.scan.source],
        profile,
    )?;
    Ok(u64_column(&df, "n")?.first().copied().unwrap_or(0))
}
