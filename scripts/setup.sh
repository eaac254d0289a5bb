#!/usr/bin/env bash
# Installs the Debian 12 packages weft builds with (idempotent, non-interactive), then configures
# and builds into ./build. Usage: scripts/setup.sh [extra cmake args...]
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake ninja-build pkg-config
  libtbb-dev nlohmann-json3-dev libyaml-cpp-dev libeigen3-dev libdnnl-dev
  libpng-dev libwebp-dev libjpeg62-turbo-dev libfmt-dev libspdlog-dev libcli11-dev libxxhash-dev
  ocl-icd-opencl-dev libboost-dev libsqlite3-dev libavformat-dev libavcodec-dev libavutil-dev libswscale-dev libswresample-dev ffmpeg
  libgtest-dev libgmock-dev libbenchmark-dev clang libclang-rt-14-dev python3-numpy
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# The npm client tests (tests/server/js) need Node.js (Debian's 18 or newer) and the two ComfyUI
# clients; without them those tests skip, so a failure here only warns.
if ! command -v node >/dev/null 2>&1; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get install -y -q --no-install-recommends nodejs npm ||
    { $SUDO apt-get update -q && $SUDO apt-get install -y -q --no-install-recommends nodejs npm; } ||
    echo "warning: could not install nodejs/npm; the npm client tests will be skipped" >&2
fi
if [ ! -d tests/server/js/node_modules ] && command -v npm >/dev/null 2>&1; then
  (cd tests/server/js && npm ci --no-audit --no-fund) ||
    echo "warning: npm ci in tests/server/js failed; the npm client tests will be skipped" >&2
fi

jobs=$(nproc)
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release "$@"
cmake --build build -j "$jobs"
