//! WRES-ready numbers: indicator 2 ("relative likelihood of White applicants
//! being appointed from shortlisting compared to BME applicants") in the
//! shape of the NHS WRES data collection — shortlisted and appointed,
//! White / BME / not stated — with the ratio in both standards' directions:
//! NHS WRES states White ÷ BME (above 1: White applicants more likely), the
//! Social Care WRES (Skills for Care) states BME ÷ White (below 1: BME
//! applicants less likely). A trust or council can paste these rows into
//! its return.

use std::collections::BTreeMap;

use serde::Serialize;

use super::Count;
use super::funnel::TransitionResult;

/// The step the WRES indicator 2 counts come from.
pub const INDICATOR_2: &str = "NHS WRES indicator 2";

/// One row of the return: the whole organisation or one breakdown row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WresIndicator2 {
    /// `{}` for the whole dataset; column → value for a breakdown row.
    pub breakdown: BTreeMap<String, String>,
    /// White applicants shortlisted.
    pub shortlisted_white: Count,
    /// BME applicants shortlisted.
    pub shortlisted_bme: Count,
    /// Shortlisted applicants whose ethnicity is not stated (declined, not
    /// known or an unmapped label).
    pub shortlisted_not_stated: Count,
    /// White applicants appointed from shortlisting.
    pub appointed_white: Count,
    /// BME applicants appointed from shortlisting.
    pub appointed_bme: Count,
    /// Appointed applicants whose ethnicity is not stated.
    pub appointed_not_stated: Count,
    /// White rate ÷ BME rate (NHS WRES direction); null when undefined or
    /// withheld.
    pub rl_nhs_wres: Option<f64>,
    /// BME rate ÷ White rate (Social Care WRES direction).
    pub rl_sc_wres: Option<f64>,
}

/// The indicator 2 rows, when the grouping is White / BME (the `wres`
/// scheme); empty otherwise.
pub fn indicator_2(transitions: &[TransitionResult]) -> Vec<WresIndicator2> {
    transitions
        .iter()
        .filter(|t| t.label.as_deref() == Some(INDICATOR_2))
        .filter_map(|t| {
            let get = |name: &str| t.groups.iter().find(|g| g.group == name);
            let (white, bme) = (get("White")?, get("BME")?);
            if t.groups.len() != 2 {
                return None;
            }
            let not_stated = |pick: fn(&super::funnel::GroupRate) -> Count| -> Count {
                t.unknown.iter().map(pick).sum()
            };
            let rate = |a: Count, n: Count| (n.value > 0).then(|| a.value as f64 / n.value as f64);
            let (rw, rb) = (
                rate(white.progressed, white.entered),
                rate(bme.progressed, bme.entered),
            );
            let ratio = |num: Option<f64>, den: Option<f64>| match (num, den) {
                (Some(a), Some(b)) if b > 0.0 => Some(a / b),
                _ => None,
            };
            Some(WresIndicator2 {
                breakdown: t.breakdown.clone(),
                shortlisted_white: white.entered,
                shortlisted_bme: bme.entered,
                shortlisted_not_stated: not_stated(|g| g.entered),
                appointed_white: white.progressed,
                appointed_bme: bme.progressed,
                appointed_not_stated: not_stated(|g| g.progressed),
                rl_nhs_wres: ratio(rw, rb),
                rl_sc_wres: ratio(rb, rw),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measures::funnel::group_rate as rate;

    #[test]
    fn both_directions_from_the_counts() {
        // 200 White shortlisted, 50 appointed (25%); 100 BME, 10 appointed
        // (10%): NHS WRES 2.5, SC-WRES 0.4.
        let t = TransitionResult {
            from: "shortlisted".into(),
            to: "appointed".into(),
            label: Some(INDICATOR_2.into()),
            breakdown: BTreeMap::new(),
            groups: vec![rate("White", 200, 50), rate("BME", 100, 10)],
            unknown: vec![
                rate("Declined", 7, 1),
                rate("Not known", 3, 0),
                rate("Unmapped", 0, 0),
            ],
            comparisons: Vec::new(),
        };
        let rows = indicator_2(&[t]);
        assert_eq!(rows.len(), 1);
        let r = &rows[0];
        assert_eq!(r.shortlisted_not_stated.value, 10);
        assert_eq!(r.appointed_not_stated.value, 1);
        assert!((r.rl_nhs_wres.unwrap() - 2.5).abs() < 1e-12);
        assert!((r.rl_sc_wres.unwrap() - 0.4).abs() < 1e-12);
    }

    #[test]
    fn no_rows_for_other_groupings() {
        let t = TransitionResult {
            from: "shortlisted".into(),
            to: "appointed".into(),
            label: Some(INDICATOR_2.into()),
            breakdown: BTreeMap::new(),
            groups: vec![
                rate("White", 200, 50),
                rate("Asian", 100, 10),
                rate("Black", 50, 5),
            ],
            unknown: Vec::new(),
            comparisons: Vec::new(),
        };
        assert!(indicator_2(&[t]).is_empty());
    }
}
