//! Bad input: every case exits with status 2 and a message naming the file,
//! the column or line, and what was expected. Never a panic.

mod common;

use common::*;
use polars::prelude::*;

fn minimal() -> Dataset {
    let ds = Dataset::new();
    ds.write(
        "applications.csv",
        "application_id,vacancy_id,ethnicity\nA1,V1,White British\nA2,V1,Indian\nA3,V2,Chinese\n",
    );
    ds.write(
        "stage_events.csv",
        "application_id,stage\nA1,applied\nA2,shortlisted\nA3,appointed\n",
    );
    ds
}

fn audit_error(ds: &Dataset, extra: &[&str]) -> String {
    let mut args = vec!["audit", ds.path().to_str().unwrap()];
    args.extend_from_slice(extra);
    run_error(&args)
}

#[test]
fn missing_dataset_folder() {
    let err = run_error(&["audit", "/no/such/export"]);
    assert!(
        err.contains("/no/such/export") && err.contains("no such file"),
        "{err}"
    );
}

#[test]
fn folder_without_applications() {
    let ds = Dataset::new();
    ds.write("stage_events.csv", "application_id,stage\nA1,applied\n");
    let err = audit_error(&ds, &[]);
    assert!(
        err.contains("applications.csv or applications.parquet"),
        "{err}"
    );
}

#[test]
fn missing_required_column_is_named() {
    let ds = minimal();
    ds.write(
        "applications.csv",
        "application_id,vacancy,ethnicity\nA1,V1,White\n",
    );
    let err = audit_error(&ds, &[]);
    assert!(err.contains("applications.csv"), "{err}");
    assert!(err.contains("'vacancy_id'"), "{err}");
    assert!(err.contains("vacancy"), "its columns are listed: {err}");
}

#[test]
fn stage_events_without_stage_column() {
    let ds = minimal();
    ds.write("stage_events.csv", "application_id,status\nA1,applied\n");
    let err = audit_error(&ds, &[]);
    assert!(
        err.contains("stage_events.csv") && err.contains("'stage'"),
        "{err}"
    );
}

#[test]
fn unknown_stage_values_are_listed_with_counts_and_a_hint() {
    let ds = minimal();
    ds.write(
        "stage_events.csv",
        "application_id,stage\nA1,applied\nA1,Phone screen\nA2,Phone screen\nA3,Assessment centre\n",
    );
    let err = audit_error(&ds, &[]);
    assert!(err.contains("column 'stage'"), "{err}");
    assert!(err.contains("'Phone screen' (2 rows)"), "{err}");
    assert!(err.contains("'Assessment centre' (1 row)"), "{err}");
    assert!(err.contains("[stage_values]"), "hint to map them: {err}");
}

#[test]
fn empty_tables() {
    let ds = minimal();
    ds.write("applications.csv", "application_id,vacancy_id,ethnicity\n");
    let err = audit_error(&ds, &[]);
    assert!(
        err.contains("applications.csv") && err.contains("no rows"),
        "{err}"
    );

    let ds = minimal();
    ds.write("stage_events.csv", "application_id,stage\n");
    let err = audit_error(&ds, &[]);
    assert!(
        err.contains("stage_events.csv") && err.contains("no rows"),
        "{err}"
    );

    let ds = minimal();
    ds.write("applications.csv", "");
    let err = audit_error(&ds, &[]);
    assert!(err.contains("applications.csv"), "{err}");
}

#[test]
fn ragged_line_is_named() {
    let ds = minimal();
    ds.write(
        "applications.csv",
        "application_id,vacancy_id,ethnicity\nA1,V1,White British\nA2,V1,Indian,extra\nA3,V2,Chinese\n",
    );
    let err = audit_error(&ds, &[]);
    assert!(
        err.contains("applications.csv") && err.contains("line 3"),
        "{err}"
    );
    assert!(err.contains("4 fields; expected 3"), "{err}");

    let ds = minimal();
    ds.write("stage_events.csv", "application_id,stage\nA1,applied\nA2\n");
    let err = audit_error(&ds, &[]);
    assert!(
        err.contains("stage_events.csv") && err.contains("line 3"),
        "{err}"
    );
}

#[test]
fn unterminated_quote_is_named() {
    let ds = minimal();
    ds.write(
        "applications.csv",
        "application_id,vacancy_id,ethnicity\nA1,V1,White British\n\"A2,V1,Indian\nA3,V2,Chinese\n",
    );
    let err = audit_error(&ds, &[]);
    assert!(
        err.contains("applications.csv") && err.contains("line 3"),
        "{err}"
    );
}

