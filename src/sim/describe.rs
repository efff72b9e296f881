//! Dynamics in words: the fields a recording writes (`lr=0.05`), the changes
//! between two dynamics (what, old value, new value), and the short summary
//! a status line shows (`SGD lr 0.05 b 0.5`).

use super::Dynamics;
use super::potential::Potential;
use super::scheme::{BatchMode, Noise, Scheme};

/// One named value of the dynamics, as files and markers write it.
#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    /// Its name, as the command line spells it (`scheme`, `kick`, `lr`, ...).
    pub name: &'static str,
    /// Its value as text (numbers in their shortest exact form).
    pub value: String,
}

/// One value that changed between two dynamics (or phi, between two packings).
#[derive(Clone, Debug, PartialEq)]
pub struct Change {
    /// What changed (`lr`, `scheme`, `phi`, ...).
    pub what: String,
    /// The value before; `-` where the old dynamics had no such value.
    pub from: String,
    /// The value after; `-` where the new dynamics have no such value.
    pub to: String,
}

impl Change {
    /// `lr 0.05 -> 0.02`.
    pub fn describe(&self) -> String {
        format!("{} {} -> {}", self.what, self.from, self.to)
    }
}

/// The text of a value no dynamics has.
pub const ABSENT: &str = "-";

fn field(name: &'static str, value: impl ToString) -> Field {
    Field { name, value: value.to_string() }
}

/// A batch mode as the command line and files spell it.
pub fn batch_mode_name(mode: BatchMode) -> &'static str {
    match mode {
        BatchMode::Probabilistic => "probabilistic",
        BatchMode::Fixed => "fixed",
    }
}

impl Dynamics {
    /// Every value of these dynamics, scheme first: what a recording's frame
    /// header carries so that the run can be read back without its scene.
    pub fn fields(&self) -> Vec<Field> {
        let mut out = vec![field("scheme", self.scheme.name())];
        match self.scheme {
            Scheme::BroPairwise { kick } | Scheme::BroPairwiseNonreciprocal { kick } => out.push(field("kick", kick)),
            Scheme::BroParticle { kick, normalized } => {
                out.push(field("kick", kick));
                out.push(field("normalized", normalized));
            }
            Scheme::Sgd { lr, batch, batch_mode } | Scheme::Rcd { lr, batch, batch_mode } => {
                out.push(field("lr", lr));
                out.push(field("batch", batch));
                out.push(field("batch_mode", batch_mode_name(batch_mode)));
            }
            Scheme::Gd { lr } => out.push(field("lr", lr)),
            Scheme::SaPairwise { noise, h } | Scheme::SaParticle { noise, h } => {
                match noise {
                    Noise::Bro { kick } => {
                        out.push(field("noise", "bro"));
                        out.push(field("kick", kick));
                    }
                    Noise::Sgd { lr, batch } => {
                        out.push(field("noise", "sgd"));
                        out.push(field("lr", lr));
                        out.push(field("batch", batch));
                    }
                }
                out.push(field("h", h));
            }
        }
        out.push(field("potential", self.potential.exponent()));
        out.push(field("overlap_tolerance", self.overlap_tolerance));
        out
    }

    /// The dynamics a recording's frame header names ([`Self::fields`] as
    /// `name=value` pairs), or None where a value is missing or invalid.
    pub fn from_fields(values: &[(String, String)]) -> Option<Dynamics> {
        let get = |name: &str| values.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
        let number = |name: &str| get(name).and_then(|v| v.parse::<f64>().ok());
        let kind: crate::sim::SchemeKind = get("scheme")?.parse().ok()?;
        let mut params = crate::sim::SchemeParams::default();
        params.kick = number("kick").unwrap_or(params.kick);
        params.lr = number("lr").unwrap_or(params.lr);
        params.batch = number("batch").unwrap_or(params.batch);
        params.h = number("h").unwrap_or(params.h);
        params.normalized = get("normalized") == Some("true");
        params.batch_mode =
            if get("batch_mode") == Some("fixed") { BatchMode::Fixed } else { BatchMode::Probabilistic };
        params.sa_matches_sgd = get("noise") == Some("sgd");
        let scheme = kind.build(&params).ok()?;
        let potential = crate::sim::Potential::new(number("potential")?).ok()?;
        Some(Dynamics { scheme, potential, overlap_tolerance: number("overlap_tolerance")? })
    }

