//! The XLSX workbook, read back with an independent reader (calamine): the
//! sheets are there, numbers arrive as numbers, and every cell of the
//! "Steps" sheet equals the CSV report's.

mod common;

use std::path::{Path, PathBuf};

use calamine::{Data, Reader, Xlsx, open_workbook};
use common::run;
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

/// A sheet as rows of cells.
fn sheet(path: &Path, name: &str) -> Vec<Vec<Data>> {
    let mut book: Xlsx<_> = open_workbook(path).expect("open workbook");
    let range = book.worksheet_range(name).expect("sheet");
    range.rows().map(|r| r.to_vec()).collect()
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
fn audit_workbook_has_a_sheet_per_table_and_steps_match_the_csv() {
    let dir = tempfile::tempdir().unwrap();
    let path = audit_workbook(dir.path(), &["--by", "organisation"]);
    let book: Xlsx<_> = open_workbook(&path).unwrap();
    let names = book.sheet_names();
    for expected in [
        "About",
        "Steps",
        "Findings",
        "Pooled",
        "Sensitivity",
        "Row accounting",
        "Disclosure by stage",
        "Panel compositions",
        "Scores by group",
        "Score drift",
        "Inputs",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "no sheet {expected}: {names:?}"
        );
    }
    let csv_text = stdout_of(&["audit", SAMPLE, "--by", "organisation", "--format", "csv"]);
    assert_sheet_equals_csv(&sheet(&path, "Steps"), &csv_text, "Steps");

    // The pooled sheet carries the JSON's numbers, as numbers.
    let json: Value = serde_json::from_str(&stdout_of(&[
        "audit",
        SAMPLE,
        "--by",
        "organisation",
        "--format",
        "json",
    ]))
    .unwrap();
    let pooled = sheet(&path, "Pooled");
    let col = |name: &str| pooled[0].iter().position(|c| is(c, name)).unwrap();
    let expected = json["pooled"].as_array().unwrap();
    assert_eq!(pooled.len() - 1, expected.len());
    for (row, p) in pooled[1..].iter().zip(expected) {
        assert_eq!(row[col("from")].to_string(), p["from"].as_str().unwrap());
        for field in ["rr_mh", "ci_low", "ci_high", "p_cmh", "strata_used"] {
            let expected = p[field].as_f64().unwrap();
            assert!(close(float(&row[col(field)]), expected), "{field}");
        }
    }

    // Provenance: each input's hash, and the stamp.
    let inputs = sheet(&path, "Inputs");
    let sha = inputs[0].iter().position(|c| is(c, "sha256")).unwrap();
    for (row, i) in inputs[1..]
        .iter()
        .zip(json["provenance"]["inputs"].as_array().unwrap())
    {
        assert_eq!(row[sha].to_string(), i["sha256"].as_str().unwrap());
    }
    let about = sheet(&path, "About");
    assert!(
        about
            .iter()
            .any(|r| is(&r[0], "generated_at") && is(&r[1], STAMP))
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
    let book: Xlsx<_> = open_workbook(&path).unwrap();
    let names = book.sheet_names();
    for expected in [
        "Scorecards",
        "Scorecard stages",
        "Scorecard steps",
        "WRES indicator 2",
        "Availability",
        "Intersectional",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "no sheet {expected}: {names:?}"
        );
    }
    let stages = sheet(&path, "Scorecard stages");
    let col = |name: &str| stages[0].iter().position(|c| is(c, name)).unwrap();
    // One row per card × stage, numbers as numbers.
    assert!(matches!(stages[1][col("groups.BME")], Data::Float(_)));
    assert!(is(&stages[1][col("column")], "agency"));
}

/// Each cell's number format in a worksheet of the workbook (`sheet` is
/// 1-based, in tab order), read from the package's XML: calamine reads
/// values, not formats.
fn number_formats(path: &Path, sheet: usize) -> std::collections::HashMap<String, String> {
    use std::io::Read;
    let mut zip = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut read = |name: &str| {
        let mut text = String::new();
        zip.by_name(name)
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        text
    };
    let styles = read("xl/styles.xml");
    let cells = read(&format!("xl/worksheets/sheet{sheet}.xml"));
    let attr = |tag: &str, name: &str| -> Option<String> {
        let tag = format!(" {tag}");
        let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
        Some(tag[start..start + tag[start..].find('"')?].to_string())
    };
    let unescape = |s: String| {
        s.replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&amp;", "&")
    };
    // Built-in formats by id (ECMA-376 Part 1, 18.8.30), then the custom ones.
    let mut codes: std::collections::HashMap<String, String> = [
        ("0", "General"),
        ("1", "0"),
        ("2", "0.00"),
        ("3", "#,##0"),
        ("4", "#,##0.00"),
        ("9", "0%"),
        ("10", "0.00%"),
    ]
    .into_iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    for tag in styles.split("<numFmt ").skip(1) {
        codes.insert(
            attr(tag, "numFmtId").unwrap(),
            unescape(attr(tag, "formatCode").unwrap()),
        );
    }
    let xfs_start = styles.find("<cellXfs").unwrap();
    let xfs_end = styles.find("</cellXfs>").unwrap();
    let xf_formats: Vec<String> = styles[xfs_start..xfs_end]
        .split("<xf ")
        .skip(1)
        .map(|tag| codes[&attr(tag, "numFmtId").unwrap()].clone())
        .collect();
    cells
        .split("<c ")
        .skip(1)
        .map(|tag| {
            let tag = &tag[..tag.find('>').unwrap()];
            let style: usize = attr(tag, "s").map_or(0, |s| s.parse().unwrap());
            (attr(tag, "r").unwrap(), xf_formats[style].clone())
        })
        .collect()
}

/// Numbers reach Excel as numbers with the number formats people read:
/// counts with thousands separators, rates as percentages, ratios with two
/// decimals, p values with four (or "<0.0001"). The workbook opens on the
/// summary and the findings.
#[test]
fn audit_workbook_numbers_carry_number_formats() {
    let dir = tempfile::tempdir().unwrap();
    let path = audit_workbook(dir.path(), &[]);
    let book: Xlsx<_> = open_workbook(&path).unwrap();
    assert_eq!(book.sheet_names()[..3], ["Summary", "Findings", "Steps"]);
    let steps = sheet(&path, "Steps");
    let formats = number_formats(&path, 3);
    let column = |name: &str| steps[0].iter().position(|c| is(c, name)).unwrap();
    let letter = |c: usize| char::from(b'A' + c as u8).to_string();
    let p_format = "[<0.0001]\"<0.0001\";0.0000";
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
        for (r, row) in steps.iter().enumerate().skip(1) {
            if matches!(row[c], Data::Float(_) | Data::Int(_)) {
                let at = format!("{}{}", letter(c), r + 1);
                assert_eq!(formats[&at], expected, "{name} at {at}");
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
    for line in json["headline"].as_array().unwrap() {
        assert!(
            summary.iter().any(|r| is(&r[0], line.as_str().unwrap())),
            "{line}"
        );
    }
}
