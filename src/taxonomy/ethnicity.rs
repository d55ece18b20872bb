//! Raw ethnicity labels → the 19 ONS 2021 categories (England and Wales) and
//! the 7 US EEO-1 race/ethnicity categories, plus *declined* and *not known*.
//! Both sets live in one table, so every scheme (UK or US) is the same code
//! path: a scheme places each category in a group, or leaves it unmapped.
//!
//! The wordings are data: `wordings.tsv` beside this file holds one row per
//! wording (census questionnaires of every UK nation since 2001, the GSS
//! and GOV.UK forms, NHS England's and NHS Scotland's codes, the US EEO-1
//! and older federal wordings, WRES group names), each with its source.
//! The resolver normalises case, spacing and punctuation, and reads a label
//! as a whole wording, a heading and a category (with or without a
//! separator), a code with or without its text, or a wording with a
//! parenthesised qualifier. Anything it cannot place with certainty is
//! [`Resolution::Unmapped`] with the reason ([`Why`]), never guessed;
//! callers count and list those.
//!
//! A label that names only a heading ("Asian or Asian British") or a group
//! of categories ("BME") resolves to [`Resolution::Heading`] or
//! [`Resolution::Set`]: a grouping scheme places it when every category it
//! may stand for falls in one group (WRES, ONS 5), and treats it as
//! unmapped otherwise (ONS 19).
//!
//! The categories are in `super::categories`, the wordings table is read by
//! `super::wordings`, a label's text is tidied and cut by
//! `super::label_text`; this module resolves labels against them.

pub use super::categories::{
    CATEGORIES, Category, CategorySet, Heading, N_CATEGORIES, Origin, SETS, find_category,
    find_heading,
};
use super::categories::{heading_members, set_members};
use super::label_text::{key, parenthesised, split_heading, tidy, without_write_in, words};
use super::wordings::tables;
pub use super::wordings::{Wording, wording_table_problems, wordings};

/// Why a label was not placed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Why {
    /// No wording rung knows.
    Unknown,
    /// A wording that could be more than one category or heading ("Other",
    /// "British").
    Vague,
    /// Its parts disagree: a code and its text, or a heading and a category
    /// from another heading ("White - Indian").
    Contradictory,
}

impl Why {
    /// The reason, in words.
    pub fn reason(self) -> &'static str {
        match self {
            Why::Unknown => "not a wording rung knows: map it in a profile's [ethnicity_labels]",
            Why::Vague => "could be more than one category or heading: never guessed",
            Why::Contradictory => {
                "its parts name different categories (code, heading or category): never guessed"
            }
        }
    }
}

/// What a raw label resolves to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Resolution {
    /// One of the categories (index into [`CATEGORIES`]).
    Category(usize),
    /// Only a heading was given.
    Heading(Heading),
    /// A named group of categories ("BME"; index into [`SETS`]).
    Set(usize),
    /// The applicant chose not to say (e.g. "Prefer not to say", NHS code Z).
    Declined,
    /// No answer recorded (empty, "Not stated", NHS code 99).
    NotKnown,
    /// Not recognised, vague or contradictory; never guessed.
    Unmapped(Why),
}

impl Resolution {
    /// The categories the label may stand for, as a bit mask over
    /// [`CATEGORIES`]; 0 for the unknowns.
    pub fn members(self) -> u32 {
        match self {
            Resolution::Category(c) => 1 << c,
            Resolution::Heading(h) => heading_members(h),
            Resolution::Set(s) => set_members(s),
            _ => 0,
        }
    }

    /// The same, as category indices.
    pub fn categories(self) -> impl Iterator<Item = usize> {
        let m = self.members();
        (0..N_CATEGORIES).filter(move |i| m & (1 << i) != 0)
    }

    /// True for an answer that names categories (not an unknown).
    fn is_placed(self) -> bool {
        self.members() != 0
    }

    /// Identifier shown by `rung labels`: a category id, `heading:<id>`,
    /// `set:<id>`, `declined`, `not_known` or `unmapped`.
    pub fn id(self) -> String {
        match self {
            Resolution::Category(c) => CATEGORIES[c].id.to_string(),
            Resolution::Heading(h) => format!("heading:{}", h.id()),
            Resolution::Set(s) => format!("set:{}", SETS[s].id),
            Resolution::Declined => "declined".into(),
            Resolution::NotKnown => "not_known".into(),
            Resolution::Unmapped(_) => "unmapped".into(),
        }
    }

    /// What it means, in words.
    pub fn description(self) -> String {
        match self {
            Resolution::Category(c) => match CATEGORIES[c].origin {
                Origin::Ons2021 => format!(
                    "{}: {}",
                    CATEGORIES[c].heading.census_name(),
                    CATEGORIES[c].name
                ),
                Origin::Eeo1 => format!("EEO-1: {}", CATEGORIES[c].name),
            },
            Resolution::Heading(h) => format!("{} (heading only)", h.census_name()),
            Resolution::Set(s) => format!("a group name: {}", SETS[s].name),
            Resolution::Declined => "declined to say".into(),
            Resolution::NotKnown => "nothing recorded".into(),
            Resolution::Unmapped(why) => why.reason().into(),
        }
    }

