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

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use polars::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::error::{Error, Result};

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

/// In search data, a BME candidate's weight when shortlists are drawn from
/// the longlist (White candidates weigh 1).
pub const SEARCH_BME_SHORTLIST_WEIGHT: f64 = 0.7;
const SEARCH_CLIENTS: [&str; 6] = [
    "Client A", "Client B", "Client C", "Client D", "Client E", "Client F",
];
const SEARCH_ROLES: [&str; 4] = ["Finance", "Technology", "Operations", "Board"];

/// Base progression probabilities per step for White applicants:
/// applied→shortlisted, →interviewed, →offered, →appointed.
pub const BASE_RATES: [f64; 4] = [0.45, 0.75, 0.40, 0.90];
/// BME applicants' probabilities are the base rates times these.
pub const BME_MULTIPLIER: [f64; 4] = [0.85, 0.92, 0.80, 0.97];
/// Extra multiplier at shortlisting for BME applicants through Agency C.
pub const AGENCY_C_SHORTLIST_MULTIPLIER: f64 = 0.75;
/// With a diverse interview panel, the BME multiplier at interview → offer.
pub const BME_OFFER_MULTIPLIER_DIVERSE_PANEL: f64 = 0.95;
/// The assessor who chairs every ORG001 panel and is biased.
pub const BIASED_ASSESSOR: &str = "E001-0001";
/// How much lower than colleagues the biased assessor scores BME candidates.
pub const BIASED_ASSESSOR_SHIFT: f64 = -1.5;

/// Mean interview score difference, BME minus White (scores 1–10), for an
/// application made `quarter` quarters after the first day of 2025:
/// −0.1 in the first quarter, widening by 0.15 each quarter.
pub fn score_gap(quarter: u32) -> f64 {
    -0.1 - 0.15 * quarter as f64
}

const STAGES: [&str; 5] = [
    "applied",
    "shortlisted",
    "interviewed",
    "offered",
    "appointed",
];
const AGENCIES: [&str; 4] = ["Direct", "Agency A", "Agency B", "Agency C"];
const GRADES: [&str; 9] = [
    "Band 3", "Band 4", "Band 5", "Band 6", "Band 7", "Band 8a", "Band 8b", "Band 8c", "Band 9",
];
const APPLICATIONS_PER_VACANCY: u64 = 25;
const CHUNK_ROWS: usize = 100_000;

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

