//! Bad input never panics: each mistake exits non-zero with one message that
//! names the field, the value and what is allowed, and leaves no file behind.

mod common;

use common::Scratch;
use std::process::Command;

fn scratch(name: &str) -> Scratch {
    let dir = Scratch::new(&format!("bad-{name}"));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs `absorb run ARGS --out DIR`; asserts failure, no panic, no output files,
/// and returns stderr.
fn refused(args: &[&str], out: &std::path::Path) -> String {
    let o = Command::new(env!("CARGO_BIN_EXE_absorb"))
        .arg("run")
        .args(args)
        .args(["--steps", "5", "--out"])
        .arg(out)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(!o.status.success(), "{args:?} should fail");
    assert!(!err.contains("panicked"), "{args:?} panicked: {err}");
    assert_eq!(err.trim().lines().count(), 1, "{args:?}: one message, got {err}");
    let left: Vec<_> = std::fs::read_dir(out).map(|d| d.flatten().map(|e| e.file_name()).collect()).unwrap_or_default();
    assert!(left.is_empty(), "{args:?} left files behind: {left:?}");
    err
}

#[test]
fn bad_flags_name_the_flag_the_value_and_what_is_allowed() {
    let out = scratch("flags");
    let cases: &[(&[&str], &[&str])] = &[
        (&["--phi", "0"], &["--phi = 0", "(0, 1]"]),
        (&["--phi", "-0.2"], &["--phi = -0.2", "(0, 1]"]),
        (&["--phi", "1.2"], &["--phi = 1.2", "(0, 1]"]),
        (&["--phi", "NaN"], &["--phi = NaN"]),
        (&["--n", "1"], &["--n = 1", "from 2"]),
        (&["--n", "3", "--phi", "0.6"], &["box side", "at least 2"]),
        (&["--dim", "5"], &["--dim = 5", "2, 3 or 4"]),
        (&["--kick", "-0.1"], &["--kick = -0.1", "> 0"]),
        (&["--kick", "nan"], &["--kick = NaN", "> 0"]),
        (&["--scheme", "sgd", "--lr", "-1"], &["--lr = -1", "> 0"]),
        (&["--scheme", "sgd", "--batch", "0"], &["--batch = 0", "(0, 1]"]),
        (&["--scheme", "rcd", "--batch", "1.01"], &["--batch = 1.01", "(0, 1]"]),
        (&["--scheme", "adam"], &["'adam' for '--scheme", "bro-pairwise", "sa-particle"]),
        (&["--potential", "0.5"], &["potential = 0.5", "m >= 1"]),
        (&["--threads", "0"], &["--threads = 0"]),
    ];
    for (args, needles) in cases {
        let err = refused(args, &out);
        for needle in *needles {
            assert!(err.contains(needle), "{args:?}: message {err:?} lacks {needle:?}");
        }
    }
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn bad_scene_files_name_the_line_column_and_field() {
    let out = scratch("scenes");
    let cases: &[(&str, &[&str])] = &[
        ("(\n  dim: 3,\n  colour: 2,\n)", &[":3:", "colour", "expected one of"]),
        ("(\n  dim: 3\n  n: 100,\n)", &[":3:", "comma"]),
        ("(\n  scheme: Adam(lr: 0.1),\n)", &[":2:", "Adam", "BroPairwise"]),
        ("(\n  scheme: Sgd(lr: 0.1),\n)", &[":2:", "batch"]),
        ("(\n  scheme: Sgd(lr: 0.1, batch: 2.0),\n)", &["scheme.batch = 2", "(0, 1]"]),
        ("(\n  potential: 0.2,\n)", &[":2:", "potential = 0.2"]),
        ("(\n  radii: Bidisperse(ratio: 0.5, large_fraction: 0.5),\n)", &["radii.ratio = 0.5", ">= 1"]),
        ("(\n  overlap_tolerance: 1.5,\n)", &["overlap_tolerance = 1.5", "[0, 1)"]),
        ("(\n  view: (camera_distance: -1.0),\n)", &["view.camera_distance = -1"]),
        ("not ron at all", &[":1:"]),
    ];
    for (i, (text, needles)) in cases.iter().enumerate() {
        let path = out.join(format!("bad{i}.ron"));
        std::fs::write(&path, text).unwrap();
        let run_dir = out.join(format!("run{i}"));
        let err = refused(&[path.to_str().unwrap()], &run_dir);
        assert!(err.contains(path.to_str().unwrap()), "{err} should name the file");
        for needle in *needles {
            assert!(err.contains(needle), "scene {text:?}: message {err:?} lacks {needle:?}");
        }
    }
    let err = refused(&[out.join("missing.ron").to_str().unwrap()], &out.join("missing-run"));
    assert!(err.contains("missing.ron") && err.contains("No such file"), "{err}");
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn a_failed_run_keeps_earlier_results() {
    let out = scratch("keep");
    let ok = Command::new(env!("CARGO_BIN_EXE_absorb"))
        .args(["run", "--n", "200", "--steps", "5", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(ok.status.success());
    let before = std::fs::read(out.join("timeseries.csv")).unwrap();
    let bad =
        Command::new(env!("CARGO_BIN_EXE_absorb")).args(["run", "--phi", "7", "--out"]).arg(&out).output().unwrap();
    assert!(!bad.status.success());
    assert_eq!(std::fs::read(out.join("timeseries.csv")).unwrap(), before);
    let names: Vec<String> =
        std::fs::read_dir(&out).unwrap().flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    assert!(names.iter().all(|n| !n.contains("partial")), "no partial files: {names:?}");
    let _ = std::fs::remove_dir_all(&out);
}

/// `absorb bench` checks its flags before it times anything.
#[test]
fn bad_bench_flags_name_the_flag_and_what_is_allowed() {
    let cases: &[(&[&str], &str)] = &[
        (&["--threads", "2,0"], "--threads = 0 is not allowed"),
        (&["--repeat", "0"], "--repeat = 0 is not allowed"),
        (&["--only", "active-3d,nope"], "--only = nope is not allowed: one of active-3d"),
    ];
    for (args, needle) in cases {
        let o = Command::new(env!("CARGO_BIN_EXE_absorb")).arg("bench").args(*args).output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success(), "{args:?} should fail");
        assert!(o.stdout.is_empty(), "{args:?} measured something: {}", String::from_utf8_lossy(&o.stdout));
        assert!(err.contains(needle) && !err.contains("panicked"), "{args:?}: {err}");
    }
}
