//! The parts: rows in the part their key gives, in order when asked,
//! categoricals as codes, folders removed when dropped or interrupted.

use std::sync::Mutex;

use super::folders::remove_live_folders;
use super::*;

/// The tests that make parts run one at a time: one of them removes
/// every live folder, as the interrupt handler does.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner())
}

fn rows(keys: &[Option<u64>]) -> LazyFrame {
    let labels: Vec<String> = (0..keys.len()).map(|i| format!("row {i}")).collect();
    df!("key" => keys, "label" => labels).unwrap().lazy()
}

/// `rows` of `table` split into `of` parts (in their order with
/// `in_order`), keyed by their column `key`, in a folder in `parent`.
fn split(parent: &Path, table: TableKind, rows: LazyFrame, in_order: bool, of: u64) -> Arc<Parts> {
    Parts::write(
        parent,
        vec![ToSplit {
            written: table.into(),
            rows,
            key: col("key"),
        }],
        in_order,
        of,
        &[],
        &Profile::canonical(),
    )
    .unwrap()
}

fn sorted_labels(frame: LazyFrame) -> Vec<String> {
    let df = frame.collect().unwrap();
    let mut out: Vec<String> = df
        .column("label")
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .map(|v| v.unwrap().to_string())
        .collect();
    out.sort();
    out
}

/// Every row lands in the part its key gives (a null key in part 0),
/// nothing is lost or doubled, and a part no row fell in reads as an
/// empty table with the columns.
#[test]
fn each_row_is_in_the_part_its_key_gives() {
    let _alone = one_at_a_time();
    let keys = [Some(0), Some(4), Some(7), None, Some(12), Some(3), Some(8)];
    let parent = tempfile::tempdir().unwrap();
    let parts = split(parent.path(), TableKind::Scores, rows(&keys), false, 4);
    let expect = |wanted: &[usize]| -> Vec<String> {
        let mut v: Vec<String> = wanted.iter().map(|i| format!("row {i}")).collect();
        v.sort();
        v
    };
    // Keys mod 4: 0, 0, 3, (null) 0, 0, 3, 0.
    assert_eq!(
        sorted_labels(parts.scan(TableKind::Scores, 0)),
        expect(&[0, 1, 3, 4, 6])
    );
    assert_eq!(
        sorted_labels(parts.scan(TableKind::Scores, 3)),
        expect(&[2, 5])
    );
    for empty in [1, 2] {
        let df = parts.scan(TableKind::Scores, empty).collect().unwrap();
        assert_eq!(df.height(), 0);
        let names: Vec<&str> = df.get_column_names().iter().map(|n| n.as_str()).collect();
        // The key column stays; only the part number is left out.
        assert_eq!(names, ["key", "label"]);
    }
    // The folder goes with the parts.
    let folder = parts.dir.path().to_path_buf();
    assert!(folder.is_dir());
    drop(parts);
    assert!(!folder.exists());
}

