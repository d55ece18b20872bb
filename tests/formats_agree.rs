//! Every figure of the funnel steps in the human formats equals the JSON's,
//! cell by cell: the Markdown and HTML reports and the XLSX workbook are
//! read back (tables under each step's heading; the workbook's numbers as
//! their number formats show them) and each group row and comparison row is compared
//! with the JSON document's transition, formatted here independently of the
//! renderers (rates to one decimal of a percent, ratios to two places, p to
//! four or "<0.0001").

mod common;

use common::*;
use serde_json::Value;

const SAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/sample-data/quarterly");
const ARGS: [&str; 4] = [
    "--by",
    "organisation",
    "--generated-at",
    "2026-01-01T00:00:00Z",
];

/// A step as a report shows it: its heading and the rows of the tables
/// under it, each row its cells' text.
#[derive(Debug)]
struct Step {
    heading: String,
    tables: Vec<Vec<Vec<String>>>,
}

/// A count, "[c]" where publication mode suppressed it (null in JSON).
fn count(v: &Value) -> String {
    if v.is_null() {
        "[c]".into()
    } else {
        v.to_string()
    }
}

fn rate(v: &Value) -> String {
    v.as_f64()
        .map_or("–".into(), |r| format!("{:.1}%", r * 100.0))
}

fn ratio(v: &Value) -> String {
    v.as_f64().map_or("–".into(), |r| format!("{r:.2}"))
}

fn p(v: &Value) -> String {
    match v.as_f64() {
        Some(p) if p < 0.0001 => "<0.0001".into(),
        Some(p) => format!("{p:.4}"),
        None => "–".into(),
    }
}

fn yes_no(v: &Value) -> String {
    match v.as_bool() {
        Some(true) => "yes".into(),
        Some(false) => "no".into(),
        None => "–".into(),
    }
}

/// What the group table and the comparison table of a JSON transition
/// must hold.
fn expected(t: &Value) -> (Vec<Vec<String>>, Vec<Vec<String>>) {
    let groups = t["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| (g["group"].as_str().unwrap().to_string(), g))
        .chain(
            t["unknown"]
                .as_array()
                .unwrap()
                .iter()
                .map(|g| (format!("({})", g["group"].as_str().unwrap()), g)),
        )
        .map(|(name, g)| {
            let impact = if g["impact_ratio"].is_null() && name.starts_with('(') {
                String::new()
            } else {
                ratio(&g["impact_ratio"])
            };
            vec![
                name,
                count(&g["entered"]),
                count(&g["progressed"]),
                rate(&g["rate"]),
                impact,
            ]
        })
        .collect();
    let comparisons = t["comparisons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            vec![
                format!(
                    "{} vs {}",
                    c["reference"].as_str().unwrap(),
                    c["focal"].as_str().unwrap()
                ),
                ratio(&c["relative_likelihood"]),
                match (c["ci_low"].as_f64(), c["ci_high"].as_f64()) {
                    (Some(l), Some(h)) => format!("{l:.2}–{h:.2}"),
                    _ => "–".into(),
                },
                p(&c["p_fisher"]),
                p(&c["p_adjusted"]),
                p(&c["p_z"]),
                yes_no(&c["outside_range"]),
                yes_no(&c["significant"]),
            ]
        })
        .collect();
    (groups, comparisons)
}

/// The heading a JSON transition is shown under.
fn heading(t: &Value) -> String {
    let mut h = format!(
        "{} → {}",
        t["from"].as_str().unwrap(),
        t["to"].as_str().unwrap()
    );
    if let Some(label) = t["label"].as_str() {
        h.push_str(&format!(" ({label})"));
    }
    let breakdown = t["breakdown"].as_object().unwrap();
    h.push_str(" — ");
    if breakdown.is_empty() {
        h.push_str("all applications");
    } else {
        let parts: Vec<String> = breakdown
            .iter()
            .map(|(k, v)| format!("{k} = {}", v.as_str().unwrap()))
            .collect();
        h.push_str(&parts.join(", "));
    }
    h
}

fn markdown_steps(text: &str) -> Vec<Step> {
    let section = &text[text.find("## Steps of the funnel").unwrap()..];
    let section = &section[..section[3..].find("\n## ").map_or(section.len(), |i| i + 3)];
    let mut steps: Vec<Step> = Vec::new();
    let mut in_table = false;
    for line in section.lines() {
        if let Some(h) = line.strip_prefix("### ") {
            steps.push(Step {
                heading: h.to_string(),
                tables: Vec::new(),
            });
            in_table = false;
        } else if line.starts_with('|') {
            let step = steps.last_mut().expect("a table under a heading");
            if !in_table {
                step.tables.push(Vec::new());
                in_table = true;
                continue; // the header row
            }
            if line.starts_with("| ---") {
                continue;
            }
            let cells: Vec<String> = line
                .trim_matches('|')
                .split(" | ")
                .map(|c| markdown_unescape(c.trim()))
                .collect();
            step.tables.last_mut().unwrap().push(cells);
        } else {
            in_table = false;
        }
    }
    steps
}

/// A Markdown cell as it reads: a backslash before punctuation escapes it.
fn markdown_unescape(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, chars.peek()) {
            ('\\', Some(next)) if next.is_ascii_punctuation() => {
                out.push(*next);
                chars.next();
            }
            _ => out.push(c),
        }
    }
    out
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

