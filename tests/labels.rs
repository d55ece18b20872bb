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
    ("BAME", "set:minority", "BME"),
    ("Global Majority", "set:minority", "BME"),
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

/// Issue 15: a WRES return (organisation × ethnicity, shortlisted and
/// appointed) whose minority rows say "BAME", "Global Majority" or "Black,
/// Asian and minority ethnic" audits to the same figures as the same return
/// saying "BME"; "White" and "Not stated" rows as before.
#[test]
fn a_wres_return_with_group_names_audits_as_with_bme() {
    let ds = Dataset::new();
    let write = |name: &str, minority: &str| {
        let body = [
            ("ORG1", "White", 120, 30),
            ("ORG1", minority, 80, 9),
            ("ORG1", "Not stated", 11, 2),
            ("ORG2", "White", 60, 20),
            ("ORG2", minority, 45, 7),
            ("ORG2", "Not stated", 6, 1),
        ]
        .iter()
        .map(|(o, e, s, a)| format!("{o},\"{e}\",{s},{a}"))
        .collect::<Vec<_>>();
        ds.write(
            name,
            &csv("organisation,ethnicity,shortlisted,appointed", &body),
        )
    };
    let audit = |file: &std::path::Path| {
        without_provenance(run_json(&[
            "audit",
            "--counts",
            file.to_str().unwrap(),
            "--by",
            "organisation",
            "--format",
            "json",
            "--generated-at",
            "2026-01-01T00:00:00Z",
        ]))
    };
    let bme = audit(&write("bme.csv", "BME"));
    let t = transition(&bme, "shortlisted", "appointed", &json!({}));
    assert_eq!(u(&group(t, "BME")["entered"]), 125);
    assert_eq!(u(&group(t, "White")["entered"]), 180);
    for (i, name) in [
        "BAME",
        "Global Majority",
        "Black, Asian and minority ethnic",
        "Black and minority ethnic",
    ]
    .iter()
    .enumerate()
    {
        let other = audit(&write(&format!("r{i}.csv"), name));
        assert_eq!(other["transitions"], bme["transitions"], "{name}");
        assert_eq!(other["wres_indicator_2"], bme["wres_indicator_2"], "{name}");
        assert_eq!(other["data_quality"], bme["data_quality"], "{name}");
    }
}

/// The ONS 2021 output wording of each category (ONS, Census 2021 ethnic
/// group classification), written out here rather than taken from rung.
const ONS_2021: &[(&str, &str)] = &[
    (
        "white_british",
        "White: English, Welsh, Scottish, Northern Irish or British",
    ),
    ("white_irish", "White: Irish"),
    ("gypsy_irish_traveller", "White: Gypsy or Irish Traveller"),
    ("roma", "White: Roma"),
    ("other_white", "White: Other White"),
    (
        "mixed_white_black_caribbean",
        "Mixed or Multiple ethnic groups: White and Black Caribbean",
    ),
    (
        "mixed_white_black_african",
        "Mixed or Multiple ethnic groups: White and Black African",
    ),
    (
        "mixed_white_asian",
        "Mixed or Multiple ethnic groups: White and Asian",
    ),
    (
        "other_mixed",
        "Mixed or Multiple ethnic groups: Other Mixed or Multiple ethnic groups",
    ),
    ("indian", "Asian, Asian British or Asian Welsh: Indian"),
    (
        "pakistani",
        "Asian, Asian British or Asian Welsh: Pakistani",
    ),
    (
        "bangladeshi",
        "Asian, Asian British or Asian Welsh: Bangladeshi",
    ),
    ("chinese", "Asian, Asian British or Asian Welsh: Chinese"),
    (
        "other_asian",
        "Asian, Asian British or Asian Welsh: Other Asian",
    ),
    (
        "african",
        "Black, Black British, Black Welsh, Caribbean or African: African",
    ),
    (
        "caribbean",
        "Black, Black British, Black Welsh, Caribbean or African: Caribbean",
    ),
    (
        "other_black",
        "Black, Black British, Black Welsh, Caribbean or African: Other Black",
    ),
    ("arab", "Other ethnic group: Arab"),
    ("any_other", "Other ethnic group: Any other ethnic group"),
];

