//! `absorb bench`: the core timed on fixed workloads, one JSON object a line.

use anyhow::{Context, Result};
use clap::Args;

#[derive(Args)]
pub struct BenchArgs {
    /// Worker threads; several (`--threads 1,2`) take turns in every round.
    #[arg(long, value_name = "K", value_delimiter = ',', default_value = "2")]
    threads: Vec<usize>,
    /// A subset that finishes in under a minute.
    #[arg(long)]
    quick: bool,
    /// Only the workloads with these names (active-3d, active-sgd-3d, tail-3d,
    /// absorb-3d, active-2d, scaling-1e4, scaling-1e5, scaling-1e6,
    /// structure-factor).
    #[arg(long, value_name = "NAME", value_delimiter = ',')]
    only: Vec<String>,
    /// Timed iterations per workload (absorb-3d runs to absorption whatever this says).
    #[arg(long, value_name = "T", default_value_t = 50)]
    iterations: u64,
    /// Rounds of every workload at every thread count; with more than one,
    /// a summary line per workload and thread count follows: the median of
    /// the rounds, the speedup over one thread, the tail's share of active-3d.
    /// (Peak memory is the process's own: measure it in a run of its own.)
    #[arg(long, value_name = "R", default_value_t = 1)]
    repeat: usize,
}

pub fn bench(args: BenchArgs) -> Result<()> {
    if let Some(bad) = args.threads.iter().find(|&&t| t == 0) {
        anyhow::bail!("--threads = {bad} is not allowed: at least 1 worker thread");
    }
    if args.repeat == 0 {
        anyhow::bail!("--repeat = 0 is not allowed: at least 1 round");
    }
    let all = absorb::bench::workloads(args.quick);
    let known: Vec<&str> = all.iter().map(|w| w.name).chain(["structure-factor"]).collect();
    if let Some(bad) = args.only.iter().find(|o| !known.contains(&o.as_str())) {
        anyhow::bail!("--only = {bad} is not allowed: one of {}", known.join(", "));
    }
    let wanted = |name: &str| args.only.is_empty() || args.only.iter().any(|o| o == name);
    let iterations = if args.quick { args.iterations.min(20) } else { args.iterations };
    let pools = args
        .threads
        .iter()
        .map(|&t| rayon::ThreadPoolBuilder::new().num_threads(t).build().context("starting worker threads"))
        .collect::<Result<Vec<_>>>()?;
    let mut measured = Vec::new();
    // Thread counts take turns within each round, so that a slow spell of a
    // shared machine falls on all of them alike.
    for _ in 0..args.repeat {
        for (pool, &threads) in pools.iter().zip(&args.threads) {
            pool.install(|| -> Result<()> {
                for w in all.iter().filter(|w| wanted(w.name)) {
                    let m = absorb::bench::measure(w, iterations, threads)?;
                    println!("{}", m.to_json());
                    measured.push(m);
                }
                if wanted("structure-factor") {
                    let m = absorb::bench::measure_structure_factor(threads)?;
                    println!("{}", m.to_json());
                    measured.push(m);
                }
                Ok(())
            })?;
        }
    }
    if args.repeat > 1 || args.threads.len() > 1 {
        for summary in absorb::bench::summarize(&measured) {
            println!("{}", summary.to_json());
        }
    }
    Ok(())
}
