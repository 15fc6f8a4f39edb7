//! A live stack with data: the simulator at a fixed time → the real `genesys-aht`
//! binary under the execd harness, gathering once → its metrics written to a real
//! InfluxDB 1.x → sidecars over it.

use std::path::PathBuf;
use std::time::Duration;

use genesys_aht_tests::influxdb::InfluxDb;
use genesys_aht_tests::plugin_config::PluginConfig;
use genesys_aht_tests::telegraf::{self, Execd, ExecdConfig, Signal as ExecdSignal};
use genesys_aht_tests::workspace;
use genesys_sim::{Clock, Sim, SimConfig};

const GRANULARITY_SECS: i64 = 900;
const LIMIT: Duration = Duration::from_secs(20);

/// What one gather left in InfluxDB, and the peers that hold it.
pub(crate) struct Collected {
    /// The simulator, whose truth the data must equal.
    pub sim: Sim,
    /// The real InfluxDB 1.x holding the plugin's points.
    pub influx: InfluxDb,
    /// Config files.
    pub dir: tempfile::TempDir,
    /// The simulator's (fixed) now.
    pub now: jiff::Timestamp,
    /// The closed 15-minute buckets the gather read: [start, end) in Unix seconds.
    pub start: i64,
    /// See `start`.
    pub end: i64,
}

/// The simulator at now, one gather of the plugin (the last 2 h of 15-minute buckets,
/// by skill), every metric written to InfluxDB.
pub(crate) async fn collect_once() -> Collected {
    collect(false).await
}

/// As [`collect_once`], with the plugin's `[observations]` on: the live queue state
/// at the simulator's now is written too, stamped at the plugin's poll.
pub(crate) async fn collect_observing() -> Collected {
    collect(true).await
}

async fn collect(observations: bool) -> Collected {
    let now = jiff::Timestamp::now();
    let sim = Sim::start(SimConfig {
        clock: Clock::Fixed(now),
        check_contract: true,
        ..SimConfig::default()
    })
    .await
    .expect("the simulator starts");
    let influx = InfluxDb::start().await.expect("start influxd");
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut plugin_config = PluginConfig::new(&sim.base_url())
        .genesys("client_secret", "${SIM_SECRET}")
        .collect("granularity", "15m")
        .collect("lookback", "2h")
        .collect("group_by", vec!["requestedRoutingSkillId"]);
    if observations {
        plugin_config = plugin_config.observations("enabled", true);
    }
    let plugin_config = plugin_config.write(&dir);
    let mut execd = ExecdConfig::new(workspace::binary("genesys-aht"));
    execd.args = vec![
        "--config".into(),
        plugin_config.to_string_lossy().into_owned(),
    ];
    execd.env = vec![("SIM_SECRET".into(), "sim-secret".into())];
    // The plugin's own default; Telegraf's (and the stand-in's) is "none".
    execd.signal = ExecdSignal::Stdin;
    let harness = Execd::start(execd).await.expect("the harness starts");
    harness.gather().await.expect("a gather");
    assert!(
        harness
            .wait_until(LIMIT, |r| r
                .metrics
                .iter()
                .any(|(_, m)| m.measurement == genesys_aht_contract::MEASUREMENT))
            .await,
        "the plugin wrote conversation metrics"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (_, recorded) = harness.stop().await;
    let lines = telegraf::line_protocol(&recorded.metrics).expect("encodable metrics");
    influx
        .write(&lines)
        .await
        .expect("InfluxDB accepts every line");
    let end = now.as_second().div_euclid(GRANULARITY_SECS) * GRANULARITY_SECS;
    Collected {
        sim,
        influx,
        dir,
        now,
        start: end - 8 * GRANULARITY_SECS,
        end,
    }
}

impl Collected {
    /// Writes a sidecar config named `name` listening on a free port, over this
    /// InfluxDB (or over `influx_url` when given), with `extra` TOML appended.
    pub(crate) fn sidecar_config(
        &self,
        name: &str,
        influx_url: Option<&str>,
        extra: &str,
    ) -> PathBuf {
        let path = self.dir.path().join(name);
        let text = format!(
            "listen = \"127.0.0.1:0\"\n[influx]\nbackend = \"influxql\"\nurl = \"{}\"\nbucket = \"{}\"\n{extra}",
            influx_url.unwrap_or(&self.influx.url),
            self.influx.database
        );
        std::fs::write(&path, text).expect("the sidecar's config is written");
        path
    }
}
