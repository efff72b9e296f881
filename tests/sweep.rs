//! `absorb sweep`: a grid of state points, each in its own directory with
//! value.json and result.json; resumes without redoing finished points;
//! shards that merge to the table of the whole sweep; refuses a directory
//! written by another version.

mod common;

use common::Scratch;
use std::path::{Path, PathBuf};
use std::process::Command;

fn absorb(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_absorb"))
        .args(args)
        .env_remove("SLURM_ARRAY_TASK_ID")
        .output()
        .expect("absorb runs")
}

fn scratch(name: &str) -> Scratch {
    Scratch::new(&format!("sweep-{name}"))
}

/// 2 schemes x 3 phi x 2 replicates of N = 60 in 3D, 300 iterations at most:
/// below and above phi_c, so some points absorb and some stay active.
/// Flags in `extra` replace those of the same name.
fn sweep(out: &Path, extra: &[&str]) -> std::process::Output {
    let base = [
        ("--scheme", "bro-pairwise,sgd"),
        ("--kick", "0.1"),
        ("--lr", "0.1"),
        ("--batch", "0.5"),
        ("--phi", "0.3:0.7:0.2"),
        ("--n", "60"),
        ("--replicates", "2"),
        ("--steps", "300"),
        ("--msd-at", "10,100"),
        ("--seed", "5"),
        ("--out", out.to_str().unwrap()),
    ];
    let mut args = vec!["sweep"];
    for (flag, value) in base {
        if !extra.contains(&flag) {
            args.extend([flag, value]);
        }
    }
    args.extend_from_slice(extra);
    absorb(&args)
}

fn merged(dirs: &[&Path]) -> String {
    let mut args = vec!["sweep", "merge"];
    args.extend(dirs.iter().map(|d| d.to_str().unwrap()));
    let o = absorb(&args);
    assert!(o.status.success(), "merge failed: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).unwrap()
}

fn points(dir: &Path) -> Vec<PathBuf> {
    let mut p: Vec<PathBuf> = std::fs::read_dir(dir.join("points")).unwrap().map(|e| e.unwrap().path()).collect();
    p.sort();
    p
}

#[test]
fn a_sweep_writes_one_directory_per_point_and_merges_to_one_table() {
    let dir = scratch("whole");
    let o = sweep(&dir, &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let said = String::from_utf8_lossy(&o.stdout);
    assert!(said.contains("12 points of 12") && said.contains("12 run now"), "{said}");
    let places = points(&dir);
    assert_eq!(places.len(), 12);
    for place in &places {
        let value: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(place.join("value.json")).unwrap()).unwrap();
        let result: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(place.join("result.json")).unwrap()).unwrap();
        assert_eq!(value["n"], 60);
        assert!(value["seed"].is_u64());
        assert!(result["f_inf"].is_f64() && result["msd"].as_array().unwrap().len() == 2, "{result}");
    }
    let table = merged(&[&dir]);
    let mut lines = table.lines();
    let header = lines.next().unwrap();
    assert!(header.starts_with("id,scheme,kick,lr,batch,") && header.ends_with("msd_10,msd_100"), "{header}");
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 12);
    let column = |name: &str| header.split(',').position(|h| h == name).unwrap();
    // phi = 0.3 absorbs within 300 iterations, phi = 0.7 cannot (above random close packing).
    for row in &rows {
        let (phi, absorbed) = (row[column("phi")], row[column("absorbed")]);
        match phi {
            "0.3" => assert_eq!(absorbed, "true", "{row:?}"),
            "0.7" => assert_eq!(absorbed, "false", "{row:?}"),
            _ => {}
        }
    }
    // Replicates differ in seed; the seeds depend only on the parameters.
    let seeds: std::collections::HashSet<&str> = rows.iter().map(|r| r[column("seed")]).collect();
    assert_eq!(seeds.len(), 12);
    let again = scratch("again");
    assert!(sweep(&again, &[]).status.success());
    assert_eq!(merged(&[&again]), table, "the same sweep twice gives the same table");
}

