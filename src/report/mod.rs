//! Reports: render a finished [`Audit`](crate::audit::Audit) as a terminal
//! table, JSON, CSV, Markdown, HTML or an XLSX workbook. Reports compute nothing; they format.

pub mod csv;
pub mod html;
pub mod json;
pub mod markdown;
pub mod sections;
pub mod sheet;
pub mod slates;
pub mod table;
pub mod xlsx;

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// Tables for reading in a terminal.
    Table,
    /// One JSON document (the output contract in docs/output.md).
    Json,
    /// One long CSV table: a row per transition × breakdown × group.
    Csv,
    /// A Markdown report: findings, data quality, a table per step.
    Markdown,
    /// A self-contained HTML report with charts (inline CSS and SVG).
    Html,
    /// An Excel workbook, one sheet per table (use with --output).
    Xlsx,
}

/// A ratio or rate for people: `None` shows as "–".
pub fn fmt_num(x: Option<f64>, decimals: usize) -> String {
    match x {
        Some(v) => format!("{v:.decimals$}"),
        None => "–".to_string(),
    }
}

/// A p value for people: four decimals, or "<0.0001".
pub fn fmt_p(p: Option<f64>) -> String {
    match p {
        Some(p) if p < 0.0001 => "<0.0001".to_string(),
        Some(p) => format!("{p:.4}"),
        None => "–".to_string(),
    }
}

/// A rate as a percentage.
pub fn fmt_rate(r: Option<f64>) -> String {
    match r {
        Some(r) => format!("{:.1}%", r * 100.0),
        None => "–".to_string(),
    }
}

/// An interval for people: "1.13–5.55", or "–" when undefined.
pub fn fmt_interval(low: Option<f64>, high: Option<f64>) -> String {
    match (low, high) {
        (Some(l), Some(h)) => format!("{l:.2}–{h:.2}"),
        _ => "–".to_string(),
    }
}

/// The report's title: "Recruitment funnel audit", with the profile's name
/// when it gives one ("— NHS Jobs quarterly report").
pub fn title(audit: &crate::audit::Audit) -> String {
    match &audit.settings.profile_name {
        Some(n) => format!("Recruitment funnel audit — {n}"),
        None => "Recruitment funnel audit".into(),
    }
}

/// A χ² test as one cell: "12.70 (1 df), p 0.0004"; "–" when undefined.
pub fn fmt_chi2(chi2: Option<f64>, df: Option<u32>, p: Option<f64>) -> String {
    match (chi2, df) {
        (Some(x), Some(d)) => format!("{x:.2} ({d} df), p {}", fmt_p(p)),
        _ => "–".into(),
    }
}

/// The header and cells of the pooled table, shared by every format: the
/// crude and pooled risk ratios with the interval, the pooled odds ratio
/// with its interval, and both tests with their statistics.
pub fn pooled_table(
    pooled: &[crate::measures::pooling::PooledComparison],
    confidence: crate::stats::Confidence,
) -> (Vec<String>, Vec<Vec<String>>) {
    let ci = format!("{}% CI", (confidence.percent()).round());
    let header = vec![
        "Step".to_string(),
        "Pooled over".into(),
        "Comparison".into(),
        "Crude RL".into(),
        "Pooled RL (MH)".into(),
        ci.clone(),
        format!("Pooled odds ratio (MH, {ci})"),
        "CMH test".into(),
        "Homogeneity (Breslow-Day-Tarone)".into(),
        "Rows used (dropped)".into(),
    ];
    let rows = pooled
        .iter()
        .map(|p| {
            vec![
                format!("{} → {}", p.from, p.to),
                p.by.clone(),
                format!("{} vs {}", p.reference, p.focal),
                fmt_num(p.crude_rl, 2),
                fmt_num(p.rr_mh, 2),
                fmt_interval(p.ci_low, p.ci_high),
                match p.or_mh {
                    Some(_) => format!(
                        "{} ({})",
                        fmt_num(p.or_mh, 2),
                        fmt_interval(p.or_ci_low, p.or_ci_high)
                    ),
                    None => "–".into(),
                },
                fmt_chi2(p.cmh_chi2, p.cmh_df, p.p_cmh),
                fmt_chi2(p.homogeneity_chi2, p.homogeneity_df, p.p_homogeneity),
                format!("{} ({})", p.strata_used, p.strata_dropped),
            ]
        })
        .collect();
    (header, rows)
}

