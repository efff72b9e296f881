//! CSV tables read whole, with errors that name the file, the row and the
//! column: what `absorb analyze` reads.

use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

/// A CSV table with a header line.
#[derive(Clone, Debug)]
pub struct Table {
    path: PathBuf,
    header: csv::StringRecord,
    records: Vec<csv::StringRecord>,
}

/// One row of a [`Table`].
#[derive(Clone, Copy, Debug)]
pub struct Row<'a> {
    table: &'a Table,
    /// 1-based row number (the header not counted).
    number: usize,
    record: &'a csv::StringRecord,
}

impl Table {
    /// Reads the whole table at `path`; `what` says what it should be (for
    /// the error when it is not a CSV table at all).
    pub fn read(path: &Path, what: &str) -> Result<Self> {
        let in_file = |error: Error| Error::InFile { path: path.to_path_buf(), error: Box::new(error) };
        let mut reader = csv::Reader::from_path(path).map_err(|e| match e.into_kind() {
            csv::ErrorKind::Io(io) => Error::io(path, io),
            other => in_file(Error::invalid("table", format!("{other:?}"), what)),
        })?;
        let header = reader
            .headers()
            .map_err(|e| in_file(Error::invalid("header", e, "a CSV header line naming the columns")))?
            .clone();
        let records = reader
            .records()
            .enumerate()
            .map(|(k, r)| r.map_err(|e| in_file(Error::invalid(format!("row {}", k + 1), e, "a complete CSV row"))))
            .collect::<Result<_>>()?;
        Ok(Self { path: path.to_path_buf(), header, records })
    }

    /// `error`, as an error in this table's file.
    pub fn error(&self, error: Error) -> Error {
        Error::InFile { path: self.path.clone(), error: Box::new(error) }
    }

    /// The index of the column called `name`; `expected` says which columns
    /// the table should have.
    pub fn column(&self, name: &str, expected: &str) -> Result<usize> {
        self.header.iter().position(|h| h.trim() == name).ok_or_else(|| {
            let found = self.header.iter().collect::<Vec<_>>().join(", ");
            self.error(Error::invalid(format!("column {name}"), "missing", format!("{expected} (found: {found})")))
        })
    }

    /// The rows, in order.
    pub fn rows(&self) -> impl Iterator<Item = Row<'_>> {
        self.records.iter().enumerate().map(|(k, record)| Row { table: self, number: k + 1, record })
    }
}

impl Row<'_> {
    /// The text in `column`, trimmed ("" past the end of a short row).
    pub fn text(&self, column: usize) -> &str {
        self.record.get(column).unwrap_or("").trim()
    }

    /// The finite number in `column`, called `name` in the error.
    pub fn number(&self, column: usize, name: &str) -> Result<f64> {
        let text = self.text(column);
        text.parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| self.error(name, format!("`{text}`"), "a finite number"))
    }

    /// An error about the value of `name` in this row.
    pub fn error(&self, name: &str, value: impl ToString, allowed: &str) -> Error {
        self.table.error(Error::invalid(format!("row {}: {name}", self.number), value, allowed))
    }
}
