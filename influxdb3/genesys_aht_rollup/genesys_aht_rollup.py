"""
{
    "plugin_type": ["scheduled"],
    "scheduled_args_config": [
        {
            "name": "horizon",
            "example": "6h",
            "description": "How far back each run re-aggregates, in whole hours ('6h') or days ('2d'), so late raw data is folded in. The daily roll-up always covers yesterday and today. Default: 6h.",
            "required": false
        },
        {
            "name": "hourly_database",
            "example": "genesys_1h",
            "description": "Database the hourly roll-up is written to. Default: genesys_1h.",
            "required": false
        },
        {
            "name": "daily_database",
            "example": "genesys_1d",
            "description": "Database the daily roll-up is written to. Default: genesys_1d.",
            "required": false
        }
    ]
}
"""

# genesys-aht roll-ups for InfluxDB 3: a scheduled Processing Engine plugin that
# rolls the raw `genesys_conversation` points of the trigger's database up to
# hourly and daily points, written with the raw points' measurement, tags, field
# names and types, each stamped at the start of its (UTC) window:
#
# - every integer field is summed per series (tag set) and window under its own
#   name, whatever metrics the collector is configured with;
# - `avg_handle_time` is recomputed as handle_sum_ms / handle_count / 1000 from the
#   window's sums, only where the count is above 0, never averaged from averages;
# - float fields (the raw `avg_handle_time`) and other types are not carried over.
#
# Each run re-aggregates the whole hours of the last `horizon` before its call time
# and the days from yesterday (or the horizon's first day) up to the last whole
# hour, so raw windows re-emitted late are folded in; a rerun writes the same
# series and timestamps, which InfluxDB overwrites: nothing is counted twice.
#
# `LineBuilder` is provided by the Processing Engine at run time.

from datetime import datetime, timezone
import re

MEASUREMENT = "genesys_conversation"
HANDLE_COUNT = "handle_count"
HANDLE_SUM_MS = "handle_sum_ms"
AVG_HANDLE_TIME = "avg_handle_time"

HOUR_NS = 3_600_000_000_000
DAY_NS = 24 * HOUR_NS

# InfluxDB 3 stores tags as dictionary-encoded strings and integer fields as Int64.
TAG_TYPE = "Dictionary(Int32, Utf8)"
INTEGER_TYPE = "Int64"

DEFAULTS = {"horizon": "6h", "hourly_database": "genesys_1h", "daily_database": "genesys_1d"}
HORIZON_PATTERN = re.compile(r"^([1-9][0-9]{0,5})([hd])$")
DATABASE_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class ConfigError(ValueError):
    """A trigger argument that cannot be used; the message names it."""


def process_scheduled_call(influxdb3_local, call_time, args=None):
    """Rolls the raw points up to hourly and daily points (see the module comment)."""
    try:
        config = parse_args(args)
    except ConfigError as error:
        influxdb3_local.error(f"genesys_aht_rollup: {error}")
        raise
    end = window_start(to_ns(call_time), HOUR_NS)
    tags, integer_fields = schema(influxdb3_local)
    if not integer_fields:
        influxdb3_local.info(f"genesys_aht_rollup: no integer fields in {MEASUREMENT} yet")
        return
    hourly_start = end - config["horizon_ns"]
    daily_start = window_start(end - max(config["horizon_ns"], DAY_NS), DAY_NS)
    for database, window_ns, start in (
        (config["hourly_database"], HOUR_NS, hourly_start),
        (config["daily_database"], DAY_NS, daily_start),
    ):
        rows = influxdb3_local.query(
            roll_up_sql(tags, integer_fields, window_ns),
            {"start": rfc3339(start), "stop": rfc3339(end)},
        )
        written = 0
        for row in rows:
            line = line_for(row, tags, integer_fields)
            if line is not None:
                influxdb3_local.write_to_db(database, line)
                written += 1
        influxdb3_local.info(
            f"genesys_aht_rollup: {written} points to {database} "
            f"for [{rfc3339(start)}, {rfc3339(end)})"
        )