    /// What differs from `before` to `self`, in the order of [`Self::fields`]
    /// (values one of them lacks are `-` on that side).
    pub fn changes_from(&self, before: &Dynamics) -> Vec<Change> {
        let old = before.fields();
        let new = self.fields();
        let value = |fields: &[Field], name: &str| {
            fields.iter().find(|f| f.name == name).map_or(ABSENT.to_string(), |f| f.value.clone())
        };
        let mut names: Vec<&'static str> = new.iter().map(|f| f.name).collect();
        for f in &old {
            if !names.contains(&f.name) {
                names.push(f.name);
            }
        }
        names
            .into_iter()
            .filter_map(|name| {
                let (from, to) = (value(&old, name), value(&new, name));
                (from != to).then(|| Change { what: name.to_string(), from, to })
            })
            .collect()
    }

    /// One line for a status bar: `SGD lr 0.05 b 0.5`, with the potential
    /// when it is not linear and the tolerance when it is not 0.
    pub fn summary(&self) -> String {
        let mut text = self.scheme.summary();
        if !self.potential.is_linear() {
            text.push_str(&format!(", {}", potential_name(self.potential)));
        }
        if self.overlap_tolerance > 0.0 {
            text.push_str(&format!(", active: overlap > {}", number(self.overlap_tolerance)));
        }
        text
    }
}

/// `harmonic m 2`, `Hertzian m 2.5`, `m 3`.
pub fn potential_name(p: Potential) -> String {
    let m = p.exponent();
    let name = if m == 1.0 {
        "linear "
    } else if m == 2.0 {
        "harmonic "
    } else if m == 2.5 {
        "Hertzian "
    } else {
        ""
    };
    format!("{name}m {}", number(m))
}

impl Scheme {
    /// The scheme's name in words: `pairwise BRO`, `SGD`, ...
    pub fn title(&self) -> &'static str {
        match self {
            Scheme::BroPairwise { .. } => "pairwise BRO",
            Scheme::BroPairwiseNonreciprocal { .. } => "non-reciprocal pairwise BRO",
            Scheme::BroParticle { normalized: false, .. } => "particle BRO",
            Scheme::BroParticle { normalized: true, .. } => "normalized particle BRO",
            Scheme::Sgd { .. } => "SGD",
            Scheme::Rcd { .. } => "RCD",
            Scheme::Gd { .. } => "GD",
            Scheme::SaPairwise { .. } => "pairwise SA",
            Scheme::SaParticle { .. } => "particle SA",
        }
    }

    /// The scheme and its step parameters in words: `pairwise BRO eps 0.1`,
    /// `SGD lr 0.05 b 0.5 (fixed batch)`, `pairwise SA of BRO eps 0.05 h 1`.
    pub fn summary(&self) -> String {
        let title = self.title();
        let batch = |b: f64, mode: BatchMode| match mode {
            BatchMode::Probabilistic => format!("b {}", number(b)),
            BatchMode::Fixed => format!("b {} (fixed batch)", number(b)),
        };
        match *self {
            Scheme::BroPairwise { kick }
            | Scheme::BroPairwiseNonreciprocal { kick }
            | Scheme::BroParticle { kick, .. } => format!("{title} eps {}", number(kick)),
            Scheme::Sgd { lr, batch: b, batch_mode } | Scheme::Rcd { lr, batch: b, batch_mode } => {
                format!("{title} lr {} {}", number(lr), batch(b, batch_mode))
            }
            Scheme::Gd { lr } => format!("{title} lr {}", number(lr)),
            Scheme::SaPairwise { noise, h } | Scheme::SaParticle { noise, h } => match noise {
                Noise::Bro { kick } => format!("{title} of BRO eps {} h {}", number(kick), number(h)),
                Noise::Sgd { lr, batch: b } => {
                    format!("{title} of SGD lr {} b {} h {}", number(lr), number(b), number(h))
                }
            },
        }
    }
}

