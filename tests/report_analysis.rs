//! Report-wide analysis through the binary: pooled estimates across
//! breakdown rows, sensitivity to unknown ethnicity, disclosure by stage,
//! provenance and reproducible output.

mod common;

use common::*;
use serde_json::{Value, json};

/// Applications of one organisation: (label, entered, progressed) at
/// applied → shortlisted.
fn write_strata(ds: &Dataset, strata: &[(&str, &str, u64, u64)]) {
    let (mut apps, mut events) = (vec![], vec![]);
    let mut n = 0;
    for (org, label, entered, progressed) in strata {
        for i in 0..*entered {
            n += 1;
            apps.push(format!("A{n},V{org},{label},{org}"));
            events.push(format!("A{n},applied"));
            if i < *progressed {
                events.push(format!("A{n},shortlisted"));
            }
        }
    }
    ds.write(
        "applications.csv",
        &csv("application_id,vacancy_id,ethnicity,organisation", &apps),
    );
    ds.write("stage_events.csv", &csv("application_id,stage", &events));
}

fn pooled<'a>(doc: &'a Value, from: &str, to: &str) -> &'a Value {
    doc["pooled"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["from"] == from && p["to"] == to && p["by"] == "organisation")
        .unwrap()
}

#[test]
fn mantel_haenszel_across_organisations() {
    let ds = Dataset::new();
    // The strata of the statsmodels cross-check in src/stats/pooling.rs,
    // plus an organisation with no BME applicants (dropped).
    write_strata(
        &ds,
        &[
            ("O1", "White British", 100, 30),
            ("O1", "Indian", 100, 20),
            ("O2", "White British", 40, 15),
            ("O2", "Indian", 120, 30),
            ("O3", "White British", 60, 8),
            ("O3", "Indian", 50, 4),
            ("O4", "White British", 10, 5),
        ],
    );
    let doc = run_json(&[
        "audit",
        ds.path().to_str().unwrap(),
        "--format",
        "json",
        "--by",
        "organisation",
    ]);
    let p = pooled(&doc, "applied", "shortlisted");
    assert_close(f(&p["rr_mh"]), 1.5184757505773674, 1e-12, "RR_MH");
    assert_close(f(&p["ci_low"]), 1.079685047690589, 1e-10, "low");
    assert_close(f(&p["ci_high"]), 2.1355937178378666, 1e-10, "high");
    assert_close(f(&p["p_cmh"]), 0.016756632058203325, 1e-9, "CMH p");
    assert_close(f(&p["p_homogeneity"]), 0.9953288951645052, 1e-9, "BD p");
    // Issue 17: the statistics behind the p values, and the odds ratio with
    // its Robins-Breslow-Greenland interval (statsmodels 0.15
    // StratifiedTable on the same three strata).
    assert_close(f(&p["cmh_chi2"]), 5.7216860381857835, 1e-9, "CMH χ²");
    assert_eq!(u(&p["cmh_df"]), 1);
    assert_close(
        f(&p["homogeneity_chi2"]),
        0.009364097076883338,
        1e-7,
        "BD χ²",
    );
    assert_eq!(u(&p["homogeneity_df"]), 2);
    assert_close(f(&p["or_mh"]), 1.751527324462298, 1e-10, "OR_MH");
    assert_close(f(&p["or_ci_low"]), 1.1044677163828804, 1e-7, "OR low");
    assert_close(f(&p["or_ci_high"]), 2.7776710200142603, 1e-7, "OR high");
    assert_eq!(u(&p["strata_used"]), 3);
    assert_eq!(u(&p["strata_dropped"]), 1);
    // Crude: (58/210) / (54/270).
    assert_close(
        f(&p["crude_rl"]),
        (58.0 / 210.0) / (54.0 / 270.0),
        1e-12,
        "crude",
    );
    assert!(p["note"].is_null(), "{p}");

    // SC-WRES states the pooled ratio the other way up.
    let sc = run_json(&[
        "audit",
        ds.path().to_str().unwrap(),
        "--format",
        "json",
        "--by",
        "organisation",
        "--direction",
        "sc-wres",
    ]);
    let q = pooled(&sc, "applied", "shortlisted");
    assert_close(f(&q["rr_mh"]), 1.0 / 1.5184757505773674, 1e-12, "SC RR");
    assert_close(f(&q["ci_low"]), 1.0 / 2.1355937178378666, 1e-10, "SC low");
    assert_close(f(&q["or_mh"]), 1.0 / 1.751527324462298, 1e-10, "SC OR");
    assert_close(
        f(&q["or_ci_low"]),
        1.0 / 2.7776710200142603,
        1e-7,
        "SC OR low",
    );
}

