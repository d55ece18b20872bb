//! Raw ethnicity labels → the 19 ONS 2021 categories (England and Wales) and
//! the 7 US EEO-1 race/ethnicity categories, plus *declined* and *not known*.
//! Both sets live in one table, so every scheme (UK or US) is the same code
//! path: a scheme places each category in a group, or leaves it unmapped.
//!
//! Real exports spell the same category many ways: "Asian or Asian British -
//! Indian", "Asian, Asian British or Asian Welsh: Indian", "Indian", "H". The
//! resolver normalises case, spacing and punctuation, understands
//! `Heading - Sub` and `Heading: Sub`, both the 2011 and 2021 heading
//! wordings, bare sub-category names, common short forms and the NHS Data
//! Dictionary ethnic category codes. Anything it cannot place with certainty
//! is [`Resolution::Unmapped`], never guessed; callers count and list those.
//!
//! A label that names only a heading ("Asian or Asian British") resolves to
//! [`Resolution::Heading`]: a grouping scheme can still place it when every
//! category under that heading falls in one group (WRES, ONS 5), and treats
//! it as unmapped otherwise (ONS 19).

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::Serialize;

/// The five ONS 2021 headings (the `ons5` groups).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
pub enum Heading {
    /// Asian, Asian British or Asian Welsh.
    Asian,
    /// Black, Black British, Black Welsh, Caribbean or African.
    Black,
    /// Mixed or Multiple ethnic groups.
    Mixed,
    /// White.
    White,
    /// Other ethnic group.
    Other,
}

impl Heading {
    /// All headings in ONS order of the ons5 output.
    pub const ALL: [Heading; 5] = [
        Heading::Asian,
        Heading::Black,
        Heading::Mixed,
        Heading::White,
        Heading::Other,
    ];

    /// Short name, used as the ons5 group name and in custom grouping files.
    pub fn short_name(self) -> &'static str {
        match self {
            Heading::Asian => "Asian",
            Heading::Black => "Black",
            Heading::Mixed => "Mixed",
            Heading::White => "White",
            Heading::Other => "Other",
        }
    }

    /// The 2021 census wording.
    pub fn census_name(self) -> &'static str {
        match self {
            Heading::Asian => "Asian, Asian British or Asian Welsh",
            Heading::Black => "Black, Black British, Black Welsh, Caribbean or African",
            Heading::Mixed => "Mixed or Multiple ethnic groups",
            Heading::White => "White",
            Heading::Other => "Other ethnic group",
        }
    }

    /// Lower-case identifier accepted in custom grouping files.
    pub fn id(self) -> &'static str {
        match self {
            Heading::Asian => "asian",
            Heading::Black => "black",
            Heading::Mixed => "mixed",
            Heading::White => "white",
            Heading::Other => "other",
        }
    }
}

/// Which classification a category comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// ONS 2021 census, England and Wales.
    Ons2021,
    /// US EEO-1 (EEOC; the OMB 1997 race and ethnicity categories).
    Eeo1,
}

/// How many categories there are (19 ONS + 7 EEO-1).
pub const N_CATEGORIES: usize = 26;

/// An ethnic group category: one of the 19 ONS 2021 categories or the 7
/// EEO-1 categories.
#[derive(Debug)]
pub struct Category {
    /// Stable identifier, used in custom grouping files and JSON.
    pub id: &'static str,
    /// The classification it belongs to.
    pub origin: Origin,
    /// The ONS 2021 name of the category.
    pub name: &'static str,
    /// Its ONS heading (for an EEO-1 category, the heading whose people it
    /// mostly holds, so UK schemes can place it: see docs/data.md).
    pub heading: Heading,
    /// The NHS Data Dictionary ethnic category code that maps onto it.
    pub nhs_code: Option<&'static str>,
    /// Names that identify it on their own and under its heading.
    names: &'static [&'static str],
    /// Names that identify it only after its heading ("White - British").
    sub_only: &'static [&'static str],
}

