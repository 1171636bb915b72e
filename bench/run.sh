#!/usr/bin/env bash
# Builds and runs the stage benchmarks. Not part of the test command: they
# take minutes and want a quiet machine. Results go to stdout; copy them into
# bench/RESULTS.md with the date and the command.
# Usage: bench/run.sh [ingest|codec|all] [extra args for the program]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${LH_BUILD_DIR:-build}
scripts/setup.sh "$BUILD_DIR"
what=${1:-all}
shift || true
case "$what" in
  ingest) "$BUILD_DIR/bench/bench_ingest" "$@" ;;
  codec) "$BUILD_DIR/bench/bench_codec" "$@" ;;
  all)
    "$BUILD_DIR/bench/bench_codec"
    "$BUILD_DIR/bench/bench_ingest"
    ;;
  *) echo "usage: bench/run.sh [ingest|codec|all] [args]" >&2; exit 2 ;;
esac
