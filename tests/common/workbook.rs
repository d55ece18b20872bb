//! Reading workbooks back: sheets as rows of cells (calamine), and each
//! cell's number format (from the package's XML, which calamine does not
//! expose).

use std::collections::HashMap;
use std::path::Path;

use calamine::{Data, Reader, Xlsx, open_workbook};

/// A sheet as rows of cells.
pub fn sheet(path: &Path, name: &str) -> Vec<Vec<Data>> {
    let mut book: Xlsx<_> = open_workbook(path).expect("open workbook");
    let range = book.worksheet_range(name).expect("sheet");
    range.rows().map(|r| r.to_vec()).collect()
}

/// The sheets' names in tab order.
pub fn sheet_names(path: &Path) -> Vec<String> {
    let book: Xlsx<_> = open_workbook(path).expect("open workbook");
    book.sheet_names()
}

/// A cell reference ("A1") of a 0-based row and column (up to column Z).
pub fn at(row: usize, col: usize) -> String {
    format!(
        "{}{}",
        char::from(b'A' + u8::try_from(col).unwrap()),
        row + 1
    )
}

/// Each cell's number format in a worksheet of the workbook (`sheet` is
/// 1-based, in tab order), read from the package's XML: calamine reads
/// values, not formats.
pub fn number_formats(path: &Path, sheet: usize) -> HashMap<String, String> {
    use std::io::Read;
    let mut zip = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut read = |name: &str| {
        let mut text = String::new();
        zip.by_name(name)
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        text
    };
    let styles = read("xl/styles.xml");
    let cells = read(&format!("xl/worksheets/sheet{sheet}.xml"));
    let attr = |tag: &str, name: &str| -> Option<String> {
        let tag = format!(" {tag}");
        let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
        Some(tag[start..start + tag[start..].find('"')?].to_string())
    };
    let unescape = |s: String| {
        s.replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&amp;", "&")
    };
    // Built-in formats by id (ECMA-376 Part 1, 18.8.30), then the custom ones.
    let mut codes: HashMap<String, String> = [
        ("0", "General"),
        ("1", "0"),
        ("2", "0.00"),
        ("3", "#,##0"),
        ("4", "#,##0.00"),
        ("9", "0%"),
        ("10", "0.00%"),
    ]
    .into_iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    for tag in styles.split("<numFmt ").skip(1) {
        codes.insert(
            attr(tag, "numFmtId").unwrap(),
            unescape(attr(tag, "formatCode").unwrap()),
        );
    }
    let xfs_start = styles.find("<cellXfs").unwrap();
    let xfs_end = styles.find("</cellXfs>").unwrap();
    let xf_formats: Vec<String> = styles[xfs_start..xfs_end]
        .split("<xf ")
        .skip(1)
        .map(|tag| codes[&attr(tag, "numFmtId").unwrap()].clone())
        .collect();
    cells
        .split("<c ")
        .skip(1)
        .map(|tag| {
            let tag = &tag[..tag.find('>').unwrap()];
            let style: usize = attr(tag, "s").map_or(0, |s| s.parse().unwrap());
            (attr(tag, "r").unwrap(), xf_formats[style].clone())
        })
        .collect()
}
