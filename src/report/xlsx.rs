//! The XLSX workbook: one sheet per table of the JSON document, numbers as
//! numbers, a bold frozen header row. Byte-identical for the same inputs and
//! `generated_at` (the file's creation time is set from it).

use std::io::Write;

use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, XlsxError};
use serde_json::Value;

use super::sheet::{Sheet, neutralised, tagged};
use crate::audit::Audit;

/// Where each sheet of an audit workbook comes from in the JSON document:
/// arrays become tables, objects become field/value lists of their scalars.
const AUDIT_SHEETS: [(&str, &str); 25] = [
    ("WRES indicator 2", "/wres_indicator_2"),
    ("Availability", "/availability"),
    ("Intersectional", "/intersectional"),
    ("Pooled", "/pooled"),
    ("Changes", "/changes"),
    ("Sensitivity", "/sensitivity"),
    ("Data quality", "/data_quality"),
    ("Row accounting", "/data_quality/tables"),
    ("Disclosure by stage", "/data_quality/disclosure_by_stage"),
    ("Unmapped labels", "/data_quality/unmapped_labels"),
    ("Panels", "/panels"),
    ("Panel breakdowns", "/panels/breakdowns"),
    ("Panel compositions", "/panels/compositions"),
    ("Panel type difference", "/panels/panel_type_difference"),
    ("Exits", "/exits"),
    ("Exits by group", "/exits/rows"),
    ("Exit comparisons", "/exits/comparisons"),
    ("Scoring", "/scoring"),
    ("Scores by group", "/scoring/groups"),
    ("Score gaps", "/scoring/comparisons"),
    ("LL144 scoring rates", "/scoring/ll144/categories"),
    ("Score drift", "/scoring/drift/periods"),
    ("Score stability", "/scoring/drift/stability"),
    ("Assessors", "/scoring/assessors"),
    ("Inputs", "/provenance/inputs"),
];

/// The audit's sheets: "Summary" (the report's title, how to read it and
/// its headline) and "Findings" first, for whoever opens the workbook;
/// "Steps" (the long table of the CSV report); one sheet per table of the
/// JSON document present; "About" (provenance and settings) last.
pub fn audit_sheets(audit: &Audit) -> Vec<Sheet> {
    let doc = serde_json::to_value(audit).unwrap_or(Value::Null);
    let mut lines = super::sections::meta(audit);
    lines.push(String::new());
    lines.extend(audit.headline.iter().cloned());
    let mut sheets = vec![
        Sheet {
            title: "Summary".into(),
            header: vec![super::sections::title(audit)],
            rows: lines.into_iter().map(|l| vec![Value::String(l)]).collect(),
        },
        Sheet {
            title: "Findings".into(),
            header: vec!["Finding".into(), "Priority".into(), "Figures in".into()],
            rows: audit
                .findings
                .iter()
                .map(|f| {
                    vec![
                        Value::String(f.text.clone()),
                        serde_json::to_value(f.priority).unwrap_or(Value::Null),
                        Value::String(f.source.clone()),
                    ]
                })
                .collect(),
        },
        super::csv::long_table(audit),
    ];
    sheets.extend(ll144_sheet(&doc));
    sheets.extend(sheets_from(&doc, &AUDIT_SHEETS));
    sheets.extend(scorecard_sheets(&doc));
    if let Some(p) = doc.pointer("/provenance") {
        sheets.push(Sheet::key_values("About", &scalars_only(p)));
    }
    sheets
}

/// The number format of a column, from its name (a JSON field, possibly
/// `parent.child`): rates and shares as percentages, ratios and interval
/// bounds with two decimals, p values with four (or "<0.0001"); other whole
/// numbers (counts) with thousands separators.
pub fn number_format(column: &str, whole: bool) -> Option<&'static str> {
    let name = column.rsplit('.').next().unwrap_or(column);
    let is_p = name == "p" || name.starts_with("p_") || name.ends_with("_p");
    let is_rate = name == "rate"
        || name.ends_with("_rate")
        || name == "share"
        || name.starts_with("share_")
        || name.ends_with("_share");
    let is_ratio = name == "relative_likelihood"
        || name.contains("ratio")
        || name.starts_with("rl")
        || name.ends_with("_rl")
        || name.starts_with("rr_")
        || name.starts_with("or_")
        || name.starts_with("ci_")
        || name.contains("_ci_");
    if is_p {
        Some(P_FORMAT)
    } else if is_rate {
        Some("0.0%")
    } else if is_ratio {
        Some("0.00")
    } else if whole {
        Some("#,##0")
    } else {
        None
    }
}

/// p values: four decimals, and "<0.0001" below that (the number stays
/// in the cell).
pub const P_FORMAT: &str = "[<0.0001]\"<0.0001\";0.0000";

/// The three LL144 tables as one sheet: a row per table × category, then
/// a row per table for its applicants of unknown category.
fn ll144_sheet(doc: &Value) -> Option<Sheet> {
    let report = doc.pointer("/ll144")?;
    let step = ["from", "to"].map(|k| (k, report[k].clone()));
    let mut rows = Vec::new();
    for t in report["tables"].as_array()? {
        let mut head = step.to_vec();
        head.push(("characteristic", t["characteristic"].clone()));
        for c in t["categories"].as_array().into_iter().flatten() {
            rows.push(tagged(&head, c.clone()));
        }
        rows.push(tagged(
            &head,
            serde_json::json!({"category": "(unknown)", "applicants": t["unknown_applicants"]}),
        ));
    }
    Some(Sheet::from_objects("LL144", &rows))
}

