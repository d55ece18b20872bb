//! Checked against the worked example in the NYC DCWP rules on automated
//! employment decision tools, 6 RCNY § 5-301(b) (the résumé-screening
//! example: sex, race/ethnicity and intersectional tables). The rules
//! print the sex table's female ratio as 0.979 and the intersectional
//! ratios to three places; the race/ethnicity table to two.

use super::*;
use crate::measures::funnel::{GroupRate, group_rate};

const HISPANIC: &str = "Hispanic or Latino";
const WHITE: &str = "White";
const BLACK: &str = "Black or African American";
const NHPI: &str = "Native Hawaiian or Other Pacific Islander";
const ASIAN: &str = "Asian";
const AIAN: &str = "American Indian or Alaska Native";
const TWO: &str = "Two or More Races";

fn groups() -> Vec<String> {
    [HISPANIC, WHITE, BLACK, NHPI, ASIAN, AIAN, TWO]
        .map(String::from)
        .to_vec()
}

/// The rules' intersectional table: (group, sex, applicants, selected).
const EXAMPLE: [(&str, &str, u64, u64); 14] = [
    (HISPANIC, "Male", 205, 90),
    (HISPANIC, "Female", 190, 82),
    (WHITE, "Male", 412, 215),
    (BLACK, "Male", 226, 95),
    (NHPI, "Male", 87, 37),
    (ASIAN, "Male", 321, 167),
    (AIAN, "Male", 24, 11),
    (TWO, "Male", 115, 52),
    (WHITE, "Female", 385, 197),
    (BLACK, "Female", 164, 75),
    (NHPI, "Female", 32, 15),
    (ASIAN, "Female", 295, 135),
    (AIAN, "Female", 17, 7),
    (TWO, "Female", 98, 44),
];

fn transition(
    breakdown: Option<&str>,
    groups: Vec<GroupRate>,
    unknown: Vec<GroupRate>,
) -> TransitionResult {
    TransitionResult {
        from: "applied".into(),
        to: "shortlisted".into(),
        label: None,
        breakdown: breakdown
            .map(|v| [("sex".to_string(), v.to_string())].into())
            .unwrap_or_default(),
        groups,
        unknown,
        comparisons: Vec::new(),
    }
}

/// The example as an audit's transitions, with the 250 applicants of
/// unknown category the rules mention (here: neither sex nor ethnicity
/// recorded; 100 of them selected).
fn example_transitions() -> Vec<TransitionResult> {
    let by_sex = |sex: &str| -> Vec<GroupRate> {
        EXAMPLE
            .iter()
            .filter(|c| c.1 == sex)
            .map(|&(g, _, n, s)| group_rate(g, n, s))
            .collect()
    };
    let mut whole: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    for &(g, _, n, s) in &EXAMPLE {
        let c = whole.entry(g).or_default();
        *c = (c.0 + n, c.1 + s);
    }
    let unknown = || vec![group_rate("Not stated", 250, 100)];
    vec![
        transition(
            None,
            whole
                .iter()
                .map(|(g, (n, s))| group_rate(g, *n, *s))
                .collect(),
            unknown(),
        ),
        transition(Some("M"), by_sex("Male"), Vec::new()),
        transition(Some("Female"), by_sex("Female"), Vec::new()),
        transition(Some(MISSING_VALUE), Vec::new(), unknown()),
    ]
}

fn ladder() -> Vec<String> {
    ["applied", "shortlisted", "appointed"]
        .map(String::from)
        .to_vec()
}

fn settings(exclude: bool) -> Ll144Settings {
    Ll144Settings {
        selected_stage: None,
        exclude_under_2_percent: exclude,
        sex_column: Some("sex".into()),
    }
}

fn row<'a>(t: &'a Ll144Table, category: &str) -> &'a Ll144Row {
    t.categories
        .iter()
        .find(|r| r.category == category)
        .unwrap_or_else(|| panic!("no row {category}"))
}

fn round(x: f64, places: i32) -> f64 {
    let f = 10f64.powi(places);
    (x * f).round() / f
}

