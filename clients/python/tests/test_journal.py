"""The broker SIGKILLed again and again under load, with its journal on: a plain pyzmq producer
that never resends gets every result, none lost, each from one run of its task; and one that
lost its connection finds every result by task id.

A result the broker was sending when it died may arrive once more after the restart (the broker
cannot know whether it left: libzmq sends from its own thread), byte for byte the same RESULT;
the protocol says to keep the first RESULT for a task id, and this producer counts the copies."""

import json
import random
import time

import pytest
import zmq

from deployment import FAST_SETTINGS, Deployment, wait_until


def control(endpoint: str, command: str, arguments: dict, timeout_ms: int = 10_000) -> dict:
    """One `CTRL` request on a fresh DEALER; the `REPLY`'s JSON."""
    with zmq.Context.instance().socket(zmq.DEALER) as sock:
        sock.setsockopt(zmq.LINGER, 0)
        sock.connect(endpoint)
        sock.send_multipart([b"MHV1", b"CTRL", b"request", command.encode(), json.dumps(arguments).encode()])
        if not sock.poll(timeout_ms):
            raise AssertionError(f"no reply to CTRL {command} within {timeout_ms} ms")
        frames = sock.recv_multipart()
    assert frames[1] == b"REPLY", frames
    return json.loads(frames[3])


def submit(sock: zmq.Socket, task_ids, rng: random.Random) -> None:
    for task_id in task_ids:
        body = json.dumps({"prompt": task_id, "sleep_ms": rng.randint(1, 50)}).encode()
        sock.send_multipart([b"MHV1", b"TASK", task_id.encode(), b"", b"", b"", body])


@pytest.mark.parametrize("mode, count, kills", [("crash", 10_000, 5), ("fsync", 2_000, 2)])
def test_every_accepted_task_gets_one_result_across_broker_kills(tmp_path, mode, count, kills):
    rng = random.Random(f"{mode}-{count}")
    deployment = Deployment(tmp_path, settings=FAST_SETTINGS + f"journal_mode: {mode}\nbroker_queue_bound: {count + 1_000}\n")
    context = zmq.Context.instance()
    producer = context.socket(zmq.DEALER)
    producer.setsockopt(zmq.ROUTING_ID, b"journal-producer")
    producer.setsockopt(zmq.LINGER, 0)
    producer.setsockopt(zmq.SNDHWM, 0)
    producer.setsockopt(zmq.RCVHWM, 0)
    # Without a routing id of its own: its results go nowhere once it reconnects; it asks by id.
    anonymous = context.socket(zmq.DEALER)
    anonymous.setsockopt(zmq.LINGER, 0)
    try:
        for name in ("a", "b", "c"):
            deployment.start_pool(name, 8)
        producer.connect(deployment.frontend)
        anonymous.connect(deployment.frontend)
        own_ids = [f"own-{index:05d}" for index in range(count)]
        asked_ids = [f"asked-{index:04d}" for index in range(200)]
        submit(producer, own_ids, rng)
        submit(anonymous, asked_ids, rng)
        # The journal keeps what the broker accepted; a message still in a socket when it dies was not.
        wait_until("the broker accepted every task", lambda: control(deployment.frontend, "stats", {})["tasks_accepted"] == count + len(asked_ids),
                   timeout=60)

        results = {}
        duplicates = []
        moments = sorted(rng.uniform(0.05, 0.9) * count for _ in range(kills))
        killed = 0
        deadline = time.monotonic() + 240
        while len(results) < count:
            assert time.monotonic() < deadline, f"{len(results)} of {count} results after {killed} kills"
            if killed < kills and len(results) >= moments[killed]:
                deployment.broker.signal(9)
                deployment.broker.stop()
                deployment.start_broker()
                killed += 1
            if not producer.poll(50):
                continue
            frames = producer.recv_multipart()
            assert frames[1] == b"RESULT", frames
            task_id = frames[2].decode()
            if task_id in results:
                duplicates.append((task_id, frames, results[task_id]))
            else:
                results[task_id] = frames

        assert killed == kills
        assert set(results) == set(own_ids), "every task id has a result, and no other id came"
        # A second RESULT is only ever a copy of the first (the task did not run again to make
        # it), and only for results in flight at a kill: a few per kill, never a replay of all.
        assert [copy == first for _, copy, first in duplicates] == [True] * len(duplicates), duplicates[:3]
        assert len(duplicates) <= 5 * kills, f"{len(duplicates)} results came twice over {kills} kills"
        print(f"{mode}: {count} results, {len(duplicates)} delivered twice across {kills} kills")
        outputs = {task_id: json.loads(frames[4]) for task_id, frames in results.items()}
        assert [outputs[task_id]["output"] for task_id in own_ids] == own_ids
        assert {output["status"] for output in outputs.values()} == {"completed"}

        # Queued behind the producer's own tasks, the last of these may still be running.
        answers = {}
        for task_id in asked_ids:
            wait_until(f"task {task_id} finished",
                       lambda: control(deployment.frontend, "task", {"task_id": task_id})["state"] not in ("queued", "running"),
                       timeout=30, interval=0.05)
            answers[task_id] = control(deployment.frontend, "task", {"task_id": task_id})
        for task_id, answer in answers.items():
            assert answer["state"] == "completed", answer
            assert answer["result"]["output"] == task_id
    finally:
        producer.close()
        anonymous.close()
        deployment.stop()


def test_a_new_client_gets_a_task_by_id_after_the_broker_restarted(tmp_path):
    """Submitted by one client, which goes away; the broker is SIGKILLed while the task waits;
    a client started after the restart re-attaches by id and gets the result."""
    from mahavishnu import Client

    deployment = Deployment(tmp_path)
    try:
        with Client(deployment.frontend) as first:
            queued = first.submit({"prompt": "queued at the kill"})
            wait_until("the task waits in the queue", lambda: first.stats()["queue_depth"] == 1)
            task_id = queued.task_id
        deployment.broker.signal(9)
        deployment.broker.stop()
        deployment.start_broker()
        deployment.start_pool("late", 1)
        with Client(deployment.frontend) as second:
            result = second.get(task_id).result(timeout=30)
        assert result["status"] == "completed"
        assert result["output"] == "queued at the kill"
    finally:
        deployment.stop()
