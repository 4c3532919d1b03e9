"""The old worker API (the guide's "Before" code), on top of pools: `from mahavishnu.workers import WorkerManager`.

A worker is a one-slot pool of type `worker` in the broker: "run on this worker" is affinity to
that pool, and workers spawned by one manager (or the CLI's `workers spawn`) serve the next.
"""

import asyncio
import uuid
from typing import Any, Dict, List, Optional, Sequence

from . import _aio
from .client import Client
from .errors import MahavishnuError
from .pools import CLOSE_TIMEOUT, SPAWN_TIMEOUT
from .protocol import Task

#: The pool type of the pools that are workers.
WORKER_POOL_TYPE = "worker"


class WorkerError(MahavishnuError):
    """A `WorkerManager` call that cannot be done (a bad count, the worker limit, an unknown worker)."""


class WorkerManager:
    """Spawn workers, run tasks on them by id, close them.

    `terminal_manager` is accepted for the guide's code and unused (workers run in pool
    processes). `max_concurrent` bounds the live workers (`max_concurrent_workers`).
    """

    def __init__(self, terminal_manager: Any = None, max_concurrent: int = 10, broker: Optional[str] = None,
                 keys: Optional[str] = None, default_worker_type: str = "echo"):
        if max_concurrent < 1:
            raise WorkerError(f"max_concurrent must be at least 1 (got {max_concurrent})")
        self.terminal_manager = terminal_manager
        self.max_concurrent = max_concurrent
        self.default_worker_type = default_worker_type
        self.client = Client(broker, keys)

    async def spawn_workers(self, worker_type: Optional[str] = None, count: int = 1, timeout: float = SPAWN_TIMEOUT) -> List[str]:
        """Starts `count` workers of `worker_type` and returns their ids once all have registered.

        All or nothing: if one cannot start, those that did are closed and the error is raised.
        """
        if count < 1:
            raise WorkerError(f"count must be at least 1 (got {count})")
        live = len(await self.list_workers())
        if live + count > self.max_concurrent:
            raise WorkerError(f"spawning {count} more would make {live + count} workers, more than max_concurrent ({self.max_concurrent}); close some first (close_worker) or raise max_concurrent")
        worker_type = worker_type or self.default_worker_type
        outcomes = await asyncio.gather(*(self._spawn_one(worker_type, timeout) for _ in range(count)), return_exceptions=True)
        spawned = sorted(outcome for outcome in outcomes if isinstance(outcome, str))
        failures = [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
        if failures:
            await asyncio.gather(*(self.close_worker(worker_id) for worker_id in spawned), return_exceptions=True)
            raise failures[0]
        return spawned

    async def _spawn_one(self, worker_type: str, timeout: float) -> str:
        arguments = {"name": "worker_" + uuid.uuid4().hex[:16], "pool_type": WORKER_POOL_TYPE,
                     "min_workers": 1, "max_workers": 1, "worker_type": worker_type}
        return (await _aio.control(self.client, "spawn", arguments, timeout))["pool_id"]

    async def execute_task(self, worker_id: str, task: Task) -> Dict[str, Any]:
        """Runs `task` on the worker `worker_id`; waits for it if it is busy."""
        return await _aio.wait(self.client.submit(task, affinity=worker_id))

    async def execute_batch(self, worker_ids: Sequence[str], tasks: Sequence[Task], window: int = 256) -> List[Dict[str, Any]]:
        """Runs task *i* on worker *i* mod `len(worker_ids)`, concurrently: one result per task, in order."""
        worker_ids, tasks = list(worker_ids), list(tasks)
        if tasks and not worker_ids:
            raise WorkerError(f"execute_batch needs at least one worker for {len(tasks)} tasks")
        worker = lambda index: worker_ids[index % len(worker_ids)]   # noqa: E731
        return await _aio.run_batch(lambda i: self.client.submit(tasks[i], affinity=worker(i)), len(tasks), worker, window)

    async def list_workers(self) -> List[Dict[str, Any]]:
        """The live workers (pools of type `worker`), sorted by id."""
        pools = (await _aio.control(self.client, "list"))["pools"]
        return sorted((pool for pool in pools if pool["type"] == WORKER_POOL_TYPE), key=lambda pool: pool["pool_id"])

    async def close_worker(self, worker_id: str, timeout: float = CLOSE_TIMEOUT) -> None:
        """Lets the worker finish its task, then stops it; refuses an id that is not a live worker."""
        live = [worker["pool_id"] for worker in await self.list_workers()]
        if worker_id not in live:
            raise WorkerError(f"no such worker '{worker_id}'; live workers: {', '.join(live) or 'none'}")
        await _aio.control(self.client, "close", {"pool": worker_id}, timeout)

    async def close_all(self, timeout: float = CLOSE_TIMEOUT) -> List[str]:
        """Closes every live worker (other pools are left alone); returns the ids it closed."""
        worker_ids = [worker["pool_id"] for worker in await self.list_workers()]
        await asyncio.gather(*(_aio.control(self.client, "close", {"pool": worker_id}, timeout) for worker_id in worker_ids))
        return worker_ids

    def close(self) -> None:
        """Closes the connection to the broker (the workers keep running)."""
        self.client.close()