#[test]
fn the_rules_worked_example_sex_and_intersectional_tables() {
    let report = ll144(
        &example_transitions(),
        &ladder(),
        &groups(),
        &settings(false),
        Count::default(),
    )
    .unwrap();
    assert_eq!(
        (report.from.as_str(), report.to.as_str()),
        ("applied", "shortlisted")
    );
    let kinds: Vec<_> = report.tables.iter().map(|t| t.characteristic).collect();
    assert_eq!(
        kinds,
        [
            Characteristic::Sex,
            Characteristic::RaceEthnicity,
            Characteristic::Intersectional
        ]
    );
    let sex = &report.tables[0];
    assert_eq!(
        (
            row(sex, "Male").applicants.value,
            row(sex, "Male").selected.value
        ),
        (1390, 667)
    );
    assert_eq!(
        (
            row(sex, "Female").applicants.value,
            row(sex, "Female").selected.value
        ),
        (1181, 555)
    );
    assert_eq!(sex.comparator.as_deref(), Some("Male"));
    assert_eq!(row(sex, "Male").impact_ratio, Some(1.0));
    // Exactly (555/1181) / (667/1390).
    let female = row(sex, "Female").impact_ratio.unwrap();
    assert_eq!(female, (555.0 * 1390.0) / (1181.0 * 667.0));
    assert_eq!(round(female, 3), 0.979);
    assert_eq!(sex.unknown_applicants.value, 250);

    let both = &report.tables[2];
    assert_eq!(both.comparator.as_deref(), Some("White × Male"));
    assert_eq!(both.applicants.value, 2571);
    assert_eq!(both.unknown_applicants.value, 250);
    // The rules' printed ratios, to three places.
    let printed = [
        ("Hispanic or Latino × Male", 0.841),
        ("Hispanic or Latino × Female", 0.827),
        ("White × Male", 1.000),
        ("Black or African American × Male", 0.806),
        ("Native Hawaiian or Other Pacific Islander × Male", 0.815),
        ("Asian × Male", 0.997),
        ("American Indian or Alaska Native × Male", 0.878),
        ("Two or More Races × Male", 0.866),
        ("White × Female", 0.981),
        ("Black or African American × Female", 0.876),
        ("Native Hawaiian or Other Pacific Islander × Female", 0.898),
        ("Asian × Female", 0.877),
        ("American Indian or Alaska Native × Female", 0.789),
        ("Two or More Races × Female", 0.860),
    ];
    for (category, ratio) in printed {
        let r = row(both, category);
        assert_eq!(round(r.impact_ratio.unwrap(), 3), ratio, "{category}");
        assert_eq!(r.below_four_fifths, ratio < 0.8, "{category}");
    }
    // The rules' printed selection rates, to one decimal of a percent.
    assert_eq!(
        round(
            row(both, "Hispanic or Latino × Male")
                .selection_rate
                .unwrap()
                * 100.0,
            1
        ),
        43.9
    );
    assert_eq!(
        round(
            row(both, "American Indian or Alaska Native × Female")
                .selection_rate
                .unwrap()
                * 100.0,
            1
        ),
        41.2
    );
    // Rows follow the grouping's order, each group's sexes together.
    assert_eq!(both.categories[0].category, "Hispanic or Latino × Male");
    assert_eq!(both.categories[1].category, "Hispanic or Latino × Female");
    assert_eq!(
        row(both, "Asian × Female").race_ethnicity.as_deref(),
        Some(ASIAN)
    );
    assert_eq!(row(both, "Asian × Female").sex.as_deref(), Some("Female"));
}

#[test]
fn categories_under_two_percent_keep_their_rate_but_lose_their_ratio() {
    let report = ll144(
        &example_transitions(),
        &ladder(),
        &groups(),
        &settings(true),
        Count::default(),
    )
    .unwrap();
    let both = &report.tables[2];
    // 24, 17 and 32 of 2571 are under 2% (51.42); 87 is not.
    for category in [
        "American Indian or Alaska Native × Male",
        "American Indian or Alaska Native × Female",
        "Native Hawaiian or Other Pacific Islander × Female",
    ] {
        let r = row(both, category);
        assert!(
            r.under_2_percent && r.excluded_under_2_percent,
            "{category}"
        );
        assert_eq!(r.impact_ratio, None, "{category}");
        assert!(r.selection_rate.is_some() && !r.below_four_fifths);
    }
    let r = row(both, "Native Hawaiian or Other Pacific Islander × Male");
    assert!(!r.under_2_percent);
    assert_eq!(round(r.impact_ratio.unwrap(), 3), 0.815);
    // With the option off the same categories are marked but rated.
    let kept = ll144(
        &example_transitions(),
        &ladder(),
        &groups(),
        &settings(false),
        Count::default(),
    )
    .unwrap();
    let r = row(&kept.tables[2], "American Indian or Alaska Native × Female");
    assert!(r.under_2_percent && !r.excluded_under_2_percent && r.impact_ratio.is_some());
}

