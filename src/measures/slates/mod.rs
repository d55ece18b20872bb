//! Executive search slates: per assignment, who was longlisted and who was
//! shortlisted, whether the shortlist met the client's slate rules, and,
//! across assignments, whether minority candidates were lost between
//! longlist and shortlist.
//!
//! Assignments are small (a shortlist of four is normal), so shares and
//! rates are only printed when there are enough people behind them; an
//! assignment still counts in the rule-compliance tables.
//!
//! A client's slate rules, and whether each shortlist met them, are in
//! `rules`.

use std::collections::BTreeMap;

use serde::Serialize;

use super::Count;
use crate::counts::FunnelCounts;
use crate::ingest::benchmark::Benchmark;
use crate::provenance::Provenance;
use crate::stats::Confidence;
use crate::stats::pooling::mantel_haenszel;
use crate::stats::slates::{
    Draw, binomial_lower_tail, binomial_sum_lower_tail, shortlist_shortfall,
};
use crate::taxonomy::Taxonomy;
use crate::taxonomy::grouping::Class;
use crate::taxonomy::sex::sex_category;

mod publish;
mod rules;

pub use publish::publish_slates;

use rules::rule_met;
pub(crate) use rules::rule_summaries;
pub use rules::{RuleOutcome, RuleSummary, SlateRule};

/// Fewest people on a list before shares of it are shown.
pub const MIN_FOR_SHARE: u64 = 10;
/// Fewest longlisted candidates of a group before its shortlisting rate is
/// shown.
pub const MIN_FOR_RATE: u64 = 5;

/// Who was on a list.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Composition {
    /// Everyone.
    pub total: Count,
    /// Per group (the scheme's groups).
    pub groups: BTreeMap<String, Count>,
    /// Groups other than the reference, together.
    pub focal: Count,
    /// Ethnicity declined, not known or unmapped.
    pub unknown: Count,
    /// Women.
    pub women: Count,
    /// focal ÷ total, when the list has at least [`MIN_FOR_SHARE`] people.
    pub focal_share: Option<f64>,
    /// Publication mode: a count here is suppressed.
    #[serde(skip_serializing_if = "super::is_false")]
    pub suppressed: bool,
}

/// One group's longlist → shortlist rate in one assignment.
#[derive(Debug, Clone, Serialize)]
pub struct GroupRate {
    /// Group.
    pub group: String,
    /// Longlisted.
    pub longlisted: Count,
    /// Shortlisted.
    pub shortlisted: Count,
    /// shortlisted ÷ longlisted; null when too few to compare.
    pub rate: Option<f64>,
    /// Publication mode: a count here is suppressed.
    #[serde(skip_serializing_if = "super::is_false")]
    pub suppressed: bool,
}

