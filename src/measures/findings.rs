//! Plain-language findings: the few sentences an HR lead would read aloud,
//! each tied to the figures behind it. Wording is cautious where numbers
//! are small or a difference could be chance.

use serde::Serialize;

use super::funnel::{Comparison, Direction, TransitionResult};
use super::panels::PanelReport;
use super::pooling::{PooledComparison, Sensitivity};
use super::quality::DataQuality;
use super::scoring::{Level, ScoringReport};
use crate::stats::Confidence;

/// One finding.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// The sentence.
    pub text: String,
    /// Where its numbers are in the output, e.g. "transitions[shortlisted→appointed]".
    pub source: String,
    /// How much it matters; findings are listed most important first.
    pub priority: Priority,
}

/// How much a finding matters, most first: the order reports list them in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    /// The figures themselves may be wrong (applicant ids taken for
    /// application ids, many labels rung could not place): read first.
    FiguresAtRisk,
    /// Outside the 0.80–1.25 range and more than chance: investigate.
    Investigate,
    /// Outside the range, but it could be chance with these numbers.
    Watch,
    /// More than chance, within the range; or a score gap or assessor
    /// check that is more than chance.
    MoreThanChance,
    /// What the data leave unknown (disclosure, sensitivity).
    DataQuality,
    /// Within the range and could be chance; panels and policy figures.
    Context,
}

/// Everything the findings draw on.
pub struct FindingInputs<'a> {
    /// The funnel's steps.
    pub transitions: &'a [TransitionResult],
    /// Pooled comparisons.
    pub pooled: &'a [PooledComparison],
    /// Sensitivity bounds.
    pub sensitivity: &'a [Sensitivity],
    /// Data quality.
    pub quality: &'a DataQuality,
    /// Panels, if any.
    pub panels: Option<&'a PanelReport>,
    /// Scoring, if any.
    pub scoring: Option<&'a ScoringReport>,
    /// Ratio direction.
    pub direction: Direction,
    /// The confidence level p values are held against.
    pub confidence: Confidence,
    /// The export's application id and vacancy columns (for the hint when
    /// ids look like applicant ids).
    pub key_columns: (&'a str, &'a str),
}

/// "White applicants were 1.28 times as likely as BME applicants to be
/// appointed after shortlisting", in the report's direction.
fn likelihood_clause(t: &TransitionResult, c: &Comparison, direction: Direction) -> Option<String> {
    let rl = c.relative_likelihood?;
    let step = match t.to.as_str() {
        "shortlisted" => "to be shortlisted".to_string(),
        "interviewed" => "to be interviewed".to_string(),
        "offered" => "to be offered a job".to_string(),
        "appointed" => "to be appointed".to_string(),
        other => format!("to reach {}", stage_noun(other)),
    };
    let from = if t.from == "applied" {
        String::new()
    } else {
        format!(" after {}", stage_noun(&t.from))
    };
    let (subject, other) = match direction {
        Direction::NhsWres => (&c.reference, &c.focal),
        Direction::ScWres => (&c.focal, &c.reference),
    };
    Some(format!(
        "{subject} applicants were {rl:.2} times as likely as {other} applicants {step}{from}"
    ))
}

/// How much a comparison matters: significant and outside the 0.80–1.25
/// range first, then outside it but possibly chance, then significant
/// within it; the rest is context.
fn comparison_priority(c: &Comparison) -> Priority {
    match (c.significant, c.outside_range) {
        (Some(true), Some(true)) => Priority::Investigate,
        (Some(true), _) => Priority::MoreThanChance,
        (Some(false), Some(true)) => Priority::Watch,
        _ => Priority::Context,
    }
}

fn likelihood_sentence(
    t: &TransitionResult,
    c: &Comparison,
    direction: Direction,
) -> Option<(String, Priority)> {
    let clause = likelihood_clause(t, c, direction)?;
    let ci = match (c.ci_low, c.ci_high) {
        (Some(l), Some(h)) => format!(" ({}% CI {l:.2}–{h:.2})", c.confidence.percent()),
        _ => String::new(),
    };
    let priority = comparison_priority(c);
    let verdict = match priority {
        Priority::Investigate => {
            "This is outside the 0.80–1.25 range and more than chance: it needs investigating."
        }
        Priority::MoreThanChance => "It is more than chance, though within the 0.80–1.25 range.",
        Priority::Watch => {
            "The gap is large but could be chance with these numbers: watch it, or pool more data."
        }
        _ => "This could be chance.",
    };
    let caution = if c.note.is_some() {
        " Numbers are small: treat it with caution."
    } else {
        ""
    };
    Some((format!("{clause}{ci}. {verdict}{caution}"), priority))
}

