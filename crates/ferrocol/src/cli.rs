//! Command-line parsing and the subcommands.

use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand, ValueEnum};
use service::Settings;
use telemetry::logs::LogsConfig;
use telemetry::server::ServiceIdentity;

use crate::{components, featuregates, print};

/// The configuration used when none is given.
pub const DEFAULT_CONFIG: &str = include_str!("default-config.yaml");

/// ADOT's environment variable that carries the whole configuration (ECS, from an SSM parameter).
const AOT_CONFIG_CONTENT: &str = "AOT_CONFIG_CONTENT";

#[derive(Parser, Debug)]
#[command(
    name = "ferrocol",
    version,
    about = "An OpenTelemetry Collector distribution in Rust, compatible with the AWS Distro for OpenTelemetry collector",
    long_about = None
)]
pub struct Cli {
    /// Locations of the configuration: file paths or URIs (file:, env:, yaml:, http:, https:).
    /// Repeatable; later ones are merged over earlier ones. Without any, and without
    /// AOT_CONFIG_CONTENT in the environment, the embedded default configuration runs.
    #[arg(long = "config", global = true, value_name = "URI")]
    config: Vec<String>,

    /// Set a configuration value, e.g. --set=processors.batch.timeout=2s. Applied after every
    /// --config. Array values are replaced and maps are joined.
    #[arg(long = "set", global = true, value_name = "KEY=VALUE")]
    set: Vec<String>,

    /// Comma-separated feature gates to enable (+id or id) or disable (-id).
    #[arg(long = "feature-gates", global = true, value_name = "GATES")]
    feature_gates: Vec<String>,

    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Resolve and check the configuration without starting anything.
    Validate,
    /// List the components compiled in, with their stability per signal, and the config providers.
    Components,
    /// Print the resolved configuration.
    #[command(alias = "print-initial-config")]
    PrintConfig {
        #[arg(long, value_enum, default_value_t = print::Mode::Redacted)]
        mode: print::Mode,
        #[arg(long, value_enum, default_value_t = Format::Yaml)]
        format: Format,
        /// Also validate the configuration.
        #[arg(long)]
        validate: bool,
    },
    /// List the feature gates, or describe one.
    Featuregate { id: Option<String> },
    /// Check a Prometheus exposition read on stdin (text 0.0.4, or OpenMetrics 1.0 with
    /// `--openmetrics`); exits non-zero and prints each error with its line when it is invalid.
    CheckMetrics {
        /// Read OpenMetrics 1.0 and apply its rules strictly (the OpenMetrics parser suite).
        #[arg(long)]
        openmetrics: bool,
    },
    /// Print the version.
    Version,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Format {
    Yaml,
    Json,
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let gates = match featuregates::apply(&cli.feature_gates) {
        Ok(gates) => gates,
        Err(e) => {
            eprintln!("Error: {e}");
            return ExitCode::FAILURE;
        }
    };
    match &cli.command {
        Some(Command::Components) => {
            print!("{}", print::components(&components::factories()));
            return ExitCode::SUCCESS;
        }
        Some(Command::Version) => {
            println!("ferrocol version {}", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        Some(Command::CheckMetrics { openmetrics }) => return check_metrics(*openmetrics),
        Some(Command::Featuregate { id }) => {
            return match featuregates::describe(id.as_deref()) {
                Ok(text) => {
                    print!("{text}");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("Error: {e}");
                    ExitCode::FAILURE
                }
            };
        }
        _ => {}
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("ferrocol")
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("Error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run_command(cli, gates)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("Error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `check-metrics`: like `promtool check metrics`, on stdin.
fn check_metrics(openmetrics: bool) -> ExitCode {
    use prometheus::exposition::{Format, Strictness, check_bytes};
    use std::io::Read;
    let mut body = Vec::new();
    if let Err(e) = std::io::stdin().read_to_end(&mut body) {
        eprintln!("Error: cannot read stdin: {e}");
        return ExitCode::FAILURE;
    }
    let format = if openmetrics {
        Format::OpenMetrics
    } else {
        Format::Text004
    };
    let errors = check_bytes(&body, format, Strictness::OpenMetricsStrict);
    for e in &errors {
        eprintln!("error parsing metrics: {e}");
    }
    if errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Where the configuration comes from, in ADOT's order of precedence.
fn config_uris(cli: &Cli) -> Result<Vec<String>, String> {
    // ADOT: the variable's mere presence (even empty) replaces every --config and --set.
    if std::env::var_os(AOT_CONFIG_CONTENT).is_some() {
        return Ok(vec![format!("env:{AOT_CONFIG_CONTENT}")]);
    }
    let mut uris = if cli.config.is_empty() {
        vec![format!("yaml:{DEFAULT_CONFIG}")]
    } else {
        cli.config.clone()
    };
    for s in &cli.set {
        uris.push(confmap::set_flag_to_yaml_uri(s).map_err(|e| e.to_string())?);
    }
    Ok(uris)
}

fn resolver(uris: Vec<String>) -> service::Resolve {
    Arc::new(move || {
        let uris = uris.clone();
        Box::pin(async move {
            let settings = confmap::ResolverSettings {
                uris,
                default_scheme: "env".into(),
                providers: confmap::Providers::default_set(),
            };
            confmap::Resolver::new(settings)
                .resolve()
                .await
                .map_err(|e| format!("failed to resolve config: {e}"))
        })
    })
}

async fn run_command(
    cli: Cli,
    gates: Vec<component::host::FeatureGateDescription>,
) -> Result<(), String> {
    let uris = config_uris(&cli)?;
    let resolve = resolver(uris);
    match cli.command {
        Some(Command::Validate) => {
            let settings = settings(resolve, None, gates);
            service::load(&settings).await?;
            Ok(())
        }
        Some(Command::PrintConfig {
            mode,
            format,
            validate,
        }) => {
            let settings = settings(resolve.clone(), None, gates);
            if validate {
                service::load(&settings).await?;
            }
            let root = resolve().await?;
            let text = match format {
                Format::Yaml => print::config_yaml(root, mode),
                Format::Json => print::config_json(root, mode),
            };
            println!("{text}");
            Ok(())
        }
        _ => {
            // Logging is configured from the config itself, so read the logs section first; a
            // config that does not resolve is reported with default logging.
            let logs = match resolve().await {
                Ok(root) => logs_config(&root),
                Err(_) => LogsConfig::default(),
            };
            let handle = telemetry::logs::init(&logs)?;
            tracing::info!(version = env!("CARGO_PKG_VERSION"), "Starting ferrocol...");
            service::run(settings(resolve, Some(handle), gates)).await
        }
    }
}

fn settings(
    resolve: service::Resolve,
    logs: Option<telemetry::logs::LogHandle>,
    feature_gates: Vec<component::host::FeatureGateDescription>,
) -> Settings {
    Settings {
        factories: components::factories(),
        resolve,
        identity: ServiceIdentity {
            service_name: "ferrocol".into(),
            service_instance_id: uuid::Uuid::new_v4().to_string(),
            service_version: env!("CARGO_PKG_VERSION").into(),
        },
        logs,
        feature_gates,
    }
}

/// The `service::telemetry::logs` section, or the defaults when it is absent or invalid (the
/// full validation reports the error properly).
fn logs_config(root: &confmap::Node) -> LogsConfig {
    root.get_path(&["service", "telemetry", "logs"])
        .filter(|n| !n.is_null())
        .and_then(|n| confmap::decode(n).ok())
        .unwrap_or_default()
}