/// A parameter for people: four significant decimals at most, no trailing
/// zeros (`0.05`, `0.0333`, `2.5`), powers of ten below 10^-3 (`1e-5`).
pub fn number(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    if v.abs() < 1e-3 {
        return format!("{v:.0e}");
    }
    let text = format!("{v:.4}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    text.to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_frame_headers_fields_give_back_its_dynamics() {
        use crate::sim::{Noise, Potential, Scheme};
        let schemes = [
            Scheme::BroPairwise { kick: 0.05 },
            Scheme::BroPairwiseNonreciprocal { kick: 0.3 },
            Scheme::BroParticle { kick: 0.2, normalized: true },
            Scheme::Sgd { lr: 0.0333, batch: 0.75, batch_mode: BatchMode::Fixed },
            Scheme::Rcd { lr: 0.1, batch: 0.25, batch_mode: BatchMode::Probabilistic },
            Scheme::Gd { lr: 0.07 },
            Scheme::SaPairwise { noise: Noise::Sgd { lr: 0.1, batch: 0.5 }, h: 0.5 },
            Scheme::SaParticle { noise: Noise::Bro { kick: 0.2 }, h: 1.0 },
        ];
        for scheme in schemes {
            let d = Dynamics { scheme, potential: Potential::HARMONIC, overlap_tolerance: 0.001 };
            let values: Vec<(String, String)> = d.fields().into_iter().map(|f| (f.name.to_string(), f.value)).collect();
            assert_eq!(Dynamics::from_fields(&values), Some(d), "{scheme:?}");
        }
        assert_eq!(Dynamics::from_fields(&[("scheme".into(), "adam".into())]), None);
    }

    use super::*;

    #[test]
    fn changes_name_each_value_that_moved() {
        let sgd = Dynamics {
            scheme: Scheme::Sgd { lr: 0.05, batch: 0.5, batch_mode: BatchMode::Probabilistic },
            ..Dynamics::default()
        };
        let slower = Dynamics {
            scheme: Scheme::Sgd { lr: 0.02, batch: 0.5, batch_mode: BatchMode::Probabilistic },
            ..Dynamics::default()
        };
        assert_eq!(slower.changes_from(&sgd), [Change { what: "lr".into(), from: "0.05".into(), to: "0.02".into() }]);
        assert!(sgd.changes_from(&sgd).is_empty());
        let bro = Dynamics::default();
        let names: Vec<String> = bro.changes_from(&sgd).into_iter().map(|c| c.what).collect();
        assert_eq!(names, ["scheme", "kick", "lr", "batch", "batch_mode"]);
    }

    #[test]
    fn numbers_read_as_people_write_them() {
        assert_eq!(number(0.05), "0.05");
        assert_eq!(number(1.0 / 30.0), "0.0333");
        assert_eq!(number(2.5), "2.5");
        assert_eq!(number(0.001), "0.001");
        assert_eq!(number(1e-5), "1e-5");
        assert_eq!(number(0.0), "0");
    }

    #[test]
    fn summaries_name_the_scheme_and_its_parameters() {
        assert_eq!(Scheme::BroPairwise { kick: 0.1 }.summary(), "pairwise BRO eps 0.1");
        let d = Dynamics {
            scheme: Scheme::Sgd { lr: 0.05, batch: 0.5, batch_mode: BatchMode::Fixed },
            potential: Potential::HARMONIC,
            overlap_tolerance: 0.001,
        };
        assert_eq!(d.summary(), "SGD lr 0.05 b 0.5 (fixed batch), harmonic m 2, active: overlap > 0.001");
    }
}
