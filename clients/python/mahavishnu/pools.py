"""The pool API of the migration guide (`from mahavishnu.pools import PoolManager, PoolConfig, PoolSelector`).

Every pool is its own OS process registered with a Mahavishnu broker; `PoolManager` is a thin
asyncio client of that broker, so a pool spawned here is seen by the CLI and by every other
manager, and results are the broker's result objects (`result["status"] == "completed"`).
"""

from dataclasses import dataclass, fields
from typing import Any, Dict, List, Optional, Sequence

from . import _aio
from .client import Client
from .memory import MemoryAggregator
from .protocol import PoolSelector, Selector, Task

__all__ = ["PoolManager", "PoolConfig", "PoolSelector", "Pool", "PoolMetrics", "MemoryAggregator"]

#: How long `spawn_pool` waits for the new pool process to register (a cold start included).
SPAWN_TIMEOUT = 60.0
#: How long `close_all` and `close_pool` wait for pools to drain and exit.
CLOSE_TIMEOUT = 120.0


@dataclass
class PoolConfig:
    """What a new pool should look like (the guide's `PoolConfig`)."""

    #: Unique among live pools; affinity tasks may name it.
    name: str
    #: `mahavishnu` (a local pool process), `session-buddy` (forwards to an MCP worker service) or `worker`.
    pool_type: str = "mahavishnu"
    min_workers: int = 1
    max_workers: int = 10
    #: What each worker runs: `echo`, or a worker type defined in the broker's settings.
    worker_type: str = "echo"
    #: Let the broker grow and shrink the pool between min and max workers.
    auto_scale: bool = False
    #: For a `session-buddy` pool: its delegate, a name under `delegates:` in the broker's settings.
    delegate: Optional[str] = None


@dataclass
class PoolMetrics:
    """A pool's metrics (`pool.get_metrics()`): the broker's worker count and the pool's latest vitals."""

    pool_id: str = ""
    name: str = ""
    #: Workers the pool has now (a `scale` changes it at once).
    total_workers: int = 0
    #: Workers running a task at the last heartbeat.
    active_workers: int = 0
    tasks_completed: int = 0
    tasks_failed: int = 0
    average_duration_ms: float = 0.0
    p99_duration_ms: float = 0.0
    resident_memory_mb: float = 0.0
    restarts: int = 0
    last_heartbeat_ms: Optional[int] = None
    #: Why a connected pool cannot run tasks (a session-buddy pool whose service is unreachable).
    unhealthy_reason: Optional[str] = None

    @classmethod
    def from_reply(cls, reply: Dict[str, Any]) -> "PoolMetrics":
        known = {field.name for field in fields(cls)}
        values = {key: value for key, value in (reply.get("vitals") or {}).items() if key in known}
        values.update({key: reply[key] for key in ("pool_id", "name", "restarts", "last_heartbeat_ms") if key in reply})
        return cls(**values)


class Pool:
    """One pool, for what the guide reaches through `pool_mgr._pools[pool_id]`: scaling, batches, metrics."""

    def __init__(self, pool_id: str, client: Client):
        #: The pool's id (or name) as given.
        self.pool_id = pool_id
        self._client = client

    async def scale(self, target_workers: int) -> Dict[str, Any]:
        """Resizes the pool to `target_workers` (within its `[min, max]`); returns the pool as listed."""
        return await _aio.control(self._client, "scale", {"pool": self.pool_id, "target_workers": target_workers})

    async def execute_batch(self, tasks: Sequence[Task], window: int = 256) -> List[Dict[str, Any]]:
        """Runs every task on this pool: exactly one result per task, in order (a refused one is `failed`)."""
        tasks = list(tasks)
        return await _aio.run_batch(lambda i: self._client.submit(tasks[i], affinity=self.pool_id), len(tasks),
                                    lambda _: self.pool_id, window)

    async def get_metrics(self) -> PoolMetrics:
        """Workers, tasks completed and failed, durations, memory and restarts."""
        return PoolMetrics.from_reply(await _aio.control(self._client, "metrics", {"pool": self.pool_id}))

    def __repr__(self) -> str:
        return f"Pool({self.pool_id!r})"