/// Tables written together are each split by their own key, into
/// folders of their own: the candidate check's pairs by the candidate,
/// beside rows by the application; a pass's scan of one is not the
/// other's, and what was not written is not there.
#[test]
fn each_table_is_split_by_its_own_key() {
    let _alone = one_at_a_time();
    let parent = tempfile::tempdir().unwrap();
    let keys = [Some(1), Some(2), Some(3), Some(4), Some(5), Some(6)];
    // The pairs' key is the rows' reversed: 6, 5, 4, 3, 2, 1.
    let pairs = rows(&keys).with_column((lit(7u64) - col("key")).alias("candidate"));
    let parts = Parts::write(
        parent.path(),
        vec![
            ToSplit {
                written: TableKind::Applications.into(),
                rows: rows(&keys),
                key: col("key"),
            },
            ToSplit {
                written: Written::CandidatePairs,
                rows: pairs,
                key: col("candidate"),
            },
        ],
        false,
        3,
        &[],
        &Profile::canonical(),
    )
    .unwrap();
    let labels =
        |rows: &[usize]| -> Vec<String> { rows.iter().map(|i| format!("row {i}")).collect() };
    // Rows by key mod 3: part 0 holds keys 3 and 6 (rows 2 and 5);
    // pairs by candidate mod 3: candidates 6 and 3 (rows 0 and 3).
    assert_eq!(
        sorted_labels(parts.scan(TableKind::Applications, 0)),
        labels(&[2, 5])
    );
    assert_eq!(
        sorted_labels(parts.scan(Written::CandidatePairs, 0)),
        labels(&[0, 3])
    );
    // Candidates 5 and 2 mod 3 are 2: rows 1 and 4.
    let pairs_2 = parts.scan_if_written(Written::CandidatePairs, 2).unwrap();
    assert_eq!(sorted_labels(pairs_2), labels(&[1, 4]));
    assert!(parts.scan_if_written(TableKind::Scores.into(), 0).is_none());
    let folders: Vec<String> = std::fs::read_dir(parts.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    assert_eq!(folders, ["applications", "candidate_pairs"]);
}

/// A categorical column is written as its codes (the files hold
/// numbers, not text) and read back as the same categorical, nulls
/// kept, in a part with rows and in one without.
#[test]
fn categoricals_are_written_as_codes_and_read_back() {
    let _alone = one_at_a_time();
    let global = DataType::from_categories(Categories::global());
    let labels = [
        Some("Black African"),
        None,
        Some("White"),
        Some("Black African"),
    ];
    let table = df!("key" => [0u64, 2, 4, 1], "label" => labels)
        .unwrap()
        .lazy()
        .with_column(col("label").cast(global.clone()));
    let parent = tempfile::tempdir().unwrap();
    let parts = split(parent.path(), TableKind::Scores, table, false, 3);
    // Keys mod 3: 0, 2, 1, 1.
    let part = |index| parts.scan(TableKind::Scores, index).collect().unwrap();
    let read = part(1).sort(["key"], Default::default()).unwrap();
    assert_eq!(read.column("label").unwrap().dtype(), &global);
    let texts: Vec<Option<String>> = read
        .column("label")
        .unwrap()
        .cast(&DataType::String)
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .map(|v| v.map(String::from))
        .collect();
    assert_eq!(
        texts,
        [Some("Black African".to_string()), Some("White".to_string())]
    );
    assert_eq!(part(2).column("label").unwrap().null_count(), 1);
    let folder = table_dir(parts.dir.path(), TableKind::Scores).join(format!("{PART}=1"));
    let file = std::fs::read_dir(folder).unwrap().next().unwrap().unwrap();
    let written = LazyFrame::scan_ipc(
        PlRefPath::new(file.path().to_string_lossy().as_ref()),
        IpcScanOptions::default(),
        UnifiedScanArgs::default(),
    )
    .unwrap()
    .collect_schema()
    .unwrap();
    assert_eq!(written.get("label"), Some(&DataType::UInt32));
    let empty = split(
        parent.path(),
        TableKind::Scores,
        part(0).lazy().filter(lit(false)),
        false,
        2,
    );
    let none = empty.scan(TableKind::Scores, 1).collect().unwrap();
    assert_eq!(none.column("label").unwrap().dtype(), &global);
}

/// In order, each part holds its rows in the order they were read
/// (the exact plan keeps each id's first row): 400,000 rows, many
/// batches of the streaming engine, into 8 parts (and 60, two passes),
/// each read back with its row numbers rising. (polars 0.55 on two
/// cores happened to keep the order here without being asked too; the
/// sink's `maintain_order` is what it promises.)
#[test]
fn parts_written_in_order_keep_the_order_read() {
    let _alone = one_at_a_time();
    let n = 400_000u64;
    let mut rows = df!(
        "key" => (0..n).map(|i| i.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 7).collect::<Vec<u64>>(),
        "row" => (0..n).collect::<Vec<u64>>()
    )
    .unwrap();
    // Read from a file of many row groups, which the engine reads on
    // every thread at once, as it reads an export.
    let input = tempfile::tempdir().unwrap();
    let file = input.path().join("rows.parquet");
    ParquetWriter::new(std::fs::File::create(&file).unwrap())
        .with_row_group_size(Some(5_000))
        .finish(&mut rows)
        .unwrap();
    let rows = LazyFrame::scan_parquet(
        PlRefPath::new(file.to_string_lossy().as_ref()),
        ScanArgsParquet::default(),
    )
    .unwrap();
    for of in [8, 60] {
        let parent = tempfile::tempdir().unwrap();
        let parts = split(
            parent.path(),
            TableKind::Applications,
            rows.clone(),
            true,
            of,
        );
        let mut total = 0;
        for index in 0..of {
            let df = parts
                .scan(TableKind::Applications, index)
                .collect()
                .unwrap();
            let row: Vec<u64> = df
                .column("row")
                .unwrap()
                .u64()
                .unwrap()
                .into_no_null_iter()
                .collect();
            assert!(row.len() > 1000, "part {index} of {of}: {} rows", row.len());
            assert!(
                row.windows(2).all(|w| w[0] < w[1]),
                "part {index} of {of}: rows out of the order read"
            );
            total += row.len();
        }
        assert_eq!(total as u64, n);
    }
}

/// Split into more parts than one pass writes, every row still lands
/// in its own part once: 120 parts are written in three passes.
#[test]
fn parts_written_in_several_passes_hold_every_row_once() {
    let _alone = one_at_a_time();
    assert_eq!(passes_for(120), 3);
    assert_eq!(passes_for(41), 1);
    let keys: Vec<Option<u64>> = (0..200u64)
        .map(|k| (k % 17 != 5).then_some(k * 7919))
        .collect();
    let parent = tempfile::tempdir().unwrap();
    let parts = split(parent.path(), TableKind::Scores, rows(&keys), false, 120);
    for part in 0..120u64 {
        let mut expected: Vec<String> = keys
            .iter()
            .enumerate()
            .filter(|(_, k)| k.map_or(0, |k| k % 120) == part)
            .map(|(i, _)| format!("row {i}"))
            .collect();
        expected.sort();
        assert_eq!(
            sorted_labels(parts.scan(TableKind::Scores, part)),
            expected,
            "part {part}"
        );
    }
}

/// An interrupted run's parts are removed by its handler, and parts
/// dropped are no longer its business.
#[test]
fn interrupted_parts_are_removed() {
    let _alone = one_at_a_time();
    let parent = tempfile::tempdir().unwrap();
    let write = || {
        split(
            parent.path(),
            TableKind::Scores,
            rows(&[Some(1), Some(2)]),
            false,
            2,
        )
    };
    let (kept, dropped) = (write(), write());
    let dropped_folder = dropped.dir.path().to_path_buf();
    drop(dropped);
    assert!(!dropped_folder.exists());
    assert!(!live_folders().contains(&dropped_folder));
    let folder = kept.dir.path().to_path_buf();
    assert!(live_folders().contains(&folder));
    assert_eq!(remove_live_folders(), 1);
    assert!(!folder.exists());
    assert!(std::fs::read_dir(parent.path()).unwrap().next().is_none());
}

/// A temporary folder that cannot be made is a usage error naming it,
/// with what to do.
#[test]
fn a_folder_that_cannot_be_made_is_named() {
    let _alone = one_at_a_time();
    let parent = tempfile::tempdir().unwrap();
    let missing = parent.path().join("not-there");
    let err = Parts::write(
        &missing,
        vec![ToSplit {
            written: TableKind::Scores.into(),
            rows: rows(&[Some(1)]),
            key: col("key"),
        }],
        false,
        2,
        &[],
        &Profile::canonical(),
    )
    .unwrap_err();
    let text = err.to_string();
    assert!(text.contains("not-there"), "{text}");
    assert!(err.exit_code() == 2, "{text}");
}
