//! Grouping schemes: the ethnic group categories (19 ONS, 7 EEO-1) → the
//! groups an audit compares.
//!
//! A scheme is one table from category to group (or to nothing: unmapped in
//! this scheme), so `wres`, `ons5`, `ons19`, `eeo1` and a custom file are the
//! same code path. A label that resolved only to a
//! heading is placed when every category under that heading falls in one
//! group, and is unmapped in this scheme otherwise.

use std::path::Path;

use serde::Deserialize;

use super::ethnicity::{
    CATEGORIES, Heading, N_CATEGORIES, Origin, Resolution, SETS, find_category, find_heading,
};
use crate::error::Error;

/// Where an application's ethnicity puts it under a scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Class {
    /// A known group: index into [`Scheme::groups`].
    Group(usize),
    /// The applicant declined to say.
    Declined,
    /// Nothing recorded.
    NotKnown,
    /// A label that could not be placed in this scheme.
    Unmapped,
}

impl Class {
    /// The class as a number, for a column of a counting query: a group's
    /// index, or −1, −2, −3 for the unknown classes.
    pub fn code(self) -> i32 {
        match self {
            Class::Group(g) => i32::try_from(g).unwrap_or(i32::MAX),
            Class::Declined => -1,
            Class::NotKnown => -2,
            Class::Unmapped => -3,
        }
    }

    /// The class a [`Class::code`] stands for.
    pub fn from_code(code: i32) -> Class {
        match code {
            -1 => Class::Declined,
            -2 => Class::NotKnown,
            c => usize::try_from(c).map_or(Class::Unmapped, Class::Group),
        }
    }

    /// Display name of an unknown class; `None` for a known group.
    pub fn unknown_name(self) -> Option<&'static str> {
        match self {
            Class::Group(_) => None,
            Class::Declined => Some("Declined"),
            Class::NotKnown => Some("Not known"),
            Class::Unmapped => Some("Unmapped"),
        }
    }

    /// The three unknown classes, in report order.
    pub const UNKNOWN: [Class; 3] = [Class::Declined, Class::NotKnown, Class::Unmapped];
}

/// A grouping scheme.
#[derive(Debug, Clone)]
pub struct Scheme {
    /// Name shown in reports (`wres`, `ons5`, `ons19` or the file's `name`).
    pub name: String,
    /// Group names in report order.
    pub groups: Vec<String>,
    /// Index of the reference group in `groups`.
    pub reference: usize,
    /// Group index of each category; `None`: unmapped in this scheme.
    category_group: [Option<usize>; N_CATEGORIES],
}

impl Scheme {
    /// NHS WRES: White (all five White categories) vs BME (all others).
    pub fn wres() -> Scheme {
        let mut category_group = [Some(1); N_CATEGORIES];
        for (i, c) in CATEGORIES.iter().enumerate() {
            if c.heading == Heading::White {
                category_group[i] = Some(0);
            }
        }
        Scheme {
            name: "wres".into(),
            groups: vec!["White".into(), "BME".into()],
            reference: 0,
            category_group,
        }
    }

    /// The five ONS headings: Asian, Black, Mixed, White, Other.
    pub fn ons5() -> Scheme {
        let mut category_group = [None; N_CATEGORIES];
        for (i, c) in CATEGORIES.iter().enumerate() {
            category_group[i] = Heading::ALL.iter().position(|h| *h == c.heading);
        }
        let groups: Vec<String> = Heading::ALL.iter().map(|h| h.short_name().into()).collect();
        let reference = groups.iter().position(|g| g == "White").expect("White");
        Scheme {
            name: "ons5".into(),
            groups,
            reference,
            category_group,
        }
    }

    /// The 19 ONS categories themselves; reference: White British. EEO-1
    /// categories are unmapped here.
    pub fn ons19() -> Scheme {
        let mut category_group = [None; N_CATEGORIES];
        let mut groups = Vec::new();
        for (i, c) in CATEGORIES.iter().enumerate() {
            if c.origin == Origin::Ons2021 {
                category_group[i] = Some(groups.len());
                groups.push(c.name.to_string());
            }
        }
        Scheme {
            name: "ons19".into(),
            groups,
            reference: 0,
            category_group,
        }
    }

