//! Panels and scores through the binary, on datasets whose answers are
//! known by construction or computed here independently.

mod common;

use common::*;
use serde_json::{Value, json};
use statrs::distribution::{ContinuousCDF, StudentsT};

/// scipy's example arrays (see src/stats/scores.rs): BME scores X, White Y.
const X: [i64; 10] = [3, 4, 4, 5, 6, 6, 6, 7, 8, 2];
const Y: [i64; 11] = [5, 6, 7, 7, 8, 8, 9, 6, 7, 5, 4];

/// One assessor (S1) scores every candidate; plus one row of each kind that
/// must be excluded.
fn scored_dataset() -> Dataset {
    let ds = Dataset::new();
    let mut apps = vec![];
    let mut events = vec![];
    let mut scores = vec![];
    let mut add = |id: String, label: &str, score: i64| {
        apps.push(format!("{id},V1,{label},Female,2025-02-10"));
        for s in ["applied", "shortlisted", "interviewed"] {
            events.push(format!("{id},{s}"));
        }
        scores.push(format!("{id},interviewed,S1,{score}"));
    };
    for (i, x) in X.iter().enumerate() {
        add(format!("B{i}"), "Indian", *x);
    }
    for (i, y) in Y.iter().enumerate() {
        add(format!("W{i}"), "White British", *y);
    }
    // Excluded: a repeat (first kept), an unknown application, an assessor
    // not on the panel, a stage the application never reached.
    scores.push("B0,interviewed,S1,9".into());
    scores.push("GHOST,interviewed,S1,5".into());
    scores.push("W0,interviewed,S9,5".into());
    scores.push("W1,offered,S1,5".into());
    ds.write(
        "applications.csv",
        &csv("application_id,vacancy_id,ethnicity,sex,applied_on", &apps),
    );
    ds.write("stage_events.csv", &csv("application_id,stage", &events));
    ds.write(
        "scores.csv",
        &csv("application_id,stage,assessor_id,score", &scores),
    );
    ds.write(
        "panel_members.csv",
        "vacancy_id,stage,member_id,member_ethnicity,member_sex\n\
         V1,interviewed,S1,White British,Female\nV1,interviewed,S2,Indian,Male\n",
    );
    ds
}

fn table<'a>(doc: &'a Value, name: &str) -> &'a Value {
    doc["data_quality"]["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["table"] == name)
        .unwrap_or_else(|| panic!("no {name} account"))
}

#[test]
fn score_gap_matches_scipy_and_exclusions_are_counted() {
    let ds = scored_dataset();
    let doc = ds.audit(&[]);
    let s = &doc["scoring"];
    assert_eq!(s["stage"], "interviewed");
    let cmp = s["comparisons"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["level"] == "assessor")
        .unwrap();
    assert_eq!(cmp["focal"], "BME");
    // scipy 1.17.1 on X and Y: mannwhitneyu(X, Y, method="asymptotic")
    // p = 0.08661005844334255 (U = 30.5); ttest_ind(X, Y, equal_var=False)
    // p = 0.06757150794011894; Hedges' g −0.82596114409524 (numpy).
    assert_close(
        f(&cmp["p_mann_whitney"]),
        0.08661005844334255,
        1e-9,
        "MWU p",
    );
    assert_close(f(&cmp["u"]), 30.5, 1e-12, "U");
    assert_close(f(&cmp["p_welch"]), 0.06757150794011894, 1e-8, "Welch p");
    assert_close(f(&cmp["hedges_g"]), -0.82596114409524, 1e-10, "g");
    assert_close(f(&cmp["mean_gap"]), 5.1 - 72.0 / 11.0, 1e-12, "gap");
    let bme = s["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["group"] == "BME" && g["level"] == "application")
        .unwrap();
    assert_eq!(u(&bme["n"]), 10);
    assert_close(f(&bme["median"]), 5.5, 1e-12, "median");

    let account = table(&doc, "scores");
    assert_eq!(u(&account["rows_read"]), 25);
    assert_eq!(u(&account["rows_used"]), 21);
    let reasons: Vec<(String, u64)> = account["excluded"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["reason"].as_str().unwrap().to_string(), u(&e["rows"])))
        .collect();
    for needle in [
        "repeat",
        "not in the applications table",
        "not on the vacancy's panel",
        "never reached",
    ] {
        assert!(
            reasons.iter().any(|(r, n)| r.contains(needle) && *n == 1),
            "{needle}: {reasons:?}"
        );
    }
}

