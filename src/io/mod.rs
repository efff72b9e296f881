//! Writers: files that appear whole or not at all, extended XYZ frames, time
//! series; and the reader of CSV tables.

pub mod recording;
pub mod table;
pub mod trajectory;
pub mod xyz;

use crate::error::{Error, Result};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// A file written under a temporary name beside its destination and renamed
/// into place by [`AtomicFile::commit`]; dropped uncommitted, it is removed,
/// so a reader never sees half a file and an older complete file survives.
pub struct AtomicFile {
    path: PathBuf,
    temp: PathBuf,
    writer: BufWriter<File>,
    committed: bool,
}

impl AtomicFile {
    /// Starts writing what will become `path`.
    pub fn create(path: &Path) -> Result<Self> {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let temp = path.with_file_name(format!(".{name}.partial-{}", std::process::id()));
        let file = File::create(&temp).map_err(|e| Error::io(path, e))?;
        Ok(Self { path: path.to_path_buf(), temp, writer: BufWriter::new(file), committed: false })
    }

    /// The writer.
    pub fn writer(&mut self) -> &mut BufWriter<File> {
        &mut self.writer
    }

    /// Maps a write error to one naming the destination.
    pub fn err(&self, e: std::io::Error) -> Error {
        Error::io(&self.path, e)
    }

    /// Flushes, syncs and renames the file into place.
    pub fn commit(mut self) -> Result<()> {
        self.writer.flush().map_err(|e| Error::io(&self.path, e))?;
        self.writer.get_ref().sync_all().map_err(|e| Error::io(&self.path, e))?;
        std::fs::rename(&self.temp, &self.path).map_err(|e| Error::io(&self.path, e))?;
        self.committed = true;
        Ok(())
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}

/// A path made absolute against the working directory, for showing people
/// where a file went.
pub fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// Writes a whole file atomically with `fill`.
pub fn write_atomically(path: &Path, fill: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> Result<()> {
    let mut file = AtomicFile::create(path)?;
    fill(file.writer()).map_err(|e| file.err(e))?;
    file.commit()
}

/// The time-series columns, in order.
pub const TIMESERIES_HEADER: &str = "step,activity,active_pairs,active_particles,energy,msd,max_displacement";

/// One time-series row for `stats`.
pub fn timeseries_row(w: &mut dyn Write, s: &crate::sim::StepStats) -> std::io::Result<()> {
    writeln!(
        w,
        "{},{},{},{},{},{},{}",
        s.iteration, s.activity, s.active_pairs, s.active_particles, s.energy, s.msd, s.max_displacement
    )
}

/// The change-log columns of a recording (`changes.csv`), in order.
pub const CHANGES_HEADER: &str = "step,what,from,to";

/// A date and time as a file name can hold it, in UTC: `2026-12-07T00-31-05`.
pub fn timestamp(at: std::time::SystemTime) -> String {
    let seconds = at.duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let (days, rest) = (seconds / 86_400, seconds % 86_400);
    let (year, month, day) = civil_from_days(days as i64);
    format!("{year:04}-{month:02}-{day:02}T{:02}-{:02}-{:02}", rest / 3600, rest % 3600 / 60, rest % 60)
}

/// The proleptic Gregorian date of a day counted from 1970-01-01 (Howard
/// Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn timestamps_are_utc_dates_and_times() {
        assert_eq!(timestamp(UNIX_EPOCH), "1970-01-01T00-00-00");
        // 2026-12-07 00:31:05 UTC; 2024-02-29 (a leap day) 23:59:59 UTC.
        assert_eq!(timestamp(UNIX_EPOCH + Duration::from_secs(1_796_603_465)), "2026-12-07T00-31-05");
        assert_eq!(timestamp(UNIX_EPOCH + Duration::from_secs(1_709_251_199)), "2024-02-29T23-59-59");
    }
}
