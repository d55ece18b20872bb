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
    let mut w = ::csv::Writer::from_writer(out);
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
    w.write_record(&header)?;
    let num = |x: Option<f64>| x.map(|v| v.to_string()).unwrap_or_default();
    let flag = |x: Option<bool>| x.map(|v| v.to_string()).unwrap_or_default();
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
                t.from.clone(),
                t.to.clone(),
                t.label.clone().unwrap_or_default(),
                dimension.clone(),
            ];
            record.extend(
                by_columns
                    .iter()
                    .map(|c| t.breakdown.get(c).cloned().unwrap_or_default()),
            );
            record.extend([
                g.group.clone(),
                known.to_string(),
                g.entered.to_string(),
                g.progressed.to_string(),
                num(g.rate),
                num(g.impact_ratio),
            ]);
            match t.comparisons.iter().find(|c| c.focal == g.group) {
                Some(c) => record.extend([
                    c.reference.clone(),
                    serde_json::to_value(c.direction)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_default(),
                    num(c.relative_likelihood),
                    num(c.ci_low),
                    num(c.ci_high),
                    c.confidence.to_string(),
                    num(c.p_fisher),
                    num(c.p_z),
                    num(c.p_adjusted),
                    flag(c.outside_range),
                    flag(c.significant),
                    c.note.clone().unwrap_or_default(),
                ]),
                None => record.extend(std::iter::repeat_n(String::new(), COMPARISON_COLUMNS.len())),
            }
            w.write_record(&record)?;
        }
    }
    w.flush()
}
