//! `absorb run` knows the memory a run needs before it allocates: the
//! estimate is within 25 % of the measured peak at N = 10^6 and 10^7, and a
//! run that would not fit in the memory the process may use is refused with
//! both numbers and a non-zero exit, leaving nothing behind.
//! One test in this file: the peak of the children (getrusage) is only
//! theirs when no other test of this process starts one.
#![cfg(all(target_os = "linux", target_env = "gnu"))]

use std::process::Command;

fn absorb() -> Command {
    Command::new(env!("CARGO_BIN_EXE_absorb"))
}

/// The largest peak resident size of the children waited for so far, in bytes.
fn children_peak() -> u64 {
    // SAFETY: getrusage fills the struct it is given and reads nothing else.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        assert_eq!(libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage), 0);
        usage
    };
    usage.ru_maxrss as u64 * 1024
}

#[test]
fn the_estimate_matches_the_peak_and_too_large_runs_are_refused() {
    let out = std::env::temp_dir().join(format!("absorb-memory-{}", std::process::id()));
    for n in [1_000_000usize, 10_000_000] {
        let status = absorb()
            .args(["run", "--n", &n.to_string(), "--phi", "0.5", "--steps", "2", "--threads", "2", "--out"])
            .arg(&out)
            .output()
            .unwrap();
        assert!(status.status.success(), "{}", String::from_utf8_lossy(&status.stderr));
        let peak = children_peak();
        let estimate = absorb::budget::run_bytes(3, n);
        let ratio = estimate as f64 / peak as f64;
        eprintln!("N = {n}: estimate {estimate} bytes, peak {peak} bytes, ratio {ratio:.3}");
        assert!((0.75..=1.25).contains(&ratio), "N = {n}: estimate {estimate} against a peak of {peak}");
    }
    let _ = std::fs::remove_dir_all(&out);

    // Under an address-space limit of 1 GB, 10^7 spheres (about 1.8 GB) are
    // refused before anything is allocated or written; 10^4 still run.
    let limited = |n: &str| {
        Command::new("bash")
            .arg("-c")
            .arg(format!("ulimit -v 1000000 && exec \"$0\" run --n {n} --phi 0.5 --steps 2 --threads 2 --out \"$1\""))
            .arg(env!("CARGO_BIN_EXE_absorb"))
            .arg(&out)
            .output()
            .unwrap()
    };
    let refused = limited("10000000");
    let message = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success());
    assert!(message.contains("--n 10000000") && message.contains("needs about 1.8 GB"), "{message}");
    assert!(message.contains("address-space limit") && message.contains("1.0 GB"), "{message}");
    assert!(!out.exists(), "a refused run writes nothing");
    // A sweep keeps one run per worker thread in flight: two of 5 x 10^6
    // (0.9 GB each) do not fit in 1 GB either.
    let sweep = Command::new("bash")
        .arg("-c")
        .arg("ulimit -v 1000000 && exec \"$0\" sweep --n 5000000 --phi 0.5,0.51 --steps 2 --threads 2 --out \"$1\"")
        .arg(env!("CARGO_BIN_EXE_absorb"))
        .arg(&out)
        .output()
        .unwrap();
    let message = String::from_utf8_lossy(&sweep.stderr);
    assert!(!sweep.status.success());
    assert!(message.contains("2 runs at once of N = 5000000") && message.contains("1.0 GB"), "{message}");
    assert!(!out.exists(), "a refused sweep writes nothing");
    let fits = limited("10000");
    assert!(fits.status.success(), "{}", String::from_utf8_lossy(&fits.stderr));
    let _ = std::fs::remove_dir_all(&out);
}
