#!/usr/bin/env python3
"""The migration guide's Scenario 2, "Multiple WorkerManagers → Pool Manager": two pools, affinity routing.

    MAHAVISHNU_BROKER=tcp://127.0.0.1:5555 python3 examples/python/scenario_2_multiple_pools.py
"""
import asyncio

from mahavishnu.mcp.protocols.message_bus import MessageBus
from mahavishnu.pools import PoolConfig, PoolManager, PoolSelector
from mahavishnu.terminal.manager import TerminalManager

terminal_mgr = TerminalManager.create(None, mcp_client=None)


class MultiTaskExecutor:
    def __init__(self):
        self.pool_mgr = PoolManager(terminal_manager=terminal_mgr, message_bus=MessageBus())

    async def start(self):
        await self.pool_mgr.spawn_pool("mahavishnu", PoolConfig(name="primary", pool_type="mahavishnu", min_workers=2, max_workers=5))
        await self.pool_mgr.spawn_pool("mahavishnu", PoolConfig(name="secondary", pool_type="mahavishnu", min_workers=5, max_workers=10))

    async def execute(self, prompt: str, use_primary: bool = True):
        affinity = "primary" if use_primary else "secondary"
        return await self.pool_mgr.route_task({"prompt": prompt}, pool_selector=PoolSelector.AFFINITY, pool_affinity=affinity)


async def main():
    executor = MultiTaskExecutor()
    await executor.start()
    try:
        names = {pool["pool_id"]: pool["name"] for pool in await executor.pool_mgr.list_pools()}
        for use_primary in (True, False, True):
            result = await executor.execute("Write code", use_primary=use_primary)
            print(f"use_primary={use_primary}: ran on {names[result['pool_id']]} ({result['worker_id']})")
    finally:
        await executor.pool_mgr.close_all()


if __name__ == "__main__":
    asyncio.run(main())
