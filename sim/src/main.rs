//! `genesys-sim --listen ADDR --seed N`: prints the base URL first on stdout, logs on
//! stderr, stops on Ctrl-C or SIGTERM.

use std::io::Write;

use anyhow::Context;
use clap::Parser;
use genesys_sim::Sim;
use genesys_sim::cli::Cli;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let cli = Cli::parse();
    let sim = Sim::bind(cli.listen, cli.config())
        .await
        .with_context(|| format!("cannot listen on {}", cli.listen))?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{}", sim.base_url()).context("cannot write the base URL to stdout")?;
    stdout.flush().context("cannot flush stdout")?;
    drop(stdout);
    tracing::info!(seed = cli.seed, client_id = %cli.client_id, "genesys-sim listening on {}", sim.base_url());
    shutdown_signal().await?;
    tracing::info!("genesys-sim stopping");
    Ok(())
}

async fn shutdown_signal() -> anyhow::Result<()> {
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .context("cannot listen for SIGTERM")?;
    tokio::select! {
        result = tokio::signal::ctrl_c() => result.context("cannot listen for Ctrl-C")?,
        _ = terminate.recv() => {}
    }
    Ok(())
}
