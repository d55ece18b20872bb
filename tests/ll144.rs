//! The three NYC Local Law 144 tables from row-level data, checked against
//! the worked example in the DCWP rules on automated employment decision
//! tools (6 RCNY § 5-301(b): the résumé-screening audit's sex, race/ethnicity
//! and intersectional tables, and "250 individuals with an unknown sex or
//! race/ethnicity category"). Labels are written as the rules write them.

mod common;

use common::*;

/// The rules' intersectional table: (label, sex, applicants, selected).
const EXAMPLE: [(&str, &str, u64, u64); 14] = [
    ("Hispanic or Latino", "Male", 205, 90),
    ("Hispanic or Latino", "Female", 190, 82),
    ("White (Not Hispanic or Latino)", "Male", 412, 215),
    (
        "Black or African American (Not Hispanic or Latino)",
        "Male",
        226,
        95,
    ),
    (
        "Native Hawaiian or Pacific Islander (Not Hispanic or Latino)",
        "Male",
        87,
        37,
    ),
    ("Asian (Not Hispanic or Latino)", "Male", 321, 167),
    (
        "Native American or Alaska Native (Not Hispanic or Latino)",
        "Male",
        24,
        11,
    ),
    (
        "Two or More Races (Not Hispanic or Latino)",
        "Male",
        115,
        52,
    ),
    ("White (Not Hispanic or Latino)", "Female", 385, 197),
    (
        "Black or African American (Not Hispanic or Latino)",
        "Female",
        164,
        75,
    ),
    (
        "Native Hawaiian or Pacific Islander (Not Hispanic or Latino)",
        "Female",
        32,
        15,
    ),
    ("Asian (Not Hispanic or Latino)", "Female", 295, 135),
    (
        "Native American or Alaska Native (Not Hispanic or Latino)",
        "Female",
        17,
        7,
    ),
    (
        "Two or More Races (Not Hispanic or Latino)",
        "Female",
        98,
        44,
    ),
];

/// One application per person of the example, with the 250 of unknown
/// category (no answer to either question; 100 of them selected).
fn example_dataset() -> Dataset {
    let ds = Dataset::new();
    let mut rows = Vec::new();
    let unknown = [("I do not wish to self-identify", "", 250, 100)];
    for (label, sex, n, selected) in EXAMPLE.iter().chain(&unknown) {
        for j in 0..*n {
            let stage = if j < *selected {
                "shortlisted"
            } else {
                "applied"
            };
            rows.push(format!(
                "A{},V{},\"{label}\",{sex},{stage}",
                rows.len(),
                j % 9
            ));
        }
    }
    ds.write(
        "applications.csv",
        &csv(
            "application_id,vacancy_id,ethnicity,sex,furthest_stage",
            &rows,
        ),
    );
    ds
}

fn round(x: f64, places: i32) -> f64 {
    let f = 10f64.powi(places);
    (x * f).round() / f
}

#[test]
fn the_rules_example_from_rows_matches_every_printed_figure() {
    let ds = example_dataset();
    let audit = audit(
        ds.path(),
        &[
            "--grouping",
            "eeo1",
            "--ll144",
            "--ll144-exclude-under-2=false",
        ],
    );
    let ll = audit.ll144.expect("ll144 tables");
    assert_eq!(
        (ll.from.as_str(), ll.to.as_str()),
        ("applied", "shortlisted")
    );
    assert_eq!(ll.sex_column.as_deref(), Some("sex"));

    let sex = ll.table("sex");
    let male = sex.row("Male");
    let female = sex.row("Female");
    assert_eq!((male.applicants, male.selected), (Some(1390), Some(667)));
    assert_eq!(
        (female.applicants, female.selected),
        (Some(1181), Some(555))
    );
    assert_eq!(male.impact_ratio, Some(1.0));
    assert_eq!(round(female.impact_ratio.unwrap(), 3), 0.979);
    assert_eq!(sex.unknown_applicants, Some(250));

    // The race/ethnicity rows the example's two tables agree on (its
    // Hispanic or Latino row does not add up from the intersectional one:
    // 408 against 205 + 190), with the ratios printed to two places.
    let race = ll.table("race_ethnicity");
    for (group, n, selected, ratio) in [
        ("White", 797, 412, 1.00),
        ("Black or African American", 390, 170, 0.84),
        ("Native Hawaiian or Other Pacific Islander", 119, 52, 0.85),
        ("Asian", 616, 302, 0.95),
        ("American Indian or Alaska Native", 41, 18, 0.85),
        ("Two or More Races", 213, 96, 0.87),
    ] {
        let r = race.row(group);
        assert_eq!(
            (r.applicants, r.selected),
            (Some(n), Some(selected)),
            "{group}"
        );
        assert_eq!(round(r.impact_ratio.unwrap(), 2), ratio, "{group}");
    }
    assert_eq!(race.comparator.as_deref(), Some("White"));
    assert_eq!(race.unknown_applicants, Some(250));

    let both = ll.table("intersectional");
    assert_eq!(both.applicants, Some(2571));
    assert_eq!(both.unknown_applicants, Some(250));
    assert_eq!(both.comparator.as_deref(), Some("White × Male"));
    for (group, sex, ratio, rate) in [
        ("Hispanic or Latino", "Male", 0.841, 43.9),
        ("Hispanic or Latino", "Female", 0.827, 43.2),
        ("White", "Male", 1.000, 52.2),
        ("Black or African American", "Male", 0.806, 42.0),
        (
            "Native Hawaiian or Other Pacific Islander",
            "Male",
            0.815,
            42.5,
        ),
        ("Asian", "Male", 0.997, 52.0),
        ("American Indian or Alaska Native", "Male", 0.878, 45.8),
        ("Two or More Races", "Male", 0.866, 45.2),
        ("White", "Female", 0.981, 51.2),
        ("Black or African American", "Female", 0.876, 45.7),
        (
            "Native Hawaiian or Other Pacific Islander",
            "Female",
            0.898,
            46.9,
        ),
        ("Asian", "Female", 0.877, 45.8),
        ("American Indian or Alaska Native", "Female", 0.789, 41.2),
        ("Two or More Races", "Female", 0.860, 44.9),
    ] {
        let r = both.row(&format!("{group} × {sex}"));
        assert_eq!(round(r.impact_ratio.unwrap(), 3), ratio, "{group} {sex}");
        assert_eq!(
            round(r.selection_rate.unwrap() * 100.0, 1),
            rate,
            "{group} {sex}"
        );
        assert_eq!(r.below_four_fifths, ratio < 0.8, "{group} {sex}");
    }
}

