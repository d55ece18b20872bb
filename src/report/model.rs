//! The report model: what a report for people says, built once from the
//! audit ([`super::sections`]) and laid out by each human format — the
//! terminal, Markdown, HTML and the XLSX workbook. A renderer only lays
//! blocks out; it never reaches into the audit. (JSON is the contract in
//! docs/output.md and is not drawn from this model; CSV is the long table.)

use crate::measures::Count;

/// A whole report: its title, the lines under it, and its sections in
/// order.
#[derive(Debug, Clone)]
pub struct Report {
    /// "Recruitment funnel audit — NHS Jobs quarterly report".
    pub title: String,
    /// What produced it and how to read it: a few sentences under the title.
    pub meta: Vec<String>,
    /// The sections, in the order every format shows them.
    pub sections: Vec<Section>,
}

/// One section: a heading and what is under it.
#[derive(Debug, Clone)]
pub struct Section {
    /// A stable anchor ("findings", "steps", "panels").
    pub id: &'static str,
    /// The heading.
    pub title: String,
    /// What is under the heading, in order.
    pub blocks: Vec<Block>,
}

impl Section {
    /// Whether the section holds only charts (formats that do not draw
    /// leave it out).
    pub fn only_charts(&self) -> bool {
        self.blocks.iter().all(|b| matches!(b, Block::Chart(_)))
    }
}

/// A piece of a section.
#[derive(Debug, Clone)]
pub enum Block {
    /// A sub-heading inside a section (a step, a scorecard).
    Heading(String),
    /// Running text.
    Paragraph(String),
    /// What a table is or how to read it: shown quieter than text.
    Note(String),
    /// A bulleted list.
    List(Vec<String>),
    /// A table.
    Table(Table),
    /// A chart: drawn by formats that draw (HTML); its numbers are in a
    /// table of the same section, so text formats leave it out.
    Chart(Chart),
}

/// A table: column names and rows of typed cells.
#[derive(Debug, Clone, Default)]
pub struct Table {
    /// Column names.
    pub header: Vec<String>,
    /// Rows, one cell per column.
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    /// A table with these column names and no rows yet.
    pub fn new<S: Into<String>>(header: impl IntoIterator<Item = S>) -> Table {
        Table {
            header: header.into_iter().map(Into::into).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row.
    pub fn row(&mut self, cells: Vec<Cell>) {
        self.rows.push(cells);
    }
}

/// A table cell, typed so each format shows it in its own way: text, or a
/// number with its kind (a spreadsheet keeps numbers as numbers with a
/// number format; text formats write them as below).
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Words ("White", "shortlisted → appointed").
    Text(String),
    /// A count of people, vacancies or rows; "[c]" when suppressed.
    Count(Count),
    /// A proportion, shown as a percentage ("44.5%").
    Rate(Option<f64>),
    /// A ratio (relative likelihood, impact ratio), two decimals.
    Ratio(Option<f64>),
    /// Another number with this many decimals (a mean score, a PSI).
    Number(Option<f64>, usize),
    /// A p value: four decimals, or "<0.0001".
    P(Option<f64>),
    /// A confidence interval, "1.13–5.55".
    Interval(Option<f64>, Option<f64>),
    /// Yes or no ("–" when undefined).
    YesNo(Option<bool>),
    /// A rule's outcome: "met", "NOT MET" (which stands out in every
    /// format), or "n/a" where the rule does not apply.
    Met(Option<bool>),
    /// Nothing to show.
    Blank,
}

impl Cell {
    /// A text cell.
    pub fn text(s: impl Into<String>) -> Cell {
        Cell::Text(s.into())
    }

    /// A count cell from a plain number.
    pub fn count(n: impl Into<Count>) -> Cell {
        Cell::Count(n.into())
    }

    /// Whether the cell holds a number (right-aligned in tables).
    pub fn is_number(&self) -> bool {
        !matches!(self, Cell::Text(_) | Cell::Blank | Cell::Met(_))
    }

    /// The cell as text formats write it.
    pub fn shown(&self) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Count(c) => c.to_string(),
            Cell::Rate(r) => fmt_rate(*r),
            Cell::Ratio(r) => fmt_num(*r, 2),
            Cell::Number(x, d) => fmt_num(*x, *d),
            Cell::P(p) => fmt_p(*p),
            Cell::Interval(l, h) => fmt_interval(*l, *h),
            Cell::YesNo(b) => match b {
                Some(true) => "yes".into(),
                Some(false) => "no".into(),
                None => "–".into(),
            },
            Cell::Met(m) => match m {
                Some(true) => "met",
                Some(false) => "NOT MET",
                None => "n/a",
            }
            .to_string(),
            Cell::Blank => String::new(),
        }
    }
}

/// A chart's data. Charts are drawn from these alone.
#[derive(Debug, Clone)]
pub enum Chart {
    /// Relative likelihoods with intervals on a log scale, against the
    /// 0.80–1.25 band.
    Forest(Forest),
    /// Of each group's applicants, the share reaching each stage.
    Funnel(FunnelBars),
    /// The score gap per period with ±2 SE whiskers.
    Drift(Vec<DriftPoint>),
    /// Each assignment's shortlist: how many from outside the reference
    /// group, and whether its rules were met.
    Slates(SlateBars),
}

/// The slate chart: a bar per assignment.
#[derive(Debug, Clone)]
pub struct SlateBars {
    /// One per assignment, in the report's order.
    pub rows: Vec<SlateBar>,
    /// Who the bars count ("BME", "from outside the White group").
    pub counted: String,
    /// The caption under the chart.
    pub caption: String,
}

