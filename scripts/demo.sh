#!/usr/bin/env bash
# The offline demo behind `make demo`: the bundled OMDb simulator, a fresh demo.db in the
# working directory seeded from it with the catalogue the README's examples use, an API
# key printed ready to use, and the service. Ctrl+C stops the service and the simulator.
#
# Environment: BIN (the virtualenv's bin directory, default .venv/bin), DEMO_PORT (the
# service's port, default 8000), SIM_PORT (the simulator's, default 8001).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
bin="${BIN:-.venv/bin}"
port="${DEMO_PORT:-8000}"
sim_port="${SIM_PORT:-8001}"

export MOVIES_DATABASE_URL=sqlite:///demo.db
export MOVIES_OMDB_BASE_URL="http://127.0.0.1:${sim_port}/"
export MOVIES_OMDB_API_KEY=demo
export MOVIES_SEED_IDS_FILE="$here/demo_seed_ids.txt"
unset MOVIES_DATABASE_PASSWORD MOVIES_SEED_SEARCH MOVIES_SEED_COUNT MOVIES_SEED_ON_STARTUP

# Every run starts from the same catalogue, so the README's examples always hold.
rm -f demo.db demo.db-wal demo.db-shm demo.db.*.lock

"$bin/movies-api" omdb-sim --port "$sim_port" &
sim=$!
trap 'kill "$sim" 2>/dev/null || true' EXIT INT TERM
# The simulator listens before it says so; wait for that, or stop if it could not start.
until (exec 3<>"/dev/tcp/127.0.0.1/${sim_port}") 2>/dev/null; do
  kill -0 "$sim" 2>/dev/null || exit 1
  sleep 0.1
done

key="$("$bin/movies-api" keys create --name demo --scope movies:delete --scope movies:add | tail -n 1)"
echo "demo API key (scopes movies:delete, movies:add), stored in demo.db:"
echo "  KEY=$key"
echo "web UI: http://127.0.0.1:${port}/ (posters drawn by the simulator)"
"$bin/movies-api" serve --port "$port"
