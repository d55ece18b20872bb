//! An employer's funnel: vacancies in organisations, applications through
//! shortlisting, interview, offer and appointment with a known bias planted
//! (BME applicants less likely to be shortlisted, more so through agency C),
//! panels and interview scores (one biased assessor).

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::{
    DUPLICATE_EVENT_SHARE, ETHNICITIES, GenerateSpec, Shape, TableWriter, candidate_id, date,
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
    let organisations = match spec.shape {
        Shape::Standard => (spec.applications / 2_000).clamp(3, 200),
        Shape::National => (spec.applications / 1_000).clamp(3, 300),
    };
    let total_weight: f64 = ETHNICITIES.iter().map(|e| e.0).sum();
    let mut candidates = Candidates {
        seed: spec.seed,
        count: 0,
        total_weight,
    };
    let mut app_no: u64 = 0;
    let mut v = 0;
    while app_no < spec.applications {
        v += 1;
        let vacancy_id = format!("V{v:07}");
        let organisation = format!("ORG{:03}", rng.random_range(1..=organisations));
        let agency = AGENCIES[rng.random_range(0..AGENCIES.len())];
        let grade = GRADES[rng.random_range(0..GRADES.len())];
        let opened = rng.random_range(0..365u32);
        // The interview panel: different staff of the organisation (three;
        // two to four in the national shape); ORG001's panels are chaired
        // by the biased assessor.
        let seats = match spec.shape {
            Shape::Standard => 3,
            Shape::National => rng.random_range(2..=4),
        };
        let mut panel: Vec<String> = Vec::with_capacity(seats);
        let mut diverse = false;
        for seat in 0..seats {
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
        let in_vacancy = match spec.shape {
            Shape::Standard => APPLICATIONS_PER_VACANCY,
            Shape::National => rng.random_range(10..=72),
        }
        .min(spec.applications - app_no);
        for _ in 0..in_vacancy {
            app_no += 1;
            // The date applied is drawn in each arm: the standard shape's
            // order of draws keeps its files byte for byte as they were.
            let (application_id, candidate, label, bme, sex, applied) = match spec.shape {
                Shape::Standard => {
                    let (label, bme) = draw_label(&mut rng, total_weight);
                    let sex = draw_sex(&mut rng);
                    let applied = opened + rng.random_range(0..21);
                    let candidate = candidate_id(
                        'C',
                        label,
                        sex,
                        rng.random_range(1..=spec.applications.max(2) * 3 / 4 + 1),
                    );
                    let id = format!("A{app_no:09}");
                    (id, candidate, label.to_string(), bme, sex, applied)
                }
                Shape::National => {
                    let c = candidates.next(&mut rng);
                    let applied = opened + rng.random_range(0..21);
                    let id = format!("N{:012x}", scrambled(app_no));
                    (id, c.id, c.label, c.bme, c.sex, applied)
                }
            };
            applications.push(vec![
                application_id.clone(),
                vacancy_id.clone(),
                candidate,
                label,
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

/// An applicant's sex as an export writes it: about 64% female, 34% male,
/// 2% blank.
fn draw_sex(rng: &mut ChaCha8Rng) -> &'static str {
    match rng.random_range(0..100) {
        0..=63 => "Female",
        64..=97 => "Male",
        _ => "",
    }
}

/// Share of the national shape's applications made by a candidate who has
/// applied before: an extract of 10M applications had 7.7M candidates.
const RETURNING_SHARE: f64 = 0.23;

/// The national shape's candidates: each has its own label, spelling and
/// sex, drawn from a generator seeded by the candidate's number, so a
/// returning candidate is written the same way without any being kept in
/// memory.
struct Candidates {
    seed: u64,
    /// Candidates so far.
    count: u64,
    total_weight: f64,
}

/// One applicant as an application records them.
struct Candidate {
    id: String,
    label: String,
    bme: Option<bool>,
    sex: &'static str,
}

impl Candidates {
    /// The next application's candidate: a returning one (about
    /// [`RETURNING_SHARE`]) or a new one.
    fn next(&mut self, rng: &mut ChaCha8Rng) -> Candidate {
        let k = if self.count > 0 && rng.random_bool(RETURNING_SHARE) {
            rng.random_range(0..self.count)
        } else {
            self.count += 1;
            self.count - 1
        };
        let mut own = ChaCha8Rng::seed_from_u64(self.seed ^ scrambled(k + 1));
        let (form, bme) = draw_label(&mut own, self.total_weight);
        Candidate {
            id: format!("P{:012x}", scrambled(k)),
            label: spelled(form, own.random_range(0..3)),
            bme,
            sex: draw_sex(&mut own),
        }
    }
}

/// A label in one of three spellings, as different systems and years of
/// one extract write the same answer: as given, in capitals, or in lower
/// case with a trailing space. Codes and blanks are kept as given.
fn spelled(form: &str, spelling: u32) -> String {
    match spelling {
        _ if form.len() <= 2 => form.to_string(),
        1 => form.to_uppercase(),
        2 => format!("{} ", form.to_lowercase()),
        _ => form.to_string(),
    }
}

/// `n` mixed into a 48-bit number, different for each `n` below 2^48
/// (multiplying by an odd number is a bijection modulo a power of two):
/// ids in no order, as a national extract's are.
fn scrambled(n: u64) -> u64 {
    n.wrapping_mul(0x9E37_79B9_7F4A_7C15) & ((1 << 48) - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrambled_ids_are_distinct() {
        let ids: std::collections::HashSet<u64> = (0..100_000).map(scrambled).collect();
        assert_eq!(ids.len(), 100_000);
    }

    /// Every spelling the national shape writes maps as its form does.
    #[test]
    fn every_spelling_maps_as_its_form() {
        use crate::taxonomy::ethnicity::resolve;
        let forms = ETHNICITIES
            .iter()
            .flat_map(|e| e.2.iter())
            .chain(super::super::DECLINED_FORMS)
            .chain(super::super::NOT_KNOWN_FORMS)
            .chain(super::super::NOT_RECORDED_FORMS);
        for form in forms {
            for spelling in 0..3 {
                let s = spelled(form, spelling);
                assert_eq!(resolve(Some(&s)), resolve(Some(form)), "{s:?}");
            }
        }
    }
}