/// The scorecards as three flat sheets: one row per card, per card × stage
/// and per card × step.
fn scorecard_sheets(doc: &Value) -> Vec<Sheet> {
    let Some(cards) = doc.pointer("/scorecards").and_then(Value::as_array) else {
        return Vec::new();
    };
    let summary: Vec<Value> = cards.iter().map(scalars_only).collect();
    let rows = |part: &str| -> Vec<Value> {
        cards
            .iter()
            .flat_map(|c| {
                let head: Vec<(&str, Value)> = ["column", "value", "rank"]
                    .map(|k| (k, c[k].clone()))
                    .to_vec();
                c[part]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
                    .into_iter()
                    .map(move |item| tagged(&head, item))
            })
            .collect()
    };
    vec![
        Sheet::from_objects("Scorecards", &summary),
        Sheet::from_objects("Scorecard stages", &rows("stages")),
        Sheet::from_objects("Scorecard steps", &rows("steps")),
    ]
}

/// Sheets for the given (title, JSON pointer) pairs; absent, null and empty
/// tables are left out.
pub fn sheets_from(doc: &Value, sources: &[(&str, &str)]) -> Vec<Sheet> {
    sources
        .iter()
        .filter_map(|(title, pointer)| match doc.pointer(pointer)? {
            Value::Array(items) if !items.is_empty() => Some(Sheet::from_objects(title, items)),
            v @ Value::Object(_) => Some(Sheet::key_values(title, &scalars_only(v))),
            _ => None,
        })
        .collect()
}

/// An object without its arrays of objects (those have sheets of their own).
fn scalars_only(v: &Value) -> Value {
    match v {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(_, v)| {
                    !matches!(v, Value::Array(items) if items.iter().any(Value::is_object))
                })
                .map(|(k, v)| (k.clone(), scalars_only(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Writes the sheets as one workbook. `generated_at` (RFC 3339) becomes the
/// file's creation time, so re-runs give the same bytes.
pub fn write(sheets: &[Sheet], generated_at: &str, out: &mut dyn Write) -> std::io::Result<()> {
    let bytes = workbook(sheets, generated_at).map_err(std::io::Error::other)?;
    out.write_all(&bytes)
}

fn workbook(sheets: &[Sheet], generated_at: &str) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let created = ExcelDateTime::parse_from_str(generated_at)
        .or_else(|_| ExcelDateTime::from_timestamp(0))?;
    book.set_properties(
        &DocProperties::new()
            .set_title("rung audit")
            .set_creation_datetime(&created),
    );
    let bold = Format::new().set_bold();
    let mut formats: std::collections::HashMap<&str, Format> = std::collections::HashMap::new();
    for sheet in sheets {
        let ws = book.add_worksheet();
        ws.set_name(&sheet.title)?;
        for (c, name) in sheet.header.iter().enumerate() {
            ws.write_string_with_format(0, col(c), neutralised(name), &bold)?;
        }
        // A field/value sheet's numbers are formatted by each row's field
        // name; other sheets' by their column's name.
        let key_values = sheet.header == ["field", "value"];
        for (r, row) in sheet.rows.iter().enumerate() {
            let r = u32::try_from(r + 1).unwrap_or(u32::MAX);
            for (c, cell) in row.iter().enumerate() {
                match cell {
                    Value::Null => {}
                    Value::Bool(b) => {
                        ws.write_boolean(r, col(c), *b)?;
                    }
                    Value::Number(n) => {
                        let value = n.as_f64().unwrap_or(f64::NAN);
                        let field = row
                            .first()
                            .and_then(Value::as_str)
                            .filter(|_| key_values && c == 1);
                        let name = field.unwrap_or(sheet.header.get(c).map_or("", String::as_str));
                        match number_format(name, !n.is_f64()) {
                            Some(code) => {
                                let format = formats
                                    .entry(code)
                                    .or_insert_with(|| Format::new().set_num_format(code));
                                ws.write_number_with_format(r, col(c), value, format)?;
                            }
                            None => {
                                ws.write_number(r, col(c), value)?;
                            }
                        }
                    }
                    // Strings are stored as text, never as formulas; they are
                    // neutralised all the same for whoever saves the sheet as
                    // CSV later.
                    Value::String(s) => {
                        ws.write_string(r, col(c), within_cell_limit(neutralised(s)))?;
                    }
                    nested => {
                        ws.write_string(r, col(c), within_cell_limit(nested.to_string()))?;
                    }
                }
            }
        }
        ws.set_freeze_panes(1, 0)?;
        ws.autofit_to_max_width(60 * 7);
    }
    book.save_to_buffer()
}

/// Excel holds at most 32,767 characters in a cell; longer text is cut,
/// with a marker saying how long it was, rather than failing the workbook.
fn within_cell_limit(text: String) -> String {
    const LIMIT: usize = 32_767;
    let chars = text.chars().count();
    if chars <= LIMIT {
        return text;
    }
    let marker = format!("… (cut: {chars} characters)");
    let keep: String = text.chars().take(LIMIT - marker.chars().count()).collect();
    keep + &marker
}

fn col(c: usize) -> u16 {
    u16::try_from(c).unwrap_or(u16::MAX)
}

#[cfg(test)]
mod tests {
    #[test]
    fn text_past_the_cell_limit_is_cut_with_a_marker() {
        let long = "x".repeat(40_000);
        let cut = super::within_cell_limit(long);
        assert_eq!(cut.chars().count(), 32_767);
        assert!(cut.ends_with("(cut: 40000 characters)"));
        assert_eq!(super::within_cell_limit("short".into()), "short");
    }
}
