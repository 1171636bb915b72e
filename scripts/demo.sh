#!/usr/bin/env bash
# The main job, as a demo: generate a 7-day marketplace stream (with a little
# dirt), ingest it into the event log, show the log and its quarantine.
# Usage: scripts/demo.sh [DATA_DIR]   (default: ./ledgerhouse-data)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${LH_BUILD_DIR:-build}
DATA_DIR=${1:-ledgerhouse-data}
scripts/setup.sh "$BUILD_DIR"
LH="$BUILD_DIR/tools/ledgerhouse"
mkdir -p "$DATA_DIR"
STREAM="$DATA_DIR/marketplace-7d.ndjson"

echo "== generate: 7 days of marketplace events -> $STREAM"
"$LH" generate --days 7 --seed 42 --dirty-rate 0.001 -o "$STREAM"
echo "== ingest into the event log in $DATA_DIR/log"
"$LH" -D "$DATA_DIR/log" ingest "$STREAM"
echo "== ingest again: nothing new is appended"
"$LH" -D "$DATA_DIR/log" ingest "$STREAM"
echo "== log stat"
"$LH" -D "$DATA_DIR/log" log stat
echo "== quarantine (first 5)"
"$LH" -D "$DATA_DIR/log" quarantine list --limit 5
echo "== first 3 events of the log"
"$LH" -D "$DATA_DIR/log" log dump --to 3
