//! The bundled profiles on small hand-written fixtures: the counts are
//! worked out by hand in each test's comment.

mod common;

use common::*;
use serde_json::{Value, json};

/// A group's scores at the assessor level.
fn assessor_scores<'a>(doc: &'a serde_json::Value, group: &str) -> &'a serde_json::Value {
    doc["scoring"]["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["group"] == group && g["level"] == "assessor")
        .unwrap_or_else(|| panic!("no assessor-level scores for {group}"))
}

const NHS_FLAT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/nhs-flat");

/// 12 applications. NHS codes: White A, B, C (900001, 900004, 900006,
/// 900010); BME H, N, J, M, H, R (900002, 900003, 900007, 900008, 900011,
/// 900012); Z declined (900005); 99 not known (900009).
/// Furthest stages: White — applied, appointed, appointed, interviewed;
/// BME — shortlisted, interviewed, offered, shortlisted, offered, appointed.
#[test]
fn nhs_flat_report() {
    let doc = run_json(&[
        "audit",
        "--applications",
        &format!("{NHS_FLAT}/applications.csv"),
        "--profile",
        "nhs-flat",
        "--by",
        "organisation",
        "--format",
        "json",
    ]);
    let q = &doc["data_quality"];
    assert_eq!(q["applications"], 12);
    assert_eq!(q["ethnicity_known"], 10);
    assert_eq!(q["ethnicity_declined"], 1);
    assert_eq!(q["ethnicity_not_known"], 1);
    assert_eq!(q["stage_source"], "furthest_stage");
    // P1002 applied twice, both times H: no disagreement.
    assert_eq!(q["candidates_with_differing_ethnicity"], 0);
    let shortlisting = transition(&doc, "applied", "shortlisted", &json!({}));
    assert_eq!(group(shortlisting, "White")["entered"], 4);
    assert_eq!(group(shortlisting, "White")["progressed"], 3);
    assert_eq!(group(shortlisting, "BME")["entered"], 6);
    assert_eq!(group(shortlisting, "BME")["progressed"], 6);
    let indicator_2 = transition(&doc, "shortlisted", "appointed", &json!({}));
    assert_eq!(group(indicator_2, "White")["progressed"], 2);
    assert_eq!(group(indicator_2, "BME")["progressed"], 1);
    let community = transition(
        &doc,
        "applied",
        "shortlisted",
        &json!({"organisation": "Example Community NHS Trust"}),
    );
    assert_eq!(group(community, "BME")["entered"], 2);
}

#[test]
fn profiles_lists_and_shows_the_bundled_profiles() {
    let out = run(&["profiles"]);
    let text = String::from_utf8(out.stdout).unwrap();
    for name in ["search", "nhs-flat", "greenhouse", "lever"] {
        assert!(text.contains(&format!("--profile {name}")), "{text}");
    }
    let out = run(&["profiles", "--show", "nhs-flat"]);
    let toml_text = String::from_utf8(out.stdout).unwrap();
    assert!(toml_text.contains("ETHNIC_CATEGORY"));
    let err = run_error(&["profiles", "--show", "nope"]);
    assert!(err.contains("search, nhs-flat, greenhouse, lever"), "{err}");
}

const GREENHOUSE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/greenhouse");

/// The Greenhouse fixture audited through its profile under EEO-1 groups.
fn greenhouse_audit() -> Value {
    run_json(&[
        "audit",
        GREENHOUSE,
        "--profile",
        "greenhouse",
        "--grouping",
        "eeo1",
        "--format",
        "json",
    ])
}