/// Writes the four tables of a synthetic export.
pub fn generate(spec: &GenerateSpec) -> Result<()> {
    std::fs::create_dir_all(&spec.out).map_err(|e| Error::io(&spec.out, e))?;
    if spec.ladder == GeneratedLadder::Search {
        return generate_search(spec);
    }
    let ext = match spec.format {
        crate::ingest::Format::Csv => "csv",
        crate::ingest::Format::Parquet => "parquet",
    };
    let path = |name: &str| spec.out.join(format!("{name}.{ext}"));
    let mut applications = TableWriter::create(
        &path("applications"),
        spec.format,
        &[
            "application_id",
            "vacancy_id",
            "candidate_id",
            "ethnicity",
            "organisation",
            "agency",
            "grade",
            "sex",
            "applied_on",
        ],
    )?;
    let mut events = TableWriter::create(
        &path("stage_events"),
        spec.format,
        &["application_id", "stage", "entered_at"],
    )?;
    let mut panels = TableWriter::create_unless(
        spec.funnel_only,
        &path("panel_members"),
        spec.format,
        &[
            "vacancy_id",
            "stage",
            "member_id",
            "member_ethnicity",
            "member_sex",
            "role",
        ],
    )?;
    let mut scores = TableWriter::create_unless(
        spec.funnel_only,
        &path("scores"),
        spec.format,
        &["application_id", "stage", "assessor_id", "score"],
    )?;

    let mut rng = ChaCha8Rng::seed_from_u64(spec.seed);
    let organisations = (spec.applications / 2_000).clamp(3, 200);
    let total_weight: f64 = ETHNICITIES.iter().map(|e| e.0).sum();
    let vacancies = spec.applications.div_ceil(APPLICATIONS_PER_VACANCY);
    let mut app_no: u64 = 0;
    for v in 0..vacancies {
        let vacancy_id = format!("V{:07}", v + 1);
        let organisation = format!("ORG{:03}", rng.random_range(1..=organisations));
        let agency = AGENCIES[rng.random_range(0..AGENCIES.len())];
        let grade = GRADES[rng.random_range(0..GRADES.len())];
        let opened = rng.random_range(0..365u32);
        // The interview panel: three different staff of the organisation;
        // ORG001's panels are chaired by the biased assessor.
        let mut panel: Vec<String> = Vec::with_capacity(3);
        let mut diverse = false;
        for seat in 0..3 {
            let (label, bme) = draw_known_ethnicity(&mut rng, total_weight);
            let id = if seat == 0 && organisation == "ORG001" {
                BIASED_ASSESSOR.to_string()
            } else {
                loop {
                    let id = format!("E{}-{:04}", &organisation[3..], rng.random_range(2..=400));
                    if !panel.contains(&id) {
                        break id;
                    }
                }
            };
            diverse |= bme;
            let sex = if rng.random_bool(0.6) {
                "Female"
            } else {
                "Male"
            };
            panels.push(vec![
                vacancy_id.clone(),
                "interviewed".into(),
                id.clone(),
                label.into(),
                sex.into(),
                "member".into(),
            ]);
            panel.push(id);
        }
        panels.flush_if_full()?;
        let in_vacancy = APPLICATIONS_PER_VACANCY.min(spec.applications - app_no);
        for _ in 0..in_vacancy {
            app_no += 1;
            let application_id = format!("A{app_no:09}");
            let (label, bme) = draw_label(&mut rng, total_weight);
            let sex = match rng.random_range(0..100) {
                0..=63 => "Female",
                64..=97 => "Male",
                _ => "",
            };
            let applied = opened + rng.random_range(0..21);
            applications.push(vec![
                application_id.clone(),
                vacancy_id.clone(),
                candidate_id(
                    'C',
                    label,
                    sex,
                    rng.random_range(1..=spec.applications.max(2) * 3 / 4 + 1),
                ),
                label.to_string(),
                organisation.clone(),
                agency.into(),
                grade.into(),
                sex.into(),
                date(applied),
            ]);
            let mut reached = 0;
            for step in 0..4 {
                let mut p = BASE_RATES[step];
                if bme == Some(true) {
                    p *= if step == 2 && diverse {
                        BME_OFFER_MULTIPLIER_DIVERSE_PANEL
                    } else {
                        BME_MULTIPLIER[step]
                    };
                    if step == 0 && agency == "Agency C" {
                        p *= AGENCY_C_SHORTLIST_MULTIPLIER;
                    }
                }
                if rng.random_bool(p) {
                    reached = step + 1;
                } else {
                    break;
                }
            }
            for (stage, name) in STAGES.iter().enumerate().take(reached + 1) {
                let row = vec![
                    application_id.clone(),
                    name.to_string(),
                    date(applied + 7 * stage as u32),
                ];
                if rng.random_bool(DUPLICATE_EVENT_SHARE) {
                    events.push(row.clone());
                }
                events.push(row);
            }
            if reached >= 2 {
                let quarter = quarter(applied);
                for member in &panel {
                    let mut mean = 6.0;
                    if bme == Some(true) {
                        mean += score_gap(quarter);
                        if member == BIASED_ASSESSOR {
                            mean += BIASED_ASSESSOR_SHIFT;
                        }
                    }
                    let noise: f64 = (0..4).map(|_| rng.random_range(-1.0..1.0)).sum();
                    let score = (mean + noise).round().clamp(1.0, 10.0) as i64;
                    scores.push(vec![
                        application_id.clone(),
                        "interviewed".into(),
                        member.clone(),
                        score.to_string(),
                    ]);
                }
            }
            applications.flush_if_full()?;
            events.flush_if_full()?;
            scores.flush_if_full()?;
        }
    }
    applications.finish()?;
    events.finish()?;
    panels.finish()?;
    scores.finish()?;
    Ok(())
}