#[test]
fn text_that_is_not_utf8_is_named() {
    let ds = minimal();
    std::fs::write(
        ds.path().join("applications.csv"),
        b"application_id,vacancy_id,ethnicity\nA1,V1,White British\nA2,V1,Fran\xe7aise\n",
    )
    .unwrap();
    let err = audit_error(&ds, &[]);
    assert!(err.contains("line 3") && err.contains("UTF-8"), "{err}");
}

/// A gzip file of half a megabyte can hold a field of hundreds: fields
/// over 1 MiB are refused with the file, line and column.
#[test]
fn a_field_of_megabytes_is_refused() {
    use std::io::Write;
    let ds = minimal();
    let file = std::fs::File::create(ds.path().join("applications.csv.gz")).unwrap();
    let mut gz = flate2::write::GzEncoder::new(file, flate2::Compression::default());
    write!(
        gz,
        "application_id,vacancy_id,ethnicity\nA1,V1,White British\nA2,V1,"
    )
    .unwrap();
    gz.write_all(&vec![b'x'; (1 << 20) + 1]).unwrap();
    writeln!(gz, "\nA3,V2,Chinese").unwrap();
    gz.finish().unwrap();
    std::fs::remove_file(ds.path().join("applications.csv")).unwrap();
    let err = audit_error(&ds, &[]);
    assert!(
        err.contains("applications.csv.gz")
            && err.contains("line 3")
            && err.contains("'ethnicity'")
            && err.contains("longer than 1 MiB"),
        "{err}"
    );
}

#[test]
fn wrong_column_type_in_parquet() {
    let ds = minimal();
    let mut df = df!(
        "application_id" => ["A1", "A2", "A3"],
        "vacancy_id" => ["V1", "V1", "V2"],
        "ethnicity" => [1.5f64, 2.5, 3.5],
    )
    .unwrap();
    std::fs::remove_file(ds.path().join("applications.csv")).unwrap();
    let file = std::fs::File::create(ds.path().join("applications.parquet")).unwrap();
    ParquetWriter::new(file).finish(&mut df).unwrap();
    let err = audit_error(&ds, &[]);
    assert!(err.contains("applications.parquet"), "{err}");
    assert!(err.contains("ethnicity"), "{err}");
    assert!(
        err.contains("f64") || err.contains("float") || err.contains("Float"),
        "{err}"
    );
}

#[test]
fn not_a_parquet_file() {
    let ds = minimal();
    std::fs::remove_file(ds.path().join("applications.csv")).unwrap();
    ds.write("applications.parquet", "this is not parquet");
    let err = audit_error(&ds, &[]);
    assert!(
        err.contains("applications.parquet") && err.contains("Parquet"),
        "{err}"
    );
}

#[test]
fn bad_profile_names_its_line() {
    let ds = minimal();
    let profile = ds.write(
        "p.toml",
        "name = \"x\"\n[columns.applications]\nethnicity\n",
    );
    let err = audit_error(&ds, &["--profile", profile.to_str().unwrap()]);
    assert!(err.contains("p.toml") && err.contains("line 3"), "{err}");
    let err = audit_error(&ds, &["--profile", "/no/such/profile.toml"]);
    assert!(
        err.contains("profile.toml") && err.contains("no such file"),
        "{err}"
    );
}

#[test]
fn profile_mapping_to_a_stage_not_on_the_ladder() {
    let ds = minimal();
    let profile = ds.write("p.toml", "[stage_values]\n\"applied\" = \"hired\"\n");
    let err = audit_error(&ds, &["--profile", profile.to_str().unwrap()]);
    assert!(err.contains("p.toml") && err.contains("hired"), "{err}");
}

#[test]
fn bad_grouping_file() {
    let ds = minimal();
    let g = ds.write(
        "g.toml",
        "reference = \"White\"\n[groups]\nWhite = [\"white\"]\n",
    );
    let err = audit_error(&ds, &["--grouping", g.to_str().unwrap()]);
    assert!(
        err.contains("g.toml") && err.contains("in no group"),
        "{err}"
    );
    let g = ds.write(
        "g2.toml",
        "reference = \"White\"\n[groups]\nWhite = [\"white\", \"indian\"]\nOther = [\"asian\", \"black\", \"mixed\", \"other\"]\n",
    );
    let err = audit_error(&ds, &["--grouping", g.to_str().unwrap()]);
    assert!(
        err.contains("'indian'") && err.contains("two groups"),
        "{err}"
    );
    let err = audit_error(&ds, &["--grouping", "nonsense"]);
    assert!(err.contains("nonsense") && err.contains("wres"), "{err}");
}

