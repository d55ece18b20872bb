//! The JSON contract (docs/output.md) read through a typed model
//! (tests/common/contract.rs), as a program consuming rung's output would:
//! every mode of the audit must fit it, field for field, and what it says
//! must hold together.

mod common;

use std::path::Path;

use common::contract::Priority;
use common::*;

fn sample() -> &'static Path {
    Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/sample-data/quarterly"
    ))
}

#[test]
fn every_mode_of_the_audit_fits_the_contract() {
    let folder = sample().to_str().unwrap();
    let modes: [&[&str]; 7] = [
        &[],
        &["--by", "organisation", "--publish"],
        &["--by", "quarter"],
        &["--by", "agency", "--scorecard"],
        &["--by", "organisation,sex", "--intersect", "sex"],
        &["--previous", folder, "--direction", "sc-wres"],
        &[
            "--grouping",
            "ons5",
            "--adjust",
            "holm",
            "--confidence",
            "0.9",
        ],
    ];
    for extra in modes {
        let a = audit(sample(), extra);
        assert_eq!(a.tool.name, "rung");
        assert_eq!(a.settings, a.provenance.settings, "{extra:?}");
        assert_eq!(a.inputs, a.provenance.inputs, "{extra:?}");
        // Every row read is used or excluded.
        for t in &a.data_quality.tables {
            let excluded: u64 = t.excluded.iter().map(|e| e.rows).sum();
            assert_eq!(
                t.rows_read,
                t.rows_used + t.rows_excluded,
                "{extra:?} {}",
                t.table
            );
            assert_eq!(t.rows_excluded, excluded, "{extra:?} {}", t.table);
        }
        for t in &a.transitions {
            for g in t.groups.iter().chain(&t.unknown) {
                if let (Some(e), Some(p)) = (g.entered, g.progressed) {
                    assert!(p <= e, "{extra:?}: {} → {} {}", t.from, t.to, g.group);
                }
            }
            for c in &t.comparisons {
                assert_eq!(c.reference, a.settings.reference_group);
                assert!(a.settings.focal_groups.contains(&c.focal));
                assert_eq!(c.confidence, a.settings.confidence);
                if let (Some(lo), Some(rl), Some(hi)) = (c.ci_low, c.relative_likelihood, c.ci_high)
                {
                    assert!(lo <= rl && rl <= hi, "{extra:?}: {} → {}", t.from, t.to);
                }
            }
        }
        assert_eq!(a.publication.is_some(), extra.contains(&"--publish"));
        // Findings come most important first.
        assert!(
            a.findings
                .windows(2)
                .all(|w| w[0].priority <= w[1].priority),
            "{extra:?}: {:?}",
            a.findings.iter().map(|f| f.priority).collect::<Vec<_>>()
        );
        assert!(!a.headline.is_empty(), "{extra:?}");
    }
}

/// The headline states the whole funnel's ratio the way round the report's
/// direction reads, with the ratio and verdict the step itself carries.
#[test]
fn the_headline_reads_the_whole_funnel_in_the_reports_direction() {
    for (direction, subject, other) in [("nhs-wres", "White", "BME"), ("sc-wres", "BME", "White")] {
        let a = audit(sample(), &["--direction", direction]);
        let whole = a
            .transitions
            .iter()
            .find(|t| t.breakdown.is_empty() && t.label.as_deref() == Some("overall"))
            .expect("the whole-funnel step");
        let c = &whole.comparisons[0];
        let expected = format!(
            "Across the whole funnel, {subject} applicants were {:.2} times as likely as {other} applicants to be appointed",
            c.relative_likelihood.unwrap()
        );
        assert!(
            a.headline[0].starts_with(&expected),
            "{direction}: {:?}",
            a.headline
        );
        let verdict = match (c.significant, c.outside_range) {
            (Some(true), Some(true)) => "outside the 0.80–1.25 range and more than chance",
            (Some(false), Some(true)) => "outside the 0.80–1.25 range, but it could be chance",
            (Some(true), _) => "within the 0.80–1.25 range, but more than chance",
            _ => "within the 0.80–1.25 range, and it could be chance",
        };
        assert!(
            a.headline[0].contains(verdict),
            "{direction}: {:?}",
            a.headline
        );
        // Its count of findings to investigate and to watch matches the
        // findings' own priorities.
        let watch = a
            .findings
            .iter()
            .filter(|f| f.priority == Priority::Watch)
            .count();
        let investigate = a
            .findings
            .iter()
            .filter(|f| f.priority == Priority::Investigate)
            .count();
        let counts = a
            .headline
            .iter()
            .find(|l| l.contains("finding"))
            .expect("count line");
        match (investigate, watch) {
            (0, 0) => assert!(counts.starts_with("No finding"), "{counts}"),
            (i, 0) => assert!(counts.starts_with(&format!("{i} finding")), "{counts}"),
            (0, w) => assert!(counts.starts_with(&format!("{w} finding")), "{counts}"),
            (i, w) => assert!(
                counts.starts_with(&format!("{i} finding"))
                    && counts.contains(&format!("{w} more")),
                "{counts}"
            ),
        }
    }
}

/// The whole-dataset step through the typed model: the sample's first
/// step, White against BME, with the contract's own field names.
#[test]
fn the_typed_model_reads_a_step() {
    let a = audit(sample(), &[]);
    let step = a.step("applied", "shortlisted", &[]);
    let white = step.group("White");
    let bme = step.group("BME");
    let (we, wp) = (white.entered.unwrap(), white.progressed.unwrap());
    let (be, bp) = (bme.entered.unwrap(), bme.progressed.unwrap());
    // NHS WRES direction: the reference group's rate over the focal's.
    let rl = (wp as f64 / we as f64) / (bp as f64 / be as f64);
    let c = step.comparison("BME");
    assert!((c.relative_likelihood.unwrap() - rl).abs() < 1e-12);
    assert_eq!(white.impact_ratio, Some(1.0));
}

/// `--title` names the report in every human format (escaped as each needs)
/// and is recorded in the JSON settings; without it the settings have none.
#[test]
fn the_title_flag_names_every_human_report() {
    let title = "Trust <A> & B: recruitment 2025/26 Q2";
    let flags = ["--title", title];
    let a = audit(sample(), &flags);
    assert_eq!(a.settings.title.as_deref(), Some(title));
    assert_eq!(audit(sample(), &[]).settings.title, None);
    let terminal = output(sample(), "table", &flags);
    assert_eq!(terminal.lines().next(), Some(title));
    let md = output(sample(), "markdown", &flags);
    assert!(
        md.starts_with("# Trust \\<A\\> \\& B: recruitment 2025/26 Q2\n"),
        "{md}"
    );
    let html = output(sample(), "html", &flags);
    let escaped = "Trust &lt;A&gt; &amp; B: recruitment 2025/26 Q2";
    assert!(html.contains(&format!("<title>{escaped}</title>")));
    assert!(html.contains(&format!("<h1>{escaped}</h1>")));
    assert!(!html.contains("<A>"));
}
