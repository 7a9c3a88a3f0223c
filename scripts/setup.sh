#!/usr/bin/env bash
# Installs flywheel's build dependencies (Debian 12 packages) and builds Release into build/.
# Usage: scripts/setup.sh            (run as root, or with sudo available)
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  build-essential cmake pkgconf git
  clang libclang-rt-14-dev libomp-dev          # fuzzing (libFuzzer) and clang builds
  libgtest-dev libgmock-dev libbenchmark-dev   # tests and benchmarks
  nlohmann-json3-dev libfmt-dev libcli11-dev libpcre2-dev libcpp-httplib-dev libssl-dev
)
# Server integration tests use the official JS clients: Node.js + npm. Machines that already
# have a Node.js (with its own npm) keep it; Debian's nodejs/npm would conflict with it.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  PACKAGES+=(nodejs npm)
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# The official OpenAI / Ollama JS clients the server integration tests drive (pinned in
# tests/server/package-lock.json).
if [ -f tests/server/package-lock.json ] && [ ! -d tests/server/node_modules/openai ]; then
  echo "setup: installing the server tests' npm packages" >&2
  npm ci --prefix tests/server --no-audit --no-fund --loglevel=error >/dev/null
fi

cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)"
