"""`WorkerManager` (the guide's "Before" API) and `MemoryAggregator`, beyond what the examples show."""

import asyncio

import pytest

from deployment import Deployment
from mahavishnu import MahavishnuError
from mahavishnu.pools import MemoryAggregator, PoolConfig, PoolManager
from mahavishnu.workers import WorkerError, WorkerManager


async def test_workers_are_one_slot_pools_that_pool_close_all_leaves_alone(deployment):
    worker_mgr = WorkerManager(max_concurrent=3)
    worker_ids = await worker_mgr.spawn_workers("echo", count=2)
    assert [worker["pool_id"] for worker in await worker_mgr.list_workers()] == worker_ids
    results = await worker_mgr.execute_batch(worker_ids, [{"prompt": f"t{i}"} for i in range(4)])
    assert [(r["output"], r["pool_id"]) for r in results] == [("t0", worker_ids[0]), ("t1", worker_ids[1]),
                                                              ("t2", worker_ids[0]), ("t3", worker_ids[1])]
    with pytest.raises(WorkerError, match="more than max_concurrent"):
        await worker_mgr.spawn_workers("echo", count=2)
    assert await PoolManager().close_all() == [], "close_all leaves the workers to the WorkerManager"
    with pytest.raises(WorkerError, match="no such worker 'pool_nope'"):
        await worker_mgr.close_worker("pool_nope")
    await worker_mgr.close_worker(worker_ids[0])
    assert await worker_mgr.close_all() == [worker_ids[1]]
    assert await worker_mgr.list_workers() == []


async def test_cross_pool_search_finds_results_of_every_pool(deployment):
    pool_mgr = PoolManager()
    for name in ("left", "right"):
        await pool_mgr.spawn_pool("mahavishnu", PoolConfig(name=name, min_workers=1))
    await pool_mgr.execute_on_pool("left", {"prompt": "Write the API implementation"})
    await pool_mgr.execute_on_pool("right", {"prompt": "Document the API implementation"})
    await pool_mgr.execute_on_pool("right", {"prompt": "Unrelated words"})
    aggregator = MemoryAggregator()
    assert await aggregator.start_periodic_sync(pool_mgr) == str(deployment.database)
    for _ in range(100):   # the broker writes every memory_sync_interval (0.2 s here)
        matches = await aggregator.cross_pool_search("API implementation", pool_mgr)
        if len(matches) == 2:
            break
        await asyncio.sleep(0.05)
    assert sorted(match["pool_name"] for match in matches) == ["left", "right"]
    only_right = await aggregator.cross_pool_search("API implementation", pool_mgr, pool="right")
    assert [match["prompt"] for match in only_right] == ["Document the API implementation"]
    with pytest.raises(ValueError, match="no words"):
        await aggregator.cross_pool_search("  ", pool_mgr)


async def test_memory_aggregator_says_when_the_broker_keeps_no_store(tmp_path):
    broker = Deployment(tmp_path, broker_arguments=["--no-memory"])
    try:
        with pytest.raises(MahavishnuError, match="keeps no memory store"):
            await MemoryAggregator().start_periodic_sync(PoolManager(broker=broker.frontend))
    finally:
        broker.stop()