/// What publication mode did, in a sentence or two; `None` when the report
/// is not for publication.
pub fn publication_note(audit: &crate::audit::Audit) -> Option<String> {
    audit.publication.as_ref().map(publication_text)
}

/// What publication mode did, for any report that was published.
pub fn publication_text(p: &crate::stats::suppression::Publication) -> String {
    let mut text = format!(
        "Published version: counts from 1 to {} are suppressed and shown as {} ({} of them), with {} more suppressed so that none can be worked out from totals or neighbouring cells; rates, ratios and tests that rest on a suppressed count are withheld.",
        p.threshold.saturating_sub(1),
        crate::measures::SUPPRESSED_SYMBOL,
        p.primary,
        p.secondary
    );
    if !p.withheld.is_empty() {
        text.push_str(&format!(" Left out: {}.", p.withheld.join("; ")));
    }
    text
}

/// The WRES indicator 2 rows as text: a header and one row per breakdown
/// row (numbers from column 1 on). Empty when the grouping is not White /
/// BME.
fn wres_rows(audit: &crate::audit::Audit) -> (Vec<String>, Vec<Vec<String>>) {
    let header = [
        "Rows",
        "Shortlisted: White",
        "BME",
        "Not stated",
        "Appointed: White",
        "BME",
        "Not stated",
        "RL (NHS WRES: White ÷ BME)",
        "RL (SC-WRES: BME ÷ White)",
    ]
    .map(String::from)
    .to_vec();
    let rows = audit
        .wres_indicator_2
        .iter()
        .map(|w| {
            vec![
                describe_breakdown(&w.breakdown),
                w.shortlisted_white.to_string(),
                w.shortlisted_bme.to_string(),
                w.shortlisted_not_stated.to_string(),
                w.appointed_white.to_string(),
                w.appointed_bme.to_string(),
                w.appointed_not_stated.to_string(),
                fmt_num(w.rl_nhs_wres, 2),
                fmt_num(w.rl_sc_wres, 2),
            ]
        })
        .collect();
    (header, rows)
}

/// The exits rows as text (numbers from column 2 on).
fn exit_rows(audit: &crate::audit::Audit) -> (Vec<String>, Vec<Vec<String>>) {
    let header = [
        "Step",
        "Group",
        "Entered",
        "Progressed",
        "Rejected",
        "Withdrew",
        "No reason",
        "Withdrawal rate",
        "Rate excl. withdrawals",
        "RL excl. withdrawals",
    ]
    .map(String::from)
    .to_vec();
    let Some(exits) = &audit.exits else {
        return (header, Vec::new());
    };
    let rows = exits
        .rows
        .iter()
        .map(|r| {
            let rl = exits
                .comparisons
                .iter()
                .find(|c| c.from == r.from && c.comparison.focal == r.group)
                .map(|c| fmt_num(c.comparison.relative_likelihood, 2))
                .unwrap_or_default();
            vec![
                format!("{} → {}", r.from, r.to),
                r.group.clone(),
                r.entered.to_string(),
                r.progressed.to_string(),
                r.rejected.to_string(),
                r.withdrawn.to_string(),
                r.no_reason.to_string(),
                fmt_num(r.withdrawal_rate, 3),
                fmt_num(r.rate_excluding_withdrawals, 3),
                rl,
            ]
        })
        .collect();
    (header, rows)
}