    /// The US EEO-1 categories (EEOC), reference White, as US employers and
    /// NYC Local Law 144 bias audits report them. ONS categories are placed
    /// where the EEO-1 definitions place the same people (the White, Black
    /// and Asian headings; Mixed as Two or More Races) and are unmapped where
    /// they do not say (Arab, Any other ethnic group).
    pub fn eeo1() -> Scheme {
        let groups: Vec<String> = [
            "Hispanic or Latino",
            "White",
            "Black or African American",
            "Native Hawaiian or Other Pacific Islander",
            "Asian",
            "American Indian or Alaska Native",
            "Two or More Races",
        ]
        .map(String::from)
        .to_vec();
        let group = |name: &str| groups.iter().position(|g| g == name);
        let mut category_group = [None; N_CATEGORIES];
        for (i, c) in CATEGORIES.iter().enumerate() {
            category_group[i] = match (c.origin, c.id) {
                (Origin::Eeo1, "hispanic_latino") => group("Hispanic or Latino"),
                (Origin::Eeo1, "us_nhpi") => group("Native Hawaiian or Other Pacific Islander"),
                (Origin::Eeo1, "us_aian") => group("American Indian or Alaska Native"),
                (_, _) => match c.heading {
                    Heading::White => group("White"),
                    Heading::Black => group("Black or African American"),
                    Heading::Asian => group("Asian"),
                    Heading::Mixed => group("Two or More Races"),
                    Heading::Other => None,
                },
            };
        }
        Scheme {
            name: "eeo1".into(),
            reference: group("White").expect("White"),
            groups,
            category_group,
        }
    }

    /// A built-in scheme by name, or a custom scheme from a TOML file.
    pub fn named_or_file(spec: &str) -> Result<Scheme, Error> {
        match spec {
            "wres" => Ok(Scheme::wres()),
            "ons5" => Ok(Scheme::ons5()),
            "ons19" => Ok(Scheme::ons19()),
            "eeo1" => Ok(Scheme::eeo1()),
            path if Path::new(path).exists() => Scheme::from_file(Path::new(path)),
            other => Err(Error::usage(
                format!(
                    "unknown grouping '{other}': expected wres, ons5, ons19, eeo1 or a TOML file"
                ),
                Some(
                    "a custom grouping file maps every ONS category to a group; see docs/data.md"
                        .into(),
                ),
            )),
        }
    }

    /// Reads a custom grouping file (format in `docs/data.md`).
    pub fn from_file(path: &Path) -> Result<Scheme, Error> {
        let file: GroupingFile = crate::toml_file::read(path, "grouping file", "docs/data.md")?;
        let mut category_group: [Option<usize>; N_CATEGORIES] = [None; N_CATEGORIES];
        let mut groups = Vec::new();
        for (group, members) in file.groups() {
            let g = groups.len();
            groups.push(group.clone());
            for member in &members {
                let indices: Vec<usize> = if let Some(c) = find_category(member) {
                    vec![c]
                } else if let Some(h) = find_heading(member) {
                    (0..N_CATEGORIES)
                        .filter(|&i| CATEGORIES[i].heading == h)
                        .collect()
                } else {
                    return Err(Error::input(
                        path,
                        format!("group '{group}' lists '{member}', which is not an ONS category or heading"),
                    )
                    .with_hint("use a category id such as white_british or indian, or a heading id: asian, black, mixed, white, other"));
                };
                for i in indices {
                    if category_group[i] == Some(g) {
                        return Err(Error::input(
                            path,
                            format!(
                                "group '{group}' lists category '{}' twice (perhaps once by itself and once through its heading '{}')",
                                CATEGORIES[i].id,
                                CATEGORIES[i].heading.id()
                            ),
                        ));
                    }
                    if let Some(previous) = category_group[i] {
                        return Err(Error::input(
                            path,
                            format!(
                                "category '{}' is in two groups: '{}' and '{group}'",
                                CATEGORIES[i].id, groups[previous]
                            ),
                        ));
                    }
                    category_group[i] = Some(g);
                }
            }
        }
        // Every ONS category must be placed; EEO-1 ones may be left out
        // (then they are unmapped under this scheme).
        let missing: Vec<&str> = (0..N_CATEGORIES)
            .filter(|&i| CATEGORIES[i].origin == Origin::Ons2021 && category_group[i].is_none())
            .map(|i| CATEGORIES[i].id)
            .collect();
        if !missing.is_empty() {
            return Err(Error::input(
                path,
                format!(
                    "these ONS categories are in no group: {}",
                    missing.join(", ")
                ),
            )
            .with_hint("every category must belong to exactly one group"));
        }
        let reference = groups
            .iter()
            .position(|g| *g == file.reference)
            .ok_or_else(|| {
                Error::input(
                    path,
                    format!(
                        "reference group '{}' is not one of the groups: {}",
                        file.reference,
                        groups.join(", ")
                    ),
                )
            })?;
        Ok(Scheme {
            name: file.name.unwrap_or_else(|| path.display().to_string()),
            groups,
            reference,
            category_group,
        })
    }