/// One assignment.
#[derive(Debug, Clone, Serialize)]
pub struct Assignment {
    /// The assignment (vacancy).
    pub assignment: String,
    /// Its client (the `--by` value), if grouped.
    pub client: Option<String>,
    /// The longlist.
    pub longlist: Composition,
    /// The shortlist.
    pub shortlist: Composition,
    /// Each rule's outcome.
    pub rules: Vec<RuleOutcome>,
    /// Longlist → shortlist by group.
    pub rate_by_group: Vec<GroupRate>,
    /// The longlist against the availability benchmark, if given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub availability: Option<Availability>,
    /// Why rates are withheld.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A longlist against the people available for the role.
#[derive(Debug, Clone, Serialize)]
pub struct Availability {
    /// The benchmark row used ("role_family = Finance").
    pub benchmark: String,
    /// Share of available people outside the reference group.
    pub focal_share: f64,
    /// Longlisted candidates of known ethnicity.
    pub longlisted: Count,
    /// Of those, outside the reference group.
    pub observed: Count,
    /// Expected from the benchmark share.
    pub expected: f64,
    /// expected − observed (positive: fewer than the benchmark would give).
    pub shortfall: f64,
    /// Exact binomial P(as few or fewer).
    pub p_binomial: Option<f64>,
}

/// Longlists against availability, across assignments.
#[derive(Debug, Clone, Serialize)]
pub struct AvailabilitySummary {
    /// The benchmark file.
    pub benchmark: String,
    /// Assignments a benchmark row matched.
    pub assignments_matched: u64,
    /// Assignments no row matched (left out).
    pub assignments_unmatched: u64,
    /// Focal candidates longlisted.
    pub observed: Count,
    /// Expected from the benchmark shares.
    pub expected: f64,
    /// expected − observed.
    pub shortfall: f64,
    /// Exact P(as few or fewer) for the sum of the assignments' binomials.
    pub p: Option<f64>,
}

/// Longlist → shortlist pooled across assignments.
#[derive(Debug, Clone, Serialize)]
pub struct PooledSlate {
    /// Reference group.
    pub reference: String,
    /// Focal group.
    pub focal: String,
    /// Mantel-Haenszel RL (reference rate ÷ focal rate), stratified by assignment.
    pub rl_mh: Option<f64>,
    /// Lower limit.
    pub ci_low: Option<f64>,
    /// Upper limit.
    pub ci_high: Option<f64>,
    /// CMH p.
    pub p_cmh: Option<f64>,
    /// Assignments with both groups on the longlist.
    pub assignments_used: usize,
}

/// Focal candidates lost between longlist and shortlist.
#[derive(Debug, Clone, Serialize)]
pub struct Shortfall {
    /// Focal candidates shortlisted.
    pub observed: Count,
    /// Expected if each shortlist were drawn at random from its longlist
    /// (known ethnicity only).
    pub expected: f64,
    /// expected − observed (positive: candidates lost).
    pub lost: f64,
    /// P(as few or fewer by chance), exact.
    pub p: Option<f64>,
}

/// Across a set of assignments.
#[derive(Debug, Clone, Serialize)]
pub struct SlateSummary {
    /// The `--by` value, or null for all.
    pub client: Option<String>,
    /// Assignments.
    pub assignments: u64,
    /// Rule compliance.
    pub rules: Vec<RuleSummary>,
    /// Pooled longlist → shortlist comparisons.
    pub pooled: Vec<PooledSlate>,
    /// Focal candidates lost.
    pub shortfall: Shortfall,
    /// Longlists against availability, when a benchmark was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub availability: Option<AvailabilitySummary>,
}

/// The slates report.
#[derive(Debug, Clone, Serialize)]
pub struct SlateReport {
    /// Stage read as the longlist.
    pub longlist_stage: String,
    /// Stage read as the shortlist.
    pub shortlist_stage: String,
    /// Per assignment.
    pub slates: Vec<Assignment>,
    /// All assignments.
    pub summary: SlateSummary,
    /// Per client.
    pub by_client: Vec<SlateSummary>,
    /// What publication mode suppressed (`--publish`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub publication: Option<crate::stats::suppression::Publication>,
    /// What produced the report (set by the caller, which knows the inputs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provenance: Option<Provenance<SlateSettings>>,
}

impl SlateReport {
    /// The report one client may be sent: that client's assignments and
    /// summary alone; `None` when no summary has that client.
    pub fn for_client(&self, client: &str) -> Option<SlateReport> {
        let summary = self
            .by_client
            .iter()
            .find(|s| s.client.as_deref() == Some(client))?
            .clone();
        Some(SlateReport {
            longlist_stage: self.longlist_stage.clone(),
            shortlist_stage: self.shortlist_stage.clone(),
            slates: self
                .slates
                .iter()
                .filter(|a| a.client.as_deref() == Some(client))
                .cloned()
                .collect(),
            summary,
            by_client: Vec::new(),
            publication: self.publication.clone(),
            provenance: self.provenance.clone(),
        })
    }
}

/// The settings of a slates report, for its provenance.
#[derive(Debug, Clone, Serialize)]
pub struct SlateSettings {
    /// The grouping scheme.
    pub grouping: String,
    /// The reference group.
    pub reference_group: String,
    /// The column summaries are grouped by (e.g. client).
    pub by: Option<String>,
    /// The slate rules checked, in words.
    pub rules: Vec<String>,
    /// The availability benchmark file, if any.
    pub availability: Option<String>,
    /// Confidence level of intervals.
    pub confidence: Confidence,
    /// The mapping profile.
    pub profile: Option<String>,
}

/// Where the slate keys sit in the funnel counts' `by`.
pub struct SlateKeys {
    /// Index of the assignment column.
    pub assignment: usize,
    /// Index of the client column, if grouped.
    pub client: Option<usize>,
    /// Index of the sex column, if present.
    pub sex: Option<usize>,
    /// Indices of the benchmark's key columns, in its key order.
    pub benchmark: Vec<usize>,
}

/// Computes the slates report from funnel counts keyed by assignment.
pub fn slates(
    counts: &FunnelCounts,
    keys: &SlateKeys,
    taxonomy: &Taxonomy,
    rules: &[SlateRule],
    benchmark: Option<&Benchmark>,
    confidence: Confidence,
) -> SlateReport {
    let scheme = &taxonomy.scheme;
    let ladder = &counts.ladder;
    let short = ladder
        .rank("shortlist")
        .or(ladder.rank("shortlisted"))
        .unwrap_or(1);
    // assignment → (client, benchmark key values, [(class, woman?, reached, n)])
    type Rows = Vec<(Class, bool, u8, u64)>;
    type Keys = (Option<String>, Vec<Option<String>>);
    let mut per: BTreeMap<String, (Keys, Rows)> = BTreeMap::new();
    for c in &counts.cells {
        let id = c.keys[keys.assignment].clone().unwrap_or_default();
        let client = keys.client.and_then(|i| c.keys[i].clone());
        let values: Vec<Option<String>> =
            keys.benchmark.iter().map(|&i| c.keys[i].clone()).collect();
        let woman = keys
            .sex
            .is_some_and(|i| sex_category(c.keys[i].as_deref()) == Some("Female"));
        let entry = per
            .entry(id)
            .or_insert_with(|| ((client, values), Vec::new()));
        entry.1.push((
            taxonomy.classify(c.label.as_deref()),
            woman,
            c.reached,
            c.applications,
        ));
    }
    let compose = |rows: &[(Class, bool, u8, u64)], at_least: u8| {
        let mut comp = Composition::default();
        for g in &scheme.groups {
            comp.groups.insert(g.clone(), Count::default());
        }
        for &(class, woman, reached, n) in rows {
            if reached < at_least {
                continue;
            }
            comp.total.value += n;
            if woman {
                comp.women.value += n;
            }
            match class {
                Class::Group(g) => {
                    comp.groups
                        .entry(scheme.groups[g].clone())
                        .or_default()
                        .value += n;
                    if g != scheme.reference {
                        comp.focal.value += n;
                    }
                }
                _ => comp.unknown.value += n,
            }
        }
        if comp.total.value >= MIN_FOR_SHARE {
            comp.focal_share = Some(comp.focal.value as f64 / comp.total.value as f64);
        }
        comp
    };
    let mut assignments = Vec::new();
    for (id, ((client, values), rows)) in &per {
        let longlist = compose(rows, 0);
        let shortlist = compose(rows, short);
        let available = benchmark.and_then(|b| availability(b, values, &longlist, taxonomy));
        let outcomes = rules
            .iter()
            .map(|r| RuleOutcome {
                rule: r.name.clone(),
                met: rule_met(r, &longlist, &shortlist),
                withheld: false,
            })
            .collect();
        let mut too_few = false;
        let rate_by_group = scheme
            .groups
            .iter()
            .map(|g| {
                let (l, s) = (longlist.groups[g].value, shortlist.groups[g].value);
                let rate = (l >= MIN_FOR_RATE).then(|| s as f64 / l as f64);
                too_few |= rate.is_none() && l > 0;
                GroupRate {
                    group: g.clone(),
                    longlisted: l.into(),
                    shortlisted: s.into(),
                    rate,
                    suppressed: false,
                }
            })
            .collect();
        assignments.push(Assignment {
            assignment: id.clone(),
            client: client.clone(),
            longlist,
            shortlist,
            rules: outcomes,
            rate_by_group,
            availability: available,
            note: too_few.then(|| {
                format!("too few to compare: rates are shown for groups with at least {MIN_FOR_RATE} longlisted")
            }),
        });
    }
    let summary = summarise(
        None,
        &assignments.iter().collect::<Vec<_>>(),
        taxonomy,
        rules,
        benchmark,
        confidence,
    );
    let mut clients: BTreeMap<&str, Vec<&Assignment>> = BTreeMap::new();
    for a in &assignments {
        if let Some(c) = &a.client {
            clients.entry(c.as_str()).or_default().push(a);
        }
    }
    let by_client = clients
        .into_iter()
        .map(|(c, list)| {
            summarise(
                Some(c.to_string()),
                &list,
                taxonomy,
                rules,
                benchmark,
                confidence,
            )
        })
        .collect();
    SlateReport {
        longlist_stage: ladder.stages()[0].clone(),
        shortlist_stage: ladder.stages()[short as usize].clone(),
        slates: assignments,
        summary,
        by_client,
        publication: None,
        provenance: None,
    }
}

/// One longlist against the benchmark row that fits its assignment.
fn availability(
    benchmark: &Benchmark,
    values: &[Option<String>],
    longlist: &Composition,
    taxonomy: &Taxonomy,
) -> Option<Availability> {
    let (description, shares) = benchmark.shares_for(values)?;
    let reference = &taxonomy.scheme.groups[taxonomy.scheme.reference];
    // Focal share: the listed shares of every group but the reference; when
    // only the reference is listed, one minus its share.
    let focal_share = if shares.iter().any(|(g, _)| g != reference) {
        shares
            .iter()
            .filter(|(g, _)| g != reference)
            .map(|(_, s)| s)
            .sum::<f64>()
    } else {
        1.0 - shares.iter().map(|(_, s)| s).sum::<f64>()
    }
    .clamp(0.0, 1.0);
    let n = longlist.total.value - longlist.unknown.value;
    let expected = n as f64 * focal_share;
    Some(Availability {
        benchmark: description,
        focal_share,
        longlisted: n.into(),
        observed: longlist.focal,
        expected,
        shortfall: expected - longlist.focal.value as f64,
        p_binomial: binomial_lower_tail(n, focal_share, longlist.focal.value),
    })
}

fn summarise(
    client: Option<String>,
    assignments: &[&Assignment],
    taxonomy: &Taxonomy,
    rules: &[SlateRule],
    benchmark: Option<&Benchmark>,
    confidence: Confidence,
) -> SlateSummary {
    let scheme = &taxonomy.scheme;
    let reference = &scheme.groups[scheme.reference];
    let names: Vec<String> = rules.iter().map(|r| r.name.clone()).collect();
    let rule_summaries = rule_summaries(assignments, &names, confidence);
    let pooled = scheme
        .groups
        .iter()
        .filter(|g| *g != reference)
        .map(|focal| {
            let strata: Vec<(u64, u64, u64, u64)> = assignments
                .iter()
                .map(|a| {
                    (
                        a.shortlist.groups[reference].value,
                        a.longlist.groups[reference].value,
                        a.shortlist.groups[focal].value,
                        a.longlist.groups[focal].value,
                    )
                })
                .collect();
            let p = mantel_haenszel(&strata, confidence.level());
            PooledSlate {
                reference: reference.clone(),
                focal: focal.clone(),
                rl_mh: p.map(|p| p.rr),
                ci_low: p.map(|p| p.low),
                ci_high: p.map(|p| p.high),
                p_cmh: p.map(|p| p.p_cmh),
                assignments_used: strata.iter().filter(|s| s.1 > 0 && s.3 > 0).count(),
            }
        })
        .collect();
    let draws: Vec<Draw> = assignments
        .iter()
        .map(|a| Draw {
            longlisted: a.longlist.total.value - a.longlist.unknown.value,
            focal: a.longlist.focal.value,
            shortlisted: a.shortlist.total.value - a.shortlist.unknown.value,
        })
        .collect();
    let observed: u64 = assignments.iter().map(|a| a.shortlist.focal.value).sum();
    let (expected, p) = match shortlist_shortfall(&draws, observed) {
        Some((e, p)) => (e, Some(p)),
        None => (0.0, None),
    };
    SlateSummary {
        client,
        assignments: assignments.len() as u64,
        rules: rule_summaries,
        pooled,
        shortfall: Shortfall {
            observed: observed.into(),
            expected,
            lost: expected - observed as f64,
            p,
        },
        availability: benchmark.map(|b| {
            let matched: Vec<&Availability> = assignments
                .iter()
                .filter_map(|a| a.availability.as_ref())
                .collect();
            let observed: u64 = matched.iter().map(|a| a.observed.value).sum();
            let draws: Vec<(u64, f64)> = matched
                .iter()
                .map(|a| (a.longlisted.value, a.focal_share))
                .collect();
            let tail = binomial_sum_lower_tail(&draws, observed);
            let expected = tail.map_or(0.0, |t| t.0);
            AvailabilitySummary {
                benchmark: b.file.clone(),
                assignments_matched: matched.len() as u64,
                assignments_unmatched: (assignments.len() - matched.len()) as u64,
                observed: observed.into(),
                expected,
                shortfall: expected - observed as f64,
                p: tail.map(|t| t.1),
            }
        }),
    }
}
