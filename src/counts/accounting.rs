//! Row accounting: every row read is used or excluded with a reason, and
//! unknown stage values are listed for the error that names them.

use std::collections::BTreeMap;

use super::{Exclusion, TableAccount};
use crate::error::Result;
use crate::ingest::{self, Profile, Source};

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
pub(super) fn split_empty_rows(
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
