//! `absorb run` runs a scene without a window, stops once absorbed, writes a
//! time series and an extended XYZ frame that OVITO and ASE read, and ends
//! with a one-line summary.

use std::path::{Path, PathBuf};
use std::process::Command;

fn absorb(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_absorb")).args(args).output().expect("absorb runs")
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("absorb-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn scene(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenes").join(name).to_string_lossy().into_owned()
}

/// Parses an extended XYZ frame: (N, comment, rows of words).
fn read_xyz(path: &Path) -> (usize, String, Vec<Vec<String>>) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let n: usize = lines.next().unwrap().trim().parse().unwrap();
    let comment = lines.next().unwrap().to_string();
    let rows: Vec<Vec<String>> = lines.map(|l| l.split_whitespace().map(String::from).collect()).collect();
    (n, comment, rows)
}

#[test]
fn an_absorbing_run_stops_early_and_writes_its_files() {
    let out = scratch("absorbing");
    let o = absorb(&[
        "run",
        &scene("absorbing-3d.ron"),
        "--n",
        "400",
        "--phi",
        "0.4",
        "--steps",
        "5000",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stdout = String::from_utf8_lossy(&o.stdout);
    let summary = stdout.lines().last().unwrap();
    assert!(summary.starts_with("absorbed after "), "summary: {summary}");
    assert!(summary.contains("f_a = 0.0000") && summary.contains("tau = "), "summary: {summary}");

    let series = std::fs::read_to_string(out.join("timeseries.csv")).unwrap();
    let mut lines = series.lines();
    let header = lines.next().unwrap();
    assert!(header.starts_with("step,activity,active_pairs,"), "{header}");
    for col in ["energy", "msd"] {
        assert!(header.split(',').any(|c| c == col), "column {col} missing: {header}");
    }
    let rows: Vec<Vec<f64>> = lines.map(|l| l.split(',').map(|v| v.parse().unwrap()).collect()).collect();
    assert!(rows.len() < 5000, "the run should stop early once absorbed");
    let last = rows.last().unwrap();
    assert_eq!(last[1], 0.0, "last row is the absorbed configuration");
    assert!(rows[..rows.len() - 1].iter().all(|r| r[1] > 0.0), "it stops at the first absorbed iteration");
    for (k, r) in rows.iter().enumerate() {
        assert_eq!(r[0], k as f64, "steps are consecutive");
    }

    let (n, comment, atoms) = read_xyz(&out.join("final.xyz"));
    assert_eq!(n, 400);
    assert_eq!(atoms.len(), 400);
    assert!(comment.contains("Properties=species:S:1:pos:R:3:radius:R:1:active:I:1"), "{comment}");
    assert!(comment.contains("scheme=bro-pairwise") && comment.contains("phi=0.4") && comment.contains("step="));
    let lattice: Vec<f64> = comment.split('"').nth(1).unwrap().split(' ').map(|v| v.parse().unwrap()).collect();
    let l = lattice[0];
    assert_eq!(lattice, vec![l, 0.0, 0.0, 0.0, l, 0.0, 0.0, 0.0, l]);
    for a in &atoms {
        assert_eq!(a[0], "X");
        for c in &a[1..4] {
            let x: f64 = c.parse().unwrap();
            assert!((0.0..l).contains(&x), "position {x} outside [0, {l})");
        }
        assert_eq!(a[4], "0.5");
        assert_eq!(a[5], "0", "an absorbed frame has no active particle");
    }
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn a_2d_run_writes_flat_frames_and_an_active_summary() {
    let out = scratch("active2d");
    let o = absorb(&[
        "run",
        &scene("bidisperse-2d.ron"),
        "--n",
        "500",
        "--steps",
        "50",
        "--seed",
        "4",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.trim().starts_with("active after 50 iterations"), "{stdout}");
    let (n, comment, atoms) = read_xyz(&out.join("final.xyz"));
    assert_eq!(n, 500);
    assert!(comment.contains("pbc=\"T T F\""));
    let lattice: Vec<f64> = comment.split('"').nth(1).unwrap().split(' ').map(|v| v.parse().unwrap()).collect();
    assert!(lattice[8] > 0.0 && lattice[8] < lattice[0], "thin third lattice vector: {lattice:?}");
    assert!(atoms.iter().all(|a| a[3] == "0"), "2D frames have z = 0");
    assert!(atoms.iter().any(|a| a[5] == "1"), "an active frame marks overlapping particles");
    let radii: std::collections::BTreeSet<&str> = atoms.iter().map(|a| a[4].as_str()).collect();
    assert_eq!(radii.into_iter().collect::<Vec<_>>(), vec!["0.5", "0.7"]);
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn the_same_seed_gives_the_same_files_at_any_thread_count() {
    let (a, b) = (scratch("threads1"), scratch("threads2"));
    for (dir, threads) in [(&a, "1"), (&b, "2")] {
        let o = absorb(&["run", "--n", "600", "--steps", "40", "--threads", threads, "--out", dir.to_str().unwrap()]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    for file in ["timeseries.csv", "final.xyz"] {
        assert_eq!(std::fs::read(a.join(file)).unwrap(), std::fs::read(b.join(file)).unwrap(), "{file}");
    }
    let _ = std::fs::remove_dir_all(&a);
    let _ = std::fs::remove_dir_all(&b);
}
