"""Python client of a Mahavishnu broker, over the MHV1 wire protocol (docs/protocol.md); needs only pyzmq.

- `mahavishnu.Client`: a plain, thread-safe client for scripts (`submit` → future, `map`,
  `as_completed`, `get`, `pools`, `health`, `stats`).
- The migration guide's async API: `mahavishnu.pools` (`PoolManager`, `PoolConfig`,
  `PoolSelector`, `MemoryAggregator`), `mahavishnu.workers` (`WorkerManager`),
  `mahavishnu.mcp.protocols.message_bus` (`MessageBus`), `mahavishnu.terminal.manager`
  (`TerminalManager`, a stand-in).
- `mahavishnu.errors`: one exception per broker error code (`Overloaded`, `NoSuchPool`, …).
"""

from .client import Client, TaskFuture
from .errors import *  # noqa: F401,F403  (the exceptions are part of the package's API)
from .errors import __all__ as _error_names
from .keys import ClientKeys
from .protocol import PoolSelector

__version__ = "0.1.0"
__all__ = ["Client", "TaskFuture", "ClientKeys", "PoolSelector"] + _error_names
