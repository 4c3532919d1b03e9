"""The one DEALER socket of a client, and who may touch it.

A ZeroMQ socket is not thread-safe, so exactly one thread uses it at a time: whoever holds the
owner lock. The threads that want replies pump the socket themselves (leader/follower): a caller
waiting for a result that can take the lock sends what is queued, receives replies and resolves
every request they answer, its own and others'; a caller that cannot take it waits to be told
that something was resolved (or to take over when the lock is free). The background I/O thread
pumps only while no caller waits, for results nobody is blocked on (asyncio awaits, done
callbacks) and for resends. A reply is never handed from one thread to another just to wake the
thread that asked: that hand-off across the GIL is what makes a plain "I/O thread + queue"
client slow.

Requests that go unanswered are resent with the same id every `retry_interval` (a task is
never run twice for one id; the broker answers a resend from its recent results), so a broker
that restarted still answers every one.

Given several endpoints (a broker pair, docs/failover.md), the engine talks to one at a time and
moves to the next when that one answers `not_active` or stays silent for `failover_after` while
requests wait (after a third of it, an `info` probe tells a silent broker from a busy one); it
sends the next one every unanswered request again, which dedup by id makes safe.
"""

import collections
import heapq
import itertools
import json
import os
import threading
import time
from concurrent.futures import Future
from typing import Callable, Deque, Dict, Iterable, List, Optional

import zmq

from . import protocol
from ._frames import receive_frames, send_frames
from .errors import BrokerUnreachable, ClientClosed, UnsupportedVersion, error_for
from .keys import ClientKeys

#: How long the I/O thread leaves results to a caller that pumped recently before it pumps itself.
_CALLER_GRACE = 0.01
#: The longest single poll, so deadlines and resends are looked at this often at worst.
_MAX_POLL_MS = 100
#: The request id of the `info` probes sent to a broker that has been silent a while.
_PROBE_ID = b"mahavishnu.client.probe"
#: The least time between two moves to another broker (a pair mid-election answers `not_active` on both).
_MOVE_INTERVAL = 0.25


class Request:
    """One request in flight: its frames, and what came back.

    `decode(command, frames)` turns a reply into the outcome: it returns the value, raises the
    error, or returns `Request.AGAIN` to keep waiting (a `get` whose task is still running).
    """

    AGAIN = object()
    __slots__ = ("reference", "frames", "decode", "resend_every", "sent_at", "deadline", "done",
                 "value", "error", "future", "sink", "timeout_message")

    def __init__(self, reference: bytes, frames: List[bytes], decode: Callable, resend_every: Optional[float],
                 deadline: Optional[float] = None, future: Optional[Future] = None, sink: Optional[Deque] = None,
                 timeout_message: str = ""):
        self.reference = reference
        self.frames = frames
        self.decode = decode
        self.resend_every = resend_every
        self.sent_at = 0.0
        self.deadline = deadline
        self.done = False
        self.value = None
        self.error: Optional[BaseException] = None
        self.future = future
        self.sink = sink
        self.timeout_message = timeout_message

    def outcome(self):
        """The value, or raises the error."""
        if self.error is not None:
            raise self.error
        return self.value


def decode_result(command: bytes, frames: List[bytes]):
    """A `TASK`'s reply: the result object, or the error it was refused with."""
    if command == protocol.RESULT and len(frames) >= 5:
        return json.loads(frames[4])
    return decode_error(command, frames)


def decode_reply(command: bytes, frames: List[bytes]):
    """A `CTRL`'s reply: the JSON body, or the error it was refused with."""
    if command == protocol.REPLY and len(frames) >= 4:
        return json.loads(frames[3])
    return decode_error(command, frames)


def decode_error(command: bytes, frames: List[bytes]):
    if command == protocol.ERROR and len(frames) >= 5:
        raise error_for(frames[3].decode(errors="replace"), frames[4].decode(errors="replace"), frames[2].decode(errors="replace"))
    raise protocol_violation(frames)


def protocol_violation(frames: List[bytes]) -> Exception:
    return ValueError(f"unexpected reply from the broker: {frames!r}")