/// The categories: the 19 ONS ones in ONS order, then the 7 EEO-1 ones in
/// EEO-1 order. A category's index in this table is its code everywhere else
/// in rung.
pub static CATEGORIES: [Category; N_CATEGORIES] = [
    Category {
        origin: Origin::Ons2021,
        id: "white_british",
        name: "English, Welsh, Scottish, Northern Irish or British",
        heading: Heading::White,
        nhs_code: Some("A"),
        names: &[
            "English, Welsh, Scottish, Northern Irish or British",
            "English/Welsh/Scottish/Northern Irish/British",
            "White British",
            "White English",
            "White Welsh",
            "White Scottish",
            "White Northern Irish",
            "White English, Welsh, Scottish, Northern Irish or British",
        ],
        sub_only: &["British", "English", "Welsh", "Scottish", "Northern Irish"],
    },
    Category {
        origin: Origin::Ons2021,
        id: "white_irish",
        name: "Irish",
        heading: Heading::White,
        nhs_code: Some("B"),
        names: &["Irish", "White Irish"],
        sub_only: &[],
    },
    Category {
        origin: Origin::Ons2021,
        id: "gypsy_irish_traveller",
        name: "Gypsy or Irish Traveller",
        heading: Heading::White,
        nhs_code: None,
        names: &[
            "Gypsy or Irish Traveller",
            "Gypsy",
            "Irish Traveller",
            "Gypsy Traveller",
            "White Gypsy or Irish Traveller",
        ],
        sub_only: &["Traveller"],
    },
    Category {
        origin: Origin::Ons2021,
        id: "roma",
        name: "Roma",
        heading: Heading::White,
        nhs_code: None,
        names: &["Roma", "White Roma"],
        sub_only: &[],
    },
    Category {
        origin: Origin::Ons2021,
        id: "other_white",
        name: "Any other White background",
        heading: Heading::White,
        nhs_code: Some("C"),
        names: &[
            "Any other White background",
            "Other White background",
            "Other White",
            "White Other",
            "White any other background",
            "White other background",
            "Any other White",
        ],
        sub_only: &[
            "Any other background",
            "Other",
            "Any other",
            "Other background",
        ],
    },
    Category {
        origin: Origin::Ons2021,
        id: "mixed_white_black_caribbean",
        name: "White and Black Caribbean",
        heading: Heading::Mixed,
        nhs_code: Some("D"),
        names: &[
            "White and Black Caribbean",
            "Mixed White and Black Caribbean",
        ],
        sub_only: &[],
    },
    Category {
        origin: Origin::Ons2021,
        id: "mixed_white_black_african",
        name: "White and Black African",
        heading: Heading::Mixed,
        nhs_code: Some("E"),
        names: &["White and Black African", "Mixed White and Black African"],
        sub_only: &[],
    },
    Category {
        origin: Origin::Ons2021,
        id: "mixed_white_asian",
        name: "White and Asian",
        heading: Heading::Mixed,
        nhs_code: Some("F"),
        names: &["White and Asian", "Mixed White and Asian"],
        sub_only: &[],
    },
    Category {
        origin: Origin::Ons2021,
        id: "other_mixed",
        name: "Any other Mixed or Multiple ethnic background",
        heading: Heading::Mixed,
        nhs_code: Some("G"),
        names: &[
            "Any other Mixed or Multiple ethnic background",
            "Any other Mixed/Multiple ethnic background",
            "Any other Mixed background",
            "Other Mixed background",
            "Other Mixed",
            "Mixed Other",
            "Mixed any other background",
        ],
        sub_only: &[
            "Any other background",
            "Other",
            "Any other",
            "Other background",
        ],
    },
    Category {
        origin: Origin::Ons2021,
        id: "indian",
        name: "Indian",
        heading: Heading::Asian,
        nhs_code: Some("H"),
        names: &[
            "Indian",
            "Asian Indian",
            "Indian or British Indian",
            "British Indian",
        ],
        sub_only: &[],
    },
    Category {
        origin: Origin::Ons2021,
        id: "pakistani",
        name: "Pakistani",
        heading: Heading::Asian,
        nhs_code: Some("J"),
        names: &[
            "Pakistani",
            "Asian Pakistani",
            "Pakistani or British Pakistani",
            "British Pakistani",
        ],
        sub_only: &[],
    },
    Category {
        origin: Origin::Ons2021,
        id: "bangladeshi",
        name: "Bangladeshi",
        heading: Heading::Asian,
        nhs_code: Some("K"),
        names: &[
            "Bangladeshi",
            "Asian Bangladeshi",
            "Bangladeshi or British Bangladeshi",
            "British Bangladeshi",
        ],
        sub_only: &[],
    },
    Category {
        origin: Origin::Ons2021,
        id: "chinese",
        name: "Chinese",
        heading: Heading::Asian,
        nhs_code: Some("R"),
        names: &["Chinese", "Asian Chinese", "British Chinese"],
        sub_only: &[],
    },
    Category {
        origin: Origin::Ons2021,
        id: "other_asian",
        name: "Any other Asian background",
        heading: Heading::Asian,
        nhs_code: Some("L"),
        names: &[
            "Any other Asian background",
            "Other Asian background",
            "Other Asian",
            "Asian Other",
            "Asian any other background",
            "Any other Asian",
        ],
        sub_only: &[
            "Any other background",
            "Other",
            "Any other",
            "Other background",
        ],
    },
    Category {
        origin: Origin::Ons2021,
        id: "african",
        name: "African",
        heading: Heading::Black,
        nhs_code: Some("N"),
        names: &["African", "Black African", "Black British African"],
        sub_only: &[],
    },
    Category {
        origin: Origin::Ons2021,
        id: "caribbean",
        name: "Caribbean",
        heading: Heading::Black,
        nhs_code: Some("M"),
        names: &["Caribbean", "Black Caribbean", "Black British Caribbean"],
        sub_only: &[],
    },
    Category {
        origin: Origin::Ons2021,
        id: "other_black",
        name: "Any other Black, Black British or Caribbean background",
        heading: Heading::Black,
        nhs_code: Some("P"),
        names: &[
            "Any other Black, Black British or Caribbean background",
            "Any other Black/African/Caribbean background",
            "Any other Black background",
            "Other Black background",
            "Other Black",
            "Black Other",
            "Black any other background",
            "Any other Black",
        ],
        sub_only: &[
            "Any other background",
            "Other",
            "Any other",
            "Other background",
        ],
    },
    Category {
        origin: Origin::Ons2021,
        id: "arab",
        name: "Arab",
        heading: Heading::Other,
        nhs_code: None,
        names: &["Arab", "Other ethnic group Arab"],
        sub_only: &[],
    },
    Category {
        origin: Origin::Ons2021,
        id: "any_other",
        name: "Any other ethnic group",
        heading: Heading::Other,
        nhs_code: Some("S"),
        names: &["Any other ethnic group", "Other ethnic group any other"],
        sub_only: &[
            "Any other",
            "Other",
            "Any other background",
            "Other background",
        ],
    },
    // US EEO-1 categories (EEOC EEO-1 Component 1 instruction booklet;
    // OMB 1997 standards): Hispanic or Latino is asked first and takes
    // precedence; the races are "Not Hispanic or Latino".
    Category {
        origin: Origin::Eeo1,
        id: "hispanic_latino",
        name: "Hispanic or Latino",
        heading: Heading::Other,
        nhs_code: None,
        names: &[
            "Hispanic or Latino",
            "Hispanic/Latino",
            "Hispanic",
            "Latino",
            "Latina",
            "Latinx",
            "Hispanic or Latinx",
        ],
        sub_only: &[],
    },
    Category {
        origin: Origin::Eeo1,
        id: "us_white",
        name: "White (Not Hispanic or Latino)",
        heading: Heading::White,
        nhs_code: None,
        names: &["White (Not Hispanic or Latino)", "White Not Hispanic"],
        sub_only: &[],
    },
    Category {
        origin: Origin::Eeo1,
        id: "us_black",
        name: "Black or African American (Not Hispanic or Latino)",
        heading: Heading::Black,
        nhs_code: None,
        names: &[
            "Black or African American",
            "Black or African American (Not Hispanic or Latino)",
            "African American",
        ],
        sub_only: &[],
    },
    Category {
        origin: Origin::Eeo1,
        id: "us_nhpi",
        name: "Native Hawaiian or Other Pacific Islander (Not Hispanic or Latino)",
        heading: Heading::Other,
        nhs_code: None,
        names: &[
            "Native Hawaiian or Other Pacific Islander",
            "Native Hawaiian or Other Pacific Islander (Not Hispanic or Latino)",
            "Native Hawaiian or Pacific Islander",
            "Pacific Islander",
        ],
        sub_only: &[],
    },
    Category {
        origin: Origin::Eeo1,
        id: "us_asian",
        name: "Asian (Not Hispanic or Latino)",
        heading: Heading::Asian,
        nhs_code: None,
        names: &["Asian (Not Hispanic or Latino)", "Asian American"],
        sub_only: &[],
    },
    Category {
        origin: Origin::Eeo1,
        id: "us_aian",
        name: "American Indian or Alaska Native (Not Hispanic or Latino)",
        heading: Heading::Other,
        nhs_code: None,
        names: &[
            "American Indian or Alaska Native",
            "American Indian or Alaskan Native",
            "American Indian or Alaska Native (Not Hispanic or Latino)",
            "Native American",
        ],
        sub_only: &[],
    },
    Category {
        origin: Origin::Eeo1,
        id: "us_two_or_more",
        name: "Two or More Races (Not Hispanic or Latino)",
        heading: Heading::Mixed,
        nhs_code: None,
        names: &[
            "Two or More Races",
            "Two or More Races (Not Hispanic or Latino)",
            "Two or more",
            "Multiracial",
        ],
        sub_only: &[],
    },
];

