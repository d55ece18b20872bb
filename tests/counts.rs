//! Counts in, counts out: `rung counts` writes the funnel's sufficient
//! statistics, and `rung audit --counts` gives from them the audit the rows
//! give; a WRES-style return (a column per stage reached) is read too.

mod common;

use common::*;
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};

const SAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/sample-data/quarterly");
const STAMP: &str = "2026-01-01T00:00:00Z";

/// The sample's applications and stage events (no panels or scores: the
/// counts file carries the funnel only).
fn funnel_only() -> Dataset {
    Dataset::sample(&["applications.csv", "stage_events.csv"])
}

fn count(dataset: &str, by: &[&str], out: &str) {
    let mut args = vec!["counts", dataset, "--out", out];
    for b in by {
        args.extend(["--by", b]);
    }
    let o = run(&args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

fn audit(source: &[&str], by: &[&str]) -> Value {
    let mut args = vec!["audit"];
    args.extend_from_slice(source);
    args.extend(["--format", "json", "--generated-at", STAMP]);
    for b in by {
        args.extend(["--by", b]);
    }
    run_json(&args)
}

#[test]
fn rows_to_counts_to_audit_equals_auditing_the_rows() {
    let ds = funnel_only();
    let data = ds.path().to_str().unwrap();
    let by = ["organisation", "quarter"];
    let direct = audit(&[data], &by);
    for ext in ["csv", "parquet"] {
        let out = ds.path().join(format!("counts.{ext}"));
        let out = out.to_str().unwrap();
        count(data, &by, out);
        let from_counts = audit(&["--counts", out], &by);
        assert_eq!(from_counts["data_quality"]["stage_source"], "counts");
        assert_eq!(
            without_provenance(from_counts),
            without_provenance(direct.clone()),
            "{ext}"
        );
    }
    // A coarser audit from the same counts: by organisation alone.
    let out = ds.path().join("counts.parquet");
    let coarse = audit(&["--counts", out.to_str().unwrap()], &["organisation"]);
    assert_eq!(
        without_provenance(coarse),
        without_provenance(audit(&[data], &["organisation"]))
    );
}

/// Counts of two halves of a dataset, stacked, audit as the whole does.
#[test]
fn stacked_counts_of_two_halves_equal_the_whole() {
    let ds = funnel_only();
    let apps = std::fs::read_to_string(ds.path().join("applications.csv")).unwrap();
    let events = std::fs::read_to_string(ds.path().join("stage_events.csv")).unwrap();
    let (header, rows) = apps.split_once('\n').unwrap();
    let rows: Vec<&str> = rows.lines().collect();
    let (ev_header, ev_rows) = events.split_once('\n').unwrap();
    let halves = [Dataset::new(), Dataset::new()];
    let mid = rows.len() / 2;
    for (h, part) in halves.iter().zip([&rows[..mid], &rows[mid..]]) {
        let ids: std::collections::HashSet<&str> =
            part.iter().map(|r| r.split(',').next().unwrap()).collect();
        h.write(
            "applications.csv",
            &format!("{header}\n{}\n", part.join("\n")),
        );
        let evs: Vec<&str> = ev_rows
            .lines()
            .filter(|e| ids.contains(e.split(',').next().unwrap()))
            .collect();
        h.write(
            "stage_events.csv",
            &format!("{ev_header}\n{}\n", evs.join("\n")),
        );
    }
    let mut stacked = String::new();
    for (i, h) in halves.iter().enumerate() {
        let out = h.path().join("counts.csv");
        count(
            h.path().to_str().unwrap(),
            &["organisation"],
            out.to_str().unwrap(),
        );
        let text = std::fs::read_to_string(&out).unwrap();
        stacked.push_str(if i == 0 {
            &text
        } else {
            text.split_once('\n').unwrap().1
        });
    }
    let file = ds.write("stacked.csv", &stacked);
    let whole = audit(&[ds.path().to_str().unwrap()], &["organisation"]);
    let from_halves = audit(&["--counts", file.to_str().unwrap()], &["organisation"]);
    assert_eq!(without_provenance(from_halves), without_provenance(whole));
}

/// A WRES indicator 2 return: shortlisted and appointed per organisation
/// and White / BME / not stated. The audit's ladder is those two stages and
/// its indicator 2 equals the one computed from the rows.
#[test]
fn a_wres_style_return_gives_indicator_2() {
    let ds = funnel_only();
    let rows = audit(&[ds.path().to_str().unwrap()], &["organisation"]);
    let mut lines = vec!["organisation,ethnicity,shortlisted,appointed".to_string()];
    for w in rows["wres_indicator_2"].as_array().unwrap() {
        let Some(org) = w["breakdown"]["organisation"].as_str() else {
            continue;
        };
        for (label, s, a) in [
            ("White", "shortlisted_white", "appointed_white"),
            ("BME", "shortlisted_bme", "appointed_bme"),
            (
                "Not stated",
                "shortlisted_not_stated",
                "appointed_not_stated",
            ),
        ] {
            lines.push(format!("{org},{label},{},{}", w[s], w[a]));
        }
    }
    let file = ds.write("wres-return.csv", &(lines.join("\n") + "\n"));
    let doc = audit(&["--counts", file.to_str().unwrap()], &["organisation"]);
    assert_eq!(
        doc["settings"]["ladder"],
        json!(["shortlisted", "appointed"])
    );
    assert_eq!(doc["data_quality"]["stage_source"], "counts_by_stage");
    assert_eq!(doc["wres_indicator_2"], rows["wres_indicator_2"]);
    let from_return = transition(
        &doc,
        "shortlisted",
        "appointed",
        &json!({"organisation": "ORG002"}),
    );
    let from_rows = transition(
        &rows,
        "shortlisted",
        "appointed",
        &json!({"organisation": "ORG002"}),
    );
    assert_eq!(from_return["groups"], from_rows["groups"]);
    // p_adjusted differs by design: the return's report holds fewer
    // comparisons to adjust for.
    let unadjusted = |t: &Value| {
        let mut c = t["comparisons"].clone();
        for x in c.as_array_mut().unwrap() {
            x.as_object_mut().unwrap().remove("p_adjusted");
        }
        c
    };
    assert_eq!(unadjusted(from_return), unadjusted(from_rows));
}

#[test]
fn bad_counts_files_stop_with_the_line_and_column() {
    let ds = Dataset::new();
    let f = ds.write(
        "r.csv",
        "organisation,ethnicity,shortlisted,appointed\nORG1,White,10,3\nORG1,BME,4,5\n",
    );
    let err = run_error(&["audit", "--counts", f.to_str().unwrap()]);
    assert!(err.contains("line 3"), "{err}");
    assert!(err.contains("appointed"), "{err}");
    assert!(err.contains("cannot be larger"), "{err}");

    let f = ds.write(
        "n.csv",
        "ethnicity,furthest_stage,applications\nWhite,applied,12\nIndian,shortlisted,three\n",
    );
    let err = run_error(&["audit", "--counts", f.to_str().unwrap()]);
    assert!(
        err.contains("line 3") && err.contains("'three' is not a whole number"),
        "{err}"
    );

    let f = ds.write(
        "s.csv",
        "ethnicity,furthest_stage,applications\nWhite,applied,12\nIndian,phone screen,3\n",
    );
    let err = run_error(&["audit", "--counts", f.to_str().unwrap()]);
    assert!(err.contains("'phone screen'"), "{err}");

    let err = run_error(&[
        "audit",
        "--counts",
        f.to_str().unwrap(),
        "--by",
        "organisation",
    ]);
    assert!(err.contains("no column 'organisation'"), "{err}");

    let f = ds.write("x.csv", "ethnicity,shortlisted\nWhite,3\n");
    let err = run_error(&["audit", "--counts", f.to_str().unwrap()]);
    assert!(err.contains("is not a counts file rung can read"), "{err}");

    let err = run_error(&[
        "counts",
        SAMPLE,
        "--out",
        ds.path().join("c.txt").to_str().unwrap(),
    ]);
    assert!(
        err.contains("expected a name ending in .csv or .parquet"),
        "{err}"
    );
}

/// The counting pass keys applications by a 64-bit hash of their id when
/// no applications row repeats, and counts again exactly when one does. The
/// same rows with one exact repeat added (so the exact plan runs) must give
/// the same audit, the repeat excluded and counted.
#[test]
fn the_hashed_and_the_exact_plan_count_alike() {
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    generate_funnel(&data, 20000, "csv");
    let by = ["organisation", "agency", "quarter"];
    let apps = data.join("applications.csv");
    // Give one candidate with two applications a second label, so the
    // differing-ethnicity check has something to find.
    edit_csv(&apps, |header, rows| {
        let cand = header.iter().position(|h| h == "candidate_id").unwrap();
        let eth = header.iter().position(|h| h == "ethnicity").unwrap();
        let mut seen = std::collections::HashMap::new();
        let twice = rows
            .iter()
            .enumerate()
            .find_map(|(i, r)| seen.insert(r[cand].to_string(), i).map(|_| i))
            .expect("a candidate with two applications");
        let mut changed: Vec<String> = rows[twice].iter().map(String::from).collect();
        changed[eth] = if changed[eth] == "Chinese" {
            "Arab".into()
        } else {
            "Chinese".into()
        };
        rows[twice] = csv::StringRecord::from(changed);
    });
    let hashed = audit(&[data.to_str().unwrap()], &by);

    repeat_a_row(&apps);
    let exact = audit(&[data.to_str().unwrap()], &by);

    let accounts = &exact["data_quality"]["tables"][0];
    assert_eq!(accounts["rows_read"], 20001);
    assert_eq!(
        accounts["excluded"][0]["reason"],
        "duplicate application_id (first row kept)"
    );
    assert_eq!(
        hashed["data_quality"]["candidates_with_differing_ethnicity"],
        1
    );
    assert_eq!(without_provenance(hashed), without_provenance(exact));
}

/// Appends a copy of the 500th record of the applications file, so its id
/// repeats and the counting pass takes the exact plan.
fn repeat_a_row(apps: &std::path::Path) {
    let text = std::fs::read_to_string(apps).unwrap();
    let repeat = text.lines().nth(500).unwrap().to_string();
    std::fs::write(apps, format!("{text}{repeat}\n")).unwrap();
}

/// The exact plan (an applications row repeats) reads score rows keyed by
/// the id's text, where the hashed plan keys them by its hash: both must
/// give the same panels and scoring sections (repeats, statuses,
/// histograms and every assessor's differentials), on the national shape
/// with all four tables.
#[test]
fn the_exact_plan_scores_as_the_hashed_plan_does() {
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    generate_national(&data, 20000, 11, "csv");
    let hashed = audit(&[data.to_str().unwrap()], &["organisation"]);
    repeat_a_row(&data.join("applications.csv"));
    let exact = audit(&[data.to_str().unwrap()], &["organisation"]);
    assert_eq!(
        exact["data_quality"]["tables"][0]["excluded"][0]["reason"],
        "duplicate application_id (first row kept)"
    );
    assert!(
        !hashed["scoring"]["assessors"]
            .as_array()
            .unwrap()
            .is_empty(),
        "the extract has assessors to compare"
    );
    for section in ["panels", "scoring"] {
        assert_eq!(hashed[section], exact[section], "{section}");
    }
}

/// Under a small memory budget the counting pass takes the applications in
/// slices by their id's hash, reading the files once per slice; the slices'
/// counts must add up to exactly the counts of one pass: cells, row
/// accounts, exits and the differing-ethnicity check (whose candidates are
/// sliced by their own hash). Rows without an id and events for unknown
/// applications are in the data, so every kind of row is accounted for.
#[test]
fn counting_in_slices_gives_the_counts_of_one_pass() {
    use rung::counts::{self, DEFAULT_MEMORY};

    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    generate_funnel(&data, 20000, "csv");
    // Exit reasons on the applications, a row without an id, an event for
    // an application that is not there, and every ninth application's
    // label another (so returning candidates' labels differ, whichever
    // slices their applications fall in).
    let apps = data.join("applications.csv");
    let mut reader = csv::Reader::from_path(&apps).unwrap();
    let mut header = reader.headers().unwrap().clone();
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (candidate, ethnicity) = (column("candidate_id"), column("ethnicity"));
    header.push_field("exit_reason");
    let mut writer = csv::Writer::from_path(data.join("with_exits.csv")).unwrap();
    writer.write_record(&header).unwrap();
    let mut labels: HashMap<String, HashSet<String>> = HashMap::new();
    for (i, r) in reader.records().enumerate() {
        let r = r.unwrap();
        let mut r: csv::StringRecord = r
            .iter()
            .enumerate()
            .map(|(c, v)| match c == ethnicity && i % 9 == 0 {
                true => "Any other ethnic group",
                false => v,
            })
            .collect();
        r.push_field(["rejected", "withdrew", ""][i % 3]);
        if i == 7 {
            let blank_id: Vec<&str> = std::iter::once("").chain(r.iter().skip(1)).collect();
            writer.write_record(&blank_id).unwrap();
        }
        // The check leaves out a missing label (it differs from none).
        if !r[ethnicity].is_empty() {
            labels
                .entry(r[candidate].to_string())
                .or_default()
                .insert(r[ethnicity].to_string());
        }
        writer.write_record(&r).unwrap();
    }
    // The candidates the check should find, counted here from the rows.
    let differing = labels.values().filter(|l| l.len() > 1).count() as u64;
    assert!(
        differing > 10,
        "{differing} candidates with differing labels"
    );
    writer.flush().unwrap();
    drop(writer);
    std::fs::rename(data.join("with_exits.csv"), &apps).unwrap();
    let events = data.join("stage_events.csv");
    let text = std::fs::read_to_string(&events).unwrap();
    std::fs::write(
        &events,
        format!("{text}NOT-AN-APPLICATION,shortlisted,2025-01-02\n"),
    )
    .unwrap();

    let count_with = |memory: u64| funnel_by_organisation(&data, memory).unwrap().funnel;
    let whole = count_with(DEFAULT_MEMORY);
    assert_eq!(whole.applications(), 20000);
    assert!(whole.exits.as_ref().is_some_and(|e| !e.is_empty()));
    assert_eq!(whole.candidates_with_differing_ethnicity, Some(differing));
    let reasons: Vec<&str> = whole
        .tables
        .iter()
        .flat_map(|t| t.excluded.iter().map(|e| e.reason.as_str()))
        .collect();
    assert!(reasons.contains(&"missing application_id"), "{reasons:?}");
    assert!(
        reasons.contains(&"event for an application not in the applications table"),
        "{reasons:?}"
    );
    // Room for about 10,000 applications a slice: 2 slices, whose reads
    // give the candidate check its pairs (all of them fit the room); for
    // 3,000: 7 slices, each reading the files whole, beside 3 of the
    // check's own; for 1,500: 14, from the tables split once, the check's
    // pairs with them (split by candidate), a part counted in each.
    for room in [10000, 3000, 1500] {
        let sliced = count_with(counts::memory_for_applications(room));
        assert_eq!(sliced.cells, whole.cells, "{room}");
        assert_eq!(sliced.tables, whole.tables, "{room}");
        assert_eq!(sliced.exits, whole.exits, "{room}");
        assert_eq!(
            sliced.candidates_with_differing_ethnicity, whole.candidates_with_differing_ethnicity,
            "{room}"
        );
        assert_eq!(
            sliced.applications_without_stage, whole.applications_without_stage,
            "{room}"
        );
    }
    // An applications row repeated: the exact plan counts, in one pass and
    // (room for 3,000 at 900 bytes an application against 150) in 41
    // slices from the tables split once, the check's pairs split with them
    // by candidate. The repeat is left out of the cells and adds no label.
    repeat_a_row(&apps);
    for room in [None, Some(3000)] {
        let exact = count_with(room.map_or(DEFAULT_MEMORY, counts::memory_for_applications));
        assert!(
            exact.tables[0]
                .excluded
                .iter()
                .any(|e| e.reason.starts_with("duplicate application_id") && e.rows == 1),
            "{room:?}: {:?}",
            exact.tables[0].excluded
        );
        assert_eq!(exact.cells, whole.cells, "{room:?}");
        assert_eq!(
            exact.candidates_with_differing_ethnicity,
            Some(differing),
            "{room:?}"
        );
    }
}

/// A malformed line in a table split into the slices' parts is an input
/// error naming the file and the line, as in one pass. (That the parts go with
/// the error is `parts::tests`' concern: other tests here make parts at
/// the same time, so their folder cannot be watched from here.)
#[test]
fn a_bad_line_met_while_splitting_is_named() {
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    generate_funnel(&data, 20000, "csv");
    let events = data.join("stage_events.csv");
    let text = std::fs::read_to_string(&events).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    // Line 9,001 of the file (the header is line 1) gets a field too many.
    lines[9000].push_str(",extra");
    std::fs::write(&events, lines.join("\n") + "\n").unwrap();
    // 14 slices: the tables are split into parts first. The split reads
    // only the columns the slices use, so polars need not meet the extra
    // field: the line check beside the pass (as every command runs it)
    // names the line.
    let files = rung::ingest::Dataset::locate(Some(&data), &[]).unwrap();
    let err = rung::ingest::beside_fingerprints(&files, b',', || {
        funnel_by_organisation(&data, rung::counts::memory_for_applications(1500))
    })
    .unwrap_err();
    let message = err.to_string();
    assert_eq!(err.exit_code(), 2, "{message}");
    assert!(
        message.contains("stage_events.csv") && message.contains("line 9001"),
        "{message}"
    );
}

/// The counting pass over the dataset folder `data`, funnel only (no
/// panels or scores), by organisation, under a `memory` budget.
fn funnel_by_organisation(
    data: &std::path::Path,
    memory: u64,
) -> rung::error::Result<rung::counts::Counts> {
    use rung::counts::{CountRequest, PeriodFrom};
    use rung::ingest::{Dataset as Files, Profile};
    use rung::taxonomy::{Taxonomy, grouping::Scheme};

    rung::counts::count(
        &Files::locate(Some(data), &[]).unwrap(),
        &Profile::canonical(),
        &CountRequest {
            by: &["organisation".to_string()],
            taxonomy: &Taxonomy::plain(Scheme::named_or_file("wres").unwrap()),
            panels: false,
            scores: false,
            period_from: PeriodFrom::Applied,
            memory,
            assessors_by_label: true,
        },
    )
}

/// With scores in the dataset, `rung counts` writes their statistics beside
/// the counts (`counts.scores.csv`), and the audit of the counts gives the
/// same scoring section as the audit of the rows: histograms, comparisons
/// and assessor flags, by either way of dating periods, in CSV and Parquet.
#[test]
fn score_statistics_travel_with_the_counts() {
    let ds = Dataset::sample(&[
        "applications.csv",
        "stage_events.csv",
        "panel_members.csv",
        "scores.csv",
    ]);
    let data = ds.path().to_str().unwrap();
    let out = tempfile::tempdir().unwrap();
    for (period_from, ext) in [("applied", "csv"), ("interview", "parquet")] {
        let counts = out.path().join(format!("counts-{period_from}.{ext}"));
        let o = run(&[
            "counts",
            data,
            "--out",
            counts.to_str().unwrap(),
            "--period-from",
            period_from,
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let scores = out
            .path()
            .join(format!("counts-{period_from}.scores.{ext}"));
        assert!(scores.is_file(), "no {}", scores.display());
        assert!(
            String::from_utf8_lossy(&o.stderr).contains("score statistics"),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        let rows = audit(&[data, "--period-from", period_from], &[]);
        let counted = audit(&["--counts", counts.to_str().unwrap()], &[]);
        assert!(rows["scoring"].is_object(), "{}", rows["scoring"]);
        assert_eq!(rows["scoring"], counted["scoring"], "{period_from}");
        // The funnel is the same too (panels are not carried: audit them
        // from the rows).
        assert_eq!(rows["transitions"], counted["transitions"]);
        assert!(counted["panels"].is_null());
        // The scores file is listed among the inputs, with its hash.
        let inputs = counted["inputs"].as_array().unwrap();
        assert!(
            inputs.iter().any(|i| i["table"] == "scores"
                && i["path"]
                    .as_str()
                    .unwrap()
                    .ends_with(&format!(".scores.{ext}"))),
            "{inputs:?}"
        );
    }
}

/// The whole audit's counts in slices equal one pass's: with panels and
/// scores in the dataset, the panel-type cells of the funnel, each
/// vacancy's row (its applications fall in several slices), the score
/// histograms, row accounts and the assessors' sums of differentials
/// exactly (whole-number scores sum exactly in any order). Scored
/// by interview date, so the stage dates travel through the slices too.
/// Both shapes of generated export: the national one has ids in no order,
/// returning candidates and panels of two to four.
#[test]
fn panels_and_scores_in_slices_give_the_counts_of_one_pass() {
    for shape in ["standard", "national"] {
        panels_and_scores_in_slices_of(shape);
    }
}

fn panels_and_scores_in_slices_of(shape: &str) {
    use rung::counts::{self, CountRequest, DEFAULT_MEMORY, PeriodFrom};
    use rung::ingest::{Dataset as Files, Profile};
    use rung::taxonomy::{Taxonomy, grouping::Scheme};

    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    let status = rung()
        .args(["generate", "--applications", "20000", "--seed", "5"])
        .args(["--shape", shape, "--out", data.to_str().unwrap()])
        .status()
        .unwrap();
    assert!(status.success());
    let files = Files::locate(Some(&data), &[]).unwrap();
    let profile = Profile::canonical();
    let taxonomy = Taxonomy::plain(Scheme::named_or_file("wres").unwrap());
    let by = vec!["organisation".to_string(), "grade".to_string()];
    for period_from in [PeriodFrom::Applied, PeriodFrom::Interview] {
        let count_as = |memory: u64, assessors_by_label: bool| {
            counts::count(
                &files,
                &profile,
                &CountRequest {
                    by: &by,
                    taxonomy: &taxonomy,
                    panels: true,
                    scores: true,
                    period_from,
                    memory,
                    assessors_by_label,
                },
            )
            .unwrap()
        };
        // Differentials by label (as a counts file keeps them) one way,
        // by class (as the audit counts them) the other.
        let by_label = period_from == PeriodFrom::Applied;
        let count_with = |memory: u64| count_as(memory, by_label);
        let whole = count_with(DEFAULT_MEMORY);
        // The funnel's room for 13,000 applications holds about 3,000 with
        // panels and scores (650 bytes each against 150): 7 slices, each
        // reading the files whole; one way, the room for 6,000: 15 slices
        // from the tables split once.
        let room = match period_from {
            PeriodFrom::Applied => 13000,
            PeriodFrom::Interview => 6000,
        };
        let sliced = count_with(counts::memory_for_applications(room));
        assert_eq!(sliced.funnel.cells, whole.funnel.cells);
        assert_eq!(sliced.funnel.tables, whole.funnel.tables);
        assert_eq!(
            sliced.funnel.candidates_with_differing_ethnicity,
            whole.funnel.candidates_with_differing_ethnicity
        );
        let (p1, p7) = (whole.panels.unwrap(), sliced.panels.unwrap());
        assert!(p1.vacancies.len() > 100, "{} vacancies", p1.vacancies.len());
        assert_eq!(p7.vacancies, p1.vacancies);
        assert_eq!(p7.cells, p1.cells);
        let (s1, s7) = (whole.scores.unwrap(), sliced.scores.unwrap());
        assert!(s1.assessor_level.len() > 100);
        assert!(s1.application_level.iter().any(|c| c.period.is_some()));
        assert_eq!(s7.assessor_level, s1.assessor_level);
        assert_eq!(s7.application_level, s1.application_level);
        assert_eq!(s7.account, s1.account);
        // Whole-number scores: the differentials' sums are exact, so
        // equal to the last bit in any order of the rows.
        assert_eq!(s7.assessors, s1.assessors);
        if by_label {
            // The pass's classes are the labels' classes added up.
            use rung::counts::scores::Applicants;
            use std::collections::BTreeMap;
            let mut merged: BTreeMap<_, (u64, f64, f64)> = BTreeMap::new();
            for c in &s1.assessors {
                let key = (c.assessor.clone(), c.stage, c.applicants.class(&taxonomy));
                let e = merged.entry(key).or_default();
                *e = (e.0 + c.n, e.1 + c.sum, e.2 + c.sum_sq);
            }
            let classed = count_as(DEFAULT_MEMORY, false).scores.unwrap().assessors;
            assert!(classed.len() < s1.assessors.len());
            assert_eq!(classed.len(), merged.len());
            for c in &classed {
                let Applicants::Class(class) = c.applicants else {
                    panic!("{c:?} is by label");
                };
                let (n, sum, sum_sq) = merged[&(c.assessor.clone(), c.stage, class)];
                assert_eq!(c.n, n, "{c:?}");
                assert!((c.sum - sum).abs() <= 1e-9 * (1.0 + sum.abs()), "{c:?}");
                assert!(
                    (c.sum_sq - sum_sq).abs() <= 1e-9 * (1.0 + sum_sq.abs()),
                    "{c:?}"
                );
            }
        }
    }
}

/// The whole audit counted in slices is byte for byte the audit counted in
/// one pass, and two runs of it are too (the assessors' differentials once
/// summed in the order rows arrived: the last digits of their intervals
/// and p values changed from run to run). The national shape, by
/// organisation.
#[test]
fn a_sliced_audit_is_byte_identical_to_one_pass() {
    use rung::counts::DEFAULT_MEMORY;

    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    let status = rung()
        .args(["generate", "--applications", "20000", "--seed", "9"])
        .args(["--shape", "national", "--out", data.to_str().unwrap()])
        .status()
        .unwrap();
    assert!(status.success());
    let audit_json = |memory: u64| audit_json_with_memory(&data, memory);
    let (audit, whole) = audit_json(DEFAULT_MEMORY);
    assert!(audit.scoring.is_some() && audit.panels.is_some());
    // 7 and 15 slices (as counted in the test above): the files read whole
    // by each, and split once.
    for room in [13000, 6000] {
        let (_, sliced) = audit_json(rung::counts::memory_for_applications(room));
        assert!(
            whole == sliced,
            "the audit in slices ({room}) differs from one pass's"
        );
    }
    let (_, again) = audit_json(DEFAULT_MEMORY);
    assert!(whole == again, "two runs of one audit differ");
}
