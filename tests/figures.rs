//! The paper's figures: each command writes its CSV and PNG, and the physics
//! it shows holds at a small size.

mod common;

use common::Scratch;
use std::collections::HashMap;
use std::process::Command;

#[test]
fn msd_against_kick_size_agrees_between_bro_sgd_and_the_approximation_at_small_kicks() {
    let out = Scratch::new("fig5a");
    // N = 300, 200 iterations, 2 replicates: under a second.
    let o = Command::new(env!("CARGO_BIN_EXE_absorb"))
        .args(["figure", "msd-vs-step", "--n", "300", "--iterations", "200", "--replicates", "2"])
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let png = std::fs::read(out.join("msd-vs-step.png")).unwrap();
    assert!(png.starts_with(b"\x89PNG") && png.len() > 10_000);
    let table = std::fs::read_to_string(out.join("msd-vs-step.csv")).unwrap();
    let mut msd: HashMap<(String, String), f64> = HashMap::new();
    for line in table.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        msd.insert((f[0].to_string(), f[1].to_string()), f[2].parse().unwrap());
    }
    assert_eq!(msd.len(), 18, "3 schemes x 6 kicks: {table}");
    // The replicates start from the same configurations for every scheme, so
    // at eps = 0.005 the matched dynamics give MSDs within 3% of BRO's
    // (measured: 0.5%).
    let bro = msd[&("bro-pairwise".to_string(), "0.005".to_string())];
    for scheme in ["sgd", "sa-pairwise"] {
        let other = msd[&(scheme.to_string(), "0.005".to_string())];
        assert!((other / bro - 1.0).abs() < 0.03, "{scheme}: {other} against BRO {bro}");
    }
    // Larger kicks move the particles farther.
    let kicks = ["0.005", "0.01", "0.02", "0.05", "0.1", "0.2"];
    let series: Vec<f64> = kicks.iter().map(|k| msd[&("bro-pairwise".to_string(), k.to_string())]).collect();
    assert!(series.windows(2).all(|w| w[1] > w[0]), "{series:?}");
}

