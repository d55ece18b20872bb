//! The line check of a CSV table, in one pass over its bytes: every record
//! has the header's number of fields, and the text is UTF-8. polars is
//! lenient about both (it pads short rows and truncates long ones), so
//! without this a shifted column would be counted in silence.
//!
//! It follows the csv crate's reading rules (RFC 4180 quoting, `""` for a
//! quote inside a quoted field, `\r\n`, `\n` or `\r` ending a record, empty
//! lines skipped), and gives the same verdicts (a property test checks
//! this), but builds no records: it runs beside the counting pass on the
//! second core, where the csv crate's reader spent 6.3 s of the 10M-row
//! bench extract's 1.6 GB and this about 1 GB/s (the whole hashing thread
//! now 4.7 s; benches/RESULTS.md). The line of a ragged record is the line
//! it starts on; of bad UTF-8, the line the byte is on.

use std::io::Read;
use std::path::Path;

use super::not_utf8;
use crate::error::{Error, Result};

/// Where the scanner is within a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Between records (empty lines are skipped here).
    StartRecord,
    /// At the start of a field.
    StartField,
    /// Inside a field that did not start with a quote.
    Unquoted,
    /// Inside a quoted field.
    Quoted,
    /// Just after a quote inside a quoted field: `""` (a quote), or the
    /// field's closing quote.
    QuoteInQuoted,
}

/// Counts fields record by record and lines as it goes.
struct Scanner {
    delimiter: u8,
    state: State,
    /// Fields of the record being read.
    fields: usize,
    /// Fields of the header (the first record).
    expected: Option<usize>,
    /// Line the scanner is on, from 1.
    line: u64,
    /// Line the record being read started on.
    record_line: u64,
    /// Bytes scanned before the current run.
    consumed: u64,
    /// Where the field being read started, in bytes from the start.
    field_start: u64,
}

/// Longest field accepted, in bytes. Real exports hold names, codes and
/// dates; a field of megabytes is a broken export or a hostile file, and
/// carried through the count it would take gigabytes.
pub const MAX_FIELD_BYTES: u64 = 1 << 20;

/// What stops the check.
enum Problem {
    /// A record with the wrong number of fields.
    Ragged {
        line: u64,
        fields: usize,
        expected: usize,
    },
    /// A field longer than [`MAX_FIELD_BYTES`]: the record's line and the
    /// field's position in it, from 0.
    LongField { line: u64, field: usize },
}

impl Scanner {
    fn new(delimiter: u8) -> Scanner {
        Scanner {
            delimiter,
            state: State::StartRecord,
            fields: 0,
            expected: None,
            line: 1,
            record_line: 1,
            consumed: 0,
            field_start: 0,
        }
    }

    fn end_record(&mut self) -> std::result::Result<(), Problem> {
        self.state = State::StartRecord;
        match self.expected {
            None => {
                self.expected = Some(self.fields);
                Ok(())
            }
            Some(expected) if expected != self.fields => Err(Problem::Ragged {
                line: self.record_line,
                fields: self.fields,
                expected,
            }),
            Some(_) => Ok(()),
        }
    }

    /// Scans a run of bytes; stops at the first ragged record or overlong
    /// field.
    fn scan(&mut self, bytes: &[u8]) -> std::result::Result<(), Problem> {
        let result = self.scan_run(bytes);
        self.consumed += bytes.len() as u64;
        result
    }

    fn scan_run(&mut self, bytes: &[u8]) -> std::result::Result<(), Problem> {
        // Bytes that change nothing (most of them) are skipped in tight
        // loops: inside an unquoted field only the delimiter and line ends
        // matter, inside a quoted one only the quote (and newlines, for the
        // line count).
        let delimiter = self.delimiter;
        let plain = |b: u8| b != delimiter && b != b'\n' && b != b'\r' && b != b'"';
        let mut i = 0;
        while i < bytes.len() {
            match self.state {
                State::Unquoted => {
                    while i < bytes.len() && plain(bytes[i]) {
                        i += 1;
                    }
                }
                State::Quoted => {
                    while i < bytes.len() && bytes[i] != b'"' {
                        if bytes[i] == b'\n' {
                            self.line += 1;
                        }
                        i += 1;
                    }
                }
                _ => {}
            }
            let in_field = !matches!(self.state, State::StartRecord);
            if in_field && self.consumed + i as u64 - self.field_start > MAX_FIELD_BYTES {
                return Err(Problem::LongField {
                    line: self.record_line,
                    field: self.fields - 1,
                });
            }
            let Some(&b) = bytes.get(i) else { break };
            let at = self.consumed + i as u64;
            i += 1;
            let newline = b == b'\n';
            match self.state {
                State::StartRecord => {
                    if !(newline || b == b'\r') {
                        self.fields = 1;
                        self.record_line = self.line;
                        self.field_start = at;
                        self.state = match b {
                            b'"' => State::Quoted,
                            _ if b == delimiter => {
                                self.fields += 1;
                                self.field_start = at + 1;
                                State::StartField
                            }
                            _ => State::Unquoted,
                        };
                    }
                }
                State::StartField | State::Unquoted => {
                    if b == delimiter {
                        self.fields += 1;
                        self.field_start = at + 1;
                        self.state = State::StartField;
                    } else if newline || b == b'\r' {
                        self.end_record()?;
                    } else if b == b'"' && self.state == State::StartField {
                        self.state = State::Quoted;
                    } else {
                        self.state = State::Unquoted;
                    }
                }
                State::Quoted => {
                    if b == b'"' {
                        self.state = State::QuoteInQuoted;
                    }
                }
                State::QuoteInQuoted => {
                    if b == b'"' {
                        self.state = State::Quoted;
                    } else if b == delimiter {
                        self.fields += 1;
                        self.field_start = at + 1;
                        self.state = State::StartField;
                    } else if newline || b == b'\r' {
                        self.end_record()?;
                    } else {
                        // Text after a closing quote belongs to the field.
                        self.state = State::Unquoted;
                    }
                }
            }
            if newline {
                self.line += 1;
            }
        }
        Ok(())
    }

