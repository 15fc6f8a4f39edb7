//! The execd harness itself, driven by small bash programs whose behaviour is known.

use std::os::unix::process::ExitStatusExt;
use std::time::Duration;

use genesys_aht_tests::telegraf::{
    AtExit, Execd, ExecdConfig, Level, Signal, StopStep, Store, Value,
};

/// `bash -c script` with Telegraf's defaults.
fn bash_default(script: &str) -> ExecdConfig {
    let mut config = ExecdConfig::new("bash");
    config.args = vec!["-c".into(), script.into()];
    config
}

/// `bash -c script` gathered with `signal = "STDIN"`.
fn bash(script: &str) -> ExecdConfig {
    let mut config = bash_default(script);
    config.signal = Signal::Stdin;
    config
}

/// Prints one metric per newline on stdin and exits on EOF, as a well-behaved plugin does.
const ECHO_PLUGIN: &str = r#"n=0; while read -r _; do n=$((n+1)); echo "m,t=a v=${n}i $n"; done"#;

#[tokio::test]
async fn each_newline_is_one_gather_and_eof_stops_it() {
    let execd = Execd::start(bash(ECHO_PLUGIN)).await.unwrap();
    for _ in 0..3 {
        execd.gather().await.unwrap();
    }
    assert!(
        execd
            .wait_until(Duration::from_secs(5), |r| r.metrics.len() == 3)
            .await
    );
    let (outcome, recorded) = execd.stop().await;
    assert_eq!(outcome.step, StopStep::StdinClosed);
    assert!(outcome.status.unwrap().success());
    let values: Vec<_> = recorded
        .metrics
        .iter()
        .map(|(_, m)| m.int("v").unwrap())
        .collect();
    assert_eq!(values, [1, 2, 3]);
    assert_eq!(recorded.metrics[0].1.tags["t"], "a");
    assert_eq!(recorded.metrics[2].1.timestamp, Some(3));
}

#[tokio::test]
async fn a_line_without_newline_waits_for_eof() {
    let mut config = bash(r#"printf 'm v=1i'; read -r _; read -r _"#);
    config.at_exit = AtExit::ReadToEof;
    let execd = Execd::start(config).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        execd.metrics().is_empty(),
        "a partial line is not a metric yet"
    );
    let (_, recorded) = execd.stop().await;
    assert_eq!(recorded.partial_at_eof, ["m v=1i"]);
    assert_eq!(
        recorded.metrics.len(),
        1,
        "Telegraf parses what is left at EOF"
    );
}

#[tokio::test]
async fn stderr_prefixes_set_the_level() {
    let script = r#"echo 'E! broken' >&2; echo 'W! careful' >&2; echo 'I! fine' >&2; echo 'D! detail' >&2; echo 'no prefix' >&2; read -r _"#;
    let execd = Execd::start(bash(script)).await.unwrap();
    assert!(
        execd
            .wait_until(Duration::from_secs(5), |r| r.logs.len() == 5)
            .await
    );
    let (_, recorded) = execd.stop().await;
    let levels: Vec<_> = recorded
        .logs
        .iter()
        .map(|l| (l.level, l.text.as_str()))
        .collect();
    assert_eq!(
        levels,
        [
            (Level::Error, "broken"),
            (Level::Warn, "careful"),
            (Level::Info, "fine"),
            (Level::Debug, "detail"),
            (Level::Error, "stderr: \"no prefix\""),
        ]
    );
}

#[tokio::test]
async fn bad_lines_are_parse_errors_and_the_stream_goes_on() {
    let script = r#"echo 'not line protocol'; echo 'm v=1u'; echo 'm v=2i'; read -r _"#;
    let execd = Execd::start(bash(script)).await.unwrap();
    assert!(
        execd
            .wait_until(Duration::from_secs(5), |r| r.metrics.len() == 2)
            .await
    );
    let (_, recorded) = execd.stop().await;
    assert_eq!(
        recorded.parse_errors.len(),
        1,
        "{:?}",
        recorded.parse_errors
    );
    assert_eq!(recorded.metrics[0].1.fields["v"], Value::Unsigned(1));
    assert_eq!(recorded.metrics[1].1.fields["v"], Value::Integer(2));
}

/// Waits for the second start of a program that printed one metric and exited, then
/// gathers from it: its metric arrives too.
async fn gather_after_the_restart(execd: &Execd) {
    assert!(
        execd
            .wait_until(Duration::from_secs(5), |r| r.starts == 2)
            .await
    );
    execd.gather().await.expect("a gather after the restart");
    assert!(
        execd
            .wait_until(Duration::from_secs(5), |r| r.metrics.len() == 2)
            .await
    );
}