#[test]
fn bad_options() {
    let ds = minimal();
    let err = audit_error(&ds, &["--by", "region"]);
    assert!(
        err.contains("'region'") && err.contains("applications"),
        "{err}"
    );
    let err = audit_error(&ds, &["--confidence", "1.2"]);
    assert!(err.contains("--confidence"), "{err}");
    let err = audit_error(&ds, &["--reference", "Purple"]);
    assert!(
        err.contains("Purple") && err.contains("White, BME"),
        "{err}"
    );
    let err = audit_error(&ds, &["--format", "pdf"]);
    assert!(err.contains("pdf"), "{err}");
}

#[test]
fn no_stage_information_at_all() {
    let ds = Dataset::new();
    ds.write(
        "applications.csv",
        "application_id,vacancy_id,ethnicity\nA1,V1,White\n",
    );
    let err = audit_error(&ds, &[]);
    assert!(
        err.contains("stage_events") && err.contains("furthest_stage"),
        "{err}"
    );
}

#[test]
fn unwritable_output() {
    let ds = minimal();
    let err = audit_error(&ds, &["--output", "/no/such/dir/out.json"]);
    assert!(err.contains("/no/such/dir/out.json"), "{err}");
}

/// Issue 16: no command line a user can type panics (exit 101). Every
/// subcommand with the flag combinations its help advertises, on the sample
/// data, on a counts file written by `rung counts`, on a WRES-style return
/// and on a search export.
#[test]
fn no_advertised_command_line_panics() {
    let ds = Dataset::new();
    let sample = env!("CARGO_MANIFEST_DIR").to_string() + "/sample-data/quarterly";
    let dir = ds.path().to_str().unwrap().to_string();
    let counts = format!("{dir}/counts.csv");
    let ret = ds.write(
        "return.csv",
        "organisation,ethnicity,shortlisted,appointed\nORG1,White,10,3\nORG1,BAME,5,4\nORG1,Not stated,2,0\n",
    );
    let ret = ret.to_str().unwrap().to_string();
    let search = generate_search(ds.path(), 300, 7);
    let search = search.to_str().unwrap().to_string();
    let out = |name: &str| format!("{dir}/{name}");
    let status = run(&["counts", &sample, "--by", "organisation", "--out", &counts]);
    assert!(status.status.success());
    let mut lines: Vec<Vec<String>> = Vec::new();
    let mut add = |args: &[&str]| lines.push(args.iter().map(|s| s.to_string()).collect());
    for input in [sample.as_str(), "--counts"] {
        let base: Vec<&str> = if input == "--counts" {
            vec!["--counts", &counts]
        } else {
            vec![input]
        };
        for format in ["table", "json", "csv", "markdown", "html", "xlsx"] {
            let o = out(&format!("a.{format}"));
            let mut a = vec!["audit"];
            a.extend(&base);
            a.extend(["--by", "organisation", "--format", format, "-o", &o]);
            add(&a);
            let mut l = vec!["labels"];
            l.extend(&base);
            l.extend(["--format", format, "-o", &o]);
            add(&l);
        }
        for extra in [
            vec!["--publish"],
            vec!["--direction", "sc-wres"],
            vec!["--grouping", "ons5"],
            vec!["--grouping", "ons19"],
            vec!["--grouping", "eeo1", "--intersect", "sex"],
            vec!["--by", "agency", "--scorecard"],
            vec!["--by", "quarter"],
            vec!["--adjust", "holm", "--by", "organisation,agency"],
            vec!["--by", "organisation", "--by", "organisation"],
            vec!["--strict-labels"],
            vec!["--memory", "512MiB"],
            vec!["--memory", "1KiB"],
            vec!["--by", "ethnicity"],
            vec!["--previous", &sample],
        ] {
            let mut a = vec!["audit"];
            a.extend(&base);
            a.extend(extra);
            add(&a);
        }
        for cmd in ["slates", "labels"] {
            let mut a = vec![cmd];
            a.extend(&base);
            add(&a);
        }
        let mut c = vec!["counts"];
        c.extend(&base);
        let o = out("c2.parquet");
        c.extend(["--out", &o]);
        add(&c);
        let mut l = vec!["labels"];
        l.extend(&base);
        l.push("--unmapped-toml");
        add(&l);
    }
    for args in [
        vec!["audit", "--counts", &ret, "--by", "organisation"],
        vec!["audit", "--counts", &ret, "--publish", "--format", "json"],
        vec!["labels", "--counts", &ret],
        vec!["slates", "--counts", &ret],
        vec!["slates", &search, "--profile", "search"],
        vec!["slates", &search, "--profile", "search", "--by", "client"],
        vec![
            "slates",
            &search,
            "--profile",
            "search",
            "--by",
            "vacancy_id",
        ],
        vec!["sql", "--dialect", "duckdb", &sample],
        vec![
            "sql",
            "--dialect",
            "spark",
            "--applications",
            "apps",
            "--by",
            "organisation",
        ],
        vec![
            "sql",
            "--dialect",
            "postgres",
            "--applications",
            "apps",
            "--stage-events",
            "ev",
        ],
        vec!["sql", "--dialect", "spark", &sample],
        vec!["profiles"],
    ] {
        add(&args);
    }
    let mut panicked = Vec::new();
    for args in &lines {
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = run(&refs);
        let stderr = String::from_utf8_lossy(&o.stderr);
        if o.status.code() == Some(101) || stderr.contains("panicked") {
            panicked.push(format!("rung {}: {stderr}", args.join(" ")));
        }
    }
    assert!(lines.len() > 60, "{} command lines", lines.len());
    assert!(panicked.is_empty(), "{}", panicked.join("\n"));
}