/// Issue 15: an export written in every nation's official wordings (the
/// rows of tests/fixtures/official_wordings.tsv that name a group under
/// wres) has no unmapped label, and audits exactly as the same export
/// written in ONS 2021 output wording (or "White" / "BME" for a heading or
/// group name): under wres the whole audit, under ons19 every step.
#[test]
fn each_nations_wordings_audit_as_the_canonical_labels() {
    let table = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/official_wordings.tsv"),
    )
    .unwrap();
    let ladder = rung::taxonomy::ladder::Ladder::standard();
    let stages = ladder.stages();
    let (mut official, mut canonical) = (Vec::new(), Vec::new());
    let quote = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    let mut row_no = 0usize;
    for line in table
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("label\t"))
    {
        let f: Vec<&str> = line.split('\t').collect();
        let (label, resolves_to, wres) = (f[0], f[2], f[3]);
        if !matches!(wres, "White" | "BME") {
            continue;
        }
        let canon = ONS_2021
            .iter()
            .find(|(id, _)| *id == resolves_to)
            .map(|(_, w)| w.to_string())
            .unwrap_or_else(|| wres.to_string());
        row_no += 1;
        for k in 0..(1 + row_no % 4) {
            let id = format!("A{row_no}-{k}");
            let stage = &stages[(row_no * 7 + k * 3) % stages.len()];
            let org = if row_no.is_multiple_of(3) {
                "ORG1"
            } else {
                "ORG2"
            };
            official.push(format!(
                "{id},V{},{},{org},{stage}",
                row_no % 9,
                quote(label)
            ));
            canonical.push(format!(
                "{id},V{},{},{org},{stage}",
                row_no % 9,
                quote(&canon)
            ));
        }
    }
    assert!(row_no > 150, "{row_no} wordings");
    let header = "application_id,vacancy_id,ethnicity,organisation,furthest_stage";
    let (a, b) = (Dataset::new(), Dataset::new());
    a.write("applications.csv", &csv(header, &official));
    b.write("applications.csv", &csv(header, &canonical));
    for grouping in ["wres", "ons19"] {
        let audit = |ds: &Dataset| {
            without_provenance(run_json(&[
                "audit",
                ds.path().to_str().unwrap(),
                "--by",
                "organisation",
                "--grouping",
                grouping,
                "--format",
                "json",
                "--generated-at",
                "2026-01-01T00:00:00Z",
            ]))
        };
        let (x, y) = (audit(&a), audit(&b));
        if grouping == "wres" {
            assert_eq!(x["data_quality"]["unmapped_labels"], json!([]));
            assert_eq!(x, y);
        } else {
            assert_eq!(x["transitions"], y["transitions"]);
        }
    }
}

/// Issue 15: `--strict-labels` refuses with every unplaced label listed;
/// `--unmapped-toml` writes a block that is refused until filled in, and
/// once filled in leaves nothing unmapped.
#[test]
fn strict_labels_and_the_unmapped_toml_block() {
    let ds = Dataset::new();
    ds.write(
        "applications.csv",
        "application_id,vacancy_id,ethnicity,furthest_stage\n1,V1,Other,applied\n2,V1,Other,shortlisted\n3,V1,\"Asian - Martian\",appointed\n4,V1,White British,appointed\n5,V1,Indian,appointed\n",
    );
    let path = ds.path().to_str().unwrap();
    let out = run(&["audit", path, "--strict-labels"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("\"Other\" (2:") && err.contains("\"Asian - Martian\" (1:"),
        "{err}"
    );
    let out = run(&["labels", path, "--unmapped-toml"]);
    assert!(out.status.success());
    let block = String::from_utf8(out.stdout).unwrap();
    assert!(block.contains("\"Other\" = \"\""), "{block}");
    // Most frequent first.
    assert!(block.find("\"Other\"").unwrap() < block.find("\"Asian - Martian\"").unwrap());
    let profile = ds.write("p.toml", &block);
    let err = run_error(&["audit", path, "--profile", profile.to_str().unwrap()]);
    assert!(
        err.contains("maps 'Asian - Martian', 'Other' to nothing"),
        "{err}"
    );
    let filled = block
        .replace("\"Other\" = \"\"", "\"Other\" = \"any_other\"")
        .replace(
            "\"Asian - Martian\" = \"\"",
            "\"Asian - Martian\" = \"BME\"",
        );
    let profile = ds.write("p.toml", &filled);
    let doc = run_json(&[
        "audit",
        path,
        "--profile",
        profile.to_str().unwrap(),
        "--strict-labels",
        "--format",
        "json",
    ]);
    assert_eq!(u(&doc["data_quality"]["ethnicity_unmapped"]), 0);
    let t = transition(&doc, "applied", "shortlisted", &json!({}));
    assert_eq!(u(&group(t, "BME")["entered"]), 4);
}

/// Issue 15: more than 1% unmapped makes the first finding say so.
#[test]
fn many_unmapped_labels_lead_the_findings() {
    let ds = Dataset::new();
    let mut rows = Vec::new();
    for i in 0..200 {
        let label = match i % 10 {
            0 => "Other",
            1..=4 => "White British",
            _ => "Indian",
        };
        rows.push(format!(
            "A{i},V{},{label},{}",
            i % 7,
            if i % 3 == 0 { "appointed" } else { "applied" }
        ));
    }
    ds.write(
        "applications.csv",
        &csv("application_id,vacancy_id,ethnicity,furthest_stage", &rows),
    );
    let doc = run_json(&["audit", ds.path().to_str().unwrap(), "--format", "json"]);
    let first = doc["findings"][0]["text"].as_str().unwrap();
    assert!(
        first.starts_with("Warning: 10.0% of applications (20)")
            && first.contains("\"Other\" (20)"),
        "{first}"
    );
}
