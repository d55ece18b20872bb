//! The XLSX workbook, read back with an independent reader (calamine): the
//! report's sections are there as sheets, numbers arrive as numbers with
//! their number formats, and every cell of the "Data" sheet equals the CSV
//! report's. (The funnel steps are compared with the JSON cell by cell in
//! tests/formats_agree.rs.)

mod common;

use std::path::{Path, PathBuf};

use calamine::Data;
use common::run;
use common::workbook::{at, number_formats, sheet, sheet_names};
use serde_json::Value;

const SAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/sample-data/quarterly");
const STAMP: &str = "2026-01-01T00:00:00Z";

fn audit_workbook(dir: &Path, extra: &[&str]) -> PathBuf {
    let path = dir.join("audit.xlsx");
    let p = path.to_str().unwrap();
    let mut args = vec![
        "audit",
        SAMPLE,
        "--format",
        "xlsx",
        "-o",
        p,
        "--generated-at",
        STAMP,
    ];
    args.extend(extra);
    let out = run(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    path
}

fn stdout_of(args: &[&str]) -> String {
    let out = run(args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Asserts a workbook cell holds what the CSV cell says: empty, a number
/// (stored as a number, equal to the CSV's text), a boolean, or text.
fn assert_same(cell: &Data, text: &str, at: &str) {
    match cell {
        Data::Empty => assert_eq!(text, "", "{at}"),
        Data::Float(f) => {
            let expected: f64 = text
                .parse()
                .unwrap_or_else(|_| panic!("{at}: {text} is not a number"));
            assert!(close(*f, expected), "{at}: {f} against {expected}");
        }
        Data::Int(i) => assert_eq!(text.parse::<i64>().ok(), Some(*i), "{at}"),
        Data::Bool(b) => assert_eq!(text, b.to_string(), "{at}"),
        Data::String(s) => {
            assert_eq!(s, text, "{at}");
            assert!(
                text.parse::<f64>().is_err(),
                "{at}: number {text} stored as text"
            );
        }
        other => panic!("{at}: unexpected cell {other:?}"),
    }
}

/// Whether a cell holds this text.
fn is(cell: &Data, text: &str) -> bool {
    matches!(cell, Data::String(s) if s == text)
}

/// Equal to the 15 significant digits a spreadsheet keeps.
fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-14 * a.abs().max(b.abs())
}

fn float(cell: &Data) -> f64 {
    match cell {
        Data::Float(f) => *f,
        other => panic!("{other:?} is not a number"),
    }
}

fn assert_sheet_equals_csv(rows: &[Vec<Data>], csv_text: &str, what: &str) {
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    let head: Vec<String> = rows[0].iter().map(|c| c.to_string()).collect();
    assert_eq!(head, header, "{what} header");
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len() - 1, records.len(), "{what} rows");
    for (i, (row, rec)) in rows[1..].iter().zip(&records).enumerate() {
        for (j, text) in rec.iter().enumerate() {
            let cell = row.get(j).unwrap_or(&Data::Empty);
            assert_same(
                cell,
                text,
                &format!("{what} row {} column {}", i + 2, header[j]),
            );
        }
    }
}

#[test]
fn audit_workbook_has_a_sheet_per_section_and_data_matches_the_csv() {
    let dir = tempfile::tempdir().unwrap();
    let path = audit_workbook(dir.path(), &["--by", "organisation"]);
    let names = sheet_names(&path);
    // The sections the HTML and Markdown reports show, in their order; the
    // chart-only sections (forest plot, funnel chart) have no sheet.
    assert_eq!(
        names,
        [
            "Summary",
            "Findings",
            "Data quality",
            "Steps of the funnel",
            "If ethnicity were known for all",
            "Pooled across breakdown rows",
            "Against availability",
            "WRES indicator 2",
            "Selection panels",
            "Interview scores (interviewed)",
            "Provenance",
            "Data",
        ]
    );
    let markdown = stdout_of(&[
        "audit",
        SAMPLE,
        "--by",
        "organisation",
        "--format",
        "markdown",
    ]);
    for name in &names[1..names.len() - 1] {
        let title = sheet(&path, name)[0][0].to_string();
        assert!(
            markdown.contains(&format!("\n## {title}\n")),
            "{name}: {title}"
        );
    }
    let csv_text = stdout_of(&["audit", SAMPLE, "--by", "organisation", "--format", "csv"]);
    assert_sheet_equals_csv(&sheet(&path, "Data"), &csv_text, "Data");

    let json: Value = serde_json::from_str(&stdout_of(&[
        "audit",
        SAMPLE,
        "--by",
        "organisation",
        "--format",
        "json",
        "--generated-at",
        STAMP,
    ]))
    .unwrap();
    // The pooled table carries the JSON's numbers, as numbers: a row per
    // step, the crude and the Mantel-Haenszel ratio.
    let pooled = sheet(&path, "Pooled across breakdown rows");
    let header = pooled.iter().position(|r| is(&r[0], "Step")).unwrap();
    let col = |name: &str| pooled[header].iter().position(|c| is(c, name)).unwrap();
    let expected = json["pooled"].as_array().unwrap();
    let rows = &pooled[header + 1..header + 1 + expected.len()];
    for (row, p) in rows.iter().zip(expected) {
        let rr = float(&row[col("Pooled RL (MH)")]);
        assert!(close(rr, p["rr_mh"].as_f64().unwrap()), "rr_mh {rr}");
        let crude = float(&row[col("Crude RL")]);
        assert!(
            close(crude, p["crude_rl"].as_f64().unwrap()),
            "crude {crude}"
        );
    }

    // Provenance: each input's file name and hash, and the stamp in words.
    let provenance = sheet(&path, "Provenance");
    let header = provenance.iter().position(|r| is(&r[0], "Table")).unwrap();
    let sha = provenance[header]
        .iter()
        .position(|c| is(c, "SHA-256"))
        .unwrap();
    let inputs = json["provenance"]["inputs"].as_array().unwrap();
    for (row, i) in provenance[header + 1..].iter().zip(inputs) {
        assert_eq!(row[sha].to_string(), i["sha256"].as_str().unwrap());
    }
    let summary = sheet(&path, "Summary");
    assert!(
        summary
            .iter()
            .any(|r| r[0].to_string().contains("on 1 January 2026, 00:00 UTC")),
        "{summary:?}"
    );
}

#[test]
fn audit_workbook_is_byte_identical_on_rerun() {
    let dir = tempfile::tempdir().unwrap();
    let first = std::fs::read(audit_workbook(dir.path(), &[])).unwrap();
    let second = std::fs::read(audit_workbook(dir.path(), &[])).unwrap();
    assert!(first == second, "two runs on the same inputs differ");
}

#[test]
fn slates_workbook_matches_the_csv() {
    let dir = tempfile::tempdir().unwrap();
    let data = common::generate_search(dir.path(), 1500, 7);
    let d = data.to_str().unwrap();
    let path = dir.path().join("slates.xlsx");
    let p = path.to_str().unwrap();
    stdout_of(&["slates", d, "--by", "client", "--format", "xlsx", "-o", p]);
    let csv_text = stdout_of(&["slates", d, "--by", "client", "--format", "csv"]);
    assert_sheet_equals_csv(&sheet(&path, "Assignments"), &csv_text, "Assignments");
    let rules = sheet(&path, "Rule compliance");
    // One row per rule for all assignments, then per client.
    assert_eq!(rules[1][0].to_string(), "All assignments");
    assert!(rules.len() > 2);
}

#[test]
fn labels_workbook_has_one_row_per_label() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("labels.xlsx");
    let p = path.to_str().unwrap();
    stdout_of(&["labels", SAMPLE, "--format", "xlsx", "-o", p]);
    let json: Value =
        serde_json::from_str(&stdout_of(&["labels", SAMPLE, "--format", "json"])).unwrap();
    let rows = sheet(&path, "Labels");
    assert_eq!(rows.len() - 1, json.as_array().unwrap().len());
}