#[test]
fn simpsons_paradox_is_called_out() {
    let ds = Dataset::new();
    // Within each organisation BME applicants do better; overall worse,
    // because most BME applicants applied where few are shortlisted.
    write_strata(
        &ds,
        &[
            ("A", "White British", 100, 90),
            ("A", "Indian", 20, 19),
            ("B", "White British", 20, 2),
            ("B", "Indian", 100, 15),
        ],
    );
    let doc = run_json(&[
        "audit",
        ds.path().to_str().unwrap(),
        "--format",
        "json",
        "--by",
        "organisation",
    ]);
    let p = pooled(&doc, "applied", "shortlisted");
    assert!(f(&p["crude_rl"]) > 1.0 && f(&p["rr_mh"]) < 1.0, "{p}");
    assert!(p["note"].as_str().unwrap().contains("Simpson"), "{p}");
}

#[test]
fn unknown_ethnicity_bounds_and_disclosure_by_stage() {
    let ds = Dataset::new();
    write_strata(
        &ds,
        &[
            ("O1", "White British", 50, 25),
            ("O1", "Indian", 50, 15),
            ("O1", "Prefer not to say", 20, 10),
        ],
    );
    let doc = run_json(&["audit", ds.path().to_str().unwrap(), "--format", "json"]);
    let s = doc["sensitivity"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["from"] == "applied" && s["to"] == "shortlisted" && s["breakdown"] == json!({}))
        .unwrap();
    assert_eq!(u(&s["unknown_entered"]), 20);
    assert_close(f(&s["rl"]), 0.5 / 0.3, 1e-12, "rl");
    // All unknowns White: 35/70 vs 15/50; all BME: 25/50 vs 25/70.
    assert_close(
        f(&s["rl_unknowns_all_reference"]),
        (35.0 / 70.0) / 0.3,
        1e-12,
        "bound",
    );
    assert_close(
        f(&s["rl_unknowns_all_focal"]),
        0.5 / (25.0 / 70.0),
        1e-12,
        "bound",
    );
    // The widest range: the 10 unknowns who progressed BME and the 10 who
    // did not White (25/60 vs 25/60), or the other way round (35/60 vs
    // 15/60). Worst-case bounds, worked by hand.
    assert_close(f(&s["rl_lowest"]), 1.0, 1e-12, "lowest");
    assert_close(f(&s["rl_highest"]), 35.0 / 15.0, 1e-12, "highest");

    let stages = doc["data_quality"]["disclosure_by_stage"]
        .as_array()
        .unwrap();
    assert_eq!(stages[0]["stage"], "applied");
    assert_eq!(
        (u(&stages[0]["applicants"]), u(&stages[0]["known"])),
        (120, 100)
    );
    assert_eq!(
        (u(&stages[1]["applicants"]), u(&stages[1]["known"])),
        (50, 40)
    );
    assert_close(f(&stages[1]["rate"]), 0.8, 1e-12, "rate");
}

