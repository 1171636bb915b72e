#!/usr/bin/env bash
# The test command: installs what is missing, builds, runs every test (ctest).
# Usage: scripts/test.sh [ctest args...]   e.g. scripts/test.sh -R EventLog
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${LH_BUILD_DIR:-build}
scripts/setup.sh "$BUILD_DIR"
cd "$BUILD_DIR"
log=$(mktemp /tmp/lh-ctest-XXXXXX.log)
ctest --output-on-failure -j2 --timeout 1200 "$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
# A test that cannot set up (e.g. its PostgreSQL did not start in
# SetUpTestSuite) is reported by GoogleTest as skipped and by ctest as not
# failed. A skip is a failure here, except the one that depends on the CPU.
skipped=$(grep -E '^[[:space:]]*[0-9]+ - .* \(Skipped\)$' "$log" | grep -v 'Crc32c\.' || true)
rm -f "$log"
if [ -n "$skipped" ]; then
  echo "tests skipped (counted as failures):" >&2
  echo "$skipped" >&2
  exit 1
fi
exit "$rc"
