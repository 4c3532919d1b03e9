#!/usr/bin/env bash
# Installs what building and testing Mahavishnu needs, only where it is missing:
# libzmq3-dev, libsqlite3-dev (the memory store and the MCP server's workflows, through GRDB),
# pkg-config and iproute2 from Debian; pyzmq for the Python producer example and the official
# MCP client (mcp) for the MCP server's tests.
set -euo pipefail

missing=()
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
pkg-config --exists libzmq 2>/dev/null || missing+=(libzmq3-dev)
pkg-config --exists sqlite3 2>/dev/null || missing+=(libsqlite3-dev)   # GRDB: the memory store, the MCP server's workflows
command -v python3 >/dev/null 2>&1 || missing+=(python3 python3-pip)
command -v ip >/dev/null 2>&1 || missing+=(iproute2)   # network namespaces for the multi-host test

if [ ${#missing[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "installing ${missing[*]}" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! python3 -c 'import zmq' >/dev/null 2>&1; then
    echo "installing pyzmq" >&2
    python3 -m pip install -q pyzmq 2>/dev/null || python3 -m pip install -q --break-system-packages pyzmq
fi

if ! python3 -c 'import mcp' >/dev/null 2>&1; then
    echo "installing the Python MCP client (mcp)" >&2
    python3 -m pip install -q mcp 2>/dev/null || python3 -m pip install -q --break-system-packages mcp
fi
