//! Reading the child's stdout and stderr the way execd does.

use std::sync::{Arc, Mutex};

use influxdb_line_protocol::parse_lines;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, BufReader};

use super::metric::Metric;
use super::{Level, LogLine, Recorded};

/// stderr lines longer than this end Telegraf's stderr reader (`bufio.Scanner`'s limit).
const STDERR_LINE_LIMIT: usize = 64 * 1024;

/// Streams stdout as line protocol: a metric is taken only when its `\n` arrives,
/// or at EOF (as Telegraf's streaming parser does); parse errors are recorded and
/// the rest of that line is dropped.
pub(super) async fn read_stdout(
    mut out: impl AsyncRead + Unpin,
    instance: usize,
    recorded: Arc<Mutex<Recorded>>,
) {
    let mut pending: Vec<u8> = Vec::new();
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        let n = match out.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        pending.extend_from_slice(&chunk[..n]);
        while let Some(end) = pending.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = pending.drain(..=end).collect();
            take_line(&line[..line.len() - 1], instance, &recorded);
        }
    }
    if !pending.is_empty() {
        lock(&recorded)
            .partial_at_eof
            .push(String::from_utf8_lossy(&pending).into_owned());
        take_line(&pending, instance, &recorded);
    }
}

fn take_line(raw: &[u8], instance: usize, recorded: &Arc<Mutex<Recorded>>) {
    let text = String::from_utf8_lossy(raw);
    let text = text.strip_suffix('\r').unwrap_or(&text);
    if text.trim().is_empty() || text.trim_start().starts_with('#') {
        return;
    }
    let mut recorded = lock(recorded);
    for parsed in parse_lines(text) {
        match parsed {
            Ok(line) => recorded
                .metrics
                .push((instance, Metric::from_parsed(&line))),
            Err(e) => recorded.parse_errors.push(format!("{e}: {text}")),
        }
    }
}

/// Reads stderr line by line and classifies each by Telegraf's prefixes.
pub(super) async fn read_stderr(
    err: impl AsyncRead + Unpin,
    instance: usize,
    recorded: Arc<Mutex<Recorded>>,
) {
    let mut lines = BufReader::new(err);
    let mut line = Vec::new();
    loop {
        line.clear();
        match lines.read_until(b'\n', &mut line).await {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        if line.len() > STDERR_LINE_LIMIT {
            lock(&recorded).logs.push(LogLine {
                instance,
                level: Level::Error,
                text: "error reading stderr: token too long".into(),
            });
            break;
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\n', '\r']);
        lock(&recorded).logs.push(LogLine::classify(instance, text));
    }
}

pub(super) fn lock(recorded: &Arc<Mutex<Recorded>>) -> std::sync::MutexGuard<'_, Recorded> {
    // A reader that panicked leaves the data as it was; the test still wants to see it.
    recorded
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
