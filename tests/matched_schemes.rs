//! SGD matched to pairwise BRO (b = 3/4, alpha = 2 eps/3) gives each pair BRO's
//! mean eps/2 and variance eps^2/12 along e_ij; RCD matched to particle BRO
//! does the same per particle. Both measured on one pair over M = 40000 seeds;
//! tolerances are 5 standard errors of the mean (sd / sqrt(M)) and of the
//! variance (sd of the squared deviations / sqrt(M)).

mod common;

use absorb::sim::{Potential, Scheme};
use common::{one_step_samples, packing};

const SAMPLES: usize = 40_000;

/// Mean and variance (with their standard errors) of particle 0's kick along e_01.
fn kick_along_e(scheme: Scheme) -> (f64, f64, f64, f64) {
    let p = packing(3, 3.0, &[0.5, 0.5], &[&[1.0, 1.0, 1.0], &[1.6, 1.0, 1.0]]);
    // e_01 points from 1 to 0: -x.
    let kicks: Vec<f64> = one_step_samples(&p, scheme, Potential::LINEAR, SAMPLES).iter().map(|dx| -dx[0]).collect();
    let m = SAMPLES as f64;
    let mean = kicks.iter().sum::<f64>() / m;
    let dev2: Vec<f64> = kicks.iter().map(|k| (k - mean).powi(2)).collect();
    let var = dev2.iter().sum::<f64>() / (m - 1.0);
    let var_err = (dev2.iter().map(|d| (d - var).powi(2)).sum::<f64>() / (m - 1.0) / m).sqrt();
    (mean, (var / m).sqrt(), var, var_err)
}

fn assert_matches(name: &str, scheme: Scheme, eps: f64) {
    let (mean, mean_err, var, var_err) = kick_along_e(scheme);
    assert!((mean - eps / 2.0).abs() < 5.0 * mean_err, "{name}: mean kick {mean} vs eps/2 = {}", eps / 2.0);
    let want = eps * eps / 12.0;
    assert!((var - want).abs() < 5.0 * var_err, "{name}: variance {var} vs eps^2/12 = {want} (error {var_err:e})");
}

#[test]
fn sgd_matched_to_bro_has_bros_mean_and_variance() {
    let eps = 0.12;
    let matched = Scheme::BroPairwise { kick: eps }.gradient_match().expect("pairwise BRO has an SGD match");
    assert_eq!(matched, Scheme::sgd_matched_to_bro(eps));
    assert!(matches!(matched, Scheme::Sgd { batch, lr, .. } if batch == 0.75 && (lr - 0.08).abs() < 1e-15));
    assert_matches("bro-pairwise", Scheme::BroPairwise { kick: eps }, eps);
    assert_matches("sgd matched", matched, eps);
}

#[test]
fn rcd_matched_to_particle_bro_has_its_mean_and_variance() {
    let eps = 0.12;
    let matched =
        Scheme::BroParticle { kick: eps, normalized: false }.gradient_match().expect("particle BRO has an RCD match");
    assert_eq!(matched, Scheme::rcd_matched_to_particle_bro(eps));
    assert_matches("bro-particle", Scheme::BroParticle { kick: eps, normalized: false }, eps);
    assert_matches("rcd matched", matched, eps);
}

#[test]
fn an_unmatched_batch_fraction_is_told_apart() {
    // b = 1/2 with the same mean (alpha = eps) has variance eps^2/4, not eps^2/12.
    let eps = 0.12;
    let (_, _, var, var_err) = kick_along_e(Scheme::Sgd { lr: eps, batch: 0.5, batch_mode: Default::default() });
    assert!((var - eps * eps / 12.0).abs() > 20.0 * var_err);
}
