//! Publication mode (`--publish`): small counts are suppressed, secondary
//! suppression stops them being worked out, derived figures are withheld.
//!
//! The attacker here is written independently of rung's suppression code:
//! it reads only the published JSON, writes down every additive relation a
//! reader could use (breakdown rows add up to the whole dataset, classes add
//! up to the applicants at each stage, the unknown classes to the
//! sensitivity table's unknown totals, the data-quality counts to the
//! applications), and solves them exactly in rational arithmetic. Against a
//! naive report that blanks only the small counts it recovers them; against
//! rung's published report it must recover none.

mod common;

use std::collections::BTreeMap;

use common::{
    Dataset, STAGES, assert_close, comparison, csv, f, group, run, run_error, run_json, transition,
};
use serde_json::{Value, json};

/// Writes a dataset from (organisation, ethnicity label, applicants who
/// stopped at each stage: applied only, …, appointed).
fn dataset(rows: &[(&str, &str, [u64; 5])]) -> Dataset {
    let ds = Dataset::new();
    let (mut apps, mut events) = (Vec::new(), Vec::new());
    let mut id = 0;
    for (org, ethnicity, stopped) in rows {
        for (furthest, &n) in stopped.iter().enumerate() {
            for _ in 0..n {
                id += 1;
                apps.push(format!("A{id},V{},\"{ethnicity}\",{org}", id % 3));
                for stage in STAGES.iter().take(furthest + 1) {
                    events.push(format!("A{id},{stage}"));
                }
            }
        }
    }
    ds.write(
        "applications.csv",
        &csv("application_id,vacancy_id,ethnicity,organisation", &apps),
    );
    ds.write("stage_events.csv", &csv("application_id,stage", &events));
    ds
}

/// Org A has 3 BME appointees (a small count); org B has 20.
fn two_organisations() -> Dataset {
    dataset(&[
        ("A", "White - British", [30, 10, 8, 2, 10]),
        ("A", "Black or Black British - African", [20, 4, 2, 1, 3]),
        ("A", "Prefer not to say", [6, 3, 0, 0, 2]),
        ("B", "White - British", [40, 20, 10, 5, 25]),
        ("B", "Asian or Asian British - Indian", [25, 10, 8, 2, 20]),
        ("B", "Prefer not to say", [8, 2, 1, 0, 0]),
        ("B", "", [10, 2, 1, 0, 1]),
    ])
}

fn audit(ds: &Dataset, extra: &[&str]) -> Value {
    let mut args = vec![
        "audit",
        ds.path().to_str().unwrap(),
        "--by",
        "organisation",
        "--format",
        "json",
    ];
    args.extend(extra);
    run_json(&args)
}

// ---- the attacker -------------------------------------------------------

/// An exact fraction.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Q(i128, i128);

fn gcd(a: i128, b: i128) -> i128 {
    if b == 0 { a.abs() } else { gcd(b, a % b) }
}

impl Q {
    fn new(n: i128, d: i128) -> Q {
        let g = gcd(n, d).max(1);
        let s = if d < 0 { -1 } else { 1 };
        Q(s * n / g, s * d / g)
    }
    fn zero(self) -> bool {
        self.0 == 0
    }
    fn sub(self, o: Q) -> Q {
        Q::new(self.0 * o.1 - o.0 * self.1, self.1 * o.1)
    }
    fn mul(self, o: Q) -> Q {
        Q::new(self.0 * o.0, self.1 * o.1)
    }
    fn div(self, o: Q) -> Q {
        Q::new(self.0 * o.1, self.1 * o.0)
    }
}

/// Cells by name, each with its published value (`None`: hidden), and
/// relations `total = Σ parts` by name.
#[derive(Default)]
struct Published {
    cells: BTreeMap<String, Option<u64>>,
    relations: Vec<(String, Vec<String>)>,
}

impl Published {
    fn put(&mut self, name: String, v: &Value) {
        self.cells.insert(name, v.as_u64());
    }

