#!/usr/bin/env bash
# The test command: installs what is missing, builds, runs every test (ctest).
# Usage: scripts/test.sh [ctest args...]   e.g. scripts/test.sh -R EventLog
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${LH_BUILD_DIR:-build}
scripts/setup.sh "$BUILD_DIR"
cd "$BUILD_DIR"
ctest --output-on-failure -j2 --timeout 1200 "$@"