    /// Parses the `means` of a wording or a profile's target: a category
    /// id, `heading:<id>` (or a bare heading id), `set:<id>`, `declined`,
    /// `not_known`.
    pub fn parse(text: &str) -> Option<Resolution> {
        let t = text.trim().to_ascii_lowercase();
        let t = t.as_str();
        match t {
            "declined" => return Some(Resolution::Declined),
            "not_known" | "not known" => return Some(Resolution::NotKnown),
            _ => {}
        }
        if let Some(h) = t.strip_prefix("heading:") {
            return find_heading(h).map(Resolution::Heading);
        }
        if let Some(s) = t.strip_prefix("set:") {
            return SETS.iter().position(|x| x.id == s).map(Resolution::Set);
        }
        find_category(t)
            .map(Resolution::Category)
            .or_else(|| find_heading(t).map(Resolution::Heading))
    }
}

/// Resolves a raw label (`None` for a missing value).
pub fn resolve(label: Option<&str>) -> Resolution {
    let Some(label) = label else {
        return Resolution::NotKnown;
    };
    let text = without_write_in(&tidy(label));
    if text
        .chars()
        .all(|c| matches!(c, '-' | ':' | ' ' | '(' | ')'))
    {
        return Resolution::NotKnown;
    }
    let r = resolve_inner(&text);
    if r != Resolution::Unmapped(Why::Unknown) {
        return r;
    }
    // A code in front: "A - White - British", "H Asian or Asian British -
    // Indian", "CA White: English", or a bare code ("H", "99", "1A").
    match split_code(&text) {
        Some((code, rest)) => reconcile_code(code, rest),
        None => r,
    }
}

/// Resolves tidied text without a code: whole wordings, heading and
/// category, then a parenthesised part ("BME (Black and minority ethnic)").
fn resolve_inner(text: &str) -> Resolution {
    let r = resolve_text(text);
    if r != Resolution::Unmapped(Why::Unknown) {
        return r;
    }
    let Some((outside, inside)) = parenthesised(text) else {
        return r;
    };
    let out = resolve_inner(&outside);
    if !out.is_placed() && !matches!(out, Resolution::Declined | Resolution::NotKnown) {
        return out;
    }
    let inn = resolve_inner(&inside);
    match inn {
        // A qualifier rung does not know ("part not stated", "Negroes")
        // adds nothing.
        Resolution::Unmapped(Why::Unknown) | Resolution::NotKnown => out,
        _ if inn == out => out,
        _ if consistent(out, inn) => narrower(out, inn),
        _ => Resolution::Unmapped(Why::Contradictory),
    }
}

fn resolve_text(text: &str) -> Resolution {
    let tables = tables();
    // "Heading - Sub", "Heading: Sub": read as heading and category and
    // nothing else, so "White - Asian" is contradictory, not "White and
    // Asian".
    if let Some((head, sub)) = split_heading(text)
        && let Some(&heading) = tables.prefixes.get(&key(head))
    {
        return under_heading(heading, &key(sub));
    }
    let k = key(text);
    if let Some(&r) = tables.whole.get(&k) {
        return r;
    }
    // "Heading Sub" with no separator ("Asian Indian", "White/Polish"):
    // the longest heading wording the label starts with.
    let mut doubt = Resolution::Unmapped(Why::Unknown);
    for (prefix, heading) in &tables.prefix_keys {
        if let Some(rest) = k.strip_prefix(prefix.as_str())
            && let Some(rest) = rest.strip_prefix(' ')
        {
            match under_heading(*heading, rest) {
                r if r.is_placed() => return r,
                Resolution::Unmapped(Why::Unknown) => {}
                r => doubt = r,
            }
        }
    }
    doubt
}

/// A category named after a heading: a sub-category wording of that
/// heading, or a wording of a category under it.
fn under_heading(heading: Heading, sub_key: &str) -> Resolution {
    let tables = tables();
    if let Some(&r) = tables.subs.get(&(heading, sub_key.to_string())) {
        return r;
    }
    match tables.whole.get(sub_key) {
        Some(&r) if r.is_placed() => {
            if r.members() & !heading_members(heading) == 0 {
                r
            } else {
                Resolution::Unmapped(Why::Contradictory)
            }
        }
        Some(Resolution::Declined | Resolution::NotKnown) => {
            Resolution::Unmapped(Why::Contradictory)
        }
        _ => Resolution::Unmapped(Why::Unknown),
    }
}