/// One assignment's shortlist.
#[derive(Debug, Clone)]
pub struct SlateBar {
    /// The assignment (and client).
    pub label: String,
    /// Shortlisted from outside the reference group (`None`: suppressed).
    pub focal: Option<u64>,
    /// Shortlisted of known ethnicity (`None`: suppressed).
    pub known: Option<u64>,
    /// Every applicable rule met (`None`: none applies or withheld).
    pub met: Option<bool>,
}

/// The forest plot's rows and how to read them.
#[derive(Debug, Clone)]
pub struct Forest {
    /// One row per comparison.
    pub rows: Vec<ForestRow>,
    /// What a ratio above 1 means ("White applicants more likely to
    /// progress than the group compared").
    pub above_one: String,
    /// What a ratio below 1 means.
    pub below_one: String,
    /// The caption under the plot.
    pub caption: String,
}

/// One comparison in the forest plot.
#[derive(Debug, Clone)]
pub struct ForestRow {
    /// "applied → shortlisted · White vs Black".
    pub label: String,
    /// The ratio and its interval, when estimable.
    pub estimate: Option<(f64, f64, f64)>,
    /// Significant after adjustment.
    pub significant: bool,
}

/// The funnel chart: stages, and for each group its count at each stage
/// (`None` when suppressed: a bar would give it away).
#[derive(Debug, Clone)]
pub struct FunnelBars {
    /// The ladder's stages, first to last.
    pub stages: Vec<String>,
    /// Each group and its counts, one per stage.
    pub groups: Vec<(String, Vec<Option<u64>>)>,
    /// The caption under the chart.
    pub caption: String,
}

/// One period of the drift chart.
#[derive(Debug, Clone)]
pub struct DriftPoint {
    /// "2025Q3".
    pub period: String,
    /// The mean score gap.
    pub gap: f64,
    /// Its standard error.
    pub se: f64,
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

/// An interval for people: "1.13–5.55", "-0.71 to -0.48" when a bound is
/// negative (a dash beside a minus sign misreads), or "–" when undefined.
pub fn fmt_interval(low: Option<f64>, high: Option<f64>) -> String {
    match (low, high) {
        (Some(l), Some(h)) if l < 0.0 || h < 0.0 => format!("{l:.2} to {h:.2}"),
        (Some(l), Some(h)) => format!("{l:.2}–{h:.2}"),
        _ => "–".to_string(),
    }
}

/// A χ² test as one cell: "12.70 (1 df), p 0.0004"; "–" when undefined.
pub fn fmt_chi2(chi2: Option<f64>, df: Option<u32>, p: Option<f64>) -> String {
    match (chi2, df) {
        (Some(x), Some(d)) => format!("{x:.2} ({d} df), p {}", fmt_p(p)),
        _ => "–".into(),
    }
}

/// An RFC 3339 time in words, as people write dates: "1 January 2026,
/// 09:30 UTC". Text that is not such a time is returned as it is.
pub fn date_in_words(rfc3339: &str) -> String {
    let parts = (|| {
        let (date, time) = rfc3339.split_once('T')?;
        let day = day_words(date)?;
        let hm = time.get(..5)?;
        let zone = if time.ends_with('Z') {
            " UTC".to_string()
        } else {
            time.find(['+', '-'])
                .map(|at| format!(" UTC{}", &time[at..]))
                .unwrap_or_default()
        };
        Some(format!("{day}, {hm}{zone}"))
    })();
    parts.unwrap_or_else(|| rfc3339.to_string())
}

/// An ISO date ("2025-07-01") in words ("1 July 2025"); the text itself
/// when it is not one.
pub fn day_in_words(iso: &str) -> String {
    day_words(iso).unwrap_or_else(|| iso.to_string())
}

fn day_words(iso: &str) -> Option<String> {
    const MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let mut d = iso.splitn(3, '-');
    let (y, m, day) = (d.next()?, d.next()?, d.next()?);
    let month = MONTHS.get(m.parse::<usize>().ok()?.checked_sub(1)?)?;
    let day: u32 = day.parse().ok()?;
    Some(format!("{day} {month} {y}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_written_as_people_read_them() {
        assert_eq!(Cell::Rate(Some(0.4451345)).shown(), "44.5%");
        assert_eq!(Cell::Ratio(Some(1.25)).shown(), "1.25");
        assert_eq!(Cell::P(Some(2.879e-6)).shown(), "<0.0001");
        assert_eq!(Cell::P(Some(0.04)).shown(), "0.0400");
        assert_eq!(
            Cell::Interval(Some(1.127), Some(5.553)).shown(),
            "1.13–5.55"
        );
        assert_eq!(Cell::Interval(None, Some(5.553)).shown(), "–");
        assert_eq!(
            Cell::Interval(Some(-0.71), Some(-0.48)).shown(),
            "-0.71 to -0.48"
        );
        let hidden = Count {
            value: 3,
            suppressed: true,
        };
        assert_eq!(Cell::Count(hidden).shown(), "[c]");
        assert_eq!(Cell::count(1234u64).shown(), "1234");
        assert!(Cell::count(3u64).is_number() && !Cell::text("3").is_number());
    }

    #[test]
    fn dates_are_written_in_words() {
        assert_eq!(
            date_in_words("2026-01-01T00:00:00Z"),
            "1 January 2026, 00:00 UTC"
        );
        assert_eq!(
            date_in_words("2025-10-31T09:30:15+01:00"),
            "31 October 2025, 09:30 UTC+01:00"
        );
        assert_eq!(date_in_words("yesterday"), "yesterday");
        assert_eq!(
            date_in_words("2025-13-01T00:00:00Z"),
            "2025-13-01T00:00:00Z"
        );
    }
}