#[test]
fn phi_c_falls_as_the_step_size_grows() {
    let out = Scratch::new("fig5b");
    // N = 300, 3000 iterations, 2 runs per phi, 4 bisections: seconds.
    let o = Command::new(env!("CARGO_BIN_EXE_absorb"))
        .args(["figure", "phi-c-vs-step", "--n", "300", "--iterations", "3000", "--replicates", "2"])
        .args(["--bisections", "4", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(std::fs::read(out.join("phi-c-vs-step.png")).unwrap().starts_with(b"\x89PNG"));
    let table = std::fs::read_to_string(out.join("phi-c-vs-step.csv")).unwrap();
    let mut phi_c: HashMap<(String, String), (f64, f64)> = HashMap::new();
    for line in table.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        phi_c.insert((f[0].to_string(), f[1].to_string()), (f[2].parse().unwrap(), f[3].parse().unwrap()));
    }
    assert_eq!(phi_c.len(), 15, "3 schemes x 5 step sizes: {table}");
    for scheme in ["bro-pairwise", "sgd", "rcd"] {
        let (small, e1) = phi_c[&(scheme.to_string(), "0.025".to_string())];
        let (large, e2) = phi_c[&(scheme.to_string(), "0.4".to_string())];
        // Bisection intervals of 0.36 / 2^4: the two must be apart by more
        // than both half-widths, and the small step nearer 0.64.
        assert!(small - large > e1 + e2, "{scheme}: phi_c {small} at 0.025 against {large} at 0.4");
        assert!((0.55..0.66).contains(&small), "{scheme}: phi_c {small} at step 0.025");
    }
}

fn rows(table: &str) -> Vec<Vec<String>> {
    table.lines().skip(1).map(|l| l.split(',').map(str::to_string).collect()).collect()
}

#[test]
fn flatness_against_batch_sgd_flatter_rcd_sharper_at_small_batches() {
    let out = Scratch::new("fig4b");
    // N = 300 at phi = 0.66 (alpha = 0.03: phi_c about 0.60), 1500
    // iterations, 3 runs per point, 200 perturbations each: seconds.
    let o = Command::new(env!("CARGO_BIN_EXE_absorb"))
        .args(["figure", "flatness-vs-batch", "--n", "300", "--batch", "0.1,1", "--phi", "0.66"])
        .args(["--replicates", "3", "--steps", "1500", "--samples", "200", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(std::fs::read(out.join("flatness-vs-batch.png")).unwrap().starts_with(b"\x89PNG"));
    let table = std::fs::read_to_string(out.join("flatness-vs-batch.csv")).unwrap();
    let mut flatness: HashMap<(String, String), f64> = HashMap::new();
    for f in rows(&table) {
        assert_eq!((f[3].as_str(), f[4].as_str()), ("3", "0"), "3 runs, none absorbed above phi_c: {table}");
        flatness.insert((f[0].clone(), f[1].clone()), f[6].parse().unwrap());
    }
    let at = |scheme: &str, b: &str| flatness[&(scheme.to_string(), b.to_string())];
    // b = 1 is gradient descent for both: the same dynamics (other seeds),
    // the same flatness within 10% (measured 3%).
    assert!((at("sgd", "1") / at("rcd", "1") - 1.0).abs() < 0.1, "{table}");
    // The paper's Fig. 4b: at small b RCD's minima are sharper than GD's
    // and SGD's flatter than RCD's; required 10%, measured 27% and 32%.
    assert!(at("rcd", "0.1") > 1.1 * at("rcd", "1"), "{table}");
    assert!(at("sgd", "0.1") < 0.9 * at("rcd", "0.1"), "{table}");
}

#[test]
fn activity_rises_through_phi_c_collapses_and_the_figure_resumes() {
    let out = Scratch::new("fig3");
    // N = 200 and 400, b = 0.5, alpha = 0.1 (phi_c about 0.51), 9 packing
    // fractions, 3 runs of 3000 iterations each: seconds.
    let run = |steps: &str| {
        Command::new(env!("CARGO_BIN_EXE_absorb"))
            .args(["figure", "activity-vs-phi", "--n", "200,400", "--batch", "0.5", "--phi", "0.49:0.53:0.005"])
            .args(["--replicates", "3", "--steps", steps, "--out"])
            .arg(&out)
            .output()
            .unwrap()
    };
    let o = run("3000");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(std::fs::read(out.join("activity-vs-phi.png")).unwrap().starts_with(b"\x89PNG"));
    let levels = std::fs::read_to_string(out.join("activity-vs-phi.csv")).unwrap();
    let levels = rows(&levels);
    assert_eq!(levels.len(), 2 * 9, "2 sizes x 9 packing fractions");
    for n in ["200", "400"] {
        let at: Vec<&Vec<String>> = levels.iter().filter(|r| r[1] == n).collect();
        // (batch, n, L, phi, runs, absorbed, f_inf, f_inf_error, tau, tau_error)
        let (first, last) = (at[0], at[at.len() - 1]);
        assert_eq!((first[3].as_str(), first[5].as_str()), ("0.49", "3"), "all absorb well below phi_c");
        assert_eq!((last[3].as_str(), last[5].as_str()), ("0.53", "0"), "none absorbs well above");
        let active: Vec<f64> = at.iter().filter(|r| !r[6].is_empty()).map(|r| r[6].parse().unwrap()).collect();
        assert!(active.len() >= 3 && active[active.len() - 1] > active[0] + 0.1, "f_inf rises with phi: {active:?}");
    }
    let fits = std::fs::read_to_string(out.join("activity-vs-phi-collapse.csv")).unwrap();
    for fit in rows(&fits) {
        let phi_c: f64 = fit[2].parse().unwrap_or_else(|_| panic!("a collapse for {fit:?}"));
        assert!((0.49..0.53).contains(&phi_c), "{fit:?}");
    }
    // Run again: nothing is rerun, the same tables come out.
    let result = std::fs::read_dir(out.join("activity-vs-phi-runs/points")).unwrap().next().unwrap().unwrap().path();
    let stamp = std::fs::metadata(result.join("result.json")).unwrap().modified().unwrap();
    let o = run("3000");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(std::fs::metadata(result.join("result.json")).unwrap().modified().unwrap(), stamp);
    assert_eq!(std::fs::read_to_string(out.join("activity-vs-phi-collapse.csv")).unwrap(), fits);
    // Other settings into the same folder: refused, the results kept.
    let o = run("4000");
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("value.json") && err.contains("new --out"), "{err}");
    assert_eq!(std::fs::metadata(result.join("result.json")).unwrap().modified().unwrap(), stamp);
}
