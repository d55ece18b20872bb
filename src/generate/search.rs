//! An executive search firm's funnel: clients, assignments, longlists and
//! shortlists, with BME candidates under-weighted on shortlists.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::{ETHNICITIES, GenerateSpec, TableWriter, candidate_id, date, draw_label};
use crate::error::Result;

/// In search data, a BME candidate's weight when shortlists are drawn from
/// the longlist (White candidates weigh 1).
pub const SEARCH_BME_SHORTLIST_WEIGHT: f64 = 0.7;
pub(super) const SEARCH_CLIENTS: [&str; 6] = [
    "Client A", "Client B", "Client C", "Client D", "Client E", "Client F",
];
pub(super) const SEARCH_ROLES: [&str; 4] = ["Finance", "Technology", "Operations", "Board"];

/// A search firm's export: applications (one per candidate × assignment,
/// `vacancy_id` = assignment, `organisation` and `client` = the client) and
/// stage events on the search ladder. About `spec.applications` longlisted
/// candidates in all.
pub(super) fn generate_search(spec: &GenerateSpec) -> Result<()> {
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
            "client",
            "role_family",
            "sex",
            "applied_on",
        ],
    )?;
    let mut events = TableWriter::create(
        &path("stage_events"),
        spec.format,
        crate::ingest::TableKind::StageEvents.all_columns(),
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
