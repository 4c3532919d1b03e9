"""Every error code of docs/protocol.md surfaces as its exception, carrying the broker's message."""

import re
import shutil
import signal

import pytest

from deployment import FAST_SETTINGS, MAHAVISHNU_BIN, REPOSITORY, Deployment, wait_until
from mahavishnu import (BadRequest, BrokerError, Client, Disabled, InvalidArgument, InvalidSelector, NoSuchPool,
                        Overloaded, PoolLost, PoolSelector, ShuttingDown, SpawnFailed, TooLarge, UnknownCommand,
                        UnsupportedVersion, error_for)
from mahavishnu.protocol import VERSION


def documented_codes():
    """The codes in the table under "## Error codes" in docs/protocol.md."""
    text = (REPOSITORY / "docs/protocol.md").read_text()
    table = text.split("## Error codes", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `([a-z_]+)` \|", table, flags=re.MULTILINE)


def test_every_documented_code_has_its_own_exception_class():
    codes = documented_codes()
    assert "overloaded" in codes and "disabled" in codes and len(codes) >= 14, codes
    for code in codes:
        error = error_for(code, "what the broker said", "ref-1")
        assert type(error) is not BrokerError, f"{code} has no exception class of its own"
        assert (error.code, error.message, error.reference) == (code, "what the broker said", "ref-1")
        assert str(error) == f"{code}: what the broker said"


@pytest.fixture
def solo(deployment):
    """The broker with one hand-started pool of one worker, `solo`."""
    deployment.start_pool("solo", 1, max_workers=2)
    with Client(deployment.frontend) as client:
        yield deployment, client


def test_unsupported_version(solo):
    _, client = solo
    future = client.request([b"MHV9", b"TASK", b"t-version", b"", b"", b"", b"{}"], reference=b"")
    with pytest.raises(UnsupportedVersion, match="expected protocol version MHV1"):
        future.result(timeout=5)


def test_unknown_command(solo):
    _, client = solo
    with pytest.raises(UnknownCommand, match="bogus"):
        client.control("bogus")
    with pytest.raises(UnknownCommand, match="TASK or CTRL"):
        client.request([VERSION, b"PUSH", b"r-push"], reference=b"r-push").result(timeout=5)


def test_bad_request(solo):
    _, client = solo
    with pytest.raises(BadRequest, match="affinity frame") as refused:
        client.submit("x", selector=PoolSelector.AFFINITY, task_id="t-bad").result(timeout=5)
    assert refused.value.reference == "t-bad"


def test_invalid_selector(solo):
    _, client = solo
    with pytest.raises(InvalidSelector, match="least_loaded") as refused:
        client.submit("x", selector="fastest").result(timeout=5)
    assert "fastest" in refused.value.message


def test_no_such_pool(solo):
    _, client = solo
    with pytest.raises(NoSuchPool, match="nowhere"):
        client.submit("x", affinity="nowhere").result(timeout=10)


def test_invalid_argument(solo):
    _, client = solo
    with pytest.raises(InvalidArgument, match="solo"):
        client.control("scale", {"pool": "solo", "target_workers": 50})
    with pytest.raises(InvalidArgument, match="no-such-type"):
        client.control("spawn", {"name": "typo", "pool_type": "mahavishnu", "min_workers": 1, "max_workers": 1,
                                 "worker_type": "no-such-type"}, timeout=30)


def test_spawn_failed(tmp_path):
    # A broker whose mahavishnu-pool (the file next to its executable) exits before registering.
    binaries = tmp_path / "bin"
    binaries.mkdir()
    shutil.copy(MAHAVISHNU_BIN, binaries / "mahavishnu")
    failing_pool = binaries / "mahavishnu-pool"
    failing_pool.write_text("#!/bin/sh\necho 'this pool cannot start: no GPU here' >&2\nexit 3\n")
    failing_pool.chmod(0o755)
    broken = Deployment(tmp_path, executable=binaries / "mahavishnu")
    try:
        with Client(broken.frontend) as client:
            with pytest.raises(SpawnFailed, match="no GPU here") as refused:
                client.control("spawn", {"name": "broken", "pool_type": "mahavishnu", "min_workers": 1, "max_workers": 1,
                                         "worker_type": "echo"}, timeout=30)
            assert "status 3" in refused.value.message
    finally:
        broken.stop()


def busy_solo_with_one_waiting(deployment, client):
    """Keeps solo's one worker busy and one more task waiting in the broker's queue."""
    running = client.submit({"prompt": "running", "sleep_ms": 1500})
    wait_until("solo runs a task", lambda: client.pools()[0]["in_flight"] == 1)
    waiting = client.submit({"prompt": "waiting"})
    wait_until("a task waits", lambda: client.stats()["queue_depth"] == 1)
    return running, waiting


def test_overloaded(tmp_path):
    bounded = Deployment(tmp_path, broker_arguments=["--queue-bound", "1"])
    try:
        bounded.start_pool("solo", 1, max_workers=2)
        with Client(bounded.frontend) as client:
            running, waiting = busy_solo_with_one_waiting(bounded, client)
            with pytest.raises(Overloaded, match="queue"):
                client.submit("one too many").result(timeout=5)
            assert waiting.result(timeout=10)["output"] == "waiting"
            assert running.result(timeout=10)["output"] == "running"
    finally:
        bounded.stop()


def test_too_large(solo):
    _, client = solo
    with pytest.raises(TooLarge, match=r"at most 4 MiB \(max_task_bytes\)"):
        client.submit("x" * (5 << 20)).result(timeout=10)
    assert client.submit("still serving").result(timeout=10)["output"] == "still serving"


def test_shutting_down(deployment):
    with Client(deployment.frontend) as client:
        # A pool the broker started, so that the broker's own shutdown drains and stops it.
        client.control("spawn", {"name": "solo", "pool_type": "mahavishnu", "min_workers": 1, "max_workers": 2,
                                 "worker_type": "echo"}, timeout=30)
        running, waiting = busy_solo_with_one_waiting(deployment, client)
        deployment.broker.signal(signal.SIGTERM)
        with pytest.raises(ShuttingDown, match="shutting down"):
            waiting.result(timeout=10)
        with pytest.raises(ShuttingDown, match="accepts no new tasks"):
            client.submit("too late").result(timeout=5)
        assert running.result(timeout=10)["output"] == "running", "the running task finishes before the broker stops"
    assert deployment.broker.stop() == 0


def test_pool_lost(solo):
    deployment, client = solo
    lost = deployment.pools.pop("solo")
    lost.signal(signal.SIGKILL)
    lost.stop()
    with pytest.raises(PoolLost, match="solo"):
        client.submit("for the lost pool", affinity="solo").result(timeout=20)


def test_disabled(tmp_path):
    switched_off = Deployment(tmp_path, settings=FAST_SETTINGS + "pools_enabled: false\n")
    try:
        with Client(switched_off.frontend) as client:
            with pytest.raises(Disabled, match="pools_enabled"):
                client.control("spawn", {"name": "off", "pool_type": "mahavishnu", "min_workers": 1, "max_workers": 1,
                                         "worker_type": "echo"}, timeout=30)
    finally:
        switched_off.stop()
