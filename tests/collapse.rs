//! Finite-size-scaling collapse: pyfssa's quality function on its reference
//! case, and a fit that recovers the parameters of synthetic data made from a
//! known scaling function.

mod common;

use absorb::analysis::collapse::{Curve, Data, Free, Scaling, fit, quality};
use absorb::sim::rng::Stream;
use common::Scratch;

#[test]
fn quality_of_the_pyfssa_reference_case_is_one_third() {
    let curve = |x: [f64; 3], y: [f64; 3]| Curve { x: x.to_vec(), y: y.to_vec(), dy: vec![0.1; 3] };
    let curves = [curve([0.0, 1.0, 2.0], [0.0, 1.0, 2.0]), curve([0.5, 1.5, 2.5], [0.6, 1.4, 2.6])];
    let s = quality(&curves).expect("points with bracketing data exist");
    assert!((s - 1.0 / 3.0).abs() < 1e-12, "S = {s}");
}

#[test]
fn curves_that_never_overlap_have_no_quality() {
    let a = Curve { x: vec![0.0, 1.0], y: vec![0.0, 1.0], dy: vec![0.1; 2] };
    let b = Curve { x: vec![5.0, 6.0], y: vec![0.0, 1.0], dy: vec![0.1; 2] };
    assert_eq!(quality(&[a, b]), None);
}

/// The scaling function of the synthetic data: smooth, positive, increasing,
/// like f_inf L^(beta/nu) against (phi - phi_c) L^(1/nu).
fn scaling_function(x: f64) -> f64 {
    0.4 + (1.0 + (1.5 * x).exp()).ln()
}

/// y = L^-kappa F((phi - phi_c) L^(1/nu)) with 1% Gaussian noise (fixed
/// seed), four sizes, 25 values of phi each around phi_c.
fn synthetic(truth: Scaling) -> Data {
    let mut noise = Stream::new(77);
    let mut rows = Vec::new();
    for l in [8.0f64, 12.0, 16.0, 24.0] {
        for k in 0..25 {
            let phi = truth.phi_c - 0.06 + 0.005 * k as f64;
            let clean = l.powf(-truth.kappa) * scaling_function((phi - truth.phi_c) * l.powf(1.0 / truth.nu));
            let dy = 0.01 * clean;
            rows.push([l, phi, clean + dy * noise.normal(), dy]);
        }
    }
    Data { rows }
}

#[test]
fn fit_recovers_the_parameters_of_synthetic_data() {
    // 3D Manna values: nu_perp = 0.593, beta / nu_perp = 1.42.
    let truth = Scaling { phi_c: 0.62, nu: 0.593, kappa: 1.42 };
    let data = synthetic(truth);
    let start = Scaling { phi_c: 0.60, nu: 0.8, kappa: 1.0 };
    let steps = Scaling { phi_c: 0.01, nu: 0.1, kappa: 0.2 };
    let result = fit(&data, start, steps, Free::All).unwrap();
    println!("{result:?}");
    let (b, e) = (result.best, result.errors);
    // 100 points with 1% noise: S is near 1 (1.8 here: straight lines
    // through a curved scaling function add to it); a wrong collapse is far above.
    assert!(result.quality < 2.5, "S = {}", result.quality);
    let off = Scaling { phi_c: truth.phi_c + 0.01, ..truth };
    assert!(data.quality(off) > 10.0 * result.quality, "S one percent off phi_c: {}", data.quality(off));
    for (name, got, err, want, largest_error) in [
        ("phi_c", b.phi_c, e.phi_c, truth.phi_c, 0.01),
        ("nu", b.nu, e.nu, truth.nu, 0.2),
        ("kappa", b.kappa, e.kappa, truth.kappa, 0.5),
    ] {
        // Errors must be finite and small enough to mean something, and the
        // truth within two of them (seed fixed: the outcome is too).
        assert!(err.is_finite() && err > 0.0 && err < largest_error, "{name}: error {err}");
        assert!((got - want).abs() <= 2.0 * err, "{name}: {got} +- {err}, true {want}");
    }
}

#[test]
fn a_fit_with_fixed_exponents_varies_phi_c_only() {
    let truth = Scaling { phi_c: 0.62, nu: 0.593, kappa: 1.42 };
    let data = synthetic(truth);
    let start = Scaling { phi_c: 0.61, ..truth };
    let steps = Scaling { phi_c: 0.01, nu: 0.1, kappa: 0.2 };
    let result = fit(&data, start, steps, Free::PhiC).unwrap();
    assert_eq!((result.best.nu, result.best.kappa), (truth.nu, truth.kappa));
    assert_eq!((result.errors.nu, result.errors.kappa), (0.0, 0.0));
    assert!((result.best.phi_c - truth.phi_c).abs() <= 2.0 * result.errors.phi_c, "{result:?}");
}

#[test]
fn a_collapse_needs_two_sizes_and_finite_numbers() {
    let one_size = Data { rows: vec![[8.0, 0.6, 0.1, 0.01], [8.0, 0.61, 0.2, 0.01]] };
    let message = one_size.validate().unwrap_err().to_string();
    assert!(message.contains("at least two different L"), "{message}");
    let nan = Data { rows: vec![[8.0, 0.6, f64::NAN, 0.01], [12.0, 0.61, 0.2, 0.01]] };
    let message = nan.validate().unwrap_err().to_string();
    assert!(message.contains("row 1: y") && message.contains("finite"), "{message}");
}

#[test]
fn the_command_prints_the_fit_and_draws_the_collapse() {
    let dir = Scratch::new("collapse");
    std::fs::create_dir_all(&dir).unwrap();
    let table = dir.join("fss.csv");
    let mut text = String::from("L,phi,y,dy\n");
    for [l, phi, y, dy] in synthetic(Scaling { phi_c: 0.62, nu: 0.593, kappa: 1.42 }).rows {
        text.push_str(&format!("{l},{phi},{y},{dy}\n"));
    }
    std::fs::write(&table, text).unwrap();
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_absorb"))
        .args(["analyze", "collapse", table.to_str().unwrap(), "--exponents", "manna-3d"])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let phi_c: f64 = said
        .lines()
        .find_map(|l| l.strip_prefix("phi_c = "))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no phi_c in: {said}"));
    assert!((phi_c - 0.62).abs() < 0.002, "{said}");
    assert!(said.contains("nu_perp = 0.5930 (fixed)"), "{said}");
    let png = dir.join("fss.collapse.png");
    let bytes = std::fs::read(&png).unwrap();
    assert!(bytes.len() > 10_000 && bytes.starts_with(b"\x89PNG"), "{} bytes", bytes.len());
}
