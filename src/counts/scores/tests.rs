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