#[test]
fn shards_merge_to_the_whole_sweep_and_an_interrupted_sweep_resumes() {
    let whole = scratch("unsharded");
    assert!(sweep(&whole, &[]).status.success());
    let (a, b, c) = (scratch("shard0"), scratch("shard1"), scratch("shard2"));
    for (dir, shard) in [(&a, "0/3"), (&b, "1/3"), (&c, "2/3")] {
        let o = sweep(dir, &["--shard", shard]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert_eq!(points(dir).len(), 4);
    }
    assert_eq!(merged(&[&a, &b, &c]), merged(&[&whole]));

    // Interrupted: one point lost its result. Rerunning runs only that one
    // and leaves the finished ones untouched.
    let lost = &points(&whole)[5];
    std::fs::remove_file(lost.join("result.json")).unwrap();
    let kept = points(&whole)[0].join("result.json");
    let before = std::fs::read(&kept).unwrap();
    let o = sweep(&whole, &[]);
    let said = String::from_utf8_lossy(&o.stdout);
    assert!(said.contains("1 run now, 11 finished before"), "{said}");
    assert_eq!(std::fs::read(&kept).unwrap(), before);
    assert_eq!(merged(&[&whole]), merged(&[&a, &b, &c]));
}

#[test]
fn a_directory_of_another_version_or_sweep_is_refused() {
    let dir = scratch("foreign");
    assert!(sweep(&dir, &["--shard", "0/6"]).status.success());
    let value = points(&dir)[0].join("value.json");
    let text = std::fs::read_to_string(&value).unwrap().replace("\"format\": 1", "\"format\": 0");
    std::fs::write(&value, text).unwrap();
    for o in [sweep(&dir, &["--shard", "0/6"]), absorb(&["sweep", "merge", dir.to_str().unwrap()])] {
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success());
        assert!(err.contains(value.to_str().unwrap()), "the message names the file: {err}");
    }
    // Another sweep's settings in the same directory: refused, nothing overwritten.
    let result = points(&dir)[1].join("result.json");
    let before = std::fs::read(&result).unwrap();
    let o = sweep(&dir, &["--shard", "0/6", "--seed", "6"]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("use a new --out directory"));
    assert_eq!(std::fs::read(&result).unwrap(), before);
}

#[test]
fn bad_sweep_flags_are_named() {
    let dir = scratch("bad");
    for (extra, flag) in [
        (vec!["--shard", "3/2"], "--shard"),
        (vec!["--phi", "0.7:0.3:0.1"], "--phi"),
        (vec!["--phi", "1.5"], "--phi"),
        (vec!["--scheme", "adam"], "--scheme"),
        (vec!["--kick", "-1"], "--kick"),
        (vec!["--replicates", "0"], "--replicates"),
    ] {
        let o = sweep(&dir, &extra);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success(), "{extra:?} was accepted");
        assert!(err.contains(flag), "{extra:?}: {err}");
    }
    let o = absorb(&["sweep", "merge", "/nonexistent/sweep"]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("/nonexistent/sweep/points"));
}