/// 10 Greenhouse applications under the EEO-1 groups. Furthest stages from
/// current_stage, raised to appointed where status is "hired":
/// White 985301 applied, 985303 hired (Offer → appointed), 985308 offered,
/// 985310 applied; Hispanic or Latino 985302 shortlisted, 985306 hired;
/// Black 985304 interviewed; Asian 985305 interviewed; Two or More 985309
/// shortlisted; 985307 declined. Scorecards: "no_decision" left out and
/// counted; White scores 4, 3 (985303) and 1 (985308): mean 8/3.
#[test]
fn greenhouse_export() {
    let doc = greenhouse_audit();
    assert_eq!(doc["settings"]["reference_group"], "White");
    assert_eq!(doc["data_quality"]["ethnicity_declined"], 1);
    let shortlisting = transition(&doc, "applied", "shortlisted", &json!({}));
    assert_eq!(group(shortlisting, "White")["entered"], 4);
    assert_eq!(group(shortlisting, "White")["progressed"], 2);
    assert_eq!(group(shortlisting, "Hispanic or Latino")["progressed"], 2);
    let indicator_2 = transition(&doc, "shortlisted", "appointed", &json!({}));
    assert_eq!(group(indicator_2, "White")["progressed"], 1);
    assert_eq!(group(indicator_2, "Hispanic or Latino")["progressed"], 1);
    assert_eq!(
        group(indicator_2, "Black or African American")["progressed"],
        0
    );
    let scores = doc["data_quality"]["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["table"] == "scores")
        .unwrap();
    assert_eq!(scores["rows_excluded"], 1);
    let white = assessor_scores(&doc, "White");
    assert_eq!(white["n"], 3);
    assert_close(f(&white["mean"]), 8.0 / 3.0, 1e-12, "White mean score");
}

/// The fixture's rejection types: 985301 (White, applied) and 985309 (Two
/// or More, shortlisted) and 985304 (Black, interviewed) "We rejected
/// them"; 985302 (Hispanic, shortlisted) and 985308 (White, offered) "They
/// rejected us"; 985307 "None specified"; 985305 and 985310 still active.
#[test]
fn greenhouse_rejections_and_withdrawals_apart() {
    let doc = greenhouse_audit();
    let exits = &doc["exits"];
    let find = |from: &str, group: &str| {
        exits["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["from"] == from && r["group"] == group)
            .unwrap_or_else(|| panic!("no exit row {from} {group}"))
    };
    let row = |from: &str, group: &str| {
        let r = find(from, group);
        [
            &r["entered"],
            &r["progressed"],
            &r["rejected"],
            &r["withdrawn"],
            &r["no_reason"],
        ]
        .map(u)
    };
    assert_eq!(row("applied", "White"), [4, 2, 1, 0, 1]);
    assert_eq!(row("shortlisted", "Hispanic or Latino"), [2, 1, 0, 1, 0]);
    assert_eq!(row("shortlisted", "Two or More Races"), [1, 0, 1, 0, 0]);
    assert_eq!(
        row("interviewed", "Black or African American"),
        [1, 0, 1, 0, 0]
    );
    assert_eq!(row("interviewed", "Asian"), [1, 0, 0, 0, 1]);
    assert_eq!(row("offered", "White"), [2, 1, 0, 1, 0]);
    assert_eq!(row("applied", "Declined"), [1, 0, 0, 0, 1]);
    let white_offer = find("offered", "White");
    assert_close(
        f(&white_offer["withdrawal_rate"]),
        0.5,
        1e-12,
        "withdrawal rate",
    );
    assert_close(
        f(&white_offer["rate_excluding_withdrawals"]),
        1.0,
        1e-12,
        "White offers accepted when not declined",
    );
    // offered → appointed: White 1 of 2 − 1, Hispanic 1 of 1: RL 1.
    let c = exits["comparisons"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["from"] == "offered" && c["focal"] == "Hispanic or Latino")
        .unwrap();
    assert_close(
        f(&c["relative_likelihood"]),
        1.0,
        1e-12,
        "RL excl. withdrawals",
    );
    assert_eq!(exits["unclassified_values"], json!([]));
    assert_eq!(exits["exit_value_at_last_stage"], 0);
}

const LEVER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/lever");

/// 8 Lever opportunities under the EEO-1 groups. opp-02 went to "Phone
/// interview" and back to "Recruiter screen": the furthest stage
/// (interviewed) counts. Archive reason "Hired" makes opp-01 (last at
/// Offer) and opp-05 (last at Phone interview) appointed. White: opp-01
/// appointed, opp-06 shortlisted, opp-07 applied; Hispanic or Latino:
/// opp-04 applied (withdrew), opp-05 appointed. Ratings on the four-point
/// scale: White 4 and 3 (mean 3.5).
#[test]
fn lever_export() {
    let doc = run_json(&[
        "audit",
        LEVER,
        "--profile",
        "lever",
        "--grouping",
        "eeo1",
        "--format",
        "json",
    ]);
    assert_eq!(doc["data_quality"]["applications"], 8);
    let shortlisting = transition(&doc, "applied", "shortlisted", &json!({}));
    assert_eq!(group(shortlisting, "White")["entered"], 3);
    assert_eq!(group(shortlisting, "White")["progressed"], 2);
    assert_eq!(group(shortlisting, "Hispanic or Latino")["progressed"], 1);
    let interview = transition(&doc, "shortlisted", "interviewed", &json!({}));
    assert_eq!(
        group(interview, "Asian")["progressed"],
        1,
        "the furthest stage counts"
    );
    let indicator_2 = transition(&doc, "shortlisted", "appointed", &json!({}));
    assert_eq!(group(indicator_2, "White")["progressed"], 1);
    assert_eq!(group(indicator_2, "Hispanic or Latino")["progressed"], 1);
    let white = assessor_scores(&doc, "White");
    assert_close(f(&white["mean"]), 3.5, 1e-12, "White mean rating");
}

/// Issue 20: a hand-written NHS trust export (byte-order mark, Windows line
/// ends, UK dates, NHS codes and code-and-text labels, a status column that
/// holds stages and exits: Withdrawn, Rejected, Unsuccessful, Application
/// withdrawn) audits with the bundled nhs-flat profile as it is. Expected
/// figures counted by hand from tests/fixtures/nhs-trust-export.
#[test]
fn an_nhs_trust_export_audits_with_the_bundled_profile_unedited() {
    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/nhs-trust-export"
    );
    let doc = run_json(&["audit", dir, "--profile", "nhs-flat", "--format", "json"]);
    let q = &doc["data_quality"];
    assert_eq!(q["applications"], 14);
    assert_eq!(q["ethnicity_unmapped"], 0);
    assert_eq!(q["applications_without_stage"], 0);
    // White: A-White-British, A, C (withdrawn), B, A (not appointed).
    let t = transition(&doc, "applied", "shortlisted", &json!({}));
    assert_eq!(
        (
            u(&group(t, "White")["entered"]),
            u(&group(t, "White")["progressed"])
        ),
        (5, 4)
    );
    assert_eq!(
        (
            u(&group(t, "BME")["entered"]),
            u(&group(t, "BME")["progressed"])
        ),
        (7, 5)
    );
    // The status column's exits are reported as exits, by kind.
    let rows = doc["exits"]["rows"].as_array().unwrap();
    let row = |g: &str| {
        rows.iter()
            .find(|r| r["from"] == "applied" && r["group"] == g)
            .unwrap()
    };
    assert_eq!(row("White")["withdrawn"], 1);
    assert_eq!(row("BME")["rejected"], 2);
    assert_eq!(row("Not known")["withdrawn"], 1);
}

/// Issue 20: a status value that is an exit word gets a hint to map it to
/// "exit", never to a stage.
#[test]
fn an_unmapped_exit_word_is_not_suggested_as_a_stage() {
    let ds = common::Dataset::new();
    ds.write(
        "applications.csv",
        "application_id,vacancy_id,ethnicity,furthest_stage\nA1,V1,Indian,Withdrawn\nA2,V1,White British,applied\n",
    );
    let err = run_error(&["audit", ds.path().to_str().unwrap()]);
    assert!(
        err.contains("'Withdrawn' is an application's end, not a stage"),
        "{err}"
    );
    assert!(err.contains("\"Withdrawn\" to \"exit\""), "{err}");
    assert!(!err.contains("= \"shortlisted\""), "{err}");
}
