// genesys-aht: rolls the raw bucket up to hourly windows.
//
// Import: influx task create --org <org> --file flux/genesys_aht_1h.flux
// Reads `genesys` (what Telegraf writes), writes `genesys_1h`. To use other
// buckets, edit the two bucket names below (task options must stay literals).
//
// For every series (measurement, tag set, field) it sums each integer field
// (`x_count`, `x_sum_ms`, count metrics such as `offered`) per hour, and
// recomputes `avg_handle_time` from the hourly `handle_sum_ms` and
// `handle_count`, never by averaging averages. Points keep the raw measurement,
// tags, field names and types, and are stamped at the window start like the raw
// points and InfluxQL's GROUP BY time(), so the same queries work on every bucket.
//
// Late data: each run re-aggregates the last `horizon` of complete hours, so a
// raw bucket that the plugin re-emits (its `lookback`) or that Genesys reports
// late is folded in by a later run; a rerun writes the same series and
// timestamps and overwrites them. Nothing older is caught up on its own:
// InfluxDB skips runs missed while it was down, does not retry failed ones, and
// `tasks.lastSuccess` returns its fallback unless the server enables a feature
// flag (`injectLatestSuccessTime`, off by default). After an outage longer than
// the horizon, run genesys_aht_backfill_1h.flux, then genesys_aht_backfill_1d.flux.
import "date"

option task = {name: "genesys_aht_1h", every: 1h, offset: 5m}

// How far back every run re-aggregates: several times the plugin's default
// `lookback` of 1h, for late Genesys data and short collector outages.
horizon = 6h

// A scheduled run's now() is its scheduled time, a whole hour; a run started by
// hand uses the wall clock. Truncating both ends keeps every window complete.
stop = date.truncate(t: now(), unit: 1h)
start = date.truncate(t: -horizon, unit: 1h)

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
