#!/usr/bin/env bash
# Installs what ledgerhouse needs to build, test and run on Debian 12 (bookworm),
# then configures and builds it. Idempotent: packages already there are skipped.
# Usage: scripts/setup.sh [BUILD_DIR]   (default: build)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${1:-build}

PACKAGES=(
  build-essential cmake ninja-build pkg-config clang
  libcaf-dev liblmdb-dev lmdb-utils libmsgpack-cxx-dev libpqxx-dev libsimdjson-dev
  libcli11-dev libspdlog-dev libfmt-dev librdkafka-dev kcat libtomlplusplus-dev
  libcpp-httplib-dev libgtest-dev libgmock-dev libbenchmark-dev
  postgresql-15 postgresql-client-15
  chromium  # tests/tools/report_test.cc renders `ledgerhouse report` headless
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

# promtool (checks deploy/prometheus/ledgerhouse.rules.yml in ctest): taken out
# of Debian's prometheus package without installing it, so no Prometheus
# server gets installed and started as a service on a developer's machine.
if ! command -v promtool >/dev/null 2>&1; then
  tmp=$(mktemp -d)
  (cd "$tmp" && apt-get download prometheus >&2 && dpkg-deb -x prometheus_*.deb x)
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO install -m 0755 "$tmp/x/usr/bin/promtool" /usr/local/bin/promtool
  rm -rf "$tmp"
fi

if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >&2
fi
cmake --build "$BUILD_DIR" -j"$(nproc)" >&2
