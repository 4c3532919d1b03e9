"""`TerminalManager`: a documented stand-in, so the guide's imports and constructor calls work as written.

In the guide's system, workers ran in terminals that a `TerminalManager` opened. Here every
worker runs in a pool process that the broker starts; nothing needs a terminal. `PoolManager`
and `WorkerManager` accept a `TerminalManager` and ignore it.
"""

from typing import Any


class TerminalManager:
    """Holds what it was created with and does nothing else: workers run in pools, not terminals."""

    def __init__(self, config: Any = None, mcp_client: Any = None):
        self.config = config
        self.mcp_client = mcp_client

    @classmethod
    def create(cls, config: Any = None, mcp_client: Any = None) -> "TerminalManager":
        """The guide's constructor: `TerminalManager.create(config, mcp_client=None)`."""
        return cls(config, mcp_client)
