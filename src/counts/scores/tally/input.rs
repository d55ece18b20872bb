//! The tally's input read as numbers, and its rows grouped by
//! application and stage.

use polars::prelude::*;

use crate::taxonomy::Taxonomy;

/// The input's columns as numbers (keys as codes, equal where the values
/// are).
pub(super) struct Rows {
    pub(super) application: Vec<u64>,
    pub(super) stage: Vec<i32>,
    pub(super) assessor: Vec<u32>,
    pub(super) value: Vec<f64>,
    pub(super) order: Vec<u64>,
    pub(super) status: Vec<i32>,
    pub(super) label: Vec<u32>,
    pub(super) sex: Vec<u32>,
    pub(super) period: Vec<i32>,
    /// The differentials' applicants: the label's class code, or the
    /// label's code.
    pub(super) applicants: Vec<u32>,
}

impl Rows {
    /// The columns read on two threads (polars waits while the tally
    /// runs): the labels, classified, on one; the rest on the other.
    pub(super) fn read(df: &DataFrame, classes: Option<&Taxonomy>) -> PolarsResult<Rows> {
        let (labels, rest) = std::thread::scope(|scope| {
            let labels = scope.spawn(|| labels(df, classes));
            let rest = (|| -> PolarsResult<_> {
                Ok((
                    codes64(df.column("application_id")?)?,
                    i32s(df.column("stage_rank")?)?,
                    codes32(df.column("assessor_id")?)?,
                    f64s(df.column("value")?)?,
                    codes64(df.column("row")?)?,
                    i32s(df.column("status")?)?,
                    codes32(df.column("sex")?)?,
                    i32s(df.column("period")?)?,
                ))
            })();
            (labels.join().expect("reading the labels"), rest)
        });
        let (label, applicants) = labels?;
        let (application, stage, assessor, value, order, status, sex, period) = rest?;
        Ok(Rows {
            application,
            stage,
            assessor,
            value,
            order,
            status,
            label,
            sex,
            period,
            applicants,
        })
    }
}

/// The labels' codes, and the differentials' applicants: with `classes`
/// each label's class (classified once, from the text of its first row),
/// else the label's code again.
fn labels(df: &DataFrame, classes: Option<&Taxonomy>) -> PolarsResult<(Vec<u32>, Vec<u32>)> {
    let ethnicity = df.column("ethnicity")?;
    let label = codes32(ethnicity)?;
    let Some(taxonomy) = classes else {
        return Ok((label.clone(), label));
    };
    let mut class_of: PlHashMap<u32, u32> = PlHashMap::new();
    let mut applicants = Vec::with_capacity(label.len());
    for (row, code) in label.iter().enumerate() {
        let class = match class_of.get(code) {
            Some(class) => *class,
            None => {
                let text = ethnicity.get(row)?;
                let class = taxonomy.classify(text.get_str()).code() as u32;
                class_of.insert(*code, class);
                class
            }
        };
        applicants.push(class);
    }
    Ok((label, applicants))
}

/// The rows grouped by application and stage: row numbers in group order
/// (each group's in the order they came), and where each group starts.
pub(super) struct Groups {
    sorted: Vec<u32>,
    starts: Vec<u32>,
}

impl Groups {
    /// The rows `of` (row numbers, rising) grouped: a counting sort on
    /// each pair's number, numbered in order of first appearance. A row
    /// of the same pair as the row before it (the usual case: exports list
    /// an application's scores together) skips the look-up.
    pub(super) fn of(rows: &Rows, of: &[u32]) -> Groups {
        let height = of.len();
        let mut numbers: PlHashMap<(u64, i32), u32> = PlHashMap::with_capacity(height / 2);
        let mut group = Vec::with_capacity(height);
        let mut before = None;
        for &r in of {
            let key = (rows.application[r as usize], rows.stage[r as usize]);
            let g = match (group.last(), before) {
                (Some(&g), Some(last)) if last == key => g,
                _ => {
                    let next = numbers.len() as u32;
                    *numbers.entry(key).or_insert(next)
                }
            };
            before = Some(key);
            group.push(g);
        }
        let groups = numbers.len();
        drop(numbers);
        let mut starts = vec![0u32; groups + 1];
        for &g in &group {
            starts[g as usize + 1] += 1;
        }
        for g in 0..groups {
            starts[g + 1] += starts[g];
        }
        let mut fill = starts.clone();
        let mut sorted = vec![0u32; height];
        for (&r, &g) in of.iter().zip(&group) {
            sorted[fill[g as usize] as usize] = r;
            fill[g as usize] += 1;
        }
        Groups { sorted, starts }
    }

    pub(super) fn len(&self) -> usize {
        self.starts.len() - 1
    }

    pub(super) fn rows(&self, g: usize) -> &[u32] {
        &self.sorted[self.starts[g] as usize..self.starts[g + 1] as usize]
    }
}

/// An application key column's values as numbers, equal where the
/// values are: the ids' hash as it is, or a text id's number.
fn codes64(c: &Column) -> PolarsResult<Vec<u64>> {
    let s = c.as_materialized_series();
    if let Ok(text) = s.str() {
        return Ok(numbered(text)
            .into_iter()
            .map(|n| {
                if n == u32::MAX {
                    u64::MAX
                } else {
                    u64::from(n)
                }
            })
            .collect());
    }
    let s = s.cast(&DataType::UInt64)?;
    Ok(s.u64()?.iter().map(|v| v.unwrap_or(u64::MAX)).collect())
}

/// A key column's values as numbers, equal where the values are: a
/// categorical's codes, or a text's numbers; null as `u32::MAX`.
fn codes32(c: &Column) -> PolarsResult<Vec<u32>> {
    let s = c.as_materialized_series();
    if let Ok(text) = s.str() {
        return Ok(numbered(text));
    }
    let physical = s.to_physical_repr().cast(&DataType::UInt32)?;
    Ok(physical
        .u32()?
        .iter()
        .map(|v| v.unwrap_or(u32::MAX))
        .collect())
}

/// Each text's number in order of first appearance; null as `u32::MAX`.
fn numbered(text: &StringChunked) -> Vec<u32> {
    let mut numbers: PlHashMap<&str, u32> = PlHashMap::new();
    text.iter()
        .map(|t| match t {
            None => u32::MAX,
            Some(t) => {
                let next = numbers.len() as u32;
                *numbers.entry(t).or_insert(next)
            }
        })
        .collect()
}

fn i32s(c: &Column) -> PolarsResult<Vec<i32>> {
    let s = c.cast(&DataType::Int32)?;
    Ok(s.i32()?.iter().map(|v| v.unwrap_or(i32::MIN)).collect())
}

pub(super) fn f64s(c: &Column) -> PolarsResult<Vec<f64>> {
    let s = c.cast(&DataType::Float64)?;
    Ok(s.f64()?.iter().map(|v| v.unwrap_or(f64::NAN)).collect())
}
