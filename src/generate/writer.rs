//! Writing a generated table as CSV or Parquet in chunks, so a generated
//! extract of tens of millions of rows never sits in memory whole.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use polars::prelude::*;

use crate::error::{Error, Result};

pub(super) const CHUNK_ROWS: usize = 100_000;

/// Buffers rows and writes them in chunks, as CSV or as Parquet row groups.
pub(super) struct TableWriter {
    path: PathBuf,
    columns: Vec<String>,
    rows: Vec<Vec<String>>,
    sink: Sink,
}

pub(super) enum Sink {
    Csv(Box<csv::Writer<BufWriter<File>>>),
    Parquet(Box<polars::io::parquet::write::BatchedWriter<File>>),
    /// A table not asked for: rows are drawn (so the other tables do not
    /// change) and dropped.
    Discard,
}

impl TableWriter {
    /// A writer, or one that writes nothing when `skip`.
    pub(super) fn create_unless(
        skip: bool,
        path: &Path,
        format: crate::ingest::Format,
        columns: &[&str],
    ) -> Result<TableWriter> {
        if !skip {
            return TableWriter::create(path, format, columns);
        }
        Ok(TableWriter {
            path: path.to_path_buf(),
            columns: Vec::new(),
            rows: Vec::new(),
            sink: Sink::Discard,
        })
    }

    pub(super) fn create(
        path: &Path,
        format: crate::ingest::Format,
        columns: &[&str],
    ) -> Result<TableWriter> {
        let file = File::create(path).map_err(|e| Error::io(path, e))?;
        let sink = match format {
            crate::ingest::Format::Csv => {
                let mut w = csv::Writer::from_writer(BufWriter::new(file));
                w.write_record(columns)
                    .map_err(|e| Error::input(path, e.to_string()))?;
                Sink::Csv(Box::new(w))
            }
            crate::ingest::Format::Parquet => {
                let schema: Schema = columns
                    .iter()
                    .map(|c| Field::new((*c).into(), column_type(c)))
                    .collect();
                let w = ParquetWriter::new(file)
                    .batched(&schema)
                    .map_err(|e| Error::input(path, e.to_string()))?;
                Sink::Parquet(Box::new(w))
            }
        };
        Ok(TableWriter {
            path: path.to_path_buf(),
            columns: columns.iter().map(|c| c.to_string()).collect(),
            rows: Vec::with_capacity(CHUNK_ROWS),
            sink,
        })
    }

    pub(super) fn push(&mut self, row: Vec<String>) {
        if !matches!(self.sink, Sink::Discard) {
            self.rows.push(row);
        }
    }

    pub(super) fn flush_if_full(&mut self) -> Result<()> {
        if self.rows.len() >= CHUNK_ROWS {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        let path = self.path.clone();
        let fail = |e: String| Error::input(&path, format!("writing failed: {e}"));
        match &mut self.sink {
            Sink::Discard => {}
            Sink::Csv(w) => {
                for r in &self.rows {
                    w.write_record(r).map_err(|e| fail(e.to_string()))?;
                }
            }
            Sink::Parquet(w) => {
                let columns: Vec<Column> = self
                    .columns
                    .iter()
                    .enumerate()
                    .map(|(i, name)| {
                        let values = self.rows.iter().map(|r| r[i].as_str());
                        if column_type(name) == DataType::Int64 {
                            let ints: Vec<Option<i64>> = values.map(|v| v.parse().ok()).collect();
                            Column::new(name.into(), ints)
                        } else {
                            let texts: Vec<Option<&str>> =
                                values.map(|v| (!v.is_empty()).then_some(v)).collect();
                            Column::new(name.into(), texts)
                        }
                    })
                    .collect();
                let df = DataFrame::new_infer_height(columns).map_err(|e| fail(e.to_string()))?;
                w.write_batch(&df).map_err(|e| fail(e.to_string()))?;
            }
        }
        self.rows.clear();
        Ok(())
    }

    pub(super) fn finish(mut self) -> Result<()> {
        self.flush()?;
        let path = self.path.clone();
        match self.sink {
            Sink::Discard => Ok(()),
            Sink::Csv(mut w) => w.flush().map_err(|e| Error::io(&path, e)),
            Sink::Parquet(w) => w
                .finish()
                .map(|_| ())
                .map_err(|e| Error::input(&path, format!("writing failed: {e}"))),
        }
    }
}

pub(super) fn column_type(name: &str) -> DataType {
    if name == "score" {
        DataType::Int64
    } else {
        DataType::String
    }
}
