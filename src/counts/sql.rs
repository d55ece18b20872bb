//! The counting pass as SQL, for when the rows live in a warehouse or in
//! Spark: one query whose result has the long shape of a counts file
//! (breakdown columns, `ethnicity`, `furthest_stage`, `applications`), for
//! `rung audit --counts`.
//!
//! The query does what [`super::count_funnel`] does, with the same rules:
//! one row per application_id (rows without one left out), the reached
//! stage is the highest rank of its stage events (or its furthest_stage
//! column when there are no events), raised by an `outcome` column where a
//! profile maps one; stage values are compared in rung's loose form (lower
//! case, runs of spaces, `_` and `-` as one space) against the ladder and
//! the profile's `[stage_values]`. Ethnicity labels are counted raw, as
//! rung's own pass counts them: the taxonomy runs in rung on the counts, so
//! the SQL needs no copy of it. Stage values the map does not know come out
//! as rows whose furthest_stage reads "unknown stage value: …", and
//! `rung audit --counts` stops on them, naming each: nothing is dropped in
//! silence.
//!
//! Where an application_id appears on more than one applications row, the
//! query keeps the smallest value of each column (SQL tables have no row
//! order); rung keeps the first row's. Identical unless duplicates disagree.

use crate::ingest::{Profile, TableKind};
use crate::taxonomy::ladder::{StageMap, StageValue};

/// The SQL engines rung writes for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Dialect {
    /// DuckDB.
    Duckdb,
    /// Spark SQL (Databricks).
    Spark,
    /// PostgreSQL.
    Postgres,
}

impl Dialect {
    /// The engine's name, for the query's header.
    pub fn name(self) -> &'static str {
        match self {
            Dialect::Duckdb => "DuckDB",
            Dialect::Spark => "Spark SQL",
            Dialect::Postgres => "PostgreSQL",
        }
    }

    fn text(self) -> &'static str {
        match self {
            Dialect::Duckdb => "VARCHAR",
            Dialect::Spark => "STRING",
            Dialect::Postgres => "TEXT",
        }
    }

    /// Quotes an identifier.
    pub fn ident(self, name: &str) -> String {
        match self {
            Dialect::Spark => format!("`{}`", name.replace('`', "``")),
            _ => format!("\"{}\"", name.replace('"', "\"\"")),
        }
    }

    /// rung's loose form of a stage value (`stage_key`).
    fn loose(self, expr: &str) -> String {
        match self {
            Dialect::Spark => format!("TRIM(REGEXP_REPLACE(LOWER({expr}), '[\\\\s_-]+', ' '))"),
            _ => format!("TRIM(REGEXP_REPLACE(LOWER({expr}), '[[:space:]_-]+', ' ', 'g'))"),
        }
    }
}

/// A string literal.
pub fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// What to write a query for.
pub struct SqlSpec<'a> {
    /// The engine.
    pub dialect: Dialect,
    /// The applications table: a name or a table expression of the engine.
    pub applications: &'a str,
    /// The stage_events table, if the data has one.
    pub stage_events: Option<&'a str>,
    /// Breakdown columns (canonical names; the profile maps them).
    pub by: &'a [String],
    /// Column names and stage values.
    pub profile: &'a Profile,
    /// The stage map (ladder and the profile's values).
    pub stage_map: &'a StageMap,
}

