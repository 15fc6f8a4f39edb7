"""Tests of genesys_aht_rollup.py with stand-ins for the Processing Engine.

No InfluxDB 3 runs here. `StandInInfluxDB3` plays `influxdb3_local`: `query()`
executes the plugin's SQL with Apache DataFusion (the query engine InfluxDB 3 is
built on) over the stored raw points, with string parameters bound by name and
results converted the way the engine hands them to plugins (timestamps as integer
nanoseconds, tags as strings); `write_to_db()` stores `LineBuilder` points with
InfluxDB's rule that a point with the same tags and timestamp replaces the fields
it carries. `RecordingLineBuilder` has `LineBuilder`'s methods and records typed
values.

The scenario and the expected roll-ups come from the Rust test
`tests/tests/influxdb3_plugin.rs`, which computes them with
`tests/src/rollup.rs` and names the file in GENESYS_AHT_ROLLUP_CASE: run
`cargo test -p genesys-aht-tests --test influxdb3_plugin`.
"""

import importlib.util
import json
import os
from datetime import datetime, timezone
from pathlib import Path

import pyarrow as pa
import pytest
from datafusion import SessionConfig, SessionContext

PLUGIN_PATH = Path(__file__).with_name("genesys_aht_rollup.py")
RAW_DATABASE = "genesys"


class RecordingLineBuilder:
    """The Processing Engine's LineBuilder, recording what the plugin sets."""

    def __init__(self, measurement):
        self.measurement = measurement
        self.tags = {}
        self.fields = {}
        self.timestamp_ns = None

    def tag(self, key, value):
        assert isinstance(value, str), (key, value)
        self.tags[key] = value
        return self

    def int64_field(self, key, value):
        assert isinstance(value, int) and not isinstance(value, bool), (key, value)
        self.fields[key] = {"integer": value}
        return self

    def float64_field(self, key, value):
        assert isinstance(value, float), (key, value)
        self.fields[key] = {"float": value}
        return self

    def time_ns(self, timestamp_ns):
        assert isinstance(timestamp_ns, int), timestamp_ns
        self.timestamp_ns = timestamp_ns
        return self


class Store:
    """One database: points by (measurement, tags, time), fields merged on rewrite."""

    def __init__(self):
        self.points = {}

    def write(self, measurement, tags, time_ns, fields):
        key = (measurement, tuple(sorted(tags.items())), time_ns)
        self.points.setdefault(key, {}).update(fields)

    def rows(self, measurement):
        """Rows in the case file's form, sorted by tags, then time."""
        rows = [
            {"time_ns": time_ns, "tags": dict(tags), "fields": dict(fields)}
            for (m, tags, time_ns), fields in self.points.items()
            if m == measurement
        ]
        return sorted(rows, key=row_key)


def row_key(row):
    return (sorted(row["tags"].items()), row["time_ns"])


class StandInInfluxDB3:
    """`influxdb3_local` for a trigger on RAW_DATABASE."""

    def __init__(self):
        self.databases = {}
        self.logs = []
        self.queries = []

    def database(self, name):
        return self.databases.setdefault(name, Store())

    def query(self, query, args=None, database=None):
        # The engine takes a dict of strings (HashMap<String, String>).
        params = dict(args or {})
        for key, value in params.items():
            assert isinstance(key, str) and isinstance(value, str), (key, value)
        self.queries.append((query, params))
        context = SessionContext(SessionConfig().with_information_schema(True))
        store = self.database(database or RAW_DATABASE)
        for measurement in {m for (m, _, _) in store.points}:
            context.register_record_batches(
                measurement, [arrow_table(store, measurement).to_batches()]
            )
        table = context.sql(query, param_values=params).to_arrow_table()
        return plugin_rows(table)

    def write_to_db(self, database, line):
        assert line.fields and line.timestamp_ns is not None
        self.database(database).write(line.measurement, line.tags, line.timestamp_ns, line.fields)

    def write(self, line):
        self.write_to_db(RAW_DATABASE, line)

    def info(self, *args):
        self.logs.append(("info", args))

    def warn(self, *args):
        self.logs.append(("warn", args))

    def error(self, *args):
        self.logs.append(("error", args))


