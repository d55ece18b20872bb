//! Hostile labels through every output format: organisation and agency names
//! and ethnicity labels that try formula injection (`=`, `+`, `-`, `@`, tab),
//! HTML and script injection, Markdown table breaking and terminal escape
//! sequences. Each format must show them as text and nothing more.

mod common;

use calamine::{Data, Reader, Xlsx, open_workbook};
use common::{Dataset, csv, run, run_json, without_provenance};

const ORG: &str = "=HYPERLINK(\"http://evil.example\",\"click\")";
const AGENCY: &str = "@SUM(1+1)|<b>bold</b>";
const LABEL: &str = "<script>alert(1)</script>";
const LABEL_2: &str = "-2+3";
const ESCAPE: &str = "\u{1b}[2J\u{1b}[31mred";

fn dataset() -> Dataset {
    let ds = Dataset::new();
    let (mut apps, mut events) = (Vec::new(), Vec::new());
    let labels = ["White", "Black", LABEL, LABEL_2, ESCAPE];
    for i in 0..200 {
        let label = labels[i % labels.len()];
        let org = if i % 2 == 0 { ORG } else { "\tTabbed" };
        let q = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
        apps.push(format!(
            "A{i},V{},{},{},{}",
            i % 7,
            q(label),
            q(org),
            q(AGENCY)
        ));
        events.push(format!("A{i},applied"));
        if i % 3 == 0 {
            events.push(format!("A{i},shortlisted"));
        }
    }
    ds.write(
        "applications.csv",
        &csv(
            "application_id,vacancy_id,ethnicity,organisation,agency",
            &apps,
        ),
    );
    ds.write("stage_events.csv", &csv("application_id,stage", &events));
    ds
}

fn output(ds: &Dataset, format: &str) -> String {
    let d = ds.path().to_str().unwrap();
    let out = run(&[
        "audit",
        d,
        "--by",
        "organisation",
        "--by",
        "agency",
        "--format",
        format,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Would a spreadsheet run this cell as a formula?
fn dangerous(cell: &str) -> bool {
    cell.starts_with(['=', '+', '-', '@', '\t', '\r']) && cell.parse::<f64>().is_err()
}

#[test]
fn json_keeps_the_labels_verbatim() {
    let ds = dataset();
    let d = ds.path().to_str().unwrap();
    let doc = run_json(&["audit", d, "--by", "organisation", "--format", "json"]);
    let text = doc.to_string();
    assert!(text.contains(&serde_json::to_string(ORG).unwrap()[1..ORG.len()]));
    let labels: Vec<&str> = doc["data_quality"]["unmapped_labels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["label"].as_str().unwrap())
        .collect();
    assert!(labels.contains(&LABEL) && labels.contains(&LABEL_2));
}

#[test]
fn csv_cells_never_start_a_formula() {
    let ds = dataset();
    let text = output(&ds, "csv");
    let mut reader = ::csv::Reader::from_reader(text.as_bytes());
    let mut saw_org = false;
    for record in reader.records() {
        for cell in record.unwrap().iter() {
            assert!(!dangerous(cell), "CSV cell {cell:?} would run as a formula");
            saw_org |= cell == format!("'{ORG}");
        }
    }
    assert!(saw_org, "the organisation is kept, neutralised");
    // rung labels too.
    let d = ds.path().to_str().unwrap();
    let out = run(&["labels", d, "--format", "csv"]);
    let text = String::from_utf8(out.stdout).unwrap();
    let mut reader = ::csv::Reader::from_reader(text.as_bytes());
    for record in reader.records() {
        for cell in record.unwrap().iter() {
            assert!(!dangerous(cell), "labels CSV cell {cell:?}");
        }
    }
}

#[test]
fn xlsx_cells_never_start_a_formula() {
    let ds = dataset();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.xlsx");
    let d = ds.path().to_str().unwrap();
    let out = run(&[
        "audit",
        d,
        "--by",
        "organisation",
        "--by",
        "agency",
        "--format",
        "xlsx",
        "-o",
        path.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    let mut book: Xlsx<_> = open_workbook(&path).unwrap();
    let mut strings = 0;
    for name in book.sheet_names() {
        let range = book.worksheet_range(&name).unwrap();
        for cell in range.used_cells() {
            if let Data::String(s) = cell.2 {
                strings += 1;
                assert!(!dangerous(s), "sheet {name}: {s:?}");
            }
        }
        assert!(
            book.worksheet_formula(&name)
                .unwrap()
                .used_cells()
                .next()
                .is_none()
        );
    }
    assert!(strings > 0);
}

#[test]
fn html_shows_labels_as_text() {
    let ds = dataset();
    let html = output(&ds, "html");
    assert!(!html.contains("<script"), "a label became a script");
    assert!(!html.contains("<b>bold"), "a label became markup");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!html.contains('\u{1b}'));
}

#[test]
fn markdown_shows_labels_as_text() {
    let ds = dataset();
    let md = output(&ds, "markdown");
    for (i, _) in md.match_indices("<script") {
        assert!(
            i > 0 && md.as_bytes()[i - 1] == b'\\',
            "raw <script> in Markdown"
        );
    }
    assert!(!md.contains("<b>"));
    // Every table row has as many unescaped | as its header.
    let pipes = |line: &str| {
        let b = line.as_bytes();
        (0..b.len())
            .filter(|&i| b[i] == b'|' && (i == 0 || b[i - 1] != b'\\'))
            .count()
    };
    let mut expected = None;
    for line in md.lines() {
        if line.starts_with('|') {
            let n = pipes(line);
            match expected {
                None => expected = Some(n),
                Some(e) => assert_eq!(n, e, "broken table row: {line}"),
            }
        } else {
            expected = None;
        }
    }
    assert!(!md.contains('\u{1b}'));
}

#[test]
fn terminal_output_carries_no_escape_sequences() {
    let ds = dataset();
    let table = output(&ds, "table");
    assert!(
        !table.contains('\u{1b}'),
        "an escape sequence reached the terminal"
    );
    assert!(table.contains("[31mred"), "the rest of the label is shown");
    let d = ds.path().to_str().unwrap();
    let labels = String::from_utf8(run(&["labels", d]).stdout).unwrap();
    assert!(!labels.contains('\u{1b}'));
}

/// Issue 16: `rung counts --out x.csv` neutralises formula text like every
/// other CSV rung writes, and the counts read back exactly: the audit of
/// the counts file equals the audit of the rows.
#[test]
fn counts_csv_is_neutralised_and_reads_back_exactly() {
    let ds = dataset();
    let file = ds.path().join("counts.csv");
    let out = run(&[
        "counts",
        ds.path().to_str().unwrap(),
        "--by",
        "organisation,agency",
        "--out",
        file.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&file).unwrap();
    let mut reader = ::csv::Reader::from_reader(text.as_bytes());
    for record in reader.records() {
        for cell in record.unwrap().iter() {
            assert!(!dangerous(cell), "{cell:?} in {text}");
        }
    }
    let audit = |args: &[&str]| {
        without_provenance(run_json(
            &[args, &["--by", "organisation", "--format", "json"]].concat(),
        ))
    };
    let from_rows = audit(&["audit", ds.path().to_str().unwrap()]);
    let from_counts = audit(&["audit", "--counts", file.to_str().unwrap()]);
    assert_eq!(from_counts["transitions"], from_rows["transitions"]);
    assert_eq!(from_counts["data_quality"], from_rows["data_quality"]);
}
