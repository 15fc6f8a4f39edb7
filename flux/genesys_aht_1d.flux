// genesys-aht: rolls the hourly bucket up to daily windows (UTC days).
//
// Import: influx task create --org <org> --file flux/genesys_aht_1d.flux
// Reads `genesys_1h` (written by genesys_aht_1h), writes `genesys_1d`. To use
// other buckets, edit the two bucket names below (task options must stay literals).
//
// Same rules as the hourly task: per series, every integer field is summed, and
// `avg_handle_time` is recomputed from the daily `handle_sum_ms` and
// `handle_count`, never by averaging averages. Points keep the measurement,
// tags, field names and types, and are stamped at the start of the day.
//
// It runs every hour rather than once a day: the hourly task keeps rewriting
// recent hours as late data arrives, and each run here re-aggregates yesterday
// and today (today's point covers the hours so far and is overwritten by later
// runs). Missed or failed runs are not caught up (see genesys_aht_1h.flux): after
// a backfill of the hourly bucket, run genesys_aht_backfill_1d.flux.
import "date"

// The offset lets the hourly task (offset 5m) finish the same hour first.
option task = {name: "genesys_aht_1d", every: 1h, offset: 15m}

// How far back every run re-aggregates: more than the hourly task's own
// horizon, so every hour it rewrites is folded into its day again.
horizon = 1d

// The hours complete so far (a run started by hand uses the wall clock as now()),
// from the start of the day `horizon` ago.
stop = date.truncate(t: now(), unit: 1h)
start = date.truncate(t: -horizon, unit: 1d)

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
