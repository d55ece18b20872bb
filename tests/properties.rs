//! Properties that must hold for any counts and any dataset, checked on
//! random inputs (proptest): the statistics directly, the rest end to end
//! through the binary on small random datasets.
//!
//! And a fuzz run (ignored; `cargo test --release --test properties --
//! --ignored`, RUNG_FUZZ_SECONDS to set its length): random damage to a
//! valid dataset must give exit 0 or 2, never a panic or a hang.

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use common::{Dataset, funnel_tables, run};
use proptest::prelude::*;
use rung::measures::funnel::{Direction, FunnelSettings, compare};
use serde_json::Value;

fn settings(direction: Direction) -> FunnelSettings {
    FunnelSettings {
        confidence: rung::stats::Confidence::default(),
        direction,
        transitions: Vec::new(),
        breakdowns: Vec::new(),
    }
}

/// (reference progressed, reference entered, focal progressed, focal entered)
fn two_by_two() -> impl Strategy<Value = (u64, u64, u64, u64)> {
    (0u64..400, 0u64..400).prop_flat_map(|(n1, n2)| (0..=n1, Just(n1), 0..=n2, Just(n2)))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// The NHS WRES ratio is the inverse of the SC-WRES one, and so are
    /// their intervals; every interval holds its estimate; every p value is
    /// a probability.
    #[test]
    fn ratios_intervals_and_p_values((a, n1, c, n2) in two_by_two()) {
        let nhs = compare("White", "BME", a, n1, c, n2, &settings(Direction::NhsWres));
        let sc = compare("White", "BME", a, n1, c, n2, &settings(Direction::ScWres));
        if let (Some(x), Some(y)) = (nhs.relative_likelihood, sc.relative_likelihood) {
            prop_assert!((x * y - 1.0).abs() < 1e-9, "{x} × {y}");
        }
        for cmp in [&nhs, &sc] {
            if let (Some(r), Some(lo), Some(hi)) = (cmp.relative_likelihood, cmp.ci_low, cmp.ci_high) {
                prop_assert!(lo <= r * (1.0 + 1e-12) && r <= hi * (1.0 + 1e-12), "{lo} ≤ {r} ≤ {hi}");
            }
            for p in [cmp.p_fisher, cmp.p_z].into_iter().flatten() {
                prop_assert!((0.0..=1.0).contains(&p), "p = {p}");
            }
        }
        if let (Some(lo), Some(hi)) = (nhs.ci_low, sc.ci_high) {
            prop_assert!((lo * hi - 1.0).abs() < 1e-9);
        }
    }
}

/// A small dataset: each applicant (label, organisation, furthest stage);
/// ids start at `offset`.
fn write(ds: &Dataset, people: &[(String, String, usize)], offset: usize) {
    let with_ids: Vec<(String, String, usize)> = people
        .iter()
        .enumerate()
        .map(|(i, (label, _, reached))| (format!("A{}", i + offset), label.clone(), *reached))
        .collect();
    let (apps, events) = funnel_tables(&with_ids, |i| people[i].1.clone());
    ds.write("applications.csv", &apps);
    ds.write("stage_events.csv", &events);
}

const KNOWN: [&str; 4] = ["White - British", "Indian", "Black African", "White Irish"];
const UNKNOWN: [&str; 3] = ["Prefer not to say", "", "Not known"];

fn people(labels: &'static [&'static str]) -> impl Strategy<Value = Vec<(String, String, usize)>> {
    prop::collection::vec(
        (
            prop::sample::select(labels),
            prop::sample::select(&["ORG1", "ORG2"][..]),
            0usize..5,
        )
            .prop_map(|(l, o, r)| (l.to_string(), o.to_string(), r)),
        8..60,
    )
}