#[test]
fn analyze_critical_finds_where_half_the_runs_absorb() {
    let dir = scratch("critical");
    let table = dir.join("table.csv");
    let o = sweep(&dir, &["--scheme", "bro-pairwise", "--phi", "0.40:0.70:0.04", "--n", "400", "--steps", "3000"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = absorb(&["sweep", "merge", dir.to_str().unwrap(), "--out", table.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = absorb(&["analyze", "critical", table.to_str().unwrap()]);
    let said = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(said.starts_with("bro-pairwise kick=0.1 potential=1 dim=3 n=400:"), "{said}");
    // BRO with eps = 0.1 in 3D: phi_c about 0.55 (0.5525 measured at N = 2000).
    let phi: f64 = said
        .split("half the runs absorbed at phi = ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no half-absorbed phi in: {said}"));
    assert!((0.50..0.60).contains(&phi), "{said}");
}

#[test]
fn analyze_names_the_file_and_what_is_wrong_in_it() {
    let dir = scratch("tables");
    std::fs::create_dir_all(&dir).unwrap();
    let write = |name: &str, text: &str| {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_string()
    };
    let cases = [
        (vec!["analyze", "collapse"], write("no-dy.csv", "L,phi,y\n8,0.6,0.1\n"), "column dy"),
        (vec!["analyze", "collapse"], write("nan.csv", "L,phi,y,dy\n8,0.6,NaN,0.01\n16,0.6,0.1,0.01\n"), "row 1: y"),
        (
            vec!["analyze", "collapse"],
            write("one-size.csv", "L,phi,y,dy\n8,0.6,0.1,0.01\n8,0.7,0.2,0.01\n"),
            "two different L",
        ),
        (vec!["analyze", "critical"], write("not-a-sweep.csv", "L,phi,y,dy\n8,0.6,0.1,0.01\n"), "column scheme"),
    ];
    for (command, path, wrong) in cases {
        let mut args = command.clone();
        args.push(&path);
        let o = absorb(&args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success(), "{path} was accepted");
        assert!(err.contains(&path) && err.contains(wrong), "{path}: {err}");
    }
}

#[test]
fn a_sweep_file_sets_the_grid_and_points_can_measure_s_of_k_and_flatness() {
    let dir = scratch("file");
    std::fs::create_dir_all(&dir).unwrap();
    let grid = dir.join("grid.ron");
    std::fs::write(
        &grid,
        "(\n    schemes: [\"rcd\"],\n    lrs: [0.1],\n    batches: [0.5],\n    phi_ranges: [(0.3, 0.4, 0.1)],\n    \
         ns: [80],\n    steps: 500,\n    structure_factor: 3,\n    flatness: 40,\n)\n",
    )
    .unwrap();
    let out = dir.join("sweep");
    let o = absorb(&["sweep", "--grid", grid.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let places = points(&out);
    assert_eq!(places.len(), 2, "rcd, lr 0.1, b 0.5, phi 0.3 and 0.4");
    for place in &places {
        assert!(place.file_name().unwrap().to_str().unwrap().starts_with("rcd_lr0.1_batch0.5_d3_n80_phi0."));
        let result: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(place.join("result.json")).unwrap()).unwrap();
        let shells = result["structure_factor"].as_array().unwrap();
        assert_eq!(shells.len(), 3, "{result}");
        assert!(shells.iter().all(|s| s[1].as_f64().unwrap() >= 0.0));
        // Absorbed packings: every perturbation creates overlaps, <dU> > 0.
        assert_eq!(result["absorbed"], true, "{result}");
        assert!(result["flatness"]["per_particle"].as_f64().unwrap() > 0.0, "{result}");
        assert_eq!(result["flatness"]["samples"], 40);
    }
    let table = merged(&[&out]);
    let header = table.lines().next().unwrap();
    let column = header.split(',').position(|h| h == "flatness").unwrap();
    assert!(table.lines().skip(1).all(|row| !row.split(',').nth(column).unwrap().is_empty()), "{table}");

    // A flag replaces the file's field.
    let other = dir.join("other");
    let o = absorb(&["sweep", "--grid", grid.to_str().unwrap(), "--n", "40", "--out", other.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(points(&other).iter().all(|p| p.to_str().unwrap().contains("_n40_")));

    let bad = dir.join("bad.ron");
    std::fs::write(&bad, "(\n    schemes: [\"sgd\"],\n    learning_rate: [0.1],\n)\n").unwrap();
    let o = absorb(&["sweep", "--grid", bad.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(err.contains(&format!("{}:3:", bad.display())) && err.contains("learning_rate"), "{err}");
}

#[test]
fn analyze_table_turns_a_merged_sweep_into_the_collapse_input() {
    let dir = scratch("table");
    let merged_file = dir.join("merged.csv");
    let o = sweep(&dir, &["--scheme", "bro-pairwise", "--phi", "0.6:0.7:0.05", "--n", "60,120"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = absorb(&["sweep", "merge", dir.to_str().unwrap(), "--out", merged_file.to_str().unwrap()]);
    assert!(o.status.success());
    let o = absorb(&["analyze", "table", merged_file.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let table = String::from_utf8(o.stdout).unwrap();
    let mut lines = table.lines();
    assert_eq!(lines.next(), Some("L,phi,y,dy"));
    let rows: Vec<Vec<f64>> = lines.map(|l| l.split(',').map(|v| v.parse().unwrap()).collect()).collect();
    // Above phi_c every run survives: 3 phi x 2 N, one box side per N.
    assert_eq!(rows.len(), 6, "{table}");
    let mut sides: Vec<f64> = rows.iter().map(|r| r[0]).collect();
    sides.dedup();
    assert_eq!(sides.len(), 2, "{table}");
    assert!(rows.iter().all(|r| r[2] > 0.0 && r[2] <= 1.0 && r[3] > 0.0), "{table}");
    let o = absorb(&["analyze", "table", merged_file.to_str().unwrap(), "--family", "sgd"]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("bro-pairwise kick=0.1 potential=1 dim=3"));
}
