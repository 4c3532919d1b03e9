#!/usr/bin/env python3
"""The migration guide's Scenario 1, "Single WorkerManager → Single Pool": a `TaskRunner` on one pool.

    MAHAVISHNU_BROKER=tcp://127.0.0.1:5555 python3 examples/python/scenario_1_single_pool.py
"""
import asyncio

from mahavishnu.mcp.protocols.message_bus import MessageBus
from mahavishnu.pools import PoolConfig, PoolManager
from mahavishnu.terminal.manager import TerminalManager

terminal_mgr = TerminalManager.create(None, mcp_client=None)


class TaskRunner:
    def __init__(self):
        self.pool_mgr = PoolManager(terminal_manager=terminal_mgr, message_bus=MessageBus())
        self.pool_id = None

    async def start(self):
        config = PoolConfig(name="task-runner", pool_type="mahavishnu", min_workers=3, max_workers=10)
        self.pool_id = await self.pool_mgr.spawn_pool("mahavishnu", config)

    async def execute(self, prompt: str):
        return await self.pool_mgr.execute_on_pool(self.pool_id, {"prompt": prompt})

    async def stop(self):
        await self.pool_mgr.close_all()


async def main():
    runner = TaskRunner()
    await runner.start()
    try:
        results = await asyncio.gather(*(runner.execute(f"task {i}") for i in range(6)))
        for result in results:
            print(f"{result['status']} on {result['worker_id']}: {result['output']}")
    finally:
        await runner.stop()


if __name__ == "__main__":
    asyncio.run(main())