#[test]
fn a_small_category_cannot_be_the_comparator() {
    // 3 of 3 selected in a category of 3 among 1003 (0.3%): with the rule
    // on, the comparator is the larger category; off, the small one.
    let t = vec![transition(
        None,
        vec![
            group_rate(WHITE, 500, 250),
            group_rate(ASIAN, 500, 200),
            group_rate(AIAN, 3, 3),
        ],
        Vec::new(),
    )];
    let mut s = settings(true);
    s.sex_column = None;
    let on = ll144(&t, &ladder(), &groups(), &s, Count::default()).unwrap();
    assert_eq!(on.tables.len(), 1);
    let race = &on.tables[0];
    assert_eq!(race.characteristic, Characteristic::RaceEthnicity);
    assert_eq!(race.comparator.as_deref(), Some(WHITE));
    assert_eq!(row(race, ASIAN).impact_ratio, Some(0.8));
    // Exactly four-fifths is not adverse impact.
    assert!(!row(race, ASIAN).below_four_fifths);
    s.exclude_under_2_percent = false;
    let off = ll144(&t, &ladder(), &groups(), &s, Count::default()).unwrap();
    assert_eq!(off.tables[0].comparator.as_deref(), Some(AIAN));
    assert_eq!(row(&off.tables[0], WHITE).impact_ratio, Some(0.5));
    assert!(row(&off.tables[0], WHITE).below_four_fifths);
}

#[test]
fn the_race_table_of_the_rules_example_from_its_own_counts() {
    // The rules' race/ethnicity table is not the sum of its intersectional
    // one (Hispanic or Latino: 408 and 204 against 205 + 190 and 90 + 82),
    // so it is checked from its own counts, ratios to two places.
    let counts = [
        (HISPANIC, 408, 204, 0.97),
        (WHITE, 797, 412, 1.00),
        (BLACK, 390, 170, 0.84),
        (NHPI, 119, 52, 0.85),
        (ASIAN, 616, 302, 0.95),
        (AIAN, 41, 18, 0.85),
        (TWO, 213, 96, 0.87),
    ];
    let t = vec![transition(
        None,
        counts
            .iter()
            .map(|&(g, n, s, _)| group_rate(g, n, s))
            .collect(),
        Vec::new(),
    )];
    let mut s = settings(false);
    s.sex_column = None;
    let report = ll144(&t, &ladder(), &groups(), &s, Count::default()).unwrap();
    let race = &report.tables[0];
    for (g, n, sel, ratio) in counts {
        let r = row(race, g);
        assert_eq!((r.applicants.value, r.selected.value), (n, sel));
        assert_eq!(round(r.impact_ratio.unwrap(), 2), ratio, "{g}");
    }
    assert_eq!(race.unknown_applicants.value, 0);
}

#[test]
fn a_later_step_and_a_missing_step() {
    let mut t = example_transitions();
    for x in &mut t {
        x.from = "shortlisted".into();
        x.to = "appointed".into();
    }
    let mut s = settings(true);
    s.selected_stage = Some("appointed".into());
    let report = ll144(&t, &ladder(), &groups(), &s, Count::default()).unwrap();
    assert_eq!(
        (report.from.as_str(), report.to.as_str()),
        ("shortlisted", "appointed")
    );
    s.selected_stage = Some("applied".into());
    assert!(ll144(&t, &ladder(), &groups(), &s, Count::default()).is_none());
}

#[test]
fn a_suppressed_count_among_the_comparators_withholds_every_ratio() {
    let mut t = example_transitions();
    for x in &mut t {
        for g in &mut x.groups {
            if g.group == AIAN {
                g.entered.suppressed = true;
                g.suppressed = true;
            }
        }
    }
    let kept = ll144(&t, &ladder(), &groups(), &settings(false), Count::default()).unwrap();
    let race = &kept.tables[1];
    assert!(race.categories.iter().all(|r| r.impact_ratio.is_none()));
    assert_eq!(race.comparator, None);
    assert!(row(race, AIAN).selection_rate.is_none());
    assert!(race.applicants.suppressed);
    // Excluded as under 2%, the hidden category no longer decides the
    // comparator, so the others keep their ratios.
    let excluded = ll144(&t, &ladder(), &groups(), &settings(true), Count::default()).unwrap();
    let race = &excluded.tables[1];
    assert_eq!(race.comparator.as_deref(), Some(WHITE));
    assert!(row(race, ASIAN).impact_ratio.is_some());
}
