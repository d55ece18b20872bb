//! `rung audit` on small hand-made datasets whose counts are known.

mod common;

use common::*;
use serde_json::{Value, json};

/// People as (id, label, furthest stage index).
fn people(spec: &[(&str, usize, usize)]) -> Vec<(String, String, usize)> {
    // spec: (label, how many, furthest stage)
    let mut out = Vec::new();
    for (label, n, reached) in spec {
        for _ in 0..*n {
            out.push((
                format!("A{:05}", out.len() + 1),
                label.to_string(),
                *reached,
            ));
        }
    }
    out
}

/// The WRES-style worked example: of those shortlisted, 10 of 75 White and
/// 12 of 225 BME applicants are appointed. Relative likelihood 2.5, Katz
/// 95% CI 1.1261564 to 5.5498508 (the worked example in docs/methods.md).
fn wres_example() -> Dataset {
    let ds = Dataset::new();
    let spec = [
        // White: 100 applied, 75 shortlisted, 40 interviewed, 12 offered, 10 appointed.
        ("White British", 25, 0),
        ("White - Irish", 35, 1),
        ("Any other White background", 28, 2),
        ("White British", 2, 3),
        ("A", 10, 4),
        // BME: 300 applied, 225 shortlisted, 100 interviewed, 15 offered, 12 appointed.
        ("Indian", 75, 0),
        ("Black African", 125, 1),
        ("H", 85, 2),
        ("Pakistani", 3, 3),
        ("Mixed - White and Asian", 12, 4),
        // Unknowns: never in a denominator, always counted.
        ("Prefer not to say", 7, 1),
        ("", 5, 0),
        ("Martian", 2, 4),
    ];
    let (apps, events) = funnel_tables(&people(&spec), |i| format!("ORG{}", i % 2));
    ds.write("applications.csv", &apps);
    ds.write("stage_events.csv", &events);
    ds
}

#[test]
fn wres_indicator_2_matches_the_worked_example() {
    let ds = wres_example();
    // Unadjusted p: the worked example is one comparison on its own.
    let doc = run_json(&[
        "audit",
        ds.path().to_str().unwrap(),
        "--format",
        "json",
        "--adjust",
        "none",
    ]);
    let t = transition(&doc, "shortlisted", "appointed", &json!({}));
    let white = group(t, "White");
    let bme = group(t, "BME");
    assert_eq!((u(&white["entered"]), u(&white["progressed"])), (75, 10));
    assert_eq!((u(&bme["entered"]), u(&bme["progressed"])), (225, 12));
    let c = comparison(t, "BME");
    assert_eq!(c["reference"], "White");
    assert_close(f(&c["relative_likelihood"]), 2.5, 1e-12, "RL");
    assert_close(f(&c["ci_low"]), 1.1261564, 1e-7, "ci_low");
    assert_close(f(&c["ci_high"]), 5.5498508, 1e-7, "ci_high");
    // scipy.stats.fisher_exact([[10, 65], [12, 213]]) (scipy 1.17.1).
    assert_close(f(&c["p_fisher"]), 0.037002657594809335, 1e-9, "p_fisher");
    // Pooled two-proportion z = 2.30164726179404, two-sided p from the normal.
    assert_close(f(&c["p_z"]), 0.02135507255695868, 1e-9, "p_z");
    assert_eq!(c["outside_range"], true);
    assert_eq!(c["significant"], true);
    assert_eq!(c["p_adjusted"], c["p_fisher"]);
    assert_close(f(&c["confidence"]), 0.95, 1e-15, "confidence");
    // Impact ratio: rate ÷ highest rate, so BME = (12/225) / (10/75) = 0.4.
    assert_close(f(&bme["impact_ratio"]), 0.4, 1e-12, "impact ratio");
    assert_close(f(&white["impact_ratio"]), 1.0, 1e-15, "impact ratio");
}

