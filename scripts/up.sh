#!/usr/bin/env bash
# The main job: installs what is missing, builds mahavishnu (release; with it mahavishnu-pool,
# which the broker starts its pools with, and mahavishnu-guard, which pools start their worker
# programs under), then runs
# `mahavishnu up`: the broker and every pool of the default topology (or of the topology
# given with --topology FILE), in the foreground. Ctrl-C drains and stops them all.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --runtime
swift build -c release --product mahavishnu
exec .build/release/mahavishnu up "$@"
