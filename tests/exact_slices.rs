//! The exact plan, which the counting pass takes when an applications row
//! repeats an id, counts under the memory budget too: in slices by the
//! same hash of the id as the hashed plan, each reading the files whole,
//! or in many slices from the tables split once into parts.
//!
//! One test alone in this file: it tells the slices happened by the rows
//! the process read (a count shared by every test running beside it).

mod common;

use common::*;

/// A national extract with two repeated applications rows (one exact,
/// one giving its application another label and vacancy) audits byte for
/// byte alike in one pass and in slices: panels, scoring, the funnel, the
/// row accounts, the differing-label check and the ids across vacancies.
#[test]
fn the_exact_plan_in_slices_gives_the_audit_of_one_pass() {
    use rung::counts::{DEFAULT_MEMORY, memory_for_applications};
    use rung::progress::snapshot;

    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    generate_national(&data, 20000, 13, "csv");
    edit_csv(&data.join("applications.csv"), |header, rows| {
        let eth = header.iter().position(|h| h == "ethnicity").unwrap();
        let vacancy = header.iter().position(|h| h == "vacancy_id").unwrap();
        let mut relabelled: Vec<String> = rows[900].iter().map(String::from).collect();
        relabelled[eth] = match relabelled[eth].as_str() {
            "Chinese" => "Arab".into(),
            _ => "Chinese".into(),
        };
        relabelled[vacancy] = rows[0][vacancy].to_string();
        assert_ne!(relabelled[vacancy], rows[900][vacancy]);
        rows.push(rows[500].clone());
        rows.push(csv::StringRecord::from(relabelled));
    });

    let read_before = snapshot().1;
    let (audit, whole) = audit_json_with_memory(&data, DEFAULT_MEMORY);
    let read_whole = snapshot().1 - read_before;
    let doc: serde_json::Value = serde_json::from_slice(&whole).unwrap();
    let apps_account = &doc["data_quality"]["tables"][0];
    assert_eq!(apps_account["rows_read"], 20002);
    assert_eq!(
        apps_account["excluded"][0],
        serde_json::json!({"reason": "duplicate application_id (first row kept)", "rows": 2})
    );
    // The relabelled repeat is a second label in its candidate's records,
    // and names a second vacancy for its id.
    assert!(u(&doc["data_quality"]["candidates_with_differing_ethnicity"]) >= 1);
    assert_eq!(doc["data_quality"]["ids_across_vacancies"], 1);
    assert!(audit.scoring.is_some() && audit.panels.is_some());

    // Room for 60,000 funnel applications: 6 slices of the exact plan's
    // (2,300 bytes each), after up to 2 of the hashed plan's. Each slice
    // reads the tables whole: more than twice the rows of one pass (which
    // reads them twice, the hashed plan's and the exact plan's, after the
    // pre-passes), where the exact plan in one slice after 2 of the
    // hashed would read about 1.3 times.
    let read_before = snapshot().1;
    let (_, sliced) = audit_json_with_memory(&data, memory_for_applications(60_000));
    let read_sliced = snapshot().1 - read_before;
    assert!(
        read_sliced > 2 * read_whole,
        "{read_sliced} rows read in slices, {read_whole} in one pass: not sliced"
    );
    assert!(
        whole == sliced,
        "the exact plan's audit in 6 slices differs"
    );
    // Room for 20,000: 15 slices, from the tables split once into parts
    // (from 8 slices), each part's rows in the order read, so each id's
    // first row is the same one.
    let (_, from_parts) = audit_json_with_memory(&data, memory_for_applications(20_000));
    assert!(
        whole == from_parts,
        "the exact plan's audit in 15 slices differs"
    );
}
