"""Real broker and pool processes for the tests, on loopback ports the test picks.

The executables are the release build (`.build/release/mahavishnu` and `mahavishnu-pool` next
to it) unless `MAHAVISHNU_BIN` names `mahavishnu`. Every process is started with `subprocess`
and stopped by its pid (SIGTERM, then SIGKILL if it does not exit); should pytest itself be
killed, the kernel kills them too (`PR_SET_PDEATHSIG`), and with them whatever they started.
"""

import ctypes
import os
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import Callable, Dict, List, Optional

REPOSITORY = Path(__file__).resolve().parents[3]
MAHAVISHNU_BIN = Path(os.environ.get("MAHAVISHNU_BIN") or REPOSITORY / ".build/release/mahavishnu")
POOL_BIN = MAHAVISHNU_BIN.parent / "mahavishnu-pool"

#: Fast heartbeats so failures are seen within about a second; short waits for lost pools.
FAST_SETTINGS = """\
heartbeat_interval_ms: 200
heartbeat_liveness: 5
affinity_wait_seconds: 1
memory_sync_interval: 0.2
client_retry_interval_seconds: 0.5
"""


def free_ports(count: int) -> List[int]:
    """`count` TCP ports on 127.0.0.1 that nothing listens on now."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def wait_until(description: str, condition: Callable[[], bool], timeout: float = 30.0, interval: float = 0.02) -> None:
    """Polls `condition` until it holds; fails naming `description` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting until {description}")
        time.sleep(interval)


def _die_with_parent() -> None:
    """In the child, before exec: SIGKILL it when the test process (the thread that forked it) ends."""
    if ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL) != 0:  # PR_SET_PDEATHSIG
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")


