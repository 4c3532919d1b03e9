"""Fixtures: a real broker per test (processes stopped by pid), and `async def` tests run on asyncio.

The guide's tests are `async def test_…()` functions; this hook runs each in a fresh event
loop, so they pass as written without a pytest plugin.
"""

import asyncio
import inspect
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from deployment import MAHAVISHNU_BIN, POOL_BIN, Deployment  # noqa: E402


def pytest_configure(config):
    for executable in (MAHAVISHNU_BIN, POOL_BIN):
        if not executable.is_file():
            raise pytest.UsageError(f"{executable} is missing: build it with `swift build -c release`, or set MAHAVISHNU_BIN to a built mahavishnu")


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem):
    if inspect.iscoroutinefunction(pyfuncitem.obj):
        arguments = {name: pyfuncitem.funcargs[name] for name in pyfuncitem._fixtureinfo.argnames}
        asyncio.run(asyncio.wait_for(pyfuncitem.obj(**arguments), timeout=60))
        return True
    return None


@pytest.fixture
def deployment(tmp_path, monkeypatch):
    """A broker with no pools yet; `PoolManager()`, `MessageBus()` and `Client()` find it through the environment."""
    running = Deployment(tmp_path)
    for key, value in running.environment_for_clients().items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("MAHAVISHNU_CLIENT_RETRY_INTERVAL_SECONDS", "0.5")
    yield running
    running.stop()
