//! Writers: files that appear whole or not at all, extended XYZ frames, time
//! series; and the reader of CSV tables.

pub mod table;
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
