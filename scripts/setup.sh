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

if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >&2
fi
cmake --build "$BUILD_DIR" -j"$(nproc)" >&2