    /// Reads what a reader of the JSON can see.
    fn from_report(doc: &Value) -> Published {
        let mut p = Published::default();
        // (coarser row's cell, finer breakdown's columns) → the finer cells.
        let mut rows: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
        let mut breakdowns: Vec<BTreeMap<String, String>> = Vec::new();
        for t in doc["transitions"].as_array().unwrap() {
            let b: BTreeMap<String, String> =
                serde_json::from_value(t["breakdown"].clone()).unwrap();
            if !breakdowns.contains(&b) {
                breakdowns.push(b);
            }
        }
        for t in doc["transitions"].as_array().unwrap() {
            let b: BTreeMap<String, String> =
                serde_json::from_value(t["breakdown"].clone()).unwrap();
            let all = t["groups"]
                .as_array()
                .unwrap()
                .iter()
                .chain(t["unknown"].as_array().unwrap());
            for g in all {
                let name = g["group"].as_str().unwrap();
                for (stage, field) in [(&t["from"], "entered"), (&t["to"], "progressed")] {
                    let stage = stage.as_str().unwrap();
                    let key = format!("{}|{name}|{stage}", json!(b));
                    p.put(key.clone(), &g[field]);
                    // Every coarser breakdown present in the report: the
                    // rows of this one add up to it.
                    let columns: Vec<&String> = b.keys().collect();
                    for mask in 0..(1u32 << columns.len()) - 1 {
                        let coarse: BTreeMap<String, String> = columns
                            .iter()
                            .enumerate()
                            .filter(|(i, _)| mask & (1 << i) != 0)
                            .map(|(_, c)| ((*c).clone(), b[*c].clone()))
                            .collect();
                        if breakdowns.iter().any(|x| x.keys().eq(coarse.keys())) {
                            let total = format!("{}|{name}|{stage}", json!(coarse));
                            let fine: Vec<&String> = b.keys().collect();
                            rows.entry((total, format!("{fine:?}")))
                                .or_default()
                                .push(key.clone());
                        }
                    }
                }
            }
        }
        for ((whole, _), mut parts) in rows {
            parts.sort();
            parts.dedup();
            p.relations.push((whole, parts));
        }
        let whole_step = |from: &str| {
            doc["transitions"]
                .as_array()
                .unwrap()
                .iter()
                .find(|t| t["breakdown"] == json!({}) && t["from"] == from)
                .or_else(|| {
                    doc["transitions"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .find(|t| t["breakdown"] == json!({}) && t["to"] == from)
                })
                .unwrap()
        };
        let names = |t: &Value, field: &str| -> Vec<String> {
            t[field]
                .as_array()
                .unwrap()
                .iter()
                .map(|g| g["group"].as_str().unwrap().to_string())
                .collect()
        };
        for d in doc["data_quality"]["disclosure_by_stage"]
            .as_array()
            .unwrap()
        {
            let stage = d["stage"].as_str().unwrap();
            let t = whole_step(stage);
            let (known, unknown) = (names(t, "groups"), names(t, "unknown"));
            p.put(format!("applicants|{stage}"), &d["applicants"]);
            p.put(format!("known|{stage}"), &d["known"]);
            let cell = |g: &String| format!("{{}}|{g}|{stage}");
            p.relations
                .push((format!("known|{stage}"), known.iter().map(cell).collect()));
            p.relations.push((
                format!("applicants|{stage}"),
                known.iter().chain(&unknown).map(cell).collect(),
            ));
        }
        for s in doc["sensitivity"].as_array().unwrap() {
            let b = s["breakdown"].to_string();
            let from = s["from"].as_str().unwrap();
            let t = transition(doc, from, s["to"].as_str().unwrap(), &s["breakdown"]);
            let key = format!("unknown|{b}|{from}");
            p.put(key.clone(), &s["unknown_entered"]);
            let parts = names(t, "unknown")
                .iter()
                .map(|g| format!("{b}|{g}|{from}"))
                .collect();
            p.relations.push((key, parts));
        }
        let q = &doc["data_quality"];
        let t = whole_step("applied");
        for field in [
            "applications",
            "ethnicity_known",
            "ethnicity_declined",
            "ethnicity_not_known",
            "ethnicity_unmapped",
        ] {
            p.put(format!("dq|{field}"), &q[field]);
        }
        let unknown = names(t, "unknown");
        for (field, class) in [
            "ethnicity_declined",
            "ethnicity_not_known",
            "ethnicity_unmapped",
        ]
        .iter()
        .zip(&unknown)
        {
            p.relations
                .push((format!("dq|{field}"), vec![format!("{{}}|{class}|applied")]));
        }
        p.relations.push((
            "dq|applications".into(),
            [
                "ethnicity_known",
                "ethnicity_declined",
                "ethnicity_not_known",
                "ethnicity_unmapped",
            ]
            .iter()
            .map(|f| format!("dq|{f}"))
            .collect(),
        ));
        p
    }

    /// The hidden cells the relations fix, with the values they must take.
    fn solve(&self) -> BTreeMap<String, u64> {
        let unknowns: Vec<&String> = self
            .cells
            .iter()
            .filter(|(_, v)| v.is_none())
            .map(|(k, _)| k)
            .collect();
        let col = |name: &String| unknowns.iter().position(|u| *u == name);
        let mut m: Vec<Vec<Q>> = Vec::new();
        for (total, parts) in &self.relations {
            if !self.cells.contains_key(total) || parts.iter().any(|x| !self.cells.contains_key(x))
            {
                continue;
            }
            // Σ parts − total = 0, published values moved to the right.
            let mut row = vec![Q(0, 1); unknowns.len() + 1];
            let mut rhs: i128 = 0;
            for (name, sign) in parts
                .iter()
                .map(|x| (x, 1))
                .chain(std::iter::once((total, -1)))
            {
                match (col(name), self.cells[name]) {
                    (Some(c), _) => row[c] = Q::new(row[c].0 + sign * row[c].1, row[c].1),
                    (None, Some(v)) => rhs -= sign * v as i128,
                    (None, None) => unreachable!(),
                }
            }
            row[unknowns.len()] = Q(rhs, 1);
            m.push(row);
        }
        // Reduced row echelon form, exactly.
        let n = unknowns.len();
        let mut pivots = Vec::new();
        let mut r = 0;
        for c in 0..n {
            let Some(p) = (r..m.len()).find(|&i| !m[i][c].zero()) else {
                continue;
            };
            m.swap(r, p);
            let lead = m[r][c];
            for v in m[r].iter_mut() {
                *v = v.div(lead);
            }
            let pivot = m[r].clone();
            for (i, row) in m.iter_mut().enumerate() {
                if i != r && !row[c].zero() {
                    let f = row[c];
                    for (v, pv) in row.iter_mut().zip(&pivot) {
                        *v = v.sub(f.mul(*pv));
                    }
                }
            }
            pivots.push((r, c));
            r += 1;
        }
        pivots
            .into_iter()
            .filter(|&(r, c)| (0..n).all(|j| j == c || m[r][j].zero()))
            .map(|(r, c)| {
                let v = m[r][n];
                assert_eq!(v.1, 1, "a count solved to a fraction");
                (unknowns[c].clone(), v.0 as u64)
            })
            .collect()
    }
}

/// Blanks every count from 1 to 4 in an unpublished report: what a careless
/// analyst would publish.
fn naive_suppression(doc: &mut Value) {
    fn walk(v: &mut Value) {
        match v {
            Value::Object(map) => {
                for (k, x) in map.iter_mut() {
                    let count_field = matches!(
                        k.as_str(),
                        "entered" | "progressed" | "applicants" | "known" | "unknown_entered"
                    ) || k.starts_with("ethnicity_")
                        && k != "ethnicity_unmapped_labels";
                    match x.as_u64() {
                        Some(n) if count_field && n > 0 && n < 5 => *x = Value::Null,
                        _ => walk(x),
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(walk),
            _ => {}
        }
    }
    walk(doc);
}

// ---- tests --------------------------------------------------------------

#[test]
fn the_attacker_recovers_small_counts_from_a_naively_blanked_report() {
    let ds = two_organisations();
    let mut doc = audit(&ds, &[]);
    let truth = Published::from_report(&doc);
    naive_suppression(&mut doc);
    let blanked = Published::from_report(&doc);
    let recovered = blanked.solve();
    // Org A's 3 BME appointees: the whole dataset's 23 less org B's 20.
    let key = format!("{}|BME|appointed", json!({"organisation": "A"}));
    assert_eq!(recovered.get(&key), Some(&3), "{recovered:?}");
    for (name, v) in &recovered {
        assert_eq!(truth.cells[name], Some(*v), "{name}");
    }
}

#[test]
fn published_small_counts_cannot_be_worked_out() {
    let ds = two_organisations();
    let truth = Published::from_report(&audit(&ds, &[]));
    for threshold in ["5", "10"] {
        let doc = audit(&ds, &["--publish", "--suppress-below", threshold]);
        let limit: u64 = threshold.parse().unwrap();
        let published = Published::from_report(&doc);
        // Every small count is hidden; what is shown is true.
        for (name, v) in &truth.cells {
            let v = v.unwrap();
            if let Some(shown) = published.cells[name] {
                assert_eq!(shown, v, "{name}");
                assert!(v == 0 || v >= limit, "{name} = {v} shown below {limit}");
            }
        }
        let recovered = published.solve();
        for (name, v) in &recovered {
            let true_value = truth.cells[name].unwrap();
            assert!(
                true_value == 0 || true_value >= limit,
                "threshold {limit}: {name} = {v} can be worked out from the published report"
            );
        }
        assert!(doc["publication"]["secondary"].as_u64().unwrap() > 0);
    }
}

#[test]
fn derived_figures_are_withheld_and_marked() {
    let ds = two_organisations();
    let doc = audit(&ds, &["--publish"]);
    let a = json!({"organisation": "A"});
    let t = transition(&doc, "offered", "appointed", &a);
    let bme = group(t, "BME");
    assert_eq!(bme["progressed"], Value::Null);
    assert_eq!(bme["suppressed"], true);
    assert_eq!(bme["rate"], Value::Null);
    let c = comparison(t, "BME");
    assert_eq!(c["relative_likelihood"], Value::Null);
    assert_eq!(c["p_fisher"], Value::Null);
    assert!(c["note"].as_str().unwrap().contains("withheld"));
    // Impact ratios divide by the best rate, so a withheld rate takes the
    // step's other impact ratios with it.
    assert_eq!(group(t, "White")["impact_ratio"], Value::Null);
    // The pooled estimate over organisations rests on org A's counts.
    let pooled = doc["pooled"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["from"] == "offered" && p["to"] == "appointed")
        .unwrap();
    assert_eq!(pooled["rr_mh"], Value::Null);
    assert!(pooled["note"].as_str().unwrap().contains("withheld"));
    // The whole-dataset comparison keeps its figures when its counts stand.
    let whole = transition(&doc, "applied", "shortlisted", &json!({}));
    assert!(comparison(whole, "BME")["relative_likelihood"].is_f64());
    // No finding quotes a withheld ratio.
    for f in doc["findings"].as_array().unwrap() {
        assert!(!f["text"].as_str().unwrap().contains("NaN"));
    }
}

#[test]
fn unpublished_reports_are_unchanged_by_the_mode() {
    let ds = two_organisations();
    let doc = audit(&ds, &[]);
    assert!(doc.get("publication").is_none());
    assert!(!doc.to_string().contains("\"suppressed\""));
}

#[test]
fn other_formats_show_suppressed_counts() {
    let ds = two_organisations();
    let d = ds.path().to_str().unwrap();
    let out = common::run(&[
        "audit",
        d,
        "--by",
        "organisation",
        "--publish",
        "--format",
        "csv",
    ]);
    let text = String::from_utf8(out.stdout).unwrap();
    let mut reader = ::csv::Reader::from_reader(text.as_bytes());
    let header = reader.headers().unwrap().clone();
    let col = |n: &str| header.iter().position(|h| h == n).unwrap();
    let mut seen = false;
    for r in reader.records().map(Result::unwrap) {
        if &r[col("organisation")] == "A"
            && &r[col("to")] == "appointed"
            && &r[col("from")] == "offered"
            && &r[col("group")] == "BME"
        {
            assert_eq!(&r[col("progressed")], "");
            assert_eq!(&r[col("suppressed")], "true");
            seen = true;
        }
    }
    assert!(seen);
    for format in ["table", "markdown", "html"] {
        let out = common::run(&[
            "audit",
            d,
            "--by",
            "organisation",
            "--publish",
            "--format",
            format,
        ]);
        let text = String::from_utf8(out.stdout).unwrap();
        // Markdown escapes the brackets so they show as written.
        let symbol = if format == "markdown" {
            "\\[c\\]"
        } else {
            "[c]"
        };
        assert!(text.contains(symbol), "{format}");
        assert!(text.contains("Published version"), "{format}");
    }
}

#[test]
fn the_threshold_needs_the_mode_and_a_sensible_value() {
    let ds = two_organisations();
    let d = ds.path().to_str().unwrap();
    let err = run_error(&["audit", d, "--suppress-below", "10"]);
    assert!(err.contains("--publish"), "{err}");
    let err = run_error(&["audit", d, "--publish", "--suppress-below", "1"]);
    assert!(err.contains("suppress nothing"), "{err}");
}

#[test]
fn sample_data_publishes_without_recoverable_cells() {
    let sample = concat!(env!("CARGO_MANIFEST_DIR"), "/sample-data/quarterly");
    let args = |publish: bool| {
        let mut a = vec![
            "audit",
            sample,
            "--by",
            "organisation,grade",
            "--by",
            "organisation",
            "--by",
            "grade",
            "--format",
            "json",
        ];
        if publish {
            a.push("--publish");
        }
        run_json(&a)
    };
    let truth = Published::from_report(&args(false));
    let doc = args(true);
    let recovered = Published::from_report(&doc).solve();
    for (name, v) in &recovered {
        let t = truth.cells[name].unwrap();
        assert!(t == 0 || t >= 5, "{name} = {v} recoverable");
    }
    // Per-vacancy panel make-up is left out; assessor ids too.
    assert_eq!(doc["panels"]["compositions"], json!([]));
    assert_eq!(doc["scoring"]["assessors"], json!([]));
}

/// Benjamini-Hochberg adjusted p values, written out here from the
/// definition (Benjamini & Hochberg 1995): sort ascending, p(i)·m/i, then
/// the running minimum from the largest down, capped at 1.
fn bh(ps: &[f64]) -> Vec<f64> {
    let m = ps.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| ps[a].total_cmp(&ps[b]));
    let mut adjusted = vec![0.0; m];
    let mut running = 1.0f64;
    for rank in (0..m).rev() {
        let i = order[rank];
        running = running.min(ps[i] * m as f64 / (rank + 1) as f64);
        adjusted[i] = running.min(1.0);
    }
    adjusted
}

/// Issue 16: in publication mode the family the p values are adjusted for
/// is the comparisons published, so a visible adjusted p depends on visible
/// p values only (trying each hidden count against it recovers nothing), and
/// the report says how many there were.
#[test]
fn adjusted_p_values_cover_only_the_published_comparisons() {
    let sample = env!("CARGO_MANIFEST_DIR").to_string() + "/sample-data/quarterly";
    let args = ["audit", &sample, "--by", "organisation,agency", "--publish"];
    let doc = run_json(&[&args[..], &["--format", "json"]].concat());
    let comparisons: Vec<&Value> = doc["transitions"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|t| t["comparisons"].as_array().unwrap())
        .collect();
    let withheld = comparisons
        .iter()
        .filter(|c| c["p_fisher"].is_null())
        .count();
    assert!(
        withheld > 0,
        "nothing withheld: the test needs hidden comparisons"
    );
    let visible: Vec<&&Value> = comparisons
        .iter()
        .filter(|c| !c["p_fisher"].is_null())
        .collect();
    let ps: Vec<f64> = visible.iter().map(|c| f(&c["p_fisher"])).collect();
    for (c, expected) in visible.iter().zip(bh(&ps)) {
        assert_close(f(&c["p_adjusted"]), expected, 1e-9, "p_adjusted");
    }
    let table = String::from_utf8(run(&args).stdout).unwrap();
    assert!(
        table.contains(&format!("adjusted for the {} comparisons", visible.len())),
        "{}",
        &table[..400.min(table.len())]
    );
}

/// Issue 16: panel member counts join the suppression: none from 1 to 4 is
/// printed, and never exactly one of the group and unknown counts is hidden.
#[test]
fn published_panel_member_counts_are_suppressed() {
    let ds = Dataset::new();
    let mut apps = Vec::new();
    let mut panels = Vec::new();
    for v in 0..12 {
        for k in 0..6 {
            let label = if k % 3 == 0 {
                "Indian"
            } else {
                "White British"
            };
            apps.push(format!(
                "A{v}-{k},V{v},{label},{}",
                if k < 3 { "interviewed" } else { "applied" }
            ));
        }
        // Twelve White members, three BME members, two of unknown ethnicity.
        let member = |i: usize| -> (String, &'static str) {
            match i {
                0..=11 => (format!("W{i}"), "White British"),
                12..=14 => (format!("B{i}"), "Pakistani"),
                _ => (format!("U{i}"), ""),
            }
        };
        for seat in 0..3 {
            let (id, eth) = member((v * 3 + seat) % 17);
            panels.push(format!("V{v},interviewed,{id},{eth}"));
        }
    }
    ds.write(
        "applications.csv",
        &csv("application_id,vacancy_id,ethnicity,furthest_stage", &apps),
    );
    ds.write(
        "panel_members.csv",
        &csv("vacancy_id,stage,member_id,member_ethnicity", &panels),
    );
    let plain = ds.audit(&[]);
    let doc = ds.audit(&["--publish"]);
    let truth = &plain["panels"];
    let shown = &doc["panels"];
    let mut hidden = 0;
    let mut cells: Vec<(&Value, &Value)> = truth["members_by_group"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(g, n)| (n, &shown["members_by_group"][g]))
        .collect();
    cells.push((&truth["members_unknown"], &shown["members_unknown"]));
    for (t, s) in &cells {
        let n = t.as_u64().unwrap();
        if (1..5).contains(&n) {
            assert!(s.is_null(), "{n} shown");
        }
        if s.is_null() {
            hidden += 1;
        } else {
            assert_eq!(s.as_u64(), Some(n));
        }
    }
    assert!(hidden >= 2, "{cells:?}");
}
