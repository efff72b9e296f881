//! Memory: what a run of N particles needs, and what this process may use
//! (the least of the machine's available memory, the cgroup's memory limit
//! that a SLURM job or a container sets, and the address-space limit), so
//! that a run too large is refused before it allocates, with both numbers.

use crate::error::{Error, Result};

/// Bytes a run holds whatever its size (code, thread stacks, buffers).
pub const RUN_BASE_BYTES: u64 = 30_000_000;

/// Bytes a run holds per particle at its peak, by dimension: positions,
/// radii, displacements, the cell list, the active set and the scan's
/// results. Measured as the peak resident size of `absorb run --steps 3` at
/// N = 10^6 and 10^7 (docs/design.md, "Memory a run needs").
pub fn bytes_per_particle(dim: usize) -> u64 {
    match dim {
        2 => 144,
        3 => 174,
        _ => 174 + 30 * (dim as u64 - 3),
    }
}

/// Address space a process reserves beyond what it touches, counted
/// against an address-space limit only: the program's mappings, and each
/// worker thread's stack and allocator arena (never resident). Measured as
/// VmPeak less the resident estimate of `absorb run --threads 2`: 246 MB at
/// N = 10^4, 162 MB at 10^6 (large arrays bypass the arenas).
pub const RESERVED_BASE: u64 = 130_000_000;
/// See [`RESERVED_BASE`]: per worker thread.
pub const RESERVED_PER_THREAD: u64 = 60_000_000;

/// The peak resident memory of one run of `n` particles in `dim` dimensions.
pub fn run_bytes(dim: usize, n: usize) -> u64 {
    RUN_BASE_BYTES + bytes_per_particle(dim) * n as u64
}

/// Where a memory limit comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LimitSource {
    /// MemAvailable of /proc/meminfo.
    Available,
    /// memory.max (cgroup v2) or memory.limit_in_bytes (v1), less what the
    /// cgroup already uses.
    Cgroup,
    /// RLIMIT_AS (`ulimit -v`).
    AddressSpace,
}

impl LimitSource {
    fn describe(self) -> &'static str {
        match self {
            LimitSource::Available => "the memory this machine has available",
            LimitSource::Cgroup => "what is left of this job's or container's memory limit (cgroup)",
            LimitSource::AddressSpace => "this process's address-space limit (ulimit -v)",
        }
    }
}

/// The memory this process may use, and what sets it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemoryLimit {
    /// Bytes.
    pub bytes: u64,
    /// What sets the limit.
    pub source: LimitSource,
}

impl MemoryLimit {
    /// The least of the limits this process runs under, where any can be read.
    pub fn of_this_process() -> Option<Self> {
        let limits = [
            available().map(|bytes| Self { bytes, source: LimitSource::Available }),
            cgroup_left().map(|bytes| Self { bytes, source: LimitSource::Cgroup }),
            address_space().map(|bytes| Self { bytes, source: LimitSource::AddressSpace }),
        ];
        limits.into_iter().flatten().min_by_key(|l| l.bytes)
    }

    /// What `needed` resident bytes take of this limit for a process with
    /// `threads` worker threads: an address-space limit also counts what
    /// the program and its threads reserve.
    pub fn counted(&self, needed: u64, threads: usize) -> u64 {
        if self.source == LimitSource::AddressSpace {
            needed + RESERVED_BASE + RESERVED_PER_THREAD * threads as u64
        } else {
            needed
        }
    }

    /// Whether `needed` resident bytes fit, for a process with `threads` worker threads.
    pub fn fits(&self, needed: u64, threads: usize) -> bool {
        self.counted(needed, threads) <= self.bytes
    }
}

/// Refuses, before anything is allocated, runs that would not fit in the
/// memory this process may use: `copies` runs of N = `n` in `dim` dimensions
/// at once (a sweep runs one per worker thread). `what` names the run in the
/// message (`--n 10000000`).
pub fn check_runs(dim: usize, n: usize, copies: usize, threads: usize, what: &str) -> Result<()> {
    let Some(limit) = MemoryLimit::of_this_process() else { return Ok(()) };
    let needed = run_bytes(dim, n).saturating_mul(copies as u64);
    if limit.fits(needed, threads) {
        return Ok(());
    }
    let runs = if copies > 1 { format!("{copies} runs at once of N = {n}") } else { format!("N = {n}") };
    let counted = limit.counted(needed, threads);
    let address_space = if counted > needed {
        format!(" ({} of address space with {threads} worker threads)", bytes(counted))
    } else {
        String::new()
    };
    Err(Error::TooLarge(format!(
        "{what}: {runs} in {dim}D needs about {} of memory{address_space}, but {} is {}; lower N{}",
        bytes(needed),
        limit.source.describe(),
        bytes(limit.bytes),
        if copies > 1 { " or --threads" } else { "" }
    )))
}

/// Bytes for people: `1.4 GB`, `310 MB`.
pub fn bytes(b: u64) -> String {
    let b = b as f64;
    if b >= 1e9 { format!("{:.1} GB", b / 1e9) } else { format!("{:.0} MB", b / 1e6) }
}

/// MemAvailable, in bytes.
fn available() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// The cgroup's memory limit less its current use, in bytes; None when unlimited.
fn cgroup_left() -> Option<u64> {
    let read = |path: &str| std::fs::read_to_string(path).ok().and_then(|t| t.trim().parse::<u64>().ok());
    let cgroup = std::fs::read_to_string("/proc/self/cgroup").ok()?;
    for line in cgroup.lines() {
        // v2: "0::/path"; v1: "N:memory:/path".
        let mut parts = line.splitn(3, ':');
        let (_, controllers, path) = (parts.next()?, parts.next()?, parts.next()?);
        let (max, current) = if controllers.is_empty() {
            let dir = format!("/sys/fs/cgroup{path}");
            (read(&format!("{dir}/memory.max")), read(&format!("{dir}/memory.current")))
        } else if controllers.split(',').any(|c| c == "memory") {
            let dir = format!("/sys/fs/cgroup/memory{path}");
            (read(&format!("{dir}/memory.limit_in_bytes")), read(&format!("{dir}/memory.usage_in_bytes")))
        } else {
            continue;
        };
        // v1 writes "no limit" as a huge number.
        if let Some(max) = max.filter(|&m| m < 1 << 60) {
            return Some(max.saturating_sub(current.unwrap_or(0)));
        }
    }
    None
}

/// RLIMIT_AS from /proc/self/limits, in bytes; None when unlimited.
fn address_space() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = text.lines().find(|l| l.starts_with("Max address space"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_space_limit_counts_what_threads_reserve() {
        let limit = MemoryLimit { bytes: 1 << 30, source: LimitSource::AddressSpace };
        assert!(limit.fits(500 << 20, 2));
        assert!(!limit.fits(500 << 20, 8));
        let available = MemoryLimit { bytes: 1 << 30, source: LimitSource::Available };
        assert!(available.fits(1000 << 20, 8));
        assert!(!available.fits(1100 << 20, 1));
    }

    #[test]
    fn bytes_read_as_people_say_them() {
        assert_eq!(bytes(1_420_000_000), "1.4 GB");
        assert_eq!(bytes(310_000_000), "310 MB");
    }
}
