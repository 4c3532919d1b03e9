#!/usr/bin/env bash
# Installs what is missing, then runs every test: unit tests and integration tests that start
# real broker and pool processes on loopback.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
swift build --build-tests
swift test --skip-build "$@"