/// Ways the headings are written. Used only before a separator ("Asian or
/// Asian British - Indian") or, when they stand alone, to resolve to a
/// heading.
const HEADING_NAMES: &[(Heading, &[&str])] = &[
    (
        Heading::Asian,
        &[
            "Asian",
            "Asian or Asian British",
            "Asian, Asian British or Asian Welsh",
            "Asian British",
        ],
    ),
    (
        Heading::Black,
        &[
            "Black",
            "Black or Black British",
            "Black, African, Caribbean or Black British",
            "Black/African/Caribbean/Black British",
            "Black, Black British, Black Welsh, Caribbean or African",
            "Black British",
        ],
    ),
    (
        Heading::Mixed,
        &[
            "Mixed",
            "Mixed/Multiple ethnic groups",
            "Mixed or Multiple ethnic groups",
            "Mixed/Multiple ethnic group",
            "Mixed ethnic groups",
            "Multiple ethnic groups",
            "Mixed race",
        ],
    ),
    (Heading::White, &["White"]),
    (
        Heading::Other,
        &["Other ethnic group", "Other ethnic groups", "Other"],
    ),
];

/// Headings whose bare name is too vague to stand alone as an answer
/// ("Other": other what?).
const HEADING_NAMES_NOT_ALONE: &[&str] = &["Other"];

