#!/usr/bin/env bash
# The main job, as a demo, on an embedded default: a private PostgreSQL
# cluster that ledgerhouse starts itself (initdb/pg_ctl, as user postgres when
# run as root), the built-in generator as the source. It generates 7 days of
# marketplace events (with a little dirt for the quarantine), ingests them
# into the event log, projects the log into the star schema, and prints the
# answers to the analysts' questions and how to connect with psql.
# Usage: scripts/demo.sh [DATA_DIR]   (default: ./ledgerhouse-data)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${LH_BUILD_DIR:-build}
DATA_DIR=${1:-ledgerhouse-data}
scripts/setup.sh "$BUILD_DIR"
LH="$BUILD_DIR/tools/ledgerhouse"
mkdir -p "$DATA_DIR"

echo "== demo: private PostgreSQL, generate, ingest, project, answer"
"$LH" -D "$DATA_DIR" demo --days 7 --seed 42
echo
echo "== the event log"
"$LH" -D "$DATA_DIR" log stat
echo
echo "== the quarantine (first 3)"
"$LH" -D "$DATA_DIR" quarantine list --limit 3