/// The first finding when application ids recur with a different
/// vacancy_id: the export carries an applicant id, and the repeats were
/// dropped as duplicates.
fn applicant_id_finding(inputs: &FindingInputs) -> Option<Finding> {
    let n = inputs.quality.ids_across_vacancies.filter(|n| *n > 0)?;
    let (id, vacancy) = inputs.key_columns;
    Some(Finding {
        text: format!(
            "Warning: {n} application ids recur with a different vacancy_id, and repeated ids were dropped as duplicates: '{id}' looks like an applicant id, not an application id. Set application_id = [\"{id}\", \"{vacancy}\"] under [columns.applications] in a profile, or pass --application-key \"{id},{vacancy}\".",
        ),
        source: "data_quality.ids_across_vacancies".into(),
        priority: Priority::FiguresAtRisk,
    })
}

/// Share of applications whose label could not be placed above which the
/// report leads with it: the figures may then be wrong, not only less
/// precise.
pub const UNMAPPED_LOUD_SHARE: f64 = 0.01;

/// The first finding when unmapped labels hold more than 1% of the
/// applications, or of any breakdown row: every rate then leaves out
/// people it should hold. Counts withheld for publication are not used.
fn unmapped_finding(inputs: &FindingInputs) -> Option<Finding> {
    let share = |t: &TransitionResult| -> Option<(f64, u64)> {
        let unmapped = t.unknown.iter().find(|g| g.group == "Unmapped")?.entered;
        let all: Vec<_> = t
            .groups
            .iter()
            .chain(&t.unknown)
            .map(|g| g.entered)
            .collect();
        if unmapped.suppressed || all.iter().any(|c| c.suppressed) {
            return None;
        }
        let total: u64 = all.iter().map(|c| c.value).sum();
        (total > 0).then(|| (unmapped.value as f64 / total as f64, unmapped.value))
    };
    let first = inputs.transitions.first().map(|t| t.from.clone())?;
    let entry_steps = || {
        inputs
            .transitions
            .iter()
            .filter(|t| t.from == first && t.label.is_none())
    };
    let whole = entry_steps()
        .find(|t| t.breakdown.is_empty())
        .and_then(share)
        .filter(|(s, _)| *s > UNMAPPED_LOUD_SHARE);
    let mut rows: Vec<(String, f64)> = entry_steps()
        .filter(|t| !t.breakdown.is_empty())
        .filter_map(|t| {
            let (s, _) = share(t).filter(|(s, _)| *s > UNMAPPED_LOUD_SHARE)?;
            let name = t
                .breakdown
                .iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect::<Vec<_>>()
                .join(", ");
            Some((name, s))
        })
        .collect();
    rows.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    rows.dedup_by(|a, b| a.0 == b.0);
    if whole.is_none() && rows.is_empty() {
        return None;
    }
    let labels: Vec<String> = inputs
        .quality
        .unmapped_labels
        .iter()
        .take(3)
        .map(|l| format!("\"{}\" ({})", l.label, l.count))
        .collect();
    let mut text = match whole {
        Some((s, n)) => format!(
            "Warning: {:.1}% of applications ({n}) carry an ethnicity label rung could not place, so they are left out of every rate and the figures below may be wrong.",
            s * 100.0
        ),
        None => "Warning: in some breakdown rows more than 1% of applications carry an ethnicity label rung could not place, so those rows' figures may be wrong.".to_string(),
    };
    if !rows.is_empty() {
        let shown: Vec<String> = rows
            .iter()
            .take(5)
            .map(|(name, s)| format!("{name} ({:.1}%)", s * 100.0))
            .collect();
        text.push_str(&format!(
            " Rows most affected: {}{}.",
            shown.join("; "),
            if rows.len() > 5 { "; …" } else { "" }
        ));
    }
    if !labels.is_empty() {
        text.push_str(&format!(" Largest labels: {}.", labels.join(", ")));
    }
    text.push_str(" Place them in a profile's [ethnicity_labels] (`rung labels --unmapped-toml` writes the block).");
    Some(Finding {
        text,
        source: "data_quality.unmapped_labels".into(),
        priority: Priority::FiguresAtRisk,
    })
}