#[test]
fn by_default_categories_under_two_percent_are_not_rated() {
    let ds = example_dataset();
    let ll = audit(ds.path(), &["--grouping", "eeo1"])
        .ll144
        .expect("on with eeo1");
    assert!(ll.exclude_under_2_percent);
    // With eeo1 alone there is no sex breakdown: the race table only.
    assert_eq!(ll.sex_column, None);
    assert_eq!(ll.tables.len(), 1);
    // 41 of 2584 (1.6%) is under 2%.
    let aian = ll
        .table("race_ethnicity")
        .row("American Indian or Alaska Native");
    assert!(aian.excluded_under_2_percent && aian.impact_ratio.is_none());
    assert!(aian.selection_rate.is_some());
}

#[test]
fn the_tables_are_drawn_only_when_asked_for() {
    let ds = example_dataset();
    let plain = audit(ds.path(), &[]);
    assert!(plain.ll144.is_none());
    let text = output(ds.path(), "markdown", &[]);
    assert!(!text.contains("Local Law 144"), "{text}");
    let text = output(ds.path(), "markdown", &["--grouping", "eeo1", "--ll144"]);
    for heading in [
        "Sex categories",
        "Race/ethnicity categories",
        "Intersectional categories",
    ] {
        assert!(text.contains(heading), "{heading}");
    }
    assert!(text.contains("Applicants of unknown sex or race/ethnicity: 250"));
}

#[test]
fn a_step_not_on_the_ladder_is_a_usage_error() {
    let ds = example_dataset();
    let out = run(&[
        "audit",
        ds.path().to_str().unwrap(),
        "--ll144",
        "--ll144-step",
        "hired",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--ll144-step hired"), "{err}");
    let out = run(&[
        "audit",
        ds.path().to_str().unwrap(),
        "--ll144-step",
        "shortlisted",
    ]);
    assert_eq!(out.status.code(), Some(2));
}

/// The example as a published audit gives it: a row per category with
/// applicants and selected, and the unknown row with applicants only.
fn example_return(unknown_row: &str) -> Dataset {
    let ds = Dataset::new();
    let mut rows: Vec<String> = EXAMPLE
        .iter()
        .map(|(label, sex, n, selected)| format!("\"{label}\",{sex},{n},{selected}"))
        .collect();
    rows.push(unknown_row.to_string());
    ds.write(
        "return.csv",
        &csv("ethnicity,sex,applicants,selected", &rows),
    );
    ds
}

#[test]
fn a_published_return_with_an_unknown_row_and_no_selected_count() {
    let ds = example_return("Unknown,,250,");
    let file = ds.path().join("return.csv");
    let text = run_json(&[
        "audit",
        "--counts",
        file.to_str().unwrap(),
        "--grouping",
        "eeo1",
        "--ll144",
        "--ll144-exclude-under-2=false",
        "--format",
        "json",
    ]);
    let audit: common::contract::Audit = serde_json::from_value(text).expect("the contract");
    assert_eq!(audit.settings.ladder, ["applied", "selected"]);
    assert_eq!(audit.data_quality.applications, Some(2571));
    let ll = audit.ll144.expect("tables");
    assert_eq!((ll.from.as_str(), ll.to.as_str()), ("applied", "selected"));
    for t in &ll.tables {
        assert_eq!(t.unknown_applicants, Some(250), "{}", t.characteristic);
    }
    let both = ll.table("intersectional");
    assert_eq!(
        round(
            both.row("American Indian or Alaska Native × Female")
                .impact_ratio
                .unwrap(),
            3
        ),
        0.789
    );
    assert_eq!(
        round(ll.table("sex").row("Female").impact_ratio.unwrap(), 3),
        0.979
    );
}

#[test]
fn a_known_category_without_a_selected_count_is_refused() {
    let ds = example_return("\"Asian (Not Hispanic or Latino)\",Male,10,");
    let file = ds.path().join("return.csv");
    let out = run(&[
        "audit",
        "--counts",
        file.to_str().unwrap(),
        "--grouping",
        "eeo1",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("return.csv") && err.contains("line 16"),
        "{err}"
    );
    assert!(err.contains("only applicants of unknown category"), "{err}");
    // Nor can the long shape hold such a row.
    let ds = example_return("Unknown,,250,");
    let file = ds.path().join("return.csv");
    let long = ds.path().join("long.csv");
    let out = run(&[
        "counts",
        "--counts",
        file.to_str().unwrap(),
        "--out",
        long.to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
