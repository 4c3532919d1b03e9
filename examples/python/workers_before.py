#!/usr/bin/env python3
"""The migration guide's "Before" code: the old `WorkerManager` API, which keeps working.

    MAHAVISHNU_BROKER=tcp://127.0.0.1:5555 python3 examples/python/workers_before.py
"""
import asyncio

from mahavishnu.terminal.manager import TerminalManager
from mahavishnu.workers import WorkerManager


async def main():
    terminal_mgr = TerminalManager.create(None, mcp_client=None)
    worker_mgr = WorkerManager(terminal_manager=terminal_mgr, max_concurrent=10)
    worker_ids = await worker_mgr.spawn_workers(worker_type="echo", count=3)
    print(f"workers: {worker_ids}")
    try:
        result = await worker_mgr.execute_task(worker_ids[0], {"prompt": "Write code"})
        print(f"execute_task: {result['status']} on {result['worker_id']}")
        results = await worker_mgr.execute_batch(worker_ids, [{"prompt": f"task {i}"} for i in range(6)])
        print(f"execute_batch: {[(r['output'], r['pool_id']) for r in results]}")
        await worker_mgr.close_worker(worker_ids[0])
    finally:
        print(f"closed {await worker_mgr.close_all()}")


if __name__ == "__main__":
    asyncio.run(main())
