use super::*;

fn cat(id: &str) -> Resolution {
    Resolution::Category(category_index(id))
}

#[test]
fn the_wordings_table_parses_and_agrees_with_itself() {
    assert_eq!(wording_table_problems(), Vec::<String>::new());
    assert!(wordings().len() > 300);
}

#[test]
fn nineteen_categories_with_unique_ids() {
    let mut ids: Vec<_> = CATEGORIES.iter().map(|c| c.id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), N_CATEGORIES);
    let ons = || CATEGORIES.iter().filter(|c| c.origin == Origin::Ons2021);
    assert_eq!(ons().count(), 19);
    assert_eq!(
        CATEGORIES
            .iter()
            .filter(|c| c.origin == Origin::Eeo1)
            .count(),
        7
    );
    let per_heading = |h| ons().filter(|c| c.heading == h).count();
    assert_eq!(per_heading(Heading::White), 5);
    assert_eq!(per_heading(Heading::Mixed), 4);
    assert_eq!(per_heading(Heading::Asian), 5);
    assert_eq!(per_heading(Heading::Black), 3);
    assert_eq!(per_heading(Heading::Other), 2);
}

#[test]
fn heading_sub_forms_2011_and_2021() {
    let cases = [
        ("Asian or Asian British - Indian", "indian"),
        ("Asian, Asian British or Asian Welsh: Indian", "indian"),
        (
            "Mixed/Multiple ethnic groups - White and Asian",
            "mixed_white_asian",
        ),
        (
            "Mixed or Multiple ethnic groups: White and Black African",
            "mixed_white_black_african",
        ),
        (
            "Black, African, Caribbean or Black British - African",
            "african",
        ),
        (
            "Black, Black British, Black Welsh, Caribbean or African: Caribbean",
            "caribbean",
        ),
        (
            "White - English/Welsh/Scottish/Northern Irish/British",
            "white_british",
        ),
        (
            "White: English, Welsh, Scottish, Northern Irish or British",
            "white_british",
        ),
        ("White - British", "white_british"),
        ("White - Any other White background", "other_white"),
        (
            "Black or Black British - Any other Black background",
            "other_black",
        ),
        ("Other ethnic group: Arab", "arab"),
        ("Other Ethnic Groups - Chinese", "chinese"),
        ("Other ethnic group - Any other ethnic group", "any_other"),
        ("Mixed - Any other mixed background", "other_mixed"),
        (
            "Asian or Asian British - Any other Asian background",
            "other_asian",
        ),
    ];
    for (label, id) in cases {
        assert_eq!(resolve(Some(label)), cat(id), "{label}");
    }
}

#[test]
fn bare_names_and_short_forms() {
    let cases = [
        ("Indian", "indian"),
        ("African", "african"),
        ("Roma", "roma"),
        ("Arab", "arab"),
        ("White British", "white_british"),
        ("White Irish", "white_irish"),
        ("Black African", "african"),
        ("Black Caribbean", "caribbean"),
        ("Gypsy or Irish Traveller", "gypsy_irish_traveller"),
        ("White & Black Caribbean", "mixed_white_black_caribbean"),
        ("Any other ethnic group", "any_other"),
    ];
    for (label, id) in cases {
        assert_eq!(resolve(Some(label)), cat(id), "{label}");
    }
}

#[test]
fn case_spacing_and_punctuation_do_not_matter() {
    for label in [
        "  asian OR asian british -   INDIAN ",
        "Asian or Asian British – Indian",
        "ASIAN OR ASIAN BRITISH:INDIAN",
        "indian.",
    ] {
        assert_eq!(resolve(Some(label)), cat("indian"), "{label}");
    }
}

#[test]
fn nhs_codes() {
    assert_eq!(resolve(Some("A")), cat("white_british"));
    assert_eq!(resolve(Some("h")), cat("indian"));
    assert_eq!(resolve(Some("R")), cat("chinese"));
    assert_eq!(resolve(Some("S")), cat("any_other"));
    assert_eq!(resolve(Some("Z")), Resolution::Declined);
    assert_eq!(resolve(Some("99")), Resolution::NotKnown);
    assert_eq!(resolve(Some("Z - Not stated")), Resolution::Declined);
    assert_eq!(resolve(Some("99 - Not known")), Resolution::NotKnown);
    assert_eq!(
        resolve(Some("99 - Prefer not to say")),
        Resolution::Unmapped(Why::Contradictory)
    );
    assert_eq!(resolve(Some("A - White - British")), cat("white_british"));
    assert_eq!(
        resolve(Some("N: Black or Black British - African")),
        cat("african")
    );
    // Code and text disagree: not guessed.
    assert_eq!(
        resolve(Some("A - Indian")),
        Resolution::Unmapped(Why::Contradictory)
    );
    // Letters that are not codes.
    assert!(matches!(resolve(Some("I")), Resolution::Unmapped(_)));
    assert!(matches!(resolve(Some("Q")), Resolution::Unmapped(_)));
}

#[test]
fn unknowns_kept_apart() {
    assert_eq!(resolve(None), Resolution::NotKnown);
    assert_eq!(resolve(Some("")), Resolution::NotKnown);
    assert_eq!(resolve(Some("   ")), Resolution::NotKnown);
    assert_eq!(resolve(Some("Not stated")), Resolution::NotKnown);
    assert_eq!(resolve(Some("Prefer not to say")), Resolution::Declined);
    assert_eq!(
        resolve(Some("I do not wish to disclose my ethnic origin")),
        Resolution::Declined
    );
}

#[test]
fn headings_alone() {
    assert_eq!(
        resolve(Some("Asian or Asian British")),
        Resolution::Heading(Heading::Asian)
    );
    assert_eq!(resolve(Some("White")), Resolution::Heading(Heading::White));
    assert_eq!(resolve(Some("Mixed")), Resolution::Heading(Heading::Mixed));
}

#[test]
fn ambiguous_or_unknown_is_never_guessed() {
    for label in [
        "Other",
        "British",
        "English",
        "Martian",
        "White - Indian",
        "Asian - Caribbean",
        "Black - Other Asian",
        "Mixed - Chinese",
        "White - Asian",
    ] {
        assert!(
            matches!(resolve(Some(label)), Resolution::Unmapped(_)),
            "{label}: {:?}",
            resolve(Some(label))
        );
    }
}

#[test]
fn suggestions_name_one_match_or_nothing() {
    assert_eq!(
        suggest("Asian - Tamil Nadu"),
        Some(Resolution::Heading(Heading::Asian))
    );
    assert_eq!(suggest("Somali heritage"), Some(cat("african")));
    // Two different readings match as many words: no suggestion.
    assert_eq!(suggest("Asian Other White"), None);
    assert_eq!(suggest("Martian"), None);
}

#[test]
fn hyphenated_words_are_not_separators() {
    assert_eq!(
        resolve(Some("Mixed-race")),
        Resolution::Heading(Heading::Mixed)
    );
}

#[test]
fn every_official_name_resolves_to_itself() {
    for (i, c) in CATEGORIES.iter().enumerate() {
        assert_eq!(resolve(Some(c.name)), Resolution::Category(i), "{}", c.name);
        let with_heading = format!("{} - {}", c.heading.census_name(), c.name);
        assert_eq!(
            resolve(Some(&with_heading)),
            Resolution::Category(i),
            "{with_heading}"
        );
        assert_eq!(find_category(c.id), Some(i));
    }
}
