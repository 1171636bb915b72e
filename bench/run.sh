#!/usr/bin/env bash
# Builds and runs the stage benchmarks. Not part of the test command: they
# take minutes and want a quiet machine. Results go to stdout; copy them into
# bench/RESULTS.md with the date and the command.
# Usage: bench/run.sh [STAGE|all] [extra args for the program]
#   STAGE: codec, log_append_gtest, ingest, pipeline, copy, project, replay, kafka
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${LH_BUILD_DIR:-build}
scripts/setup.sh "$BUILD_DIR"
what=${1:-all}
shift || true
if [ "$what" = all ]; then
  for stage in codec log_append_gtest ingest pipeline copy project replay kafka; do
    echo "== bench_$stage"
    "$BUILD_DIR/bench/bench_$stage"
  done
elif [ -x "$BUILD_DIR/bench/bench_$what" ]; then
  "$BUILD_DIR/bench/bench_$what" "$@"
else
  echo "usage: bench/run.sh [codec|log_append_gtest|ingest|pipeline|copy|project|replay|kafka|all] [args]" >&2
  exit 2
fi
