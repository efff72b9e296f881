//! Merging sweeps: the finished points of one or more sweep directories
//! (the shards of one sweep, say) as one table, sorted by point id.

use super::sweep::{FORMAT, Outcome, POINTS_DIR, Point, RESULT_FILE, VALUE_FILE, read_json};
use crate::error::{Error, Result};
use std::io::Write;
use std::path::PathBuf;

/// One row of a merged sweep.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// The point's id (its directory name).
    pub id: String,
    /// Its parameters.
    pub point: Point,
    /// Its results.
    pub outcome: Outcome,
}

/// The finished points of the sweep directories `dirs`, sorted by id, and
/// how many points were found unfinished. The same point in two directories
/// must have the same results.
pub fn gather(dirs: &[PathBuf]) -> Result<(Vec<Row>, usize)> {
    let mut rows: Vec<Row> = Vec::new();
    let mut unfinished = 0;
    for dir in dirs {
        let points = dir.join(POINTS_DIR);
        let entries = std::fs::read_dir(&points).map_err(|e| Error::io(&points, e))?;
        let mut places: Vec<PathBuf> =
            entries.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.is_dir()).collect();
        places.sort();
        for place in places {
            let value = place.join(VALUE_FILE);
            if !value.exists() {
                continue;
            }
            let point: Point = read_json(&value)?;
            if point.format != FORMAT {
                return Err(Error::InFile {
                    path: value,
                    error: Box::new(Error::invalid("format", point.format, format!("sweep format {FORMAT}"))),
                });
            }
            let result = place.join(RESULT_FILE);
            if !result.exists() {
                unfinished += 1;
                continue;
            }
            let outcome: Outcome = read_json(&result)?;
            rows.push(Row { id: point.id(), point, outcome });
        }
    }
    rows.sort_by(|a, b| a.id.cmp(&b.id));
    let mut merged: Vec<Row> = Vec::with_capacity(rows.len());
    for row in rows {
        match merged.last() {
            Some(last) if last.id == row.id => {
                let same = |o: &Outcome| Outcome { seconds: 0.0, ..o.clone() };
                if last.point != row.point || same(&last.outcome) != same(&row.outcome) {
                    return Err(Error::invalid(
                        "point",
                        &row.id,
                        "the same results in every directory it appears in (two sweeps with different settings?)",
                    ));
                }
            }
            _ => merged.push(row),
        }
    }
    Ok((merged, unfinished))
}

/// The texts of a point's scheme, kick, lr, batch, fixed_batch, potential,
/// dim and n as the merged table writes them: the columns that name its
/// group (`critical::read_runs` and `critical::runs_of` label groups by them).
pub fn group_texts(p: &Point) -> [String; 8] {
    let opt = |v: Option<f64>| v.map_or(String::new(), |v| v.to_string());
    [
        p.scheme.name().to_string(),
        opt(p.kick),
        opt(p.lr),
        opt(p.batch),
        p.fixed_batch.to_string(),
        p.potential.to_string(),
        p.dim.to_string(),
        p.n.to_string(),
    ]
}

/// The merged table as CSV: one row per point, parameters then results
/// (without the wall-clock time, so K shards merge to the unsharded table).
pub fn write_csv(rows: &[Row], w: impl Write) -> Result<()> {
    let mut out = csv::Writer::from_writer(w);
    let msd_at: Vec<u64> = rows.first().map(|r| r.point.msd_at.clone()).unwrap_or_default();
    let mut header: Vec<String> = [
        "id",
        "scheme",
        "kick",
        "lr",
        "batch",
        "fixed_batch",
        "potential",
        "dim",
        "n",
        "L",
        "phi",
        "replicate",
        "seed",
        "steps",
        "absorbed",
        "tau",
        "f_inf",
        "f_inf_error",
        "e",
        "iterations",
        "flatness",
        "flatness_error",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    header.extend(msd_at.iter().map(|k| format!("msd_{k}")));
    let fail = |e: csv::Error| Error::invalid("merged table", e, "a writable output");
    out.write_record(&header).map_err(fail)?;
    for Row { id, point: p, outcome: o } in rows {
        if p.msd_at != msd_at {
            return Err(Error::invalid("point", id, "the same --msd-at iterations as the other points of the table"));
        }
        let mut record = vec![id.clone()];
        record.extend(group_texts(p));
        record.extend([
            o.side.to_string(),
            p.phi.to_string(),
            p.replicate.to_string(),
            p.seed.to_string(),
            p.steps.to_string(),
            o.absorbed.to_string(),
            o.tau.map_or(String::new(), |t| t.to_string()),
            o.f_inf.to_string(),
            o.f_inf_error.to_string(),
            o.energy.to_string(),
            o.iterations.to_string(),
            o.flatness.as_ref().map_or(String::new(), |f| f.per_particle.to_string()),
            o.flatness.as_ref().map_or(String::new(), |f| f.error.to_string()),
        ]);
        record.extend(o.msd.iter().map(|m| m.to_string()));
        out.write_record(&record).map_err(fail)?;
    }
    out.flush().map_err(|e| Error::invalid("merged table", e, "a writable output"))
}