#[test]
fn ll144_scoring_rate_by_hand() {
    let ds = scored_dataset();
    let doc = ds.audit(&[]);
    let ll = &doc["scoring"]["ll144"];
    // All 21 scores: median 6. Above 6: X has 7, 8 (2 of 10); Y has
    // 7, 7, 8, 8, 9, 7 (6 of 11).
    assert_close(f(&ll["median"]), 6.0, 1e-12, "median");
    let cat = |name: &str| {
        ll["categories"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["category"] == name)
            .unwrap_or_else(|| panic!("{name}"))
            .clone()
    };
    assert_eq!(u(&cat("BME")["above_median"]), 2);
    assert_eq!(u(&cat("White")["above_median"]), 6);
    assert_close(
        f(&cat("BME")["impact_ratio"]),
        (2.0 / 10.0) / (6.0 / 11.0),
        1e-12,
        "IR",
    );
    assert_eq!(u(&cat("Female")["n"]), 21);
    assert_eq!(u(&cat("White × Female")["n"]), 11);
}

#[test]
fn profile_maps_text_ratings_and_drops_no_decision() {
    let ds = scored_dataset();
    let text = std::fs::read_to_string(ds.path().join("scores.csv")).unwrap();
    let text = text.replace(",S1,9\n", ",S1,strong_yes\n") + "W2,interviewed,S2,no_decision\n";
    ds.write("scores.csv", &text);
    let err = run_error(&["audit", ds.path().to_str().unwrap()]);
    assert!(
        err.contains("scores.csv")
            && err.contains("'strong_yes'")
            && err.contains("[score_values]"),
        "{err}"
    );
    let profile = ds.write(
        "p.toml",
        "[score_values]\nstrong_yes = 4\nno_decision = \"ignore\"\n",
    );
    let doc = ds.audit(&["--profile", profile.to_str().unwrap()]);
    let account = table(&doc, "scores");
    assert!(
        account["excluded"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["reason"].as_str().unwrap().contains("ignore") && e["rows"] == 1),
        "{account}"
    );
}

/// Five vacancies of known panel make-up; an applicant pool per vacancy.
fn panel_dataset() -> Dataset {
    let ds = Dataset::new();
    let mut apps = vec![];
    let mut events = vec![];
    // vacancy, grade, [(label, furthest stage index, how many)]
    type People = &'static [(&'static str, usize, usize)];
    let plan: [(&str, &str, People); 5] = [
        (
            "V1",
            "Band 8a",
            &[
                ("White British", 3, 6),
                ("White British", 2, 4),
                ("Indian", 3, 5),
                ("Indian", 2, 5),
            ],
        ),
        (
            "V2",
            "Band 5",
            &[
                ("White British", 3, 8),
                ("White British", 2, 2),
                ("Indian", 3, 2),
                ("Indian", 2, 8),
            ],
        ),
        (
            "V3",
            "Band 8b",
            &[("White British", 3, 3), ("Indian", 2, 3)],
        ),
        ("V4", "Band 6", &[("White British", 1, 3), ("Indian", 1, 3)]),
        ("V5", "Band 9", &[("White British", 2, 2), ("Indian", 2, 2)]),
    ];
    const STAGES: [&str; 5] = [
        "applied",
        "shortlisted",
        "interviewed",
        "offered",
        "appointed",
    ];
    let mut n = 0;
    for (vacancy, grade, people) in plan {
        for (label, reached, count) in people {
            for _ in 0..*count {
                n += 1;
                apps.push(format!(
                    "A{n},{vacancy},{label},{grade},Org{}",
                    &vacancy[1..]
                ));
                for s in STAGES.iter().take(reached + 1) {
                    events.push(format!("A{n},{s}"));
                }
            }
        }
    }
    ds.write(
        "applications.csv",
        &csv(
            "application_id,vacancy_id,ethnicity,grade,organisation",
            &apps,
        ),
    );
    ds.write("stage_events.csv", &csv("application_id,stage", &events));
    ds.write(
        "panel_members.csv",
        "vacancy_id,stage,member_id,member_ethnicity,member_sex\n\
         V1,interviewed,M1,White British,Female\n\
         V1,interviewed,M2,Black African,Female\n\
         V1,interviewed,M3,White Irish,Male\n\
         V1,interviewed,M3,White Irish,Male\n\
         V2,interviewed,M4,White British,Male\n\
         V2,interviewed,M5,White British,Female\n\
         V2,interviewed,M6,Any other White background,Male\n\
         V3,interviewed,M7,White British,Male\n\
         V3,interviewed,M8,Prefer not to say,Male\n\
         V5,interviewed,M9,Pakistani,Male\n\
         V5,interviewed,M10,White British,Male\n\
         V9,interviewed,M11,White British,Female\n\
         V1,shortlisted,M1,White British,Female\n",
    );
    ds
}

