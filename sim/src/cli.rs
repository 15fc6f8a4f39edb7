//! The `genesys-sim` command line.

use std::net::SocketAddr;
use std::time::Duration;

use clap::Parser;

use crate::config::{ClientConfig, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, SimConfig};

/// A local Genesys Cloud Platform API: prints its base URL on the first stdout line.
#[derive(Debug, Parser)]
#[command(name = "genesys-sim", version)]
pub struct Cli {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:0")]
    pub listen: SocketAddr,
    /// Seed of the simulated org and its conversations.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// OAuth client id accepted by `/oauth/token`.
    #[arg(long, default_value = DEFAULT_CLIENT_ID)]
    pub client_id: String,
    /// OAuth client secret accepted by `/oauth/token`.
    #[arg(long, env = "GENESYS_SIM_CLIENT_SECRET", default_value = DEFAULT_CLIENT_SECRET, hide_env_values = true)]
    pub client_secret: String,
    /// Lifetime of issued tokens, in seconds.
    #[arg(long, default_value_t = 86_399)]
    pub token_lifetime_secs: u64,
    /// Requests per minute per token before 429.
    #[arg(long, default_value_t = 300)]
    pub requests_per_minute: u32,
    /// Average number of conversations starting per hour.
    #[arg(long, default_value_t = 300)]
    pub conversations_per_hour: u32,
    /// Largest ingestion delay of a metric after its emitDate, in seconds.
    #[arg(long, default_value_t = 0)]
    pub ingestion_lag_secs: u64,
}

impl Cli {
    /// The simulator configuration these flags describe.
    pub fn config(&self) -> SimConfig {
        SimConfig {
            seed: self.seed,
            clients: vec![ClientConfig::with_all_permissions(
                &self.client_id,
                &self.client_secret,
            )],
            token_lifetime: Duration::from_secs(self.token_lifetime_secs),
            requests_per_minute: self.requests_per_minute,
            conversations_per_hour: self.conversations_per_hour,
            ingestion_lag: Duration::from_secs(self.ingestion_lag_secs),
            ..SimConfig::default()
        }
    }
}
