#!/usr/bin/env bash
# Installs what is missing, then runs every test: unit tests and integration tests that start
# real broker and pool processes on loopback, first against the debug build, then the
# integration tests again against the release build (what scripts/up.sh builds and users run:
# the optimiser exposes bugs the debug build hides), then the Python client's tests against it.
#
# With arguments (`--filter NAME`, say) it runs only `swift test` with them, on the debug build.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
# The tests stop every process they start; should a test process crash, scripts/reaped.py stops
# (and names) what it left running, and fails the run for it.
if [ -z "${TESTS_UNDER_REAPER:-}" ]; then
    TESTS_UNDER_REAPER=1 exec scripts/reaped.py "$0" "$@"
fi
swift build --build-tests
swift test --skip-build "$@"
[ $# -eq 0 ] || exit 0

swift build -c release
release_bin="$PWD/.build/release/mahavishnu"
echo "integration tests against the release build ($release_bin)"
MAHAVISHNU_BIN="$release_bin" swift test --skip-build --filter IntegrationTests
echo "Python client tests against the release build"
MAHAVISHNU_BIN="$release_bin" python3 -m pytest clients/python/tests -q
