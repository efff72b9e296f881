//! Two schemes compared side by side: the dynamics run B starts with
//! beside run A, by default the gradient scheme matched to run A's BRO
//! (MODEL.md, the paper's equivalence). The window and `absorb view
//! --compare` and lectures use it.

use crate::sim::{Dynamics, SchemeKind, SchemeParams};

/// The dynamics run B starts with beside run A under `a`: `kind` with run
/// A's parameters where they apply and the defaults elsewhere, or, without
/// a kind (or with the kind of the match), the gradient scheme matched to
/// run A's BRO (MODEL.md: SGD with b = 3/4 and lr = 2 eps / 3 for pairwise
/// BRO, RCD for particle BRO).
pub fn partner_dynamics(a: &Dynamics, kind: Option<SchemeKind>) -> Result<Dynamics, String> {
    let matched = a.scheme.gradient_match();
    let scheme = match (kind, matched) {
        (None, Some(m)) => m,
        (Some(k), Some(m)) if k == m.kind() => m,
        (None, None) => {
            return Err(format!(
                "{} has no matched gradient scheme (pairwise or particle BRO have): name the scheme to compare with",
                a.scheme.kind().name()
            ));
        }
        (Some(k), _) => k.build(&a.scheme.params(SchemeParams::default())).map_err(|e| e.to_string())?,
    };
    Ok(Dynamics { scheme, ..*a })
}

/// The scheme named on the command line or in a lecture: `matched` (or
/// nothing) for the match of run A's BRO, else a scheme's name.
pub fn parse_compare(text: &str) -> Result<Option<SchemeKind>, String> {
    if text.is_empty() || text == "matched" {
        return Ok(None);
    }
    let names: Vec<&str> = SchemeKind::ALL.iter().map(|k| k.name()).collect();
    text.parse::<SchemeKind>()
        .map(Some)
        .map_err(|_| format!("{text} is not a scheme: `matched` or one of {}", names.join(", ")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::{BatchMode, Scheme};

    #[test]
    fn pairwise_bro_is_compared_with_the_sgd_matched_to_it() {
        let a = Dynamics { scheme: Scheme::BroPairwise { kick: 0.3 }, ..Dynamics::default() };
        let b = partner_dynamics(&a, None).unwrap();
        let Scheme::Sgd { lr, batch, batch_mode } = b.scheme else { panic!("{:?}", b.scheme) };
        assert!((lr - 0.2).abs() < 1e-15 && batch == 0.75 && batch_mode == BatchMode::Probabilistic);
        assert_eq!(partner_dynamics(&a, Some(SchemeKind::Sgd)).unwrap(), b, "naming the match's scheme matches");
        // Another scheme keeps run A's kick where it has one.
        let c = partner_dynamics(&a, Some(SchemeKind::BroParticle)).unwrap();
        assert_eq!(c.scheme, Scheme::BroParticle { kick: 0.3, normalized: false });
        let sgd = Dynamics { scheme: Scheme::sgd_matched_to_bro(0.3), ..a };
        assert!(partner_dynamics(&sgd, None).unwrap_err().contains("name the scheme"));
        assert_eq!(parse_compare("matched"), Ok(None));
        assert_eq!(parse_compare("rcd"), Ok(Some(SchemeKind::Rcd)));
        assert!(parse_compare("adam").unwrap_err().contains("bro-pairwise"));
    }
}