#[test]
fn every_step_is_reported_with_unknowns_kept_out_of_rates() {
    let ds = wres_example();
    let doc = run_json(&["audit", ds.path().to_str().unwrap(), "--format", "json"]);
    let steps: Vec<(String, String)> = doc["transitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["from"].as_str().unwrap().into(),
                t["to"].as_str().unwrap().into(),
            )
        })
        .collect();
    let expected = [
        ("applied", "shortlisted"),
        ("shortlisted", "interviewed"),
        ("interviewed", "offered"),
        ("offered", "appointed"),
        ("shortlisted", "appointed"),
        ("applied", "appointed"),
    ];
    for (from, to) in expected {
        assert!(
            steps.contains(&(from.into(), to.into())),
            "missing {from}→{to}: {steps:?}"
        );
    }
    // Stage counts: reaching a stage implies the earlier ones.
    let white = [100, 75, 40, 12, 10];
    let bme = [300, 225, 100, 15, 12];
    for (i, (from, to)) in expected.iter().take(4).enumerate() {
        let t = transition(&doc, from, to, &json!({}));
        assert_eq!(u(&group(t, "White")["entered"]), white[i]);
        assert_eq!(u(&group(t, "White")["progressed"]), white[i + 1]);
        assert_eq!(u(&group(t, "BME")["entered"]), bme[i]);
        assert_eq!(u(&group(t, "BME")["progressed"]), bme[i + 1]);
    }
    let overall = transition(&doc, "applied", "appointed", &json!({}));
    assert_eq!(u(&group(overall, "Declined")["entered"]), 7);
    assert_eq!(u(&group(overall, "Not known")["entered"]), 5);
    assert_eq!(u(&group(overall, "Unmapped")["entered"]), 2);
    assert_eq!(u(&group(overall, "Unmapped")["progressed"]), 2);
    assert!(group(overall, "Declined")["impact_ratio"].is_null());
    // White 10/100 vs BME 12/300: the unknowns' appointments are not in it.
    let c = comparison(overall, "BME");
    assert_close(f(&c["relative_likelihood"]), 2.5, 1e-12, "overall RL");

    let dq = &doc["data_quality"];
    assert_eq!(u(&dq["applications"]), 414);
    assert_eq!(u(&dq["ethnicity_known"]), 400);
    assert_eq!(u(&dq["ethnicity_declined"]), 7);
    assert_eq!(u(&dq["ethnicity_not_known"]), 5);
    assert_eq!(
        dq["unmapped_labels"],
        json!([{"label": "Martian", "count": 2, "reason": "not a wording rung knows: map it in a profile's [ethnicity_labels]"}])
    );
    assert_eq!(doc["tool"]["name"], "rung");
    assert_eq!(doc["settings"]["grouping"], "wres");
    assert_eq!(doc["settings"]["reference_group"], "White");
}