#[tokio::test]
async fn an_exit_is_followed_by_a_restart_with_new_pipes() {
    let execd = Execd::start(bash(r#"read -r _; echo "m v=1i"; sleep 0.3; exit 3"#))
        .await
        .unwrap();
    execd.gather().await.unwrap();
    gather_after_the_restart(&execd).await;
    let (_, recorded) = execd.stop().await;
    assert_eq!(recorded.exits[0].status.code(), Some(3));
    let instances: Vec<_> = recorded.metrics.iter().map(|(i, _)| *i).collect();
    assert_eq!(instances[..2], [0, 1]);
}

#[tokio::test]
async fn a_program_ignoring_eof_gets_sigterm_after_five_seconds() {
    let execd = Execd::start(bash("while :; do sleep 0.1; done"))
        .await
        .unwrap();
    let (outcome, _) = execd.stop().await;
    assert_eq!(outcome.step, StopStep::Sigterm);
    assert!(outcome.took >= Duration::from_secs(5), "{:?}", outcome.took);
}

#[tokio::test]
async fn a_program_ignoring_sigterm_gets_sigkill() {
    let execd = Execd::start(bash("trap '' TERM; while :; do sleep 0.1; done"))
        .await
        .unwrap();
    let (outcome, _) = execd.stop().await;
    assert_eq!(outcome.step, StopStep::Sigkill);
    assert!(
        outcome.took >= Duration::from_secs(10),
        "{:?}",
        outcome.took
    );
}

#[tokio::test]
async fn signal_none_is_the_default_and_sends_nothing() {
    let config = bash_default(
        r#"if read -r -t 1 _; then echo "m got=1i"; else echo "m got=0i"; fi; read -r _"#,
    );
    assert_eq!(config.signal, Signal::None);
    let execd = Execd::start(config).await.unwrap();
    execd.gather().await.unwrap();
    assert!(
        execd
            .wait_until(Duration::from_secs(5), |r| r.metrics.len() == 1)
            .await
    );
    assert_eq!(execd.metrics()[0].int("got"), Some(0));
    execd.stop().await;
}

#[tokio::test]
async fn a_missing_program_fails_to_start() {
    assert!(
        Execd::start(ExecdConfig::new("/nonexistent/genesys-aht"))
            .await
            .is_err()
    );
}

#[tokio::test]
async fn the_store_keeps_the_last_write_of_a_point() {
    let execd = Execd::start(bash(
        r#"read -r _; echo "m,t=a v=1i,w=5i 10"; echo "m,t=a v=2i 10"; echo "m,t=b v=7i 10"; read -r _"#,
    ))
    .await
    .unwrap();
    execd.gather().await.unwrap();
    assert!(
        execd
            .wait_until(Duration::from_secs(5), |r| r.metrics.len() == 3)
            .await
    );
    let store = Store::from_metrics(&execd.metrics());
    execd.stop().await;
    assert_eq!(store.points.len(), 2);
    let a = store
        .points
        .iter()
        .find(|(k, _)| k.1["t"] == "a")
        .unwrap()
        .1;
    assert_eq!(a["v"], Value::Integer(2));
    assert_eq!(
        a["w"],
        Value::Integer(5),
        "fields of earlier writes are kept"
    );
}

#[tokio::test]
async fn a_line_without_newline_is_lost_when_the_pipes_close_at_exit() {
    let execd = Execd::start(bash(r#"printf 'm v=1i'; read -r _; read -r _"#))
        .await
        .unwrap();
    let (_, recorded) = execd.stop().await;
    assert!(recorded.metrics.is_empty(), "{:?}", recorded.metrics);
    assert!(recorded.partial_at_eof.is_empty());
    assert_eq!(recorded.lost_at_exit, [(0, "m v=1i".to_owned())]);
}

#[tokio::test]
async fn output_not_read_before_the_exit_is_lost() {
    let execd = Execd::start(bash(
        r#"read -r _; echo "m v=1i"; read -r _; echo "m v=2i"; exit 0"#,
    ))
    .await
    .unwrap();
    execd.gather().await.unwrap();
    assert!(
        execd
            .wait_until(Duration::from_secs(5), |r| r.metrics.len() == 1)
            .await
    );
    // Telegraf's pipeline stalls: its reader falls behind, and `Wait` closes the pipe.
    execd.stall_stdout(true);
    execd.gather().await.unwrap();
    assert!(
        execd
            .wait_until(Duration::from_secs(5), |r| r.exits.len() == 1)
            .await
    );
    execd.stall_stdout(false);
    let (_, recorded) = execd.stop().await;
    let values: Vec<_> = recorded
        .metrics
        .iter()
        .map(|(_, m)| m.int("v").unwrap())
        .collect();
    assert_eq!(values, [1], "the second line was written, and never read");
    assert_eq!(recorded.lost_at_exit, [(0, "m v=2i\n".to_owned())]);
}

#[tokio::test]
async fn tabs_vertical_tabs_and_form_feeds_separate_like_spaces() {
    let script =
        r#"printf 'm,t=a\vb v=1i\nm,t=a\fb v=2i\n\tm\vv=3i\f4 \nm,t=ok v=5i\n'; read -r _"#;
    let execd = Execd::start(bash(script)).await.unwrap();
    assert!(
        execd
            .wait_until(Duration::from_secs(5), |r| r.metrics.len() == 2
                && r.parse_errors.len() == 2)
            .await,
        "{:?}",
        execd.recorded()
    );
    let (_, recorded) = execd.stop().await;
    assert_eq!(recorded.metrics[0].1.int("v"), Some(3));
    assert_eq!(recorded.metrics[0].1.timestamp, Some(4));
    assert_eq!(recorded.metrics[1].1.tags["t"], "ok");
    assert!(
        recorded.parse_errors[0].contains("a b"),
        "the vertical tab split the tag value: {:?}",
        recorded.parse_errors
    );
}

#[tokio::test]
async fn a_stderr_line_over_64_kib_stops_stderr_and_leaves_the_pipe_open() {
    // 70 000 characters on one line, then 200 000 more: more than a pipe holds.
    let script =
        r#"printf '%070000d\n' 0 >&2; printf '%0200000d\n' 0 >&2; echo "m done=1i"; read -r _"#;
    let execd = Execd::start(bash(script)).await.unwrap();
    assert!(
        execd
            .wait_until(Duration::from_secs(5), |r| !r.logs.is_empty())
            .await
    );
    let blocked = !execd
        .wait_until(Duration::from_secs(2), |r| {
            !r.metrics.is_empty() || !r.exits.is_empty()
        })
        .await;
    assert!(
        blocked,
        "the program blocks on stderr: {:?}",
        execd.recorded()
    );
    let (outcome, recorded) = execd.stop().await;
    assert_eq!(
        recorded.logs.iter().map(|l| l.level).collect::<Vec<_>>(),
        [Level::Error]
    );
    assert!(recorded.logs[0].text.contains("token too long"));
    assert_eq!(outcome.step, StopStep::Sigterm, "still blocked at the stop");
}

/// Writes `m s=<n>i` on SIGHUP (1), SIGUSR1 (2), SIGUSR2 (3); exits when stdin closes.
const TRAPPING_PLUGIN: &str = r#"trap 'echo "m s=1i"' HUP; trap 'echo "m s=2i"' USR1; trap 'echo "m s=3i"' USR2
echo 'I! ready' >&2
while :; do read -r -t 0.05 _; [ $? -eq 1 ] && exit 0; done"#;

#[tokio::test]
async fn sighup_sigusr1_and_sigusr2_gathers_signal_the_program() {
    for (signal, value) in [
        (Signal::Sighup, 1),
        (Signal::Sigusr1, 2),
        (Signal::Sigusr2, 3),
    ] {
        let mut config = bash_default(TRAPPING_PLUGIN);
        config.signal = signal;
        let execd = Execd::start(config).await.unwrap();
        assert!(
            execd
                .wait_until(Duration::from_secs(5), |r| !r.logs.is_empty())
                .await
        );
        for n in 1..=2 {
            execd.gather().await.unwrap();
            assert!(
                execd
                    .wait_until(Duration::from_secs(5), |r| r.metrics.len() == n)
                    .await,
                "{signal:?}"
            );
        }
        let (outcome, recorded) = execd.stop().await;
        assert_eq!(outcome.step, StopStep::StdinClosed, "{signal:?}");
        assert!(
            recorded
                .metrics
                .iter()
                .all(|(_, m)| m.int("s") == Some(value))
        );
        assert!(recorded.exits.is_empty(), "{signal:?}: {recorded:?}");
    }
}

#[tokio::test]
async fn a_signal_the_program_does_not_handle_kills_it() {
    let mut config = bash_default("read -r _");
    config.signal = Signal::Sigusr1;
    let execd = Execd::start(config).await.unwrap();
    execd.gather().await.unwrap();
    assert!(
        execd
            .wait_until(Duration::from_secs(5), |r| r.starts == 2)
            .await
    );
    let (_, recorded) = execd.stop().await;
    assert_eq!(recorded.exits[0].status.signal(), Some(libc_sigusr1()));
}

fn libc_sigusr1() -> i32 {
    nix::sys::signal::Signal::SIGUSR1 as i32
}

#[tokio::test]
async fn gathers_during_the_restart_delay_are_lost() {
    let mut config = bash(r#"read -r _; echo "m v=1i"; sleep 0.3; exit 3"#);
    config.restart_delay = Duration::from_secs(2);
    let execd = Execd::start(config).await.unwrap();
    execd.gather().await.unwrap();
    assert!(
        execd
            .wait_until(Duration::from_secs(5), |r| r.exits.len() == 1)
            .await
    );
    assert!(execd.gather().await.is_err(), "no program to gather from");
    gather_after_the_restart(&execd).await;
    let (_, recorded) = execd.stop().await;
    assert_eq!(
        recorded.failed_gathers.len(),
        1,
        "{:?}",
        recorded.failed_gathers
    );
}