/// Issue 16: counts near u64::MAX are refused with the file, line and
/// column, not added up into a wrong number or a panic; the long shape too.
#[test]
fn huge_counts_are_refused_not_overflowed() {
    let ds = Dataset::new();
    let wide = ds.write(
        "wide.csv",
        "ethnicity,shortlisted,appointed\nWhite,9223372036854775807,9223372036854775807\nWhite,10,10\nBME,4,2\n",
    );
    let err = run_error(&["audit", "--counts", wide.to_str().unwrap()]);
    assert!(
        err.contains("wide.csv") && err.contains("line 2") && err.contains("add up to more than"),
        "{err}"
    );
    let long = ds.write(
        "long.csv",
        "ethnicity,furthest_stage,applications\nWhite,appointed,18446744073709551615\nBME,applied,4\n",
    );
    let err = run_error(&["audit", "--counts", long.to_str().unwrap()]);
    assert!(
        err.contains("long.csv") && err.contains("'applications'"),
        "{err}"
    );
}

/// Issue 16: a repeated --by is counted once, so the family of comparisons
/// (and every adjusted p) is the same as with one.
#[test]
fn a_repeated_by_does_not_enlarge_the_comparison_family() {
    let sample = env!("CARGO_MANIFEST_DIR").to_string() + "/sample-data/quarterly";
    let once = run_json(&["audit", &sample, "--by", "organisation", "--format", "json"]);
    let many: Vec<&str> = ["audit", &sample, "--format", "json"]
        .into_iter()
        .chain(std::iter::repeat_n(["--by", "organisation"], 20).flatten())
        .collect();
    let twice = run_json(&many);
    assert_eq!(twice["transitions"], once["transitions"]);
}

/// Issue 16: a memory budget that would take one read per handful of
/// applications is refused at once, naming the minimum.
#[test]
fn tiny_memory_budgets_are_refused_with_the_minimum() {
    let sample = env!("CARGO_MANIFEST_DIR").to_string() + "/sample-data/quarterly";
    for m in ["1KiB", "256MiB"] {
        let err = run_error(&["audit", &sample, "--memory", m]);
        assert!(err.contains("below the minimum of 512MiB"), "{err}");
    }
}