#[test]
fn four_fifths_worked_example_at_shortlisting() {
    let ds = Dataset::new();
    let spec = [
        ("White British", 32, 0),
        ("White British", 48, 1),
        ("Black Caribbean", 29, 0),
        ("Black Caribbean", 21, 1),
    ];
    let (apps, events) = funnel_tables(&people(&spec), |_| "ORG1".into());
    ds.write("applications.csv", &apps);
    ds.write("stage_events.csv", &events);
    let doc = run_json(&[
        "audit",
        ds.path().to_str().unwrap(),
        "--format",
        "json",
        "--adjust",
        "none",
    ]);
    let t = transition(&doc, "applied", "shortlisted", &json!({}));
    assert_close(
        f(&group(t, "BME")["impact_ratio"]),
        0.70,
        1e-12,
        "impact ratio",
    );
    let c = comparison(t, "BME");
    assert_close(f(&c["relative_likelihood"]), 0.6 / 0.42, 1e-12, "RL");
    // scipy.stats.fisher_exact([[48, 32], [21, 29]]) and the pooled z-test.
    assert_close(f(&c["p_fisher"]), 0.0495426535215911, 1e-9, "p_fisher");
    assert_close(f(&c["p_z"]), 0.04542336739712537, 1e-9, "p_z");
    assert_eq!(c["significant"], true);
    assert_eq!(c["outside_range"], true);

    // SC-WRES direction: focal ÷ reference, the reciprocal, interval swapped.
    let sc = run_json(&[
        "audit",
        ds.path().to_str().unwrap(),
        "--format",
        "json",
        "--direction",
        "sc-wres",
    ]);
    let csc = comparison(transition(&sc, "applied", "shortlisted", &json!({})), "BME");
    assert_close(f(&csc["relative_likelihood"]), 0.42 / 0.6, 1e-12, "SC RL");
    assert_close(f(&csc["ci_low"]), 1.0 / f(&c["ci_high"]), 1e-12, "SC low");
    assert_close(f(&csc["ci_high"]), 1.0 / f(&c["ci_low"]), 1e-12, "SC high");
    assert_eq!(csc["p_fisher"], c["p_fisher"]);
    assert_eq!(sc["settings"]["direction"], "sc-wres");

    // A different confidence level widens the interval and moves the bar.
    let doc99 = run_json(&[
        "audit",
        ds.path().to_str().unwrap(),
        "--format",
        "json",
        "--confidence",
        "0.99",
    ]);
    let c99 = comparison(
        transition(&doc99, "applied", "shortlisted", &json!({})),
        "BME",
    );
    assert!(f(&c99["ci_low"]) < f(&c["ci_low"]));
    assert_eq!(c99["significant"], false, "p = 0.0495 is not below 0.01");
}

#[test]
fn breakdown_rows_add_up_to_the_whole() {
    let ds = wres_example();
    let doc = run_json(&[
        "audit",
        ds.path().to_str().unwrap(),
        "--format",
        "json",
        "--by",
        "organisation",
    ]);
    let whole = transition(&doc, "applied", "shortlisted", &json!({}));
    let org0 = transition(
        &doc,
        "applied",
        "shortlisted",
        &json!({"organisation": "ORG0"}),
    );
    let org1 = transition(
        &doc,
        "applied",
        "shortlisted",
        &json!({"organisation": "ORG1"}),
    );
    for g in ["White", "BME", "Declined", "Not known", "Unmapped"] {
        for field in ["entered", "progressed"] {
            assert_eq!(
                u(&group(whole, g)[field]),
                u(&group(org0, g)[field]) + u(&group(org1, g)[field]),
                "{g} {field}"
            );
        }
    }
    assert_eq!(doc["settings"]["by"], json!(["organisation"]));
}

#[test]
fn events_out_of_order_backwards_or_missing() {
    let ds = Dataset::new();
    ds.write(
        "applications.csv",
        "application_id,vacancy_id,ethnicity\n\
         A1,V1,White British\n\
         A2,V1,White British\n\
         A3,V1,Indian\n\
         A4,V1,Indian\n\
         A5,V1,Indian\n",
    );
    // A1 is offered then moved back to interviewed: it reached offered.
    // A2 has only an appointed event: it passed every earlier stage.
    // A3 has no events at all: it counts as applied (and is reported).
    // A4 has its events twice and in reverse order.
    // A5 has stage names in odd case and spacing.
    ds.write(
        "stage_events.csv",
        "application_id,stage,entered_at\n\
         A1,offered,2025-02-01\n\
         A1,interviewed,2025-02-03\n\
         A2,appointed,2025-03-01\n\
         A4,shortlisted,2025-01-09\n\
         A4,applied,2025-01-02\n\
         A4,shortlisted,2025-01-09\n\
         A5, Interviewed ,2025-01-09\n\
         A9,applied,2025-01-01\n",
    );
    let doc = run_json(&["audit", ds.path().to_str().unwrap(), "--format", "json"]);
    let reached = |from: &str, to: &str, g: &str| {
        let t = transition(&doc, from, to, &json!({}));
        (u(&group(t, g)["entered"]), u(&group(t, g)["progressed"]))
    };
    assert_eq!(reached("applied", "shortlisted", "White"), (2, 2));
    assert_eq!(reached("interviewed", "offered", "White"), (2, 2));
    assert_eq!(reached("offered", "appointed", "White"), (2, 1));
    assert_eq!(reached("applied", "shortlisted", "BME"), (3, 2));
    assert_eq!(reached("shortlisted", "interviewed", "BME"), (2, 1));
    let dq = &doc["data_quality"];
    assert_eq!(u(&dq["applications_without_stage"]), 1);
    let events = dq["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["table"] == "stage_events")
        .unwrap();
    assert_eq!(u(&events["rows_read"]), 8);
    assert_eq!(u(&events["rows_used"]), 6);
    assert_eq!(u(&events["rows_excluded"]), 2);
    let reasons: Vec<&str> = events["excluded"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["reason"].as_str().unwrap())
        .collect();
    assert_eq!(reasons.len(), 2, "{reasons:?}");
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("not in the applications table"))
    );
    assert!(reasons.iter().any(|r| r.contains("repeat")));
}

