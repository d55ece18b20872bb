//! Dates as exports write them (ISO, UK style, Excel serial days), read
//! inside the counting plan into the numbers the counts are keyed by: a
//! quarter (20251) for score periods and report periods, a day (20250930)
//! for the period a report covers.
//!
//! A column of dates holds few distinct values (a few thousand days in tens
//! of millions of rows), so each batch's distinct texts are read once, in
//! Rust, and the rest looked up. Written as polars expressions (strip,
//! three slices and casts per part, a choice between three forms) the
//! reading cost about a tenth of a full audit's time.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use polars::prelude::*;

/// Year × 10 + quarter from a date written "YYYY-MM-DD…", "DD/MM/YYYY" or
/// as an Excel serial day number (e.g. 45658 = 1 Jan 2025, as a date column
/// saved from Excel without formatting); null for anything else.
pub(crate) fn quarter_key(date: Expr) -> Expr {
    keyed(date, "quarter_key", |text| {
        let (year, month, _) = date_parts(text);
        let (year, month) = (year?, plausible_month(month?)?);
        (year > 1900).then_some(year * 10 + (month - 1) / 3 + 1)
    })
}

/// A date as the number yyyymmdd (20250930), null when it does not read
/// as a date (a day the month does not have, 31/02/2025, included); the
/// same readings as [`quarter_key`].
pub(crate) fn day_key(date: Expr) -> Expr {
    keyed(date, "day_key", |text| {
        let (year, month, day) = date_parts(text);
        let (year, month, day) = (year?, plausible_month(month?)?, day?);
        let valid =
            year > 1900 && NaiveDate::from_ymd_opt(year, month as u32, day as u32).is_some();
        valid.then_some(year * 10_000 + month * 100 + day)
    })
}

fn plausible_month(month: i32) -> Option<i32> {
    (1..=12).contains(&month).then_some(month)
}

/// `key` of each value of a text (or categorical) column, as Int32; each
/// distinct value of a batch worked out once.
fn keyed(date: Expr, name: &'static str, key: fn(&str) -> Option<i32>) -> Expr {
    date.cast(DataType::String).map_with_fmt_str(
        move |c: Column| {
            let mut memo: HashMap<&str, Option<i32>> = HashMap::new();
            let texts = c.str()?;
            let keys: Int32Chunked = texts
                .iter()
                .map(|t| t.and_then(|t| *memo.entry(t).or_insert_with(|| key(t))))
                .collect();
            Ok(keys.with_name(c.name().clone()).into_column())
        },
        |_: &Schema, field: &Field| Ok(Field::new(field.name().clone(), DataType::Int32)),
        name,
    )
}

/// Year, month and day of a date written ISO (2025-09-30, with or without
/// a time after it), UK style (30/09/2025) or as an Excel serial day
/// (20,000 to 80,000: 1954 to 2119), each `None` where its digits do not
/// read as a number. Surrounding whitespace is ignored; anything else is
/// three `None`s.
fn date_parts(text: &str) -> (Option<i32>, Option<i32>, Option<i32>) {
    let text = text.trim();
    let number = |from: usize, len: usize| -> Option<i32> {
        let digits: String = text.chars().skip(from).take(len).collect();
        digits.parse().ok()
    };
    let char_at = |at: usize| text.chars().nth(at);
    if char_at(4) == Some('-') {
        return (number(0, 4), number(5, 2), number(8, 2));
    }
    if char_at(2) == Some('/') && char_at(5) == Some('/') {
        return (number(6, 4), number(3, 2), number(0, 2));
    }
    // Excel counts days from 30 December 1899 (its serial 25569 is
    // 1 January 1970).
    match text.parse::<i32>() {
        Ok(serial @ 20_000..=80_000) => {
            let epoch = NaiveDate::from_ymd_opt(1899, 12, 30).expect("a valid date");
            match epoch.checked_add_days(chrono::Days::new(serial as u64)) {
                Some(d) => (Some(d.year()), Some(d.month() as i32), Some(d.day() as i32)),
                None => (None, None, None),
            }
        }
        _ => (None, None, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(key: fn(Expr) -> Expr, dates: &[Option<&str>]) -> Vec<Option<i32>> {
        let df = df!("d" => dates).unwrap();
        let out = df
            .lazy()
            .select([key(col("d")).alias("k")])
            .collect()
            .unwrap();
        crate::counts::i32_column(&out, "k").unwrap()
    }

    // Excel serial days: 44927 is 1 January 2023 and 45658 is 1 January
    // 2025 (Excel: =DATE(2025,1,1) formatted as a number); serials count
    // from 30 December 1899 (Python's date(1899, 12, 30) + timedelta(days)
    // gives the same days: 45700 is 12 February 2025, 45351 is 29 February
    // 2024, 20000 is 3 October 1954, 80000 is 11 January 2119).
    #[test]
    fn quarters_from_every_date_form() {
        let dates = [
            Some("2025-01-15"),
            Some("15/04/2025"),
            Some("45700"),
            Some("2025-07-01T09:00:00"),
            Some("31/12/2024"),
            Some("not a date"),
            Some("2025-13-01"),
            None,
            Some("  2025-10-01 "),
            Some("30/09/2025 14:30"),
            Some("44927"),
            Some("19999"),
            Some("80001"),
            Some("1900-01-01"),
            Some("2025-1-5"),
        ];
        assert_eq!(
            keys(quarter_key, &dates),
            vec![
                Some(20251),
                Some(20252),
                Some(20251),
                Some(20253),
                Some(20244),
                None,
                None,
                None,
                Some(20254),
                Some(20253),
                Some(20231),
                None,
                None,
                None,
                None,
            ]
        );
    }

    #[test]
    fn days_from_every_date_form() {
        let dates = [
            Some("2025-09-30"),
            Some("30/09/2025"),
            Some("45658"),
            Some("45700"),
            Some("45351"),
            Some("20000"),
            Some("80000"),
            Some("2025-02-31"),
            Some("29/02/2024"),
            Some("29/02/2025"),
            Some("2025-09"),
            Some(" 01/01/2026\t"),
            Some(""),
        ];
        assert_eq!(
            keys(day_key, &dates),
            vec![
                Some(20250930),
                Some(20250930),
                Some(20250101),
                Some(20250212),
                Some(20240229),
                Some(19541003),
                Some(21190111),
                None,
                Some(20240229),
                None,
                None,
                Some(20260101),
                None,
            ]
        );
    }

    #[test]
    fn categorical_dates_read_as_their_text() {
        let df = df!("d" => [Some("2025-01-15"), Some("2025-01-15"), None]).unwrap();
        let out = df
            .lazy()
            .select([
                quarter_key(col("d").cast(DataType::from_categories(Categories::global())))
                    .alias("k"),
            ])
            .collect()
            .unwrap();
        assert_eq!(
            crate::counts::i32_column(&out, "k").unwrap(),
            vec![Some(20251), Some(20251), None]
        );
    }
}