/// The counting query.
pub fn counting_query(spec: &SqlSpec) -> String {
    let d = spec.dialect;
    let t = d.text();
    let apps_col = |c: &str| d.ident(spec.profile.source_column(TableKind::Applications, c));
    let cast = |expr: String| format!("CAST({expr} AS {t})");
    let by: Vec<String> = spec.by.iter().map(|b| d.ident(b)).collect();
    let has_outcome = spec
        .profile
        .columns
        .get(&TableKind::Applications)
        .is_some_and(|m| m.contains_key("outcome"));
    let events = spec.stage_events;
    let ladder = spec.stage_map.ladder();

    let mut q = String::new();
    q.push_str(&format!(
        "-- rung {}: the counting pass of `rung audit` as {} SQL.\n\
         -- Its result is a counts table: save it as CSV or Parquet and run\n\
         -- `rung audit --counts FILE` (add the same --by columns).\n",
        crate::VERSION,
        d.name()
    ));
    q.push_str("WITH stage_map (stage_key, stage_rank) AS (\n  VALUES\n");
    let entries: Vec<String> = spec
        .stage_map
        .entries()
        .into_iter()
        .map(|(key, value)| {
            let rank = match value {
                StageValue::Rank(r) => r as i32,
                StageValue::Ignore => -1,
                // The first stage as a furthest stage; as an event it
                // cannot raise the maximum rank either way.
                StageValue::Exit => 0,
            };
            format!("    ({}, {rank})", literal(key))
        })
        .collect();
    q.push_str(&entries.join(",\n"));
    q.push_str("\n),\n");

    // Applications, one row per id.
    q.push_str("application_rows AS (\n  SELECT\n");
    let mut cols = vec![
        format!("    {} AS application_id", cast(apps_col("application_id"))),
        format!("    {} AS ethnicity", cast(apps_col("ethnicity"))),
    ];
    for (b, canonical) in by.iter().zip(spec.by) {
        cols.push(format!("    {} AS {b}", cast(apps_col(canonical))));
    }
    if events.is_none() {
        cols.push(format!(
            "    {} AS furthest_stage",
            cast(apps_col("furthest_stage"))
        ));
    }
    if has_outcome {
        cols.push(format!("    {} AS outcome", cast(apps_col("outcome"))));
    }
    q.push_str(&cols.join(",\n"));
    q.push_str(&format!("\n  FROM {}\n),\n", spec.applications));

    q.push_str(
        "applications AS (\n  SELECT\n    r.application_id,\n    MIN(r.ethnicity) AS ethnicity",
    );
    for b in &by {
        q.push_str(&format!(",\n    MIN(r.{b}) AS {b}"));
    }
    if events.is_none() {
        q.push_str(",\n    MAX(fs.stage_rank) AS base_rank");
    }
    if has_outcome {
        q.push_str(",\n    MAX(oc.stage_rank) AS outcome_rank");
    }
    q.push_str("\n  FROM application_rows r\n");
    if events.is_none() {
        q.push_str(&format!(
            "  LEFT JOIN stage_map fs ON fs.stage_key = {} AND fs.stage_rank >= 0\n",
            d.loose("r.furthest_stage")
        ));
    }
    if has_outcome {
        q.push_str(&format!(
            "  LEFT JOIN stage_map oc ON oc.stage_key = {} AND oc.stage_rank >= 0\n",
            d.loose("r.outcome")
        ));
    }
    q.push_str("  WHERE r.application_id IS NOT NULL\n  GROUP BY r.application_id\n),\n");

    // Stage events, reduced to the highest rank per application.
    if let Some(ev) = events {
        let ev_col = |c: &str| d.ident(spec.profile.source_column(TableKind::StageEvents, c));
        q.push_str(&format!(
            "event_rows AS (\n  SELECT\n    {} AS application_id,\n    {} AS stage\n  FROM {ev}\n),\n",
            cast(ev_col("application_id")),
            cast(ev_col("stage"))
        ));
        q.push_str(&format!(
            "event_ranks AS (\n  SELECT e.application_id, MAX(m.stage_rank) AS base_rank\n  FROM event_rows e\n  JOIN stage_map m ON m.stage_key = {}\n  WHERE e.application_id IS NOT NULL AND m.stage_rank >= 0\n  GROUP BY e.application_id\n),\n",
            d.loose("e.stage")
        ));
    }

    // The stage reached: events (or furthest_stage), raised by the outcome.
    let base = if events.is_some() {
        "COALESCE(b.base_rank, 0)"
    } else {
        "COALESCE(a.base_rank, 0)"
    };
    let reached = if has_outcome {
        format!("CASE WHEN a.outcome_rank > {base} THEN a.outcome_rank ELSE {base} END")
    } else {
        base.to_string()
    };
    q.push_str("reached AS (\n  SELECT\n");
    let mut sel: Vec<String> = by.iter().map(|b| format!("    a.{b}")).collect();
    sel.push("    a.ethnicity".into());
    sel.push(format!("    {reached} AS stage_rank"));
    q.push_str(&sel.join(",\n"));
    q.push_str("\n  FROM applications a\n");
    if events.is_some() {
        q.push_str("  LEFT JOIN event_ranks b ON b.application_id = a.application_id\n");
    }
    q.push_str("),\n");

    // Values the stage map does not know.
    let mut unknown = Vec::new();
    if events.is_some() {
        unknown.push(format!(
            "  SELECT e.stage AS value FROM event_rows e\n  LEFT JOIN stage_map m ON m.stage_key = {}\n  WHERE m.stage_key IS NULL AND e.stage IS NOT NULL AND e.application_id IS NOT NULL",
            d.loose("e.stage")
        ));
    } else {
        unknown.push(format!(
            "  SELECT r.furthest_stage AS value FROM application_rows r\n  LEFT JOIN stage_map m ON m.stage_key = {}\n  WHERE m.stage_key IS NULL AND r.furthest_stage IS NOT NULL AND r.application_id IS NOT NULL",
            d.loose("r.furthest_stage")
        ));
    }
    if has_outcome {
        unknown.push(format!(
            "  SELECT r.outcome AS value FROM application_rows r\n  LEFT JOIN stage_map m ON m.stage_key = {}\n  WHERE m.stage_key IS NULL AND r.outcome IS NOT NULL AND r.application_id IS NOT NULL",
            d.loose("r.outcome")
        ));
    }
    q.push_str("unknown_stages AS (\n");
    q.push_str(&unknown.join("\n  UNION ALL\n"));
    q.push_str("\n)\n");

    // The counts.
    let stage_name = {
        let arms: Vec<String> = ladder
            .stages()
            .iter()
            .enumerate()
            .map(|(i, s)| format!(" WHEN {i} THEN {}", literal(s)))
            .collect();
        format!("CASE stage_rank{} END", arms.join(""))
    };
    let mut out: Vec<String> = by.clone();
    out.push("ethnicity".into());
    out.push(format!("{stage_name} AS furthest_stage"));
    out.push("COUNT(*) AS applications".into());
    let mut group: Vec<String> = by.clone();
    group.push("ethnicity".into());
    group.push("stage_rank".into());
    q.push_str(&format!(
        "SELECT {}\nFROM reached\nGROUP BY {}\n",
        out.join(", "),
        group.join(", ")
    ));
    let mut nulls: Vec<String> = by
        .iter()
        .map(|b| format!("CAST(NULL AS {t}) AS {b}"))
        .collect();
    nulls.push(format!("CAST(NULL AS {t}) AS ethnicity"));
    nulls.push("'unknown stage value: ' || value AS furthest_stage".into());
    nulls.push("COUNT(*) AS applications".into());
    q.push_str(&format!(
        "UNION ALL\nSELECT {}\nFROM unknown_stages\nGROUP BY value\n",
        nulls.join(", ")
    ));
    let order: Vec<String> = (1..=by.len() + 3).map(|i| i.to_string()).collect();
    q.push_str(&format!("ORDER BY {}\n", order.join(", ")));
    q
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_and_identifiers_are_quoted() {
        assert_eq!(literal("it's"), "'it''s'");
        assert_eq!(Dialect::Duckdb.ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(Dialect::Spark.ident("a`b"), "`a``b`");
    }

    #[test]
    fn the_query_maps_every_stage_value_and_outcome() {
        let profile = Profile::named_or_file(std::path::Path::new("greenhouse")).unwrap();
        let map = profile.stage_map().unwrap();
        let q = counting_query(&SqlSpec {
            dialect: Dialect::Postgres,
            applications: "gh_applications",
            stage_events: None,
            by: &["organisation".to_string()],
            profile: &profile,
            stage_map: &map,
        });
        // Greenhouse's names for the columns, its stage values, "ignore" as
        // rank -1, and the status column as the outcome.
        assert!(
            q.contains("CAST(\"office\" AS TEXT) AS \"organisation\""),
            "{q}"
        );
        assert!(q.contains("('recruiter phone screen', 1)"), "{q}");
        assert!(q.contains("('rejected', -1)"), "{q}");
        assert!(q.contains("CAST(\"status\" AS TEXT) AS outcome"), "{q}");
        assert!(q.contains("FROM gh_applications"), "{q}");
    }
}