fn html_steps(text: &str) -> Vec<Step> {
    let start = text.find("id=\"steps\"").unwrap();
    let section = &text[start..];
    let section = &section[..section.find("<h2").unwrap_or(section.len())];
    section
        .split("<h3>")
        .skip(1)
        .map(|part| {
            let (h, rest) = part.split_once("</h3>").unwrap();
            let tables = rest
                .split("<tbody>")
                .skip(1)
                .map(|body| {
                    let body = &body[..body.find("</tbody>").unwrap()];
                    body.split("<tr>")
                        .skip(1)
                        .map(|row| {
                            row.split("<td")
                                .skip(1)
                                .map(|cell| {
                                    let text = &cell[cell.find('>').unwrap() + 1..];
                                    unescape(&text[..text.find("</td>").unwrap()])
                                })
                                .collect()
                        })
                        .collect()
                })
                .collect();
            Step {
                heading: unescape(h),
                tables,
            }
        })
        .collect()
}

/// The "Steps of the funnel" sheet of the workbook, each number written
/// as its number format shows it (counts whole, rates to one decimal of a
/// percent, ratios to two places, p to four or "<0.0001").
fn xlsx_steps(path: &std::path::Path) -> Vec<Step> {
    use calamine::Data;
    use common::workbook::{at, number_formats, sheet, sheet_names};
    let name = "Steps of the funnel";
    let index = 1 + sheet_names(path).iter().position(|n| n == name).unwrap();
    let formats = number_formats(path, index);
    let rows = sheet(path, name);
    let text = |r: usize, c: usize, cell: &Data| -> String {
        let x = match cell {
            Data::Empty => return String::new(),
            Data::String(s) => return s.clone(),
            Data::Float(x) => *x,
            Data::Int(n) => *n as f64,
            other => panic!("{other:?} at {}", at(r, c)),
        };
        match formats[&at(r, c)].as_str() {
            "#,##0" => format!("{x}"),
            "0.0%" => format!("{:.1}%", x * 100.0),
            "0.00" => format!("{x:.2}"),
            f if f.ends_with("0.0000") => p(&Value::from(x)),
            f => panic!("format {f} at {}", at(r, c)),
        }
    };
    let mut steps: Vec<Step> = Vec::new();
    let mut width = None;
    for (r, row) in rows.iter().enumerate().skip(1) {
        let used = row.iter().filter(|c| !matches!(c, Data::Empty)).count();
        let first = row[0].to_string();
        if used == 0 {
            width = None;
        } else if used == 1 && first.contains(" → ") && first.contains(" — ") {
            steps.push(Step {
                heading: first,
                tables: Vec::new(),
            });
        } else if first == "Group" || first == "Comparison" {
            width = Some(row.iter().take_while(|c| !matches!(c, Data::Empty)).count());
            steps.last_mut().unwrap().tables.push(Vec::new());
        } else if let Some(width) = width {
            let cells = row[..width]
                .iter()
                .enumerate()
                .map(|(c, cell)| text(r, c, cell))
                .collect();
            steps
                .last_mut()
                .unwrap()
                .tables
                .last_mut()
                .unwrap()
                .push(cells);
        }
    }
    steps
}

fn check(format: &str, steps: &[Step], doc: &Value) {
    let transitions = doc["transitions"].as_array().unwrap();
    assert_eq!(
        steps.len(),
        transitions.len(),
        "{format}: one heading per step"
    );
    let mut cells = 0;
    for (step, t) in steps.iter().zip(transitions) {
        assert_eq!(step.heading, heading(t), "{format}");
        let (groups, comparisons) = expected(t);
        assert_eq!(step.tables[0], groups, "{format}: {}", step.heading);
        if !comparisons.is_empty() {
            assert_eq!(step.tables[1], comparisons, "{format}: {}", step.heading);
        }
        cells += groups
            .iter()
            .chain(&comparisons)
            .map(Vec::len)
            .sum::<usize>();
    }
    // The sample has 6 steps × (1 + 3 organisations): hundreds of cells.
    assert!(cells > 500, "{format}: only {cells} cells compared");
}

fn formats_agree(extra: &[&str]) {
    let args: Vec<&str> = ARGS.iter().chain(extra).copied().collect();
    let json = output(std::path::Path::new(SAMPLE), "json", &args);
    let doc: Value = serde_json::from_str(&json).unwrap();
    let md = output(std::path::Path::new(SAMPLE), "markdown", &args);
    check("markdown", &markdown_steps(&md), &doc);
    let html = output(std::path::Path::new(SAMPLE), "html", &args);
    check("html", &html_steps(&html), &doc);
    let dir = tempfile::tempdir().unwrap();
    let book = dir.path().join("audit.xlsx");
    let mut xlsx_args = args.clone();
    xlsx_args.extend(["-o", book.to_str().unwrap()]);
    output(std::path::Path::new(SAMPLE), "xlsx", &xlsx_args);
    check("xlsx", &xlsx_steps(&book), &doc);
}

#[test]
fn markdown_html_and_xlsx_steps_equal_the_json_cell_by_cell() {
    formats_agree(&[]);
}

/// The published version: suppressed counts are "[c]" wherever the JSON
/// has null, and every withheld figure is "–".
#[test]
fn published_steps_agree_too() {
    formats_agree(&["--publish", "--by", "agency"]);
}
