"""`MemoryAggregator`: the guide's memory API, answered by the broker's memory store.

The broker itself aggregates: it stores every finished task's prompt and output (from the bus's
`task_completed` events) in an SQLite database with a full-text index, writing every
`memory_sync_interval` seconds. This class finds that database through the broker (`info`) and
searches it read-only with the same query `mahavishnu memory search` runs, so it must run on the
broker's host (or see its file system).
"""

import asyncio
import re
import sqlite3
from typing import Any, Dict, List, Optional

from . import _aio
from .errors import MahavishnuError

_SEARCH = """
    SELECT r.task_id, r.pool_id, r.pool_name, r.worker_id, r.status, r.prompt, r.output, r.completed_at,
           snippet(memory_record_fts, -1, '[', ']', '…', 12) AS snippet, -bm25(memory_record_fts) AS score
    FROM memory_record_fts JOIN memory_record r ON r.id = memory_record_fts.rowid
    WHERE memory_record_fts MATCH ?"""


class MemoryAggregator:
    """Cross-pool search over the results the broker's memory store keeps."""

    def __init__(self, database: Optional[str] = None):
        """`database`: the memory database file; default: the one the broker reports (`info`)."""
        self.database = database

    async def start_periodic_sync(self, pool_manager: Any) -> str:
        """Attaches to the broker's memory store, which syncs every `memory_sync_interval` by itself.

        Returns the database path; raises `MahavishnuError` if the broker stores no results
        (`memory_aggregation_enabled: false`).
        """
        if self.database is None:
            info = await _aio.control(pool_manager.client, "info")
            path = info.get("memory_database_path")
            if not path:
                raise MahavishnuError(f"the broker at {pool_manager.broker} keeps no memory store; start it with memory_aggregation_enabled: true")
            self.database = path
        return self.database

    async def cross_pool_search(self, query: str, pool_manager: Any, pool: Optional[str] = None, limit: int = 10) -> List[Dict[str, Any]]:
        """Stored results whose prompt or output has every word of `query`, best match first.

        Each is `{"task_id", "pool_id", "pool_name", "worker_id", "status", "prompt", "output",
        "completed_at", "snippet", "score"}`; `pool` (name or id) keeps one pool's.
        """
        if limit < 1:
            raise ValueError(f"limit must be at least 1 (got {limit})")
        words = re.findall(r"\w+", query)
        if not words:
            raise ValueError(f"the query '{query}' has no words to search for")
        database = await self.start_periodic_sync(pool_manager)
        pattern = " ".join('"' + word + '"' for word in words)
        return await asyncio.get_running_loop().run_in_executor(None, _search, database, pattern, pool, limit)


def _search(database: str, pattern: str, pool: Optional[str], limit: int) -> List[Dict[str, Any]]:
    sql, arguments = _SEARCH, [pattern]
    if pool is not None:
        sql += " AND (r.pool_id = ? OR r.pool_name = ?)"
        arguments += [pool, pool]
    sql += " ORDER BY bm25(memory_record_fts) LIMIT ?"
    arguments.append(limit)
    try:
        connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5)
    except sqlite3.Error as error:
        raise MahavishnuError(f"cannot open the memory database {database}: {error}") from None
    try:
        connection.row_factory = sqlite3.Row
        return [dict(row) for row in connection.execute(sql, arguments)]
    except sqlite3.Error as error:
        raise MahavishnuError(f"cannot search the memory database {database}: {error}") from None
    finally:
        connection.close()
