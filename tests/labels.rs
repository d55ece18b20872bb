//! Every form of ethnicity label real exports carry, through the binary:
//! `rung labels` shows how each was mapped, and `rung audit` counts them.

mod common;

use common::*;
use serde_json::{Value, json};

/// (raw label, ONS 2021 category id or "declined"/"not_known"/"unmapped"
/// or "heading:…", group under wres).
const CASES: &[(&str, &str, &str)] = &[
    // Heading - Sub and Heading: Sub, 2011 headings.
    (
        "White - English/Welsh/Scottish/Northern Irish/British",
        "white_british",
        "White",
    ),
    ("Asian or Asian British - Indian", "indian", "BME"),
    ("Asian or Asian British: Pakistani", "pakistani", "BME"),
    ("Black or Black British - Caribbean", "caribbean", "BME"),
    (
        "Black, African, Caribbean or Black British: African",
        "african",
        "BME",
    ),
    (
        "Mixed/Multiple ethnic groups - White and Black Caribbean",
        "mixed_white_black_caribbean",
        "BME",
    ),
    ("Other ethnic group: Arab", "arab", "BME"),
    // 2021 headings.
    (
        "Asian, Asian British or Asian Welsh: Bangladeshi",
        "bangladeshi",
        "BME",
    ),
    (
        "Mixed or Multiple ethnic groups: White and Asian",
        "mixed_white_asian",
        "BME",
    ),
    (
        "Black, Black British, Black Welsh, Caribbean or African: Any other Black, Black British, or Caribbean background",
        "other_black",
        "BME",
    ),
    (
        "White: Gypsy or Irish Traveller",
        "gypsy_irish_traveller",
        "White",
    ),
    (
        "Other ethnic group: Any other ethnic group",
        "any_other",
        "BME",
    ),
    (
        "Asian, Asian British or Asian Welsh: Chinese",
        "chinese",
        "BME",
    ),
    // Bare sub-category names.
    ("Indian", "indian", "BME"),
    ("African", "african", "BME"),
    ("Roma", "roma", "White"),
    ("Arab", "arab", "BME"),
    ("Chinese", "chinese", "BME"),
    ("Irish Traveller", "gypsy_irish_traveller", "White"),
    // Short forms.
    ("White British", "white_british", "White"),
    ("White Irish", "white_irish", "White"),
    ("Black African", "african", "BME"),
    ("Black Caribbean", "caribbean", "BME"),
    ("White Other", "other_white", "White"),
    // NHS Data Dictionary codes (ethnic category, 2001 census basis).
    ("A", "white_british", "White"),
    ("B", "white_irish", "White"),
    ("C", "other_white", "White"),
    ("D", "mixed_white_black_caribbean", "BME"),
    ("E", "mixed_white_black_african", "BME"),
    ("F", "mixed_white_asian", "BME"),
    ("G", "other_mixed", "BME"),
    ("H", "indian", "BME"),
    ("J", "pakistani", "BME"),
    ("K", "bangladeshi", "BME"),
    ("L", "other_asian", "BME"),
    ("M", "caribbean", "BME"),
    ("N", "african", "BME"),
    ("P", "other_black", "BME"),
    ("R", "chinese", "BME"),
    ("S", "any_other", "BME"),
    ("Z", "declined", "Declined"),
    ("99", "not_known", "Not known"),
    // Case, stray spaces and punctuation.
    ("  asian OR asian british -   indian ", "indian", "BME"),
    ("WHITE:IRISH", "white_irish", "White"),
    (
        "Black/African/Caribbean/Black British - African",
        "african",
        "BME",
    ),
    ("white british.", "white_british", "White"),
    // Headings alone: a group under wres, but no single ONS category.
    ("Asian or Asian British", "heading:asian", "BME"),
    ("Mixed or Multiple ethnic groups", "heading:mixed", "BME"),
    // Declined and not known are kept apart.
    ("Prefer not to say", "declined", "Declined"),
    (
        "I do not wish to disclose my ethnic origin",
        "declined",
        "Declined",
    ),
    ("Not stated", "not_known", "Not known"),
    ("Not known", "not_known", "Not known"),
    ("", "not_known", "Not known"),
    // Ambiguous or unknown: never guessed.
    ("Other", "unmapped", "Unmapped"),
    ("BAME", "unmapped", "Unmapped"),
    ("Mixed background", "unmapped", "Unmapped"),
    ("Black", "heading:black", "BME"),
    ("Asian Other White", "unmapped", "Unmapped"),
    ("Q", "unmapped", "Unmapped"),
];

fn dataset() -> Dataset {
    let ds = Dataset::new();
    let mut apps = Vec::new();
    let mut events = Vec::new();
    for (i, (label, _, _)) in CASES.iter().enumerate() {
        // Label i appears i + 1 times, so counts are checkable too.
        for k in 0..=i {
            let id = format!("A{i}-{k}");
            apps.push(format!("{id},V1,\"{label}\""));
            events.push(format!("{id},applied"));
        }
    }
    ds.write(
        "applications.csv",
        &csv("application_id,vacancy_id,ethnicity", &apps),
    );
    ds.write("stage_events.csv", &csv("application_id,stage", &events));
    ds
}