/// What the exits table is, in a sentence.
pub const EXITS_NOTE: &str = "Of the applicants who stopped at each stage, how many the employer rejected and how many withdrew (from the exit_reason column), and the rate of progressing among applicants who did not withdraw, with its relative likelihood against the reference group in the report's direction. A group that withdraws more often is not thereby rejected more often.";

/// What the WRES table is, in a sentence.
pub const WRES_NOTE: &str = "NHS WRES indicator 2 in the shape of the WRES data collection: applicants shortlisted and appointed from shortlisting, White / BME / not stated (declined, not known or unmapped), with the relative likelihood in the NHS WRES direction (White ÷ BME) and the Social Care WRES direction (BME ÷ White).";

/// The availability rows as text (numbers from column 4 on); `whole_only`
/// keeps the whole-dataset rows.
fn availability_rows(
    audit: &crate::audit::Audit,
    whole_only: bool,
) -> (Vec<String>, Vec<Vec<String>>) {
    let header = [
        "Stage",
        "Rows",
        "Group",
        "Against",
        "Observed",
        "Known at stage",
        "Share",
        "Expected",
        "Shortfall",
        "p (as few or fewer)",
    ]
    .map(String::from)
    .to_vec();
    let rows = audit
        .availability
        .iter()
        .filter(|a| !whole_only || a.breakdown.is_empty())
        .map(|a| {
            vec![
                a.stage.clone(),
                describe_breakdown(&a.breakdown),
                a.group.clone(),
                a.benchmark.clone(),
                a.observed.to_string(),
                a.known.to_string(),
                fmt_rate(a.share),
                fmt_num(a.expected, 1),
                fmt_num(a.shortfall, 1),
                fmt_p(a.p_binomial),
            ]
        })
        .collect();
    (header, rows)
}

/// What the availability table is, in a sentence.
pub const AVAILABILITY_NOTE: &str = "Each stage's make-up against the stage before it (the pool) and any availability benchmark given: the expected count is the known applicants at the stage times the benchmark share; a positive shortfall is that many fewer than the benchmark would give; p is the exact binomial probability of as few or fewer by chance.";

/// The intersectional rows as text (numbers from column 2 on).
fn intersectional_rows(audit: &crate::audit::Audit) -> (Vec<String>, Vec<Vec<String>>) {
    let header = [
        "Step",
        "Category",
        "Entered",
        "Progressed",
        "Rate",
        "Impact ratio",
        "Under 2%",
    ]
    .map(String::from)
    .to_vec();
    let rows = audit
        .intersectional
        .iter()
        .map(|r| {
            vec![
                format!("{} → {}", r.from, r.to),
                r.category.clone(),
                r.entered.to_string(),
                r.progressed.to_string(),
                fmt_rate(r.rate),
                fmt_num(r.impact_ratio, 2),
                if r.excludable {
                    "yes".into()
                } else {
                    String::new()
                },
            ]
        })
        .collect();
    (header, rows)
}

/// What the intersectional table is, in a sentence.
pub const INTERSECTIONAL_NOTE: &str = "Ethnic group crossed with a second characteristic, as NYC Local Law 144 bias audits report it: each category's rate and its impact ratio against the category with the highest rate. Categories under 2% of a step's entrants may be left out of the impact ratios (LL144) and are not used as the highest rate; \"(not stated)\" rows are counted but never compared.";

/// A scorecard as text: its title, its summary lines, the stage table and
/// the step table (each a header and rows; numbers from column 1 on).
pub struct CardText {
    /// "agency = Agency A (rank 2 of 4)".
    pub title: String,
    /// Disclosure, panels, warnings.
    pub lines: Vec<String>,
    /// Stage make-up.
    pub stages: (Vec<String>, Vec<Vec<String>>),
    /// Step ratios.
    pub steps: (Vec<String>, Vec<Vec<String>>),
}

