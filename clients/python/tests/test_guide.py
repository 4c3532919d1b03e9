"""The migration guide's Python code, run against a real broker and real pool processes.

Each block between `# --- guide:` and `# --- end guide` is copied from the guide as written
(only `PoolSerializer` read as `PoolSelector`); the lines after it check what the block did.
The names the guide's blocks take for granted (`tm`, `terminal_mgr`, `config`, `task`,
`tasks`) are defined here.
"""

import shutil

import pytest

from mahavishnu.mcp.protocols.message_bus import MessageBus
from mahavishnu.pools import PoolConfig, PoolManager, PoolSelector
from mahavishnu.terminal.manager import TerminalManager

# The guide's free names: a terminal manager made from some configuration.
tm = TerminalManager.create(None, mcp_client=None)
terminal_mgr = tm


@pytest.fixture(autouse=True)
def broker(deployment):
    """Every test here runs against its own fresh broker (found through MAHAVISHNU_BROKER)."""
    return deployment


async def pools_by_name(pool_mgr):
    return {pool["name"]: pool for pool in await pool_mgr.list_pools()}


async def test_quick_start_before_still_runs(config=None):
    # --- guide: Quick Start, "Before (WorkerManager)"
    from mahavishnu.workers import WorkerManager
    from mahavishnu.terminal.manager import TerminalManager

    # Create terminal manager and worker manager
    terminal_mgr = TerminalManager.create(config, mcp_client=None)
    worker_mgr = WorkerManager(
        terminal_manager=terminal_mgr,
        max_concurrent=10,
    )

    # Spawn workers
    worker_ids = await worker_mgr.spawn_workers(
        worker_type="terminal-qwen",
        count=3,
    )

    # Execute task
    result = await worker_mgr.execute_task(
        worker_ids[0],
        {"prompt": "Write code"},
    )

    # Cleanup
    await worker_mgr.close_all()
    # --- end guide
    assert len(worker_ids) == 3 and result["pool_id"] == worker_ids[0]
    if shutil.which("qwen") is None:   # terminal-qwen runs the `qwen` program; without it the result says so
        assert result["status"] == "failed" and "command not found: qwen" in result["error"]
    assert await worker_mgr.list_workers() == []


async def test_quick_start_after(config=None):
    # --- guide: Quick Start, "After (MahavishnuPool)"
    from mahavishnu.pools import PoolManager, PoolConfig, PoolSelector
    from mahavishnu.terminal.manager import TerminalManager

    # Create terminal manager and pool manager
    terminal_mgr = TerminalManager.create(config, mcp_client=None)
    from mahavishnu.mcp.protocols.message_bus import MessageBus

    pool_mgr = PoolManager(
        terminal_manager=terminal_mgr,
        session_buddy_client=None,
        message_bus=MessageBus(),
    )

    # Spawn pool (auto-spawns workers)
    config = PoolConfig(
        name="local",
        pool_type="mahavishnu",
        min_workers=3,
        max_workers=10,
    )
    pool_id = await pool_mgr.spawn_pool("mahavishnu", config)

    # Execute task (auto-selects worker)
    result = await pool_mgr.execute_on_pool(
        pool_id,
        {"prompt": "Write code"},
    )

    # Or use auto-routing
    result = await pool_mgr.route_task(
        {"prompt": "Write code"},
        pool_selector=PoolSelector.LEAST_LOADED,
    )

    # Cleanup
    await pool_mgr.close_all()
    # --- end guide
    assert result["status"] == "completed"
    assert result["output"] == "Write code"
    assert result["pool_id"] == pool_id and result["worker_id"].startswith(pool_id + ".w")
    assert await pool_mgr.list_pools() == [], "close_all stopped the pool"