#[test]
fn provenance_and_byte_identical_reruns() {
    let ds = Dataset::new();
    write_strata(
        &ds,
        &[("O1", "White British", 10, 5), ("O1", "Indian", 10, 3)],
    );
    let path = ds.path().to_str().unwrap();
    let args = [
        "audit",
        path,
        "--format",
        "json",
        "--generated-at",
        "2026-01-01T00:00:00Z",
    ];
    let one = run(&args);
    let two = run(&args);
    assert!(one.status.success());
    assert_eq!(
        one.stdout, two.stdout,
        "same inputs and time give the same bytes"
    );
    let doc: Value = serde_json::from_slice(&one.stdout).unwrap();
    let p = &doc["provenance"];
    assert_eq!(p["generated_at"], "2026-01-01T00:00:00Z");
    assert_eq!(p["version"], doc["tool"]["version"]);
    assert!(p["command"].as_str().unwrap().contains("--generated-at"));
    assert_eq!(p["inputs"].as_array().unwrap().len(), 2);
    assert_eq!(p["settings"], doc["settings"]);

    // SOURCE_DATE_EPOCH fixes the time too.
    let out = rung()
        .args(["audit", path, "--format", "json"])
        .env("SOURCE_DATE_EPOCH", "0")
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["provenance"]["generated_at"], "1970-01-01T00:00:00Z");
}

