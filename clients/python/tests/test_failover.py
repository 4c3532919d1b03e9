"""A broker pair (docs/failover.md): the client finds the active broker, and moves to the backup
when the active one is SIGKILLed under load; every task ends exactly once."""

import random
import signal
import socket

from deployment import FAST_SETTINGS, BackgroundMap, Deployment, wait_until
from mahavishnu import Client, NotActive

PAIR_SETTINGS = FAST_SETTINGS + "broker_peer_timeout_ms: 1000\n"


def pair_ports():
    """Two free ports below the ephemeral range, where no other broker's `:*` bind can take them first."""
    ports = []
    while len(ports) < 2:
        port = random.randrange(20000, 30000)
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        if port not in ports:
            ports.append(port)
    return ports


def start_pair(directory):
    primary_port, backup_port = pair_ports()

    def member(role, own, peer):
        (directory / role).mkdir()
        return Deployment(directory / role, PAIR_SETTINGS, broker_arguments=[
            "--role", role, "--pair-bind", f"tcp://127.0.0.1:{own}", "--peer", f"tcp://127.0.0.1:{peer}"])

    primary = member("primary", primary_port, backup_port)
    try:
        backup = member("backup", backup_port, primary_port)
    except BaseException:
        primary.stop()
        raise
    return primary, backup


def pair_state(frontend):
    with Client(frontend, control_timeout=5) as client:
        return client.info().get("pair") or {}


def test_the_client_finds_the_active_broker_and_fails_over_when_it_dies(tmp_path):
    primary, backup = start_pair(tmp_path)
    try:
        primary.broker.line("broker pair state=active ")
        wait_until("the backup holds a copy of the journal", lambda: pair_state(backup.frontend).get("in_sync") is True)
        with Client(backup.frontend, control_timeout=5) as alone:
            try:
                alone.submit("to the passive").result(timeout=10)
                raise AssertionError("the passive broker ran a task")
            except NotActive as refusal:
                assert primary.frontend in refusal.message, refusal.message
        primary.start_pool("a", 4, brokers=f"{primary.backend},{backup.backend}")
        primary.start_pool("b", 4, brokers=f"{primary.backend},{backup.backend}")

        # The passive first: the client learns from its `not_active` where to go.
        with Client([backup.frontend, primary.frontend], retry_interval=0.5, failover_after=1.5) as client:
            mapped = BackgroundMap(client, 3000)
            assert client.current_broker == primary.frontend
            primary.broker.signal(signal.SIGKILL)
            primary.broker.stop()
            mapped.check_finished(len(mapped.results))
            assert client.current_broker == backup.frontend
            assert client.info()["pair"]["state"] == "active"
            assert [move[1] for move in client._engine.moves] == [primary.frontend, backup.frontend]
    finally:
        primary.stop()
        backup.stop()
