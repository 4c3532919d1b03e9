#!/usr/bin/env bash
# The main job: installs what is missing, builds mahavishnu (release), then runs a broker and the
# default pools in the foreground. Ctrl-C stops them all.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
swift build -c release --product mahavishnu
bin=.build/release/mahavishnu

pids=()
stop() {
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap stop EXIT INT TERM

"$bin" broker --frontend tcp://127.0.0.1:5555 --backend tcp://127.0.0.1:5556 &
pids+=($!)
"$bin" pool run --name local --id pool_local --min 3 --max 10 --broker tcp://127.0.0.1:5556 &
pids+=($!)
"$bin" pool run --name heavy --id pool_heavy --min 2 --max 5 --broker tcp://127.0.0.1:5556 &
pids+=($!)
wait -n "${pids[@]}"
