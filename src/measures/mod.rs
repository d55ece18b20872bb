//! Measures: plain Rust computations over the counting pass's tables. They
//! read no files and print nothing; the report module renders what they
//! return.

pub mod availability;
pub mod change;
pub mod exits;
pub mod findings;
pub mod funnel;
pub mod intersectional;
pub mod ll144;
pub mod panels;
pub mod pooling;
pub mod quality;
pub mod scorecard;
pub mod scoring;
pub mod slates;
pub mod wres;

use serde::{Serialize, Serializer};

/// Longest raw text (label, exit value) shown in full, in characters.
pub const LABEL_SHOWN_CHARS: usize = 200;

/// A raw value as outputs show it: whole up to [`LABEL_SHOWN_CHARS`]
/// characters; beyond that its start, its length and the start of its
/// SHA-256, so a 10 MB field cannot flood a report and two long values that
/// begin alike stay apart.
pub fn shown_label(raw: &str) -> String {
    let chars = raw.chars().count();
    if chars <= LABEL_SHOWN_CHARS {
        return raw.to_string();
    }
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(raw.as_bytes());
    let short: String = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
    let start: String = raw.chars().take(LABEL_SHOWN_CHARS).collect();
    format!("{start}… ({chars} characters, sha256 {short}…)")
}

/// A count as reported: its value, and whether publication mode suppressed
/// it (then it is written as `null` and shown as "[c]"). Measures compute
/// on `value`; reports show [`Count::shown`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Count {
    /// The true count (never written when suppressed).
    pub value: u64,
    /// Whether publication mode withholds it.
    pub suppressed: bool,
}

impl Count {
    /// The count as it may be shown: `None` when suppressed.
    pub fn shown(self) -> Option<u64> {
        (!self.suppressed).then_some(self.value)
    }
}

/// The symbol shown in place of a suppressed count: "[c]", confidential, as
/// in the Government Statistical Service's guidance on symbols in tables.
pub const SUPPRESSED_SYMBOL: &str = "[c]";

impl std::fmt::Display for Count {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.shown() {
            Some(v) => v.fmt(f),
            None => SUPPRESSED_SYMBOL.fmt(f),
        }
    }
}

/// A sum of counts is suppressed when any part is: shown beside a hidden
/// part, the sum would give the part away.
impl std::ops::Add for Count {
    type Output = Count;
    fn add(self, other: Count) -> Count {
        Count {
            value: self.value + other.value,
            suppressed: self.suppressed || other.suppressed,
        }
    }
}

impl std::iter::Sum for Count {
    fn sum<I: Iterator<Item = Count>>(iter: I) -> Count {
        iter.fold(Count::default(), |a, b| a + b)
    }
}

impl From<u64> for Count {
    fn from(value: u64) -> Count {
        Count {
            value,
            suppressed: false,
        }
    }
}

impl Serialize for Count {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.shown().serialize(s)
    }
}

/// For `skip_serializing_if`: write `"suppressed": true` only when it is.
pub fn is_false(b: &bool) -> bool {
    !*b
}

#[cfg(test)]
mod label_tests {
    use super::*;

    #[test]
    fn long_labels_are_cut_and_kept_apart() {
        assert_eq!(shown_label("White British"), "White British");
        let exact = "é".repeat(LABEL_SHOWN_CHARS);
        assert_eq!(shown_label(&exact), exact);
        let a = format!("{}a", "x".repeat(300));
        let b = format!("{}b", "x".repeat(300));
        let (sa, sb) = (shown_label(&a), shown_label(&b));
        assert!(sa.starts_with(&"x".repeat(LABEL_SHOWN_CHARS)));
        assert!(sa.contains("(301 characters, sha256 "), "{sa}");
        assert_ne!(sa, sb);
        assert!(sa.chars().count() < LABEL_SHOWN_CHARS + 50);
    }
}