#[test]
fn change_since_the_previous_period() {
    let then = Dataset::new();
    write_strata(
        &then,
        &[("O1", "White British", 200, 100), ("O1", "Indian", 200, 50)],
    );
    let now = Dataset::new();
    write_strata(
        &now,
        &[("O1", "White British", 200, 90), ("O1", "Indian", 200, 80)],
    );
    let doc = run_json(&[
        "audit",
        now.path().to_str().unwrap(),
        "--previous",
        then.path().to_str().unwrap(),
        "--format",
        "json",
    ]);
    let c = doc["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["from"] == "applied" && c["to"] == "shortlisted" && c["breakdown"] == json!({}))
        .unwrap();
    // Then 0.5/0.25 = 2.0; now 0.45/0.40 = 1.125; by hand from the Katz
    // standard errors of the two logs.
    let se = |a: f64, n1: f64, c: f64, n2: f64| 1.0 / a - 1.0 / n1 + 1.0 / c - 1.0 / n2;
    let (rl_then, rl_now): (f64, f64) = (2.0, 1.125);
    let s = (se(100.0, 200.0, 50.0, 200.0) + se(90.0, 200.0, 80.0, 200.0)).sqrt();
    let z = (rl_now / rl_then).ln() / s;
    let p = statrs::function::erf::erfc(z.abs() / std::f64::consts::SQRT_2);
    assert_close(f(&c["rl_previous"]), rl_then, 1e-12, "then");
    assert_close(f(&c["rl_current"]), rl_now, 1e-12, "now");
    assert_close(f(&c["ratio"]), rl_now / rl_then, 1e-12, "ratio");
    assert_close(f(&c["p"]), p, 1e-9, "p");
    assert!(
        c["summary"].as_str().unwrap().contains("from 2.00 to 1.12")
            || c["summary"].as_str().unwrap().contains("from 2.00 to 1.13"),
        "{c}"
    );
    assert!(c["summary"].as_str().unwrap().contains("more than chance"));
    assert_eq!(
        doc["provenance"]["previous_inputs"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

/// The WRES return rows: the indicator 2 step's counts, not stated = the
/// unknown classes, and the ratio in both directions equal to the audit's
/// own comparison in each direction.
#[test]
fn wres_indicator_2_rows_for_the_return() {
    let sample = concat!(env!("CARGO_MANIFEST_DIR"), "/sample-data/quarterly");
    let nhs = run_json(&["audit", sample, "--by", "organisation", "--format", "json"]);
    let sc = run_json(&[
        "audit",
        sample,
        "--by",
        "organisation",
        "--format",
        "json",
        "--direction",
        "sc-wres",
    ]);
    let rows = nhs["wres_indicator_2"].as_array().unwrap();
    assert_eq!(rows.len(), 4, "whole dataset and three organisations");
    for w in rows {
        let t = transition(&nhs, "shortlisted", "appointed", &w["breakdown"]);
        assert_eq!(w["shortlisted_white"], group(t, "White")["entered"]);
        assert_eq!(w["appointed_bme"], group(t, "BME")["progressed"]);
        let not_stated: u64 = t["unknown"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["entered"].as_u64().unwrap())
            .sum();
        assert_eq!(w["shortlisted_not_stated"].as_u64(), Some(not_stated));
        let rl = f(&comparison(t, "BME")["relative_likelihood"]);
        assert_close(f(&w["rl_nhs_wres"]), rl, 1e-12, "NHS WRES direction");
        let t_sc = transition(&sc, "shortlisted", "appointed", &w["breakdown"]);
        let rl_sc = f(&comparison(t_sc, "BME")["relative_likelihood"]);
        assert_close(f(&w["rl_sc_wres"]), rl_sc, 1e-12, "SC-WRES direction");
    }
    // Other groupings have no WRES return.
    let ons = run_json(&["audit", sample, "--grouping", "ons5", "--format", "json"]);
    assert!(ons.get("wres_indicator_2").is_none());
}

/// P(X ≤ x) for X ~ Binomial(n, p), summed directly.
fn binomial_cdf(n: u64, p: f64, x: u64) -> f64 {
    let mut total = 0.0;
    let mut coef = 1.0_f64; // C(n, k)
    for k in 0..=x {
        if k > 0 {
            coef *= (n - k + 1) as f64 / k as f64;
        }
        total += coef * p.powi(k as i32) * (1.0 - p).powi((n - k) as i32);
    }
    total
}

/// Shortlists against the pool and against a benchmark: 60 White and 40 BME
/// applied to organisation A; 16 and 4 shortlisted. Against the pool (40%
/// BME) 8 BME were expected, 4 fewer; against a benchmark of 50% BME for A,
/// 10 were expected.
#[test]
fn stages_against_the_pool_and_an_availability_benchmark() {
    let ds = Dataset::new();
    write_strata(
        &ds,
        &[
            ("A", "White", 60, 16),
            ("A", "Black", 40, 4),
            ("B", "White", 30, 10),
            ("B", "Black", 30, 10),
        ],
    );
    let bench = ds.write(
        "bench.csv",
        "organisation,group,share\n,BME,0.3\nA,BME,0.5\n",
    );
    let d = ds.path().to_str().unwrap();
    let doc = run_json(&[
        "audit",
        d,
        "--by",
        "organisation",
        "--availability",
        bench.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let row = |against: &str| {
        doc["availability"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| {
                a["stage"] == "shortlisted"
                    && a["breakdown"] == json!({"organisation": "A"})
                    && a["benchmark"].as_str().unwrap().starts_with(against)
            })
            .unwrap_or_else(|| panic!("no row against {against}"))
            .clone()
    };
    let pool = row("previous stage");
    assert_eq!(pool["observed"], 4);
    assert_eq!(pool["known"], 20);
    assert_close(f(&pool["expected"]), 8.0, 1e-12, "expected from the pool");
    assert_close(f(&pool["shortfall"]), 4.0, 1e-12, "shortfall");
    assert_close(
        f(&pool["p_binomial"]),
        binomial_cdf(20, 0.4, 4),
        1e-9,
        "binomial",
    );
    let external = row(bench.to_str().unwrap());
    assert!(
        external["benchmark"]
            .as_str()
            .unwrap()
            .contains("organisation = A")
    );
    assert_close(
        f(&external["expected"]),
        10.0,
        1e-12,
        "expected from the benchmark",
    );
    assert_close(
        f(&external["p_binomial"]),
        binomial_cdf(20, 0.5, 4),
        1e-9,
        "binomial",
    );
    // The whole dataset falls back to the benchmark's general row.
    let whole = doc["availability"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["stage"] == "applied" && a["breakdown"] == json!({}))
        .unwrap();
    assert_close(f(&whole["share"]), 0.3, 1e-12, "general share");
    // A benchmark keyed on a column that is not a breakdown is refused.
    let err = run_error(&["audit", d, "--availability", bench.to_str().unwrap()]);
    assert!(err.contains("--by organisation"), "{err}");
    // Published: a suppressed count withholds the figures resting on it.
    let published = run_json(&[
        "audit",
        d,
        "--by",
        "organisation",
        "--publish",
        "--format",
        "json",
    ]);
    let rows = published["availability"].as_array().unwrap();
    assert!(
        rows.iter().any(|a| a["observed"].is_null()),
        "org A's 4 BME shortlisted are suppressed"
    );
    for a in rows {
        if a["observed"].is_null() || a["known"].is_null() {
            assert!(a["expected"].is_null() && a["p_binomial"].is_null(), "{a}");
        }
    }
}

/// Ethnic group × sex: each category is the by-sex breakdown row's group,
/// the categories add up to the whole dataset, and impact ratios are the
/// rate over the highest non-excludable known category's rate.
#[test]
fn intersectional_categories_by_sex() {
    let sample = concat!(env!("CARGO_MANIFEST_DIR"), "/sample-data/quarterly");
    let doc = run_json(&["audit", sample, "--intersect", "sex", "--format", "json"]);
    let rows = doc["intersectional"].as_array().unwrap();
    let applied: Vec<&Value> = rows
        .iter()
        .filter(|r| r["from"] == "applied" && r["to"] == "shortlisted")
        .collect();
    let whole = transition(&doc, "applied", "shortlisted", &json!({}));
    for g in ["White", "BME"] {
        let sum: u64 = applied
            .iter()
            .filter(|r| r["group"] == g)
            .map(|r| r["entered"].as_u64().unwrap())
            .sum();
        assert_eq!(Some(sum), group(whole, g)["entered"].as_u64(), "{g}");
    }
    let female = transition(&doc, "applied", "shortlisted", &json!({"sex": "Female"}));
    let bme_f = applied
        .iter()
        .find(|r| r["category"] == "BME × Female")
        .unwrap();
    assert_eq!(bme_f["entered"], group(female, "BME")["entered"]);
    assert_eq!(bme_f["progressed"], group(female, "BME")["progressed"]);
    let highest = applied
        .iter()
        .filter(|r| r["known"] == true && r["excludable"] == false)
        .map(|r| f(&r["rate"]))
        .fold(0.0, f64::max);
    for r in applied.iter().filter(|r| r["known"] == true) {
        assert_close(
            f(&r["impact_ratio"]),
            f(&r["rate"]) / highest,
            1e-12,
            "impact ratio",
        );
    }
    assert!(
        applied
            .iter()
            .any(|r| r["known"] == false && r["impact_ratio"].is_null())
    );
}

/// Agency scorecards: two agencies, one even and one with a wide gap; the
/// even one ranks first, each card's stages and steps are the agency's
/// breakdown rows, and a card needs a breakdown.
#[test]
fn agency_scorecards_rank_and_carry_the_agency_rows() {
    let ds = Dataset::new();
    let (mut apps, mut events) = (vec![], vec![]);
    let mut n = 0;
    // (agency, label, applied, shortlisted)
    for (agency, label, entered, progressed) in [
        ("Even Ltd", "White", 100, 50),
        ("Even Ltd", "Black", 100, 48),
        ("Gap plc", "White", 100, 60),
        ("Gap plc", "Black", 100, 20),
        ("Gap plc", "Prefer not to say", 10, 5),
    ] {
        for i in 0..entered {
            n += 1;
            apps.push(format!("A{n},V{n},{label},{agency}"));
            events.push(format!("A{n},applied"));
            if i < progressed {
                events.push(format!("A{n},shortlisted"));
            }
            // A fifth of the shortlisted are appointed, so the whole funnel
            // (applied → appointed) has a ratio to rank on.
            if i < progressed / 5 {
                events.push(format!("A{n},appointed"));
            }
        }
    }
    ds.write(
        "applications.csv",
        &csv("application_id,vacancy_id,ethnicity,agency", &apps),
    );
    ds.write("stage_events.csv", &csv("application_id,stage", &events));
    let d = ds.path().to_str().unwrap();
    let doc = run_json(&[
        "audit",
        d,
        "--by",
        "agency",
        "--scorecard",
        "--format",
        "json",
    ]);
    let cards = doc["scorecards"].as_array().unwrap();
    assert_eq!(cards.len(), 2);
    assert_eq!(
        (cards[0]["value"].as_str(), cards[0]["rank"].as_u64()),
        (Some("Even Ltd"), Some(1))
    );
    assert_eq!(
        (cards[1]["value"].as_str(), cards[1]["rank"].as_u64()),
        (Some("Gap plc"), Some(2))
    );
    let gap = &cards[1];
    let t = transition(
        &doc,
        "applied",
        "shortlisted",
        &json!({"agency": "Gap plc"}),
    );
    let applied = &gap["stages"][0];
    assert_eq!(applied["stage"], "applied");
    assert_eq!(applied["groups"]["BME"], group(t, "BME")["entered"]);
    assert_eq!(applied["unknown"], 10);
    assert_close(
        f(&gap["disclosure_rate"]),
        200.0 / 210.0,
        1e-12,
        "disclosure",
    );
    let step = gap["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["from"] == "applied" && s["to"] == "shortlisted")
        .unwrap();
    assert_eq!(
        step["relative_likelihood"],
        comparison(t, "BME")["relative_likelihood"]
    );
    assert_close(f(&step["relative_likelihood"]), 3.0, 1e-12, "60% ÷ 20%");
    let err = run_error(&["audit", d, "--scorecard"]);
    assert!(err.contains("--by agency --scorecard"), "{err}");
    let html = run(&[
        "audit",
        d,
        "--by",
        "agency",
        "--scorecard",
        "--format",
        "html",
    ]);
    let html = String::from_utf8(html.stdout).unwrap();
    assert_eq!(html.matches("<h3>agency = ").count(), 2, "{html}");
}

/// `--by quarter` within one dataset: quarters come from applied_on, and
/// each quarter's ratio is set against the quarter before.
#[test]
fn quarter_on_quarter_change_within_one_dataset() {
    let sample = concat!(env!("CARGO_MANIFEST_DIR"), "/sample-data/quarterly");
    let doc = run_json(&["audit", sample, "--by", "quarter", "--format", "json"]);
    let changes = doc["changes"].as_array().unwrap();
    let c = changes
        .iter()
        .find(|c| {
            c["previous_period"] == "2025Q1" && c["from"] == "applied" && c["to"] == "shortlisted"
        })
        .expect("2025Q1 → 2025Q2");
    assert_eq!(c["breakdown"], json!({"quarter": "2025Q2"}));
    let rl = |q: &str| {
        let t = transition(&doc, "applied", "shortlisted", &json!({"quarter": q}));
        f(&comparison(t, "BME")["relative_likelihood"])
    };
    assert_close(f(&c["rl_previous"]), rl("2025Q1"), 1e-12, "then");
    assert_close(f(&c["rl_current"]), rl("2025Q2"), 1e-12, "now");
    assert_close(f(&c["ratio"]), rl("2025Q2") / rl("2025Q1"), 1e-9, "ratio");
    assert!(
        c["summary"]
            .as_str()
            .unwrap()
            .starts_with("2025Q1 → 2025Q2")
    );
    // Four quarter-on-quarter pairs for each of the six steps.
    assert_eq!(changes.len(), 4 * 6);
}
