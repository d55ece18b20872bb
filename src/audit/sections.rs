//! The sections of an audit that take more than a call to build: the
//! settings as reported, the changes since an earlier period, the panel,
//! scoring and exit sections counted beside the funnel, and the figures
//! derived from the (possibly suppressed) published steps.

use super::{Audit, AuditSpec, Settings, publish};
use crate::counts::{self, Counts, FunnelCounts};
use crate::ingest::TableKind;
use crate::measures::availability;
use crate::measures::change::{self, Change};
use crate::measures::exits::{self, ExitReport};
use crate::measures::findings::{self, FindingInputs};
use crate::measures::funnel::{self, FunnelSettings, TransitionResult};
use crate::measures::intersectional;
use crate::measures::ll144;
use crate::measures::panels::{self, PanelReport, PanelSettings};
use crate::measures::scorecard;
use crate::measures::scoring::{self, ScoringReport, ScoringSettings};
use crate::measures::wres;
use crate::provenance::{InputFile, input_files};
use crate::taxonomy::exits::ExitMap;

/// Each breakdown dimension's columns as positions among `columns` (the
/// breakdown columns in the order the counting pass keyed them).
pub(super) fn breakdown_positions(by: &[Vec<String>], columns: &[String]) -> Vec<Vec<usize>> {
    by.iter()
        .map(|dim| {
            dim.iter()
                .map(|c| columns.iter().position(|b| b == c).expect("counted"))
                .collect()
        })
        .collect()
}

/// The settings in force, as the report states them.
pub(super) fn settings(spec: &AuditSpec, counts: &FunnelCounts) -> Settings {
    let scheme = &spec.taxonomy.scheme;
    let reference = scheme.groups[scheme.reference].clone();
    let focal_groups: Vec<String> = scheme
        .groups
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != scheme.reference)
        .map(|(_, g)| g.clone())
        .collect();
    let focal_words = if focal_groups.len() == 1 {
        focal_groups[0].clone()
    } else {
        "each other group".to_string()
    };
    Settings {
        grouping: scheme.name.clone(),
        direction_meaning: spec.direction.meaning(&reference, &focal_words),
        reference_group: reference,
        focal_groups,
        confidence: spec.confidence,
        direction: spec.direction,
        by: spec.by.iter().map(|d| d.join("×")).collect(),
        ladder: counts.ladder.stages().to_vec(),
        profile: spec.profile_path.as_ref().map(|p| p.display().to_string()),
        profile_name: spec.profile.name.clone(),
        title: spec.title.clone(),
        adjust: spec.adjust,
    }
}

/// Changes against the previous period's dataset (`--previous`), with its
/// inputs, and between periods within this one (`--by quarter`,
/// `fy-quarter` or `fy`: each period against the last).
pub(super) fn changes(
    spec: &AuditSpec,
    transitions: &[TransitionResult],
    previous: Option<(Counts, Vec<String>)>,
    funnel_settings: &FunnelSettings,
    reference: &str,
) -> (Vec<Change>, Vec<InputFile>) {
    let (mut changes, previous_inputs) = match (&previous, &spec.previous) {
        (Some((counts_then, hashes_then)), Some(dataset_then)) => {
            let then = funnel::funnel(&counts_then.funnel, &spec.taxonomy, funnel_settings);
            let mut changes = change::changes(
                transitions,
                &then,
                reference,
                spec.direction,
                spec.confidence,
            );
            if spec.publish {
                publish::withhold_changes_resting_on_small_counts(
                    &mut changes,
                    &then,
                    reference,
                    spec.suppress_below,
                );
            }
            (
                changes,
                input_files(
                    dataset_then,
                    super::accounts(counts_then),
                    hashes_then.clone(),
                ),
            )
        }
        _ => (Vec::new(), Vec::new()),
    };
    for period in counts::PERIODS {
        if spec.by.iter().any(|d| d.len() == 1 && d[0] == period) {
            changes.extend(change::changes_between_periods(
                transitions,
                period,
                reference,
                spec.direction,
                spec.confidence,
            ));
        }
    }
    (changes, previous_inputs)
}

/// Panel composition, policy and outcomes, when the dataset has panels.
pub(super) fn panels(spec: &AuditSpec, all: &Counts) -> Option<PanelReport> {
    let p = all.panels.as_ref()?;
    let by = spec.by_columns();
    Some(panels::panels(
        p,
        &all.funnel,
        &spec.taxonomy,
        &PanelSettings {
            confidence: spec.confidence,
            direction: spec.direction,
            breakdowns: breakdown_positions(&spec.by, &by),
            by,
            policy: spec.policy.clone(),
            grades: spec.profile.grades.clone(),
        },
    ))
}

/// Score gaps, drift and assessor checks, when the dataset has scores.
pub(super) fn scoring(spec: &AuditSpec, all: &Counts) -> Option<ScoringReport> {
    scoring::scoring(
        all.scores.as_ref()?,
        &all.funnel.ladder,
        &spec.taxonomy,
        &ScoringSettings {
            confidence: spec.confidence,
            min_assessor_candidates: spec.min_assessor_candidates,
            publish: spec.publish,
        },
    )
}

/// Rejections and withdrawals apart, when the applications table has an
/// exit_reason column.
pub(super) fn exits(
    spec: &AuditSpec,
    all: &Counts,
    funnel_settings: &FunnelSettings,
) -> Option<ExitReport> {
    let counts = &all.funnel;
    counts.exits.as_ref().map(|cells| {
        exits::exits(
            cells,
            counts.ladder.stages(),
            &spec.taxonomy,
            &ExitMap::new(&spec.profile.exit_values),
            funnel_settings,
        )
    })
}

/// What is built from the steps as published (after publication mode, so
/// it carries the same suppression): the WRES return, scorecards, the
/// intersectional rates, availability, and last the findings.
pub(super) fn from_published_steps(spec: &AuditSpec, audit: &mut Audit) {
    audit.wres_indicator_2 = wres::indicator_2(&audit.transitions);
    if let Some(column) = &spec.scorecard {
        audit.scorecards = scorecard::scorecards(
            &audit.transitions,
            column,
            &audit.settings.ladder,
            &audit.settings.reference_group,
            audit.panels.as_ref(),
        );
    }
    if let Some(dimension) = &spec.intersect {
        audit.intersectional = intersectional::intersectional(&audit.transitions, dimension);
    }
    if let Some(settings) = &spec.ll144 {
        audit.ll144 = ll144::ll144(
            &audit.transitions,
            &audit.settings.ladder,
            &spec.taxonomy.scheme.groups,
            settings,
            audit.data_quality.unrated_applications.into(),
        );
    }
    audit.availability = availability::availability(
        &audit.transitions,
        &audit.settings.ladder,
        &audit.settings.reference_group,
        spec.availability.as_ref(),
    );
    if audit.publication.is_some() {
        publish::withhold_wres_ratios(&mut audit.wres_indicator_2);
    }
    audit.findings = findings::findings(&FindingInputs {
        transitions: &audit.transitions,
        pooled: &audit.pooled,
        sensitivity: &audit.sensitivity,
        quality: &audit.data_quality,
        panels: audit.panels.as_ref(),
        scoring: audit.scoring.as_ref(),
        direction: spec.direction,
        confidence: audit.settings.confidence,
        key_columns: (
            spec.profile
                .source_column(TableKind::Applications, "application_id"),
            spec.profile
                .source_column(TableKind::Applications, "vacancy_id"),
        ),
    });
    audit.headline = findings::headline(&audit.transitions, spec.direction, &audit.findings);
}
