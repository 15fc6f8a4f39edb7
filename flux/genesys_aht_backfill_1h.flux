// genesys-aht: rebuilds the hourly bucket over a range, after an outage longer
// than the hourly task's 6 h horizon or a plugin backfill (`max_backfill`).
//
// Run: influx query --org <org> --file flux/genesys_aht_backfill_1h.flux
// then genesys_aht_backfill_1d.flux with the same `since`, so that the daily
// bucket follows the hourly one. Running it again is harmless: it writes the
// same series and timestamps.
//
// The roll-up below is the hourly task's, character for character (the tests
// compare them); only the range differs.
import "date"

// The range to rebuild. A duration counts back from now(); an absolute time works
// too (since = 2026-03-01T00:00:00Z). The default covers the plugin's default
// `max_backfill` of 7 days.
since = -7d
until = now()

// Whole UTC days from `since`, so the daily backfill finds every hour of each day
// it rebuilds, up to the last complete hour before `until`.
start = date.truncate(t: since, unit: 1d)
stop = date.truncate(t: until, unit: 1h)

sums =
    from(bucket: "genesys")
        |> range(start: start, stop: stop)
        // Sums and counts only: `avg_handle_time` (float) is recomputed below.
        // Plain column comparisons, so InfluxDB reads only these series.
        |> filter(
            fn: (r) => r._measurement == "genesys_conversation" and r._field != "avg_handle_time",
        )
        |> aggregateWindow(every: 1h, fn: sum, createEmpty: false, timeSrc: "_start")

averages =
    sums
        |> filter(fn: (r) => r._field == "handle_sum_ms" or r._field == "handle_count")
        |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")
        |> filter(
            fn: (r) => exists r.handle_sum_ms and exists r.handle_count and r.handle_count > 0,
        )
        |> map(
            fn: (r) =>
                ({r with _field: "avg_handle_time",
                    _value: float(v: r.handle_sum_ms) / float(v: r.handle_count) / 1000.0,
                }),
        )
        |> drop(columns: ["handle_sum_ms", "handle_count"])

union(tables: [sums, averages])
    |> to(bucket: "genesys_1h")