/// A stage as a noun for sentences ("at interview").
fn stage_noun(stage: &str) -> String {
    match stage {
        "applied" => "application".into(),
        "shortlisted" => "shortlisting".into(),
        "interviewed" => "interview".into(),
        "offered" => "offer".into(),
        "appointed" => "appointment".into(),
        other => format!("the {} stage", other.replace('_', " ")),
    }
}

/// The findings of an audit.
pub fn findings(inputs: &FindingInputs) -> Vec<Finding> {
    let mut out: Vec<Finding> = applicant_id_finding(inputs)
        .into_iter()
        .chain(unmapped_finding(inputs))
        .collect();
    // The named steps: NHS WRES indicator 2, then first stage → last.
    for label in ["NHS WRES indicator 2", "overall"] {
        if let Some(t) = inputs
            .transitions
            .iter()
            .find(|t| t.breakdown.is_empty() && t.label.as_deref() == Some(label))
        {
            for c in &t.comparisons {
                if let Some((text, priority)) = likelihood_sentence(t, c, inputs.direction) {
                    out.push(Finding {
                        text,
                        source: format!("transitions[{}→{}, {}]", t.from, t.to, c.focal),
                        priority,
                    });
                }
            }
        }
    }
    // The consecutive step with the smallest adjusted p, when significant.
    let worst = inputs
        .transitions
        .iter()
        .filter(|t| t.breakdown.is_empty() && t.label.is_none())
        .flat_map(|t| t.comparisons.iter().map(move |c| (t, c)))
        .filter(|(_, c)| c.significant == Some(true))
        .min_by(|a, b| {
            a.1.p_adjusted
                .unwrap_or(1.0)
                .total_cmp(&b.1.p_adjusted.unwrap_or(1.0))
        });
    match worst {
        Some((t, c)) => {
            if let Some((text, priority)) = likelihood_sentence(t, c, inputs.direction) {
                out.push(Finding {
                    text: format!("The clearest gap between stages is at {} → {}: {text}", t.from, t.to),
                    source: format!("transitions[{}→{}, {}]", t.from, t.to, c.focal),
                    priority,
                });
            }
        }
        None => out.push(Finding {
            text: "No step of the funnel shows a difference that is more than chance once the number of comparisons is allowed for.".into(),
            source: "transitions".into(),
            priority: Priority::Context,
        }),
    }
    let q = inputs.quality;
    if let Some(rate) = q.disclosure_rate {
        let unknown = 1.0 - rate;
        let bounds = inputs
            .sensitivity
            .iter()
            .find(|s| s.breakdown.is_empty() && s.from == "shortlisted" && s.to == "appointed")
            .and_then(|s| Some((s.rl_lowest?, s.rl_highest?)));
        let mut text = format!(
            "Ethnicity is not known for {:.1}% of applications ({} declined, {} not known, {} unmapped).",
            unknown * 100.0,
            q.ethnicity_declined,
            q.ethnicity_not_known,
            q.ethnicity_unmapped
        );
        if let Some((lo, hi)) = bounds {
            text.push_str(&format!(
                " Depending on who they are, the shortlisted → appointed ratio could lie anywhere from {lo:.2} to {hi:.2}."
            ));
        }
        out.push(Finding {
            text,
            source: "data_quality, sensitivity".into(),
            priority: Priority::DataQuality,
        });
    }
    for p in inputs.pooled.iter().filter(|p| p.note.is_some()) {
        if let Some(note) = &p.note {
            out.push(Finding {
                text: format!("{} → {} by {}: {note}", p.from, p.to, p.by),
                source: format!("pooled[{}→{}, {}]", p.from, p.to, p.by),
                priority: Priority::Context,
            });
        }
    }
    if let Some(panels) = inputs.panels {
        if let Some(share) = panels.summary.share_diverse {
            out.push(Finding {
                text: format!(
                    "{:.0}% of vacancies with a recorded panel had at least one panel member from outside the reference group; {} vacancies shortlisted candidates with no panel recorded.",
                    share * 100.0,
                    panels.summary.vacancies_shortlisted_without_panel
                ),
                source: "panels".into(),
                priority: Priority::Context,
            });
        }
        if let Some(policy) = &panels.policy {
            out.push(Finding {
                text: format!(
                    "{} of {} vacancies covered by the panel policy complied; {} did not and {} had no panel recorded.",
                    policy.total.compliant,
                    policy.total.covered,
                    policy.total.non_compliant,
                    policy.total.no_panel
                ),
                source: "panels.policy".into(),
                priority: Priority::Context,
            });
        }
    }
    if let Some(s) = inputs.scoring {
        if let Some(c) = s.comparisons.iter().find(|c| c.level == Level::Application)
            && let (Some(gap), Some(p)) = (c.mean_gap, c.p_welch)
        {
            let size = if gap < 0.0 { "lower" } else { "higher" };
            let significant = inputs.confidence.significant(p);
            let chance = if significant {
                "is more than chance"
            } else {
                "could be chance"
            };
            out.push(Finding {
                text: format!(
                    "At {}, {} candidates scored {:.2} points {size} on average than {} candidates; this {chance}. Over time the gap is {}.",
                    stage_noun(&s.stage),
                    c.focal,
                    gap.abs(),
                    c.reference,
                    s.drift.direction
                ),
                source: "scoring.comparisons, scoring.drift".into(),
                priority: if significant {
                    Priority::MoreThanChance
                } else {
                    Priority::Context
                },
            });
        }
        if s.assessors_flagged > 0 {
            out.push(Finding {
                text: format!(
                    "{} of {} assessors checked score {} candidates differently from their fellow panel members by more than chance: review their scoring.",
                    s.assessors_flagged, s.assessors_checked, compared_groups(s)
                ),
                source: "scoring.assessors".into(),
                priority: Priority::MoreThanChance,
            });
        }
    }
    // Most important first; the order within a priority is the order
    // above (the named steps, then the clearest gap, and so on).
    out.sort_by_key(|f| f.priority);
    out
}

