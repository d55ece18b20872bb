//! The stage ladder: ordered stages, raw stage values → ranks, and the
//! transitions an audit reports.
//!
//! An application's reached stage is the highest rank among its events;
//! reaching a stage implies every earlier one.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

/// Ordered stages; a stage's rank is its index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ladder {
    stages: Vec<String>,
}

/// What a raw stage value means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StageValue {
    /// A rung of the ladder.
    Rank(u8),
    /// An outcome that is not a stage ("Rejected", "Withdrawn"): the event is
    /// counted and excluded, and does not change the reached stage.
    Ignore,
    /// The application's end ("Withdrawn", "Rejected") in a status column
    /// that holds stages and exits alike: as a furthest stage it means the
    /// first stage (all that is known), and its value is the exit reason
    /// when exit_reason is mapped to the same column; as an event or an
    /// outcome it is ignored like [`StageValue::Ignore`].
    Exit,
}

/// A step of the funnel to report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Transition {
    /// Rank entered.
    pub from: u8,
    /// Rank progressed to.
    pub to: u8,
    /// What the step is known as, e.g. "NHS WRES indicator 2".
    pub label: Option<String>,
}

impl Ladder {
    /// `applied < shortlisted < interviewed < offered < appointed`.
    pub fn standard() -> Ladder {
        Ladder::new([
            "applied",
            "shortlisted",
            "interviewed",
            "offered",
            "appointed",
        ])
        .expect("valid ladder")
    }

    /// Executive search: `longlist < shortlist < client_interview < offer < placed`.
    pub fn search() -> Ladder {
        Ladder::new([
            "longlist",
            "shortlist",
            "client_interview",
            "offer",
            "placed",
        ])
        .expect("valid ladder")
    }

    /// A ladder from stage names, lowest first. Needs 2 to 255 distinct names.
    pub fn new<I, S>(stages: I) -> Result<Ladder, String>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let stages: Vec<String> = stages.into_iter().map(Into::into).collect();
        if stages.len() < 2 || stages.len() > 255 {
            return Err(format!(
                "a ladder needs 2 to 255 stages, not {}",
                stages.len()
            ));
        }
        let mut seen = HashMap::new();
        for s in &stages {
            if seen.insert(stage_key(s), ()).is_some() {
                return Err(format!("stage '{s}' appears twice in the ladder"));
            }
        }
        Ok(Ladder { stages })
    }

    /// Stage names, lowest first.
    pub fn stages(&self) -> &[String] {
        &self.stages
    }

    /// Name of a rank.
    pub fn name(&self, rank: u8) -> &str {
        &self.stages[rank as usize]
    }

    /// Number of stages.
    pub fn len(&self) -> usize {
        self.stages.len()
    }

    /// A ladder is never empty; provided for clippy's sake.
    pub fn is_empty(&self) -> bool {
        self.stages.is_empty()
    }

    /// Rank of a stage name (any case, spaces/underscores/hyphens alike).
    pub fn rank(&self, name: &str) -> Option<u8> {
        let k = stage_key(name);
        self.stages
            .iter()
            .position(|s| stage_key(s) == k)
            .map(|i| i as u8)
    }

    /// The default transitions: each consecutive step, then
    /// shortlisted → appointed (NHS WRES indicator 2) when the ladder has
    /// both stages (the consecutive step is labelled when they are
    /// adjacent), then first → last overall.
    pub fn default_transitions(&self) -> Vec<Transition> {
        let last = (self.len() - 1) as u8;
        let indicator_2 = match (self.rank("shortlisted"), self.rank("appointed")) {
            (Some(s), Some(a)) if a > s => Some((s, a)),
            _ => None,
        };
        let label = |from: u8, to: u8| {
            (indicator_2 == Some((from, to))).then(|| "NHS WRES indicator 2".to_string())
        };
        let mut out: Vec<Transition> = (0..last)
            .map(|r| Transition {
                from: r,
                to: r + 1,
                label: label(r, r + 1),
            })
            .collect();
        if let Some((s, a)) = indicator_2
            && a > s + 1
        {
            out.push(Transition {
                from: s,
                to: a,
                label: label(s, a),
            });
        }
        if last > 1 {
            out.push(Transition {
                from: 0,
                to: last,
                label: Some("overall".into()),
            });
        }
        out
    }
}