def arrow_table(store, measurement):
    """The stored points as InfluxDB 3 types them: ns time, dictionary tags, i64/f64 fields."""
    rows = store.rows(measurement)
    tag_keys = sorted({k for row in rows for k in row["tags"]})
    field_types = {}
    for row in rows:
        for name, value in row["fields"].items():
            (kind,) = value.keys()
            assert field_types.setdefault(name, kind) == kind, f"field type conflict: {name}"
    columns = {"time": pa.array([row["time_ns"] for row in rows], type=pa.timestamp("ns"))}
    for key in tag_keys:
        values = [row["tags"].get(key) for row in rows]
        columns[key] = pa.array(values, type=pa.string()).dictionary_encode()
    for name, kind in sorted(field_types.items()):
        values = [row["fields"].get(name, {}).get(kind) for row in rows]
        columns[name] = pa.array(values, type=pa.int64() if kind == "integer" else pa.float64())
    return pa.table(columns)


def plugin_rows(table):
    """Result rows as the engine gives them to plugins: dicts of Python values."""
    columns = {}
    for name, column in zip(table.column_names, table.columns):
        if pa.types.is_timestamp(column.type):
            column = column.cast(pa.timestamp("ns")).cast(pa.int64())
        elif pa.types.is_dictionary(column.type):
            column = column.cast(pa.string())
        columns[name] = column.to_pylist()
    return [dict(zip(columns, values)) for values in zip(*columns.values())]


def load_plugin():
    spec = importlib.util.spec_from_file_location("genesys_aht_rollup", PLUGIN_PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.LineBuilder = RecordingLineBuilder
    return module


def load_case():
    path = os.environ.get("GENESYS_AHT_ROLLUP_CASE")
    if not path:
        pytest.fail(
            "GENESYS_AHT_ROLLUP_CASE is not set: run "
            "`cargo test -p genesys-aht-tests --test influxdb3_plugin`, which computes "
            "the expected roll-ups with tests/src/rollup.rs"
        )
    return json.loads(Path(path).read_text())


def write_raw(influxdb3_local, measurement, rows):
    for row in rows:
        influxdb3_local.database(RAW_DATABASE).write(
            measurement, row["tags"], row["time_ns"], row["fields"]
        )


def test_the_plugin_writes_exactly_the_expected_roll_ups_run_after_run():
    case = load_case()
    plugin = load_plugin()
    influxdb3_local = StandInInfluxDB3()
    assert case["runs"], "the case has runs"
    for number, run in enumerate(case["runs"], start=1):
        write_raw(influxdb3_local, case["measurement"], run["write_raw"])
        # As the engine passes it: naive, in the local time zone (the Rust test sets
        # TZ to one that is not UTC).
        call_time = datetime.fromtimestamp(run["call_time_s"])
        plugin.process_scheduled_call(influxdb3_local, call_time, run["args"])
        for database, expected in run["expected"].items():
            stored = influxdb3_local.database(database).rows(case["measurement"])
            assert len(stored) == len(expected), f"run {number} ({run['what']}): {database}"
            for got, want in zip(stored, sorted(expected, key=row_key)):
                assert got == want, f"run {number} ({run['what']}): {database}"
    assert not [log for log in influxdb3_local.logs if log[0] == "error"]


def test_every_query_binds_its_values_as_parameters():
    plugin = load_plugin()
    influxdb3_local = StandInInfluxDB3()
    write_raw(
        influxdb3_local,
        plugin.MEASUREMENT,
        [{"time_ns": 0, "tags": {"skill": "a"}, "fields": {"offered": {"integer": 1}}}],
    )
    plugin.process_scheduled_call(influxdb3_local, datetime(1970, 1, 1, 2, tzinfo=timezone.utc), {})
    assert len(influxdb3_local.queries) == 3
    for query, params in influxdb3_local.queries:
        assert params, query
        for value in params.values():
            assert value not in query, (value, query)


@pytest.mark.parametrize(
    "args, named",
    [
        ({"horizon": "6"}, "horizon"),
        ({"horizon": "0h"}, "horizon"),
        ({"horizon": "90m"}, "horizon"),
        ({"hourly_database": "a b"}, "hourly_database"),
        ({"daily_database": ""}, "daily_database"),
        ({"window": "1h"}, "window"),
    ],
)
def test_a_bad_argument_is_an_error_naming_it(args, named):
    plugin = load_plugin()
    influxdb3_local = StandInInfluxDB3()
    with pytest.raises(plugin.ConfigError, match=named):
        plugin.process_scheduled_call(influxdb3_local, datetime.now(timezone.utc), args)
    assert influxdb3_local.logs[-1][0] == "error"
    assert not influxdb3_local.queries