/// The text of every scorecard of the audit.
pub fn scorecard_texts(audit: &crate::audit::Audit) -> Vec<CardText> {
    let ranked = audit.scorecards.iter().filter(|c| c.rank.is_some()).count();
    let unranked = (ranked == 0).then(|| {
        "Not ranked: the whole funnel's ratio is undefined or withheld for every card (e.g. no one has reached the last stage yet).".to_string()
    });
    audit
        .scorecards
        .iter()
        .map(|c| {
            let mut groups: Vec<String> = c
                .stages
                .first()
                .map(|s| s.groups.keys().cloned().collect())
                .unwrap_or_default();
            groups.sort();
            let mut stage_header = vec!["Stage".to_string()];
            stage_header.extend(groups.iter().cloned());
            stage_header.extend(["Unknown".to_string(), "Share outside reference".to_string()]);
            let stage_rows = c
                .stages
                .iter()
                .map(|s| {
                    let mut row = vec![s.stage.clone()];
                    row.extend(
                        groups
                            .iter()
                            .map(|g| s.groups.get(g).map(|n| n.to_string()).unwrap_or_default()),
                    );
                    row.push(s.unknown.to_string());
                    row.push(fmt_rate(s.focal_share));
                    row
                })
                .collect();
            let step_header = [
                "Step",
                "Comparison",
                "Relative likelihood",
                "CI",
                "Adjusted p",
                "Significant",
            ]
            .map(String::from)
            .to_vec();
            let step_rows = c
                .steps
                .iter()
                .map(|s| {
                    vec![
                        format!("{} → {}", s.from, s.to),
                        format!("{} vs {}", audit.settings.reference_group, s.focal),
                        fmt_num(s.relative_likelihood, 2),
                        fmt_interval(s.ci_low, s.ci_high),
                        fmt_p(s.p_adjusted),
                        match s.significant {
                            Some(true) => "yes".into(),
                            Some(false) => "no".into(),
                            None => "–".into(),
                        },
                    ]
                })
                .collect();
            let mut lines = vec![format!(
                "Ethnicity stated by {} of applicants.",
                fmt_rate(c.disclosure_rate)
            )];
            if let Some(share) = c.panels_share_diverse {
                lines.push(format!(
                    "{} of its vacancies had a diverse panel.",
                    fmt_rate(Some(share))
                ));
            }
            lines.extend(c.warnings.iter().map(|w| format!("Note: {w}.")));
            lines.extend(unranked.clone());
            CardText {
                title: format!(
                    "{} = {}{}",
                    c.column,
                    c.value,
                    c.rank
                        .map(|r| format!(" (rank {r} of {ranked})"))
                        .unwrap_or_default()
                ),
                lines,
                stages: (stage_header, stage_rows),
                steps: (step_header, step_rows),
            }
        })
        .collect()
}

/// How the scorecards are ranked, in a sentence.
pub const SCORECARD_NOTE: &str = "Cards are ranked on the whole funnel (first stage → last): rank 1 has the relative likelihood closest to 1 (on the log scale, so 1.5 and 1/1.5 count as equally uneven). The ranking orders point estimates: where intervals overlap the order may be chance.";

/// The change sentences worth reading aloud: the whole dataset against the
/// previous period, and each period against the one before (`--by quarter`).
pub fn change_lines(audit: &crate::audit::Audit) -> Vec<&str> {
    audit
        .changes
        .iter()
        .filter(|c| c.breakdown.is_empty() || c.previous_period.is_some())
        .map(|c| c.summary.as_str())
        .collect()
}

/// A titled table a report shows after the steps: intersectional
/// categories, availability, the WRES return.
pub struct Section {
    /// HTML anchor.
    pub id: &'static str,
    /// Heading.
    pub title: String,
    /// What the table is, in a sentence.
    pub note: &'static str,
    /// Column names.
    pub header: Vec<String>,
    /// Rows of text.
    pub rows: Vec<Vec<String>>,
    /// Columns from this one on are numbers (right-aligned).
    pub numeric_from: usize,
    /// A line after the table.
    pub footer: Option<String>,
}