#[test]
fn panel_composition_and_outcomes_by_panel_type() {
    let ds = panel_dataset();
    let doc = ds.audit(&["--by", "organisation"]);
    let p = &doc["panels"];
    assert_eq!(p["panel_stage"], "interviewed");
    assert_eq!(u(&p["vacancies"]), 5);
    assert_eq!(u(&p["vacancies_with_panel"]), 4);
    assert_eq!(u(&p["vacancies_diverse"]), 2); // V1, V5
    assert_eq!(u(&p["vacancies_all_white"]), 1); // V2
    assert_eq!(u(&p["vacancies_other"]), 1); // V3: one member declined
    assert_eq!(u(&p["vacancies_shortlisted_without_panel"]), 1); // V4
    assert_eq!(u(&p["panels_for_unknown_vacancies"]), 1); // V9
    assert_eq!(p["members_by_group"], json!({"BME": 2, "White": 8}));
    let v1 = p["compositions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["vacancy_id"] == "V1" && c["stage"] == "interviewed")
        .unwrap();
    assert_eq!(u(&v1["size"]), 3, "M3 listed twice counts once");
    // Members per group, in the order of the groups' names (wres lists
    // White first), as a map of them is written.
    assert_eq!(
        serde_json::to_string(&v1["by_group"]).unwrap(),
        r#"{"BME":1,"White":2}"#
    );
    assert_eq!(u(&v1["women"]), 2);
    assert_eq!(v1["diverse"], true);
    let panels_account = table(&doc, "panel_members");
    assert_eq!(u(&panels_account["rows_read"]), 13);
    assert_eq!(u(&panels_account["rows_excluded"]), 1);

    // interviewed → offered with diverse panels (V1 + V5): White 6/10,
    // BME 5/12; with the all-White panel (V2): White 8/10, BME 2/10.
    let by_type = |t: &str| {
        p["by_panel_type"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["panel_type"] == t)
            .unwrap()
            .clone()
    };
    let diverse = by_type("diverse");
    assert_eq!(u(&diverse["vacancies"]), 2);
    let step = transition(&diverse, "interviewed", "offered", &json!({}));
    assert_eq!(
        (
            u(&group(step, "White")["entered"]),
            u(&group(step, "White")["progressed"])
        ),
        (12, 6)
    );
    assert_eq!(
        (
            u(&group(step, "BME")["entered"]),
            u(&group(step, "BME")["progressed"])
        ),
        (12, 5)
    );
    let white = by_type("all_white");
    let step = transition(&white, "interviewed", "offered", &json!({}));
    assert_eq!(
        (
            u(&group(step, "White")["progressed"]),
            u(&group(step, "BME")["progressed"])
        ),
        (8, 2)
    );

    // Ratio of the two RLs from the Katz standard errors, by hand.
    let katz = |a: f64, n1: f64, c: f64, n2: f64| {
        (
            (a / n1) / (c / n2),
            (1.0 / a - 1.0 / n1 + 1.0 / c - 1.0 / n2).sqrt(),
        )
    };
    let (rl_d, se_d) = katz(6.0, 12.0, 5.0, 12.0);
    let (rl_w, se_w) = katz(8.0, 10.0, 2.0, 10.0);
    let se = (se_d * se_d + se_w * se_w).sqrt();
    let z = (rl_d / rl_w).ln() / se;
    let p_expected = 2.0 * (1.0 - statrs::distribution::Normal::standard().cdf(z.abs()));
    let d = p["panel_type_difference"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["from"] == "interviewed" && d["to"] == "offered")
        .unwrap();
    assert_close(f(&d["ratio_of_rl"]), rl_d / rl_w, 1e-12, "ratio of RL");
    assert_close(f(&d["p"]), p_expected, 1e-9, "p");
    assert_close(
        f(&d["ci_low"]),
        (rl_d / rl_w) * (-1.959963984540054 * se).exp(),
        1e-9,
        "low",
    );

    // Breakdown rows by organisation.
    let breakdowns = p["breakdowns"].as_array().unwrap();
    assert_eq!(breakdowns.len(), 5);
    assert!(
        breakdowns
            .iter()
            .any(|b| b["breakdown"] == json!({"organisation": "Org4"})
                && b["vacancies_shortlisted_without_panel"] == 1)
    );
}

#[test]
fn panel_policy_compliance() {
    let ds = panel_dataset();
    let policy = ds.write(
        "policy.toml",
        "name = \"Senior panels\"\n[[rule]]\nname = \"Band 8a and above\"\nfrom_grade = \"Band 8a\"\nmin_members = 3\nmin_focal = 1\nmin_women = 2\n",
    );
    let doc = ds.audit(&["--panel-policy", policy.to_str().unwrap()]);
    let pol = &doc["panels"]["policy"];
    // Covered: V1 (8a), V3 (8b), V5 (9). V1 complies; V3 has no focal
    // member, one woman... fails; V5 has two members and no women.
    assert_eq!(u(&pol["total"]["covered"]), 3);
    assert_eq!(u(&pol["total"]["compliant"]), 1);
    assert_eq!(u(&pol["total"]["non_compliant"]), 2);
    let failing: Vec<&str> = pol["non_compliant_vacancies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["vacancy_id"].as_str().unwrap())
        .collect();
    assert_eq!(failing, ["V3", "V5"]);
    let v5 = &pol["non_compliant_vacancies"][1];
    assert_eq!(v5["reasons"].as_array().unwrap().len(), 2, "{v5}");
    let grades: Vec<&str> = pol["by_grade"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["grade"].as_str().unwrap())
        .collect();
    assert_eq!(grades, ["Band 5", "Band 6", "Band 8a", "Band 8b", "Band 9"]);

    let bad = ds.write("bad.toml", "[[rule]]\nname = \"x\"\nmin_bme = 1\n");
    let err = run_error(&[
        "audit",
        ds.path().to_str().unwrap(),
        "--panel-policy",
        bad.to_str().unwrap(),
    ]);
    assert!(err.contains("bad.toml") && err.contains("line"), "{err}");
}

/// S1 chairs every panel and marks BME candidates 2 points down; the other
/// seats rotate through a pool, so no colleague sees ten of each group.
#[test]
fn a_biased_assessor_is_flagged_with_the_right_differential() {
    let ds = Dataset::new();
    let (mut apps, mut events, mut scores, mut panels) = (vec![], vec![], vec![], vec![]);
    let mut s1 = (vec![], vec![]); // (reference differentials, focal)
    for i in 0..40usize {
        let vacancy = format!("V{}", i / 2);
        let bme = i % 2 == 1;
        let id = format!("A{i}");
        apps.push(format!(
            "{id},{vacancy},{}",
            if bme {
                "Black Caribbean"
            } else {
                "White British"
            }
        ));
        for s in ["applied", "shortlisted", "interviewed"] {
            events.push(format!("{id},{s}"));
        }
        let base = 5 + (i % 4) as i64;
        let colleagues = [format!("C{}", (i / 2) % 7), format!("D{}", (i / 2) % 5)];
        if i % 2 == 0 {
            panels.push(format!("{vacancy},interviewed,S1,White British"));
            for c in &colleagues {
                panels.push(format!("{vacancy},interviewed,{c},White British"));
            }
        }
        let own = base + (i % 3) as i64 - 1 - if bme { 2 } else { 0 };
        let others = [base, base + (i % 2) as i64];
        scores.push(format!("{id},interviewed,S1,{own}"));
        for (c, v) in colleagues.iter().zip(others) {
            scores.push(format!("{id},interviewed,{c},{v}"));
        }
        let d = own as f64 - (others[0] + others[1]) as f64 / 2.0;
        if bme { s1.1.push(d) } else { s1.0.push(d) }
    }
    ds.write(
        "applications.csv",
        &csv("application_id,vacancy_id,ethnicity", &apps),
    );
    ds.write("stage_events.csv", &csv("application_id,stage", &events));
    ds.write(
        "scores.csv",
        &csv("application_id,stage,assessor_id,score", &scores),
    );
    ds.write(
        "panel_members.csv",
        &csv("vacancy_id,stage,member_id,member_ethnicity", &panels),
    );
    let doc = ds.audit(&[]);
    let checks = doc["scoring"]["assessors"].as_array().unwrap();
    let s1_check = checks.iter().find(|a| a["assessor_id"] == "S1").unwrap();
    // Welch by hand.
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let var = |v: &[f64]| {
        let m = mean(v);
        v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (v.len() as f64 - 1.0)
    };
    let (r, fo) = (&s1.0, &s1.1);
    let diff = mean(fo) - mean(r);
    let (a, b) = (var(fo) / fo.len() as f64, var(r) / r.len() as f64);
    let df = (a + b).powi(2) / (a * a / (fo.len() as f64 - 1.0) + b * b / (r.len() as f64 - 1.0));
    let t = diff / (a + b).sqrt();
    let p = 2.0 * StudentsT::new(0.0, 1.0, df).unwrap().cdf(-t.abs());
    assert_close(f(&s1_check["differential"]), diff, 1e-12, "differential");
    assert_close(f(&s1_check["p"]), p, 1e-9, "p");
    assert_eq!(u(&s1_check["n_focal"]), 20);
    assert_eq!(s1_check["flagged"], true);
    // Colleagues saw fewer than 10 of each group: checked, never flagged.
    for c in checks.iter().filter(|a| a["assessor_id"] != "S1") {
        assert!(c["p"].is_null() && c["flagged"] == false, "{c}");
    }
    assert_eq!(doc["scoring"]["assessors_checked"], 1);

    // Published: no assessor ids anywhere.
    let out = run(&[
        "audit",
        ds.path().to_str().unwrap(),
        "--format",
        "json",
        "--publish",
    ]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        !text.contains("\"S1\"") && !text.contains("C1"),
        "ids leaked"
    );
    let published: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(published["scoring"]["assessors_flagged"], 1);
    assert_eq!(published["scoring"]["ids_removed"], true);
}

/// rung generate injects a biased assessor, a widening gap and better BME
/// offer rates with diverse panels (docs/generator.md): rung finds them.
#[test]
fn generated_effects_are_recovered() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("gen");
    let status = rung()
        .args([
            "generate",
            "--applications",
            "60000",
            "--seed",
            "8",
            "--out",
            out.to_str().unwrap(),
        ])
        .status()
        .unwrap();
    assert!(status.success());
    let doc = run_json(&["audit", out.to_str().unwrap(), "--format", "json"]);
    let s = &doc["scoring"];
    let flagged: Vec<&str> = s["assessors"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["flagged"] == true)
        .map(|a| a["assessor_id"].as_str().unwrap())
        .collect();
    assert!(flagged.contains(&"E001-0001"), "{flagged:?}");
    let biased = s["assessors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["assessor_id"] == "E001-0001")
        .unwrap();
    // −1.5 points against the mean of two unbiased colleagues.
    assert!((f(&biased["differential"]) + 1.5).abs() < 0.3, "{biased}");
    assert_eq!(s["drift"]["direction"], "widening");
    assert!(
        (f(&s["drift"]["slope"]) + 0.15).abs() < 0.05,
        "{}",
        s["drift"]
    );
    let d = doc["panels"]["panel_type_difference"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["from"] == "interviewed" && d["to"] == "offered")
        .unwrap();
    // Expected ratio 0.80 / 0.95 = 0.84.
    assert!(f(&d["ratio_of_rl"]) < 1.0 && f(&d["p"]) < 0.05, "{d}");
}

/// Quarters come from applied_on, or from the interview date with
/// `--period-from interview`; both ISO and UK day-first dates are read, and
/// anything else is counted as undated.
#[test]
fn drift_periods_from_applied_or_interview_dates() {
    let ds = Dataset::new();
    let (mut apps, mut events, mut scores) = (vec![], vec![], vec![]);
    for i in 0..24usize {
        let bme = i % 2 == 1;
        let id = format!("A{i}");
        // Applied in 2025 Q1 (ISO) or Q2 (UK form); interviewed a quarter later.
        let (applied, interviewed) = match i % 4 {
            0 | 1 => ("2025-02-01", "2025-04-15"),
            _ => ("15/05/2025", "2025-08-01"),
        };
        let applied = if i == 23 { "sometime" } else { applied };
        apps.push(format!(
            "{id},V1,{},{applied}",
            if bme { "Indian" } else { "White British" }
        ));
        events.push(format!("{id},applied,{applied}"));
        events.push(format!("{id},shortlisted,"));
        events.push(format!("{id},interviewed,{interviewed}"));
        let score = 5 + (i % 3) as i64 - if bme { 1 } else { 0 };
        scores.push(format!("{id},interviewed,S1,{score}"));
    }
    ds.write(
        "applications.csv",
        &csv("application_id,vacancy_id,ethnicity,applied_on", &apps),
    );
    ds.write(
        "stage_events.csv",
        &csv("application_id,stage,entered_at", &events),
    );
    ds.write(
        "scores.csv",
        &csv("application_id,stage,assessor_id,score", &scores),
    );
    let periods = |doc: &Value| -> Vec<(String, u64, u64)> {
        doc["scoring"]["drift"]["periods"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p["period"].as_str().unwrap().to_string(),
                    u(&p["n_reference"]),
                    u(&p["n_focal"]),
                )
            })
            .collect()
    };
    let applied = ds.audit(&[]);
    assert_eq!(
        periods(&applied),
        [("2025Q1".to_string(), 6, 6), ("2025Q2".to_string(), 6, 5)]
    );
    assert_eq!(applied["scoring"]["drift"]["undated"], 1);
    let interview = ds.audit(&["--period-from", "interview"]);
    assert_eq!(
        periods(&interview),
        [("2025Q2".to_string(), 6, 6), ("2025Q3".to_string(), 6, 6)]
    );
    assert_eq!(interview["scoring"]["drift"]["period_from"], "interview");
}

