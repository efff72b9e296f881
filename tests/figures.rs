//! The paper's figures: each command writes its CSV and PNG, and the physics
//! it shows holds at a small size.

use std::collections::HashMap;
use std::process::Command;

#[test]
fn msd_against_kick_size_agrees_between_bro_sgd_and_the_approximation_at_small_kicks() {
    let out = std::env::temp_dir().join(format!("absorb-fig5a-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
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
    let out = std::env::temp_dir().join(format!("absorb-fig5b-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
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
