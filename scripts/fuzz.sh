#!/usr/bin/env bash
# `make fuzz`: schemathesis against a live, seeded service (the OMDb simulator behind it),
# every check on, stateful sequences included, once without a key and once with one that
# may add and delete. Any failure fails the run and prints how to replay it.
#
# Environment: BIN (the virtualenv's bin directory, default .venv/bin), FUZZ_PORT and
# FUZZ_SIM_PORT (default 8100, 8101), FUZZ_EXAMPLES (examples per operation and phase,
# default 100; keep it small for a quick run), FUZZ_EXCLUDE (checks to skip, comma-separated).
set -euo pipefail

bin="${BIN:-.venv/bin}"
port="${FUZZ_PORT:-8100}"
sim_port="${FUZZ_SIM_PORT:-8101}"
examples="${FUZZ_EXAMPLES:-100}"
work="$(mktemp -d)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

export MOVIES_DATABASE_URL="sqlite:///$work/fuzz.db"
export MOVIES_OMDB_BASE_URL="http://127.0.0.1:${sim_port}/"
export MOVIES_OMDB_API_KEY=fuzz
export MOVIES_SEED_COUNT=20
# Fuzzing sends thousands of adds and searches: the limits would answer most with 429.
export MOVIES_ADD_RATE_LIMIT=1000000/minute MOVIES_LOOKUP_RATE_LIMIT=1000000/minute
export MOVIES_ACCESS_LOG=false
unset MOVIES_REDIS_URL MOVIES_REQUIRE_KEY_FOR_ADD MOVIES_SEED_IDS_FILE MOVIES_SEED_SEARCH

wait_for() {  # until $1 answers 200, or the process $2 ends
  until curl -fsS -o /dev/null "$1" 2>/dev/null; do
    kill -0 "$2" 2>/dev/null || { echo "fuzz: the server behind $1 did not start" >&2; exit 1; }
    sleep 0.2
  done
}

"$bin/movies-api" omdb-sim --port "$sim_port" >"$work/sim.log" 2>&1 &
pids+=($!)
wait_for "http://127.0.0.1:${sim_port}/__sim/stats" "${pids[-1]}"
key="$("$bin/movies-api" keys create --name fuzz --scope movies:delete --scope movies:add | tail -n 1)"
"$bin/movies-api" serve --port "$port" >"$work/serve.log" 2>&1 &
pids+=($!)
wait_for "http://127.0.0.1:${port}/healthz" "${pids[-1]}"
until curl -fsS "http://127.0.0.1:${port}/readyz" | grep -q '"state":"done"'; do sleep 0.2; done

run() {
  "$bin/schemathesis" run "http://127.0.0.1:${port}/openapi.json" --checks all \
    --phases examples,coverage,fuzzing,stateful --max-examples "$examples" \
    --generation-deterministic --workers 1 ${FUZZ_EXCLUDE:+--exclude-checks "$FUZZ_EXCLUDE"} "$@"
}
status=0
run || status=1
run -H "Authorization: Bearer $key" || status=1
if grep -q ' 500 \|Traceback' "$work/serve.log"; then
  echo "fuzz: the service logged a 500 or a traceback:" >&2
  grep -B2 -A20 'Traceback' "$work/serve.log" >&2 || true
  status=1
fi
exit "$status"