    /// The end of the text ends the last record, terminated or not.
    fn finish(&mut self) -> std::result::Result<(), Problem> {
        match self.state {
            State::StartRecord => Ok(()),
            _ => self.end_record(),
        }
    }
}

/// Checks CSV text read from `text`: the header's number of fields in every
/// record, and UTF-8 throughout. Errors name `path` and the line.
pub(crate) fn check(mut text: impl Read, delimiter: u8, path: &Path) -> Result<()> {
    let mut scanner = Scanner::new(delimiter);
    let mut buffer = vec![0u8; 1 << 20];
    // The start of the text, for the header's names in an error.
    let mut head: Vec<u8> = Vec::new();
    // Bytes of a UTF-8 sequence cut by the end of the last read.
    let mut carried = 0;
    loop {
        let n = text
            .read(&mut buffer[carried..])
            .map_err(|e| Error::io(path, e))?;
        let filled = carried + n;
        if n == 0 {
            if carried > 0 {
                return Err(not_utf8(path).with_line(scanner.line));
            }
            break;
        }
        if head.is_empty() {
            head = buffer[..filled.min(64 << 10)].to_vec();
        }
        let problem = |p| problem(path, p, &head, delimiter);
        let lines_before = scanner.line;
        let usable = match std::str::from_utf8(&buffer[..filled]) {
            Ok(_) => filled,
            // A sequence cut short by the end of the buffer: keep it for
            // the next read.
            Err(e) if e.error_len().is_none() => e.valid_up_to(),
            Err(e) => {
                let at = e.valid_up_to();
                let lines = buffer[..at].iter().filter(|&&b| b == b'\n').count() as u64;
                // The records before the bad byte are checked first, so the
                // earlier problem is the one reported.
                scanner.scan(&buffer[..at]).map_err(problem)?;
                return Err(not_utf8(path).with_line(lines_before + lines));
            }
        };
        scanner.scan(&buffer[..usable]).map_err(problem)?;
        buffer.copy_within(usable..filled, 0);
        carried = filled - usable;
    }
    scanner
        .finish()
        .map_err(|p| problem(path, p, &head, delimiter))
}

fn problem(path: &Path, p: Problem, head: &[u8], delimiter: u8) -> Error {
    let (line, fields, expected) = match p {
        Problem::Ragged {
            line,
            fields,
            expected,
        } => (line, fields, expected),
        Problem::LongField { line, field } => {
            let e = Error::input(
                path,
                format!(
                    "has a field longer than {} MiB; expected names, codes and dates (is a quote left open, or is this not an export?)",
                    MAX_FIELD_BYTES >> 20
                ),
            )
            .with_line(line);
            return match header_name(head, delimiter, field) {
                Some(name) => e.with_column(name),
                None => e.with_hint(format!("it is field {} of the record", field + 1)),
            };
        }
    };
    let e = Error::input(
        path,
        format!(
            "has {fields} fields; expected {expected}, as in the header (is a delimiter or a quote out of place?)"
        ),
    )
    .with_line(line);
    if expected == 1 {
        // A one-column header: the file is most likely separated by
        // something else (a quoted comma inside a field then splits it).
        e.with_hint("the header is one column: if the file is separated by semicolons or tabs, set delimiter = \";\" (or \"tab\") under [csv] in a profile (docs/profiles.md)")
    } else {
        e
    }
}