# --- guide: Scenario 1, "After"
class TaskRunner:
    def __init__(self):
        self.pool_mgr = PoolManager(
            terminal_manager=terminal_mgr,
            message_bus=MessageBus(),
        )
        self.pool_id = None

    async def start(self):
        config = PoolConfig(
            name="task-runner",
            pool_type="mahavishnu",
            min_workers=3,
            max_workers=10,
        )
        self.pool_id = await self.pool_mgr.spawn_pool(
            "mahavishnu", config
        )

    async def execute(self, prompt: str):
        return await self.pool_mgr.execute_on_pool(
            self.pool_id,
            {"prompt": prompt},
        )

    async def stop(self):
        await self.pool_mgr.close_all()
# --- end guide


async def test_scenario_1_single_pool():
    runner = TaskRunner()
    await runner.start()
    pool = (await pools_by_name(runner.pool_mgr))["task-runner"]
    assert pool["pool_id"] == runner.pool_id and pool["workers"] == 3
    result = await runner.execute("Write code")
    assert result["status"] == "completed" and result["output"] == "Write code"
    assert result["pool_id"] == runner.pool_id
    await runner.stop()
    assert await runner.pool_mgr.list_pools() == []


# --- guide: Scenario 2, "After"
class MultiTaskExecutor:
    def __init__(self):
        self.pool_mgr = PoolManager(
            terminal_manager=terminal_mgr,
            message_bus=MessageBus(),
        )

    async def start(self):
        # Create two pools with different capacities
        config1 = PoolConfig(
            name="primary",
            pool_type="mahavishnu",
            min_workers=2,
            max_workers=5,
        )
        await self.pool_mgr.spawn_pool("mahavishnu", config1)

        config2 = PoolConfig(
            name="secondary",
            pool_type="mahavishnu",
            min_workers=5,
            max_workers=10,
        )
        await self.pool_mgr.spawn_pool("mahavishnu", config2)

    async def execute(self, prompt: str, use_primary: bool = True):
        # Use affinity routing for specific pool
        affinity = "primary" if use_primary else "secondary"
        return await self.pool_mgr.route_task(
            {"prompt": prompt},
            pool_selector=PoolSelector.AFFINITY,
            pool_affinity=affinity,
        )
# --- end guide


async def test_scenario_2_pool_manager_with_affinity():
    executor = MultiTaskExecutor()
    await executor.start()
    pools = await pools_by_name(executor.pool_mgr)
    assert (pools["primary"]["workers"], pools["secondary"]["workers"]) == (2, 5)
    for use_primary, name in ((True, "primary"), (False, "secondary"), (True, "primary")):
        result = await executor.execute(f"for {name}", use_primary=use_primary)
        assert result["status"] == "completed" and result["output"] == f"for {name}"
        assert result["pool_id"] == pools[name]["pool_id"], f"affinity sent it to {name}"


async def spawned_pool(pool_mgr, name="local", min_workers=3):
    return await pool_mgr.spawn_pool("mahavishnu", PoolConfig(name=name, pool_type="mahavishnu", min_workers=min_workers, max_workers=10))


async def test_pattern_1_least_loaded_routing():
    pool_mgr = PoolManager(terminal_manager=tm, message_bus=MessageBus())
    pool_ids = {await spawned_pool(pool_mgr, "a", 1), await spawned_pool(pool_mgr, "b", 1)}
    task = {"prompt": "Write code"}
    # --- guide: Pattern 1, "After"
    # Automatic least-loaded routing
    result = await pool_mgr.route_task(
        task,
        pool_selector=PoolSelector.LEAST_LOADED,
    )
    # --- end guide
    assert result["status"] == "completed" and result["pool_id"] in pool_ids
    second = await pool_mgr.route_task(task, pool_selector=PoolSelector.LEAST_LOADED)
    assert {result["pool_id"], second["pool_id"]} == pool_ids, "ties go to the pool used least recently"


