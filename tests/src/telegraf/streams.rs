//! Reading the child's stdout and stderr the way execd does.
//!
//! Telegraf calls `Cmd.Wait()` while its readers still run, and `Wait` closes the
//! pipes as soon as the program has exited (`internal/process/process.go`
//! `cmdWait`): whatever the readers had not read by then is lost. With
//! [`AtExit::ClosePipes`] the readers here stop at the exit too, and record what they
//! drop.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use influxdb_line_protocol::parse_lines;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, BufReader};
use tokio::sync::watch;

use super::metric::Metric;
use super::whitespace;
use super::{AtExit, Level, LogLine, Recorded};

/// stderr lines longer than this end Telegraf's stderr reader (`bufio.Scanner`'s limit).
const STDERR_LINE_LIMIT: usize = 64 * 1024;

/// How long the dropped rest of a pipe is read after an exit, for the record (a
/// grandchild may still hold the pipe open).
const DRAIN_LIMIT: Duration = Duration::from_secs(1);

/// What a reader is told while it runs.
#[derive(Debug, Clone)]
pub(super) struct ReaderControl {
    /// Telegraf's pipeline is stalled: stdout is not consumed (see `Execd::stall_stdout`).
    pub(super) stalled: watch::Receiver<bool>,
    /// The program has exited and `Wait` returned.
    pub(super) exited: watch::Receiver<bool>,
    /// What happens to unread output at exit.
    pub(super) at_exit: AtExit,
}

impl ReaderControl {
    fn is_stalled(&self) -> bool {
        *self.stalled.borrow()
    }
}

/// Resolves when the program has exited (or nobody can say so any more).
async fn exited(exited: &mut watch::Receiver<bool>) {
    let _ = exited.wait_for(|e| *e).await;
}

/// Streams stdout as line protocol: a metric is taken only when its `\n` arrives,
/// or at EOF (as Telegraf's streaming parser does); parse errors are recorded and
/// the rest of that line is dropped. While stalled, bytes are read from the pipe
/// (so the program never blocks) but not consumed; with [`AtExit::ClosePipes`] what is
/// not consumed at the exit is lost, a final line without `\n` included (Telegraf
/// would parse it only if its reader saw EOF before `Wait` closed the pipe).
pub(super) async fn read_stdout(
    mut out: impl AsyncRead + Unpin,
    instance: usize,
    recorded: Arc<Mutex<Recorded>>,
    mut control: ReaderControl,
) {
    let mut pending: Vec<u8> = Vec::new();
    let mut chunk = vec![0u8; 64 * 1024];
    let mut eof = false;
    let mut stall_known = true;
    loop {
        if !(stall_known && control.is_stalled()) {
            consume_lines(&mut pending, instance, &recorded);
            if eof && control.at_exit == AtExit::ReadToEof {
                take_rest_at_eof(&pending, instance, &recorded);
                return;
            }
        }
        let close_at_exit = control.at_exit == AtExit::ClosePipes;
        tokio::select! {
            biased;
            () = exited(&mut control.exited), if close_at_exit => {
                lose(&mut out, pending, instance, &recorded).await;
                return;
            }
            changed = control.stalled.changed(), if stall_known => {
                stall_known = changed.is_ok();
            }
            read = out.read(&mut chunk), if !eof => match read {
                Ok(0) | Err(_) => eof = true,
                Ok(n) => pending.extend_from_slice(&chunk[..n]),
            },
        }
    }
}

/// Parses every complete line in `pending` and removes it.
fn consume_lines(pending: &mut Vec<u8>, instance: usize, recorded: &Arc<Mutex<Recorded>>) {
    while let Some(end) = pending.iter().position(|b| *b == b'\n') {
        let line: Vec<u8> = pending.drain(..=end).collect();
        take_line(&line[..line.len() - 1], instance, recorded);
    }
}

fn take_rest_at_eof(pending: &[u8], instance: usize, recorded: &Arc<Mutex<Recorded>>) {
    if !pending.is_empty() {
        lock(recorded)
            .partial_at_eof
            .push(String::from_utf8_lossy(pending).into_owned());
        take_line(pending, instance, recorded);
    }
}

/// The pipe was closed under the reader: records what was still unread.
async fn lose(
    out: &mut (impl AsyncRead + Unpin),
    mut pending: Vec<u8>,
    instance: usize,
    recorded: &Arc<Mutex<Recorded>>,
) {
    let mut rest = Vec::new();
    let _ = tokio::time::timeout(DRAIN_LIMIT, out.read_to_end(&mut rest)).await;
    pending.extend_from_slice(&rest);
    if !pending.is_empty() {
        lock(recorded)
            .lost_at_exit
            .push((instance, String::from_utf8_lossy(&pending).into_owned()));
    }
}

fn take_line(raw: &[u8], instance: usize, recorded: &Arc<Mutex<Recorded>>) {
    let text = String::from_utf8_lossy(raw);
    let text = text.strip_suffix('\r').unwrap_or(&text);
    crate::secrets::check_or_exit("the program's stdout under the Telegraf harness", text);
    let text = match whitespace::normalise(text) {
        Ok(text) => text,
        Err(e) => {
            lock(recorded).parse_errors.push(format!("{e}: {text:?}"));
            return;
        }
    };
    if text.is_empty() || text.starts_with('#') {
        return;
    }
    let mut recorded = lock(recorded);
    for parsed in parse_lines(&text) {
        match parsed {
            Ok(line) => recorded
                .metrics
                .push((instance, Metric::from_parsed(&line))),
            Err(e) => recorded.parse_errors.push(format!("{e}: {text:?}")),
        }
    }
}

/// Reads stderr line by line and classifies each by Telegraf's prefixes. A line longer
/// than 64 KiB ends the reader, as it ends Telegraf's `bufio.Scanner`, and the pipe is
/// left open and unread until the program exits: a program that goes on logging
/// blocks once the pipe is full.
pub(super) async fn read_stderr(
    err: impl AsyncRead + Unpin,
    instance: usize,
    recorded: Arc<Mutex<Recorded>>,
    mut control: ReaderControl,
) {
    let mut lines = BufReader::new(err);
    let mut line = Vec::new();
    let close_at_exit = control.at_exit == AtExit::ClosePipes;
    loop {
        line.clear();
        let mut bounded = (&mut lines).take(STDERR_LINE_LIMIT as u64 + 1);
        let read = tokio::select! {
            biased;
            () = exited(&mut control.exited), if close_at_exit => return,
            read = bounded.read_until(b'\n', &mut line) => read,
        };
        match read {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        if line.len() > STDERR_LINE_LIMIT {
            lock(&recorded).logs.push(LogLine {
                instance,
                level: Level::Error,
                text: "error reading stderr: bufio.Scanner: token too long".into(),
            });
            // Telegraf's reader returns; the pipe stays open until the process is gone.
            exited(&mut control.exited).await;
            drop(lines);
            return;
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\n', '\r']);
        crate::secrets::check_or_exit("the program's stderr under the Telegraf harness", text);
        lock(&recorded).logs.push(LogLine::classify(instance, text));
    }
}

pub(super) fn lock(recorded: &Arc<Mutex<Recorded>>) -> std::sync::MutexGuard<'_, Recorded> {
    // A reader that panicked leaves the data as it was; the test still wants to see it.
    recorded
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
