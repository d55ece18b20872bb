//! Reports as plain tables: a title, a header and rows of typed cells. CSV
//! and XLSX both render these, so the long table is built once and a number
//! reaches a spreadsheet as a number, not as text.
//!
//! Most sheets come straight from the JSON document: an array of objects
//! becomes a table whose columns are the objects' fields (nested objects
//! flattened to `parent.child`), so the workbook never drifts from the JSON
//! contract.

use serde_json::Value;

/// One table.
#[derive(Debug, Clone, PartialEq)]
pub struct Sheet {
    /// What the table holds (an XLSX sheet name: at most 31 characters).
    pub title: String,
    /// Column names.
    pub header: Vec<String>,
    /// Rows of scalar cells (null, bool, number or string), one per header
    /// column.
    pub rows: Vec<Vec<Value>>,
}

impl Sheet {
    /// A table of the objects in `items`; columns in order of first
    /// appearance. Nested arrays become one text cell ("a; b", or
    /// "reason: 3; other: 1" for arrays of objects).
    pub fn from_objects(title: &str, items: &[Value]) -> Sheet {
        let flat: Vec<Vec<(String, Value)>> = items
            .iter()
            .map(|item| {
                let mut cells = Vec::new();
                flatten("", item, &mut cells);
                cells
            })
            .collect();
        let mut header: Vec<String> = Vec::new();
        for cells in &flat {
            for (k, _) in cells {
                if !header.contains(k) {
                    header.push(k.clone());
                }
            }
        }
        let rows = flat
            .into_iter()
            .map(|cells| {
                header
                    .iter()
                    .map(|h| {
                        cells
                            .iter()
                            .find(|(k, _)| k == h)
                            .map(|(_, v)| v.clone())
                            .unwrap_or(Value::Null)
                    })
                    .collect()
            })
            .collect();
        Sheet {
            title: title.to_string(),
            header,
            rows,
        }
    }

    /// A two-column table (`field`, `value`) of an object's fields.
    pub fn key_values(title: &str, object: &Value) -> Sheet {
        let mut cells = Vec::new();
        flatten("", object, &mut cells);
        Sheet {
            title: title.to_string(),
            header: vec!["field".into(), "value".into()],
            rows: cells
                .into_iter()
                .map(|(k, v)| vec![Value::String(k), v])
                .collect(),
        }
    }
}

/// `value`'s fields with `tags` in front (e.g. the client or the agency a
/// row belongs to, before the row's own fields).
pub fn tagged(tags: &[(&str, Value)], value: Value) -> Value {
    let mut map: serde_json::Map<String, Value> = tags
        .iter()
        .map(|(k, v)| ((*k).to_string(), v.clone()))
        .collect();
    if let Value::Object(fields) = value {
        map.extend(fields);
    }
    Value::Object(map)
}

/// Flattens `value` into (dotted name, scalar) pairs.
fn flatten(prefix: &str, value: &Value, out: &mut Vec<(String, Value)>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let name = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&name, v, out);
            }
        }
        Value::Array(items) => {
            let parts: Vec<String> = items.iter().map(summary_text).collect();
            out.push((prefix.to_string(), Value::String(parts.join("; "))));
        }
        scalar => out.push((prefix.to_string(), scalar.clone())),
    }
}

/// An array element as text: a scalar as itself, an object as its values
/// joined by ": ".
fn summary_text(v: &Value) -> String {
    match v {
        Value::Object(map) => map.values().map(text).collect::<Vec<_>>().join(": "),
        other => text(other),
    }
}

/// A cell as CSV text: empty for null, numbers as Rust prints them (shortest
/// round-trip form), strings as they are but [`neutralised`].
pub fn text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => u.to_string(),
            (None, Some(i)) => i.to_string(),
            _ => n.as_f64().map(|f| f.to_string()).unwrap_or_default(),
        },
        Value::String(s) => neutralised(s),
        nested => neutralised(&nested.to_string()),
    }
}

/// Text that a spreadsheet would run as a formula (it begins with `=`, `+`,
/// `-`, `@`, a tab or a carriage return: CSV injection, OWASP) gets a leading
/// apostrophe, which spreadsheets show as text. Labels, organisation names
/// and file names come from the data, so any of them could carry one.
/// Numbers are never text here, so a negative number is left alone.
pub fn neutralised(s: &str) -> String {
    if crate::output::starts_formula(s) {
        format!("'{s}")
    } else {
        s.to_string()
    }
}

/// A float as a cell: null when undefined or not finite.
pub fn num(x: Option<f64>) -> Value {
    x.and_then(serde_json::Number::from_f64)
        .map(Value::Number)
        .unwrap_or(Value::Null)
}

/// Writes a sheet as CSV.
pub fn write_csv(sheet: &Sheet, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let mut w = ::csv::Writer::from_writer(out);
    w.write_record(sheet.header.iter().map(|h| neutralised(h)))?;
    for row in &sheet.rows {
        w.write_record(row.iter().map(text))?;
    }
    w.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn objects_become_rows_with_flattened_fields() {
        let items = vec![
            json!({"a": 1, "b": {"x": 2.5, "y": null}, "c": ["p", "q"]}),
            json!({"a": 2, "d": [{"reason": "dup", "rows": 3}], "b": {"x": 1}}),
        ];
        let s = Sheet::from_objects("t", &items);
        assert_eq!(s.header, vec!["a", "b.x", "b.y", "c", "d"]);
        assert_eq!(s.rows[0][3], json!("p; q"));
        assert_eq!(s.rows[1][4], json!("dup: 3"));
        assert_eq!(s.rows[1][2], Value::Null);
        assert_eq!(text(&s.rows[0][1]), "2.5");
    }

    #[test]
    fn text_matches_rust_float_printing() {
        for x in [1.0, 0.1, 1e-7, 123456.789, 2.0f64.sqrt()] {
            assert_eq!(text(&num(Some(x))), x.to_string());
        }
        assert_eq!(num(Some(f64::NAN)), Value::Null);
        assert_eq!(text(&json!(-3)), "-3");
        assert_eq!(text(&json!(-0.5)), "-0.5");
        for hostile in ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(text(&json!(hostile)), format!("'{hostile}"));
        }
        assert_eq!(text(&json!("a=1")), "a=1");
    }
}
