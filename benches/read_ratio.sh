#!/usr/bin/env bash
# Reads by id against the /health ceiling, with wrk (Debian package `wrk`), on a running server.
#
#   benches/read_ratio.sh http://127.0.0.1:8080 "$OFFICER_TOKEN" [seconds] [rounds]
#
# Each request asks for one of up to 500 existing demands at random, so lookups that arrive
# together ask for different rows, as real clients do. Prints requests/s and latency for each,
# and the ratio of the two, once per round.
set -euo pipefail

url=${1:?usage: read_ratio.sh URL OFFICER_TOKEN [seconds] [rounds]}
token=${2:?usage: read_ratio.sh URL OFFICER_TOKEN [seconds] [rounds]}
seconds=${3:-8}
rounds=${4:-3}
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }

script=$(mktemp --suffix .lua)
trap 'rm -f "$script"' EXIT
ids=$(curl -fsS -H "Authorization: Bearer $token" "$url/api/v1/demands?limit=500" |
  grep -o '"id":"[0-9a-f-]\{36\}"' | cut -d'"' -f4 | sed 's/.*/"&",/' | tr -d '\n')
[ -n "$ids" ] || { echo "no demand to read: seed some first" >&2; exit 1; }
cat >"$script" <<EOF
local ids = {${ids}}
request = function()
  return wrk.format(nil, "/api/v1/demands/" .. ids[math.random(#ids)])
end
EOF

run() { # prints "requests/s p50 p99 non-2xx"
  wrk -t2 -c64 -d"${seconds}s" --latency "$@" | awk '
    /Requests\/sec/ {rps=$2} /^ +50%/ {p50=$2} /^ +99%/ {p99=$2} /Non-2xx/ {bad=$NF}
    END {printf "%s %s %s %s\n", rps, p50, p99, bad+0}'
}

for round in $(seq 1 "$rounds"); do
  read -r health_rps health_p50 health_p99 health_bad < <(run "$url/health")
  read -r get_rps get_p50 get_p99 get_bad < <(run -s "$script" -H "Authorization: Bearer $token" "$url/api/v1/demands/")
  ratio=$(awk -v a="$get_rps" -v b="$health_rps" 'BEGIN {printf "%.1f", 100 * a / b}')
  echo "round $round: /health $health_rps/s (p50 $health_p50, p99 $health_p99, non-2xx $health_bad);" \
    "GET /api/v1/demands/{id} $get_rps/s (p50 $get_p50, p99 $get_p99, non-2xx $get_bad); ratio $ratio %"
done
