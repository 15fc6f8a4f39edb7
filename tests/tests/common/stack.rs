//! A live stack with data: the simulator at a fixed time → the real `genesys-aht`
//! binary under the execd harness, gathering once (optionally through a quarter of
//! failed requests, see [`Collection`]) → its metrics written to a real InfluxDB 1.x
//! → sidecars over it. [`collect_observed`] also has the plugin observe the queues'
//! live state at the simulator's instant.

use std::path::PathBuf;
use std::time::Duration;

use genesys_aht_contract::Point;
use genesys_aht_tests::influxdb::InfluxDb;
use genesys_aht_tests::plugin_config::PluginConfig;
use genesys_aht_tests::telegraf::{self, Execd, ExecdConfig, Signal as ExecdSignal};
use genesys_aht_tests::workspace;
use genesys_sim::{Clock, Endpoint, FaultKind, RandomFaults, Sim, SimConfig};

const GRANULARITY_SECS: i64 = 900;
const LIMIT: Duration = Duration::from_secs(20);
/// The plugin's clock override (`genesys_aht::NOW_FILE_VAR`): a file holding its "now".
const NOW_FILE_VAR: &str = "GENESYS_AHT_NOW_FILE";

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
    /// The conversation points the plugin wrote, as it wrote them.
    pub points: Vec<Point>,
}

/// How [`collect`] runs the gather.
pub(crate) struct Collection {
    /// The plugin's `group_by` (Genesys dimension names).
    pub group_by: Vec<&'static str>,
    /// A quarter of all requests to the simulator, logins included, fail in every
    /// way it knows (seeded); the plugin's retries must hide all of it.
    pub faulted: bool,
    /// `[observations]` on, the plugin's clock the simulator's (see [`collect_observed`]).
    pub observed: bool,
}

impl Default for Collection {
    fn default() -> Self {
        Collection {
            group_by: vec!["requestedRoutingSkillId"],
            faulted: false,
            observed: false,
        }
    }
}

/// The simulator at now, one gather of the plugin (the last 2 h of 15-minute buckets,
/// by skill), every metric written to InfluxDB.
pub(crate) async fn collect_once() -> Collected {
    collect(Collection::default()).await
}

/// As [`collect_once`], with `[observations]` on: the plugin's clock is the
/// simulator's (a whole second), so its `genesys_queue` points are stamped at
/// [`Collected::now`] and equal `Sim::observations` there.
pub(crate) async fn collect_observed() -> Collected {
    collect(Collection {
        observed: true,
        ..Collection::default()
    })
    .await
}

/// The simulator at now, one gather of the plugin (the last 2 h of 15-minute buckets)
/// as `how` says, every metric written to InfluxDB.
pub(crate) async fn collect(how: Collection) -> Collected {
    let observed = how.observed;
    let now = jiff::Timestamp::now();
    // Whole seconds: the observed ages (ms) are then the same whichever clock reads them.
    let now = if observed {
        jiff::Timestamp::from_second(now.as_second()).expect("a time")
    } else {
        now
    };
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
        .collect("group_by", how.group_by);
    if how.faulted {
        sim.set_random_faults(Some(RandomFaults {
            seed: 3,
            probability: 0.25,
            kinds: FaultKind::every(1, Duration::from_secs(2)),
            endpoint: Endpoint::Any,
        }));
        plugin_config = plugin_config
            .genesys("request_timeout", "1s")
            .genesys("backoff_initial", "20ms")
            .genesys("backoff_max", "100ms")
            .genesys("max_retries", 20);
    }
    if observed {
        plugin_config = plugin_config.observations("enabled", true);
    }
    let plugin_config = plugin_config.write(&dir);
    let mut execd = ExecdConfig::new(workspace::binary("genesys-aht"));
    execd.args = vec![
        "--config".into(),
        plugin_config.to_string_lossy().into_owned(),
    ];
    execd.env = vec![("SIM_SECRET".into(), "sim-secret".into())];
    if observed {
        let now_file = dir.path().join("now");
        std::fs::write(&now_file, now.to_string()).expect("the plugin's clock is written");
        execd
            .env
            .push((NOW_FILE_VAR.into(), now_file.to_string_lossy().into_owned()));
    }
    // The plugin's own default; Telegraf's (and the stand-in's) is "none".
    execd.signal = ExecdSignal::Stdin;
    let harness = Execd::start(execd).await.expect("the harness starts");
    harness.gather().await.expect("a gather");
    assert!(
        harness
            .wait_until(LIMIT, |r| {
                let wrote =
                    |measurement: &str| r.metrics.iter().any(|(_, m)| m.measurement == measurement);
                wrote(genesys_aht_contract::MEASUREMENT)
                    && (!observed || wrote(genesys_aht_contract::queue::MEASUREMENT))
            })
            .await,
        "the plugin wrote conversation metrics (and the queues' state when observed)"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (_, recorded) = harness.stop().await;
    if how.faulted {
        let faulted = sim
            .request_log()
            .iter()
            .filter(|r| r.fault.is_some())
            .count();
        assert!(faulted > 0, "the simulator failed some requests");
    }
    if observed {
        let at = i64::try_from(now.as_nanosecond()).expect("a time in range");
        assert!(
            recorded
                .metrics
                .iter()
                .filter(|(_, m)| m.measurement == genesys_aht_contract::queue::MEASUREMENT)
                .all(|(_, m)| m.timestamp == Some(at)),
            "the plugin's points are stamped at the simulator's now only with {NOW_FILE_VAR} \
             read: build genesys-aht with its test-clock feature (`cargo test --workspace` does)"
        );
    }
    let lines = telegraf::line_protocol(&recorded.metrics).expect("encodable metrics");
    influx
        .write(&lines)
        .await
        .expect("InfluxDB accepts every line");
    let end = now.as_second().div_euclid(GRANULARITY_SECS) * GRANULARITY_SECS;
    let points = recorded
        .metrics
        .iter()
        .filter(|(_, m)| m.measurement == genesys_aht_contract::MEASUREMENT)
        .map(|(_, m)| m.to_point())
        .collect();
    Collected {
        sim,
        influx,
        dir,
        now,
        start: end - 8 * GRANULARITY_SECS,
        end,
        points,
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
