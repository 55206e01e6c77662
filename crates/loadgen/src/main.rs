//! `loadgen traces|metrics|logs [options]`: sends OTLP load and prints a JSON summary.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use loadgen::{Encoding, Generator, LoadConfig, Protocol, Shape, Signal};

#[derive(Parser)]
#[command(
    name = "loadgen",
    version,
    about = "OTLP load generator (telemetrygen-like)"
)]
struct Cli {
    #[command(subcommand)]
    signal: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Send spans.
    Traces(Options),
    /// Send metric data points.
    Metrics(Options),
    /// Send log records.
    Logs(Options),
}

#[derive(Args)]
struct Options {
    /// host:port, or http://host:port (plaintext) / https://host:port.
    #[arg(long, default_value = "localhost:4317")]
    otlp_endpoint: String,
    #[arg(long, value_enum, default_value = "grpc")]
    protocol: Protocol,
    /// Body encoding for --protocol http.
    #[arg(long, value_enum, default_value = "proto")]
    encoding: Encoding,
    /// Plaintext (no TLS).
    #[arg(long)]
    insecure: bool,
    /// PEM file with the CA that signed the server's certificate (turns TLS on).
    #[arg(long)]
    ca_file: Option<PathBuf>,
    /// TLS server name, when it differs from the endpoint's host.
    #[arg(long)]
    server_name: Option<String>,
    /// Compress requests with gzip.
    #[arg(long)]
    gzip: bool,
    /// Items per second over all workers; 0 = as fast as the server answers.
    #[arg(long, default_value_t = 1000)]
    rate: u64,
    /// How long to send, e.g. 10s, 1m30s.
    #[arg(long, value_parser = humantime::parse_duration)]
    duration: Option<Duration>,
    /// How many items to send in total.
    #[arg(long)]
    items: Option<u64>,
    /// Concurrent connections, one request in flight each.
    #[arg(long, default_value_t = 1)]
    workers: usize,
    /// Items per request.
    #[arg(long, default_value_t = 100)]
    batch_size: usize,
    /// String attributes per item.
    #[arg(long, default_value_t = 0)]
    attributes: usize,
    /// Bytes per attribute value.
    #[arg(long, default_value_t = 16)]
    attribute_size: usize,
    /// Resources per request.
    #[arg(long, default_value_t = 1)]
    resources: usize,
    /// Distinct metric names (metrics).
    #[arg(long, default_value_t = 100)]
    series: usize,
    /// Distinct pre-encoded requests to cycle through.
    #[arg(long, default_value_t = 32)]
    pool_size: usize,
    /// Per-request timeout.
    #[arg(long, value_parser = humantime::parse_duration, default_value = "10s")]
    timeout: Duration,
    /// OTLP/HTTP path (default /v1/<signal>).
    #[arg(long)]
    http_path: Option<String>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let (signal, o) = match cli.signal {
        Command::Traces(o) => (Signal::Traces, o),
        Command::Metrics(o) => (Signal::Metrics, o),
        Command::Logs(o) => (Signal::Logs, o),
    };
    let workers = o.workers;
    let config = LoadConfig {
        signal,
        endpoint: o.otlp_endpoint,
        protocol: o.protocol,
        encoding: o.encoding,
        insecure: o.insecure,
        ca_file: o.ca_file,
        server_name: o.server_name,
        gzip: o.gzip,
        rate: o.rate,
        // telemetrygen sends for a bounded time when given no bound; so do we.
        duration: o
            .duration
            .or(o.items.is_none().then_some(Duration::from_secs(10))),
        items: o.items,
        workers,
        shape: Shape {
            batch_size: o.batch_size,
            attributes: o.attributes,
            attribute_size: o.attribute_size,
            resources: o.resources,
            series: o.series,
        },
        pool_size: o.pool_size,
        request_timeout: o.timeout,
        http_path: o.http_path,
    };
    let summary = Generator::new(config).and_then(|g| g.run_blocking(workers.min(4)));
    match summary {
        Ok(s) => {
            println!("{}", serde_json::to_string(&s).expect("summary serializes"));
            if s.acked_items == s.sent_items && s.sent_items > 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(e) => {
            eprintln!("loadgen: {e}");
            ExitCode::from(2)
        }
    }
}
