//! The plugin as Telegraf's `inputs.execd` runs it (the harness of `genesys-aht-tests`,
//! a stand-in for Telegraf): gathers over stdin, clean logs, stop by closing stdin.

// Helpers outside #[test] functions unwrap too: a panic here is a failed test.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::{BIN, TestConfig, sim};
use genesys_aht_tests::telegraf::{Execd, ExecdConfig, Level, Recorded, Signal, StopStep};
use genesys_sim::SimConfig;

#[tokio::test]
async fn gathers_over_stdin_and_stops_when_stdin_closes() {
    let sim = sim(SimConfig::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let config = TestConfig::new(&sim.base_url()).write(&dir);
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

fn own_points(recorded: &Recorded) -> usize {
    let internal = genesys_aht_contract::names::internal::MEASUREMENT;
    recorded
        .metrics
        .iter()
        .filter(|(_, m)| m.measurement == internal)
        .count()
}

#[tokio::test]
async fn each_sighup_sigusr1_and_sigusr2_collects_once_and_the_plugin_lives_on() {
    let sim = sim(SimConfig::default()).await;
    for (name, signal) in [
        ("SIGHUP", Signal::Sighup),
        ("SIGUSR1", Signal::Sigusr1),
        ("SIGUSR2", Signal::Sigusr2),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let config = TestConfig::new(&sim.base_url())
            .execd("signal", name)
            .write(&dir);
        let mut execd = ExecdConfig::new(BIN);
        execd.args = vec!["--config".into(), config.to_str().unwrap().into()];
        execd.signal = signal;
        let telegraf = Execd::start(execd).await.unwrap();
        let ready = telegraf
            .wait_until(Duration::from_secs(10), |r| {
                r.logs.iter().any(|l| l.text.contains(name))
            })
            .await;
        assert!(ready, "{name}: {:?}", telegraf.recorded().logs);
        for n in 1..=3 {
            telegraf.gather().await.unwrap();
            let polled = telegraf
                .wait_until(Duration::from_secs(10), |r| own_points(r) == n)
                .await;
            assert!(polled, "{name} gather {n}: {:?}", telegraf.recorded());
        }
        let (outcome, recorded) = telegraf.stop().await;
        assert_eq!(outcome.step, StopStep::StdinClosed, "{name}: {outcome:?}");
        assert_eq!(own_points(&recorded), 3, "{name}: one poll per signal");
        assert!(
            recorded.exits.is_empty() && recorded.starts == 1,
            "{name}: {recorded:?}"
        );
        assert!(recorded.parse_errors.is_empty(), "{name}");
        let conversations = recorded
            .metrics
            .iter()
            .filter(|(_, m)| m.measurement == genesys_aht_contract::MEASUREMENT)
            .count();
        assert!(conversations > 0, "{name}");
    }
}

#[tokio::test]
async fn with_signal_left_out_of_the_execd_block_the_plugin_warns() {
    let sim = sim(SimConfig::default()).await;
    let dir = tempfile::tempdir().unwrap();
    // The plugin waits for stdin lines; the block leaves `signal` at Telegraf's "none".
    let config = TestConfig::new(&sim.base_url())
        .execd("interval", "100ms")
        .write(&dir);
    let mut execd = ExecdConfig::new(BIN);
    execd.args = vec!["--config".into(), config.to_str().unwrap().into()];
    execd.interval = Some(Duration::from_millis(100));
    let telegraf = Execd::start(execd).await.unwrap();
    let warned = telegraf
        .wait_until(Duration::from_secs(10), |r| {
            r.logs
                .iter()
                .filter(|l| l.level == Level::Warn && l.text.contains("no trigger"))
                .count()
                >= 2
        })
        .await;
    assert!(warned, "{:?}", telegraf.recorded().logs);
    let (outcome, recorded) = telegraf.stop().await;
    assert_eq!(outcome.step, StopStep::StdinClosed, "{outcome:?}");
    assert!(recorded.metrics.is_empty(), "nothing triggered a poll");
    let warning = recorded
        .logs
        .iter()
        .find(|l| l.text.contains("no trigger"))
        .unwrap();
    assert!(
        warning.text.contains("signal = \"STDIN\""),
        "{}",
        warning.text
    );
}
