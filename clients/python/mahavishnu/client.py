"""`Client`: a plain, synchronous, thread-safe client of a Mahavishnu broker, for scripts.

    from mahavishnu import Client

    with Client("tcp://127.0.0.1:5555") as client:
        future = client.submit({"prompt": "Write code"})
        print(future.result(timeout=30)["output"])
        for result in client.map({"prompt": f"task {i}"} for i in range(1000)):
            print(result["pool_id"], result["output"])
"""

import collections
import concurrent.futures
import itertools
import os
import time
import uuid
from typing import Any, Dict, Iterable, Iterator, List, Mapping, Optional

from . import protocol
from ._engine import Engine, Request, decode_reply, decode_result
from .errors import UnknownTask
from .keys import ClientKeys, resolve_keys
from .protocol import PoolSelector, Selector, Task

#: How often a task whose reply has not come is sent again (`client_retry_interval_seconds`).
DEFAULT_RETRY_INTERVAL = 2.0
#: How long a control command (`list`, `health`, …) waits for the broker.
DEFAULT_CONTROL_TIMEOUT = 5.0
#: How long a broker of a pair may stay silent while requests wait before the client moves to the other.
DEFAULT_FAILOVER_AFTER = 3.0


class PumpingFuture(concurrent.futures.Future):
    """A future whose `result()` and `exception()` pump the client's socket while they wait."""

    def __init__(self, engine: Engine):
        super().__init__()
        self._engine = engine
        self._request: Optional[Request] = None

    def result(self, timeout: Optional[float] = None):
        if not self.done():
            self._engine.wait_until(self._finished, timeout)
        return super().result(timeout=0)

    def exception(self, timeout: Optional[float] = None):
        if not self.done():
            self._engine.wait_until(self._finished, timeout)
        return super().exception(timeout=0)

    def _finished(self) -> bool:
        request = self._request
        return request.done if request is not None else self.done()


class TaskFuture(PumpingFuture):
    """A task's pending result: a `concurrent.futures.Future` with the task's id.

    `result()` and `exception()` pump the client's socket themselves while they wait, so a
    result reaches the thread that asked without a hand-off. `result()` returns the result
    object (`status`, `output`, `pool_id`, …) or raises the broker's error or `TimeoutError`.
    `cancel()` stops waiting locally; the task still runs. `Client.cancel(task_id)` asks the
    broker to cancel it.

    - Important: done callbacks run on the thread that is pumping the socket; they must not
      block on another future of the same client.
    """

    def __init__(self, engine: Engine, task_id: str):
        super().__init__(engine)
        self.task_id = task_id

    def cancel(self) -> bool:
        if not super().cancel():
            return False
        if self._request is not None:
            self._engine.forget(self._request)
        return True