/// The name of header field `field`, read from the start of the text.
fn header_name(head: &[u8], delimiter: u8, field: usize) -> Option<String> {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(head);
    let header = reader.records().next()?.ok()?;
    let name = header.get(field)?.trim_start_matches('\u{feff}');
    Some(name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The csv crate's verdict on the same text: Ok, or the line of the
    /// first record whose length differs from the header's. The crate
    /// counts a record from the end of the one before, so blank lines
    /// before it are skipped here to find the line it starts on (the line
    /// this check reports).
    fn csv_crate(text: &[u8], delimiter: u8) -> std::result::Result<(), u64> {
        let line_of = |e: csv::Error| {
            let mut at = e.position().map_or(0, |p| p.byte() as usize);
            while at < text.len() && matches!(text[at], b'\r' | b'\n') {
                at += 1;
            }
            text[..at].iter().filter(|&&b| b == b'\n').count() as u64 + 1
        };
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(true)
            .flexible(false)
            .from_reader(text);
        let mut record = csv::ByteRecord::new();
        if let Err(e) = reader.byte_headers() {
            return Err(line_of(e));
        }
        loop {
            match reader.read_byte_record(&mut record) {
                Ok(true) => {}
                Ok(false) => return Ok(()),
                Err(e) => return Err(line_of(e)),
            }
        }
    }

    fn ours(text: &[u8], delimiter: u8) -> std::result::Result<(), u64> {
        check(text, delimiter, Path::new("t.csv")).map_err(|e| e.line().unwrap_or(0))
    }

    #[test]
    fn well_formed_text_passes() {
        let text = "a,b,c\n1,\"x, y\",3\r\n\n4,\"multi\nline \"\"quoted\"\"\",6\n7,8,9";
        assert_eq!(ours(text.as_bytes(), b','), Ok(()));
        assert_eq!(ours(b"a;b\n1;2\n", b';'), Ok(()));
        assert_eq!(ours(b"", b','), Ok(()));
    }

    #[test]
    fn a_ragged_record_is_named_by_its_first_line() {
        let text = b"a,b,c\n1,2,3\n4,\"five\nstill five\",6,7\n";
        let err = check(&text[..], b',', Path::new("t.csv")).unwrap_err();
        assert_eq!(err.line(), Some(3));
        assert!(
            err.to_string().contains("has 4 fields; expected 3"),
            "{err}"
        );
        assert_eq!(ours(b"a,b\n1,2\n3\n", b','), Err(3));
    }

    #[test]
    fn invalid_utf8_is_named_by_its_line() {
        let err = check(&b"a,b\n1,2\n3,\xff\n"[..], b',', Path::new("t.csv")).unwrap_err();
        assert_eq!(err.line(), Some(3));
        assert!(err.to_string().contains("not valid UTF-8"), "{err}");
        // A multi-byte character cut at the end of the text.
        assert_eq!(ours(b"a,b\n1,\xc3", b','), Err(2));
        // And one whole.
        assert_eq!(ours("a,b\n1,é\n".as_bytes(), b','), Ok(()));
    }

    #[test]
    fn a_field_over_the_limit_is_named_by_line_and_column() {
        let limit = MAX_FIELD_BYTES as usize;
        let text =
            |field: &str| format!("id,organisation,stage\n1,ORG1,applied\n2,{field},applied\n");
        // At the limit, quoted or not, it passes.
        assert!(
            check(
                text(&"x".repeat(limit)).as_bytes(),
                b',',
                Path::new("t.csv")
            )
            .is_ok()
        );
        let quoted = format!("\"{}\"", "y".repeat(limit - 2));
        assert!(check(text(&quoted).as_bytes(), b',', Path::new("t.csv")).is_ok());
        // One byte over, in the middle of a record, a quoted multi-line
        // field, and the last field of the file (no line end).
        for (field, line) in [
            ("x".repeat(limit + 1), 3),
            (format!("\"a\n{}\"", "b".repeat(limit)), 3),
        ] {
            let err = check(text(&field).as_bytes(), b',', Path::new("t.csv")).unwrap_err();
            assert_eq!(err.line(), Some(line), "{err}");
            assert_eq!(err.column(), Some("organisation"), "{err}");
            assert!(err.to_string().contains("longer than 1 MiB"), "{err}");
        }
        let last = format!("a,b\n1,{}", "z".repeat(limit + 1));
        let err = check(last.as_bytes(), b',', Path::new("t.csv")).unwrap_err();
        assert_eq!((err.line(), err.column()), (Some(2), Some("b")));
    }

    /// A character split across two reads is whole again.
    #[test]
    fn characters_split_between_reads_are_valid() {
        struct Dribble<'a>(&'a [u8]);
        impl Read for Dribble<'_> {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                let n = self.0.len().min(buf.len()).min(3);
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let text = "a,b\nFrançois,Ōtaki\n€,😀\n".as_bytes();
        assert!(check(Dribble(text), b',', Path::new("t.csv")).is_ok());
    }

    proptest! {
        /// On any text of delimiters, quotes, line ends and letters the
        /// verdict and the line are the csv crate's.
        #[test]
        fn verdicts_match_the_csv_crate(
            bytes in proptest::collection::vec(
                prop_oneof![
                    Just(b','), Just(b';'), Just(b'"'), Just(b'\n'), Just(b'\r'),
                    Just(b'a'), Just(b'b'), Just(b' ')
                ],
                0..80,
            ),
            semicolon in any::<bool>(),
        ) {
            let delimiter = if semicolon { b';' } else { b',' };
            prop_assert_eq!(ours(&bytes, delimiter), csv_crate(&bytes, delimiter));
        }
    }
}
