"""A stand-in for InfluxDB 3's `POST /api/v3/query_sql`, for the sidecar's tests.

It is not InfluxDB 3: it serves the points of a JSON file (argv[1]: {"db": [{"time":
ns, "tags": {...}, "fields": {...}, "measurement": optional, default
genesys_conversation}]}) as one table per database and measurement, typed as InfluxDB 3
types them (`time` a nanosecond timestamp without zone, tags dictionary-encoded
strings, integer fields Int64, float fields Float64, a tag never written no column
at all), and executes the SQL it receives with Apache DataFusion, the engine
InfluxDB 3 is built on, binding `params` to the `$name` placeholders after parsing.

The request is the documented JSON object {"db", "q", "params", "format"}; the
answer with "format": "json" is one JSON array of row objects, a null column left
out (InfluxDB 3 writes rows with Arrow's JSON writer). Errors are JSON
{"error": ...}: 400 for a query DataFusion refuses, 404 for an unknown database.
`GET /ping` answers 200, as InfluxDB 3 does.
`information_schema` is on, as on InfluxDB 3.

Appends every request body, one JSON line each, to the file argv[2], so tests can
read what was sent. Prints its base URL as the first stdout line.
"""

import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pyarrow as pa
from datafusion import SessionConfig, SessionContext

TABLE = "genesys_conversation"


def table_of(points):
    """The points as an Arrow table with InfluxDB 3's column types."""
    tag_names = sorted({k for p in points for k in p["tags"]})
    field_names = sorted({k for p in points for k in p["fields"]})
    columns = {"time": pa.array([p["time"] for p in points], pa.timestamp("ns"))}
    for tag in tag_names:
        values = pa.array([p["tags"].get(tag) for p in points], pa.string())
        columns[tag] = values.dictionary_encode().cast(
            pa.dictionary(pa.int32(), pa.string())
        )
    for field in field_names:
        values = [p["fields"].get(field) for p in points]
        is_float = any(isinstance(v, float) for v in values)
        columns[field] = pa.array(values, pa.float64() if is_float else pa.int64())
    return pa.table(columns)


def contexts(path):
    """One DataFusion context per database, holding its table."""
    with open(path, encoding="utf-8") as f:
        databases = json.load(f)
    out = {}
    for db, points in databases.items():
        ctx = SessionContext(SessionConfig().with_information_schema(True))
        tables = {}
        for p in points:
            tables.setdefault(p.get("measurement", TABLE), []).append(p)
        for table, rows in tables.items():
            ctx.register_record_batches(table, [table_of(rows).to_batches()])
        out[db] = ctx
    return out


class Handler(BaseHTTPRequestHandler):
    databases = {}
    log_path = None

    def log_message(self, *args):
        pass

    def answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        # InfluxDB 3 answers /ping with 200 and its version.
        if self.path == "/ping":
            return self.answer(200, {"version": "stand-in", "revision": "none"})
        self.answer(404, {"error": "not found"})

    def do_POST(self):
        if self.path != "/api/v3/query_sql":
            return self.answer(404, {"error": "not found"})
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        with open(self.log_path, "ab") as log:
            log.write(body.replace(b"\n", b" ") + b"\n")
        try:
            request = json.loads(body)
            db, q = request["db"], request["q"]
            params = request.get("params") or {}
            if request.get("format", "json") != "json":
                raise ValueError("this stand-in answers format json only")
        except (ValueError, KeyError, TypeError) as e:
            return self.answer(400, {"error": f"invalid request: {e}"})
        ctx = self.databases.get(db)
        if ctx is None:
            return self.answer(404, {"error": f"database not found: {db}"})
        try:
            rows = ctx.sql(q, param_values=params).to_arrow_table().to_pylist()
        except Exception as e:  # DataFusion's errors are one exception type per binding
            return self.answer(400, {"error": str(e)})
        self.answer(200, [{k: v for k, v in r.items() if v is not None} for r in rows])


def main():
    Handler.databases = contexts(sys.argv[1])
    Handler.log_path = sys.argv[2]
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(f"http://127.0.0.1:{server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
