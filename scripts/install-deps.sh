#!/usr/bin/env bash
# Installs what building and testing Mahavishnu needs, only where it is missing:
# libzmq3-dev, libsqlite3-dev (the memory store and the MCP server's workflows, through GRDB), zlib1g-dev,
# pkg-config, iproute2 and prometheus from Debian; pyzmq for the Python client and producer example, the
# official MCP client (mcp) for the MCP server's tests, pytest, and the `mahavishnu` Python
# package itself (clients/python, installed editable) for its tests; chromium for the dashboard's
# browser test, tmux for `mahavishnu top`'s, and systemd-analyze and kubernetes-validate for rendered deployments. With --runtime (scripts/up.sh), only what running Mahavishnu needs.
set -euo pipefail
runtime_only=false
[ "${1:-}" = "--runtime" ] && runtime_only=true

missing=()
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
pkg-config --exists libzmq 2>/dev/null || missing+=(libzmq3-dev)
pkg-config --exists sqlite3 2>/dev/null || missing+=(libsqlite3-dev)   # GRDB: the memory store, the MCP server's workflows
pkg-config --exists zlib 2>/dev/null || missing+=(zlib1g-dev)          # the journal's CRC-32
if ! $runtime_only; then
    command -v python3 >/dev/null 2>&1 || missing+=(python3 python3-pip)
    command -v ip >/dev/null 2>&1 || missing+=(iproute2)   # network namespaces for the multi-host test
    command -v prometheus >/dev/null 2>&1 || missing+=(prometheus)   # a real Prometheus (and promtool) scrapes the broker in a test
    command -v chromium >/dev/null 2>&1 || missing+=(chromium)   # the dashboard in a real headless browser
    command -v tmux >/dev/null 2>&1 || missing+=(tmux)   # `mahavishnu top` in a real terminal
    command -v systemd-analyze >/dev/null 2>&1 || missing+=(systemd)   # rendered units pass systemd-analyze verify
fi

if [ ${#missing[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "installing ${missing[*]}" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

$runtime_only && exit 0

# pip, or pip with --break-system-packages where the system's Python is externally managed.
pip_install() {
    python3 -m pip install -q "$@" 2>/dev/null || python3 -m pip install -q --break-system-packages "$@"
}

if ! python3 -c 'import zmq' >/dev/null 2>&1; then
    echo "installing pyzmq" >&2
    pip_install pyzmq
fi

if ! python3 -c 'import mcp' >/dev/null 2>&1; then
    echo "installing the Python MCP client (mcp)" >&2
    pip_install mcp
fi

if ! python3 -c 'import pytest' >/dev/null 2>&1; then
    echo "installing pytest" >&2
    # Debian's python3-pytest serves Debian's python3; another python3 (pyenv, say) needs pip's.
    if [ "$(command -v python3)" = /usr/bin/python3 ] && command -v apt-get >/dev/null 2>&1; then
        sudo=""
        [ "$(id -u)" -eq 0 ] || sudo="sudo"
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq python3-pytest >/dev/null || pip_install pytest
    else
        pip_install pytest
    fi
fi

if ! command -v kubernetes-validate >/dev/null 2>&1; then
    echo "installing kubernetes-validate (rendered manifests are checked against the Kubernetes schemas, offline)" >&2
    pip_install kubernetes-validate
fi

# The `mahavishnu` Python package, from this checkout (editable), when it is not importable from here.
package_dir="$(cd "$(dirname "$0")/.." && pwd)/clients/python"
if [ "$(cd / && python3 -c 'import mahavishnu, os; print(os.path.dirname(os.path.dirname(os.path.abspath(mahavishnu.__file__))))' 2>/dev/null)" != "$package_dir" ]; then
    echo "installing the mahavishnu Python package (pip install -e clients/python)" >&2
    pip_install -e "$package_dir"
fi
