//! Taxonomy: raw ethnicity labels → ONS 2021 categories → analysis groups,
//! raw stage values → ladder ranks, and raw exit values → who ended the
//! application.
//!
//! Everything here works on distinct values (a few hundred labels, a few
//! dozen stage names), never on rows.

mod categories;
pub mod ethnicity;
pub mod exits;
pub mod grouping;
mod label_text;
pub mod ladder;
pub mod sex;
mod wordings;

use std::collections::BTreeMap;
use std::sync::RwLock;

use polars::prelude::PlHashMap;

use ethnicity::Resolution;
use grouping::{Class, Scheme};

use crate::error::{Error, Result};

/// What a profile's `[ethnicity_labels]` maps a label to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LabelTarget {
    /// A category, heading, set of categories, declined or not known.
    Means(Resolution),
    /// A name that is none of those: a group of the grouping in use
    /// (checked when the taxonomy is built).
    Group(String),
}

impl LabelTarget {
    /// Reads a target: a category id, heading id, `set:<id>`, `declined`,
    /// `not_known`, a wording rung knows ("BME"), else a group name.
    pub fn parse(text: &str) -> LabelTarget {
        if text.trim().is_empty() {
            // Left empty (as `rung labels --unmapped-toml` writes it):
            // refused when the taxonomy is built, never read as "not known".
            return LabelTarget::Group(String::new());
        }
        if let Some(r) = Resolution::parse(text) {
            return LabelTarget::Means(r);
        }
        match ethnicity::resolve(Some(text)) {
            Resolution::Unmapped(_) => LabelTarget::Group(text.trim().to_string()),
            r => LabelTarget::Means(r),
        }
    }
}

/// An analyst's placement of one label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Placed {
    Means(Resolution),
    Group(usize),
}

/// How one label is placed under a scheme, with the reason when it is not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation {
    /// What the label resolved to: a category id, `heading:<id>`,
    /// `set:<id>`, `group:<name>` (placed by a profile or a return's own
    /// group name), `declined`, `not_known` or `unmapped`.
    pub resolved_to: String,
    /// That, in words.
    pub description: String,
    /// Its class under the scheme.
    pub class: Class,
    /// Why it is unmapped under the scheme; `None` when it is placed or an
    /// unknown.
    pub reason: Option<String>,
}

/// Label resolution with the analyst's overrides, under one scheme.
#[derive(Debug, Clone)]
pub struct Taxonomy {
    /// The grouping scheme.
    pub scheme: Scheme,
    overrides: BTreeMap<String, Placed>,
    /// Labels that name a group of the scheme ("BME") count in it: counts
    /// already aggregated by group (a WRES return) carry such labels.
    group_labels: bool,
    /// `--strict-labels`: a label that cannot be placed is an error.
    pub strict: bool,
    classified: Classified,
}

/// Each label's class once worked out. The measures classify the label of
/// every row of their counts, and a national extract's counts have
/// millions of rows (per assessor, per vacancy) over a few hundred labels:
/// resolving each label's text anew took a third of a full audit's time
/// after counting (measured on 1M generated applications). Hashed with
/// polars' fast hasher: SipHash was a quarter of a national audit's
/// measures.
#[derive(Debug, Default)]
struct Classified(RwLock<PlHashMap<String, Class>>);

/// The most labels remembered: a hostile file of distinct free text
/// cannot grow the memo without bound (labels past it are resolved each
/// time, as before).
const MOST_CLASSIFIED: usize = 100_000;

impl Clone for Classified {
    /// A copy starts empty: its taxonomy may be changed before use.
    fn clone(&self) -> Self {
        Classified::default()
    }
}

impl Taxonomy {
    /// A taxonomy from a scheme and a profile's `[ethnicity_labels]`
    /// (read from `source`). A target that is not a category, heading, set,
    /// unknown or group of the scheme is an error naming the profile.
    pub fn new(
        scheme: Scheme,
        labels: &BTreeMap<String, LabelTarget>,
        source: &std::path::Path,
    ) -> Result<Taxonomy> {
        let empty: Vec<String> = labels
            .iter()
            .filter(|(_, t)| matches!(t, LabelTarget::Group(g) if g.is_empty()))
            .map(|(l, _)| format!("'{l}'"))
            .collect();
        if !empty.is_empty() {
            return Err(Error::input(
                source,
                format!(
                    "[ethnicity_labels] maps {} to nothing",
                    empty.join(", ")
                ),
            )
            .with_hint("give each a category id (e.g. indian), a heading id, set:minority, a group of the grouping, \"declined\" or \"not_known\""));
        }
        let mut overrides = BTreeMap::new();
        for (label, target) in labels {
            let placed = match target {
                LabelTarget::Means(r) => Placed::Means(*r),
                LabelTarget::Group(name) => match scheme.group_index(name) {
                    Some(g) => Placed::Group(g),
                    None => {
                        return Err(Error::input(
                            source,
                            format!(
                                "[ethnicity_labels] maps '{label}' to '{name}', which is not a category id (e.g. indian), a heading id (asian, black, mixed, white, other), a set (set:minority), \"declined\", \"not_known\" or a group of the {} grouping ({})",
                                scheme.name,
                                scheme.groups.join(", ")
                            ),
                        )
                        .with_hint("docs/data.md lists the ids; docs/profiles.md the [ethnicity_labels] section"));
                    }
                },
            };
            overrides.insert(label.clone(), placed);
        }
        Ok(Taxonomy {
            scheme,
            overrides,
            group_labels: false,
            strict: false,
            classified: Classified::default(),
        })
    }

