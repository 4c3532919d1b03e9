#!/usr/bin/env python3
"""The migration guide's Quick Start, "After (MahavishnuPool)", as a script.

Spawns pool "local" (3 to 10 workers), runs a task on it, routes one least-loaded, prints the
results, closes the pool. Needs a broker without a pool named "local" (`mahavishnu broker`):

    MAHAVISHNU_BROKER=tcp://127.0.0.1:5555 python3 examples/python/quick_start.py
"""
import asyncio

from mahavishnu.mcp.protocols.message_bus import MessageBus
from mahavishnu.pools import PoolConfig, PoolManager, PoolSelector
from mahavishnu.terminal.manager import TerminalManager


async def main():
    terminal_mgr = TerminalManager.create(None, mcp_client=None)
    pool_mgr = PoolManager(terminal_manager=terminal_mgr, session_buddy_client=None, message_bus=MessageBus())

    config = PoolConfig(name="local", pool_type="mahavishnu", min_workers=3, max_workers=10)
    pool_id = await pool_mgr.spawn_pool("mahavishnu", config)
    print(f"spawned {pool_id}")

    result = await pool_mgr.execute_on_pool(pool_id, {"prompt": "Write code"})
    print(f"execute_on_pool: {result['status']} on {result['worker_id']}: {result['output']}")

    result = await pool_mgr.route_task({"prompt": "Write code"}, pool_selector=PoolSelector.LEAST_LOADED)
    print(f"route_task: {result['status']} on {result['worker_id']}: {result['output']}")

    print(f"closed {await pool_mgr.close_all()}")
    pool_mgr.close()


if __name__ == "__main__":
    asyncio.run(main())
