//! `testbed compare`: every selected scenario against ferrocol and Rotel, alternating which goes
//! first so that drift on a shared machine does not always favour the same collector.

use std::path::{Path, PathBuf};

use tokio::runtime::Runtime;

use crate::collector::CollectorKind;
use crate::machine::Machine;
use crate::report::Comparison;
use crate::runner::{self, RunOptions, ScenarioResult, Verdict};
use crate::scenario::Scenario;

/// Where the two collectors are.
#[derive(Clone, Debug)]
pub struct Contenders {
    pub ferrocol: PathBuf,
    pub rotel_script: PathBuf,
}

impl Contenders {
    /// ferrocol from `FERROCOL_BIN` or `target/release/ferrocol`, Rotel from
    /// `../shared/tools/peer-rotel.sh`, both relative to the repo root; refuses to start when
    /// either is missing, rather than building anything.
    pub fn locate(
        repo: &Path,
        ferrocol: Option<PathBuf>,
        rotel: Option<PathBuf>,
    ) -> Result<Self, String> {
        let ferrocol = ferrocol
            .or_else(|| std::env::var_os("FERROCOL_BIN").map(PathBuf::from))
            .unwrap_or_else(|| repo.join("target/release/ferrocol"));
        if !ferrocol.is_file() {
            return Err(format!(
                "{} does not exist: build it first with `cargo build --release -p ferrocol` (compare builds nothing itself)",
                ferrocol.display()
            ));
        }
        let rotel_script = rotel.unwrap_or_else(|| repo.join("../shared/tools/peer-rotel.sh"));
        if !rotel_script.is_file() {
            return Err(format!(
                "{} does not exist: the Rotel peer script is expected in shared/tools next to the repo",
                rotel_script.display()
            ));
        }
        Ok(Contenders {
            ferrocol,
            rotel_script,
        })
    }
}

/// Runs the scenarios and returns the comparison (not yet written anywhere).
pub fn compare(
    rt: &Runtime,
    repo: &Path,
    who: &Contenders,
    scenarios: &[Scenario],
    opts: &RunOptions,
) -> Comparison {
    let machine = Machine::describe(repo);
    let ferrocol = CollectorKind::Ferrocol {
        bin: who.ferrocol.clone(),
    };
    let rotel = CollectorKind::Rotel {
        script: who.rotel_script.clone(),
    };
    let mut results = Vec::new();
    for (i, s) in scenarios.iter().enumerate() {
        let order = if i % 2 == 0 {
            [&ferrocol, &rotel]
        } else {
            [&rotel, &ferrocol]
        };
        for kind in order {
            let r = runner::run(rt, kind, s, opts);
            eprintln!("{}", progress_line(&r));
            results.push(r);
        }
    }
    Comparison {
        machine,
        options: opts.clone(),
        results,
    }
}

fn progress_line(r: &ScenarioResult) -> String {
    let head = format!("{:<34} {:<8}", r.scenario, r.collector);
    match (&r.verdict, &r.usage) {
        (Verdict::Passed, Some(u)) => format!(
            "{head} ok   {:>9.0} items/s  CPU {:>6.1}%  RSS {:>6.1}/{:>6.1} MiB  delivered {}/{}{}",
            r.items_per_second,
            u.cpu_percent,
            u.rss_avg_mib,
            u.rss_max_mib,
            r.received_items,
            r.acked_items,
            r.decodes
                .map_or(String::new(), |d| format!("  decodes {d}")),
        ),
        (Verdict::Passed, None) => format!("{head} ok"),
        (Verdict::Failed(reason), _) => format!("{head} FAILED: {reason}"),
        (Verdict::NotApplicable(reason), _) => format!("{head} n/a: {reason}"),
    }
}
