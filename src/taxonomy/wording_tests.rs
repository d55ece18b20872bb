//! The official wordings of tests/fixtures/official_wordings.tsv (written
//! by hand from the questionnaires, standards and data dictionaries it
//! cites, not from rung's own table) land where they must under every
//! scheme, in every case, spacing and separator form.

use super::ethnicity::{CATEGORIES, Resolution, resolve};
use super::grouping::Scheme;

const TABLE: &str = include_str!("../../tests/fixtures/official_wordings.tsv");

struct Row {
    label: &'static str,
    source: &'static str,
    resolves_to: &'static str,
    groups: [&'static str; 4],
}

fn rows() -> Vec<Row> {
    TABLE
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("label\t") && !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            assert_eq!(f.len(), 7, "{l}");
            Row {
                label: f[0],
                source: f[1],
                resolves_to: f[2],
                groups: [f[3], f[4], f[5], f[6]],
            }
        })
        .collect()
}

fn schemes() -> [Scheme; 4] {
    [
        Scheme::wres(),
        Scheme::ons5(),
        Scheme::ons19(),
        Scheme::eeo1(),
    ]
}

#[test]
fn every_official_wording_lands_where_its_source_puts_it() {
    let rows = rows();
    assert!(rows.len() >= 150, "{} rows", rows.len());
    let schemes = schemes();
    let mut wrong = Vec::new();
    for row in &rows {
        let r = resolve(Some(row.label));
        if r.id() != row.resolves_to {
            wrong.push(format!(
                "{} ({}): resolved to {}, expected {}",
                row.label,
                row.source,
                r.id(),
                row.resolves_to
            ));
            continue;
        }
        for (scheme, expected) in schemes.iter().zip(row.groups) {
            let expected = match (expected, r) {
                ("=", Resolution::Category(c)) => CATEGORIES[c].name,
                (e, _) => e,
            };
            let got = scheme.class_name(scheme.classify(r));
            if got != expected {
                wrong.push(format!(
                    "{} ({}) under {}: {got}, expected {expected}",
                    row.label, row.source, scheme.name
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// The same wording written with every separator, in any case and with
/// stray spaces.
fn variants(label: &str) -> Vec<String> {
    let mut out = vec![
        label.to_lowercase(),
        label.to_uppercase(),
        format!("  {}  ", label.replace(' ', "   ")),
    ];
    for from in [": ", " - "] {
        if label.contains(from) {
            for to in [": ", " - ", " – ", " — ", ":", " : ", "/", " / "] {
                out.push(label.replacen(from, to, 1));
            }
        }
    }
    out
}

#[test]
fn case_spacing_and_separator_variants_resolve_the_same() {
    let mut wrong = Vec::new();
    for row in rows() {
        let expected = resolve(Some(row.label));
        for v in variants(row.label) {
            // A bare code followed by "/" is not a form anyone writes.
            if v.trim().len() <= 2 {
                continue;
            }
            let got = resolve(Some(&v));
            if got != expected {
                wrong.push(format!("'{v}': {got:?}, expected {expected:?}"));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

mod random {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Random case flips and extra spaces between words never change
        /// what a wording means.
        #[test]
        fn case_and_spaces_do_not_matter(
            index in 0usize..1000,
            flips in proptest::collection::vec(any::<bool>(), 64),
            gaps in proptest::collection::vec(1usize..4, 32),
        ) {
            let rows = rows();
            let row = &rows[index % rows.len()];
            let cased: String = row
                .label
                .chars()
                .enumerate()
                .map(|(i, c)| if flips[i % flips.len()] { c.to_ascii_uppercase() } else { c.to_ascii_lowercase() })
                .collect();
            let spaced: String = cased
                .split(' ')
                .enumerate()
                .map(|(i, w)| format!("{w}{}", " ".repeat(gaps[i % gaps.len()])))
                .collect();
            prop_assert_eq!(resolve(Some(&spaced)), resolve(Some(row.label)), "{}", spaced);
        }
    }
}
