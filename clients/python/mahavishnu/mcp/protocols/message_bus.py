"""`MessageBus`: publish and subscribe on the broker's inter-pool message bus (asyncio).

Speaks the bus frames of docs/protocol.md ("The message bus"): topic `TYPE/TARGET/`, `MHV1`,
publisher id, sequence, header JSON, payload JSON. The endpoints come from the broker (`info`)
unless given, so `MessageBus()` works wherever `PoolManager()` does.

    bus = MessageBus()
    await bus.subscribe("task_completed")          # in effect when it returns
    message = await bus.receive(timeout=10)
    print(message.source_pool_id, message.payload["output"])

- Important: use one `MessageBus` from one asyncio event loop.
"""

import asyncio
import collections
import json
import os
import time
import uuid
from dataclasses import dataclass
from typing import Any, Deque, Dict, List, Optional

import zmq
import zmq.asyncio

from ... import protocol
from ...client import Client
from ...errors import BrokerUnreachable, MahavishnuError
from ...keys import resolve_keys

__all__ = ["MessageBus", "BusMessage"]


@dataclass
class BusMessage:
    """One message from the bus."""

    type: str
    source_pool_id: str
    target_pool_id: Optional[str]
    timestamp: float
    payload: Dict[str, Any]
    publisher: str
    sequence: int


class MessageBus:
    """A publisher and a subscriber on the broker's bus (PUB to `bus_pub`, SUB to `bus_sub`)."""

    def __init__(self, broker: Optional[str] = None, bus_pub: Optional[str] = None, bus_sub: Optional[str] = None,
                 keys: Optional[str] = None, source: str = "python"):
        """`broker` is asked for the bus endpoints unless `bus_pub`/`bus_sub` (or
        `MAHAVISHNU_BROKER_BUS_PUB`/`_SUB`) name them; `source` is the `source_pool_id` of what this bus publishes."""
        self.broker = broker or protocol.default_broker()
        self.bus_pub = bus_pub or os.environ.get("MAHAVISHNU_BROKER_BUS_PUB")
        self.bus_sub = bus_sub or os.environ.get("MAHAVISHNU_BROKER_BUS_SUB")
        self.source = source
        #: This connection's publisher id (its probes are targeted at it).
        self.publisher = f"{source}#{uuid.uuid4().hex[:8]}"
        self._keys = keys
        self._context: Optional[zmq.asyncio.Context] = None
        self._pub = self._sub = None
        self._sequences: Dict[str, int] = collections.defaultdict(int)
        self._inbox: Deque[BusMessage] = collections.deque()
        self._probes = 0

    async def publish(self, message_type: str, payload: Dict[str, Any], target: Optional[str] = None) -> None:
        """Publishes `payload` as a `message_type` message, for everyone or for `target` (a pool id)."""
        await self._connect()
        topic = f"{message_type}/{target or ''}/"
        self._sequences[topic] += 1
        header = {"type": message_type, "source_pool_id": self.source, "timestamp": time.time()}
        if target:
            header["target_pool_id"] = target
        await self._pub.send_multipart([topic.encode(), protocol.VERSION, self.publisher.encode(),
                                        str(self._sequences[topic]).encode(), json.dumps(header).encode(),
                                        json.dumps(payload).encode()])

    async def subscribe(self, message_type: str, target: Optional[str] = None, timeout: float = 10.0) -> None:
        """Receives `message_type` messages: all of them, or only those for everyone and for `target`.

        Returns once the subscription is in effect (a probe went through the bus and back).
        """
        await self._connect()
        topics = [f"{message_type}/"] if target is None else [f"{message_type}//", f"{message_type}/{target}/"]
        for topic in topics:
            self._sub.setsockopt(zmq.SUBSCRIBE, topic.encode())
        await self.round_trip(timeout)

    async def round_trip(self, timeout: float = 10.0) -> None:
        """Sends a probe to itself and waits for it: every subscription made before is then in effect."""
        await self._connect()
        self._probes += 1
        probe = self._probes
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            await self.publish("heartbeat", {"probe": probe}, target=self.publisher)
            resend_at = min(deadline, time.monotonic() + 0.2)
            while time.monotonic() < resend_at:
                message = await self._next(resend_at - time.monotonic())
                if message is None:
                    break
                if message.type == "heartbeat" and message.publisher == self.publisher:
                    if message.payload.get("probe") == probe:
                        return
                    continue
                self._inbox.append(message)
        raise BrokerUnreachable(f"no probe came back through the bus at {self.bus_pub} → {self.bus_sub} within {timeout:g} s")

    async def receive(self, timeout: Optional[float] = None) -> BusMessage:
        """The next message subscribed to; `asyncio.TimeoutError` after `timeout` seconds."""
        await self._connect()
        if self._inbox:
            return self._inbox.popleft()
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                raise asyncio.TimeoutError(f"no bus message within {timeout:g} s")
            message = await self._next(remaining)
            if message is not None and not (message.type == "heartbeat" and message.publisher == self.publisher):
                return message

    def __aiter__(self):
        return self

    async def __anext__(self) -> BusMessage:
        return await self.receive()

    def close(self) -> None:
        """Closes both sockets."""
        if self._context is not None:
            self._pub.close(linger=0)
            self._sub.close(linger=0)
            self._context.term()
            self._context = None

    async def _next(self, timeout: Optional[float]) -> Optional[BusMessage]:
        """The next well-formed message within `timeout` seconds, or None."""
        if timeout is not None and not await self._sub.poll(max(1, int(timeout * 1000))):
            return None
        frames = await self._sub.recv_multipart()
        return _decode(frames)

    async def _connect(self) -> None:
        if self._context is not None:
            return
        keys = resolve_keys(self._keys)
        if not (self.bus_pub and self.bus_sub):
            client = Client(self.broker, keys)
            try:
                info = await asyncio.wrap_future(client.control_future("info"))
            finally:
                client.close()
            self.bus_pub, self.bus_sub = info.get("bus_pub"), info.get("bus_sub")
            if not (self.bus_pub and self.bus_sub):
                raise MahavishnuError(f"the broker at {self.broker} runs no message bus; start it with --bus-pub and --bus-sub")
        self._context = zmq.asyncio.Context()
        self._pub, self._sub = self._context.socket(zmq.PUB), self._context.socket(zmq.SUB)
        for socket, endpoint in ((self._pub, self.bus_pub), (self._sub, self.bus_sub)):
            socket.setsockopt(zmq.LINGER, 0)
            if keys is not None:
                keys.apply(socket)
            socket.connect(endpoint)
        self._sub.setsockopt(zmq.SUBSCRIBE, f"heartbeat/{self.publisher}/".encode())


def _decode(frames: List[bytes]) -> Optional[BusMessage]:
    if len(frames) != 6 or frames[1] != protocol.VERSION:
        return None
    try:
        header, payload = json.loads(frames[4]), json.loads(frames[5])
        return BusMessage(type=header["type"], source_pool_id=header.get("source_pool_id", ""),
                          target_pool_id=header.get("target_pool_id"), timestamp=header.get("timestamp", 0.0),
                          payload=payload, publisher=frames[2].decode(), sequence=int(frames[3]))
    except (ValueError, KeyError, TypeError):
        return None