    /// A taxonomy with no overrides.
    pub fn plain(scheme: Scheme) -> Taxonomy {
        Taxonomy {
            scheme,
            overrides: BTreeMap::new(),
            group_labels: false,
            strict: false,
            classified: Classified::default(),
        }
    }

    /// The same taxonomy, refusing labels it cannot place
    /// (`--strict-labels`).
    pub fn strict(mut self) -> Taxonomy {
        self.strict = true;
        self.classified = Classified::default();
        self
    }

    /// The same taxonomy, also placing a label that names one of the
    /// scheme's groups (ignoring case and spaces) in that group. For counts
    /// aggregated by group already, whose groups may be a custom scheme's.
    pub fn with_group_labels(mut self) -> Taxonomy {
        self.group_labels = true;
        self.classified = Classified::default();
        self
    }

    /// The analyst's placement of a label (matched exactly, then trimmed),
    /// or a return's own group name.
    fn placed(&self, label: Option<&str>) -> Option<Placed> {
        let l = label?;
        if let Some(p) = self
            .overrides
            .get(l)
            .or_else(|| self.overrides.get(l.trim()))
        {
            return Some(*p);
        }
        if self.group_labels {
            return self.scheme.group_index(l).map(Placed::Group);
        }
        None
    }

    /// Resolves a raw label, overrides first. A label placed directly in a
    /// group has no resolution of its own: it reads as rung's own.
    pub fn resolve(&self, label: Option<&str>) -> Resolution {
        match self.placed(label) {
            Some(Placed::Means(r)) => r,
            _ => ethnicity::resolve(label),
        }
    }

    /// Places a raw label in the scheme.
    pub fn classify(&self, label: Option<&str>) -> Class {
        let Some(text) = label else {
            return self.classify_afresh(None);
        };
        let memo = &self.classified.0;
        if let Some(class) = memo.read().ok().and_then(|m| m.get(text).copied()) {
            return class;
        }
        let class = self.classify_afresh(label);
        if let Ok(mut m) = memo.write()
            && m.len() < MOST_CLASSIFIED
        {
            m.insert(text.to_owned(), class);
        }
        class
    }

    /// Places a raw label in the scheme, working it out from its text.
    fn classify_afresh(&self, label: Option<&str>) -> Class {
        match self.placed(label) {
            Some(Placed::Group(g)) => Class::Group(g),
            Some(Placed::Means(r)) => self.scheme.classify(r),
            None => self.scheme.classify(ethnicity::resolve(label)),
        }
    }

    /// How a label is placed and, when it is not, why.
    pub fn explain(&self, label: Option<&str>) -> Explanation {
        if let Some(Placed::Group(g)) = self.placed(label) {
            return Explanation {
                resolved_to: format!("group:{}", self.scheme.groups[g]),
                description: format!("the {} group, named directly", self.scheme.groups[g]),
                class: Class::Group(g),
                reason: None,
            };
        }
        let r = self.resolve(label);
        let class = self.scheme.classify(r);
        Explanation {
            resolved_to: r.id(),
            description: r.description(),
            class,
            reason: (class == Class::Unmapped).then(|| self.scheme.unplaced_reason(r)),
        }
    }
}

#[cfg(test)]
mod wording_tests;

#[cfg(test)]
mod tests {
    use super::*;

    /// The memo gives what working a label out afresh gives, for a copy of
    /// the taxonomy too, and forgets when the taxonomy changes.
    #[test]
    fn remembered_classes_are_the_classes_worked_out() {
        let labels = ["Indian", "BME", "White British", " indian ", "Z", "Martian"];
        let taxonomy = Taxonomy::plain(Scheme::wres());
        for pass in 0..2 {
            for l in labels {
                assert_eq!(
                    taxonomy.classify(Some(l)),
                    taxonomy.classify_afresh(Some(l)),
                    "{l}, pass {pass}"
                );
            }
        }
        assert_eq!(taxonomy.classified.0.read().unwrap().len(), labels.len());
        let copy = taxonomy.clone();
        assert_eq!(copy.classify(Some("Indian")), Class::Group(1));
        // A group's own name is unmapped until group labels are on:
        // remembered as it was before, it would stay unmapped.
        let mut scheme = Scheme::wres();
        scheme.groups[1] = "Group Q".into();
        let taxonomy = Taxonomy::plain(scheme);
        assert_eq!(taxonomy.classify(Some("Group Q")), Class::Unmapped);
        let grouped = taxonomy.with_group_labels();
        assert_eq!(grouped.classify(Some("Group Q")), Class::Group(1));
    }
}