/// Raw stage values → meaning: the ladder's own names plus a profile's map.
#[derive(Debug, Clone)]
pub struct StageMap {
    ladder: Ladder,
    values: HashMap<String, StageValue>,
}

impl StageMap {
    /// The ladder's names map to themselves; `values` adds raw values (from a
    /// profile) mapped to a stage name or to "ignore".
    pub fn new(ladder: Ladder, values: &BTreeMap<String, String>) -> Result<StageMap, String> {
        let mut map = HashMap::new();
        for (i, s) in ladder.stages.iter().enumerate() {
            map.insert(stage_key(s), StageValue::Rank(i as u8));
        }
        // Values are matched ignoring case and spacing, so two keys that
        // differ only in those must agree (else which one wins is an
        // accident of order).
        let mut given: HashMap<String, (&String, &String)> = HashMap::new();
        for (raw, meaning) in values {
            if let Some((other, other_meaning)) = given.insert(stage_key(raw), (raw, meaning))
                && !other_meaning.eq_ignore_ascii_case(meaning)
            {
                return Err(format!(
                    "'{other}' = '{other_meaning}' and '{raw}' = '{meaning}' name the same value (case and spacing are ignored) but different stages"
                ));
            }
        }
        for (raw, meaning) in values {
            let value = if meaning.eq_ignore_ascii_case("ignore") {
                StageValue::Ignore
            } else if meaning.eq_ignore_ascii_case("exit") {
                StageValue::Exit
            } else {
                StageValue::Rank(ladder.rank(meaning).ok_or_else(|| {
                    format!(
                        "stage value '{raw}' is mapped to '{meaning}', which is not on the ladder ({}) nor \"ignore\" or \"exit\"",
                        ladder.stages.join(" < ")
                    )
                })?)
            };
            map.insert(stage_key(raw), value);
        }
        Ok(StageMap {
            ladder,
            values: map,
        })
    }

    /// The ladder.
    pub fn ladder(&self) -> &Ladder {
        &self.ladder
    }

    /// Every known value in its loose form with its meaning, sorted (for
    /// writing the map out, e.g. as a SQL mapping table).
    pub fn entries(&self) -> Vec<(&str, StageValue)> {
        let mut out: Vec<(&str, StageValue)> =
            self.values.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        out.sort_by(|a, b| a.0.cmp(b.0));
        out
    }

    /// Meaning of a raw value, `None` when unknown.
    pub fn get(&self, raw: &str) -> Option<StageValue> {
        self.values.get(&stage_key(raw)).copied()
    }
}

/// The loose form stage names are compared in: lower case, words only.
pub fn stage_key(s: &str) -> String {
    s.trim()
        .to_lowercase()
        .split(|c: char| c.is_whitespace() || c == '_' || c == '-')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_transitions_include_wres_indicator_2_and_overall() {
        let t = Ladder::standard().default_transitions();
        let pairs: Vec<(u8, u8)> = t.iter().map(|t| (t.from, t.to)).collect();
        assert_eq!(pairs, [(0, 1), (1, 2), (2, 3), (3, 4), (1, 4), (0, 4)]);
        assert_eq!(t[4].label.as_deref(), Some("NHS WRES indicator 2"));
    }

    #[test]
    fn search_ladder_has_no_wres_step() {
        let t = Ladder::search().default_transitions();
        assert_eq!(t.len(), 5);
        assert!(
            t.iter()
                .all(|t| t.label.as_deref() != Some("NHS WRES indicator 2"))
        );
    }

    #[test]
    fn stage_map_matches_loosely_and_maps_profile_values() {
        let mut values = BTreeMap::new();
        values.insert("Phone Screen".to_string(), "shortlisted".to_string());
        values.insert("Rejected".to_string(), "ignore".to_string());
        let m = StageMap::new(Ladder::standard(), &values).unwrap();
        assert_eq!(m.get(" Appointed "), Some(StageValue::Rank(4)));
        assert_eq!(m.get("phone_screen"), Some(StageValue::Rank(1)));
        assert_eq!(m.get("REJECTED"), Some(StageValue::Ignore));
        assert_eq!(m.get("Hired"), None);
        values.insert("Hired".to_string(), "placed".to_string());
        assert!(StageMap::new(Ladder::standard(), &values).is_err());
    }

    #[test]
    fn ladder_rejects_duplicates_and_short_ladders() {
        assert!(Ladder::new(["a", "A"]).is_err());
        assert!(Ladder::new(["only"]).is_err());
    }
}
