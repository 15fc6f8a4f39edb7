// genesys-aht: rebuilds the daily bucket from the hourly one, after
// genesys_aht_backfill_1h.flux (run that one first, with the same `since`).
//
// Run: influx query --org <org> --file flux/genesys_aht_backfill_1d.flux
//
// The roll-up below is the daily task's, character for character (the tests
// compare them); only the range differs.
import "date"

// The first day to rebuild: the same `since` as the hourly backfill.
since = -7d

// Whole UTC days from `since` up to the last complete hour: a day is always
// summed from all of its hours in the hourly bucket, never from part of them.
start = date.truncate(t: since, unit: 1d)
stop = date.truncate(t: now(), unit: 1h)

sums =
    from(bucket: "genesys_1h")
        |> range(start: start, stop: stop)
        // Sums and counts only: `avg_handle_time` (float) is recomputed below.
        // Plain column comparisons, so InfluxDB reads only these series.
        |> filter(
            fn: (r) => r._measurement == "genesys_conversation" and r._field != "avg_handle_time",
        )
        |> aggregateWindow(every: 1d, fn: sum, createEmpty: false, timeSrc: "_start")

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
    |> to(bucket: "genesys_1d")
