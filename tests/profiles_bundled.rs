//! The bundled profiles on small hand-written fixtures: the counts are
//! worked out by hand in each test's comment.

mod common;

use common::*;
use serde_json::json;

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
    for name in ["search", "nhs-flat"] {
        assert!(text.contains(&format!("--profile {name}")), "{text}");
    }
    let out = run(&["profiles", "--show", "nhs-flat"]);
    let toml_text = String::from_utf8(out.stdout).unwrap();
    assert!(toml_text.contains("ETHNIC_CATEGORY"));
    let err = run_error(&["profiles", "--show", "nope"]);
    assert!(err.contains("search, nhs-flat"), "{err}");
}
