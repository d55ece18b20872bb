//! The categories every label resolves to: the 19 ONS 2021 categories under
//! their five headings, the US EEO-1 categories, and the named sets of
//! categories (minority, …) that group names stand for.

use serde::Serialize;

use super::label_text::key;

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
    },
    Category {
        origin: Origin::Ons2021,
        id: "white_irish",
        name: "Irish",
        heading: Heading::White,
    },
    Category {
        origin: Origin::Ons2021,
        id: "gypsy_irish_traveller",
        name: "Gypsy or Irish Traveller",
        heading: Heading::White,
    },
    Category {
        origin: Origin::Ons2021,
        id: "roma",
        name: "Roma",
        heading: Heading::White,
    },
    Category {
        origin: Origin::Ons2021,
        id: "other_white",
        name: "Any other White background",
        heading: Heading::White,
    },
    Category {
        origin: Origin::Ons2021,
        id: "mixed_white_black_caribbean",
        name: "White and Black Caribbean",
        heading: Heading::Mixed,
    },
    Category {
        origin: Origin::Ons2021,
        id: "mixed_white_black_african",
        name: "White and Black African",
        heading: Heading::Mixed,
    },
    Category {
        origin: Origin::Ons2021,
        id: "mixed_white_asian",
        name: "White and Asian",
        heading: Heading::Mixed,
    },
    Category {
        origin: Origin::Ons2021,
        id: "other_mixed",
        name: "Any other Mixed or Multiple ethnic background",
        heading: Heading::Mixed,
    },
    Category {
        origin: Origin::Ons2021,
        id: "indian",
        name: "Indian",
        heading: Heading::Asian,
    },
    Category {
        origin: Origin::Ons2021,
        id: "pakistani",
        name: "Pakistani",
        heading: Heading::Asian,
    },
    Category {
        origin: Origin::Ons2021,
        id: "bangladeshi",
        name: "Bangladeshi",
        heading: Heading::Asian,
    },
    Category {
        origin: Origin::Ons2021,
        id: "chinese",
        name: "Chinese",
        heading: Heading::Asian,
    },
    Category {
        origin: Origin::Ons2021,
        id: "other_asian",
        name: "Any other Asian background",
        heading: Heading::Asian,
    },
    Category {
        origin: Origin::Ons2021,
        id: "african",
        name: "African",
        heading: Heading::Black,
    },
    Category {
        origin: Origin::Ons2021,
        id: "caribbean",
        name: "Caribbean",
        heading: Heading::Black,
    },
    Category {
        origin: Origin::Ons2021,
        id: "other_black",
        name: "Any other Black, Black British or Caribbean background",
        heading: Heading::Black,
    },
    Category {
        origin: Origin::Ons2021,
        id: "arab",
        name: "Arab",
        heading: Heading::Other,
    },
    Category {
        origin: Origin::Ons2021,
        id: "any_other",
        name: "Any other ethnic group",
        heading: Heading::Other,
    },
    // US EEO-1 categories (EEOC EEO-1 Component 1 instruction booklet;
    // OMB 1997 standards): Hispanic or Latino is asked first and takes
    // precedence; the races are "Not Hispanic or Latino".
    Category {
        origin: Origin::Eeo1,
        id: "hispanic_latino",
        name: "Hispanic or Latino",
        heading: Heading::Other,
    },
    Category {
        origin: Origin::Eeo1,
        id: "us_white",
        name: "White (Not Hispanic or Latino)",
        heading: Heading::White,
    },
    Category {
        origin: Origin::Eeo1,
        id: "us_black",
        name: "Black or African American (Not Hispanic or Latino)",
        heading: Heading::Black,
    },
    Category {
        origin: Origin::Eeo1,
        id: "us_nhpi",
        name: "Native Hawaiian or Other Pacific Islander (Not Hispanic or Latino)",
        heading: Heading::Other,
    },
    Category {
        origin: Origin::Eeo1,
        id: "us_asian",
        name: "Asian (Not Hispanic or Latino)",
        heading: Heading::Asian,
    },
    Category {
        origin: Origin::Eeo1,
        id: "us_aian",
        name: "American Indian or Alaska Native (Not Hispanic or Latino)",
        heading: Heading::Other,
    },
    Category {
        origin: Origin::Eeo1,
        id: "us_two_or_more",
        name: "Two or More Races (Not Hispanic or Latino)",
        heading: Heading::Mixed,
    },
];

/// Named groups of categories that labels use in place of one category:
/// "BME" (every category outside the White heading), the 2001 census
/// heading "Chinese or other ethnic group", the US "Asian or Pacific
/// Islander" of 1977. A scheme places such a label only when all its
/// categories fall in one of its groups.
#[derive(Debug)]
pub struct CategorySet {
    /// Identifier used in the wordings table and in profiles (`set:minority`).
    pub id: &'static str,
    /// What it is, in words.
    pub name: &'static str,
}

/// The category sets, in a fixed order (their index is their code).
pub static SETS: [CategorySet; 3] = [
    CategorySet {
        id: "minority",
        name: "Black, Asian and minority ethnic (every category outside the White heading)",
    },
    CategorySet {
        id: "chinese_or_other",
        name: "Chinese or other ethnic group (2001 census heading: Chinese, Arab or any other)",
    },
    CategorySet {
        id: "asian_pacific_islander",
        name: "Asian or Pacific Islander (US, 1977: the Asian categories and Native Hawaiian or Other Pacific Islander)",
    },
];

/// The categories of a set, as a bit mask over [`CATEGORIES`].
pub(super) fn set_members(set: usize) -> u32 {
    let mask = |keep: &dyn Fn(&Category) -> bool| {
        CATEGORIES
            .iter()
            .enumerate()
            .filter(|(_, c)| keep(c))
            .fold(0u32, |m, (i, _)| m | 1 << i)
    };
    match SETS[set].id {
        "minority" => mask(&|c| c.heading != Heading::White),
        "chinese_or_other" => mask(&|c| matches!(c.id, "chinese" | "arab" | "any_other")),
        _ => mask(&|c| c.heading == Heading::Asian || c.id == "us_nhpi"),
    }
}

/// The categories under a heading, as a bit mask over [`CATEGORIES`].
pub(super) fn heading_members(h: Heading) -> u32 {
    CATEGORIES
        .iter()
        .enumerate()
        .filter(|(_, c)| c.heading == h)
        .fold(0, |m, (i, _)| m | 1 << i)
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
