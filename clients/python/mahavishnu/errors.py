"""Exceptions: one class per error code of docs/protocol.md, and the client's own.

Every broker refusal is a `BrokerError` subclass carrying the broker's `code`, its `message`
(a sentence saying what was wrong and what to do) and the `reference` (task or request id) it
was about. `error_for(code, message, reference)` picks the class for a code.
"""

from typing import Dict, Type

__all__ = [
    "MahavishnuError", "BrokerError", "UnsupportedVersion", "UnknownCommand", "BadRequest", "InvalidSelector",
    "NoSuchPool", "Overloaded", "TooLarge", "NotRegistered", "DuplicatePoolName", "InvalidArgument", "SpawnFailed",
    "ShuttingDown", "PoolLost", "Forbidden", "Disabled", "NotActive", "UnknownTask", "BrokerUnreachable", "ClientClosed",
    "KeysError", "error_for",
]


class MahavishnuError(Exception):
    """Base class of every exception this package raises."""


class BrokerError(MahavishnuError):
    """The broker answered `ERROR`: `code` is its error code, `message` its explanation."""

    code = "unknown"

    def __init__(self, message: str, code: str = "", reference: str = ""):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.reference = reference

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class UnsupportedVersion(BrokerError):
    """The broker speaks another protocol version than MHV1."""

    code = "unsupported_version"


class UnknownCommand(BrokerError):
    """The command or control command is not one this broker knows."""

    code = "unknown_command"


class BadRequest(BrokerError):
    """A malformed request: wrong frames, a bad id, affinity without a pool (the message names it)."""

    code = "bad_request"


class InvalidSelector(BrokerError):
    """The selector or fallback names no selector; the message lists the valid ones."""

    code = "invalid_selector"


class NoSuchPool(BrokerError):
    """The pool named by affinity (or a control command) is not registered."""

    code = "no_such_pool"


class Overloaded(BrokerError):
    """Every eligible pool is busy and the broker's queue is full: the task was not accepted; retry later."""

    code = "overloaded"


class TooLarge(BrokerError):
    """The task body is larger than the broker's max_task_bytes: the task was not accepted; pass large inputs by reference."""

    code = "too_large"


class NotRegistered(BrokerError):
    """Pool side: a pool spoke before registering (after a broker restart, say)."""

    code = "not_registered"


class DuplicatePoolName(BrokerError):
    """Pool side: another live pool has this name."""

    code = "duplicate_pool_name"


class InvalidArgument(BrokerError):
    """A control command's arguments are unusable (taken name, bad counts, unknown worker type, scale target)."""

    code = "invalid_argument"


class SpawnFailed(BrokerError):
    """The broker could not start the pool process, or it exited before registering."""

    code = "spawn_failed"


class ShuttingDown(BrokerError):
    """The broker is stopping: the task was not accepted, or was waiting and will not run."""

    code = "shutting_down"


class PoolLost(BrokerError):
    """An affinity task's pool stayed unreachable past `affinity_wait_seconds`."""

    code = "pool_lost"


class Forbidden(BrokerError):
    """With CURVE on, `spawn`, `scale`, `close` and `close_all` need an admin key."""

    code = "forbidden"


class Disabled(BrokerError):
    """The broker's settings switch this pool type off (`pools_enabled` / `workers_enabled`)."""

    code = "disabled"


class NotActive(BrokerError):
    """The broker is a pair's passive member; its message names the active one's frontend."""

    code = "not_active"


class UnknownTask(MahavishnuError):
    """`Client.get` named a task the broker does not know (never accepted, or finished too long ago)."""

    def __init__(self, task_id: str):
        super().__init__(f"the broker knows no task '{task_id}': it was never accepted, or finished longer ago than its recent results reach (result_cache_size)")
        self.task_id = task_id


class BrokerUnreachable(MahavishnuError):
    """No reply came from the broker in time (it is down, or the endpoint or CURVE keys are wrong)."""


class ClientClosed(MahavishnuError):
    """The client was closed while the call was waiting."""


class KeysError(MahavishnuError):
    """The CURVE key directory is missing a file or holds an unusable key."""


_BY_CODE: Dict[str, Type[BrokerError]] = {
    cls.code: cls
    for cls in (
        UnsupportedVersion, UnknownCommand, BadRequest, InvalidSelector, NoSuchPool, Overloaded, TooLarge,
        NotRegistered, DuplicatePoolName, InvalidArgument, SpawnFailed, ShuttingDown, PoolLost,
        Forbidden, Disabled, NotActive,
    )
}


def error_for(code: str, message: str, reference: str = "") -> BrokerError:
    """The exception for the broker's error `code` (a plain `BrokerError` for a code this client does not know)."""
    cls = _BY_CODE.get(code, BrokerError)
    return cls(message, code=code, reference=reference)
