#!/usr/bin/env bash
# Measures the simulator's answer rate and latency with `wrk` against the release binary.
#
#   sim/bench/run.sh            (needs wrk and curl; builds genesys-sim in release)
#
# Scenarios: aggregates over the last hour (PT15M) and the last day (PT15M, grouped by
# skill and media type), one details page of 100 conversations, and the skills listing.
# The rate limit is lifted so that only the simulator's own cost is measured.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

DURATION="${DURATION:-10s}"
cargo build --release -q -p genesys-sim --bin genesys-sim
out="$(mktemp)"
target/release/genesys-sim --seed 1 --requests-per-minute 4000000000 >"$out" 2>/dev/null &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; rm -f "$out"' EXIT
for _ in $(seq 50); do [ -s "$out" ] && break; sleep 0.1; done
url="$(head -n1 "$out")"
token="$(curl -s -u sim-client:sim-secret -d grant_type=client_credentials "$url/oauth/token" |
  sed -E 's/.*"access_token":"([^"]+)".*/\1/')"

iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%S.000Z; }
hour=$(( $(date +%s) / 3600 * 3600 ))
hour_start="$(iso "$hour")"
hour_end="$(iso $(( hour + 3600 )))"
day_start="$(iso $(( hour - 23 * 3600 )))"

lua="$(mktemp --suffix=.lua)"
trap 'kill "$pid" 2>/dev/null || true; rm -f "$out" "$lua"' EXIT
run() { # name method path [body]
  local name="$1" method="$2" path="$3" body="${4:-}"
  cat >"$lua" <<LUA
wrk.method = "$method"
wrk.headers["Authorization"] = "Bearer $token"
wrk.headers["Content-Type"] = "application/json"
wrk.body = [[$body]]
LUA
  printf '\n== %s\n' "$name"
  curl -s -o /dev/null -w 'status %{http_code}, %{size_download} bytes\n' -X "$method" \
    -H "Authorization: Bearer $token" -H 'Content-Type: application/json' ${body:+-d "$body"} "$url$path"
  wrk -t1 -c4 -d"$DURATION" --latency -s "$lua" "$url$path" | grep -E 'Requests/sec|50%|99%|Non-2xx'
}

run "aggregates, 1 hour, PT15M, skill x media" POST /api/v2/analytics/conversations/aggregates/query \
  "{\"interval\":\"$hour_start/$hour_end\",\"granularity\":\"PT15M\",\"groupBy\":[\"requestedRoutingSkillId\",\"mediaType\"],\"metrics\":[\"tHandle\",\"tTalk\",\"tHeld\",\"tAcw\",\"tAnswered\",\"tAbandon\",\"nOffered\"]}"
run "aggregates, 24 hours, PT15M, skill x media" POST /api/v2/analytics/conversations/aggregates/query \
  "{\"interval\":\"$day_start/$hour_end\",\"granularity\":\"PT15M\",\"groupBy\":[\"requestedRoutingSkillId\",\"mediaType\"],\"metrics\":[\"tHandle\",\"tTalk\",\"tHeld\",\"tAcw\",\"tAnswered\",\"tAbandon\",\"nOffered\"]}"
run "details, 1 hour, page of 100" POST /api/v2/analytics/conversations/details/query \
  "{\"interval\":\"$hour_start/$hour_end\",\"paging\":{\"pageSize\":100,\"pageNumber\":1}}"
run "routing skills listing" GET /api/v2/routing/skills
