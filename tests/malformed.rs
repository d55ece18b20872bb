//! The catalogue of malformed and messy inputs (`tests/malformed/`): each
//! case either loads with its anomaly counted, or stops with exit status 2
//! and a message naming the file and what was expected. Never a panic,
//! never a hang, and every table's rows read = used + excluded.

mod common;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use polars::prelude::*;
use serde::Deserialize;
use serde_json::Value;

const CATALOGUE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/malformed");
/// Far longer than any case needs: a run past it has hung.
const LIMIT: Duration = Duration::from_secs(120);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    description: String,
    exit: i32,
    #[serde(default)]
    args: Vec<String>,
    #[serde(default)]
    stderr: Vec<String>,
    #[serde(default)]
    json: toml::Table,
    #[serde(default)]
    json_contains: Vec<String>,
    /// The JSON output stays under this many bytes (a huge field is not
    /// echoed whole).
    max_output_bytes: Option<usize>,
}

/// Copies a case's folder, then makes the inputs too big or too binary to
/// commit.
fn prepare(name: &str, from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let file = entry.file_name();
        if file != "case.toml" {
            std::fs::copy(entry.path(), to.join(&file)).unwrap();
        }
    }
    let apps = to.join("applications.csv");
    match name {
        "huge-field" => {
            let text = std::fs::read_to_string(&apps).unwrap();
            // Just under the 1 MiB field limit with its quotes (over it the
            // file is refused: tests/errors.rs).
            let huge = "x".repeat(1_000_000);
            let text = text.replacen(
                "A11,V2,Black or Black British - African",
                &format!("A11,V2,\"{huge}\""),
                1,
            );
            assert!(text.len() > 1_000_000, "the huge field was not written");
            std::fs::write(&apps, text).unwrap();
        }
        "parquet-unexpected-types" => {
            let mut df = df!(
                "application_id" => ["A0", "A1", "A2"],
                "vacancy_id" => ["V0", "V1", "V2"],
                "ethnicity" => [1.5f64, 2.5, 3.5],
            )
            .unwrap();
            std::fs::remove_file(&apps).unwrap();
            let file = std::fs::File::create(to.join("applications.parquet")).unwrap();
            ParquetWriter::new(file).finish(&mut df).unwrap();
        }
        "truncated-parquet" | "csv-and-parquet-of-one-table" => {
            let mut df = CsvReadOptions::default()
                .try_into_reader_with_file_path(Some(apps.clone()))
                .unwrap()
                .finish()
                .unwrap();
            let mut bytes = Vec::new();
            ParquetWriter::new(&mut bytes).finish(&mut df).unwrap();
            if name == "truncated-parquet" {
                std::fs::remove_file(&apps).unwrap();
                bytes.truncate(bytes.len() / 2);
            }
            std::fs::write(to.join("applications.parquet"), bytes).unwrap();
        }
        _ => {}
    }
}

/// Runs rung with a time limit; returns (exit code, stdout, stderr).
fn run_limited(args: &[String]) -> (Option<i32>, String, String) {
    let mut child = common::rung()
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Read both pipes on threads so a large output cannot block the child.
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let out_reader = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut out, &mut s).unwrap();
        s
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut err, &mut s).unwrap();
        s
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > LIMIT {
            child.kill().unwrap();
            panic!("rung {args:?} did not finish within {LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    (
        status.code(),
        out_reader.join().unwrap(),
        err_reader.join().unwrap(),
    )
}

fn check(name: &str, dir: &Path) -> Result<(), String> {
    let case: Case = toml::from_str(&std::fs::read_to_string(dir.join("case.toml")).unwrap())
        .map_err(|e| format!("case.toml: {e}"))?;
    let work = tempfile::tempdir().unwrap();
    let data: PathBuf = work.path().join(name);
    prepare(name, dir, &data);
    let mut args: Vec<String> = vec![
        "audit".into(),
        data.display().to_string(),
        "--format".into(),
        "json".into(),
    ];
    if data.join("profile.toml").exists() {
        args.extend([
            "--profile".into(),
            data.join("profile.toml").display().to_string(),
        ]);
    }
    args.extend(case.args.iter().cloned());
    let (code, stdout, stderr) = run_limited(&args);
    let why = format!("({})\nstderr: {stderr}", case.description);
    if stderr.contains("panicked") {
        return Err(format!("panicked {why}"));
    }
    if code != Some(case.exit) {
        return Err(format!("exit {code:?}, expected {} {why}", case.exit));
    }
    for s in &case.stderr {
        if !stderr.contains(s.as_str()) {
            return Err(format!("stderr lacks {s:?} {why}"));
        }
    }
    if case.exit != 0 {
        return Ok(());
    }
    if let Some(max) = case.max_output_bytes
        && stdout.len() > max
    {
        return Err(format!(
            "the output is {} bytes, over {max} {why}",
            stdout.len()
        ));
    }
    let doc: Value =
        serde_json::from_str(&stdout).map_err(|e| format!("stdout is not JSON: {e}"))?;
    for (pointer, expected) in &case.json {
        let expected: Value = match expected {
            toml::Value::String(s) if s == "null" => Value::Null,
            other => serde_json::to_value(other).unwrap(),
        };
        let actual = doc.pointer(pointer).cloned().unwrap_or(Value::Null);
        let same = match (actual.as_f64(), expected.as_f64()) {
            (Some(a), Some(e)) => a == e,
            _ => actual == expected,
        };
        if !same {
            return Err(format!("{pointer} = {actual}, expected {expected} {why}"));
        }
    }
    let compact = doc.to_string();
    for s in &case.json_contains {
        if !compact.contains(s.as_str()) {
            return Err(format!("JSON lacks {s} {why}"));
        }
    }
    // Nothing is lost: every row is used or excluded for a reason.
    for t in doc["data_quality"]["tables"].as_array().unwrap() {
        let n = |k: &str| t[k].as_u64().unwrap();
        let reasons: u64 = t["excluded"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["rows"].as_u64().unwrap())
            .sum();
        if n("rows_read") != n("rows_used") + n("rows_excluded") || reasons != n("rows_excluded") {
            return Err(format!("row accounting does not add up: {t}"));
        }
    }
    Ok(())
}

#[test]
fn every_catalogued_input_loads_or_stops_clearly() {
    let mut names: Vec<String> = std::fs::read_dir(CATALOGUE)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(names.len() >= 30, "the catalogue has {} cases", names.len());
    let failures: Vec<String> = names
        .iter()
        .filter_map(|name| {
            check(name, &Path::new(CATALOGUE).join(name))
                .err()
                .map(|e| format!("{name}: {e}"))
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
