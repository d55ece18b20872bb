//! Mapping profiles: an ATS export with its own column names, stage values
//! and delimiter audits the same as the canonical form of the same data.

mod common;

use common::*;
use serde_json::json;

#[test]
fn an_ats_export_through_a_profile_matches_its_canonical_form() {
    let ds = Dataset::new();
    // Canonical.
    ds.write(
        "applications.csv",
        "application_id,vacancy_id,ethnicity,organisation\n\
         A1,V1,White British,Trust A\nA2,V1,Indian,Trust A\nA3,V2,Black African,Trust B\n\
         A4,V2,White Irish,Trust B\nA5,V2,Chinese,Trust B\nA6,V1,Roma,Trust A\n",
    );
    ds.write(
        "stage_events.csv",
        "application_id,stage\nA1,applied\nA1,shortlisted\nA1,interviewed\nA2,applied\nA2,shortlisted\n\
         A3,applied\nA4,appointed\nA5,offered\nA6,applied\n",
    );
    let canonical = run_json(&[
        "audit",
        ds.path().to_str().unwrap(),
        "--format",
        "json",
        "--by",
        "organisation",
    ]);

    // The same data as an ATS report: semicolons, its own names and values.
    let ats = Dataset::new();
    let apps = ats.write(
        "Applicants.csv",
        "Ref;Job Ref;Ethnic Origin;Employer;Notes\n\
         A1;V1;White British;Trust A;x\nA2;V1;Indian;Trust A;\nA3;V2;Black African;Trust B;\n\
         A4;V2;White Irish;Trust B;\nA5;V2;Chinese;Trust B;\nA6;V1;Roma;Trust A;\n",
    );
    let events = ats.write(
        "History.csv",
        "Ref;Status\nA1;New\nA1;Longlisted\nA1;Phone screen\nA1;Interview booked\nA2;New\nA2;Longlisted\n\
         A3;New\nA3;Withdrawn\nA4;Hired\nA5;Offer made\nA6;New\nA6;Withdrawn\n",
    );
    let profile = ats.write(
        "profile.toml",
        r#"name = "example ATS"

[columns.applications]
application_id = "Ref"
vacancy_id = "Job Ref"
ethnicity = "Ethnic Origin"
organisation = "Employer"

[columns.stage_events]
application_id = "Ref"
stage = "Status"

[stage_values]
"New" = "applied"
"Longlisted" = "shortlisted"
"Phone screen" = "shortlisted"
"Interview booked" = "interviewed"
"Offer made" = "offered"
"Hired" = "appointed"
"Withdrawn" = "ignore"

[csv]
delimiter = ";"
"#,
    );
    let mapped = run_json(&[
        "audit",
        "--applications",
        apps.to_str().unwrap(),
        "--stage-events",
        events.to_str().unwrap(),
        "--profile",
        profile.to_str().unwrap(),
        "--format",
        "json",
        "--by",
        "organisation",
    ]);
    assert_eq!(canonical["transitions"], mapped["transitions"]);
    assert_eq!(
        mapped["settings"]["profile"],
        json!(profile.to_str().unwrap())
    );
    // Ignored values are counted as excluded, by reason.
    let ev = mapped["data_quality"]["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["table"] == "stage_events")
        .unwrap();
    assert_eq!(u(&ev["rows_read"]), 12);
    assert!(
        ev["excluded"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["reason"].as_str().unwrap().contains("ignore") && e["rows"] == 2),
        "{ev}"
    );
}

#[test]
fn a_profile_ladder_for_executive_search() {
    let ds = Dataset::new();
    ds.write(
        "applications.csv",
        "application_id,vacancy_id,ethnicity\nA1,V1,White British\nA2,V1,Indian\nA3,V1,African\nA4,V1,White British\n",
    );
    ds.write(
        "stage_events.csv",
        "application_id,stage\nA1,placed\nA2,shortlist\nA3,longlist\nA4,client_interview\n",
    );
    let profile = ds.write(
        "search.toml",
        "ladder = [\"longlist\", \"shortlist\", \"client_interview\", \"offer\", \"placed\"]\n",
    );
    let doc = ds.audit(&["--profile", profile.to_str().unwrap()]);
    let t = transition(&doc, "longlist", "shortlist", &json!({}));
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
        (2, 1)
    );
    transition(&doc, "longlist", "placed", &json!({}));
    assert_eq!(
        doc["settings"]["ladder"],
        json!([
            "longlist",
            "shortlist",
            "client_interview",
            "offer",
            "placed"
        ])
    );
}

