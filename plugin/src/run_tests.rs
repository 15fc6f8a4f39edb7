//! The execd loop in-process, with paused tokio time: a stand-in poll that takes a
//! set (virtual) time, stdin as a pipe, shutdown as a channel, stdout as a buffer
//! and a clock counting from the Unix epoch. The process-level tests
//! (`tests/lifecycle.rs`) prove the same promises of the real binary.

use std::time::Duration;

use genesys_aht_contract::names::internal as names;
use genesys_aht_contract::{FieldValue, Point};
use jiff::Timestamp;
use tokio::io::{AsyncWriteExt, BufReader, DuplexStream};
use tokio::sync::oneshot;
use tokio::time::{Instant, sleep};

use super::*;

/// A poll that takes `took`, then writes one point stamped with its `now`.
#[derive(Debug, Default)]
struct StandIn {
    took: Duration,
    stats: Stats,
    started: Vec<Timestamp>,
    finished: Vec<Timestamp>,
    confirmed: usize,
}

impl Polls for StandIn {
    async fn poll(&mut self, now: Timestamp, sink: &mut Sink<'_>) -> Result<(), PollError> {
        self.started.push(now);
        sleep(self.took).await;
        let point = Point {
            timestamp_ns: now.as_nanosecond() as i64,
            tags: vec![("skill", "s".into())],
            fields: vec![("handle_count".into(), FieldValue::Integer(1))],
        };
        sink(genesys_aht_contract::MEASUREMENT, &[point]).map_err(PollError::Output)?;
        self.finished.push(now);
        Ok(())
    }

    fn confirm(&mut self) {
        self.confirmed += 1;
    }

    fn stats(&self) -> &Stats {
        &self.stats
    }
}

/// What a run of the loop left behind.
struct Ran {
    poller: StandIn,
    out: String,
    /// Virtual time from the start to the loop's return.
    lasted: Duration,
}

fn execd(signal: Signal, interval_s: u64, poll_timeout_s: u64) -> ExecdConfig {
    ExecdConfig {
        signal,
        interval: Duration::from_secs(interval_s),
        poll_timeout: Duration::from_secs(poll_timeout_s),
        self_metrics: true,
    }
}