/// The headline: a sentence for the whole funnel and one for NHS WRES
/// indicator 2 (each comparison's ratio with its direction and verdict in
/// words), then how many findings need investigating or watching, and a
/// warning to read first when the figures themselves may be wrong. For a
/// board member to read aloud; the findings hold the intervals.
pub fn headline(
    transitions: &[TransitionResult],
    direction: Direction,
    findings: &[Finding],
) -> Vec<String> {
    let mut lines = Vec::new();
    for (label, lead) in [
        ("overall", "Across the whole funnel"),
        (
            "NHS WRES indicator 2",
            "From shortlisting (NHS WRES indicator 2)",
        ),
    ] {
        let Some(t) = transitions
            .iter()
            .find(|t| t.breakdown.is_empty() && t.label.as_deref() == Some(label))
        else {
            continue;
        };
        let clauses: Vec<String> = t
            .comparisons
            .iter()
            .filter_map(|c| {
                let clause = likelihood_clause(t, c, direction)?;
                let verdict = match comparison_priority(c) {
                    Priority::Investigate => "outside the 0.80–1.25 range and more than chance",
                    Priority::MoreThanChance => "within the 0.80–1.25 range, but more than chance",
                    Priority::Watch => "outside the 0.80–1.25 range, but it could be chance",
                    _ => "within the 0.80–1.25 range, and it could be chance",
                };
                Some(format!("{clause} ({verdict})"))
            })
            .collect();
        if !clauses.is_empty() {
            lines.push(format!("{lead}, {}.", clauses.join("; ")));
        }
    }
    let count = |p: Priority| findings.iter().filter(|f| f.priority == p).count();
    let (investigate, watch) = (count(Priority::Investigate), count(Priority::Watch));
    let plural = |n: usize| if n == 1 { "finding" } else { "findings" };
    lines.push(match (investigate, watch) {
        (0, 0) => "No finding is both outside the 0.80–1.25 range and more than chance.".into(),
        (i, 0) => format!(
            "{i} {} need{} investigating.",
            plural(i),
            if i == 1 { "s" } else { "" }
        ),
        (0, w) => format!(
            "{w} {} outside the range could be chance: watch {}.",
            plural(w),
            if w == 1 { "it" } else { "them" }
        ),
        (i, w) => format!(
            "{i} {} need{} investigating; {w} more outside the range could be chance.",
            plural(i),
            if i == 1 { "s" } else { "" }
        ),
    });
    if count(Priority::FiguresAtRisk) > 0 {
        lines.push(
            "Read the first finding before the figures: it says why they may be wrong.".into(),
        );
    }
    lines
}

/// The compared groups of a scoring report, in words ("BME", "Asian or
/// Black").
fn compared_groups(s: &ScoringReport) -> String {
    let mut groups: Vec<&str> = Vec::new();
    for c in &s.comparisons {
        if !groups.contains(&c.focal.as_str()) {
            groups.push(&c.focal);
        }
    }
    match groups.as_slice() {
        [] => "compared".into(),
        [one] => (*one).to_string(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}