const DECLINED: &[&str] = &[
    "Prefer not to say",
    "I prefer not to say",
    "Prefer not to answer",
    "Prefer not to state",
    "Prefer not to disclose",
    "Declined",
    "Declined to state",
    "Declined to answer",
    "Declined to specify",
    "Decline to answer",
    "Decline to self identify",
    "Do not wish to disclose",
    "I do not wish to disclose",
    "I do not wish to disclose my ethnic origin",
    "I do not wish to declare",
    "I don't wish to answer",
    "Not disclosed",
    "Rather not say",
    "Refused",
];

const NOT_KNOWN: &[&str] = &[
    "Not stated",
    "Not known",
    "Unknown",
    "N/A",
    "NA",
    "None",
    "Null",
    "Not specified",
    "Not recorded",
    "Not provided",
    "Missing",
    "Blank",
];

/// What a raw label resolves to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Resolution {
    /// One of the categories (index into [`CATEGORIES`]).
    Category(usize),
    /// Only a heading was given.
    Heading(Heading),
    /// The applicant chose not to say (e.g. "Prefer not to say", NHS code Z).
    Declined,
    /// No answer recorded (empty, "Not stated", NHS code 99).
    NotKnown,
    /// Not recognised, or contradictory; never guessed.
    Unmapped,
}

