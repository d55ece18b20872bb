//! Taxonomy: raw ethnicity labels → ONS 2021 categories → analysis groups,
//! raw stage values → ladder ranks, and raw exit values → who ended the
//! application.
//!
//! Everything here works on distinct values (a few hundred labels, a few
//! dozen stage names), never on rows.

pub mod ethnicity;
pub mod exits;
pub mod grouping;
pub mod ladder;

use std::collections::BTreeMap;

use ethnicity::Resolution;
use grouping::{Class, Scheme};

/// Label resolution with the analyst's overrides, under one scheme.
#[derive(Debug, Clone)]
pub struct Taxonomy {
    /// The grouping scheme.
    pub scheme: Scheme,
    overrides: BTreeMap<String, Resolution>,
    /// Labels that name a group of the scheme ("BME") count in it: counts
    /// already aggregated by group (a WRES return) carry such labels.
    group_labels: bool,
}

impl Taxonomy {
    /// A taxonomy from a scheme and a profile's `[ethnicity_labels]`.
    pub fn new(scheme: Scheme, overrides: BTreeMap<String, Resolution>) -> Taxonomy {
        Taxonomy {
            scheme,
            overrides,
            group_labels: false,
        }
    }

    /// The same taxonomy, also placing a label that names one of the
    /// scheme's groups (ignoring case and spaces) in that group. For counts
    /// aggregated by group already; row-level labels never need it.
    pub fn with_group_labels(mut self) -> Taxonomy {
        self.group_labels = true;
        self
    }

    /// Resolves a raw label, overrides first (matched exactly, then trimmed).
    pub fn resolve(&self, label: Option<&str>) -> Resolution {
        if let Some(l) = label
            && let Some(r) = self
                .overrides
                .get(l)
                .or_else(|| self.overrides.get(l.trim()))
        {
            return *r;
        }
        ethnicity::resolve(label)
    }

    /// Places a raw label in the scheme.
    pub fn classify(&self, label: Option<&str>) -> Class {
        if self.group_labels
            && let Some(l) = label
            && !self.overrides.contains_key(l)
            && let Some(g) = self
                .scheme
                .groups
                .iter()
                .position(|g| g.trim().eq_ignore_ascii_case(l.trim()))
        {
            return Class::Group(g);
        }
        self.scheme.classify(self.resolve(label))
    }
}
