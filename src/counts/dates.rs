//! Dates as exports write them (ISO, UK style, Excel serial days), read
//! inside the counting plan into the numbers the counts are keyed by: a
//! quarter (20251) for score periods and report periods, a day (20250930)
//! for the period a report covers.

use polars::prelude::*;

/// Year × 10 + quarter from a date written "YYYY-MM-DD…", "DD/MM/YYYY" or
/// as an Excel serial day number (e.g. 45700 = 13 Feb 2025, as a date column
/// saved from Excel without formatting); null for anything else.
pub(crate) fn quarter_key(date: Expr) -> Expr {
    let (year, month, _, valid) = date_parts(date);
    when(valid)
        .then(year * lit(10) + (month - lit(1)) / lit(3) + lit(1))
        .otherwise(lit(NULL).cast(DataType::Int32))
        .cast(DataType::Int32)
}

/// A date as the number yyyymmdd (20250930), null when it does not read
/// as a date; the same readings as [`quarter_key`].
pub(crate) fn day_key(date: Expr) -> Expr {
    let (year, month, day, valid) = date_parts(date);
    let valid = valid
        .and(day.clone().gt_eq(lit(1)))
        .and(day.clone().lt_eq(lit(31)));
    when(valid)
        .then(year * lit(10_000) + month * lit(100) + day)
        .otherwise(lit(NULL).cast(DataType::Int32))
        .cast(DataType::Int32)
}

/// Year, month and day of a date written ISO (2025-09-30), UK style
/// (30/09/2025) or as an Excel serial day, and whether year and month are
/// plausible.
fn date_parts(date: Expr) -> (Expr, Expr, Expr, Expr) {
    let s = date.cast(DataType::String).str().strip_chars(lit(NULL));
    let part = |offset: i64, length: u64| {
        s.clone()
            .str()
            .slice(lit(offset), lit(length))
            .cast(DataType::Int32)
    };
    let char_at = |offset: i64| s.clone().str().slice(lit(offset), lit(1u64));
    let iso = char_at(4).eq(lit("-"));
    let uk = char_at(2).eq(lit("/")).and(char_at(5).eq(lit("/")));
    // Excel counts days from 30 December 1899; 25569 is 1 January 1970.
    let serial = s.clone().cast(DataType::Int32);
    let is_serial = serial
        .clone()
        .gt_eq(lit(20_000))
        .and(serial.clone().lt_eq(lit(80_000)))
        .fill_null(lit(false));
    let serial_date = (serial - lit(25_569)).cast(DataType::Date);
    let pick = |iso_part: Expr, uk_part: Expr, serial_part: Expr| {
        when(iso.clone())
            .then(iso_part)
            .when(uk.clone())
            .then(uk_part)
            .when(is_serial.clone())
            .then(serial_part.cast(DataType::Int32))
            .otherwise(lit(NULL).cast(DataType::Int32))
    };
    let year = pick(part(0, 4), part(6, 4), serial_date.clone().dt().year());
    let month = pick(part(5, 2), part(3, 2), serial_date.clone().dt().month());
    let day = pick(part(8, 2), part(0, 2), serial_date.dt().day());
    let valid = month
        .clone()
        .gt_eq(lit(1))
        .and(month.clone().lt_eq(lit(12)))
        .and(year.clone().gt(lit(1900)));
    (year, month, day, valid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quarters_from_every_date_form() {
        // Excel's serial 45700 is 13 February 2025 (Excel: =DATE(2025,2,13)
        // shows 45700 when formatted as a number).
        let dates = [
            Some("2025-01-15"),
            Some("15/04/2025"),
            Some("45700"),
            Some("2025-07-01T09:00:00"),
            Some("31/12/2024"),
            Some("not a date"),
            Some("2025-13-01"),
            None,
        ];
        let df = df!("d" => dates).unwrap();
        let out = df
            .lazy()
            .select([quarter_key(col("d")).alias("q")])
            .collect()
            .unwrap();
        let q = crate::counts::i32_column(&out, "q").unwrap();
        assert_eq!(
            q,
            vec![
                Some(20251),
                Some(20252),
                Some(20251),
                Some(20253),
                Some(20244),
                None,
                None,
                None
            ]
        );
    }
}