async def test_pattern_2_batch_execution():
    pool_mgr = PoolManager(terminal_manager=tm, message_bus=MessageBus())
    pool_id = await spawned_pool(pool_mgr)
    tasks = [{"prompt": f"task {i}", "sleep_ms": 5 * (i % 3)} for i in range(30)]
    # --- guide: Pattern 2, "After"
    # Automatic batch execution
    pool = pool_mgr._pools[pool_id]
    results = await pool.execute_batch(tasks)
    # --- end guide
    assert [result["output"] for result in results] == [task["prompt"] for task in tasks], "one result per task, in order"
    assert all(result["status"] == "completed" and result["pool_id"] == pool_id for result in results)
    assert len({result["worker_id"] for result in results}) > 1, "spread over the pool's workers"


async def test_pattern_3_health_monitoring(capsys):
    pool_mgr = PoolManager(terminal_manager=tm, message_bus=MessageBus())
    pool_id = await spawned_pool(pool_mgr)
    # --- guide: Pattern 3, "After"
    # Pool-level health monitoring
    health = await pool_mgr.health_check()
    print(f"Status: {health['status']}")
    print(f"Active pools: {health['pools_active']}")
    for pool in health['pools']:
        print(f"  {pool['pool_id']}: {pool['status']}")
    # --- end guide
    printed = capsys.readouterr().out.splitlines()
    assert printed == ["Status: healthy", "Active pools: 1", f"  {pool_id}: healthy"]


async def test_pitfall_3_check_health_first():
    pool_mgr = PoolManager(terminal_manager=tm, message_bus=MessageBus())
    pool_id = await spawned_pool(pool_mgr)
    task = {"prompt": "Write code"}
    # --- guide: Pitfall 3, "Correct"
    # Check pool health first
    health = await pool_mgr.health_check()
    if health["status"] != "healthy":
        # Handle degraded pools
        pass

    result = await pool_mgr.execute_on_pool(pool_id, task)
    # --- end guide
    assert health["status"] == "healthy"
    assert result["status"] == "completed" and result["pool_id"] == pool_id


async def test_scale_and_metrics():
    pool_mgr = PoolManager(terminal_manager=tm, message_bus=MessageBus())
    pool_id = await spawned_pool(pool_mgr)
    # --- guide: "Simple scaling" and "Use metrics for scaling"
    pool = pool_mgr._pools[pool_id]
    await pool.scale(target_workers=5)
    metrics = await pool.get_metrics()
    if metrics.active_workers > metrics.total_workers * 0.8:
        await pool.scale(metrics.total_workers + 1)
    # --- end guide
    assert metrics.total_workers == 5 and metrics.active_workers == 0
    assert (await pools_by_name(pool_mgr))["local"]["workers"] == 5


# --- guide: Testing Migration, Unit Tests, "After (Pools)"
async def test_pool_execution():
    pool_mgr = PoolManager(
        terminal_manager=tm,
        message_bus=MessageBus(),
    )

    config = PoolConfig(
        name="test",
        pool_type="mahavishnu",
        min_workers=1,
    )
    pool_id = await pool_mgr.spawn_pool("mahavishnu", config)

    result = await pool_mgr.execute_on_pool(
        pool_id,
        {"prompt": "Test"},
    )

    assert result["status"] == "completed"
# --- end guide


# --- guide: Testing Migration, Integration Tests, "After" (PoolSerializer read as PoolSelector)
async def test_multi_pool_execution():
    pool_mgr = PoolManager(
        terminal_manager=tm,
        message_bus=MessageBus(),
    )

    # Spawn multiple pools
    for i in range(3):
        config = PoolConfig(
            name=f"pool{i}",
            pool_type="mahavishnu",
            min_workers=2,
        )
        await pool_mgr.spawn_pool("mahavishnu", config)

    # Route tasks across pools
    results = []
    for _ in range(9):
        result = await pool_mgr.route_task(
            {"prompt": "Test"},
            pool_selector=PoolSelector.ROUND_ROBIN,
        )
        results.append(result)

    assert len(results) == 9
    # --- end guide
    spread = {}
    for result in results:
        spread[result["pool_id"]] = spread.get(result["pool_id"], 0) + 1
    assert sorted(spread.values()) == [3, 3, 3], f"round robin spreads 9 tasks evenly over 3 pools: {spread}"