def parse_args(args):
    """The trigger arguments with defaults; unknown or malformed ones are errors."""
    args = dict(args or {})
    unknown = sorted(set(args) - set(DEFAULTS))
    if unknown:
        raise ConfigError(f"unknown trigger argument {unknown[0]!r}; known: {sorted(DEFAULTS)}")
    config = {**DEFAULTS, **args}
    match = HORIZON_PATTERN.match(str(config["horizon"]))
    if match is None:
        raise ConfigError(
            f"horizon: expected whole hours or days such as '6h' or '2d', got {config['horizon']!r}"
        )
    amount, unit = int(match.group(1)), match.group(2)
    config["horizon_ns"] = amount * (HOUR_NS if unit == "h" else DAY_NS)
    for key in ("hourly_database", "daily_database"):
        if not DATABASE_PATTERN.match(str(config[key])):
            raise ConfigError(
                f"{key}: expected a database name (letters, digits, _ and -), got {config[key]!r}"
            )
    return config


def schema(influxdb3_local):
    """The raw table's tag columns and integer field columns, each sorted."""
    columns = influxdb3_local.query(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_name = $table",
        {"table": MEASUREMENT},
    )
    tags = sorted(c["column_name"] for c in columns if c["data_type"] == TAG_TYPE)
    integers = sorted(c["column_name"] for c in columns if c["data_type"] == INTEGER_TYPE)
    return tags, integers


def roll_up_sql(tags, integer_fields, window_ns):
    """Sums of every integer field per window and tag set over [$start, $stop).

    Column names come from the table's own schema and are quoted; the range is
    bound as parameters.
    """
    interval = "1 hour" if window_ns == HOUR_NS else "1 day"
    selected = [
        f"date_bin(INTERVAL '{interval}', time, TIMESTAMP '1970-01-01T00:00:00Z') AS window_start"
    ]
    selected += [quote(tag) for tag in tags]
    selected += [f"sum({quote(field)}) AS {quote(field)}" for field in integer_fields]
    group_by = ["window_start"] + [quote(tag) for tag in tags]
    return (
        f"SELECT {', '.join(selected)} FROM {quote(MEASUREMENT)} "
        f"WHERE time >= $start AND time < $stop "
        f"GROUP BY {', '.join(group_by)}"
    )


def line_for(row, tags, integer_fields):
    """The roll-up point of one result row, or None when it sums no field."""
    sums = {f: row[f] for f in integer_fields if row.get(f) is not None}
    if not sums:
        return None
    line = LineBuilder(MEASUREMENT)  # noqa: F821 (provided by the Processing Engine)
    for tag in tags:
        value = row.get(tag)
        if value:
            line.tag(tag, value)
    for field, value in sums.items():
        line.int64_field(field, int(value))
    count, sum_ms = sums.get(HANDLE_COUNT), sums.get(HANDLE_SUM_MS)
    if count is not None and sum_ms is not None and count > 0:
        line.float64_field(AVG_HANDLE_TIME, float(sum_ms) / float(count) / 1000.0)
    line.time_ns(int(row["window_start"]))
    return line


def quote(identifier):
    """A SQL identifier in double quotes."""
    return '"' + identifier.replace('"', '""') + '"'


def to_ns(moment):
    """Nanoseconds since the epoch of a datetime.

    The Processing Engine passes the scheduled time as a naive datetime in the
    server's local time (`PyDateTime::from_timestamp` without a zone), which
    `timestamp()` reads back as local time; an aware datetime is exact.
    """
    return round(moment.timestamp() * 1_000_000) * 1_000


def window_start(time_ns, window_ns):
    """The start of the window holding time_ns (windows aligned on the epoch)."""
    return time_ns - time_ns % window_ns


def rfc3339(time_ns):
    """A whole-second UTC timestamp as RFC 3339."""
    moment = datetime.fromtimestamp(time_ns // 1_000_000_000, tz=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