    /// Makes another group the reference. Errors when no group has that name.
    pub fn with_reference(mut self, name: &str) -> Result<Scheme, Error> {
        self.reference = self
            .groups
            .iter()
            .position(|g| g.eq_ignore_ascii_case(name))
            .ok_or_else(|| {
                Error::usage(
                    format!(
                        "reference group '{name}' is not in the {} grouping",
                        self.name
                    ),
                    Some(format!("its groups are: {}", self.groups.join(", "))),
                )
            })?;
        Ok(self)
    }

    /// Places a resolved label in this scheme: a category in its group; a
    /// heading or a set of categories ("BME") in the one group holding all
    /// of them, and unmapped when they fall in more than one.
    pub fn classify(&self, resolution: Resolution) -> Class {
        match resolution {
            Resolution::Declined => Class::Declined,
            Resolution::NotKnown => Class::NotKnown,
            Resolution::Unmapped(_) => Class::Unmapped,
            placed => {
                let mut groups = placed.categories().map(|i| self.category_group[i]);
                match groups.next() {
                    Some(Some(g)) if groups.all(|x| x == Some(g)) => Class::Group(g),
                    _ => Class::Unmapped,
                }
            }
        }
    }

    /// Why a resolution is unmapped under this scheme, in words.
    pub fn unplaced_reason(&self, resolution: Resolution) -> String {
        let scheme = &self.name;
        match resolution {
            Resolution::Unmapped(why) => why.reason().to_string(),
            Resolution::Category(c) => format!(
                "'{}' is in no group of the {scheme} grouping",
                CATEGORIES[c].name
            ),
            Resolution::Heading(h) => format!(
                "a heading, not a category: the {scheme} grouping splits '{}' (use --grouping wres or ons5, or map the label in [ethnicity_labels])",
                h.census_name()
            ),
            Resolution::Set(s) if SETS[s].id == "minority" => {
                "a group name, not a category: use --grouping wres".to_string()
            }
            Resolution::Set(s) => format!(
                "names several categories ({}) that the {scheme} grouping puts in different groups: map the label in [ethnicity_labels]",
                SETS[s].name
            ),
            Resolution::Declined | Resolution::NotKnown => String::new(),
        }
    }

    /// The group with this name (ignoring case and surrounding spaces).
    pub fn group_index(&self, name: &str) -> Option<usize> {
        self.groups
            .iter()
            .position(|g| g.trim().eq_ignore_ascii_case(name.trim()))
    }

    /// Display name of a class under this scheme.
    pub fn class_name(&self, class: Class) -> &str {
        match class {
            Class::Group(g) => &self.groups[g],
            other => other.unknown_name().expect("unknown class"),
        }
    }
}

/// A custom grouping file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct GroupingFile {
    name: Option<String>,
    reference: String,
    /// Group name → categories or headings, in file order.
    groups: toml::map::Map<String, toml::Value>,
}

impl GroupingFile {
    fn groups(&self) -> impl Iterator<Item = (&String, Vec<String>)> {
        self.groups.iter().map(|(k, v)| {
            let members = match v {
                toml::Value::Array(items) => items
                    .iter()
                    .map(|i| {
                        i.as_str()
                            .map(str::to_string)
                            .unwrap_or_else(|| i.to_string())
                    })
                    .collect(),
                toml::Value::String(s) => vec![s.clone()],
                other => vec![other.to_string()],
            };
            (k, members)
        })
    }
}

#[cfg(test)]
mod tests;