#[test]
fn scorecards_and_wres_have_sheets() {
    let dir = tempfile::tempdir().unwrap();
    let path = audit_workbook(
        dir.path(),
        &["--by", "agency", "--scorecard", "--intersect", "sex"],
    );
    let names = sheet_names(&path);
    for expected in [
        "Scorecards",
        "WRES indicator 2",
        "Against availability",
        "Intersectional categories",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "no sheet {expected}: {names:?}"
        );
    }
    // The scorecards' figures are numbers, not text.
    let cards = sheet(&path, "Scorecards");
    let numbers = cards
        .iter()
        .flatten()
        .filter(|c| matches!(c, Data::Float(_) | Data::Int(_)))
        .count();
    assert!(numbers > 20, "{numbers} numbers on the scorecards sheet");
}

/// Numbers reach Excel as numbers with the number formats people read:
/// counts with thousands separators, rates as percentages, ratios with two
/// decimals, p values with four (or "<0.0001") — on the report's sheets by
/// the kind of each cell, on the "Data" sheet by its column. The workbook
/// opens on the summary and the findings.
#[test]
fn audit_workbook_numbers_carry_number_formats() {
    let dir = tempfile::tempdir().unwrap();
    let path = audit_workbook(dir.path(), &[]);
    let names = sheet_names(&path);
    assert_eq!(names[..2], ["Summary", "Findings"]);
    let p_format = "[<0.0001]\"<0.0001\";0.0000";

    // The steps as the report shows them: under each table's header row,
    // every number carries its column's format.
    let index = 1 + names
        .iter()
        .position(|n| n == "Steps of the funnel")
        .unwrap();
    let formats = number_formats(&path, index);
    let steps = sheet(&path, "Steps of the funnel");
    let expected_format = |header: &str| match header {
        "Entered" | "Progressed" => Some("#,##0"),
        "Rate" => Some("0.0%"),
        "Impact ratio" | "Relative likelihood" => Some("0.00"),
        "Fisher p" | "Adjusted p" | "z-test p" => Some(p_format),
        _ => None,
    };
    let mut header: Vec<String> = Vec::new();
    let mut checked = std::collections::BTreeMap::new();
    for (r, row) in steps.iter().enumerate() {
        if is(&row[0], "Group") || is(&row[0], "Comparison") {
            header = row.iter().map(|c| c.to_string()).collect();
            continue;
        }
        for (c, cell) in row.iter().enumerate() {
            if matches!(cell, Data::Float(_) | Data::Int(_)) {
                let name = &header[c];
                let expected = expected_format(name).unwrap_or_else(|| panic!("{name}"));
                assert_eq!(formats[&at(r, c)], expected, "{name} at {}", at(r, c));
                *checked.entry(name.clone()).or_insert(0) += 1;
            }
        }
    }
    assert_eq!(checked.len(), 8, "{checked:?}");

    // The data sheet: by column name.
    let data = sheet(&path, "Data");
    let formats = number_formats(&path, names.len());
    let column = |name: &str| data[0].iter().position(|c| is(c, name)).unwrap();
    for (name, expected) in [
        ("entered", "#,##0"),
        ("progressed", "#,##0"),
        ("rate", "0.0%"),
        ("impact_ratio", "0.00"),
        ("relative_likelihood", "0.00"),
        ("ci_low", "0.00"),
        ("p_fisher", p_format),
        ("p_adjusted", p_format),
    ] {
        let c = column(name);
        // Every row whose cell is a number carries the column's format.
        let mut numbers = 0;
        for (r, row) in data.iter().enumerate().skip(1) {
            if matches!(row[c], Data::Float(_) | Data::Int(_)) {
                assert_eq!(formats[&at(r, c)], expected, "{name} at {}", at(r, c));
                numbers += 1;
            }
        }
        assert!(numbers > 0, "{name}: no numbers");
    }
    // The summary opens with the report's title and holds the headline.
    let summary = sheet(&path, "Summary");
    assert!(
        summary[0][0]
            .to_string()
            .starts_with("Recruitment funnel audit")
    );
    let json: Value = serde_json::from_str(&stdout_of(&[
        "audit",
        SAMPLE,
        "--format",
        "json",
        "--generated-at",
        STAMP,
    ]))
    .unwrap();
    // Under "In brief", as the other formats show it: its sentences in one
    // paragraph.
    let brief = summary.iter().position(|r| is(&r[0], "In brief")).unwrap();
    let headline: Vec<&str> = json["headline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    assert!(
        is(&summary[brief + 2][0], &headline.join(" ")),
        "{summary:?}"
    );
}