#[test]
fn every_label_form_maps_as_expected() {
    let ds = dataset();
    let rows = run_json(&["labels", ds.path().to_str().unwrap(), "--format", "json"]);
    let rows = rows.as_array().unwrap();
    let mut failures = Vec::new();
    for (i, (label, resolved, group)) in CASES.iter().enumerate() {
        let row = rows.iter().find(|r| r["label"] == *label);
        let Some(row) = row else {
            failures.push(format!("{label:?}: missing from rung labels"));
            continue;
        };
        let got = (
            row["resolved_to"].as_str().unwrap(),
            row["group"].as_str().unwrap(),
        );
        if got != (*resolved, *group) {
            failures.push(format!(
                "{label:?}: got {got:?}, expected {:?}",
                (resolved, group)
            ));
        }
        if row["count"] != json!(i + 1) {
            failures.push(format!(
                "{label:?}: count {} expected {}",
                row["count"],
                i + 1
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn audit_counts_agree_with_the_label_mapping() {
    let ds = dataset();
    let doc = run_json(&["audit", ds.path().to_str().unwrap(), "--format", "json"]);
    let count = |group: &str| -> u64 {
        CASES
            .iter()
            .enumerate()
            .filter(|(_, c)| c.2 == group)
            .map(|(i, _)| i as u64 + 1)
            .sum()
    };
    let dq = &doc["data_quality"];
    assert_eq!(u(&dq["ethnicity_known"]), count("White") + count("BME"));
    assert_eq!(u(&dq["ethnicity_declined"]), count("Declined"));
    assert_eq!(u(&dq["ethnicity_not_known"]), count("Not known"));
    let t = transition(&doc, "applied", "shortlisted", &json!({}));
    assert_eq!(u(&group(t, "White")["entered"]), count("White"));
    assert_eq!(u(&group(t, "BME")["entered"]), count("BME"));
    // Every unmapped label is listed with its count.
    let listed: Vec<(String, u64)> = dq["unmapped_labels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["label"].as_str().unwrap().to_string(), u(&l["count"])))
        .collect();
    for (i, (label, _, group)) in CASES.iter().enumerate() {
        if *group == "Unmapped" {
            assert!(
                listed.contains(&(label.to_string(), i as u64 + 1)),
                "{label}: {listed:?}"
            );
        }
    }
    assert_eq!(
        listed.len(),
        CASES.iter().filter(|c| c.2 == "Unmapped").count()
    );
}

#[test]
fn headings_alone_are_unmapped_in_ons19_but_grouped_in_ons5() {
    let ds = dataset();
    let ons19 = run_json(&[
        "labels",
        ds.path().to_str().unwrap(),
        "--format",
        "json",
        "--grouping",
        "ons19",
    ]);
    let find = |doc: &Value, label: &str| -> String {
        doc.as_array()
            .unwrap()
            .iter()
            .find(|r| r["label"] == label)
            .unwrap()["group"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(find(&ons19, "Asian or Asian British"), "Unmapped");
    assert_eq!(find(&ons19, "H"), "Indian");
    let ons5 = run_json(&[
        "labels",
        ds.path().to_str().unwrap(),
        "--format",
        "json",
        "--grouping",
        "ons5",
    ]);
    assert_eq!(find(&ons5, "Asian or Asian British"), "Asian");
    assert_eq!(find(&ons5, "Chinese"), "Asian");
    assert_eq!(find(&ons5, "Arab"), "Other");
    assert_eq!(find(&ons5, "Roma"), "White");
}

#[test]
fn profile_label_overrides() {
    let ds = dataset();
    let profile = ds.write(
        "p.toml",
        "[ethnicity_labels]\n\"Mixed background\" = \"mixed\"\n\"Other\" = \"any_other\"\n",
    );
    let rows = run_json(&[
        "labels",
        ds.path().to_str().unwrap(),
        "--format",
        "json",
        "--profile",
        profile.to_str().unwrap(),
    ]);
    let other = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["label"] == "Other")
        .unwrap();
    assert_eq!(other["resolved_to"], "any_other");
    assert_eq!(other["group"], "BME");
    let mixed = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["label"] == "Mixed background")
        .unwrap();
    assert_eq!(mixed["resolved_to"], "heading:mixed");
    assert_eq!(mixed["group"], "BME");
}

/// A US export's EEOC self-identification answers under `--grouping eeo1`:
/// White is the reference and each other EEO-1 category is compared with it.
#[test]
fn us_categories_under_eeo1() {
    let labels = [
        "White",
        "Hispanic or Latino",
        "Black or African American",
        "Asian",
        "Two or More Races",
        "Decline To Self Identify",
    ];
    let people: Vec<(String, String, usize)> = (0..60)
        .map(|i| (format!("A{i}"), labels[i % labels.len()].to_string(), i % 3))
        .collect();
    let (apps, events) = funnel_tables(&people, |_| "ORG1".into());
    let ds = Dataset::new();
    ds.write("applications.csv", &apps);
    ds.write("stage_events.csv", &events);
    let d = ds.path().to_str().unwrap();
    let doc = run_json(&["audit", d, "--grouping", "eeo1", "--format", "json"]);
    assert_eq!(doc["settings"]["reference_group"], "White");
    let t = transition(&doc, "applied", "shortlisted", &serde_json::json!({}));
    for g in [
        "Hispanic or Latino",
        "Black or African American",
        "Asian",
        "Two or More Races",
    ] {
        assert_eq!(group(t, g)["entered"], 10, "{g}");
        assert!(
            t["comparisons"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c["focal"] == g)
        );
    }
    assert_eq!(group(t, "Declined")["entered"], 10);
    let rows = run_json(&["labels", d, "--grouping", "eeo1", "--format", "json"]);
    let hispanic = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["label"] == "Hispanic or Latino")
        .unwrap();
    assert_eq!(hispanic["resolved_to"], "hispanic_latino");
    assert_eq!(hispanic["description"], "EEO-1: Hispanic or Latino");
    assert_eq!(hispanic["group"], "Hispanic or Latino");
}
