//! Synthetic ATS exports: all four canonical tables, deterministic for a
//! seed, written in chunks so memory stays flat for tens of millions of
//! applications.
//!
//! The data are realistic in shape, not in any real employer's numbers:
//! several organisations, agencies and grades, both sexes, ethnicity labels
//! in the many forms real exports use (2011 and 2021 headings, bare names,
//! NHS codes, odd case and spacing), about 12% unknown and a few unmappable
//! labels. Effects are injected on purpose so tests can check rung finds
//! them; they are listed in `docs/generator.md`:
//!
//! - BME applicants progress less often at every step (multipliers
//!   [`BME_MULTIPLIER`]); through agency "Agency C" more so at shortlisting.
//! - At interview → offer the BME multiplier is [`BME_MULTIPLIER`]'s only
//!   with an all-White panel; with a diverse panel it is
//!   [`BME_OFFER_MULTIPLIER_DIVERSE_PANEL`].
//! - Interview scores run lower for BME candidates by a gap that widens
//!   each quarter ([`score_gap`]).
//! - One assessor, [`BIASED_ASSESSOR`], chairs every panel of ORG001 and
//!   marks BME candidates [`BIASED_ASSESSOR_SHIFT`] points lower than
//!   colleagues do.

use std::path::PathBuf;

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::error::{Error, Result};

mod funnel;
mod search;
mod writer;

pub use funnel::{
    AGENCY_C_SHORTLIST_MULTIPLIER, BASE_RATES, BIASED_ASSESSOR, BIASED_ASSESSOR_SHIFT,
    BME_MULTIPLIER, BME_OFFER_MULTIPLIER_DIVERSE_PANEL, score_gap,
};
pub use search::SEARCH_BME_SHORTLIST_WEIGHT;
use writer::TableWriter;

/// How to generate.
#[derive(Debug, Clone)]
pub struct GenerateSpec {
    /// Number of applications.
    pub applications: u64,
    /// Random seed: the same seed gives the same files.
    pub seed: u64,
    /// Output folder (created if missing).
    pub out: PathBuf,
    /// File format.
    pub format: crate::ingest::Format,
    /// An employer's funnel, or an executive search firm's.
    pub ladder: GeneratedLadder,
    /// Write applications and stage events only (no panels or scores), as
    /// national extracts of the funnel are.
    pub funnel_only: bool,
    /// How an employer's export is laid out (the standard ladder only).
    pub shape: Shape,
}

/// How an employer's export is laid out: the same effects, different
/// stresses on the reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Shape {
    /// Vacancies of 25 applications in up to 200 organisations, ids in
    /// order, three-person panels.
    #[default]
    Standard,
    /// A national extract's shape: up to 300 organisations, vacancies of 10
    /// to 72 applications (41 on average), application and candidate ids in
    /// no order, about one application in four from a returning candidate
    /// (with the same label and sex), every ethnicity wording also in
    /// capitals and in lower case with a stray space, panels of two to
    /// four.
    National,
}

impl GenerateSpec {
    /// Where the table named `name` is written.
    fn table_path(&self, name: &str) -> PathBuf {
        let ext = match self.format {
            crate::ingest::Format::Csv => "csv",
            crate::ingest::Format::Parquet => "parquet",
        };
        self.out.join(format!("{name}.{ext}"))
    }
}

/// Writes a synthetic export of the kind `spec.ladder` names into
/// `spec.out`.
pub fn generate(spec: &GenerateSpec) -> Result<()> {
    if spec.ladder == GeneratedLadder::Search && spec.shape != Shape::Standard {
        return Err(Error::usage(
            "--shape national is an employer's export: it does not go with --ladder search",
            Some("leave out --shape, or --ladder".into()),
        ));
    }
    std::fs::create_dir_all(&spec.out).map_err(|e| Error::io(&spec.out, e))?;
    match spec.ladder {
        GeneratedLadder::Standard => funnel::generate_funnel(spec),
        GeneratedLadder::Search => search::generate_search(spec),
    }
}

/// Which kind of funnel to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum GeneratedLadder {
    /// applied < shortlisted < interviewed < offered < appointed, with
    /// panels and scores.
    Standard,
    /// longlist < shortlist < client_interview < offer < placed: clients,
    /// assignments of 20–200 longlisted candidates, shortlists of 3–8.
    Search,
}

