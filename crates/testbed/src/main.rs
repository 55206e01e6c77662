//! `testbed`: scenarios against ferrocol and the Rotel peer, side by side.
//!
//! ```text
//! cargo build --release -p ferrocol
//! cargo run --release -p testbed -- compare [--duration 30s] [--scenarios Trace10kSPS,Log10kDPS]
//! cargo run --release -p testbed -- run --collector ferrocol --scenario PassThrough/OTLP-gRPC
//! cargo run --release -p testbed -- list
//! ```

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use testbed::collector::CollectorKind;
use testbed::compare::{Contenders, compare};
use testbed::report;
use testbed::runner::{self, RunOptions, Verdict};
use testbed::scenario;

#[derive(Parser)]
#[command(
    name = "testbed",
    about = "ferrocol's load scenarios, side by side with Rotel"
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run scenarios for ferrocol and Rotel alternately; print the table, write
    /// bench/results.json and update bench/RESULTS.md.
    Compare {
        #[command(flatten)]
        common: Common,
        /// Do not write bench/results.json and bench/RESULTS.md.
        #[arg(long)]
        no_write: bool,
        /// Where results.json and RESULTS.md go (default: <repo>/bench).
        #[arg(long)]
        out_dir: Option<PathBuf>,
    },
    /// Run scenarios against one collector and print the results as JSON.
    Run {
        #[command(flatten)]
        common: Common,
        #[arg(long, value_enum, default_value = "ferrocol")]
        collector: Which,
    },
    /// List the scenarios.
    List,
}

#[derive(Clone, Copy, ValueEnum)]
enum Which {
    Ferrocol,
    Rotel,
}

#[derive(Args)]
struct Common {
    /// Load time per scenario (after the warm-up).
    #[arg(long, value_parser = humantime::parse_duration, default_value = "30s")]
    duration: Duration,
    #[arg(long, value_parser = humantime::parse_duration, default_value = "3s")]
    warmup: Duration,
    /// Give up waiting for acknowledged items to reach the backend after this long without
    /// progress (at most 3 minutes in all).
    #[arg(long, value_parser = humantime::parse_duration, default_value = "10s")]
    drain_timeout: Duration,
    /// Scenario name prefixes, comma-separated (default: all).
    #[arg(long, alias = "scenario", value_delimiter = ',')]
    scenarios: Vec<String>,
    /// The ferrocol binary (default: $FERROCOL_BIN, else <repo>/target/release/ferrocol).
    #[arg(long)]
    ferrocol: Option<PathBuf>,
    /// The Rotel peer script (default: <repo>/../shared/tools/peer-rotel.sh).
    #[arg(long)]
    rotel_script: Option<PathBuf>,
    /// The repository root.
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))]
    repo: PathBuf,
}

impl Common {
    fn options(&self) -> RunOptions {
        RunOptions {
            duration: self.duration,
            warmup: self.warmup,
            drain_timeout: self.drain_timeout,
            ..RunOptions::default()
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    match cli.command {
        Cmd::List => {
            for s in scenario::all() {
                println!("{}", s.name);
            }
            ExitCode::SUCCESS
        }
        Cmd::Run { common, collector } => {
            let repo = std::fs::canonicalize(&common.repo).unwrap_or(common.repo.clone());
            let who = match Contenders::locate(
                &repo,
                common.ferrocol.clone(),
                common.rotel_script.clone(),
            ) {
                Ok(w) => w,
                Err(e) => return fail(&e),
            };
            let kind = match collector {
                Which::Ferrocol => CollectorKind::Ferrocol { bin: who.ferrocol },
                Which::Rotel => CollectorKind::Rotel {
                    script: who.rotel_script,
                },
            };
            let mut ok = true;
            for s in scenario::select(&common.scenarios) {
                let r = runner::run(&rt, &kind, &s, &common.options());
                ok &= !matches!(r.verdict, Verdict::Failed(_));
                println!("{}", serde_json::to_string(&r).expect("result serializes"));
            }
            if ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Cmd::Compare {
            common,
            no_write,
            out_dir,
        } => {
            let repo = std::fs::canonicalize(&common.repo).unwrap_or(common.repo.clone());
            let who = match Contenders::locate(
                &repo,
                common.ferrocol.clone(),
                common.rotel_script.clone(),
            ) {
                Ok(w) => w,
                Err(e) => return fail(&e),
            };
            let scenarios = scenario::select(&common.scenarios);
            if scenarios.is_empty() {
                return fail(&format!("no scenario matches {:?}", common.scenarios));
            }
            let comparison = compare(&rt, &repo, &who, &scenarios, &common.options());
            println!("{}", report::markdown(&scenarios, &comparison.results));
            if !no_write {
                let dir = out_dir.unwrap_or_else(|| repo.join("bench"));
                if let Err(e) = report::write(&dir, &comparison, &scenarios) {
                    return fail(&format!("writing {}: {e}", dir.display()));
                }
                eprintln!("wrote {0}/results.json and {0}/RESULTS.md", dir.display());
            }
            let ferrocol_failed = comparison
                .results
                .iter()
                .any(|r| r.collector == "ferrocol" && matches!(r.verdict, Verdict::Failed(_)));
            if ferrocol_failed {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            }
        }
    }
}

fn fail(message: &str) -> ExitCode {
    eprintln!("testbed: {message}");
    ExitCode::from(2)
}
