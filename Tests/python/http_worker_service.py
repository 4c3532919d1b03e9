#!/usr/bin/env python3
"""A small outside MCP worker service over Streamable HTTP (JSON responses), for the tests of
session-buddy pools with a `url:` delegate. Its workers answer a prompt in capitals.

    http_worker_service.py   # prints "listening http://127.0.0.1:PORT/mcp" once it serves
"""
import socket
import sys
import uuid

import anyio
from mcp.server.mcpserver import MCPServer

service = MCPServer("http-worker-service")
workers = {}


@service.tool()
def worker_spawn(worker_type: str = "upper", count: int = 1) -> dict:
    """Start count workers."""
    ids = [f"http_{uuid.uuid4().hex[:8]}" for _ in range(count)]
    workers.update({worker_id: worker_type for worker_id in ids})
    return {"worker_ids": ids}


@service.tool()
def worker_execute(worker_id: str, prompt: str, timeout: int = 300) -> dict:
    """Run a prompt on a worker: it answers in capitals."""
    if worker_id not in workers:
        raise ValueError(f"no such worker {worker_id}")
    return {"status": "completed", "output": prompt.upper(), "worker_id": worker_id}


@service.tool()
def worker_close(worker_id: str) -> dict:
    """Close a worker."""
    workers.pop(worker_id, None)
    return {"closed": worker_id}


@service.tool()
def worker_list() -> dict:
    """The live workers."""
    return {"workers": sorted(workers)}


def main():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    async def serve():
        async with anyio.create_task_group() as group:
            group.start_soon(lambda: service.run_streamable_http_async(host="127.0.0.1", port=port, json_response=True, stateless_http=True))
            for _ in range(200):
                try:
                    await (await anyio.connect_tcp("127.0.0.1", port)).aclose()
                    break
                except OSError:
                    await anyio.sleep(0.05)
            print(f"listening http://127.0.0.1:{port}/mcp", flush=True)

    anyio.run(serve)


if __name__ == "__main__":
    sys.exit(main())
