//! The wordings table (`wordings.tsv` beside this file, compiled in): one row
//! per official wording with its source, parsed once into the look-up tables
//! the resolver in `ethnicity` uses, and checked for rows that do not parse
//! or contradict each other.

use std::collections::HashMap;
use std::sync::OnceLock;

use super::ethnicity::{CATEGORIES, CodeEntry, Heading, Resolution, Why, find_heading};
use super::label_text::{key, words};

/// One row of the wordings table.
#[derive(Debug)]
pub struct Wording {
    /// How it is used (`name`, `sub`, `sub@<heading>`, `heading`, `prefix`,
    /// `vague`, `code:<system>`).
    pub usage: &'static str,
    /// The wording as its source writes it.
    pub wording: &'static str,
    /// What it means.
    pub means: Resolution,
    /// Where it is written (a key explained at the top of the table).
    pub source: &'static str,
}

/// The wordings table (src/taxonomy/wordings.tsv), compiled in.
pub(super) const WORDINGS_TSV: &str = include_str!("wordings.tsv");

/// Every row of the wordings table, in file order. A row that does not
/// parse is left out here and reported by [`wording_table_problems`]
/// (which a unit test keeps empty).
pub fn wordings() -> &'static [Wording] {
    static ROWS: OnceLock<Vec<Wording>> = OnceLock::new();
    ROWS.get_or_init(|| parse_wordings().0)
}

/// Rows of the wordings table that do not parse or that contradict
/// another row; empty for a good table.
pub fn wording_table_problems() -> Vec<String> {
    let mut problems = parse_wordings().1;
    problems.extend(tables().conflicts.iter().cloned());
    problems
}

pub(super) fn parse_wordings() -> (Vec<Wording>, Vec<String>) {
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    for (n, line) in WORDINGS_TSV.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') || line.starts_with("use\t") {
            continue;
        }
        let fields: Vec<&'static str> = line.split('\t').collect();
        let [usage, wording, means, source] = fields[..] else {
            problems.push(format!("line {}: expected 4 tab-separated fields", n + 1));
            continue;
        };
        let means = if usage == "vague" {
            Some(Resolution::Unmapped(Why::Vague))
        } else {
            Resolution::parse(means)
        };
        let Some(means) = means else {
            problems.push(format!(
                "line {}: '{}' means nothing rung knows",
                n + 1,
                fields[2]
            ));
            continue;
        };
        rows.push(Wording {
            usage,
            wording,
            means,
            source,
        });
    }
    (rows, problems)
}

/// Adds a wording's key to a map, noting a conflict when the key already
/// means something else.
pub(super) fn add_wording<K: std::hash::Hash + Eq>(
    map: &mut HashMap<K, Resolution>,
    k: K,
    r: Resolution,
    wording: &str,
    conflicts: &mut Vec<String>,
) {
    match map.get(&k) {
        Some(&old) if old != r => conflicts.push(format!(
            "'{wording}' means both {} and {}",
            old.id(),
            r.id()
        )),
        Some(_) => {}
        None => {
            map.insert(k, r);
        }
    }
}

pub(super) struct Tables {
    /// Whole-label keys.
    pub(super) whole: HashMap<String, Resolution>,
    /// Heading wording keys, for the part before a separator.
    pub(super) prefixes: HashMap<String, Heading>,
    /// The same, longest first, for labels with no separator.
    pub(super) prefix_keys: Vec<(String, Heading)>,
    /// (heading, sub key) → what the sub-category wording means there.
    pub(super) subs: HashMap<(Heading, String), Resolution>,
    /// Code (lower case) → its meaning in each code system defining it.
    pub(super) codes: HashMap<String, Vec<CodeEntry>>,
    /// Wordings given two meanings (first kept); a unit test keeps it empty.
    pub(super) conflicts: Vec<String>,
}

pub(super) fn tables() -> &'static Tables {
    static TABLES: OnceLock<Tables> = OnceLock::new();
    TABLES.get_or_init(|| {
        let mut t = Tables {
            whole: HashMap::new(),
            prefixes: HashMap::new(),
            prefix_keys: Vec::new(),
            subs: HashMap::new(),
            codes: HashMap::new(),
            conflicts: Vec::new(),
        };
        let mut conflicts = Vec::new();
        let heading_of = |r: Resolution| match r {
            Resolution::Category(c) => Some(CATEGORIES[c].heading),
            Resolution::Heading(h) => Some(h),
            _ => None,
        };
        for row in wordings() {
            let k = key(row.wording);
            let (usage, means, wording) = (row.usage, row.means, row.wording);
            match usage {
                "name" | "vague" => {
                    // A name also names its category after its heading.
                    if let Some(h) = heading_of(means) {
                        add_wording(&mut t.subs, (h, k.clone()), means, wording, &mut conflicts);
                    }
                    add_wording(&mut t.whole, k, means, wording, &mut conflicts);
                }
                "heading" | "prefix" => {
                    let Resolution::Heading(h) = means else {
                        conflicts.push(format!("heading '{wording}' must mean heading:<id>"));
                        continue;
                    };
                    if t.prefixes.insert(k.clone(), h).is_some_and(|old| old != h) {
                        conflicts.push(format!("heading '{wording}' under two headings"));
                    }
                    if usage == "heading" {
                        add_wording(&mut t.whole, k, means, wording, &mut conflicts);
                    }
                }
                "sub" | "sub@asian" | "sub@black" | "sub@mixed" | "sub@white" | "sub@other" => {
                    let heading = match usage.strip_prefix("sub@") {
                        Some(id) => find_heading(id),
                        None => heading_of(means),
                    };
                    match heading {
                        Some(h) => add_wording(&mut t.subs, (h, k), means, wording, &mut conflicts),
                        None => conflicts.push(format!("sub '{wording}' has no heading")),
                    }
                }
                usage if usage.starts_with("code:") => {
                    let system = &usage[5..];
                    let (code, description) = wording.split_once(' ').unwrap_or((wording, ""));
                    let entries = t.codes.entry(code.to_lowercase()).or_default();
                    let entry = match entries.iter_mut().find(|e| e.system == system) {
                        Some(e) => {
                            if e.means != means {
                                conflicts.push(format!("code {code} ({system}) has two meanings"));
                            }
                            e
                        }
                        None => {
                            entries.push(CodeEntry {
                                system,
                                means,
                                descriptions: Vec::new(),
                            });
                            entries.last_mut().expect("just pushed")
                        }
                    };
                    entry.descriptions.push(words(description));
                }
                other => conflicts.push(format!("'{wording}': unknown use '{other}'")),
            }
        }
        t.prefix_keys = t.prefixes.iter().map(|(k, h)| (k.clone(), *h)).collect();
        t.prefix_keys
            .sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.0.cmp(&b.0)));
        t.conflicts = conflicts;
        t
    })
}