/// A breakdown by the vacancy itself, beside panels (which also key on the
/// vacancy): once a duplicate-column error inside the counting pass.
#[test]
fn breakdown_by_vacancy_beside_panels() {
    let sample = concat!(env!("CARGO_MANIFEST_DIR"), "/sample-data/quarterly");
    let doc = common::run_json(&["audit", sample, "--by", "vacancy_id", "--format", "json"]);
    let rows: std::collections::BTreeSet<String> = doc["transitions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["breakdown"]["vacancy_id"].as_str().map(String::from))
        .collect();
    assert_eq!(
        rows.len() as u64,
        doc["panels"]["vacancies"].as_u64().unwrap()
    );
}

/// The panel dataset again, with members' ethnicity and sex taken from an
/// HR staff file joined on member_id instead of the panel file.
#[test]
fn panel_ethnicity_from_a_staff_file_gives_the_same_panels() {
    let direct = panel_dataset().audit(&["--by", "organisation"]);
    let ds = panel_dataset();
    // The panel file's own values: blank, except M11 (no HR record: its own
    // value is used) and M4 (HR's record wins over a wrong value here).
    ds.write(
        "panel_members.csv",
        "vacancy_id,stage,member_id,member_ethnicity,member_sex\n\
         V1,interviewed,M1,,\n\
         V1,interviewed,M2,,\n\
         V1,interviewed,M3,,\n\
         V1,interviewed,M3,,\n\
         V2,interviewed,M4,Indian,\n\
         V2,interviewed,M5,,\n\
         V2,interviewed,M6,,\n\
         V3,interviewed,M7,,\n\
         V3,interviewed,M8,,\n\
         V5,interviewed,M9,,\n\
         V5,interviewed,M10,,\n\
         V9,interviewed,M11,White British,Female\n\
         V1,shortlisted,M1,,\n",
    );
    ds.write(
        "staff.csv",
        "member_id,member_ethnicity,member_sex,department\n\
         M1,White British,Female,HR\n\
         M2,Black African,Female,Finance\n\
         M3,White Irish,Male,Estates\n\
         M3,Indian,Male,Estates\n\
         M4,White British,Male,IT\n\
         M5,White British,Female,IT\n\
         M6,Any other White background,Male,IT\n\
         M7,White British,Male,Nursing\n\
         M8,Prefer not to say,Male,Nursing\n\
         M9,Pakistani,Male,Nursing\n\
         M10,White British,Male,Nursing\n\
         ,Indian,Female,Nursing\n\
         M99,Chinese,Male,Pharmacy\n",
    );
    let joined = ds.audit(&["--by", "organisation"]);
    let mut panels = joined["panels"].clone();
    assert_eq!(panels["members_not_in_staff"], 1, "M11");
    panels
        .as_object_mut()
        .unwrap()
        .remove("members_not_in_staff");
    assert_eq!(panels, direct["panels"]);
    assert_eq!(joined["transitions"], direct["transitions"]);
    assert!(direct["panels"].get("members_not_in_staff").is_none());

    let staff = table(&joined, "staff");
    assert_eq!(u(&staff["rows_read"]), 13);
    assert_eq!(u(&staff["rows_used"]), 11);
    let reasons: Vec<(&str, u64)> = staff["excluded"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["reason"].as_str().unwrap(), u(&e["rows"])))
        .collect();
    assert_eq!(
        reasons,
        [
            ("missing member_id", 1),
            (
                "repeat of an employee already listed (the first row's values are used)",
                1
            )
        ]
    );
    let text = String::from_utf8(run(&["audit", ds.path().to_str().unwrap()]).stdout).unwrap();
    assert!(
        text.contains("Panel members with no record in the staff file: 1"),
        "{text}"
    );
}

/// Without a staff file the panel file must carry member_ethnicity; with
/// one it need not.
#[test]
fn member_ethnicity_column_is_needed_only_without_a_staff_file() {
    let ds = panel_dataset();
    ds.write(
        "panel_members.csv",
        "vacancy_id,stage,member_id\nV1,interviewed,M1\nV1,interviewed,M2\n",
    );
    let err = run_error(&["audit", ds.path().to_str().unwrap()]);
    assert!(err.contains("member_ethnicity"), "{err}");
    ds.write(
        "staff.csv",
        "member_id,member_ethnicity\nM1,White British\nM2,Black African\n",
    );
    let doc = ds.audit(&[]);
    assert_eq!(
        doc["panels"]["members_by_group"],
        json!({"BME": 1, "White": 1})
    );
    assert_eq!(doc["panels"]["members_not_in_staff"], 0);
}
