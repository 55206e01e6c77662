//! `ferrocol`: the collector binary. Command line compatible with ADOT and `otelcol`
//! (`--config` repeatable, `--set`, `--feature-gates`, `AOT_CONFIG_CONTENT`), plus otelcol's
//! `validate`, `components`, `print-config` and `featuregate` subcommands.

mod cli;
mod components;
mod featuregates;
mod print;

#[cfg(feature = "jemalloc")]
#[global_allocator]
static ALLOC: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> std::process::ExitCode {
    telemetry::server::mark_process_start();
    cli::main()
}