class _PoolHandles(dict):
    """`pool_mgr._pools`: the pools this manager spawned, by id; any other id or name gives a handle too."""

    def __init__(self, client: Client):
        super().__init__()
        self._client = client

    def __missing__(self, pool_id: str) -> Pool:
        return Pool(pool_id, self._client)


class PoolManager:
    """Spawn pools, run and route tasks, watch health, close pools: the guide's `PoolManager`.

    `terminal_manager` and `session_buddy_client` are accepted for the guide's code and unused
    (workers run in pool processes, and session-buddy pools reach their service through the
    broker's settings). `message_bus` is kept as `self.message_bus`. `broker` is the broker's
    frontend (default `MAHAVISHNU_BROKER`, else tcp://127.0.0.1:5555); `keys` a CURVE key
    directory (default `MAHAVISHNU_CLIENT_KEYS_DIR`).
    """

    def __init__(self, terminal_manager: Any = None, session_buddy_client: Any = None, message_bus: Any = None,
                 broker: Optional[str] = None, keys: Optional[str] = None,
                 default_selector: Selector = None):
        self.terminal_manager = terminal_manager
        self.session_buddy_client = session_buddy_client
        self.message_bus = message_bus
        #: The selector `route_task` uses when given none (None: the broker's `--selector`).
        self.default_selector = default_selector
        self.client = Client(broker, keys)
        self._pools = _PoolHandles(self.client)

    @property
    def broker(self) -> str:
        return self.client.broker

    async def spawn_pool(self, pool_type: str, config: PoolConfig, timeout: float = SPAWN_TIMEOUT) -> str:
        """Starts a pool process through the broker; returns its id once it has registered.

        `pool_type` overrides `config.pool_type` (the guide passes it twice).
        """
        arguments = {"name": config.name, "pool_type": pool_type, "min_workers": config.min_workers,
                     "max_workers": config.max_workers, "worker_type": config.worker_type, "auto_scale": config.auto_scale}
        if config.delegate is not None:
            arguments["delegate"] = config.delegate
        pool_id = (await _aio.control(self.client, "spawn", arguments, timeout))["pool_id"]
        self._pools[pool_id] = Pool(pool_id, self.client)
        return pool_id

    async def execute_on_pool(self, pool_id: str, task: Task) -> Dict[str, Any]:
        """Runs `task` on the pool `pool_id` (id or name), waiting for its capacity if it is busy."""
        return await _aio.wait(self.client.submit(task, affinity=pool_id))

    async def route_task(self, task: Task, pool_selector: Selector = None, pool_affinity: Optional[str] = None) -> Dict[str, Any]:
        """Runs `task` on the pool `pool_selector` picks (`pool_affinity` names it for `AFFINITY`)."""
        selector = pool_selector if pool_selector is not None else self.default_selector
        return await _aio.wait(self.client.submit(task, selector=selector, affinity=pool_affinity))

    async def list_pools(self) -> List[Dict[str, Any]]:
        """The live pools, as the broker lists them."""
        return (await _aio.control(self.client, "list"))["pools"]

    async def health_check(self) -> Dict[str, Any]:
        """`{"status", "pools_active", "queue_depth", "pools": [{"pool_id", "name", "status", …}]}`."""
        return await _aio.control(self.client, "health")

    async def close_pool(self, pool_id: str, timeout: float = CLOSE_TIMEOUT) -> None:
        """Drains the pool (its running tasks finish) and stops its process."""
        await _aio.control(self.client, "close", {"pool": pool_id}, timeout)
        self._pools.pop(pool_id, None)

    async def close_all(self, timeout: float = CLOSE_TIMEOUT) -> List[str]:
        """Drains and stops every pool but the workers (`WorkerManager` owns those); returns their ids."""
        closed = [pool["pool_id"] for pool in (await _aio.control(self.client, "close_all", {}, timeout))["closed"]]
        for pool_id in closed:
            self._pools.pop(pool_id, None)
        return closed

    def close(self) -> None:
        """Closes the connection to the broker (the pools keep running)."""
        self.client.close()