/// Two readings that can both be true: one's categories contain the
/// other's, or a code Z whose text says "Not stated".
fn consistent(a: Resolution, b: Resolution) -> bool {
    let (ma, mb) = (a.members(), b.members());
    if ma != 0 && mb != 0 {
        return ma & mb == ma || ma & mb == mb;
    }
    a == b || (a == Resolution::Declined && b == Resolution::NotKnown)
}

/// Of two consistent readings, the one naming fewer categories (the first
/// when they name as many).
fn narrower(a: Resolution, b: Resolution) -> Resolution {
    if b.members() != 0 && b.members().count_ones() < a.members().count_ones() {
        b
    } else {
        a
    }
}

/// Splits "code rest" when the first word is a code of a code system.
fn split_code(text: &str) -> Option<(&str, &str)> {
    let end = text.find([' ', ':', '-']).unwrap_or(text.len());
    let code = &text[..end];
    if !tables().codes.contains_key(code) {
        return None;
    }
    let rest = text[end..].trim_start_matches([' ', ':', '-']);
    Some((code, rest))
}

/// A code with the text written after it. The text must agree with the
/// code (name the same categories, a wider or a narrower set, or be the
/// code's own description); a code two systems define differently is read
/// in the system its text agrees with. Alone, a code of NHS England's
/// national list wins over NHS Scotland's letters.
fn reconcile_code(code: &str, rest: &str) -> Resolution {
    let entries = &tables().codes[code];
    if rest.is_empty() {
        if let Some(e) = entries.iter().find(|e| e.system == "nhs") {
            return e.means;
        }
        return if entries.iter().all(|e| e.means == entries[0].means) {
            entries[0].means
        } else {
            Resolution::Unmapped(Why::Vague)
        };
    }
    let text_says = resolve_inner(rest);
    let rest_words = words(rest);
    let readings: Vec<Resolution> = entries
        .iter()
        .filter_map(|e| {
            if e.describes(&rest_words) {
                Some(e.means)
            } else if consistent(e.means, text_says) {
                Some(narrower(e.means, text_says))
            } else {
                None
            }
        })
        .collect();
    match readings.as_slice() {
        [] => Resolution::Unmapped(Why::Contradictory),
        [first, others @ ..] if others.iter().all(|r| r == first) => *first,
        _ if text_says.is_placed() => text_says,
        _ => Resolution::Unmapped(Why::Vague),
    }
}

/// One code of a code system.
pub(super) struct CodeEntry {
    pub(super) system: &'static str,
    pub(super) means: Resolution,
    /// The key words of each description the source gives the code.
    pub(super) descriptions: Vec<Vec<String>>,
}

impl CodeEntry {
    /// True when the words are one of the code's descriptions, perhaps
    /// with words of its heading's wordings around them ("CA White
    /// English", "LJ Asian Caribbean").
    fn describes(&self, text: &[String]) -> bool {
        let heading_words: Vec<String> = match self.means {
            Resolution::Category(c) => heading_word_set(CATEGORIES[c].heading),
            Resolution::Heading(h) => heading_word_set(h),
            _ => Vec::new(),
        };
        self.descriptions.iter().any(|d| {
            d.iter().all(|w| text.contains(w))
                && text
                    .iter()
                    .all(|w| d.contains(w) || heading_words.contains(w))
        })
    }
}

/// Every word of the wordings of a heading.
fn heading_word_set(h: Heading) -> Vec<String> {
    tables()
        .prefix_keys
        .iter()
        .filter(|(_, x)| *x == h)
        .flat_map(|(k, _)| k.split(' ').map(str::to_string))
        .collect()
}

/// A hint for a label rung could not place: the one category, heading or
/// set whose wording matches the most words of the label, when exactly one
/// does. Never applied: `rung labels --unmapped-toml` prints it as a
/// comment for the analyst to accept or correct.
pub fn suggest(label: &str) -> Option<Resolution> {
    let label_words = words(label);
    let mut best: (usize, Vec<Resolution>) = (0, Vec::new());
    for row in wordings() {
        if !matches!(row.usage, "name" | "heading") || !row.means.is_placed() {
            continue;
        }
        let w = words(row.wording);
        if w.is_empty() || !w.iter().all(|x| label_words.contains(x)) {
            continue;
        }
        if w.len() > best.0 {
            best = (w.len(), vec![row.means]);
        } else if w.len() == best.0 && !best.1.contains(&row.means) {
            best.1.push(row.means);
        }
    }
    match best.1.as_slice() {
        [one] => Some(*one),
        _ => None,
    }
}

/// Index of a category by id. Panics on an unknown id: only for ids written
/// in this module and its tests.
#[cfg(test)]
fn category_index(id: &str) -> usize {
    CATEGORIES
        .iter()
        .position(|c| c.id == id)
        .expect("category id exists")
}

#[cfg(test)]
mod tests;
