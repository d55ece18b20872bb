//! Mapping profiles (TOML): how one ATS export maps onto rung's canonical
//! tables. Format and examples in `docs/profiles.md`.
//!
//! ```toml
//! name = "my-ats"
//! ladder = ["applied", "shortlisted", "interviewed", "offered", "appointed"]
//!
//! [columns.applications]      # canonical name = column in the export
//! application_id = "Application Ref"
//! ethnicity = "Ethnic Origin"
//!
//! [stage_values]              # raw stage value = ladder stage or "ignore"
//! "Phone screen" = "shortlisted"
//! "Rejected" = "ignore"
//!
//! [ethnicity_labels]          # raw label = category id, heading id, set id, a group of the grouping, "declined" or "not_known"
//! "BAME" = "not_known"
//!
//! [csv]
//! delimiter = ";"
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{Error, Result};
use crate::ingest::TableKind;
use crate::taxonomy::LabelTarget;
use crate::taxonomy::exits::ExitKind;
use crate::taxonomy::ladder::{Ladder, StageMap};

/// A parsed, checked mapping profile.
#[derive(Debug, Clone, Default)]
pub struct Profile {
    /// Profile name, for reports.
    pub name: Option<String>,
    /// Canonical column → export column, per table.
    pub columns: BTreeMap<TableKind, BTreeMap<String, String>>,
    /// The ladder, when the profile sets one.
    pub ladder: Option<Ladder>,
    /// Raw stage values → ladder stage name or "ignore".
    pub stage_values: BTreeMap<String, String>,
    /// Raw ethnicity labels the analyst has placed by hand.
    pub ethnicity_labels: BTreeMap<String, LabelTarget>,
    /// Where the profile came from, for messages.
    pub source: PathBuf,
    /// One of the profiles bundled with rung: it maps every column its
    /// system can export, and a given export may lack the optional ones.
    pub bundled: bool,
    /// CSV field delimiter.
    pub delimiter: u8,
    /// Text scores → numbers; `None` marks values to drop ("no decision").
    pub score_values: BTreeMap<String, Option<f64>>,
    /// Grades, lowest first, for panel policies.
    pub grades: Option<Vec<String>>,
    /// The score scale (lowest, highest), when the profile declares one:
    /// scores outside it are left out and counted.
    pub score_scale: Option<(f64, f64)>,
    /// Raw exit values → rejected, withdrawn or unspecified.
    pub exit_values: BTreeMap<String, ExitKind>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProfileFile {
    name: Option<String>,
    ladder: Option<Vec<String>>,
    #[serde(default)]
    columns: BTreeMap<String, BTreeMap<String, ColumnName>>,
    #[serde(default)]
    stage_values: BTreeMap<String, String>,
    #[serde(default)]
    ethnicity_labels: BTreeMap<String, String>,
    #[serde(default)]
    csv: CsvOptions,
    #[serde(default)]
    score_values: BTreeMap<String, toml::Value>,
    grades: Option<Vec<String>>,
    score_scale: Option<ScoreScale>,
    #[serde(default)]
    exit_values: BTreeMap<String, String>,
}

/// A mapped column: one export column, or several that together make a key
/// (`application_id = ["Applicant ID", "Vacancy Ref"]`).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum ColumnName {
    One(String),
    Many(Vec<String>),
}

/// Joins the columns of a composite key in a mapped name; [`key_parts`]
/// splits them again. A control character no header holds.
pub const KEY_SEPARATOR: char = '\u{1f}';