/// Runs the loop over `poller` while `drive` writes to its stdin and may fire its
/// shutdown; the loop's clock reads the Unix epoch plus the virtual time elapsed.
async fn run<F, Fut>(mut poller: StandIn, execd: ExecdConfig, start: Start, drive: F) -> Ran
where
    F: FnOnce(DuplexStream, oneshot::Sender<()>) -> Fut,
    Fut: Future<Output = ()>,
{
    let (stdin, input) = tokio::io::duplex(64);
    let (stop, stopped) = oneshot::channel::<()>();
    let shutdown = async {
        // A dropped sender is no shutdown.
        if stopped.await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    let mut triggers = Triggers::with_input(execd.signal, execd.interval, BufReader::new(input))
        .expect("no signal handler is needed");
    let began = Instant::now();
    let clock = move || {
        let ms = i64::try_from(began.elapsed().as_millis()).expect("a short test");
        Timestamp::from_millisecond(ms).expect("a valid instant")
    };
    let mut out = Vec::new();
    let io = Io {
        out: &mut out,
        clock: &clock,
    };
    let ran = run_loop(&mut poller, &execd, &mut triggers, shutdown, io, start);
    let (outcome, ()) = tokio::join!(ran, drive(stdin, stop));
    outcome.expect("the loop ends without an error");
    Ran {
        lasted: began.elapsed(),
        poller,
        out: String::from_utf8(out).expect("UTF-8 output"),
    }
}

fn at(seconds: i64) -> Timestamp {
    Timestamp::from_second(seconds).expect("a valid instant")
}

/// The value of the plugin's own counter `name` in the last `genesys_aht_internal` line.
fn counter(out: &str, name: &str) -> i64 {
    let line = out
        .lines()
        .rev()
        .find(|l| l.starts_with(&format!("{} ", names::MEASUREMENT)))
        .unwrap_or_else(|| panic!("no own metrics in {out}"));
    let field = format!("{name}=");
    let value = line
        .split([' ', ','])
        .find_map(|f| f.strip_prefix(&field))
        .unwrap_or_else(|| panic!("no {name} in {line}"));
    value
        .trim_end_matches('i')
        .parse()
        .expect("an integer field")
}

fn stand_in(took_s: u64) -> StandIn {
    StandIn {
        took: Duration::from_secs(took_s),
        ..StandIn::default()
    }
}

#[tokio::test(start_paused = true)]
async fn lines_during_a_poll_merge_into_one_next_poll() {
    let ran = run(
        stand_in(10),
        execd(Signal::Stdin, 60, 120),
        Start::AwaitTrigger,
        |mut stdin, _stop| async move {
            stdin.write_all(b"\n").await.expect("a trigger");
            sleep(Duration::from_secs(1)).await;
            stdin.write_all(b"\n\n\n").await.expect("three more");
            sleep(Duration::from_secs(30)).await;
        },
    )
    .await;
    // The first poll at 0 s, one more at its end (10 s) for the three lines.
    assert_eq!(ran.poller.finished, [at(0), at(10)]);
    assert_eq!(counter(&ran.out, names::TRIGGERS_MERGED), 3);
    assert_eq!(counter(&ran.out, names::POLLS), 2);
    // Each poll was preceded by a confirmation of what was written before it.
    assert_eq!(ran.poller.confirmed, 2);
}

#[tokio::test(start_paused = true)]
async fn stdin_closing_mid_poll_drops_the_poll_within_the_grace() {
    let ran = run(
        stand_in(30),
        execd(Signal::Stdin, 60, 120),
        Start::AwaitTrigger,
        |mut stdin, _stop| async move {
            stdin.write_all(b"\n").await.expect("a trigger");
            sleep(Duration::from_secs(1)).await;
            drop(stdin);
        },
    )
    .await;
    assert_eq!(ran.poller.started.len(), 1);
    assert!(ran.poller.finished.is_empty());
    assert_eq!(ran.out, "", "nothing of a dropped poll is written");
    // The stop came at 1 s; the loop promises to be gone within two seconds.
    assert!(ran.lasted < Duration::from_secs(3), "{:?}", ran.lasted);
    assert_eq!(ran.poller.confirmed, 1, "a stop confirms nothing");
}

#[tokio::test(start_paused = true)]
async fn a_poll_nearly_done_at_shutdown_writes_its_batch() {
    let ran = run(
        stand_in(5),
        execd(Signal::Stdin, 60, 120),
        Start::AwaitTrigger,
        |mut stdin, stop| async move {
            stdin.write_all(b"\n").await.expect("a trigger");
            sleep(Duration::from_millis(4500)).await;
            stop.send(()).expect("the loop listens");
            // Stdin stays open until the loop has ended.
            sleep(Duration::from_secs(60)).await;
        },
    )
    .await;
    assert_eq!(ran.poller.finished, [at(0)]);
    let first = ran.out.lines().next().unwrap_or_default();
    assert!(
        first.starts_with("genesys_conversation,skill=s handle_count=1i 0"),
        "{}",
        ran.out
    );
    assert_eq!(counter(&ran.out, names::POLLS), 1);
    assert_eq!(ran.poller.confirmed, 1);
}

#[tokio::test(start_paused = true)]
async fn with_signal_none_a_long_poll_skips_the_ticks_it_overran() {
    let ran = run(
        stand_in(25),
        execd(Signal::None, 10, 120),
        Start::AwaitTrigger,
        |stdin, stop| async move {
            // Stdin stays open: with "none" it only says when to stop.
            let _open = stdin;
            sleep(Duration::from_secs(110)).await;
            stop.send(()).expect("the loop listens");
            sleep(Duration::from_secs(60)).await;
        },
    )
    .await;
    // Ticks every 10 s; a poll of 25 s overruns two of them. The missed ticks are
    // not queued: the next poll starts at once, one poll, not a burst of two (tokio's
    // `MissedTickBehavior::Skip`). So polls start every 25 s, and the one at 100 s
    // is dropped by the stop at 110 s.
    assert_eq!(ran.poller.finished, [at(0), at(25), at(50), at(75)]);
    assert_eq!(ran.poller.started.last(), Some(&at(100)));
    assert_eq!(counter(&ran.out, names::POLLS), 4);
}

#[tokio::test(start_paused = true)]
async fn polling_first_shows_a_collection_even_with_stdin_closed() {
    let mut poller = stand_in(0);
    poller.took = Duration::from_millis(500);
    let ran = run(
        poller,
        execd(Signal::None, 2, 120),
        Start::PollFirst,
        |stdin, _stop| async move { drop(stdin) },
    )
    .await;
    assert_eq!(ran.poller.finished, [at(0)]);
    assert_eq!(counter(&ran.out, names::POLLS), 1);
}

#[tokio::test(start_paused = true)]
async fn a_poll_past_poll_timeout_is_abandoned_and_counted() {
    let ran = run(
        stand_in(20),
        execd(Signal::Stdin, 60, 5),
        Start::AwaitTrigger,
        |mut stdin, _stop| async move {
            stdin.write_all(b"\n").await.expect("a trigger");
            sleep(Duration::from_secs(10)).await;
        },
    )
    .await;
    assert!(ran.poller.finished.is_empty());
    assert_eq!(counter(&ran.out, names::POLLS_ABANDONED), 1);
    assert_eq!(counter(&ran.out, names::POLLS_FAILED), 0);
}
