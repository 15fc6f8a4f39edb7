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

/// The long flags, which Go-style callers spell with one dash: Telegraf's own
/// template for external plugins starts them with `-config`.
const LONG_FLAGS: [&str; 4] = ["config", "once", "demo", "sample-config"];

/// `-config x` and `-config=x` as `--config x` and `--config=x`; anything else as given.
fn go_style_flags(args: impl Iterator<Item = std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    args.map(|arg| {
        let Some(rest) = arg.to_str().and_then(|a| a.strip_prefix('-')) else {
            return arg;
        };
        let name = rest.split('=').next().unwrap_or(rest);
        if !rest.starts_with('-') && LONG_FLAGS.contains(&name) {
            format!("--{rest}").into()
        } else {
            arg
        }
    })
    .collect()
}

fn main() -> ExitCode {
    let args = Args::parse_from(go_style_flags(std::env::args_os()));
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
                for warning in config::limits::warnings(&settings.collect) {
                    genesys_aht::warn!("{warning}");
                }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Vec<String> {
        go_style_flags(args.iter().map(|a| (*a).into()))
            .into_iter()
            .map(|a| a.into_string().unwrap_or_default())
            .collect()
    }

    #[test]
    fn one_dash_long_flags_are_read_as_two() {
        assert_eq!(
            parse(&["genesys-aht", "-config", "/etc/p.toml", "-once"]),
            ["genesys-aht", "--config", "/etc/p.toml", "--once"]
        );
        assert_eq!(parse(&["x", "-config=/p.toml"]), ["x", "--config=/p.toml"]);
        assert_eq!(parse(&["x", "-sample-config"]), ["x", "--sample-config"]);
        // Values and unknown flags are left for clap to read or refuse.
        assert_eq!(
            parse(&["x", "--config", "-once.toml", "-h", "-configure"]),
            ["x", "--config", "-once.toml", "-h", "-configure"]
        );
    }
}
