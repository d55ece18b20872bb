//! Availability benchmarks: group shares of the people available for a kind
//! of role (e.g. from the census for an occupation and region), as a CSV:
//!
//! ```text
//! role_family,region,group,share
//! Finance,London,BME,0.31
//! Finance,,BME,0.22
//! ,,BME,0.18
//! ```
//!
//! Every column other than `group` and `share` is a key matched against the
//! applications column of the same name; an empty key matches anything, and
//! the most specific matching row wins.

use std::path::Path;

use crate::error::{Error, Result};

/// One benchmark row.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchmarkRow {
    /// Key values, in [`Benchmark::keys`] order; `None` matches anything.
    pub keys: Vec<Option<String>>,
    /// The group.
    pub group: String,
    /// Its share of the available people.
    pub share: f64,
}

/// A benchmark table.
#[derive(Debug, Clone, PartialEq)]
pub struct Benchmark {
    /// The file, for reports.
    pub file: String,
    /// Key column names.
    pub keys: Vec<String>,
    /// Rows.
    pub rows: Vec<BenchmarkRow>,
}

impl Benchmark {
    /// Reads and checks a benchmark CSV. `groups` are the grouping's group
    /// names: every row must name one of them.
    pub fn from_file(path: &Path, groups: &[String]) -> Result<Benchmark> {
        let mut reader = csv::ReaderBuilder::new()
            .from_path(path)
            .map_err(|e| Error::input(path, format!("cannot be read as CSV: {e}")))?;
        let header = reader
            .headers()
            .map_err(|e| Error::input(path, format!("cannot be read as CSV: {e}")))?
            .clone();
        let find = |name: &str| header.iter().position(|h| h.trim() == name);
        let (Some(group_col), Some(share_col)) = (find("group"), find("share")) else {
            return Err(Error::input(
                path,
                "an availability benchmark needs the columns 'group' and 'share'",
            )
            .with_hint("see docs/slates.md"));
        };
        let key_cols: Vec<usize> = (0..header.len())
            .filter(|&i| i != group_col && i != share_col)
            .collect();
        let mut rows = Vec::new();
        for (i, record) in reader.records().enumerate() {
            let line = i as u64 + 2;
            let record = record.map_err(|e| Error::input(path, e.to_string()).with_line(line))?;
            let group = record.get(group_col).unwrap_or("").trim().to_string();
            if !groups.contains(&group) {
                return Err(Error::input(
                    path,
                    format!(
                        "group '{group}' is not a group of the grouping in use ({})",
                        groups.join(", ")
                    ),
                )
                .with_line(line)
                .with_column("group"));
            }
            let text = record.get(share_col).unwrap_or("").trim();
            let share: f64 = text
                .parse()
                .ok()
                .filter(|s: &f64| (0.0..=1.0).contains(s))
                .ok_or_else(|| {
                    Error::input(
                        path,
                        format!("share '{text}' is not a number between 0 and 1"),
                    )
                    .with_line(line)
                    .with_column("share")
                })?;
            let keys: Vec<Option<String>> = key_cols
                .iter()
                .map(|&c| {
                    let v = record.get(c).unwrap_or("").trim();
                    (!v.is_empty()).then(|| v.to_string())
                })
                .collect();
            if rows
                .iter()
                .any(|r: &BenchmarkRow| r.keys == keys && r.group == group)
            {
                return Err(Error::input(
                    path,
                    format!("a second row for group '{group}' with the same key values"),
                )
                .with_line(line)
                .with_column("group")
                .with_hint("each group has one share per key combination; remove or merge the repeated row"));
            }
            rows.push(BenchmarkRow { keys, group, share });
        }
        if rows.is_empty() {
            return Err(Error::input(path, "the benchmark has no rows"));
        }
        Ok(Benchmark {
            file: path.display().to_string(),
            keys: key_cols
                .iter()
                .map(|&c| header[c].trim().to_string())
                .collect(),
            rows,
        })
    }

    /// The shares that apply to something with these key values: the rows
    /// of the most specific matching key combination, as (group, share),
    /// with a description of the match. `None` when no row matches.
    pub fn shares_for(&self, values: &[Option<String>]) -> Option<(String, Vec<(String, f64)>)> {
        let matches = |row: &BenchmarkRow| {
            row.keys
                .iter()
                .zip(values)
                .all(|(k, v)| k.as_ref().is_none_or(|k| v.as_ref() == Some(k)))
        };
        let best = self
            .rows
            .iter()
            .filter(|r| matches(r))
            .map(|r| r.keys.iter().filter(|k| k.is_some()).count())
            .max()?;
        let chosen: Vec<&BenchmarkRow> = self
            .rows
            .iter()
            .filter(|r| matches(r) && r.keys.iter().filter(|k| k.is_some()).count() == best)
            .collect();
        let keys = &chosen[0].keys;
        let described: Vec<String> = self
            .keys
            .iter()
            .zip(keys)
            .filter_map(|(name, v)| v.as_ref().map(|v| format!("{name} = {v}")))
            .collect();
        let description = if described.is_empty() {
            "all roles".to_string()
        } else {
            described.join(", ")
        };
        Some((
            description,
            chosen
                .iter()
                .filter(|r| &r.keys == keys)
                .map(|r| (r.group.clone(), r.share))
                .collect(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn most_specific_row_wins() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("b.csv");
        std::fs::write(
            &path,
            "role_family,region,group,share\nFinance,London,BME,0.31\nFinance,,BME,0.22\n,,BME,0.18\n",
        )
        .unwrap();
        let groups = vec!["White".to_string(), "BME".to_string()];
        let b = Benchmark::from_file(&path, &groups).unwrap();
        let v = |a: &str, b: &str| vec![Some(a.to_string()), Some(b.to_string())];
        assert_eq!(
            b.shares_for(&v("Finance", "London")).unwrap().1,
            [("BME".to_string(), 0.31)]
        );
        assert_eq!(
            b.shares_for(&v("Finance", "Leeds")).unwrap().1,
            [("BME".to_string(), 0.22)]
        );
        let (d, s) = b.shares_for(&v("Board", "Leeds")).unwrap();
        assert_eq!((d.as_str(), s[0].1), ("all roles", 0.18));
        std::fs::write(&path, "group,share\nAsian,0.2\n").unwrap();
        let e = Benchmark::from_file(&path, &groups)
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 2") && e.contains("'Asian'"), "{e}");
        std::fs::write(&path, "group,share\nBME,1.5\n").unwrap();
        assert!(Benchmark::from_file(&path, &groups).is_err());
    }
}