/// Resolves a raw label (`None` for a missing value).
pub fn resolve(label: Option<&str>) -> Resolution {
    let Some(label) = label else {
        return Resolution::NotKnown;
    };
    let text = tidy(label);
    if text.is_empty() || text.chars().all(|c| matches!(c, '-' | ':' | ' ')) {
        return Resolution::NotKnown;
    }
    if let Some(code) = nhs_code(&text) {
        return code;
    }
    // "A - White - British", "H: Indian": an NHS code in front of the text.
    if let Some((first, rest)) = split_heading(&text)
        && let Some(code) = nhs_code(first)
    {
        let text_says = resolve_text(rest);
        return match (code, text_says) {
            (a, b) if a == b => a,
            (Resolution::Category(c), Resolution::Heading(h)) if CATEGORIES[c].heading == h => code,
            // The NHS Data Dictionary's wording for code Z is "Not stated",
            // defined as asked and declined: the code decides.
            (Resolution::Declined, Resolution::NotKnown) => code,
            _ => Resolution::Unmapped,
        };
    }
    resolve_text(&text)
}

fn resolve_text(text: &str) -> Resolution {
    let tables = tables();
    // A label with a recognised heading before a separator is read as
    // heading + sub-category and nothing else, so "White - Asian" is
    // contradictory (unmapped), not "White and Asian".
    if let Some((head, sub)) = split_heading(text)
        && let Some(&heading) = tables.headings.get(&key(head))
    {
        let sub_key = key(sub);
        if let Some(&c) = tables.subs.get(&(heading, sub_key.clone())) {
            return Resolution::Category(c);
        }
        // NHS Data Dictionary (2001) files Chinese under "Other Ethnic
        // Groups"; ONS 2021 under Asian. Same people: accept both.
        if heading == Heading::Other && sub_key == key("Chinese") {
            return Resolution::Category(category_index("chinese"));
        }
        return Resolution::Unmapped;
    }
    tables
        .whole
        .get(&key(text))
        .copied()
        .unwrap_or(Resolution::Unmapped)
}

/// Index of a category by id. Panics on an unknown id: only for ids written
/// in this module.
fn category_index(id: &str) -> usize {
    CATEGORIES
        .iter()
        .position(|c| c.id == id)
        .expect("category id exists")
}

/// Finds a category by id or by its ONS name (any case).
pub fn find_category(name: &str) -> Option<usize> {
    let k = key(name);
    CATEGORIES
        .iter()
        .position(|c| c.id.eq_ignore_ascii_case(name.trim()) || key(c.name) == k)
}

/// Finds a heading by id or short name (any case).
pub fn find_heading(name: &str) -> Option<Heading> {
    Heading::ALL
        .into_iter()
        .find(|h| h.id().eq_ignore_ascii_case(name.trim()) || key(h.census_name()) == key(name))
}

fn nhs_code(text: &str) -> Option<Resolution> {
    let t = text.trim();
    if t == "99" {
        return Some(Resolution::NotKnown);
    }
    if t.len() != 1 {
        return None;
    }
    let upper = t.to_ascii_uppercase();
    if upper == "Z" {
        return Some(Resolution::Declined);
    }
    CATEGORIES
        .iter()
        .position(|c| c.nhs_code == Some(upper.as_str()))
        .map(Resolution::Category)
}