class Engine:
    """Owns the socket; see the module's doc for who pumps it when."""

    def __init__(self, endpoints: List[str], keys: Optional[ClientKeys], retry_interval: float, failover_after: float):
        self.endpoints = endpoints
        self.retry_interval = retry_interval
        self.failover_after = failover_after
        self._keys = keys
        self._current = 0
        self._context = zmq.Context()
        self._socket = self._connect(endpoints[0])
        self._last_heard = self._moved_at = time.monotonic()
        self._probed_at = 0.0
        self._wake_read, self._wake_write = os.pipe()
        os.set_blocking(self._wake_read, False)
        os.set_blocking(self._wake_write, False)

        self._owner = threading.Lock()           # whoever holds it may use the socket
        self._state = threading.Condition()      # waiters, followers, the I/O thread's parking
        self._pending: Dict[bytes, Request] = {}
        self._outbox: Deque[Request] = collections.deque()
        self._resends: Deque[Request] = collections.deque()   # in order of sending
        self._deadlines: List = []                            # heap of (deadline, n, request); owner only
        self._new_deadlines: Deque[Request] = collections.deque()   # from senders, for the heap
        self._sequence = itertools.count()
        self._waiters = 0
        self._followers = 0
        self._last_caller_pump = 0.0
        self._io_parked = False
        self._closed = False
        self.moves: Deque = collections.deque(maxlen=16)   # (when, to, why) of the latest moves between brokers
        self._thread = threading.Thread(target=self._io_loop, name=f"mahavishnu-client {endpoints[0]}", daemon=True)
        self._thread.start()

    @property
    def endpoint(self) -> str:
        """The broker this engine talks to now."""
        return self.endpoints[self._current]

    def _connect(self, endpoint: str) -> zmq.Socket:
        socket = self._context.socket(zmq.DEALER)
        socket.setsockopt(zmq.LINGER, 0)
        socket.setsockopt(zmq.SNDHWM, 0)
        socket.setsockopt(zmq.RCVHWM, 0)
        if endpoint.startswith("tcp://["):
            socket.setsockopt(zmq.IPV6, 1)
        if self._keys is not None:
            self._keys.apply(socket)
        socket.connect(endpoint)
        return socket

    # -- submitting --------------------------------------------------------------------------

    def send(self, requests: Iterable[Request]) -> None:
        """Queues `requests` and sends them now if the socket is free (else its holder will)."""
        if self._closed:
            raise ClientClosed("the client is closed")
        pending, outbox = self._pending, self._outbox
        if not pending:
            self._last_heard = time.monotonic()   # silence counts only while something waits
        for request in requests:
            pending[request.reference] = request
            outbox.append(request)
            if request.deadline is not None:
                self._new_deadlines.append(request)
        if self._owner.acquire(False):
            try:
                self._flush()
            finally:
                self._release()
        else:
            self._wake()
        with self._state:   # under the lock: the I/O thread either sees the new requests or is parked
            if self._io_parked:
                self._state.notify_all()

    def pending(self, reference: bytes) -> Optional[Request]:
        """The request in flight under `reference`, if any."""
        return self._pending.get(reference)

    def forget(self, request: Request) -> None:
        """Stops waiting for `request` (its reply, if one comes, is dropped)."""
        if self._pending.get(request.reference) is request:
            self._pending.pop(request.reference, None)
        request.done = True

    # -- waiting -----------------------------------------------------------------------------

    def wait_until(self, satisfied: Callable[[], bool], timeout: Optional[float]) -> bool:
        """Pumps (or follows whoever does) until `satisfied()` or `timeout` seconds; returns `satisfied()`."""
        deadline = None if timeout is None else time.monotonic() + timeout
        state = self._state
        with state:
            self._waiters += 1
        try:
            while not satisfied():
                if self._closed:
                    return satisfied()
                if self._owner.acquire(False):
                    try:
                        self._pump_until(satisfied, deadline, for_caller=True)
                    finally:
                        self._last_caller_pump = time.monotonic()
                        self._release()
                    if deadline is not None and time.monotonic() >= deadline:
                        break
                    continue
                self._wake()   # the I/O thread, if it is the holder, gives way
                with state:
                    if satisfied():
                        break
                    if self._owner.acquire(False):
                        self._owner.release()
                        continue
                    remaining = None if deadline is None else deadline - time.monotonic()
                    if remaining is not None and remaining <= 0:
                        break
                    self._followers += 1
                    state.wait(0.05 if remaining is None else min(remaining, 0.05))
                    self._followers -= 1
            return satisfied()
        finally:
            with state:
                self._waiters -= 1
                self._last_caller_pump = time.monotonic()

    # -- pumping (owner lock held) -----------------------------------------------------------

    def _pump_until(self, satisfied: Callable[[], bool], deadline: Optional[float], for_caller: bool) -> None:
        """Sends, polls and receives until `satisfied()`, `deadline`, or (for the I/O thread) a caller wants the socket.

        The socket is polled before it is read: a receive that finds nothing costs an exception.
        """
        poll, wake, fails_over = zmq.zmq_poll, self._wake_read, len(self.endpoints) > 1
        while True:
            blocked = not self._flush()
            if satisfied() or self._closed:
                return
            now = time.monotonic()
            self._resend_due(now)
            self._expire(now)
            if fails_over and self._pending:
                self._watch_silence(now)
            socket = self._socket   # a move replaces it
            items = [(socket, zmq.POLLIN), (wake, zmq.POLLIN)]
            if self._outbox and not blocked:
                continue
            wait = 0.001 if blocked else _MAX_POLL_MS / 1000
            if deadline is not None:
                if now >= deadline:
                    return
                wait = min(wait, deadline - now)
            if self._resends:
                wait = min(wait, max(0.0, self._resends[0].sent_at + self._resends[0].resend_every - now))
            if self._deadlines:
                wait = min(wait, max(0.0, self._deadlines[0][0] - now))
            if fails_over and self._pending:
                wait = min(wait, max(0.0, max(self._last_heard, self._probed_at) + self.failover_after / 3 - now))
            for item, _ in poll(items, max(1, int(wait * 1000 + 0.999)) if wait > 0 else 0):
                if item is socket:
                    self._drain(satisfied)
                elif item == wake:
                    self._clear_wake()
                    if not for_caller and self._waiters:
                        return

    def _flush(self) -> bool:
        """Sends what is queued; False when the socket would block (no connection takes more)."""
        outbox, socket, resends = self._outbox, self._socket, self._resends
        now = time.monotonic()
        while outbox:
            request = outbox[0]
            if request.done:
                outbox.popleft()
                continue
            try:
                send_frames(socket, request.frames)
            except zmq.Again:
                return False
            outbox.popleft()
            if request.resend_every is not None:
                request.sent_at = now
                resends.append(request)
        return True

    def _drain(self, enough: Callable[[], bool]) -> None:
        """Receives and handles replies until none is left or `enough()` (the rest wait for the next pump)."""
        socket, handle = self._socket, self._handle
        resolved = False
        self._last_heard = time.monotonic()
        while socket is self._socket:   # a move closes it: the next broker's replies come on the next pump
            try:
                frames = receive_frames(socket)
            except zmq.Again:
                break
            if handle(frames):
                resolved = True
                if enough():
                    break
        if resolved and self._followers:
            with self._state:
                self._state.notify_all()

    def _handle(self, frames: List[bytes]) -> bool:
        if len(frames) < 3 or frames[0] != protocol.VERSION:
            return False
        if (frames[1] == protocol.ERROR and len(frames) >= 5 and frames[3] == protocol.NOT_ACTIVE
                and len(self.endpoints) > 1 and frames[2] in self._pending):
            self._move_on(frames[4].decode(errors="replace"))   # the request stays, for the other broker
            return False
        request = self._pending.pop(frames[2], None)
        if request is None:
            if frames[1] == protocol.ERROR and not frames[2] and len(frames) >= 5 and frames[3] == b"unsupported_version":
                self._fail_all(UnsupportedVersion(frames[4].decode(errors="replace"), reference=""))
                return True
            return False   # a repeated RESULT for a resend, or a reply nobody waits for any more
        try:
            value = request.decode(frames[1], frames)
        except Exception as error:   # the broker's refusal, as its exception
            self._resolve(request, None, error)
            return True
        if value is Request.AGAIN:
            self._pending[request.reference] = request
            return False
        self._resolve(request, value, None)
        return True

    def _resolve(self, request: Request, value, error: Optional[BaseException]) -> None:
        request.value, request.error = value, error
        future = request.future
        if future is not None and not future.done():
            if error is None:
                future.set_result(value)
            else:
                future.set_exception(error)
        request.done = True   # after the future: a waiter that sees it finds the future resolved
        if request.sink is not None:
            request.sink.append(request)

    def _fail_all(self, error: BaseException) -> None:
        for request in list(self._pending.values()):
            self._pending.pop(request.reference, None)
            self._resolve(request, None, error)

    def _resend_due(self, now: float) -> None:
        resends, pending, outbox = self._resends, self._pending, self._outbox
        while resends:
            request = resends[0]
            if request.done or pending.get(request.reference) is not request:
                resends.popleft()
                continue
            if request.sent_at + request.resend_every > now:
                return
            resends.popleft()
            outbox.append(request)

    def _watch_silence(self, now: float) -> None:
        """Probes a broker silent for a third of `failover_after` with `info`; moves on from one silent for all of it."""
        silent = now - self._last_heard
        if silent > self.failover_after:
            self._move_on(f"silent for {silent:.1f} s")
        elif silent > self.failover_after / 3 and now - self._probed_at > self.failover_after / 3:
            self._probed_at = now
            try:
                send_frames(self._socket, protocol.control_frames(_PROBE_ID, "info"))
            except zmq.Again:
                pass   # no connection takes it: the silence goes on counting

    def _move_on(self, reason: str) -> None:
        """Moves to the next endpoint and queues every unanswered request for it (owner lock held)."""
        now = time.monotonic()
        if now - self._moved_at < _MOVE_INTERVAL:
            return
        self._socket.close(linger=0)
        self._current = (self._current + 1) % len(self.endpoints)
        self._socket = self._connect(self.endpoint)
        self._moved_at = self._last_heard = now
        self._probed_at = 0.0
        self.moves.append((now, self.endpoint, reason))
        self._resends.clear()
        self._outbox.clear()   # in place: a sender may be appending to it
        self._outbox.extend(request for request in list(self._pending.values()) if not request.done)

    def _expire(self, now: float) -> None:
        deadlines, arriving = self._deadlines, self._new_deadlines
        while arriving:
            request = arriving.popleft()
            heapq.heappush(deadlines, (request.deadline, next(self._sequence), request))
        resolved = False
        while deadlines and deadlines[0][0] <= now:
            _, _, request = heapq.heappop(deadlines)
            if request.done or self._pending.get(request.reference) is not request:
                continue
            self._pending.pop(request.reference, None)
            self._resolve(request, None, BrokerUnreachable(request.timeout_message))
            resolved = True
        if resolved and self._followers:
            with self._state:
                self._state.notify_all()

    def _release(self) -> None:
        """Gives the socket up; lets a follower take over; sends what was queued meanwhile."""
        while True:
            self._owner.release()
            if self._followers:
                with self._state:
                    self._state.notify_all()
            if not self._outbox or not self._owner.acquire(False):
                return
            self._flush()

    # -- the I/O thread ----------------------------------------------------------------------

    def _io_loop(self) -> None:
        state = self._state
        while True:
            with state:
                while not self._closed:
                    if self._waiters == 0 and (self._pending or self._outbox):
                        idle = time.monotonic() - self._last_caller_pump
                        if idle >= _CALLER_GRACE:
                            break
                        state.wait(_CALLER_GRACE - idle)
                    elif self._waiters:
                        state.wait(_CALLER_GRACE)
                    else:
                        self._io_parked = True
                        state.wait()
                        self._io_parked = False
                if self._closed:
                    return
            if not self._owner.acquire(timeout=0.05):
                continue
            try:
                self._pump_until(lambda: self._waiters > 0 or not (self._pending or self._outbox), None, for_caller=False)
            finally:
                self._release()

    # -- waking and closing ------------------------------------------------------------------

    def _wake(self) -> None:
        try:
            os.write(self._wake_write, b"w")
        except (BlockingIOError, OSError):
            pass

    def _clear_wake(self) -> None:
        try:
            while os.read(self._wake_read, 4096):
                pass
        except (BlockingIOError, OSError):
            pass

    def close(self) -> None:
        """Fails what is still waiting with `ClientClosed`, stops the I/O thread, closes the socket."""
        if self._closed:
            return
        with self._state:
            self._closed = True
            self._state.notify_all()
        self._wake()
        self._thread.join(timeout=5)
        with self._owner:
            self._fail_all(ClientClosed("the client was closed before the reply came"))
            self._socket.close(linger=0)
            self._context.term()
        os.close(self._wake_read)
        os.close(self._wake_write)