/// (weight, is_bme, label forms). Weights loosely follow a diverse urban
/// NHS applicant pool; the forms are the ways real exports write each
/// category.
const ETHNICITIES: &[(f64, bool, &[&str])] = &[
    (
        52.0,
        false,
        &[
            "White British",
            "White - British",
            "White: English, Welsh, Scottish, Northern Irish or British",
            "A",
            "WHITE - ENGLISH/WELSH/SCOTTISH/NORTHERN IRISH/BRITISH",
            "white british ",
        ],
    ),
    (1.5, false, &["White Irish", "White - Irish", "B", "Irish"]),
    (
        0.2,
        false,
        &[
            "Gypsy or Irish Traveller",
            "White: Gypsy or Irish Traveller",
        ],
    ),
    (0.3, false, &["Roma", "White - Roma"]),
    (
        9.0,
        false,
        &[
            "Any other White background",
            "White - Any other White background",
            "C",
            "White Other",
        ],
    ),
    (
        1.2,
        true,
        &[
            "Mixed - White and Black Caribbean",
            "D",
            "White and Black Caribbean",
            "Mixed or Multiple ethnic groups: White and Black Caribbean",
        ],
    ),
    (
        0.8,
        true,
        &[
            "Mixed/Multiple ethnic groups - White and Black African",
            "E",
            "White & Black African",
        ],
    ),
    (
        1.0,
        true,
        &["Mixed - White and Asian", "F", "White and Asian"],
    ),
    (
        1.0,
        true,
        &[
            "Mixed - Any other mixed background",
            "G",
            "Any other Mixed or Multiple ethnic background",
        ],
    ),
    (
        8.0,
        true,
        &[
            "Asian or Asian British - Indian",
            "Indian",
            "H",
            "Asian, Asian British or Asian Welsh: Indian",
            "ASIAN OR ASIAN BRITISH - INDIAN",
        ],
    ),
    (
        5.0,
        true,
        &["Asian or Asian British - Pakistani", "Pakistani", "J"],
    ),
    (
        2.0,
        true,
        &["Asian or Asian British - Bangladeshi", "Bangladeshi", "K"],
    ),
    (
        1.5,
        true,
        &[
            "Chinese",
            "Other Ethnic Groups - Chinese",
            "R",
            "Asian or Asian British: Chinese",
        ],
    ),
    (
        2.5,
        true,
        &[
            "Asian or Asian British - Any other Asian background",
            "L",
            "Other Asian",
        ],
    ),
    (
        8.0,
        true,
        &[
            "Black or Black British - African",
            "Black African",
            "N",
            "African",
            "Black, Black British, Black Welsh, Caribbean or African: African",
        ],
    ),
    (
        2.5,
        true,
        &[
            "Black or Black British - Caribbean",
            "Black Caribbean",
            "M",
            "Caribbean",
        ],
    ),
    (
        1.0,
        true,
        &["Black or Black British - Any other Black background", "P"],
    ),
    (1.0, true, &["Arab", "Other ethnic group: Arab"]),
    (
        1.5,
        true,
        &[
            "Any other ethnic group",
            "S",
            "Other Ethnic Groups - Any other ethnic group",
        ],
    ),
];
/// Share of applications with no usable ethnicity, and the labels used.
const DECLINED_SHARE: f64 = 0.06;
const DECLINED_FORMS: &[&str] = &[
    "Prefer not to say",
    "Z",
    "I do not wish to disclose my ethnic origin",
];
const NOT_KNOWN_SHARE: f64 = 0.06;
const NOT_KNOWN_FORMS: &[&str] = &["", "Not stated", "99"];
/// Other systems' wordings for nothing recorded (NHS GP data's "Not
/// Recorded" and the like): every official wording maps, so the sample
/// data has no unmapped label; vague answers are tested on their own.
const NOT_RECORDED_SHARE: f64 = 0.003;
const NOT_RECORDED_FORMS: &[&str] = &["Not Recorded", "Unspecified", "Not provided"];
/// Share of stage events written twice (exports do this).
const DUPLICATE_EVENT_SHARE: f64 = 0.002;

