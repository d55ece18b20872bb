use super::*;
use crate::taxonomy::ethnicity::resolve;

/// The EEO-1 race/ethnicity labels as US ATS exports write them (the
/// EEOC's wording, and Greenhouse's and Lever's self-identification
/// answers), and how each scheme places them.
#[test]
fn eeo1_labels_under_every_scheme() {
    let (eeo1, wres, ons19) = (Scheme::eeo1(), Scheme::wres(), Scheme::ons19());
    let group =
        |s: &Scheme, label: &str| s.class_name(s.classify(resolve(Some(label)))).to_string();
    for (label, us, uk) in [
        ("Hispanic or Latino", "Hispanic or Latino", "BME"),
        ("White", "White", "White"),
        ("White (Not Hispanic or Latino)", "White", "White"),
        (
            "Black or African American",
            "Black or African American",
            "BME",
        ),
        ("Asian", "Asian", "BME"),
        (
            "Native Hawaiian or Other Pacific Islander",
            "Native Hawaiian or Other Pacific Islander",
            "BME",
        ),
        (
            "American Indian or Alaskan Native",
            "American Indian or Alaska Native",
            "BME",
        ),
        ("Two or More Races", "Two or More Races", "BME"),
        ("Decline To Self Identify", "Declined", "Declined"),
        // ONS categories under eeo1.
        ("Indian", "Asian", "BME"),
        ("White and Black Caribbean", "Two or More Races", "BME"),
        ("Irish", "White", "White"),
        ("Arab", "Unmapped", "BME"),
        ("Any other ethnic group", "Unmapped", "BME"),
    ] {
        assert_eq!(group(&eeo1, label), us, "{label} under eeo1");
        assert_eq!(group(&wres, label), uk, "{label} under wres");
    }
    assert_eq!(eeo1.groups[eeo1.reference], "White");
    // ons19 is the ONS categories only: EEO-1 labels are unmapped there.
    for label in [
        "Hispanic or Latino",
        "Black or African American",
        "Two or More Races",
    ] {
        assert_eq!(group(&ons19, label), "Unmapped", "{label} under ons19");
    }
    assert_eq!(ons19.groups.len(), 19);
}

#[test]
fn wres_puts_all_white_categories_in_white() {
    let s = Scheme::wres();
    for label in [
        "White British",
        "Irish",
        "Roma",
        "Gypsy or Irish Traveller",
        "Any other White background",
        "White",
    ] {
        assert_eq!(s.classify(resolve(Some(label))), Class::Group(0), "{label}");
    }
    for label in [
        "Indian",
        "African",
        "White and Asian",
        "Arab",
        "Chinese",
        "Asian or Asian British",
        "Mixed",
    ] {
        assert_eq!(s.classify(resolve(Some(label))), Class::Group(1), "{label}");
    }
    assert_eq!(
        s.classify(resolve(Some("Prefer not to say"))),
        Class::Declined
    );
    assert_eq!(s.classify(resolve(None)), Class::NotKnown);
    assert_eq!(s.classify(resolve(Some("Martian"))), Class::Unmapped);
}

#[test]
fn heading_only_is_unmapped_in_ons19() {
    let s = Scheme::ons19();
    assert_eq!(
        s.classify(resolve(Some("Asian or Asian British"))),
        Class::Unmapped
    );
    assert_eq!(s.classify(resolve(Some("Indian"))), Class::Group(9));
    let s5 = Scheme::ons5();
    assert_eq!(s5.groups[s5.reference], "White");
    assert_eq!(
        s5.class_name(s5.classify(resolve(Some("Asian or Asian British")))),
        "Asian"
    );
}

#[test]
fn custom_file_needs_every_category_once() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("g.toml");
    std::fs::write(
        &good,
        "name = \"wb\"\nreference = \"White British\"\n[groups]\n\"White British\" = [\"white_british\"]\n\"Other White\" = [\"white_irish\", \"gypsy_irish_traveller\", \"roma\", \"other_white\"]\n\"Minority ethnic\" = [\"asian\", \"black\", \"mixed\", \"other\"]\n",
    )
    .unwrap();
    let s = Scheme::from_file(&good).unwrap();
    assert_eq!(
        s.groups,
        ["White British", "Other White", "Minority ethnic"]
    );
    assert_eq!(s.reference, 0);
    assert_eq!(s.classify(resolve(Some("Irish"))), Class::Group(1));
    // A heading spanning two groups cannot be placed.
    assert_eq!(s.classify(resolve(Some("White"))), Class::Unmapped);
    assert_eq!(s.classify(resolve(Some("Black"))), Class::Group(2));

    let missing = dir.path().join("m.toml");
    std::fs::write(&missing, "reference = \"W\"\n[groups]\nW = [\"white\"]\n").unwrap();
    let err = Scheme::from_file(&missing).unwrap_err().to_string();
    assert!(
        err.contains("in no group") && err.contains("indian"),
        "{err}"
    );

    let twice = dir.path().join("t.toml");
    std::fs::write(&twice, "reference = \"W\"\n[groups]\nW = [\"white\", \"roma\"]\nB = [\"asian\", \"black\", \"mixed\", \"other\"]\n").unwrap();
    let err = Scheme::from_file(&twice).unwrap_err().to_string();
    assert!(err.contains("lists category 'roma' twice"), "{err}");
    let two = dir.path().join("two.toml");
    std::fs::write(&two, "reference = \"W\"\n[groups]\nW = [\"white\"]\nB = [\"asian\", \"black\", \"mixed\", \"other\", \"roma\"]\n").unwrap();
    let err = Scheme::from_file(&two).unwrap_err().to_string();
    assert!(err.contains("two groups: 'W' and 'B'"), "{err}");
}
