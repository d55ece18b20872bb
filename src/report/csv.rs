//! The CSV report: one long table, a row per transition × breakdown × group
//! (known groups, then the unknown classes), with the comparison against the
//! reference group on each focal group's row.
//!
//! Columns: `from, to, step, breakdown, <one column per breakdown column>,
//! group, known, entered, progressed, rate, impact_ratio, reference,
//! direction, relative_likelihood, ci_low, ci_high, confidence, p_fisher,
//! p_z, p_adjusted, outside_range, significant, note`. Empty cells are undefined values.
//! When the dataset has panels, the steps compared by panel type follow as
//! breakdown rows with a `panel_type` column.

use std::io::Write;

use serde_json::Value;

use super::sheet::{Sheet, num, write_csv};
use crate::audit::Audit;
use crate::counts::PANEL_TYPE;
use crate::measures::funnel::TransitionResult;

/// The comparison's columns, filled on focal groups' rows only.
const COMPARISON_COLUMNS: [&str; 12] = [
    "reference",
    "direction",
    "relative_likelihood",
    "ci_low",
    "ci_high",
    "confidence",
    "p_fisher",
    "p_z",
    "p_adjusted",
    "outside_range",
    "significant",
    "note",
];

/// Writes the long table.
pub fn write(audit: &Audit, out: &mut dyn Write) -> std::io::Result<()> {
    write_csv(&long_table(audit), out)
}

/// The long table, shared by the CSV and the workbook's "Steps" sheet.
pub fn long_table(audit: &Audit) -> Sheet {
    // Outcomes by panel type are breakdown rows keyed by `panel_type`.
    let by_panel_type: Vec<TransitionResult> = audit
        .panels
        .iter()
        .flat_map(|p| &p.by_panel_type)
        .flat_map(|b| {
            b.transitions.iter().cloned().map(|mut t| {
                t.breakdown
                    .insert(PANEL_TYPE.to_string(), b.panel_type.to_string());
                t
            })
        })
        .collect();
    let transitions: Vec<&TransitionResult> =
        audit.transitions.iter().chain(&by_panel_type).collect();
    let mut by_columns: Vec<String> = Vec::new();
    for t in &transitions {
        for k in t.breakdown.keys() {
            if !by_columns.contains(k) {
                by_columns.push(k.clone());
            }
        }
    }
    let mut header: Vec<String> = ["from", "to", "step", "breakdown"]
        .map(String::from)
        .to_vec();
    header.extend(by_columns.iter().cloned());
    header.extend(
        [
            "group",
            "known",
            "entered",
            "progressed",
            "rate",
            "impact_ratio",
        ]
        .map(String::from),
    );
    header.extend(COMPARISON_COLUMNS.map(String::from));
    // Published reports say which rows carry a suppressed count (the empty
    // cells would otherwise read as undefined).
    let published = audit.publication.is_some();
    if published {
        header.push("suppressed".into());
    }
    let flag = |x: Option<bool>| x.map(Value::Bool).unwrap_or(Value::Null);
    let text = |s: &str| Value::String(s.to_string());
    let mut records = Vec::new();
    for t in &transitions {
        let dimension = if t.breakdown.is_empty() {
            "all".to_string()
        } else {
            t.breakdown.keys().cloned().collect::<Vec<_>>().join("×")
        };
        let rows = t
            .groups
            .iter()
            .map(|g| (g, true))
            .chain(t.unknown.iter().map(|g| (g, false)));
        for (g, known) in rows {
            let mut record = vec![
                text(&t.from),
                text(&t.to),
                text(t.label.as_deref().unwrap_or_default()),
                text(&dimension),
            ];
            record.extend(
                by_columns
                    .iter()
                    .map(|c| text(t.breakdown.get(c).map(String::as_str).unwrap_or_default())),
            );
            record.extend([
                text(&g.group),
                Value::Bool(known),
                Value::from(g.entered.shown()),
                Value::from(g.progressed.shown()),
                num(g.rate),
                num(g.impact_ratio),
            ]);
            match t.comparisons.iter().find(|c| c.focal == g.group) {
                Some(c) => record.extend([
                    text(&c.reference),
                    serde_json::to_value(c.direction).unwrap_or(Value::Null),
                    num(c.relative_likelihood),
                    num(c.ci_low),
                    num(c.ci_high),
                    num(Some(c.confidence.level())),
                    num(c.p_fisher),
                    num(c.p_z),
                    num(c.p_adjusted),
                    flag(c.outside_range),
                    flag(c.significant),
                    c.note.clone().map(Value::String).unwrap_or(Value::Null),
                ]),
                None => record.extend(std::iter::repeat_n(Value::Null, COMPARISON_COLUMNS.len())),
            }
            if published {
                record.push(Value::Bool(g.suppressed));
            }
            records.push(record);
        }
    }
    Sheet {
        title: "Steps".into(),
        header,
        rows: records,
    }
}