class Client:
    """A connection to a broker's frontend (a DEALER socket owned by this client), or to the
    active one of a broker pair.

    - Important: thread-safe. Any thread may submit, wait, map and ask; one thread at a time
      uses the socket (see `mahavishnu._engine`). Close it (or use `with`) when done.

    Tasks whose reply has not come are resent with the same task id every `retry_interval`
    seconds, so a broker that restarted (or a lost message) still ends in exactly one result per
    task; the broker never runs one id twice while it remembers it.
    """

    def __init__(self, broker: "Optional[str | List[str]]" = None, keys: "Optional[str | ClientKeys]" = None,
                 retry_interval: Optional[float] = None, control_timeout: float = DEFAULT_CONTROL_TIMEOUT,
                 failover_after: float = DEFAULT_FAILOVER_AFTER):
        """Connects to `broker` (default `MAHAVISHNU_BROKER`, else tcp://127.0.0.1:5555).

        `broker` may list a broker pair's frontends (`"tcp://a:5555,tcp://b:5555"` or a list):
        the client talks to one and moves to the other when it answers `not_active` or stays
        silent `failover_after` seconds while requests wait, sending it every unanswered request
        (docs/failover.md).

        `keys`: a CURVE key directory (`id.secret`, `broker.public`, as for the CLI's `--keys`),
        default `MAHAVISHNU_CLIENT_KEYS_DIR`; `retry_interval` default
        `MAHAVISHNU_CLIENT_RETRY_INTERVAL_SECONDS`, else 2 s.
        """
        self.broker = ",".join(protocol.broker_endpoints(broker or protocol.default_broker()))
        if failover_after <= 0:
            raise ValueError(f"failover_after must be more than 0 seconds (got {failover_after})")
        if retry_interval is None:
            retry_interval = float(os.environ.get("MAHAVISHNU_CLIENT_RETRY_INTERVAL_SECONDS") or DEFAULT_RETRY_INTERVAL)
        if retry_interval <= 0:
            raise ValueError(f"retry_interval must be more than 0 seconds (got {retry_interval})")
        self.retry_interval = retry_interval
        self.control_timeout = control_timeout
        self._engine = Engine(self.broker.split(","), resolve_keys(keys), retry_interval, failover_after)
        self._request_ids = itertools.count(1)
        self._client_tag = uuid.uuid4().hex[:12]

    # -- tasks -------------------------------------------------------------------------------

    def submit(self, task: Task, selector: Selector = None, affinity: Optional[str] = None,
               task_id: Optional[str] = None, fallback: Selector = None, *, priority: Optional[int] = None,
               deadline: Optional[float] = None, expires_in: Optional[float] = None,
               eta: Optional[float] = None, delay: Optional[float] = None) -> TaskFuture:
        """Sends one task; returns its future at once.

        `task` is a task object (`{"prompt": …, "timeout": …}`), a prompt string, or JSON bytes.
        `selector` is a `PoolSelector` or its name (default: the broker's); `affinity` names a
        pool (id or name) and implies `PoolSelector.AFFINITY`; `fallback` is the selector to use
        if that pool is unknown. `task_id` defaults to a fresh UUID; reuse one only to retry.

        Scheduling, held at the broker: `priority` 0 to 9 (higher runs first; default 5);
        `deadline` (seconds since 1970) or `expires_in` (seconds): past it a waiting task ends
        `expired`; `eta` (seconds since 1970) or `delay` (seconds): not dispatched before.
        """
        schedule = protocol.schedule_frame(priority, deadline, expires_in, eta, delay)
        future, request = self._task(task, selector, affinity, task_id, fallback, sink=None, schedule=schedule)
        self._engine.send((request,))
        return future

    def stream(self, task: Task, selector: Selector = None, affinity: Optional[str] = None, task_id: Optional[str] = None,
               *, priority: Optional[int] = None, deadline: Optional[float] = None, expires_in: Optional[float] = None,
               eta: Optional[float] = None, delay: Optional[float] = None, timeout: Optional[float] = None) -> Iterator[Dict[str, Any]]:
        """Runs one task and yields its partial outputs as its worker sends them, then its result.

        Each partial is `{"partial": text, "attempt": n, "sequence": k}`: in order within an
        attempt, and a task that runs again (its pool was lost) starts over with the next attempt
        at sequence 0. The last item is the result object. `timeout` (seconds) bounds each wait
        for the next item (`TimeoutError`); the other arguments are `submit`'s.
        """
        partials: collections.deque = collections.deque()

        def decode(command: bytes, frames: List[bytes]):
            if command == protocol.PARTIAL and len(frames) >= 6:
                partials.append({"partial": frames[5].decode(errors="replace"), "attempt": int(frames[3]), "sequence": int(frames[4])})
                return Request.AGAIN
            return decode_result(command, frames)

        task_id = task_id or str(uuid.uuid4())
        reference = task_id.encode()
        protocol.check_id("task id", reference)
        schedule = protocol.schedule_frame(priority, deadline, expires_in, eta, delay, stream=True)
        request = Request(reference, protocol.task_frames(reference, protocol.task_body(task), selector, affinity, None, schedule),
                          decode, resend_every=self.retry_interval)
        self._engine.send((request,))
        try:
            while True:
                if not self._engine.wait_until(lambda: bool(partials) or request.done, timeout):
                    raise TimeoutError(f"no partial output or result for task {task_id} within {timeout} s")
                while partials:
                    yield partials.popleft()
                if request.done:
                    yield request.outcome()
                    return
        finally:
            if not request.done:
                self._engine.forget(request)

    def map(self, tasks: Iterable[Task], ordered: bool = True, window: int = 256, selector: Selector = None,
            affinity: Optional[str] = None, timeout: Optional[float] = None) -> Iterator[Dict[str, Any]]:
        """Runs every task, at most `window` in flight, and yields one result per task.

        In the order of `tasks` (`ordered=True`) or as they finish. A refused task raises its
        error from the iterator; `timeout` (seconds) bounds each wait for the next result.
        """
        if window < 1:
            raise ValueError(f"window must be at least 1 (got {window})")
        engine, source = self._engine, iter(tasks)
        finished: collections.deque = collections.deque()
        in_flight: collections.deque = collections.deque()
        exhausted = False

        def top_up() -> None:
            nonlocal exhausted
            batch = []
            room = window - len(in_flight)
            for task in itertools.islice(source, room):
                batch.append(self._task(task, selector, affinity, None, None, sink=None if ordered else finished, future=False)[1])
            if len(batch) < room:
                exhausted = True
            if batch:
                in_flight.extend(batch)
                engine.send(batch)

        try:
            top_up()
            while in_flight:
                if ordered:
                    head = in_flight[0]
                    if not head.done and not engine.wait_until(lambda: head.done, timeout):
                        raise concurrent.futures.TimeoutError(f"no result for task {head.reference.decode()} within {timeout} s")
                    ready = []
                    while in_flight and in_flight[0].done:
                        ready.append(in_flight.popleft())
                else:
                    if not finished and not engine.wait_until(lambda: bool(finished), timeout):
                        raise concurrent.futures.TimeoutError(f"no result within {timeout} s; {len(in_flight)} tasks outstanding")
                    ready = []
                    while finished:   # popleft, not clear(): the pumping thread may be appending
                        ready.append(finished.popleft())
                    done = set(map(id, ready))
                    in_flight = collections.deque(r for r in in_flight if id(r) not in done)
                if not exhausted and len(in_flight) <= window - max(1, window // 8):
                    top_up()
                for request in ready:
                    yield request.outcome()
        finally:
            for request in in_flight:
                engine.forget(request)

    def as_completed(self, futures: Iterable[TaskFuture], timeout: Optional[float] = None) -> Iterator[TaskFuture]:
        """Yields each of `futures` as it finishes; `TimeoutError` if `timeout` seconds pass first."""
        waiting = list(futures)
        deadline = None if timeout is None else time.monotonic() + timeout
        while waiting:
            ready = [future for future in waiting if future.done()]
            if not ready:
                remaining = None if deadline is None else deadline - time.monotonic()
                if (remaining is not None and remaining <= 0) or not self._engine.wait_until(
                        lambda: any(future.done() for future in waiting), remaining):
                    raise concurrent.futures.TimeoutError(f"{len(waiting)} of the futures unfinished after {timeout} s")
                continue
            for future in ready:
                waiting.remove(future)
                yield future

    def get(self, task_id: str, poll_interval: float = 0.2) -> TaskFuture:
        """Re-attaches to the task `task_id` (submitted by any client): a future for its result.

        Asks the broker where the task is (the `task` control command) until it has finished;
        a task the broker does not know fails the future with `UnknownTask`.
        """
        request = self._engine.pending(task_id.encode())
        if request is not None and request.future is not None:
            return request.future
        future = TaskFuture(self._engine, task_id)

        def decode(command: bytes, frames: List[bytes]):
            report = decode_reply(command, frames)
            if report.get("state") in ("completed", "failed"):
                return report["result"]
            if report.get("state") == "unknown":
                raise UnknownTask(task_id)
            return Request.AGAIN

        reference = self._request_id()
        request = Request(reference, protocol.control_frames(reference, "task", {"task_id": task_id}), decode,
                          resend_every=poll_interval, future=future)
        future._request = request
        self._engine.send((request,))
        return future

    # -- control commands --------------------------------------------------------------------

    def control(self, command: str, arguments: Optional[Mapping[str, Any]] = None, timeout: Optional[float] = None) -> Dict[str, Any]:
        """Sends the control command `command` (docs/protocol.md, `CTRL`) and returns its reply's JSON."""
        return self.control_future(command, arguments, timeout).result()

    def control_future(self, command: str, arguments: Optional[Mapping[str, Any]] = None, timeout: Optional[float] = None) -> concurrent.futures.Future:
        """`control` without waiting: a future for the reply (`BrokerUnreachable` after `timeout`)."""
        timeout = self.control_timeout if timeout is None else timeout
        future: concurrent.futures.Future = PumpingFuture(self._engine)
        reference = self._request_id()
        idempotent = command in ("list", "stats", "health", "metrics", "info", "task")
        request = Request(reference, protocol.control_frames(reference, command, arguments), decode_reply,
                          resend_every=self.retry_interval if idempotent else None,
                          deadline=time.monotonic() + timeout, future=future,
                          timeout_message=f"no reply from the broker at {self.broker} to '{command}' within {timeout:g} s; is it running, and does it need CURVE keys (keys=DIR)?")
        future._request = request
        self._engine.send((request,))
        return future

    def cancel(self, task_id: str) -> Dict[str, Any]:
        """Asks the broker to cancel the task `task_id`: one that waits (or is delayed) ends
        `cancelled` at once; a running one's pool is told to end it and reports it `cancelled`.

        Returns `{"task_id", "cancelled", "state", "message"}`; `state` is `cancelled`,
        `cancelling` (its pool is ending it), `finished` (too late) or `unknown`.
        """
        return self.control("cancel", {"task_id": task_id})

    @property
    def current_broker(self) -> str:
        """The frontend this client talks to now (of `broker`'s list, after any failover)."""
        return self._engine.endpoint

    def pools(self) -> List[Dict[str, Any]]:
        """The live pools, as the broker lists them (`pool_id`, `name`, `workers`, `in_flight`, …)."""
        return self.control("list")["pools"]

    def health(self) -> Dict[str, Any]:
        """The broker's health report: `status`, `pools_active`, `pools[*]` with each pool's status."""
        return self.control("health")

    def stats(self) -> Dict[str, int]:
        """The broker's counters (`tasks_accepted`, `results_delivered`, `queue_depth`, …)."""
        return self.control("stats")

    def info(self) -> Dict[str, Any]:
        """The broker's version, endpoints (bus included) and memory database path."""
        return self.control("info")

    def request(self, frames: List[bytes], reference: bytes, resend: bool = False) -> concurrent.futures.Future:
        """Sends raw `frames` (for protocol extensions and tests) and returns a future for the reply.

        The reply is matched by `reference` (frame 3 of the reply); the future holds the reply's
        frames, or the broker's error as its exception.
        """
        future: concurrent.futures.Future = PumpingFuture(self._engine)

        def decode(command: bytes, reply: List[bytes]):
            if command == protocol.ERROR:
                decode_reply(command, reply)
            return reply

        request = Request(reference, list(frames), decode, resend_every=self.retry_interval if resend else None,
                          deadline=time.monotonic() + self.control_timeout, future=future,
                          timeout_message=f"no reply from the broker at {self.broker} within {self.control_timeout:g} s")
        future._request = request
        self._engine.send((request,))
        return future

    # -- lifecycle ---------------------------------------------------------------------------

    def close(self) -> None:
        """Closes the connection; futures still waiting fail with `ClientClosed`."""
        self._engine.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- helpers -----------------------------------------------------------------------------

    def _request_id(self) -> bytes:
        return f"py-{self._client_tag}-{next(self._request_ids)}".encode()

    def _task(self, task: Task, selector: Selector, affinity: Optional[str], task_id: Optional[str],
              fallback: Selector, sink, future: bool = True, schedule: bytes = b""):
        task_id = task_id or str(uuid.uuid4())
        reference = task_id.encode()
        protocol.check_id("task id", reference)
        frames = protocol.task_frames(reference, protocol.task_body(task), selector, affinity, fallback, schedule)
        handle = TaskFuture(self._engine, task_id) if future else None
        request = Request(reference, frames, decode_result, resend_every=self.retry_interval, future=handle, sink=sink)
        if handle is not None:
            handle._request = request
        return handle, request


__all__ = ["Client", "TaskFuture", "PoolSelector", "ClientKeys"]