/// The example profile in docs/profiles.md and the policy in docs/panels.md
/// are accepted by rung as written.
#[test]
fn documented_examples_parse() {
    let ds = Dataset::new();
    ds.write(
        "applications.csv",
        "Application Ref;Vacancy Ref;Ethnic Origin;Employing Organisation;grade;Current Status\nA1;V1;White British;Trust;Band 8a;New application\nA2;V1;Indian;Trust;Band 8a;Longlisted\n",
    );
    ds.write(
        "stage_events.csv",
        "Application Ref;Status\nA1;New application\nA2;Longlisted\n",
    );
    // The policy needs panels to check.
    ds.write(
        "panel_members.csv",
        "vacancy_id;stage;member_id;member_ethnicity\nV1;interviewed;M1;White British\nV1;interviewed;M2;Indian\n",
    );
    let doc_block = |path: &str| {
        let text = std::fs::read_to_string(
            concat!(env!("CARGO_MANIFEST_DIR"), "/docs/").to_string() + path,
        )
        .unwrap();
        let start = text.find("```toml\n").unwrap() + 8;
        let end = start + text[start..].find("```").unwrap();
        text[start..end].to_string()
    };
    // The documented profile uses ";" between fields.
    let profile = ds.write("profile.toml", &doc_block("profiles.md"));
    let policy = ds.write("policy.toml", &doc_block("panels.md"));
    let doc = run_json(&[
        "audit",
        ds.path().to_str().unwrap(),
        "--profile",
        profile.to_str().unwrap(),
        "--panel-policy",
        policy.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let t = transition(&doc, "applied", "shortlisted", &json!({}));
    assert_eq!(u(&group(t, "BME")["progressed"]), 1);
}

/// Exit values: the profile's own wording, an unknown value (counted under
/// "no reason" and listed), a value on an appointed application (not an
/// exit), and publication mode leaving the section out.
#[test]
fn exit_values_from_a_profile_and_unknown_ones_listed() {
    let ds = Dataset::new();
    let mut apps = vec![];
    // White: 6 applied-only (3 withdrew in the profile's words, 2 rejected,
    // 1 "Timing"), 4 appointed (one carrying "Rejected").
    // BME: 6 applied-only (all rejected), 4 appointed.
    for i in 0..6 {
        let exit = [
            "No longer interested",
            "No longer interested",
            "No longer interested",
            "Unsuccessful",
            "rejected",
            "Timing",
        ][i];
        apps.push(format!("W{i},V1,White British,applied,{exit}"));
        apps.push(format!("B{i},V1,Indian,applied,Rejected"));
    }
    for i in 0..4 {
        let exit = if i == 0 { "Rejected" } else { "" };
        apps.push(format!("WA{i},V1,White British,appointed,{exit}"));
        apps.push(format!("BA{i},V1,Indian,appointed,"));
    }
    ds.write(
        "applications.csv",
        &csv(
            "application_id,vacancy_id,ethnicity,furthest_stage,exit_reason",
            &apps,
        ),
    );
    let profile = ds.write(
        "profile.toml",
        "[exit_values]\n\"No longer interested\" = \"withdrawn\"\n",
    );
    let doc = ds.audit(&["--profile", profile.to_str().unwrap()]);
    let exits = &doc["exits"];
    let white = exits["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["from"] == "applied" && r["group"] == "White")
        .unwrap();
    assert_eq!(
        [
            &white["entered"],
            &white["progressed"],
            &white["rejected"],
            &white["withdrawn"],
            &white["no_reason"]
        ]
        .map(u),
        [10, 4, 2, 3, 1]
    );
    assert_eq!(
        exits["unclassified_values"],
        json!([{"value": "Timing", "applications": 1}])
    );
    assert_eq!(exits["exit_value_at_last_stage"], 1);
    // applied → shortlisted without withdrawals: White 4 of 7, BME 4 of 10;
    // NHS direction (4/7) ÷ (4/10).
    let c = exits["comparisons"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["from"] == "applied")
        .unwrap();
    assert_close(f(&c["relative_likelihood"]), (4.0 / 7.0) / 0.4, 1e-12, "RL");
    // The same RL with withdrawals in: (4/10) / (4/10) = 1.
    let step = transition(&doc, "applied", "shortlisted", &json!({}));
    assert_close(
        f(&comparison(step, "BME")["relative_likelihood"]),
        1.0,
        1e-12,
        "crude RL",
    );

    let text = String::from_utf8(
        run(&[
            "audit",
            ds.path().to_str().unwrap(),
            "--profile",
            profile.to_str().unwrap(),
        ])
        .stdout,
    )
    .unwrap();
    assert!(text.contains("Rejected and withdrawn"), "{text}");
    assert!(text.contains("'Timing' (1)"), "{text}");

    let published = ds.audit(&["--profile", profile.to_str().unwrap(), "--publish"]);
    assert!(published.get("exits").is_none());
    assert!(
        published["publication"]["withheld"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w.as_str().unwrap().starts_with("exits:"))
    );
}

/// The error of auditing `ds` through the profile file `profile`.
fn profile_error(ds: &Dataset, profile: &std::path::Path) -> String {
    run_error(&[
        "audit",
        ds.path().to_str().unwrap(),
        "--profile",
        profile.to_str().unwrap(),
    ])
}

#[test]
fn an_exit_value_mapped_to_nothing_known_is_an_error() {
    let ds = Dataset::new();
    let profile = ds.write("profile.toml", "[exit_values]\nGone = \"vanished\"\n");
    ds.write(
        "applications.csv",
        "application_id,vacancy_id,ethnicity,furthest_stage\nA1,V1,Indian,applied\n",
    );
    let err = profile_error(&ds, &profile);
    assert!(
        err.contains("[exit_values] maps 'Gone' to 'vanished'"),
        "{err}"
    );
}

/// Issue 20: every column a profile maps that the file lacks is reported
/// at once, each with the closest header present; a folder named like a
/// bundled profile does not shadow it.
#[test]
fn mapped_columns_that_are_missing_are_all_reported() {
    let ds = Dataset::new();
    ds.write(
        "applications.csv",
        "Applicant ID,Vacancy Ref,Ethnic Origin,Furthest Stage\nA1,V1,White British,applied\n",
    );
    let profile = ds.write(
        "p.toml",
        "[columns.applications]\napplication_id = \"Applicant ID\"\nvacancy_id = \"Vacancy Ref\"\nethnicity = \"Ethnic Origin\"\nfurthest_stage = \"FURTHEST_STAGE\"\ngrade = \"Pay Band\"\norganisation = \"Trust\"\n",
    );
    let err = profile_error(&ds, &profile);
    assert!(
        err.contains("maps 3 columns")
            && err.contains("furthest_stage = 'FURTHEST_STAGE' (closest column: 'Furthest Stage')")
            && err.contains("grade = 'Pay Band'")
            && err.contains("organisation = 'Trust'"),
        "{err}"
    );
}

#[test]
fn a_folder_named_like_a_bundled_profile_does_not_shadow_it() {
    let work = tempfile::tempdir().unwrap();
    std::fs::create_dir(work.path().join("nhs-flat")).unwrap();
    let out = rung()
        .current_dir(work.path())
        .args(["profiles"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let sample = env!("CARGO_MANIFEST_DIR").to_string() + "/sample-data/quarterly";
    let out = rung()
        .current_dir(work.path())
        .args(["labels", &sample, "--profile", "nhs-flat"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    // The bundled profile was used (it maps NHS column names the sample
    // lacks), and rung said so; not "Is a directory".
    assert!(err.contains("using the bundled profile"), "{err}");
    assert!(!err.contains("Is a directory"), "{err}");
    let out = rung()
        .current_dir(work.path())
        .args(["labels", &sample, "--profile", "./nhs-flat"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("is a folder, not a profile"), "{err}");
}

/// Issue 20: an export keyed by applicant id (repeating across vacancies)
/// is caught with a hint naming its columns; a composite key in a profile
/// or on the command line counts every application.
#[test]
fn applicant_ids_across_vacancies_and_composite_keys() {
    let ds = Dataset::new();
    ds.write(
        "applications.csv",
        "Applicant ID,Vacancy Ref,ethnicity,furthest_stage\nP1,V1,White British,applied\nP1,V2,White British,appointed\nP2,V1,Indian,shortlisted\nP2,V3,Indian,appointed\nP3,V2,Indian,applied\n",
    );
    let single = ds.write(
        "single.toml",
        "[columns.applications]\napplication_id = \"Applicant ID\"\nvacancy_id = \"Vacancy Ref\"\n",
    );
    let path = ds.path().to_str().unwrap();
    let doc = run_json(&[
        "audit",
        path,
        "--profile",
        single.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(doc["data_quality"]["applications"], 3);
    assert_eq!(doc["data_quality"]["ids_across_vacancies"], 2);
    let first = doc["findings"][0]["text"].as_str().unwrap();
    assert!(
        first.contains("2 application ids recur with a different vacancy_id")
            && first.contains("application_id = [\"Applicant ID\", \"Vacancy Ref\"]"),
        "{first}"
    );
    let composite = ds.write(
        "composite.toml",
        "[columns.applications]\napplication_id = [\"Applicant ID\", \"Vacancy Ref\"]\nvacancy_id = \"Vacancy Ref\"\n",
    );
    let from_profile = run_json(&[
        "audit",
        path,
        "--profile",
        composite.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let from_flag = run_json(&[
        "audit",
        path,
        "--profile",
        single.to_str().unwrap(),
        "--application-key",
        "Applicant ID,Vacancy Ref",
        "--format",
        "json",
    ]);
    for doc in [&from_profile, &from_flag] {
        assert_eq!(doc["data_quality"]["applications"], 5);
        assert!(doc["data_quality"].get("ids_across_vacancies").is_none());
        let t = transition(doc, "applied", "appointed", &json!({}));
        assert_eq!(u(&group(t, "BME")["progressed"]), 1);
        assert_eq!(u(&group(t, "White")["entered"]), 2);
    }
    let bad = ds.write(
        "bad.toml",
        "[columns.applications]\nvacancy_id = [\"a\", \"b\"]\n",
    );
    let err = profile_error(&ds, &bad);
    assert!(
        err.contains("only application_id may be made of several columns"),
        "{err}"
    );
}
