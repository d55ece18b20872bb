//! An employer's funnel: vacancies in organisations, applications through
//! shortlisting, interview, offer and appointment with a known bias planted
//! (BME applicants less likely to be shortlisted, more so through agency C),
//! panels and interview scores (one biased assessor).

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::{
    DUPLICATE_EVENT_SHARE, ETHNICITIES, GenerateSpec, TableWriter, candidate_id, date,
    draw_known_ethnicity, draw_label, quarter,
};
use crate::error::Result;

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

pub(super) const STAGES: [&str; 5] = [
    "applied",
    "shortlisted",
    "interviewed",
    "offered",
    "appointed",
];
pub(super) const AGENCIES: [&str; 4] = ["Direct", "Agency A", "Agency B", "Agency C"];
pub(super) const GRADES: [&str; 9] = [
    "Band 3", "Band 4", "Band 5", "Band 6", "Band 7", "Band 8a", "Band 8b", "Band 8c", "Band 9",
];
pub(super) const APPLICATIONS_PER_VACANCY: u64 = 25;

/// Writes the four tables of an employer's synthetic export (applications
/// and stage events only with `funnel_only`).
pub(super) fn generate_funnel(spec: &GenerateSpec) -> Result<()> {
    let path = |name: &str| spec.table_path(name);
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
        crate::ingest::TableKind::StageEvents.all_columns(),
    )?;
    let mut panels = TableWriter::create_unless(
        spec.funnel_only,
        &path("panel_members"),
        spec.format,
        crate::ingest::TableKind::PanelMembers.all_columns(),
    )?;
    let mut scores = TableWriter::create_unless(
        spec.funnel_only,
        &path("scores"),
        spec.format,
        crate::ingest::TableKind::Scores.all_columns(),
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