/// A search firm's export: applications (one per candidate × assignment,
/// `vacancy_id` = assignment, `organisation` and `client` = the client) and
/// stage events on the search ladder. About `spec.applications` longlisted
/// candidates in all.
fn generate_search(spec: &GenerateSpec) -> Result<()> {
    let ext = match spec.format {
        crate::ingest::Format::Csv => "csv",
        crate::ingest::Format::Parquet => "parquet",
    };
    let path = |name: &str| spec.out.join(format!("{name}.{ext}"));
    let mut applications = TableWriter::create(
        &path("applications"),
        spec.format,
        &[
            "application_id",
            "vacancy_id",
            "candidate_id",
            "ethnicity",
            "organisation",
            "client",
            "role_family",
            "sex",
            "applied_on",
        ],
    )?;
    let mut events = TableWriter::create(
        &path("stage_events"),
        spec.format,
        &["application_id", "stage", "entered_at"],
    )?;
    let mut rng = ChaCha8Rng::seed_from_u64(spec.seed);
    let total_weight: f64 = ETHNICITIES.iter().map(|e| e.0).sum();
    let mut written = 0u64;
    let mut assignment = 0u64;
    while written < spec.applications {
        assignment += 1;
        let vacancy_id = format!("S{assignment:05}");
        let client = SEARCH_CLIENTS[rng.random_range(0..SEARCH_CLIENTS.len())];
        let role = SEARCH_ROLES[rng.random_range(0..SEARCH_ROLES.len())];
        let opened = rng.random_range(0..330u32);
        let size = rng
            .random_range(20..=200u64)
            .min(spec.applications - written)
            .max(1);
        // The longlist: (id, bme or unknown).
        let mut longlist: Vec<(String, Option<bool>)> = Vec::with_capacity(size as usize);
        for _ in 0..size {
            written += 1;
            let id = format!("L{written:09}");
            let (label, bme) = draw_label(&mut rng, total_weight);
            let sex = if rng.random_bool(0.45) {
                "Female"
            } else {
                "Male"
            };
            applications.push(vec![
                id.clone(),
                vacancy_id.clone(),
                candidate_id(
                    'P',
                    label,
                    sex,
                    rng.random_range(1..=spec.applications.max(2)),
                ),
                label.to_string(),
                client.to_string(),
                client.to_string(),
                role.to_string(),
                sex.to_string(),
                date(opened),
            ]);
            events.push(vec![id.clone(), "longlist".into(), date(opened)]);
            longlist.push((id, bme));
        }
        // The shortlist: 3–8 drawn by weight, BME candidates weighing less.
        let k = rng.random_range(3..=8usize).min(longlist.len());
        let mut pool: Vec<usize> = (0..longlist.len()).collect();
        let mut shortlist = Vec::with_capacity(k);
        for _ in 0..k {
            let weights: Vec<f64> = pool
                .iter()
                .map(|&i| {
                    if longlist[i].1 == Some(true) {
                        SEARCH_BME_SHORTLIST_WEIGHT
                    } else {
                        1.0
                    }
                })
                .collect();
            let mut x = rng.random_range(0.0..weights.iter().sum::<f64>());
            let mut pick = pool.len() - 1;
            for (j, w) in weights.iter().enumerate() {
                if x < *w {
                    pick = j;
                    break;
                }
                x -= w;
            }
            shortlist.push(pool.swap_remove(pick));
        }
        shortlist.sort_unstable();
        let interviews = rng.random_range(2..=4usize).min(shortlist.len());
        for (n, &i) in shortlist.iter().enumerate() {
            let id = &longlist[i].0;
            events.push(vec![id.clone(), "shortlist".into(), date(opened + 21)]);
            if n < interviews {
                events.push(vec![
                    id.clone(),
                    "client_interview".into(),
                    date(opened + 35),
                ]);
                if n == 0 {
                    events.push(vec![id.clone(), "offer".into(), date(opened + 49)]);
                    if rng.random_bool(0.9) {
                        events.push(vec![id.clone(), "placed".into(), date(opened + 63)]);
                    }
                }
            }
        }
        applications.flush_if_full()?;
        events.flush_if_full()?;
    }
    applications.finish()?;
    events.finish()
}

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

