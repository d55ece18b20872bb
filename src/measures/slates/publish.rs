//! Publication mode for the executive search slates report.

use std::collections::BTreeMap;

use crate::stats::Confidence;
use crate::stats::suppression::{self, Publication, pooled_can_be_shown};

/// The slates report's published cells, named by text.
type Cells = suppression::Cells<String>;

/// Publication mode for the slates report. Shortlists are small, so most
/// per-assignment counts are suppressed; what survives is each assignment's
/// rule outcomes (met / not met) and the counts and figures across
/// assignments. Relations: a list's total is its groups plus its unknowns,
/// its focal count the sum of the groups outside the reference group, its
/// known count the total less the unknowns; the shortfall's observed count
/// is the sum of the shortlists' focal counts, the availability summary's
/// the sum of the longlists'.
pub fn publish_slates(
    r: &mut crate::measures::slates::SlateReport,
    threshold: u64,
    confidence: Confidence,
) -> Publication {
    use crate::measures::slates::Composition;
    let mut cells = Cells::default();
    let list_key = |a: &str, list: &str, what: &str| format!("{a}|{list}|{what}");
    let reference: Option<String> = r.summary.pooled.first().map(|p| p.reference.clone());
    let add_list = |cells: &mut Cells, a: &str, list: &str, c: &Composition| {
        let total = cells.cell(list_key(a, list, "total"), c.total.value);
        let unknown = cells.cell(list_key(a, list, "unknown"), c.unknown.value);
        let focal = cells.cell(list_key(a, list, "focal"), c.focal.value);
        let known = cells.cell(list_key(a, list, "known"), c.total.value - c.unknown.value);
        cells.cell(list_key(a, list, "women"), c.women.value);
        let mut parts = Vec::new();
        let mut outside = Vec::new();
        for (g, n) in &c.groups {
            let i = cells.cell(list_key(a, list, &format!("group:{g}")), n.value);
            parts.push(i);
            if Some(g) != reference.as_ref() {
                outside.push(i);
            }
        }
        cells.relate(known, parts.clone());
        parts.push(unknown);
        cells.relate(total, parts);
        cells.relate(total, vec![known, unknown]);
        cells.relate(focal, outside);
    };
    for a in &r.slates {
        add_list(&mut cells, &a.assignment, "longlist", &a.longlist);
        add_list(&mut cells, &a.assignment, "shortlist", &a.shortlist);
    }
    // Sums across assignments, for all of them and for each client.
    let summaries: Vec<&crate::measures::slates::SlateSummary> =
        std::iter::once(&r.summary).chain(&r.by_client).collect();
    for s in &summaries {
        let scope = s.client.clone().unwrap_or_default();
        let members: Vec<&str> = r
            .slates
            .iter()
            .filter(|a| s.client.is_none() || a.client == s.client)
            .map(|a| a.assignment.as_str())
            .collect();
        let observed = cells.cell(
            format!("summary|{scope}|shortfall"),
            s.shortfall.observed.value,
        );
        let parts = members
            .iter()
            .filter_map(|a| cells.get(&list_key(a, "shortlist", "focal")))
            .collect();
        cells.relate(observed, parts);
        if let Some(av) = &s.availability {
            let observed = cells.cell(format!("summary|{scope}|availability"), av.observed.value);
            let parts = r
                .slates
                .iter()
                .filter(|a| members.contains(&a.assignment.as_str()) && a.availability.is_some())
                .filter_map(|a| cells.get(&list_key(&a.assignment, "longlist", "focal")))
                .collect();
            cells.relate(observed, parts);
        }
    }
    // A list's known count is printed only beside an availability benchmark;
    // elsewhere it is a total no table shows.
    let mut unpublished = vec![false; cells.values.len()];
    for a in r.slates.iter().filter(|a| a.availability.is_none()) {
        for list in ["longlist", "shortlist"] {
            if let Some(i) = cells.get(&list_key(&a.assignment, list, "known")) {
                unpublished[i] = true;
            }
        }
    }
    for a in r.slates.iter().filter(|a| a.availability.is_some()) {
        if let Some(i) = cells.get(&list_key(&a.assignment, "shortlist", "known")) {
            unpublished[i] = true;
        }
    }
    let hidden = suppression::suppress_beside_unpublished(
        &cells.values,
        &cells.equations,
        threshold,
        &unpublished,
    );
    let is_hidden = |key: &String| cells.get(key).is_some_and(|i| hidden[i]);
    let published_small =
        |i: usize| !unpublished[i] && cells.values[i] > 0 && cells.values[i] < threshold;
    let primary = (0..cells.values.len())
        .filter(|&i| published_small(i))
        .count();
    let suppressed = (0..cells.values.len())
        .filter(|&i| hidden[i] && !unpublished[i])
        .count();

    let mark = |a: &str, list: &str, c: &mut Composition| {
        c.total.suppressed = is_hidden(&list_key(a, list, "total"));
        c.unknown.suppressed = is_hidden(&list_key(a, list, "unknown"));
        c.focal.suppressed = is_hidden(&list_key(a, list, "focal"));
        c.women.suppressed = is_hidden(&list_key(a, list, "women"));
        for (g, n) in c.groups.iter_mut() {
            n.suppressed = is_hidden(&list_key(a, list, &format!("group:{g}")));
        }
        if c.total.suppressed || c.focal.suppressed {
            c.focal_share = None;
        }
        c.suppressed = c.total.suppressed
            || c.unknown.suppressed
            || c.focal.suppressed
            || c.women.suppressed
            || c.groups.values().any(|n| n.suppressed);
        is_hidden(&list_key(a, list, "known"))
    };
    // Hidden longlisted/shortlisted counts per assignment, for the pooled
    // estimates over each summary's assignments.
    let mut hidden_strata: BTreeMap<String, usize> = BTreeMap::new();
    for a in &mut r.slates {
        let id = a.assignment.clone();
        let long_known_hidden = mark(&id, "longlist", &mut a.longlist);
        mark(&id, "shortlist", &mut a.shortlist);
        for g in &mut a.rate_by_group {
            g.longlisted.suppressed = a
                .longlist
                .groups
                .get(&g.group)
                .is_some_and(|n| n.suppressed);
            g.shortlisted.suppressed = a
                .shortlist
                .groups
                .get(&g.group)
                .is_some_and(|n| n.suppressed);
            if g.longlisted.suppressed || g.shortlisted.suppressed {
                g.rate = None;
                g.suppressed = true;
            }
            *hidden_strata.entry(a.assignment.clone()).or_default() +=
                usize::from(g.longlisted.suppressed) + usize::from(g.shortlisted.suppressed);
        }
        if let Some(av) = &mut a.availability {
            av.longlisted.suppressed = long_known_hidden;
            av.observed.suppressed = a.longlist.focal.suppressed;
            if av.longlisted.suppressed || av.observed.suppressed {
                av.expected = f64::NAN;
                av.shortfall = f64::NAN;
                av.p_binomial = None;
            }
        }
    }
    // A rule outcome reads the lists' totals, focal and women counts: when
    // one of them is hidden, the outcome is withheld (met / not met for a
    // few thresholds would spell the count out), and the rule summaries
    // count only the outcomes shown.
    for a in &mut r.slates {
        let hides =
            |c: &Composition| c.total.suppressed || c.focal.suppressed || c.women.suppressed;
        if hides(&a.longlist) || hides(&a.shortlist) {
            for o in &mut a.rules {
                o.met = None;
                o.withheld = true;
            }
        }
    }
    let rule_names: Vec<String> = r.summary.rules.iter().map(|x| x.rule.clone()).collect();
    r.summary.rules = crate::measures::slates::rule_summaries(
        &r.slates.iter().collect::<Vec<_>>(),
        &rule_names,
        confidence,
    );
    for s in &mut r.by_client {
        let members: Vec<&crate::measures::slates::Assignment> =
            r.slates.iter().filter(|a| a.client == s.client).collect();
        s.rules = crate::measures::slates::rule_summaries(&members, &rule_names, confidence);
    }
    let client_of: BTreeMap<String, Option<String>> = r
        .slates
        .iter()
        .map(|a| (a.assignment.clone(), a.client.clone()))
        .collect();
    let mut summaries: Vec<&mut crate::measures::slates::SlateSummary> =
        std::iter::once(&mut r.summary)
            .chain(r.by_client.iter_mut())
            .collect();
    for s in summaries.iter_mut() {
        let scope = s.client.clone().unwrap_or_default();
        s.shortfall.observed.suppressed = is_hidden(&format!("summary|{scope}|shortfall"));
        if s.shortfall.observed.suppressed {
            s.shortfall.lost = f64::NAN;
            s.shortfall.p = None;
        }
        if let Some(av) = &mut s.availability {
            av.observed.suppressed = is_hidden(&format!("summary|{scope}|availability"));
            if av.observed.suppressed {
                av.shortfall = f64::NAN;
                av.p = None;
            }
        }
        let hidden: usize = hidden_strata
            .iter()
            .filter(|(a, _)| s.client.is_none() || client_of[*a] == s.client)
            .map(|(_, n)| n)
            .sum();
        if !pooled_can_be_shown(hidden) {
            for p in &mut s.pooled {
                p.rl_mh = None;
                p.ci_low = None;
                p.ci_high = None;
                p.p_cmh = None;
            }
        }
    }
    Publication {
        threshold,
        cells: cells.values.len(),
        primary,
        secondary: suppressed - primary,
        equations: cells.equations.len(),
        withheld: Vec::new(),
    }
}
