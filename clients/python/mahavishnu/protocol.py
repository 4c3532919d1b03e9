"""The producer side of the MHV1 wire protocol (docs/protocol.md): frames out, replies in."""

import enum
import json
import os
from typing import Any, List, Mapping, Optional, Union

VERSION = b"MHV1"
TASK = b"TASK"
CTRL = b"CTRL"
RESULT = b"RESULT"
REPLY = b"REPLY"
ERROR = b"ERROR"
PARTIAL = b"PARTIAL"
#: The error code of a broker pair's passive member (docs/failover.md).
NOT_ACTIVE = b"not_active"

#: Task and request ids are 1 to 255 bytes.
MAX_ID_LENGTH = 255

#: Where a broker's frontend listens unless told otherwise.
DEFAULT_BROKER = "tcp://127.0.0.1:5555"


class PoolSelector(str, enum.Enum):
    """How the broker picks a pool for a task (the guide's `PoolSelector`)."""

    LEAST_LOADED = "least_loaded"
    ROUND_ROBIN = "round_robin"
    RANDOM = "random"
    AFFINITY = "affinity"

    def __str__(self) -> str:
        return self.value


Selector = Union[PoolSelector, str, None]
Task = Union[Mapping[str, Any], str, bytes]


def default_broker() -> str:
    """`MAHAVISHNU_BROKER`, else tcp://127.0.0.1:5555 (the CLI's default `broker_frontend`)."""
    return os.environ.get("MAHAVISHNU_BROKER") or DEFAULT_BROKER


def broker_endpoints(broker: Union[str, List[str]]) -> List[str]:
    """The endpoints of `broker`: one, a comma-separated list, or a list (a broker pair's frontends)."""
    endpoints = [part.strip() for part in (broker.split(",") if isinstance(broker, str) else broker)]
    for endpoint in endpoints:
        if "://" not in endpoint or endpoint.endswith("://"):
            raise ValueError(f"a broker endpoint looks like tcp://HOST:PORT; got {endpoint!r} in {broker!r}")
    if not endpoints:
        raise ValueError("no broker endpoint given")
    return endpoints


def task_body(task: Task) -> bytes:
    """The `TASK` body: a dict as JSON, a string as `{"prompt": ...}`, bytes as given (already JSON)."""
    if isinstance(task, bytes):
        return task
    if isinstance(task, str):
        return json.dumps({"prompt": task}).encode()
    return json.dumps(task).encode()


def selector_frame(selector: Selector) -> bytes:
    """The selector frame; empty for the broker's default. The broker checks the name."""
    if selector is None:
        return b""
    return (selector.value if isinstance(selector, PoolSelector) else str(selector)).encode()


def schedule_frame(priority: Optional[int] = None, deadline: Optional[float] = None, expires_in: Optional[float] = None,
                   eta: Optional[float] = None, delay: Optional[float] = None, stream: bool = False) -> bytes:
    """`TASK`'s schedule frame (docs/protocol.md, "Scheduling a task"); empty when nothing is asked.

    `priority` 0 to 9 (higher first, default 5); `deadline` and `eta` are seconds since 1970,
    `expires_in` and `delay` seconds from when the broker receives the task; `stream` asks for
    the task's partial outputs (`PARTIAL`). The broker checks them.
    """
    fields = {"priority": priority, "deadline": deadline, "expires_in": expires_in, "eta": eta, "delay": delay,
              "stream": True if stream else None}
    given = {key: value for key, value in fields.items() if value is not None}
    return json.dumps(given).encode() if given else b""


def task_frames(task_id: bytes, body: bytes, selector: Selector = None, affinity: Optional[str] = None,
                fallback: Selector = None, schedule: bytes = b"") -> List[bytes]:
    """The frames of a `TASK` message (a DEALER sends them as they are)."""
    if affinity is not None and selector is None:
        selector = PoolSelector.AFFINITY
    frames = [VERSION, TASK, task_id, selector_frame(selector), (affinity or "").encode(), selector_frame(fallback), body]
    return frames + [schedule] if schedule else frames


def control_frames(request_id: bytes, command: str, arguments: Optional[Mapping[str, Any]] = None) -> List[bytes]:
    """The frames of a `CTRL` message."""
    return [VERSION, CTRL, request_id, command.encode(), json.dumps(dict(arguments or {})).encode()]


def check_id(kind: str, value: bytes) -> None:
    """Refuses an id the broker could not answer by (1 to 255 bytes)."""
    if not 1 <= len(value) <= MAX_ID_LENGTH:
        raise ValueError(f"a {kind} must be 1 to {MAX_ID_LENGTH} bytes; got {len(value)}")
