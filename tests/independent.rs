//! Independent check: random datasets, counted again here with plain loops
//! over the rows and tested again with textbook formulas (statrs's
//! hypergeometric pmf summed directly for Fisher, the normal distribution
//! for z and the interval). rung's JSON must agree to 1e-9 relative.
//!
//! Nothing here calls rung's library: the only shared knowledge is the
//! label → group table below, written out by hand.

mod common;

use std::collections::{BTreeMap, HashMap, HashSet};

use common::*;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};
use statrs::distribution::{ContinuousCDF, Discrete, Hypergeometric, Normal};

const STAGES: [&str; 5] = [
    "applied",
    "shortlisted",
    "interviewed",
    "offered",
    "appointed",
];
const TRANSITIONS: [(usize, usize); 6] = [(0, 1), (1, 2), (2, 3), (3, 4), (1, 4), (0, 4)];
const GROUPS: [&str; 5] = ["White", "BME", "Declined", "Not known", "Unmapped"];

/// Raw labels and their wres group, by hand.
const LABELS: &[(&str, &str)] = &[
    ("White British", "White"),
    ("A", "White"),
    ("White - Irish", "White"),
    ("Any other White background", "White"),
    ("Roma", "White"),
    ("Indian", "BME"),
    ("H", "BME"),
    ("Black African", "BME"),
    ("Caribbean", "BME"),
    ("Mixed - White and Asian", "BME"),
    ("Chinese", "BME"),
    ("Arab", "BME"),
    ("Asian, Asian British or Asian Welsh: Pakistani", "BME"),
    ("Prefer not to say", "Declined"),
    ("Z", "Declined"),
    ("", "Not known"),
    ("99", "Not known"),
    ("Other", "Unmapped"),
];