#[test]
fn furthest_stage_without_stage_events() {
    let ds = Dataset::new();
    ds.write(
        "applications.csv",
        "application_id,vacancy_id,ethnicity,furthest_stage\n\
         A1,V1,White British,appointed\n\
         A2,V1,White British,shortlisted\n\
         A3,V1,Pakistani,applied\n\
         A4,V1,Pakistani,interviewed\n\
         A5,V1,Pakistani,\n",
    );
    let doc = run_json(&["audit", ds.path().to_str().unwrap(), "--format", "json"]);
    let t = transition(&doc, "applied", "shortlisted", &json!({}));
    assert_eq!(
        (
            u(&group(t, "White")["entered"]),
            u(&group(t, "White")["progressed"])
        ),
        (2, 2)
    );
    assert_eq!(
        (
            u(&group(t, "BME")["entered"]),
            u(&group(t, "BME")["progressed"])
        ),
        (3, 1)
    );
    assert_eq!(doc["data_quality"]["stage_source"], "furthest_stage");
    assert_eq!(u(&doc["data_quality"]["applications_without_stage"]), 1);
}

#[test]
fn tables_named_one_by_one_and_output_file() {
    let ds = wres_example();
    let out = ds.path().join("out.json");
    let status = rung()
        .args([
            "audit",
            "--applications",
            ds.path().join("applications.csv").to_str().unwrap(),
            "--stage-events",
            ds.path().join("stage_events.csv").to_str().unwrap(),
            "--format",
            "json",
            "--output",
            out.to_str().unwrap(),
        ])
        .status()
        .unwrap();
    assert!(status.success());
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let c = comparison(
        transition(&doc, "shortlisted", "appointed", &json!({})),
        "BME",
    );
    assert_close(f(&c["relative_likelihood"]), 2.5, 1e-12, "RL");
    // Every input is named with its row count and SHA-256.
    let inputs = doc["inputs"].as_array().unwrap();
    assert_eq!(inputs.len(), 2);
    assert!(
        inputs
            .iter()
            .all(|i| i["sha256"].as_str().unwrap().len() == 64)
    );
}

#[test]
fn zero_cells_give_null_with_a_note_never_nan() {
    let ds = Dataset::new();
    // No BME applicant is offered; no one at all is appointed from offer
    // among BME (no entrants); White all shortlisted.
    let spec = [("White British", 6, 3), ("Indian", 4, 0), ("Indian", 3, 2)];
    let (apps, events) = funnel_tables(&people(&spec), |_| "ORG1".into());
    ds.write("applications.csv", &apps);
    ds.write("stage_events.csv", &events);
    let text = output(ds.path(), "json", &[]);
    assert!(!text.contains("NaN") && !text.contains("Infinity"));
    let doc: Value = serde_json::from_str(&text).unwrap();
    // interviewed → offered: White 6/6, BME 0/3: ratio infinite.
    let c = comparison(
        transition(&doc, "interviewed", "offered", &json!({})),
        "BME",
    );
    assert!(c["relative_likelihood"].is_null());
    assert!(c["ci_low"].is_null() && c["ci_high"].is_null());
    assert!(
        c["note"]
            .as_str()
            .unwrap()
            .contains("no BME applicant progressed")
    );
    assert!(f(&c["p_fisher"]) < 0.05);
    // offered → appointed: no BME entrants at all.
    let c = comparison(transition(&doc, "offered", "appointed", &json!({})), "BME");
    assert!(c["relative_likelihood"].is_null() && c["p_fisher"].is_null());
    assert!(c["note"].as_str().unwrap().contains("insufficient data"));
    // applied → shortlisted with everyone White shortlisted: a ratio exists.
    let c = comparison(
        transition(&doc, "applied", "shortlisted", &json!({})),
        "BME",
    );
    assert_close(f(&c["relative_likelihood"]), 1.0 / (3.0 / 7.0), 1e-12, "RL");
}