/// The sections present in this audit. `terminal` keeps availability to the
/// whole-dataset rows (and says how many more there are).
pub fn extra_sections(audit: &crate::audit::Audit, terminal: bool) -> Vec<Section> {
    let mut out = Vec::new();
    let (header, rows) = intersectional_rows(audit);
    out.push(Section {
        id: "intersectional",
        title: "Intersectional categories".into(),
        note: INTERSECTIONAL_NOTE,
        header,
        rows,
        numeric_from: 2,
        footer: None,
    });
    let (header, rows) = availability_rows(audit, terminal);
    let more = audit
        .availability
        .iter()
        .filter(|a| !a.breakdown.is_empty())
        .count();
    out.push(Section {
        id: "availability",
        title: if terminal {
            "Against availability (all applications)".into()
        } else {
            "Against availability".into()
        },
        note: AVAILABILITY_NOTE,
        header,
        rows,
        numeric_from: 4,
        footer: (terminal && more > 0)
            .then(|| format!("{more} more rows by breakdown in the JSON, HTML and XLSX outputs.")),
    });
    let (header, rows) = exit_rows(audit);
    let unclassified = audit
        .exits
        .as_ref()
        .map(|e| e.unclassified_values.as_slice())
        .unwrap_or_default();
    out.push(Section {
        id: "exits",
        title: "Rejected and withdrawn".into(),
        note: EXITS_NOTE,
        header,
        rows,
        numeric_from: 2,
        footer: (!unclassified.is_empty()).then(|| {
            let shown: Vec<String> = unclassified
                .iter()
                .take(10)
                .map(|u| format!("'{}' ({})", u.value, u.applications))
                .collect();
            format!(
                "Exit values counted under \"No reason\" because rung does not recognise them: {}{}. Map them in a profile's [exit_values].",
                shown.join(", "),
                if unclassified.len() > 10 { ", …" } else { "" }
            )
        }),
    });
    let (header, rows) = wres_rows(audit);
    out.push(Section {
        id: "wres",
        title: "WRES indicator 2, ready for the return".into(),
        note: WRES_NOTE,
        header,
        rows,
        numeric_from: 1,
        footer: None,
    });
    out.retain(|s| !s.rows.is_empty());
    out
}

/// A breakdown row for people: "organisation = ORG001, grade = Band 5", or
/// "all applications".
fn describe_breakdown(b: &std::collections::BTreeMap<String, String>) -> String {
    if b.is_empty() {
        "all applications".to_string()
    } else {
        b.iter()
            .map(|(k, v)| format!("{k} = {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// A writer for terminal reports that drops control characters (other than
/// newline and tab) on their way out: a label carrying an escape sequence
/// must not clear or rewrite the reader's terminal.
pub struct TerminalSafe<'a>(pub &'a mut dyn std::io::Write);

/// Text for a message: control characters (other than a line break), and
/// invisible ones (zero-width spaces and joiners, bidirectional overrides, a
/// byte-order mark, a soft hyphen), written as `\u{…}` escapes, so a
/// value quoted from the data shows what it holds and cannot move the
/// cursor, ring the bell or reorder the line.
pub fn escaped(text: &str) -> String {
    let invisible = |c: char| {
        matches!(c,
            '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
            | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{206F}'
            | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}' | '\u{FFA0}' | '\u{FFF9}'..='\u{FFFB}')
    };
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c == '\n' {
            out.push(c);
        } else if c.is_control() || invisible(c) {
            out.push_str(&format!("\\u{{{:04X}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

impl std::io::Write for TerminalSafe<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let clean: Vec<u8> = buf
            .iter()
            .copied()
            .filter(|&b| b >= 0x20 && b != 0x7f || b == b'\n' || b == b'\t')
            .collect();
        self.0.write_all(&clean)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}
