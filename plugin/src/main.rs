//! `genesys-aht`: Telegraf execd input for Genesys Cloud handle-time KPIs.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use genesys_aht::{config, run};

/// Genesys Cloud average handle time per skill, queue and media type, as line protocol.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// Plugin configuration file (TOML); see --sample-config.
    #[arg(long, value_name = "FILE", required_unless_present_any = ["demo", "sample_config"])]
    config: Option<PathBuf>,
    /// Collect the last `lookback` window once, print it and exit.
    #[arg(long, requires = "config")]
    once: bool,
    /// Run against a built-in simulated Genesys Cloud (no credentials needed); only in
    /// builds with the `demo` feature (`cargo run -p genesys-aht --features demo -- --demo`).
    #[arg(long, conflicts_with_all = ["config", "once"])]
    demo: bool,
    /// Print the documented sample configuration and exit.
    #[arg(long, exclusive = true)]
    sample_config: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    if args.sample_config {
        let _ = std::io::stdout()
            .lock()
            .write_all(config::SAMPLE.as_bytes());
        return ExitCode::SUCCESS;
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            genesys_aht::error!("starting the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match (args.demo, args.config) {
            (true, _) => run::demo().await,
            (false, Some(path)) => {
                let settings = config::load_settings(&path)?;
                if args.once {
                    run::once(settings).await
                } else {
                    run::serve(settings).await
                }
            }
            (false, None) => Ok(()),
        }
    });
    let code = match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            genesys_aht::error!("{e}");
            ExitCode::FAILURE
        }
    };
    // Tokio's stdin reader is a blocking thread that would hold the runtime open.
    runtime.shutdown_background();
    code
}