/// A label for an applicant: `Some(is_bme)` for a known group, `None` for
/// declined or not known.
fn draw_label(rng: &mut ChaCha8Rng, total_weight: f64) -> (&'static str, Option<bool>) {
    let u: f64 = rng.random();
    if u < DECLINED_SHARE {
        return (
            DECLINED_FORMS[rng.random_range(0..DECLINED_FORMS.len())],
            None,
        );
    }
    if u < DECLINED_SHARE + NOT_KNOWN_SHARE {
        return (
            NOT_KNOWN_FORMS[rng.random_range(0..NOT_KNOWN_FORMS.len())],
            None,
        );
    }
    if u < DECLINED_SHARE + NOT_KNOWN_SHARE + NOT_RECORDED_SHARE {
        return (
            NOT_RECORDED_FORMS[rng.random_range(0..NOT_RECORDED_FORMS.len())],
            None,
        );
    }
    let (label, bme) = draw_known_ethnicity(rng, total_weight);
    (label, Some(bme))
}

fn draw_known_ethnicity(rng: &mut ChaCha8Rng, total_weight: f64) -> (&'static str, bool) {
    let mut x = rng.random_range(0.0..total_weight);
    for (weight, bme, forms) in ETHNICITIES {
        if x < *weight {
            return (forms[rng.random_range(0..forms.len())], *bme);
        }
        x -= weight;
    }
    let last = ETHNICITIES.last().expect("non-empty");
    (last.2[0], last.1)
}

/// Day `d` of 2025 (and on into 2026) as (year, month, day of month).
fn ymd(d: u32) -> (u32, usize, u32) {
    const MONTH_DAYS: [u32; 12] = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    let (mut year, mut day) = (2025, d);
    while day >= 365 {
        day -= 365;
        year += 1;
    }
    let mut month = 0;
    while day >= MONTH_DAYS[month] {
        day -= MONTH_DAYS[month];
        month += 1;
    }
    (year, month + 1, day + 1)
}

/// Day `d` of 2025 as an ISO date.
fn date(d: u32) -> String {
    let (year, month, day) = ymd(d);
    format!("{year}-{month:02}-{day:02}")
}

/// A candidate id that always goes with the same ethnicity label and sex:
/// people apply more than once, and a real export records the same
/// ethnicity on each of their applications.
fn candidate_id(prefix: char, label: &str, sex: &str, k: u64) -> String {
    let tag = format!("{label}|{sex}")
        .bytes()
        .fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)))
        % 1_000_000;
    format!("{prefix}{tag:06}{k:09}")
}

/// Calendar quarters since 2025 Q1 of day `d`.
fn quarter(d: u32) -> u32 {
    let (year, month, _) = ymd(d);
    (year - 2025) * 4 + (month as u32 - 1) / 3
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_roll_over_months_and_years() {
        assert_eq!(date(0), "2025-01-01");
        assert_eq!(date(31), "2025-02-01");
        assert_eq!(date(364), "2025-12-31");
        assert_eq!(date(365), "2026-01-01");
        assert_eq!(
            (
                quarter(0),
                quarter(89),
                quarter(90),
                quarter(364),
                quarter(365)
            ),
            (0, 0, 1, 3, 4)
        );
    }

    #[test]
    fn every_generated_label_maps_as_intended() {
        use crate::taxonomy::ethnicity::{Resolution, resolve};
        use crate::taxonomy::grouping::{Class, Scheme};
        let wres = Scheme::wres();
        for (_, bme, forms) in ETHNICITIES {
            for f in *forms {
                let expected = Class::Group(usize::from(*bme));
                assert_eq!(wres.classify(resolve(Some(f))), expected, "{f}");
            }
        }
        for f in DECLINED_FORMS {
            assert_eq!(resolve(Some(f)), Resolution::Declined, "{f}");
        }
        for f in NOT_KNOWN_FORMS {
            assert_eq!(resolve(Some(f)), Resolution::NotKnown, "{f}");
        }
        for f in NOT_RECORDED_FORMS {
            assert_eq!(resolve(Some(f)), Resolution::NotKnown, "{f}");
        }
    }
}