fn audit(ds: &Dataset) -> Value {
    let d = ds.path().to_str().unwrap();
    let out = run(&[
        "audit",
        d,
        "--by",
        "organisation",
        "--format",
        "json",
        "--generated-at",
        "2026-01-01T00:00:00Z",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Every known group's counts, rates and ratios, keyed by step, breakdown
/// and group. A step no known applicant entered has no rate or ratio to
/// compare: a breakdown row (an organisation) whose applicants are all of
/// unknown ethnicity is in the audit with them and absent without them.
fn known_figures(doc: &Value) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    for t in doc["transitions"].as_array().unwrap() {
        let entered: u64 = t["groups"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["entered"].as_u64().unwrap())
            .sum();
        if entered == 0 {
            continue;
        }
        let key = format!("{}→{} {}", t["from"], t["to"], t["breakdown"]);
        out.insert(format!("{key} groups"), t["groups"].clone());
        let mut comparisons = t["comparisons"].clone();
        // Adjusted p depends on how many comparisons the report holds, not
        // on these counts.
        for c in comparisons.as_array_mut().unwrap() {
            c.as_object_mut().unwrap().remove("p_adjusted");
            c.as_object_mut().unwrap().remove("significant");
        }
        out.insert(format!("{key} comparisons"), comparisons);
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Adding applicants of unknown ethnicity changes no rate and no ratio
    /// of the known groups.
    #[test]
    fn unknown_applicants_change_no_rate_or_ratio(known in people(&KNOWN), unknown in people(&UNKNOWN)) {
        let (a, b) = (Dataset::new(), Dataset::new());
        write(&a, &known, 0);
        let mut both = known.clone();
        both.extend(unknown);
        write(&b, &both, 0);
        prop_assert_eq!(known_figures(&audit(&a)), known_figures(&audit(&b)));
    }

    /// The order of the rows makes no difference to the output (beyond the
    /// input files' hashes, which describe the files).
    #[test]
    fn row_order_changes_nothing(people in people(&KNOWN), seed in any::<u64>()) {
        let (a, b) = (Dataset::new(), Dataset::new());
        write(&a, &people, 0);
        // The same rows in another order, lines shuffled in both tables.
        write(&b, &people, 0);
        for table in ["applications.csv", "stage_events.csv"] {
            let text = std::fs::read_to_string(b.path().join(table)).unwrap();
            let mut lines: Vec<&str> = text.lines().collect();
            let header = lines.remove(0);
            let mut state = seed | 1;
            for i in (1..lines.len()).rev() {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                lines.swap(i, (state % (i as u64 + 1)) as usize);
            }
            let shuffled = std::iter::once(header).chain(lines).collect::<Vec<_>>().join("\n") + "\n";
            std::fs::write(b.path().join(table), shuffled).unwrap();
        }
        // The files' hashes describe the files, and the folders differ.
        let strip = |doc: Value, ds: &Dataset| -> String {
            let mut doc = doc;
            for k in ["inputs", "provenance"] {
                doc.as_object_mut().unwrap().remove(k);
            }
            doc.to_string().replace(ds.path().to_str().unwrap(), "DATASET")
        };
        prop_assert_eq!(strip(audit(&a), &a), strip(audit(&b), &b));
    }

    /// Splitting a dataset in two and adding the halves' counts gives the
    /// whole's counts.
    #[test]
    fn split_halves_add_up_to_the_whole(first in people(&KNOWN), second in people(&UNKNOWN[..1])) {
        let (a, b, whole) = (Dataset::new(), Dataset::new(), Dataset::new());
        write(&a, &first, 0);
        write(&b, &second, first.len());
        let mut all = first.clone();
        all.extend(second);
        write(&whole, &all, 0);
        let counts = |doc: &Value| -> BTreeMap<String, u64> {
            let mut m = BTreeMap::new();
            for t in doc["transitions"].as_array().unwrap() {
                for g in t["groups"].as_array().unwrap().iter().chain(t["unknown"].as_array().unwrap()) {
                    for field in ["entered", "progressed"] {
                        let key = format!("{}→{} {} {} {field}", t["from"], t["to"], t["breakdown"], g["group"]);
                        *m.entry(key).or_default() += g[field].as_u64().unwrap();
                    }
                }
            }
            m
        };
        let (ca, cb, cw) = (counts(&audit(&a)), counts(&audit(&b)), counts(&audit(&whole)));
        for (key, n) in &cw {
            let parts = ca.get(key).copied().unwrap_or(0) + cb.get(key).copied().unwrap_or(0);
            prop_assert_eq!(parts, *n, "{}", key);
        }
    }
}

/// Random damage to a valid dataset: bytes flipped, lines cut, delimiters,
/// quotes, NULs and huge fields inserted, stage names and labels garbled.
/// Every run must end, with exit 0 or 2 and no panic.
#[test]
#[ignore = "a long fuzz run; set RUNG_FUZZ_SECONDS (default 600)"]
fn fuzz_ingest_and_audit() {
    let seconds: u64 = std::env::var("RUNG_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(600);
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let pieces: [&[u8]; 12] = [
        b",",
        b"\"",
        b"\n",
        b"\r\n",
        b"\0",
        b";",
        b"\t",
        b"=cmd()",
        b"\xff\xfe",
        b"applied",
        b"Prefer not to say",
        b"9999999999999999999999",
    ];
    let base: Vec<(String, String, usize)> = (0..40)
        .map(|i| (KNOWN[i % 4].to_string(), format!("ORG{}", i % 3), i % 5))
        .collect();
    let (mut runs, mut stopped) = (0u64, 0u64);
    while Instant::now() < deadline {
        let ds = Dataset::new();
        write(&ds, &base, 0);
        let table = if next() % 2 == 0 {
            "applications.csv"
        } else {
            "stage_events.csv"
        };
        let path = ds.path().join(table);
        let mut bytes = std::fs::read(&path).unwrap();
        for _ in 0..(1 + next() % 6) {
            let at = (next() as usize) % (bytes.len() + 1);
            match next() % 5 {
                0 => {
                    let p = pieces[(next() as usize) % pieces.len()];
                    bytes.splice(at..at, p.iter().copied());
                }
                1 if !bytes.is_empty() => {
                    let i = at.min(bytes.len() - 1);
                    bytes[i] = (next() % 256) as u8;
                }
                2 => bytes.truncate(at),
                3 => {
                    let n = (next() % 200_000) as usize;
                    bytes.splice(at..at, std::iter::repeat_n(b'x', n));
                }
                _ => {
                    let end = (at + (next() % 40) as usize).min(bytes.len());
                    bytes.drain(at..end);
                }
            }
        }
        std::fs::write(&path, &bytes).unwrap();
        let started = Instant::now();
        let out = run(&[
            "audit",
            ds.path().to_str().unwrap(),
            "--by",
            "organisation",
            "--format",
            "json",
        ]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            matches!(out.status.code(), Some(0) | Some(2)) && !stderr.contains("panicked"),
            "run {runs}: exit {:?}\n{stderr}\ninput ({table}): {:?}",
            out.status.code(),
            String::from_utf8_lossy(&bytes[..bytes.len().min(2000)])
        );
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "run {runs} took {:?}",
            started.elapsed()
        );
        runs += 1;
        stopped += u64::from(out.status.code() == Some(2));
    }
    eprintln!(
        "fuzz: {runs} runs in {seconds} s, {stopped} stopped with exit 2, none panicked or hung"
    );
}