class ManagedProcess:
    """A child process whose stdout lines are kept (read by a thread) and whose stderr goes to a file."""

    def __init__(self, name: str, argv: List[str], directory: Path, environment: Optional[Dict[str, str]] = None):
        self.name = name
        self.stderr_path = directory / f"{name.replace(' ', '-')}-{time.monotonic_ns()}.stderr"
        self._stderr = open(self.stderr_path, "wb")
        env = dict(os.environ, **(environment or {}))
        self.process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=self._stderr, stdin=subprocess.DEVNULL, env=env,
                                        preexec_fn=_die_with_parent)
        self.pid = self.process.pid
        self.lines: List[str] = []
        self._changed = threading.Condition()
        self._closed = False
        threading.Thread(target=self._read, name=f"stdout of {name}", daemon=True).start()

    def _read(self) -> None:
        for raw in self.process.stdout:
            with self._changed:
                self.lines.append(raw.decode(errors="replace").rstrip("\n"))
                self._changed.notify_all()
        with self._changed:
            self._closed = True
            self._changed.notify_all()

    def line(self, prefix: str, timeout: float = 30.0) -> str:
        """The first stdout line starting with `prefix`, waiting up to `timeout` seconds for it."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for line in self.lines:
                    if line.startswith(prefix):
                        return line
                if self._closed:
                    raise AssertionError(f"{self.name} exited before printing '{prefix}': {self.stderr_tail()}")
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"timed out waiting for '{prefix}' from {self.name}: {self.stderr_tail()}")
                self._changed.wait(remaining)

    def stderr_tail(self, size: int = 4000) -> str:
        return self.stderr_path.read_bytes()[-size:].decode(errors="replace")

    def signal(self, number: int) -> None:
        if self.process.poll() is None:
            os.kill(self.pid, number)

    def stop(self, timeout: float = 20.0) -> Optional[int]:
        """SIGTERM by pid, then SIGKILL after `timeout`; returns the exit status."""
        if self.process.poll() is None:
            os.kill(self.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.kill(self.pid, signal.SIGKILL)
                self.process.wait(10)
        self._stderr.close()
        return self.process.returncode


class Deployment:
    """A broker on four ports the test chose, and the pool processes the test started by hand."""

    def __init__(self, directory: Path, settings: str = FAST_SETTINGS, broker_arguments: Optional[List[str]] = None,
                 environment: Optional[Dict[str, str]] = None, executable: Path = MAHAVISHNU_BIN):
        self.directory = directory
        self.executable = executable
        self.settings_path = directory / f"settings-{time.monotonic_ns()}.yaml"
        self.settings_path.write_text(settings)
        self.database = directory / f"memory-{time.monotonic_ns()}.sqlite"
        ports = free_ports(4)
        self.frontend, self.backend, self.bus_pub, self.bus_sub = (f"tcp://127.0.0.1:{port}" for port in ports)
        self.broker_arguments = list(broker_arguments or [])
        self.environment = dict(environment or {})
        # The broker's journal goes here, not into the user's ~/.local/state.
        self.environment.setdefault("XDG_STATE_HOME", str(directory / "state"))
        self.pools: Dict[str, ManagedProcess] = {}
        self.broker: Optional[ManagedProcess] = None
        self.start_broker()

    def start_broker(self) -> ManagedProcess:
        """Starts the broker (again, after a kill: same ports, same database) and waits until it is ready."""
        argv = [str(self.executable), "broker", "--frontend", self.frontend, "--backend", self.backend, "--http", "127.0.0.1:0",
                "--bus-pub", self.bus_pub, "--bus-sub", self.bus_sub, "--memory-database", str(self.database),
                "--settings", str(self.settings_path)] + self.broker_arguments
        self.broker = ManagedProcess("broker", argv, self.directory, self.environment)
        try:
            self.broker.line("broker ready")
        except AssertionError:
            self.broker.stop()
            raise
        return self.broker

    def start_pool(self, name: str, workers: int, max_workers: Optional[int] = None, extra: Optional[List[str]] = None,
                   brokers: Optional[str] = None) -> ManagedProcess:
        """Starts a `mahavishnu-pool` process with id `pool_NAME` and waits until the broker registered it.

        `brokers`: the backends it may use (a pair's, comma-separated); default this broker's.
        """
        argv = [str(POOL_BIN), "--name", name, "--id", f"pool_{name}", "--min", str(workers),
                "--max", str(max_workers or max(workers, 10)), "--broker", brokers or self.backend, "--frontend", self.frontend,
                "--bus-pub", self.bus_pub, "--bus-sub", self.bus_sub, "--settings", str(self.settings_path)] + (extra or [])
        pool = ManagedProcess(f"pool {name}", argv, self.directory)
        self.pools[name] = pool
        pool.line("pool ready")
        return pool

    def environment_for_clients(self) -> Dict[str, str]:
        """What `PoolManager()` and `MessageBus()` read to find this broker."""
        return {"MAHAVISHNU_BROKER": self.frontend, "MAHAVISHNU_BROKER_BUS_PUB": self.bus_pub,
                "MAHAVISHNU_BROKER_BUS_SUB": self.bus_sub}

    def stop(self) -> Optional[int]:
        """Stops the pools started by hand, then the broker (which drains and stops the pools it spawned)."""
        for pool in self.pools.values():
            pool.stop()
        return self.broker.stop() if self.broker else None


class BackgroundMap:
    """`client.map` of `count` tasks of 1 ms (`task 0`, `task 1`, …) on a thread of its own, 32 in flight."""

    def __init__(self, client, count: int):
        self.count = count
        self.results: List[dict] = []
        self.failures: List[BaseException] = []
        self._thread = threading.Thread(target=self._run, args=(client,), name="background map")
        self._thread.start()
        wait_until("a third of the map is done", lambda: len(self.results) >= count // 3 or not self._thread.is_alive())

    def _run(self, client) -> None:
        try:
            for result in client.map(({"prompt": f"task {i}", "sleep_ms": 1} for i in range(self.count)), window=32):
                self.results.append(result)
        except Exception as error:  # the test asserts there is none
            self.failures.append(error)

    def check_finished(self, done_at_failure: int) -> None:
        """Waits for the map; asserts it was cut into by the failure, and that every task ended once, completed, in order."""
        self._thread.join(60)
        assert not self._thread.is_alive(), f"the map is stuck at {len(self.results)} of {self.count}"
        assert not self.failures, self.failures
        assert done_at_failure < self.count, "the broker failed while the map ran"
        assert [result["output"] for result in self.results] == [f"task {i}" for i in range(self.count)]
        assert all(result["status"] == "completed" for result in self.results)
