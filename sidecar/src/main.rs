//! `genesys-aht-sidecar --config sidecar.toml`

use std::io::Write as _;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Parser;
use genesys_aht_sidecar::{Config, run, shutdown_signal};

// Cached answers are small and many: glibc's malloc spent about a sixth of the CPU on
// them (perf, `scripts/bench`); mimalloc's thread-local free lists do not.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Answers `GET /metrics/aht` from InfluxDB for dashboards.
#[derive(Debug, Parser)]
#[command(version)]
struct Cli {
    /// Path of the TOML configuration.
    #[arg(long, default_value = "sidecar.toml")]
    config: String,
}

#[tokio::main]
async fn main() -> ExitCode {
    match serve().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // One readable message (with its causes), not a backtrace.
            eprintln!("genesys-aht-sidecar: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let cli = Cli::parse();
    let config = Config::load(&cli.config).with_context(|| format!("config {}", cli.config))?;
    run(&config, shutdown_signal(), |url| {
        // The first stdout line tells scripts and tests where to connect.
        let _ = writeln!(std::io::stdout(), "{url}");
        tracing::info!("listening on {url}");
    })
    .await?;
    Ok(())
}
