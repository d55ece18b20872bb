//! Panel policies (TOML): the make-up an employer requires of its selection
//! panels, e.g. "grades at or above Band 8a: at least one BME member and at
//! least two women". Format in `docs/panels.md`.
//!
//! ```toml
//! name = "Selection panel policy 2026"
//!
//! [[rule]]
//! name = "Band 8a and above"
//! from_grade = "Band 8a"   # this grade and those above it (profile order)
//! min_members = 3
//! min_focal = 1            # members outside the reference group (BME under wres)
//! min_women = 2
//! ```

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// A checked panel policy.
#[derive(Debug, Clone, Serialize)]
pub struct Policy {
    /// Its name, for reports.
    pub name: Option<String>,
    /// Where it came from.
    pub file: String,
    /// The rules; a vacancy must meet every rule that covers it.
    pub rules: Vec<Rule>,
}

/// One rule.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Its name.
    pub name: String,
    /// The rule covers this grade and those above it; every vacancy when absent.
    pub from_grade: Option<String>,
    /// Fewest members.
    #[serde(default)]
    pub min_members: u64,
    /// Fewest members from groups other than the reference group.
    #[serde(default)]
    pub min_focal: u64,
    /// Fewest women.
    #[serde(default)]
    pub min_women: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyFile {
    name: Option<String>,
    #[serde(default)]
    rule: Vec<Rule>,
}

impl Policy {
    /// Reads and checks a policy file.
    pub fn from_file(path: &Path) -> Result<Policy> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let file: PolicyFile = toml::from_str(&text).map_err(|e| {
            Error::toml(path, &text, &e, "panel policy")
                .with_hint("the policy format is described in docs/panels.md")
        })?;
        if file.rule.is_empty() {
            return Err(
                Error::input(path, "the policy has no [[rule]]: expected at least one")
                    .with_hint("see docs/panels.md"),
            );
        }
        for r in &file.rule {
            if r.min_members == 0 && r.min_focal == 0 && r.min_women == 0 {
                return Err(Error::input(
                    path,
                    format!(
                        "rule '{}' requires nothing: expected min_members, min_focal or min_women",
                        r.name
                    ),
                ));
            }
        }
        Ok(Policy {
            name: file.name,
            file: path.display().to_string(),
            rules: file.rule,
        })
    }
}

/// Orders grades: the profile's list when given (unknown grades after it),
/// else "natural" order, comparing runs of digits as numbers, so
/// "Band 8a" < "Band 8b" < "Band 9" < "Band 10".
pub fn grade_order(profile_grades: Option<&[String]>, a: &str, b: &str) -> std::cmp::Ordering {
    if let Some(list) = profile_grades {
        let pos = |g: &str| {
            list.iter()
                .position(|x| x.trim().eq_ignore_ascii_case(g.trim()))
        };
        match (pos(a), pos(b)) {
            (Some(x), Some(y)) => return x.cmp(&y),
            (Some(_), None) => return std::cmp::Ordering::Less,
            (None, Some(_)) => return std::cmp::Ordering::Greater,
            (None, None) => {}
        }
    }
    natural_key(a).cmp(&natural_key(b))
}

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Chunk {
    Number(u64),
    Text(String),
}

fn natural_key(s: &str) -> Vec<Chunk> {
    let mut out = Vec::new();
    let mut digits = String::new();
    let mut text = String::new();
    for ch in s.trim().to_lowercase().chars() {
        if ch.is_ascii_digit() {
            if !text.is_empty() {
                out.push(Chunk::Text(std::mem::take(&mut text)));
            }
            digits.push(ch);
        } else {
            if !digits.is_empty() {
                out.push(Chunk::Number(digits.parse().unwrap_or(u64::MAX)));
                digits.clear();
            }
            text.push(ch);
        }
    }
    if !digits.is_empty() {
        out.push(Chunk::Number(digits.parse().unwrap_or(u64::MAX)));
    }
    if !text.is_empty() {
        out.push(Chunk::Text(text));
    }
    out
}

/// Reads slate rules (`[[rule]]` tables; format in `docs/slates.md`).
pub fn slate_rules_from_file(path: &Path) -> Result<Vec<crate::measures::slates::SlateRule>> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct RulesFile {
        #[serde(default)]
        rule: Vec<crate::measures::slates::SlateRule>,
    }
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let file: RulesFile = toml::from_str(&text).map_err(|e| {
        Error::toml(path, &text, &e, "slate rules file")
            .with_hint("the format is described in docs/slates.md")
    })?;
    if file.rule.is_empty() {
        return Err(Error::input(path, "no [[rule]]: expected at least one"));
    }
    for r in &file.rule {
        if r.min_focal == 0 && r.min_women == 0 && r.min_focal_share.is_none_or(|s| s <= 0.0) {
            return Err(Error::input(
                path,
                format!(
                    "rule '{}' requires nothing: expected min_focal, min_women or min_focal_share above 0",
                    r.name
                ),
            )
            .with_hint("the format is described in docs/slates.md"));
        }
        for share in [r.min_focal_share, r.only_if_longlist_focal_share]
            .into_iter()
            .flatten()
        {
            if !(0.0..=1.0).contains(&share) {
                return Err(Error::input(
                    path,
                    format!("rule '{}': share {share} must lie between 0 and 1", r.name),
                ));
            }
        }
    }
    Ok(file.rule)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cmp::Ordering::*;

    #[test]
    fn natural_grade_order() {
        assert_eq!(grade_order(None, "Band 8a", "Band 8b"), Less);
        assert_eq!(grade_order(None, "Band 9", "Band 8d"), Greater);
        assert_eq!(grade_order(None, "Band 10", "Band 9"), Greater);
        assert_eq!(grade_order(None, "band 7", "Band 7"), Equal);
    }

    #[test]
    fn profile_grade_order_wins() {
        let list = vec![
            "Junior".to_string(),
            "Senior".to_string(),
            "Director".to_string(),
        ];
        assert_eq!(grade_order(Some(&list), "Director", "Senior"), Greater);
        assert_eq!(grade_order(Some(&list), "Senior", "Intern"), Less);
    }

    #[test]
    fn reads_a_policy() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.toml");
        std::fs::write(
            &path,
            "[[rule]]\nname = \"senior\"\nfrom_grade = \"Band 8a\"\nmin_focal = 1\nmin_women = 2\n",
        )
        .unwrap();
        let p = Policy::from_file(&path).unwrap();
        assert_eq!(p.rules[0].min_women, 2);
        std::fs::write(&path, "[[rule]]\nname = \"empty\"\n").unwrap();
        assert!(Policy::from_file(&path).is_err());
        std::fs::write(&path, "[[rule]]\nname = \"x\"\nmin_bme = 1\n").unwrap();
        let e = Policy::from_file(&path).unwrap_err().to_string();
        assert!(e.contains("line"), "{e}");
    }
}
