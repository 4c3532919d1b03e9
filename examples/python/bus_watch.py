#!/usr/bin/env python3
"""The inter-pool message bus from Python: watch `task_completed` while a task runs, and publish a note.

    MAHAVISHNU_BROKER=tcp://127.0.0.1:5555 python3 examples/python/bus_watch.py
"""
import asyncio

from mahavishnu.mcp.protocols.message_bus import MessageBus
from mahavishnu.pools import PoolConfig, PoolManager


async def main():
    bus = MessageBus()
    pool_mgr = PoolManager(message_bus=bus)
    await bus.subscribe("task_completed")        # in effect once it returns
    await bus.subscribe("status_update")
    pool_id = await pool_mgr.spawn_pool("mahavishnu", PoolConfig(name="watched", pool_type="mahavishnu"))
    try:
        result = await pool_mgr.execute_on_pool(pool_id, {"prompt": "Write code"})
        while True:
            message = await bus.receive(timeout=10)
            if message.type == "task_completed" and message.payload["task_id"] == result["task_id"]:
                print(f"task_completed from {message.source_pool_id}: {message.payload['output']}")
                break
        await bus.publish("status_update", {"status": "note", "reason": "hello from Python"})
        while True:
            message = await bus.receive(timeout=10)
            if message.type == "status_update" and message.payload.get("reason") == "hello from Python":
                print(f"status_update from {message.source_pool_id}: {message.payload['reason']}")
                break
    finally:
        await pool_mgr.close_all()
        bus.close()


if __name__ == "__main__":
    asyncio.run(main())
