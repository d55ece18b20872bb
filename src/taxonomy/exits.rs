//! Why an application stopped: raw exit values (Greenhouse's rejection
//! reason type, an NHS report's outcome) → rejected by the employer,
//! withdrawn by the applicant, or unspecified. Keeping the two apart
//! matters: a group that withdraws more often looks rejected more often
//! if they are lumped together.

use std::collections::BTreeMap;

use serde::Serialize;

use super::ladder::stage_key;

/// Who ended an application.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ExitKind {
    /// The employer (or agency) turned the applicant down.
    Rejected,
    /// The applicant withdrew or declined.
    Withdrawn,
    /// The record says no more (Greenhouse's "None specified").
    Unspecified,
}

impl ExitKind {
    /// From a profile's `[exit_values]` target.
    pub fn from_name(name: &str) -> Option<ExitKind> {
        match stage_key(name).as_str() {
            "rejected" => Some(ExitKind::Rejected),
            "withdrawn" => Some(ExitKind::Withdrawn),
            "unspecified" => Some(ExitKind::Unspecified),
            _ => None,
        }
    }
}

/// Values recognised without a profile (compared ignoring case, spacing,
/// `_` and `-`). Greenhouse's rejection reason types are "We rejected
/// them", "They rejected us" and "None specified" (Harvest API,
/// rejection_reasons).
const KNOWN: [(&str, ExitKind); 23] = [
    ("rejected", ExitKind::Rejected),
    ("we rejected them", ExitKind::Rejected),
    ("rejected by us", ExitKind::Rejected),
    ("rejected by employer", ExitKind::Rejected),
    ("unsuccessful", ExitKind::Rejected),
    ("not shortlisted", ExitKind::Rejected),
    ("not selected", ExitKind::Rejected),
    ("not appointed", ExitKind::Rejected),
    ("offer withdrawn", ExitKind::Rejected),
    ("withdrawn", ExitKind::Withdrawn),
    ("withdrew", ExitKind::Withdrawn),
    ("they rejected us", ExitKind::Withdrawn),
    ("candidate withdrew", ExitKind::Withdrawn),
    ("withdrawn by candidate", ExitKind::Withdrawn),
    ("withdrawn by applicant", ExitKind::Withdrawn),
    ("application withdrawn", ExitKind::Withdrawn),
    ("applicant withdrew", ExitKind::Withdrawn),
    ("offer declined", ExitKind::Withdrawn),
    ("declined offer", ExitKind::Withdrawn),
    ("rejected by candidate", ExitKind::Withdrawn),
    ("none specified", ExitKind::Unspecified),
    ("unspecified", ExitKind::Unspecified),
    ("not specified", ExitKind::Unspecified),
];

/// Raw exit values → kinds: the profile's `[exit_values]` first, then the
/// values rung knows.
#[derive(Debug, Clone, Default)]
pub struct ExitMap {
    overrides: BTreeMap<String, ExitKind>,
}

impl ExitMap {
    /// A map with a profile's overrides (keys compared loosely).
    pub fn new(overrides: &BTreeMap<String, ExitKind>) -> ExitMap {
        ExitMap {
            overrides: overrides.iter().map(|(k, v)| (stage_key(k), *v)).collect(),
        }
    }

    /// The kind of a raw value; `None` when rung does not recognise it
    /// (it is counted and listed, never guessed).
    pub fn classify(&self, raw: &str) -> Option<ExitKind> {
        let key = stage_key(raw);
        self.overrides.get(&key).copied().or_else(|| {
            KNOWN
                .iter()
                .find(|(known, _)| *known == key)
                .map(|(_, kind)| *kind)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn greenhouse_types_and_loose_matching() {
        let map = ExitMap::default();
        assert_eq!(map.classify("We rejected them"), Some(ExitKind::Rejected));
        assert_eq!(map.classify("They rejected us"), Some(ExitKind::Withdrawn));
        assert_eq!(
            map.classify(" None  Specified "),
            Some(ExitKind::Unspecified)
        );
        assert_eq!(
            map.classify("WITHDRAWN_BY_CANDIDATE"),
            Some(ExitKind::Withdrawn)
        );
        assert_eq!(map.classify("Timing"), None);
    }

    #[test]
    fn profile_values_win() {
        let overrides = BTreeMap::from([
            ("Timing".to_string(), ExitKind::Withdrawn),
            ("unsuccessful".to_string(), ExitKind::Unspecified),
        ]);
        let map = ExitMap::new(&overrides);
        assert_eq!(map.classify("timing"), Some(ExitKind::Withdrawn));
        assert_eq!(map.classify("Unsuccessful"), Some(ExitKind::Unspecified));
        assert_eq!(ExitKind::from_name("Withdrawn"), Some(ExitKind::Withdrawn));
        assert_eq!(ExitKind::from_name("gone"), None);
    }
}
