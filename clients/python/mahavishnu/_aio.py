"""Bridges the `Client`'s futures to asyncio, for the guide's async API."""

import asyncio
import concurrent.futures
from typing import Any, Callable, Dict, List, Optional

from .client import Client
from .errors import BrokerError


async def wait(future: concurrent.futures.Future) -> Any:
    """Awaits a client future; the client's I/O thread resolves it (the event loop never blocks)."""
    return await asyncio.wrap_future(future)


async def control(client: Client, command: str, arguments: Optional[Dict[str, Any]] = None, timeout: Optional[float] = None) -> Dict[str, Any]:
    """A control command's reply, awaited."""
    return await wait(client.control_future(command, arguments, timeout))


async def run_batch(submit: Callable[[int], concurrent.futures.Future], count: int, pool_of: Callable[[int], str],
                    window: int = 256) -> List[Dict[str, Any]]:
    """Runs `count` tasks (`submit(i)` sends task *i*), at most `window` in flight; one result per task, in order.

    A task the broker refused is a `failed` result whose `error` names the code and the
    broker's message, as in the Swift `executeBatch`.
    """
    results: List[Optional[Dict[str, Any]]] = [None] * count
    slots = asyncio.Semaphore(max(1, window))

    async def one(index: int) -> None:
        async with slots:
            future = submit(index)
            try:
                results[index] = await wait(future)
            except BrokerError as error:
                results[index] = refused_result(getattr(future, "task_id", ""), pool_of(index), error)

    await asyncio.gather(*(one(index) for index in range(count)))
    return results  # type: ignore[return-value]


def refused_result(task_id: str, pool_id: str, error: BrokerError) -> Dict[str, Any]:
    """The result object standing for a task the broker refused."""
    return {"task_id": task_id, "pool_id": pool_id, "worker_id": "", "status": "failed", "output": "",
            "error": str(error), "duration": 0.0}