/// Issue 16: values quoted in messages are escaped: a stage value holding
/// terminal control sequences, a bell and a zero-width space reaches the
/// terminal as `\u{…}` text; a UTF-16 file without a byte-order mark
/// echoes no NUL bytes.
#[test]
fn messages_escape_control_and_invisible_characters() {
    let ds = Dataset::new();
    ds.write(
        "applications.csv",
        "application_id,vacancy_id,ethnicity\nA1,V1,White\n",
    );
    ds.write(
        "stage_events.csv",
        "application_id,stage\nA1,\u{1b}[2J\u{7}evil\u{200b}zw\n",
    );
    let out = run(&["audit", ds.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = &out.stderr;
    assert!(!err.contains(&0x1b) && !err.contains(&0x07), "{err:?}");
    let text = String::from_utf8_lossy(err);
    assert!(!text.contains('\u{200b}'), "{text}");
    assert!(
        text.contains("\\u{001B}[2J\\u{0007}evil\\u{200B}zw"),
        "{text}"
    );

    let utf16 = Dataset::new();
    let bytes: Vec<u8> = "application_id,vacancy_id,ethnicity\nA1,V1,White\n"
        .encode_utf16()
        .flat_map(|u| u.to_le_bytes())
        .collect();
    std::fs::write(utf16.path().join("applications.csv"), bytes).unwrap();
    let out = run(&["audit", utf16.path().to_str().unwrap()]);
    assert_ne!(out.status.code(), Some(0));
    assert_ne!(out.status.code(), Some(101));
    assert!(
        !out.stderr.contains(&0),
        "{:?}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Issue 16: table names given to `rung sql` are quoted per dialect (each
/// part of a dotted name), and text that is not a name (or, for DuckDB, a
/// table function) is refused rather than pasted into the query.
#[test]
fn sql_table_names_are_quoted_or_refused() {
    let err = run_error(&[
        "sql",
        "--dialect",
        "duckdb",
        "--applications",
        "x; DROP TABLE y; --",
    ]);
    assert!(err.contains("is not a table name"), "{err}");
    let err = run_error(&[
        "sql",
        "--dialect",
        "duckdb",
        "--applications",
        "read_csv('a'); DROP TABLE y; --')",
    ]);
    assert!(err.contains("is not a table name"), "{err}");
    let query = |dialect: &str, table: &str| {
        let out = run(&["sql", "--dialect", dialect, "--applications", table]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    assert!(query("spark", "staging.apps").contains("FROM `staging`.`apps`"));
    assert!(query("postgres", "Staging.Apps").contains("FROM \"staging\".\"apps\""));
    assert!(query("duckdb", "apps").contains("FROM \"apps\""));
    assert!(
        query("duckdb", "read_parquet('a/*.parquet')").contains("FROM read_parquet('a/*.parquet')")
    );
}

/// Issue 16: quiet conflicts are refused with the reason.
#[test]
fn quiet_conflicts_are_refused() {
    let ds = minimal();
    let path = ds.path().to_str().unwrap();
    // Two stage_values keys that differ only in case, mapped differently.
    let profile = ds.write(
        "p.toml",
        "[stage_values]\n\"Offer Made\" = \"offered\"\n\"offer  made\" = \"appointed\"\n",
    );
    let err = audit_error(&ds, &["--profile", profile.to_str().unwrap()]);
    assert!(
        err.contains("name the same value") && err.contains("Offer Made"),
        "{err}"
    );
    // An availability file with two rows for one group.
    let av = ds.write("av.csv", "group,share\nWhite,0.8\nBME,0.2\nBME,0.3\n");
    let err = audit_error(&ds, &["--availability", av.to_str().unwrap()]);
    assert!(
        err.contains("second row for group 'BME'") && err.contains("line 4"),
        "{err}"
    );
    // A panel policy with no panel table.
    let policy = ds.write("policy.toml", "[[rule]]\nname = \"any\"\nmin_focal = 1\n");
    let err = audit_error(&ds, &["--panel-policy", policy.to_str().unwrap()]);
    assert!(err.contains("needs a panel_members table"), "{err}");
    // A slate rule that requires nothing.
    let rules = ds.write(
        "rules.toml",
        "[[rule]]\nname = \"nothing\"\nmin_focal = 0\n",
    );
    let err = run_error(&["slates", path, "--rules", rules.to_str().unwrap()]);
    assert!(err.contains("requires nothing"), "{err}");
    // A grouping file naming a category twice, once through its heading.
    let g = ds.write(
        "g.toml",
        "reference = \"W\"\n[groups]\nW = [\"white\", \"roma\"]\nB = [\"asian\", \"black\", \"mixed\", \"other\"]\n",
    );
    let err = audit_error(&ds, &["--grouping", g.to_str().unwrap()]);
    assert!(err.contains("lists category 'roma' twice"), "{err}");
    // Generating into a folder that holds a dataset.
    let err = run_error(&["generate", "--applications", "10", "--out", path]);
    assert!(
        err.contains("already holds a dataset") && err.contains("--force"),
        "{err}"
    );
    let forced = run(&["generate", "--applications", "10", "--out", path, "--force"]);
    assert!(forced.status.success());
}

/// Issue 16: a symbolic link back up a dataset's folder is not followed
/// round for ever, and a semicolon file with a quoted comma gets the
/// delimiter hint.
#[test]
fn symlink_loops_and_semicolon_files() {
    let ds = Dataset::new();
    let apps = ds.path().join("applications");
    std::fs::create_dir(&apps).unwrap();
    std::fs::write(
        apps.join("part1.csv"),
        "application_id,vacancy_id,ethnicity,furthest_stage\nA1,V1,White British,applied\nA2,V1,Indian,appointed\n",
    )
    .unwrap();
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink("..", apps.join("up")).unwrap();
        std::os::unix::fs::symlink(".", apps.join("self")).unwrap();
    }
    let out = run(&["audit", ds.path().to_str().unwrap(), "--format", "json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["data_quality"]["applications"], 2);

    let semi = Dataset::new();
    semi.write(
        "applications.csv",
        "application_id;vacancy_id;ethnicity;furthest_stage\nA1;V1;\"White, British\";applied\n",
    );
    let err = run_error(&["audit", semi.path().to_str().unwrap()]);
    assert!(err.contains("delimiter = \";\""), "{err}");
}

/// Issue 16: a --by column with a value for nearly every application is
/// flagged as a likely id.
#[test]
fn an_id_like_breakdown_is_flagged() {
    let ds = Dataset::new();
    let rows: Vec<String> = (0..400)
        .map(|i| {
            format!(
                "A{i},V{i},{},REF{i},applied",
                if i % 2 == 0 {
                    "White British"
                } else {
                    "Indian"
                }
            )
        })
        .collect();
    ds.write(
        "applications.csv",
        &csv(
            "application_id,vacancy_id,ethnicity,reference,furthest_stage",
            &rows,
        ),
    );
    let out = run(&[
        "audit",
        ds.path().to_str().unwrap(),
        "--by",
        "reference",
        "--format",
        "json",
    ]);
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--by reference has 400 distinct values") && err.contains("is this an id?"),
        "{err}"
    );
}

/// `rung audit … | head -c 100`: the reader goes away mid-report, which is
/// not a failure (status 0, nothing on standard error).
#[test]
fn a_reader_that_goes_away_is_not_an_error() {
    use std::io::Read;
    let sample = concat!(env!("CARGO_MANIFEST_DIR"), "/sample-data/quarterly");
    let mut child = rung()
        .args(["audit", sample, "--by", "organisation", "--format", "json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut start = [0u8; 100];
    child.stdout.take().unwrap().read_exact(&mut start).unwrap();
    // The pipe's read end is dropped here, while rung still writes.
    let out = child.wait_with_output().unwrap();
    assert!(start.starts_with(b"{"));
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `-o` naming a named pipe (or `/dev/null`, or `/dev/stdout`) writes into
/// it: the atomic write's rename would replace the device with a file.
#[test]
#[cfg(unix)]
fn an_output_that_is_a_pipe_stays_a_pipe() {
    use std::os::unix::fs::FileTypeExt;
    let sample = concat!(env!("CARGO_MANIFEST_DIR"), "/sample-data/quarterly");
    let dir = tempfile::tempdir().unwrap();
    for format in ["json", "xlsx"] {
        let fifo = dir.path().join(format!("out-{format}"));
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || std::fs::read(fifo).unwrap())
        };
        let out = run(&[
            "audit",
            sample,
            "--format",
            format,
            "-o",
            fifo.to_str().unwrap(),
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        // Checked before waiting for the reader, which would wait for ever
        // on a pipe nobody wrote to.
        let kind = std::fs::symlink_metadata(&fifo).unwrap().file_type();
        assert!(kind.is_fifo(), "{format}: the pipe was replaced by a file");
        let read = reader.join().unwrap();
        let start: &[u8] = if format == "json" { b"{" } else { b"PK" };
        assert!(
            read.starts_with(start),
            "{format}: {:?}",
            &read[..read.len().min(20)]
        );
        // Nothing left beside it.
        assert!(!std::fs::read_dir(dir.path()).unwrap().any(|e| {
            e.unwrap()
                .file_name()
                .to_string_lossy()
                .contains("rung-partial")
        }));
    }
}
