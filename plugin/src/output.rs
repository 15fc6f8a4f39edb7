//! Writing points to stdout: whole batches through one locked handle, flushed after
//! each batch, so Telegraf never sees a partial line.

use std::io::{self, Write};

use genesys_aht_contract::{Point, encode_batch_as};

/// Why a batch was not written.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// The reader went away (Telegraf stopped, `| head` done): time to exit quietly.
    #[error("stdout closed")]
    Closed,
    /// Any other write error.
    #[error("writing to stdout: {0}")]
    Io(io::Error),
}

/// Encodes `points` of `measurement` and writes them as one batch; returns the number
/// of lines. A point that cannot be encoded (no field, not finite) is skipped with a
/// warning.
pub(crate) fn write_batch(
    out: &mut dyn Write,
    measurement: &str,
    points: &[Point],
) -> Result<usize, OutputError> {
    let (bytes, lines) = match encode_batch_as(measurement, points) {
        Ok(bytes) => (bytes, points.len()),
        Err(_) => encode_each(measurement, points),
    };
    write_all(out, &bytes)?;
    Ok(lines)
}

fn encode_each(measurement: &str, points: &[Point]) -> (Vec<u8>, usize) {
    let mut buf = Vec::new();
    let mut lines = 0;
    for point in points {
        match point.encode_as_into(measurement, Vec::new()) {
            Ok(line) => {
                buf.extend_from_slice(&line);
                lines += 1;
            }
            Err(e) => crate::warn!("skipping a point: {e}"),
        }
    }
    (buf, lines)
}

/// Writes already encoded whole lines, flushed.
pub(crate) fn write_bytes(out: &mut dyn Write, bytes: &[u8]) -> Result<(), OutputError> {
    write_all(out, bytes)
}

fn write_all(out: &mut dyn Write, bytes: &[u8]) -> Result<(), OutputError> {
    out.write_all(bytes)
        .and_then(|()| out.flush())
        .map_err(|e| match e.kind() {
            io::ErrorKind::BrokenPipe => OutputError::Closed,
            _ => OutputError::Io(e),
        })
}

#[cfg(test)]
mod tests {
    use genesys_aht_contract::FieldValue;

    use super::*;

    fn point(value: f64) -> Point {
        Point {
            timestamp_ns: 1,
            tags: vec![("skill", "a b".into())],
            fields: vec![("avg_handle_time".into(), FieldValue::Float(value))],
        }
    }

    #[test]
    fn batches_are_whole_lines_and_bad_points_are_skipped() {
        let mut out = Vec::new();
        let lines =
            write_batch(&mut out, "m", &[point(1.5), point(f64::NAN), point(2.0)]).expect("write");
        assert_eq!(lines, 2);
        let text = String::from_utf8(out).expect("utf8");
        assert_eq!(text.lines().count(), 2);
        assert!(text.ends_with('\n'));
    }

    struct Closed;
    impl Write for Closed {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::ErrorKind::BrokenPipe.into())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_closed_reader_is_reported_as_such() {
        assert!(matches!(
            write_batch(&mut Closed, "m", &[point(1.0)]),
            Err(OutputError::Closed)
        ));
    }
}