/// The export columns a mapped name stands for: one, or a composite key's.
pub fn key_parts(name: &str) -> Vec<&str> {
    name.split(KEY_SEPARATOR).collect()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScoreScale {
    min: f64,
    max: f64,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct CsvOptions {
    delimiter: Option<String>,
}

impl Profile {
    /// The profile a canonical dataset needs: none of its own.
    pub fn canonical() -> Profile {
        Profile {
            delimiter: b',',
            ..Profile::default()
        }
    }

    /// The profiles bundled with rung, by name.
    pub const BUNDLED: [(&'static str, &'static str); 4] = [
        ("search", include_str!("../../profiles/search.toml")),
        ("nhs-flat", include_str!("../../profiles/nhs-flat.toml")),
        ("greenhouse", include_str!("../../profiles/greenhouse.toml")),
        ("lever", include_str!("../../profiles/lever.toml")),
    ];

    /// The same profile with `application_id` made of `columns` in the
    /// applications and stage_events tables (`--application-key COL,COL`).
    pub fn with_application_key(mut self, columns: &[String]) -> Profile {
        let name = columns.join(&KEY_SEPARATOR.to_string());
        for table in [TableKind::Applications, TableKind::StageEvents] {
            self.columns
                .entry(table)
                .or_default()
                .insert("application_id".into(), name.clone());
        }
        self
    }

    /// A bundled profile or a profile file, resolved explicitly: a value
    /// with a path separator or a `.toml` ending is a file; a bare name is
    /// a bundled profile when there is one by that name (a file or folder
    /// of the same name in the current folder does not shadow it; rung
    /// says which it used), and a file otherwise.
    pub fn named_or_file(name: &Path) -> Result<Profile> {
        let text = name.to_string_lossy();
        let looks_like_file = text.contains(['/', '\\']) || text.ends_with(".toml");
        if !looks_like_file
            && let Some((n, body)) = Profile::BUNDLED.iter().find(|(n, _)| *n == text)
        {
            if name.exists() {
                eprintln!(
                    "rung: --profile {n}: using the bundled profile; for the file or folder of that name here, write ./{n}"
                );
            }
            let mut profile =
                Profile::from_text(Path::new(&format!("(bundled profile {n})")), body)?;
            profile.bundled = true;
            return Ok(profile);
        }
        if name.is_dir() {
            return Err(Error::input(
                name,
                "is a folder, not a profile: expected a TOML file or a bundled profile's name",
            )
            .with_hint(format!(
                "bundled profiles: {}",
                Profile::BUNDLED.map(|(n, _)| n).join(", ")
            )));
        }
        Profile::from_file(name)
    }

    /// Reads and checks a profile file.
    pub fn from_file(path: &Path) -> Result<Profile> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Profile::from_text(path, &text)
    }

    /// Parses and checks a profile's text; `path` names it in messages.
    pub fn from_text(path: &Path, text: &str) -> Result<Profile> {
        let file: ProfileFile = toml::from_str(text).map_err(|e| {
            Error::toml(path, text, &e, "mapping profile")
                .with_hint("the profile format is described in docs/profiles.md")
        })?;
        let mut columns = BTreeMap::new();
        for (table, map) in file.columns {
            let kind = TableKind::from_name(&table).ok_or_else(|| {
                Error::input(
                    path,
                    format!(
                        "[columns.{table}] names no table: expected one of {}",
                        TableKind::names()
                    ),
                )
            })?;
            let mut names = BTreeMap::new();
            for (canonical, name) in map {
                if !kind.all_columns().contains(&canonical.as_str()) {
                    return Err(Error::input(
                        path,
                        format!(
                            "[columns.{table}] maps '{canonical}', which is not a column of {table}: expected one of {}",
                            kind.all_columns().join(", ")
                        ),
                    ));
                }
                let name = match name {
                    ColumnName::One(n) => n,
                    ColumnName::Many(parts)
                        if canonical == "application_id" && parts.len() >= 2 =>
                    {
                        parts.join(&KEY_SEPARATOR.to_string())
                    }
                    ColumnName::Many(_) => {
                        return Err(Error::input(
                            path,
                            format!(
                                "[columns.{table}] maps '{canonical}' to a list: only application_id may be made of several columns (two or more)"
                            ),
                        ));
                    }
                };
                names.insert(canonical, name);
            }
            columns.insert(kind, names);
        }
        let ladder = file
            .ladder
            .map(Ladder::new)
            .transpose()
            .map_err(|e| Error::input(path, format!("ladder: {e}")))?;
        // A target is checked against the grouping when the taxonomy is
        // built (a group name needs the scheme): Taxonomy::new.
        let ethnicity_labels = file
            .ethnicity_labels
            .into_iter()
            .map(|(label, target)| (label, LabelTarget::parse(&target)))
            .collect();
        let delimiter = match file.csv.delimiter.as_deref() {
            None => b',',
            Some("\\t") | Some("\t") | Some("tab") => b'\t',
            Some(d) if d.len() == 1 => d.as_bytes()[0],
            Some(d) => {
                return Err(Error::input(
                    path,
                    format!("[csv] delimiter '{d}' must be a single character (or \"tab\")"),
                ));
            }
        };
        let mut score_values = BTreeMap::new();
        for (text, value) in file.score_values {
            let number = match &value {
                toml::Value::Integer(i) => Some(*i as f64),
                toml::Value::Float(f) if f.is_finite() => Some(*f),
                toml::Value::String(s) if s.eq_ignore_ascii_case("ignore") => None,
                other => {
                    return Err(Error::input(
                        path,
                        format!(
                            "[score_values] maps '{text}' to {other}: expected a number or \"ignore\""
                        ),
                    ));
                }
            };
            score_values.insert(score_key(&text), number);
        }
        let score_scale = match file.score_scale {
            Some(ScoreScale { min, max }) if min.is_finite() && max.is_finite() && min < max => {
                Some((min, max))
            }
            Some(ScoreScale { min, max }) => {
                return Err(Error::input(
                    path,
                    format!(
                        "[score_scale] min = {min}, max = {max}: expected two numbers, min below max"
                    ),
                ));
            }
            None => None,
        };
        let mut exit_values = BTreeMap::new();
        for (value, target) in file.exit_values {
            let kind = ExitKind::from_name(&target).ok_or_else(|| {
                Error::input(
                    path,
                    format!(
                        "[exit_values] maps '{value}' to '{target}': expected \"rejected\", \"withdrawn\" or \"unspecified\""
                    ),
                )
            })?;
            exit_values.insert(value, kind);
        }
        let profile = Profile {
            exit_values,
            score_scale,
            score_values,
            grades: file.grades,
            name: file.name,
            columns,
            ladder,
            stage_values: file.stage_values,
            ethnicity_labels,
            source: path.to_path_buf(),
            bundled: false,
            delimiter,
        };
        // Check the stage values against the ladder now, before any scan.
        profile
            .stage_map()
            .map_err(|e| Error::input(path, format!("[stage_values] {e}")))?;
        Ok(profile)
    }

    /// The ladder in force.
    pub fn ladder(&self) -> Ladder {
        self.ladder.clone().unwrap_or_else(Ladder::standard)
    }

    /// Raw stage values → meanings.
    pub fn stage_map(&self) -> std::result::Result<StageMap, String> {
        StageMap::new(self.ladder(), &self.stage_values)
    }

    /// A text score's value: `Some(Some(x))` for a number, `Some(None)` for a
    /// value to drop, `None` when neither a number nor mapped.
    pub fn score_value(&self, text: &str) -> Option<Option<f64>> {
        if let Some(v) = self.score_values.get(&score_key(text)) {
            return Some(*v);
        }
        text.trim()
            .parse::<f64>()
            .ok()
            .filter(|x| x.is_finite())
            .map(Some)
    }

    /// The export's name for a canonical column.
    pub fn source_column<'a>(&'a self, table: TableKind, canonical: &'a str) -> &'a str {
        self.columns
            .get(&table)
            .and_then(|m| m.get(canonical))
            .map(String::as_str)
            .unwrap_or(canonical)
    }
}

/// Score texts match ignoring case and surrounding spaces.
fn score_key(text: &str) -> String {
    text.trim().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.toml");
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    #[test]
    fn reads_a_full_profile() {
        let (_d, path) = write(
            r#"
name = "demo"
ladder = ["applied", "screen", "hired"]
[columns.applications]
application_id = "App Ref"
[stage_values]
"Phone screen" = "screen"
"Rejected" = "ignore"
[ethnicity_labels]
"BAME" = "not_known"
"Asian Other" = "other_asian"
[csv]
delimiter = ";"
"#,
        );
        let p = Profile::from_file(&path).unwrap();
        assert_eq!(
            p.source_column(TableKind::Applications, "application_id"),
            "App Ref"
        );
        assert_eq!(
            p.source_column(TableKind::Applications, "vacancy_id"),
            "vacancy_id"
        );
        assert_eq!(p.ladder().stages(), ["applied", "screen", "hired"]);
        assert_eq!(p.delimiter, b';');
        assert_eq!(
            p.ethnicity_labels["BAME"],
            LabelTarget::Means(crate::taxonomy::ethnicity::Resolution::NotKnown)
        );
    }

    #[test]
    fn rejects_typos_with_the_file_named() {
        let (_d, path) = write("[colums.applications]\napplication_id = \"x\"\n");
        let e = Profile::from_file(&path).unwrap_err().to_string();
        assert!(e.contains("p.toml") && e.contains("colums"), "{e}");
        let (_d, path) = write("[stage_values]\n\"Hired\" = \"placed\"\n");
        let e = Profile::from_file(&path).unwrap_err().to_string();
        assert!(
            e.contains("placed") && e.contains("not on the ladder"),
            "{e}"
        );
        let (_d, path) = write("[columns.applications]\napplicant = \"x\"\n");
        let e = Profile::from_file(&path).unwrap_err().to_string();
        assert!(e.contains("'applicant'"), "{e}");
    }
}