/// Buffers rows and writes them in chunks, as CSV or as Parquet row groups.
struct TableWriter {
    path: PathBuf,
    columns: Vec<String>,
    rows: Vec<Vec<String>>,
    sink: Sink,
}

enum Sink {
    Csv(Box<csv::Writer<BufWriter<File>>>),
    Parquet(Box<polars::io::parquet::write::BatchedWriter<File>>),
    /// A table not asked for: rows are drawn (so the other tables do not
    /// change) and dropped.
    Discard,
}

impl TableWriter {
    /// A writer, or one that writes nothing when `skip`.
    fn create_unless(
        skip: bool,
        path: &Path,
        format: crate::ingest::Format,
        columns: &[&str],
    ) -> Result<TableWriter> {
        if !skip {
            return TableWriter::create(path, format, columns);
        }
        Ok(TableWriter {
            path: path.to_path_buf(),
            columns: Vec::new(),
            rows: Vec::new(),
            sink: Sink::Discard,
        })
    }

    fn create(path: &Path, format: crate::ingest::Format, columns: &[&str]) -> Result<TableWriter> {
        let file = File::create(path).map_err(|e| Error::io(path, e))?;
        let sink = match format {
            crate::ingest::Format::Csv => {
                let mut w = csv::Writer::from_writer(BufWriter::new(file));
                w.write_record(columns)
                    .map_err(|e| Error::input(path, e.to_string()))?;
                Sink::Csv(Box::new(w))
            }
            crate::ingest::Format::Parquet => {
                let schema: Schema = columns
                    .iter()
                    .map(|c| Field::new((*c).into(), column_type(c)))
                    .collect();
                let w = ParquetWriter::new(file)
                    .batched(&schema)
                    .map_err(|e| Error::input(path, e.to_string()))?;
                Sink::Parquet(Box::new(w))
            }
        };
        Ok(TableWriter {
            path: path.to_path_buf(),
            columns: columns.iter().map(|c| c.to_string()).collect(),
            rows: Vec::with_capacity(CHUNK_ROWS),
            sink,
        })
    }

    fn push(&mut self, row: Vec<String>) {
        if !matches!(self.sink, Sink::Discard) {
            self.rows.push(row);
        }
    }

    fn flush_if_full(&mut self) -> Result<()> {
        if self.rows.len() >= CHUNK_ROWS {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        let path = self.path.clone();
        let fail = |e: String| Error::input(&path, format!("writing failed: {e}"));
        match &mut self.sink {
            Sink::Discard => {}
            Sink::Csv(w) => {
                for r in &self.rows {
                    w.write_record(r).map_err(|e| fail(e.to_string()))?;
                }
            }
            Sink::Parquet(w) => {
                let columns: Vec<Column> = self
                    .columns
                    .iter()
                    .enumerate()
                    .map(|(i, name)| {
                        let values = self.rows.iter().map(|r| r[i].as_str());
                        if column_type(name) == DataType::Int64 {
                            let ints: Vec<Option<i64>> = values.map(|v| v.parse().ok()).collect();
                            Column::new(name.into(), ints)
                        } else {
                            let texts: Vec<Option<&str>> =
                                values.map(|v| (!v.is_empty()).then_some(v)).collect();
                            Column::new(name.into(), texts)
                        }
                    })
                    .collect();
                let df = DataFrame::new_infer_height(columns).map_err(|e| fail(e.to_string()))?;
                w.write_batch(&df).map_err(|e| fail(e.to_string()))?;
            }
        }
        self.rows.clear();
        Ok(())
    }

    fn finish(mut self) -> Result<()> {
        self.flush()?;
        let path = self.path.clone();
        match self.sink {
            Sink::Discard => Ok(()),
            Sink::Csv(mut w) => w.flush().map_err(|e| Error::io(&path, e)),
            Sink::Parquet(w) => w
                .finish()
                .map(|_| ())
                .map_err(|e| Error::input(&path, format!("writing failed: {e}"))),
        }
    }
}

fn column_type(name: &str) -> DataType {
    if name == "score" {
        DataType::Int64
    } else {
        DataType::String
    }
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