#[test]
fn csv_output_is_one_long_table() {
    let ds = wres_example();
    let text = output(ds.path(), "csv", &["--by", "organisation"]);
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header = reader.headers().unwrap().clone();
    let idx = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("{name}"))
    };
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    // 6 transitions × (whole + 2 organisations) × 5 groups.
    assert_eq!(rows.len(), 6 * 3 * 5);
    let row = rows
        .iter()
        .find(|r| {
            r[idx("from")] == *"shortlisted"
                && r[idx("to")] == *"appointed"
                && r[idx("breakdown")] == *"all"
                && r[idx("group")] == *"BME"
        })
        .expect("BME row");
    assert_eq!(&row[idx("entered")], "225");
    assert_eq!(&row[idx("progressed")], "12");
    assert_close(
        row[idx("relative_likelihood")].parse().unwrap(),
        2.5,
        1e-12,
        "RL",
    );
    assert_close(row[idx("ci_low")].parse().unwrap(), 1.1261564, 1e-7, "low");
    // The reference group's row carries no comparison.
    let white = rows
        .iter()
        .find(|r| {
            r[idx("from")] == *"shortlisted"
                && r[idx("to")] == *"appointed"
                && r[idx("group")] == *"White"
        })
        .unwrap();
    assert_eq!(&white[idx("relative_likelihood")], "");
}

#[test]
fn terminal_report_shows_counts_and_unmapped_labels() {
    let ds = wres_example();
    let text = output(ds.path(), "table", &[]);
    assert!(text.contains("shortlisted → appointed"), "{text}");
    // The unmapped label, its count and why, in one row of the data
    // quality section's table.
    assert!(
        text.lines()
            .any(|l| l.contains("Martian") && l.contains(" 2 ┆") && l.contains("not a wording")),
        "{text}"
    );
    assert!(text.contains("2.50"), "{text}");
    assert!(text.contains("1.13–5.55"), "{text}");
}

