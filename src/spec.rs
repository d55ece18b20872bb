//! Settings read from files, checked once before any data is read: panel
//! policies and slate rules (TOML, through `toml_file`, which names the
//! file, the line and the document describing the format). The types they fill
//! live beside the measures that use them (`measures::panels::Policy`,
//! `measures::slates::SlateRule`); reading and checking is here, so nothing
//! below the measures reaches up to them.

use std::path::Path;

use serde::Deserialize;

use crate::error::{Error, Result};
use crate::measures::panels::{Policy, PolicyRule};
use crate::measures::slates::SlateRule;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyFile {
    name: Option<String>,
    #[serde(default)]
    rule: Vec<PolicyRule>,
}

/// Reads and checks a panel policy file (format in docs/panels.md).
pub fn policy(path: &Path) -> Result<Policy> {
    let file: PolicyFile = crate::toml_file::read(path, "panel policy", "docs/panels.md")?;
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

/// Reads and checks slate rules (`[[rule]]` tables; format in docs/slates.md).
pub fn slate_rules(path: &Path) -> Result<Vec<SlateRule>> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct RulesFile {
        #[serde(default)]
        rule: Vec<SlateRule>,
    }
    let file: RulesFile = crate::toml_file::read(path, "slate rules file", "docs/slates.md")?;
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

    #[test]
    fn reads_a_policy() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.toml");
        std::fs::write(
            &path,
            "[[rule]]\nname = \"senior\"\nfrom_grade = \"Band 8a\"\nmin_focal = 1\nmin_women = 2\n",
        )
        .unwrap();
        let p = policy(&path).unwrap();
        assert_eq!(p.rules[0].min_women, 2);
        std::fs::write(&path, "[[rule]]\nname = \"empty\"\n").unwrap();
        assert!(policy(&path).is_err());
        std::fs::write(&path, "[[rule]]\nname = \"x\"\nmin_bme = 1\n").unwrap();
        let e = policy(&path).unwrap_err().to_string();
        assert!(e.contains("line"), "{e}");
    }
}
