#!/usr/bin/env python3
"""The migration guide's Code Patterns and Best Practices: least-loaded routing, batches,
health monitoring, scaling on metrics, and cross-pool memory search.

    MAHAVISHNU_BROKER=tcp://127.0.0.1:5555 python3 examples/python/patterns.py
"""
import asyncio

from mahavishnu.mcp.protocols.message_bus import MessageBus
from mahavishnu.pools import MemoryAggregator, PoolConfig, PoolManager, PoolSelector


async def main():
    pool_mgr = PoolManager(message_bus=MessageBus())
    pool_id = await pool_mgr.spawn_pool("mahavishnu", PoolConfig(name="patterns", pool_type="mahavishnu", min_workers=2, max_workers=4))
    try:
        # Pattern 1: automatic least-loaded routing
        result = await pool_mgr.route_task({"prompt": "Write the API implementation"}, pool_selector=PoolSelector.LEAST_LOADED)
        print(f"routed to {result['worker_id']}: {result['status']}")

        # Pattern 2: batch execution, one result per task, in order
        pool = pool_mgr._pools[pool_id]
        results = await pool.execute_batch([{"prompt": f"batch task {i}"} for i in range(10)])
        print(f"batch: {[r['output'] for r in results]}")

        # Pattern 3: pool-level health monitoring
        health = await pool_mgr.health_check()
        print(f"Status: {health['status']}")
        print(f"Active pools: {health['pools_active']}")
        for entry in health["pools"]:
            print(f"  {entry['pool_id']}: {entry['status']}")

        # Best practice: use metrics for scaling
        metrics = await pool.get_metrics()
        print(f"workers: {metrics.active_workers} busy of {metrics.total_workers}")
        if metrics.active_workers > metrics.total_workers * 0.8:
            await pool.scale(metrics.total_workers + 1)
        await pool.scale(target_workers=4)
        print(f"scaled to {(await pool.get_metrics()).total_workers} workers")

        # Best practice: memory aggregation (the broker stores every result; searched here)
        aggregator = MemoryAggregator()
        print(f"memory store: {await aggregator.start_periodic_sync(pool_mgr)}")
        for _ in range(100):   # the broker writes every memory_sync_interval seconds
            matches = await aggregator.cross_pool_search("API implementation", pool_mgr)
            if matches:
                break
            await asyncio.sleep(0.1)
        for match in matches:
            print(f"  found in {match['pool_name']}: {match['snippet']}")
    finally:
        await pool_mgr.close_all()


if __name__ == "__main__":
    asyncio.run(main())