struct Generated {
    ds: Dataset,
    /// application id → (organisation, group, highest stage reached)
    truth: Vec<(String, &'static str, usize)>,
    event_rows: usize,
    orphan_events: usize,
    duplicate_events: usize,
}

/// Writes a random dataset with the awkward parts of real exports: events
/// out of order, repeated, skipped stages, events for unknown applications,
/// applications with no events.
fn generate(seed: u64, n: usize) -> Generated {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let ds = Dataset::new();
    let mut apps = Vec::new();
    let mut events = Vec::new();
    let mut truth = Vec::new();
    let (mut orphans, mut duplicates) = (0, 0);
    // Per-group progression probabilities differ by seed.
    let p_white: Vec<f64> = (0..4).map(|_| rng.random_range(0.3..0.95)).collect();
    let p_bme: Vec<f64> = (0..4).map(|_| rng.random_range(0.2..0.95)).collect();
    for i in 0..n {
        let id = format!("APP{i:06}");
        let (label, group) = LABELS[rng.random_range(0..LABELS.len())];
        let org = ["North", "South", "East"][rng.random_range(0..3)];
        let p = if group == "BME" { &p_bme } else { &p_white };
        let mut reached = 0;
        while reached < 4 && rng.random_bool(p[reached]) {
            reached += 1;
        }
        apps.push(format!("{id},V{},\"{label}\",{org}", i % 40));
        if rng.random_bool(0.03) {
            // No events at all: counts as applied.
            truth.push((org.to_string(), group, 0));
            continue;
        }
        truth.push((org.to_string(), group, reached));
        // The reached stage always; earlier ones sometimes; shuffled.
        let mut mine: Vec<usize> = (0..reached).filter(|_| rng.random_bool(0.7)).collect();
        mine.push(reached);
        if rng.random_bool(0.05) {
            mine.push(reached);
            duplicates += 1;
        }
        mine.shuffle(&mut rng);
        for s in mine {
            let name = if rng.random_bool(0.1) {
                STAGES[s].to_uppercase()
            } else {
                STAGES[s].to_string()
            };
            events.push(format!("{id},{name}"));
        }
    }
    for k in 0..(n / 100) {
        events.push(format!("GHOST{k},applied"));
        orphans += 1;
    }
    events.shuffle(&mut rng);
    ds.write(
        "applications.csv",
        &csv("application_id,vacancy_id,ethnicity,organisation", &apps),
    );
    ds.write("stage_events.csv", &csv("application_id,stage", &events));
    Generated {
        ds,
        truth,
        event_rows: events.len(),
        orphan_events: orphans,
        duplicate_events: duplicates,
    }
}

/// Fisher's exact two-sided p by direct summation of hypergeometric
/// probabilities no larger than the observed one (relative tolerance 1e-7,
/// as R and scipy).
fn fisher_direct(a: u64, b: u64, c: u64, d: u64) -> f64 {
    let total = a + b + c + d;
    let successes = a + c;
    let draws = a + b;
    let h = Hypergeometric::new(total, successes, draws).unwrap();
    let observed = h.ln_pmf(a);
    let low = draws.saturating_sub(total - successes);
    let high = draws.min(successes);
    let mut p = 0.0;
    for x in low..=high {
        let lp = h.ln_pmf(x);
        if lp <= observed + 1e-7_f64.ln_1p() {
            p += lp.exp();
        }
    }
    p.min(1.0)
}

fn check_figures(
    doc: &Value,
    truth: &[(String, &'static str, usize)],
    breakdown: &Value,
    only_org: Option<&str>,
) {
    let normal = Normal::new(0.0, 1.0).unwrap();
    let z95 = normal.inverse_cdf(0.975);
    for (from, to) in TRANSITIONS {
        let t = transition(doc, STAGES[from], STAGES[to], breakdown);
        let mut counts: HashMap<&str, (u64, u64)> = HashMap::new();
        for (org, group, reached) in truth {
            if only_org.is_some_and(|o| o != org) {
                continue;
            }
            let e = counts.entry(group).or_default();
            if *reached >= from {
                e.0 += 1;
                if *reached >= to {
                    e.1 += 1;
                }
            }
        }
        for g in GROUPS {
            let (entered, progressed) = counts.get(g).copied().unwrap_or_default();
            let row = group(t, g);
            assert_eq!(
                (u(&row["entered"]), u(&row["progressed"])),
                (entered, progressed),
                "{from}→{to} {breakdown} {g}"
            );
            if entered > 0 {
                assert_close(
                    f(&row["rate"]),
                    progressed as f64 / entered as f64,
                    1e-12,
                    "rate",
                );
            } else {
                assert!(row["rate"].is_null());
            }
        }
        let (n1, a) = counts.get("White").copied().unwrap_or_default();
        let (n2, c) = counts.get("BME").copied().unwrap_or_default();
        let cmp = comparison(t, "BME");
        let what = format!("{}→{} {breakdown}", STAGES[from], STAGES[to]);
        if n1 == 0 || n2 == 0 {
            assert!(cmp["relative_likelihood"].is_null(), "{what}");
            continue;
        }
        let p = fisher_direct(a, n1 - a, c, n2 - c);
        assert_close(f(&cmp["p_fisher"]), p, 1e-9, &format!("{what} p_fisher"));
        assert_eq!(cmp["significant"], json!(p < 0.05), "{what}");
        let pooled = (a + c) as f64 / (n1 + n2) as f64;
        if pooled > 0.0 && pooled < 1.0 {
            let se = (pooled * (1.0 - pooled) * (1.0 / n1 as f64 + 1.0 / n2 as f64)).sqrt();
            let z = (a as f64 / n1 as f64 - c as f64 / n2 as f64) / se;
            let pz = 2.0 * normal.cdf(-z.abs());
            assert_close(f(&cmp["p_z"]), pz, 1e-9, &format!("{what} p_z"));
        }
        if a == 0 || c == 0 {
            continue;
        }
        let rl = (a as f64 / n1 as f64) / (c as f64 / n2 as f64);
        assert_close(
            f(&cmp["relative_likelihood"]),
            rl,
            1e-12,
            &format!("{what} RL"),
        );
        assert_eq!(
            cmp["outside_range"],
            json!(!(0.8..=1.25).contains(&rl)),
            "{what}"
        );
        if a < n1 || c < n2 {
            let se = (1.0 / a as f64 - 1.0 / n1 as f64 + 1.0 / c as f64 - 1.0 / n2 as f64).sqrt();
            assert_close(
                f(&cmp["ci_low"]),
                rl * (-z95 * se).exp(),
                1e-9,
                &format!("{what} low"),
            );
            assert_close(
                f(&cmp["ci_high"]),
                rl * (z95 * se).exp(),
                1e-9,
                &format!("{what} high"),
            );
        }
        // Impact ratios: rate ÷ the highest known-group rate.
        let (r1, r2) = (a as f64 / n1 as f64, c as f64 / n2 as f64);
        let best = r1.max(r2);
        assert_close(
            f(&group(t, "BME")["impact_ratio"]),
            r2 / best,
            1e-12,
            "impact ratio",
        );
        assert_close(
            f(&group(t, "White")["impact_ratio"]),
            r1 / best,
            1e-12,
            "impact ratio",
        );
    }
}

#[test]
fn random_datasets_match_an_independent_recount() {
    for (seed, n) in [(1u64, 3000usize), (2, 800), (3, 12000), (4, 150)] {
        let g = generate(seed, n);
        let doc = run_json(&[
            "audit",
            g.ds.path().to_str().unwrap(),
            "--format",
            "json",
            "--by",
            "organisation",
            "--adjust",
            "none",
        ]);
        check_figures(&doc, &g.truth, &json!({}), None);
        for org in ["North", "South", "East"] {
            check_figures(&doc, &g.truth, &json!({ "organisation": org }), Some(org));
        }
        // Row accounting: read = used + excluded, reasons counted.
        let dq = &doc["data_quality"];
        assert_eq!(u(&dq["applications"]), n as u64);
        let ev = dq["tables"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["table"] == "stage_events")
            .unwrap();
        assert_eq!(u(&ev["rows_read"]), g.event_rows as u64);
        assert_eq!(
            u(&ev["rows_excluded"]),
            (g.orphan_events + g.duplicate_events) as u64
        );
        assert_eq!(
            u(&ev["rows_used"]) + u(&ev["rows_excluded"]),
            u(&ev["rows_read"])
        );
        let no_events = g.truth.len() - {
            // Applications with at least one event, recounted from the file.
            let text = std::fs::read_to_string(g.ds.path().join("stage_events.csv")).unwrap();
            text.lines()
                .skip(1)
                .filter_map(|l| l.split(',').next())
                .filter(|id| id.starts_with("APP"))
                .collect::<HashSet<_>>()
                .len()
        };
        assert_eq!(u(&dq["applications_without_stage"]), no_events as u64);
    }
}

/// `rung generate` output, recounted here from the CSV files with the label
/// mapping `rung labels` reports (checked by hand in tests/labels.rs).
#[test]
fn generated_export_matches_an_independent_recount() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("gen");
    let status = rung()
        .args([
            "generate",
            "--applications",
            "4000",
            "--seed",
            "11",
            "--out",
            out.to_str().unwrap(),
        ])
        .status()
        .unwrap();
    assert!(status.success());
    let path = out.to_str().unwrap();
    let labels = run_json(&["labels", path, "--format", "json"]);
    let group_of: HashMap<String, String> = labels
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["label"].as_str().unwrap_or("").to_string(),
                r["group"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let mut reached: BTreeMap<String, usize> = BTreeMap::new();
    let mut events = csv::Reader::from_path(out.join("stage_events.csv")).unwrap();
    for r in events.records() {
        let r = r.unwrap();
        let s = STAGES.iter().position(|s| *s == &r[1]).unwrap();
        let e = reached.entry(r[0].to_string()).or_default();
        *e = (*e).max(s);
    }
    let mut truth = Vec::new();
    let mut apps = csv::Reader::from_path(out.join("applications.csv")).unwrap();
    let headers = apps.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (eth, org) = (col("ethnicity"), col("organisation"));
    for r in apps.records() {
        let r = r.unwrap();
        let g = group_of[&r[eth]].clone();
        let g: &'static str = GROUPS.iter().find(|x| **x == g).unwrap();
        truth.push((
            r[org].to_string(),
            g,
            reached.get(&r[0]).copied().unwrap_or(0),
        ));
    }
    let doc = run_json(&[
        "audit",
        path,
        "--format",
        "json",
        "--by",
        "organisation",
        "--adjust",
        "none",
    ]);
    check_figures(&doc, &truth, &json!({}), None);
    let orgs: HashSet<String> = truth.iter().map(|t| t.0.clone()).collect();
    for o in &orgs {
        check_figures(&doc, &truth, &json!({ "organisation": o }), Some(o));
    }
}

/// The same export as CSV and as Parquet gives the same audit.
#[test]
fn csv_and_parquet_agree() {
    let dir = tempfile::tempdir().unwrap();
    let mut docs = Vec::new();
    for format in ["csv", "parquet"] {
        let out = dir.path().join(format);
        let status = rung()
            .args([
                "generate",
                "--applications",
                "2500",
                "--seed",
                "5",
                "--out",
                out.to_str().unwrap(),
                "--format",
                format,
            ])
            .status()
            .unwrap();
        assert!(status.success());
        assert!(out.join(format!("applications.{format}")).exists());
        let mut doc = run_json(&[
            "audit",
            out.to_str().unwrap(),
            "--format",
            "json",
            "--by",
            "agency",
        ]);
        doc.as_object_mut().unwrap().remove("inputs");
        doc.as_object_mut().unwrap().remove("provenance");
        for t in doc["data_quality"]["tables"].as_array_mut().unwrap() {
            t.as_object_mut().unwrap().remove("path");
        }
        docs.push(doc);
    }
    assert_eq!(docs[0], docs[1]);
}