#[test]
fn ons5_and_custom_groupings() {
    let ds = wres_example();
    let doc = run_json(&[
        "audit",
        ds.path().to_str().unwrap(),
        "--format",
        "json",
        "--grouping",
        "ons5",
    ]);
    let t = transition(&doc, "applied", "shortlisted", &json!({}));
    // Indian + H are Asian (75 + 85 + 3 Pakistani), Black African 125, Mixed 12.
    assert_eq!(u(&group(t, "Asian")["entered"]), 163);
    assert_eq!(u(&group(t, "Black")["entered"]), 125);
    assert_eq!(u(&group(t, "Mixed")["entered"]), 12);
    let focal: Vec<&str> = t["comparisons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["focal"].as_str().unwrap())
        .collect();
    assert!(focal.contains(&"Asian") && focal.contains(&"Black") && focal.contains(&"Mixed"));
    // Other has no entrants: its comparison is null with a note.
    let other = comparison(t, "Other");
    assert!(other["relative_likelihood"].is_null() && other["note"].is_string());

    let grouping = ds.write(
        "grouping.toml",
        "name = \"south-asian\"\nreference = \"Everyone else\"\n\n[groups]\n\
         \"South Asian\" = [\"indian\", \"pakistani\", \"bangladeshi\"]\n\
         \"Everyone else\" = [\"white\", \"mixed\", \"black\", \"other\", \"chinese\", \"other_asian\"]\n",
    );
    let out = run(&[
        "audit",
        ds.path().to_str().unwrap(),
        "--format",
        "json",
        "--grouping",
        grouping.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let t = transition(&doc, "applied", "shortlisted", &json!({}));
    assert_eq!(u(&group(t, "South Asian")["entered"]), 163);
    assert_eq!(u(&group(t, "Everyone else")["entered"]), 100 + 125 + 12);
}

/// Every comparison's p is adjusted across the whole report (default
/// Benjamini-Hochberg) and "significant" follows the adjusted p.
#[test]
fn p_values_are_adjusted_across_the_report() {
    let ds = wres_example();
    let path = ds.path().to_str().unwrap();
    for (method, adjust) in [("bh", bh as fn(&[f64]) -> Vec<f64>), ("holm", holm)] {
        let doc = run_json(&[
            "audit",
            path,
            "--format",
            "json",
            "--by",
            "organisation",
            "--adjust",
            method,
        ]);
        let comparisons: Vec<&serde_json::Value> = doc["transitions"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|t| t["comparisons"].as_array().unwrap())
            .filter(|c| !c["p_fisher"].is_null())
            .collect();
        let ps: Vec<f64> = comparisons.iter().map(|c| f(&c["p_fisher"])).collect();
        let expected = adjust(&ps);
        for (c, e) in comparisons.iter().zip(&expected) {
            assert_close(f(&c["p_adjusted"]), *e, 1e-12, method);
            assert_eq!(c["significant"], *e < 0.05, "{method}: {c}");
        }
        assert_eq!(doc["settings"]["adjust"], method);
    }
    // The worked example is significant alone but not among this report's
    // comparisons under BH.
    let doc = run_json(&["audit", path, "--format", "json"]);
    let c = comparison(
        transition(&doc, "shortlisted", "appointed", &json!({})),
        "BME",
    );
    assert!(f(&c["p_adjusted"]) > f(&c["p_fisher"]));
}

/// Benjamini-Hochberg, written out independently of rung's.
fn bh(ps: &[f64]) -> Vec<f64> {
    let m = ps.len() as f64;
    ps.iter()
        .map(|&p| {
            // min over j with p_j >= p of p_j * m / rank(p_j)
            ps.iter()
                .filter(|&&q| q >= p)
                .map(|&q| q * m / ps.iter().filter(|&&r| r <= q).count() as f64)
                .fold(1.0_f64, f64::min)
        })
        .collect()
}

/// Holm, written out independently of rung's.
fn holm(ps: &[f64]) -> Vec<f64> {
    let m = ps.len();
    ps.iter()
        .map(|&p| {
            // max over j with p_j <= p of (m - rank(p_j) + 1) * p_j
            ps.iter()
                .filter(|&&q| q <= p)
                .map(|&q| {
                    let rank = ps.iter().filter(|&&r| r < q).count();
                    ((m - rank) as f64 * q).min(1.0)
                })
                .fold(0.0_f64, f64::max)
        })
        .collect()
}

#[test]
fn findings_state_the_indicator_in_words() {
    let ds = wres_example();
    let doc = run_json(&[
        "audit",
        ds.path().to_str().unwrap(),
        "--format",
        "json",
        "--adjust",
        "none",
    ]);
    let texts: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["text"].as_str().unwrap())
        .collect();
    let indicator = texts
        .iter()
        .find(|t| t.contains("appointed after shortlisting"))
        .unwrap_or_else(|| panic!("{texts:?}"));
    assert!(
        indicator.starts_with("White applicants were 2.50 times as likely as BME applicants"),
        "{indicator}"
    );
    assert!(indicator.contains("95% CI 1.13–5.55"), "{indicator}");
    assert!(indicator.contains("needs investigating"), "{indicator}");
    assert!(
        texts
            .iter()
            .any(|t| t.contains("not known for 3.4% of applications")),
        "{texts:?}"
    );

    // Small numbers: cautious wording, never a verdict of bias.
    let small = Dataset::new();
    let spec = [
        ("White British", 4, 4),
        ("White British", 1, 1),
        ("Indian", 2, 4),
        ("Indian", 3, 1),
    ];
    let (apps, events) = funnel_tables(&people(&spec), |_| "ORG1".into());
    small.write("applications.csv", &apps);
    small.write("stage_events.csv", &events);
    let doc = run_json(&["audit", small.path().to_str().unwrap(), "--format", "json"]);
    let text = doc["findings"][0]["text"].as_str().unwrap();
    assert!(
        text.contains("caution") && !text.contains("needs investigating"),
        "{text}"
    );
}

#[test]
fn markdown_report() {
    let ds = wres_example();
    let md = output(ds.path(), "markdown", &["--adjust", "none"]);
    assert!(md.starts_with("# Recruitment funnel audit"));
    assert!(md.contains("## Findings"));
    assert!(
        md.contains("### shortlisted → appointed (NHS WRES indicator 2)"),
        "{md}"
    );
    assert!(md.contains("| White vs BME | 2.50 | 1.13–5.55 |"), "{md}");
    assert!(md.contains("| BME | 225 | 12 | 5.3% | 0.40 |"), "{md}");
    assert!(
        md.contains("| Martian | 2 | not a wording rung knows"),
        "{md}"
    );
    // Every table row has as many cells as its header.
    let mut width = 0;
    for line in md.lines() {
        if line.starts_with('|') {
            let cells = line.matches(" | ").count() + 1;
            if width == 0 {
                width = cells;
            }
            assert_eq!(cells, width, "{line}");
        } else {
            width = 0;
        }
    }
}

/// Issue 17: exactly four-fifths is not adverse impact. White 5/6 vs BME
/// 4/6 is a relative likelihood of exactly 1.25; in the Social Care
/// direction White 75/100 vs BME 60/100 is exactly 0.80. Both sit inside
/// the 0.80–1.25 range, and the ratio shown is the boundary itself.
#[test]
fn exactly_four_fifths_is_inside_the_range_in_both_directions() {
    for (white, bme, direction, expected) in [
        ((6, 5), (6, 4), "nhs-wres", 1.25),
        ((100, 75), (100, 60), "sc-wres", 0.8),
    ] {
        let ds = Dataset::new();
        let mut rows = Vec::new();
        for (label, (n, k)) in [("White British", white), ("Indian", bme)] {
            for i in 0..n {
                let stage = if i < k { "appointed" } else { "shortlisted" };
                rows.push(format!("{label}{i},V1,{label},{stage}"));
            }
        }
        ds.write(
            "applications.csv",
            &csv("application_id,vacancy_id,ethnicity,furthest_stage", &rows),
        );
        let doc = ds.audit(&["--direction", direction]);
        let t = transition(&doc, "shortlisted", "appointed", &json!({}));
        let c = comparison(t, "BME");
        assert_eq!(f(&c["relative_likelihood"]), expected, "{direction}");
        assert_eq!(c["outside_range"], json!(false), "{direction}");
        // The four-fifths impact ratio (BME rate ÷ White rate) is 0.8 both times.
        assert_eq!(f(&group(t, "BME")["impact_ratio"]), 0.8, "{direction}");
        for finding in doc["findings"].as_array().unwrap() {
            let text = finding["text"].as_str().unwrap();
            assert!(!text.contains("outside the 0.80–1.25 range"), "{text}");
        }
    }
}

/// Issue 20: NHS and local government report by financial year (April to
/// March). `--by fy-quarter` and `--by fy` are derived from applied_on in
/// every date form, across year ends (2009/10, 2024/25 Q4 → 2025/26 Q1).
#[test]
fn financial_years_and_quarters_from_applied_on() {
    let ds = Dataset::new();
    ds.write(
        "applications.csv",
        "application_id,vacancy_id,ethnicity,applied_on,furthest_stage\n\
         A1,V1,White British,2025-03-31,applied\n\
         A2,V1,Indian,2025-04-01,appointed\n\
         A3,V1,Indian,15/01/2026,shortlisted\n\
         A4,V2,White British,2025-12-31,appointed\n\
         A5,V2,Indian,,applied\n\
         A6,V2,White British,2009-06-30,applied\n",
    );
    let doc = ds.audit(&["--by", "fy-quarter", "--by", "fy"]);
    let values = |column: &str| -> Vec<String> {
        let mut v: Vec<String> = doc["transitions"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|t| t["breakdown"][column].as_str().map(str::to_string))
            .collect();
        v.sort();
        v.dedup();
        v
    };
    assert_eq!(
        values("fy-quarter"),
        [
            "(missing)",
            "2009/10 Q1",
            "2024/25 Q4",
            "2025/26 Q1",
            "2025/26 Q3",
            "2025/26 Q4"
        ]
    );
    assert_eq!(values("fy"), ["(missing)", "2009/10", "2024/25", "2025/26"]);
    // Each financial year is set against the one before.
    assert!(
        doc["changes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["previous_period"] == "2024/25")
    );
}

/// The terminal report fits 100 columns (text wrapped, table cells wrapped),
/// with breakdowns, LL144 tables and scorecards; `--wide` keeps lines whole.
#[test]
fn the_terminal_report_fits_100_columns_unless_wide() {
    let sample = concat!(env!("CARGO_MANIFEST_DIR"), "/sample-data/quarterly");
    let fitted = output(
        std::path::Path::new(sample),
        "table",
        &[
            "--by",
            "organisation",
            "--scorecard",
            "--grouping",
            "eeo1",
            "--ll144",
        ],
    );
    let widest = fitted.lines().map(|l| l.chars().count()).max().unwrap();
    assert!(widest <= 100, "a line of {widest} columns");
    let wide = output(std::path::Path::new(sample), "table", &["--wide"]);
    assert!(wide.lines().any(|l| l.chars().count() > 100));
    // Wrapping loses no words: the findings read the same either way.
    let words = |text: &str| -> Vec<String> {
        let start = text.find("Findings").unwrap();
        let end = text.find("Data quality").unwrap();
        text[start..end]
            .split_whitespace()
            .map(String::from)
            .collect()
    };
    let plain = output(std::path::Path::new(sample), "table", &[]);
    assert_eq!(words(&plain), words(&wide));
}

/// The title names the period the applications cover, from applied_on
/// written ISO, UK style or as an Excel serial day (45900 is 31 August
/// 2025, counting from 30 December 1899); a value that is not a date is
/// left out.
#[test]
fn the_title_names_the_period_covered() {
    let ds = common::Dataset::new();
    let rows: Vec<String> = [
        ("A1", "White British", "shortlisted", "2025-07-01"),
        ("A2", "Indian", "applied", "30/07/2025"),
        ("A3", "White British", "applied", "45900"),
        ("A4", "Indian", "shortlisted", "soon"),
        ("A5", "White Irish", "applied", ""),
    ]
    .iter()
    .map(|(id, e, s, d)| format!("{id},V1,{e},{s},{d}"))
    .collect();
    ds.write(
        "applications.csv",
        &csv(
            "application_id,vacancy_id,ethnicity,furthest_stage,applied_on",
            &rows,
        ),
    );
    let audit = audit(ds.path(), &[]);
    assert_eq!(
        audit.data_quality.applied_between,
        Some(["2025-07-01".to_string(), "2025-08-31".to_string()])
    );
    let text = output(ds.path(), "markdown", &[]);
    assert!(
        text.starts_with(
            "# Recruitment funnel audit, applications of 1 July 2025 to 31 August 2025"
        ),
        "{text}"
    );
    let titled = output(ds.path(), "markdown", &["--title", "Trust X"]);
    assert!(titled.starts_with("# Trust X\n"));
}
