//! The plugin as Telegraf's `inputs.execd` runs it (the harness of `genesys-aht-tests`,
//! a stand-in for Telegraf): gathers over stdin, clean logs, stop by closing stdin.

// Helpers outside #[test] functions unwrap too: a panic here is a failed test.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::{BIN, DEFAULT_CLIENT, config_file, sim};
use genesys_aht_tests::telegraf::{Execd, ExecdConfig, Level, Signal, StopStep};
use genesys_sim::SimConfig;

#[tokio::test]
async fn gathers_over_stdin_and_stops_when_stdin_closes() {
    let sim = sim(SimConfig::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let config = config_file(&dir, &sim, DEFAULT_CLIENT, "");
    let mut execd = ExecdConfig::new(BIN);
    execd.args = vec!["--config".into(), config.to_str().unwrap().into()];
    execd.signal = Signal::Stdin;
    let telegraf = Execd::start(execd).await.unwrap();

    telegraf.gather().await.unwrap();
    assert!(
        telegraf
            .wait_until(Duration::from_secs(10), |r| !r.metrics.is_empty())
            .await
    );
    let first = telegraf.recorded().metrics.len();
    telegraf.gather().await.unwrap();
    let second = telegraf
        .wait_until(Duration::from_secs(10), |r| r.metrics.len() >= 2 * first)
        .await;
    assert!(second, "the second gather printed its batch");

    let (outcome, recorded) = telegraf.stop().await;
    assert_eq!(outcome.step, StopStep::StdinClosed, "{outcome:?}");
    assert!(outcome.status.is_some_and(|s| s.success()), "{outcome:?}");
    assert!(
        recorded.parse_errors.is_empty(),
        "{:?}",
        recorded.parse_errors
    );
    assert!(
        recorded.partial_at_eof.is_empty(),
        "{:?}",
        recorded.partial_at_eof
    );
    assert!(
        recorded.exits.is_empty() && recorded.starts == 1,
        "{recorded:?}"
    );
    let errors: Vec<_> = recorded
        .logs
        .iter()
        .filter(|l| l.level == Level::Error)
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    let internal = genesys_aht_contract::names::internal::MEASUREMENT;
    let mut own = 0;
    for (_, metric) in &recorded.metrics {
        assert!(metric.timestamp.is_some());
        if metric.measurement == internal {
            own += 1;
            continue;
        }
        if metric.measurement.starts_with(internal) {
            continue;
        }
        assert_eq!(metric.measurement, genesys_aht_contract::MEASUREMENT);
        assert!(metric.tags.contains_key("skill") && metric.tags.contains_key("media_type"));
    }
    assert_eq!(own, 2, "one point of the plugin's own metrics per gather");
}