/// Lower case, typographic dashes to '-', '&' to "and", every other
/// punctuation mark except '-' and ':' to a space, spaces collapsed.
fn tidy(label: &str) -> String {
    let mut out = String::with_capacity(label.len());
    for ch in label.chars() {
        match ch {
            '\u{2010}'..='\u{2015}' | '\u{2212}' => out.push('-'),
            '&' => out.push_str(" and "),
            '-' | ':' => out.push(ch),
            '\'' | '\u{2019}' => {}
            c if c.is_alphanumeric() => out.extend(c.to_lowercase()),
            _ => out.push(' '),
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Splits "heading - sub" or "heading: sub" at the first separator. A hyphen
/// joins words ("Mixed-race") unless a space stands on one side of it.
fn split_heading(text: &str) -> Option<(&str, &str)> {
    let bytes = text.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        let spaced = |j: usize| bytes.get(j) == Some(&b' ');
        let is_sep = b == b':' || (b == b'-' && (spaced(i + 1) || (i > 0 && spaced(i - 1))));
        if is_sep {
            let head = text[..i].trim();
            let sub = text[i + 1..].trim().trim_start_matches(['-', ':']).trim();
            if !head.is_empty() && !sub.is_empty() {
                return Some((head, sub));
            }
        }
    }
    None
}

/// The matching key: tidied words without separators and the joining words
/// "or", "and", "the", so "White & Asian", "White and Asian" and "white/asian"
/// agree.
fn key(text: &str) -> String {
    tidy(text)
        .split([' ', '-', ':'])
        .filter(|w| !w.is_empty() && !matches!(*w, "or" | "and" | "the"))
        .collect::<Vec<_>>()
        .join(" ")
}

struct Tables {
    /// Whole-label keys: category names, heading names, declined and not-known phrases.
    whole: HashMap<String, Resolution>,
    /// Heading keys, for the part before a separator.
    headings: HashMap<String, Heading>,
    /// (heading, sub key) → category.
    subs: HashMap<(Heading, String), usize>,
}

fn tables() -> &'static Tables {
    static TABLES: OnceLock<Tables> = OnceLock::new();
    TABLES.get_or_init(|| {
        let mut whole = HashMap::new();
        let mut headings = HashMap::new();
        let mut subs = HashMap::new();
        for (heading, names) in HEADING_NAMES {
            for name in *names {
                headings.insert(key(name), *heading);
                if !HEADING_NAMES_NOT_ALONE.contains(name) {
                    whole.insert(key(name), Resolution::Heading(*heading));
                }
            }
        }
        for (i, cat) in CATEGORIES.iter().enumerate() {
            for name in cat.names {
                let previous = whole.insert(key(name), Resolution::Category(i));
                assert!(
                    !matches!(previous, Some(Resolution::Category(j)) if j != i),
                    "name {name} given to two categories"
                );
                subs.insert((cat.heading, key(name)), i);
            }
            for name in cat.sub_only {
                subs.insert((cat.heading, key(name)), i);
            }
        }
        for phrase in DECLINED {
            whole.insert(key(phrase), Resolution::Declined);
        }
        for phrase in NOT_KNOWN {
            whole.insert(key(phrase), Resolution::NotKnown);
        }
        Tables {
            whole,
            headings,
            subs,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cat(id: &str) -> Resolution {
        Resolution::Category(category_index(id))
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
            Resolution::Unmapped
        );
        assert_eq!(resolve(Some("A - White - British")), cat("white_british"));
        assert_eq!(
            resolve(Some("N: Black or Black British - African")),
            cat("african")
        );
        // Code and text disagree: not guessed.
        assert_eq!(resolve(Some("A - Indian")), Resolution::Unmapped);
        // Letters that are not codes.
        assert_eq!(resolve(Some("I")), Resolution::Unmapped);
        assert_eq!(resolve(Some("Q")), Resolution::Unmapped);
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
            assert_eq!(resolve(Some(label)), Resolution::Unmapped, "{label}");
        }
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
}
