"""`mahavishnu.Client` against a real broker and real pool processes."""

import concurrent.futures
import subprocess
import threading
import time

import pytest

from deployment import FAST_SETTINGS, MAHAVISHNU_BIN, Deployment, free_ports
from mahavishnu import BadRequest, BrokerUnreachable, Client, ClientClosed, Forbidden, PoolSelector, TaskFuture, UnknownTask


@pytest.fixture
def pools(deployment):
    """Two hand-started pools of 4 workers: pool_a and pool_b."""
    deployment.start_pool("a", 4)
    deployment.start_pool("b", 4)
    return deployment


@pytest.fixture
def client(pools):
    with Client(pools.frontend) as connected:
        yield connected


def test_submit_returns_a_future_with_the_task_id(client):
    future = client.submit({"prompt": "Write code"}, task_id="task-submit-1")
    assert isinstance(future, TaskFuture) and isinstance(future, concurrent.futures.Future)
    assert future.task_id == "task-submit-1"
    result = future.result(timeout=10)
    assert future.done() and not future.cancelled()
    assert result["task_id"] == "task-submit-1" and result["status"] == "completed" and result["output"] == "Write code"
    routed = client.submit("by name", selector=PoolSelector.AFFINITY, affinity="b").result(timeout=10)
    assert routed["pool_id"] == "pool_b" and routed["output"] == "by name"
    assert client.submit("by string", selector="round_robin").result(timeout=10)["status"] == "completed"


def test_result_times_out_while_the_task_runs_then_arrives(client):
    future = client.submit({"prompt": "slow", "sleep_ms": 400})
    with pytest.raises(concurrent.futures.TimeoutError):
        future.result(timeout=0.05)
    assert not future.done()
    assert future.result(timeout=10)["output"] == "slow"


def test_map_runs_10000_tasks_with_a_window_one_result_each_in_order(client):
    count = 10_000
    results = list(client.map(({"prompt": f"task {i}"} for i in range(count)), window=128))
    assert len(results) == count
    assert [result["output"] for result in results] == [f"task {i}" for i in range(count)]
    assert len({result["task_id"] for result in results}) == count, "one result per task"
    assert {result["pool_id"] for result in results} == {"pool_a", "pool_b"}
    assert client.stats()["results_delivered"] >= count


def test_map_unordered_yields_each_result_once_as_it_finishes(client):
    tasks = [{"prompt": f"t{i}", "sleep_ms": 200 if i == 0 else 0} for i in range(50)]
    outputs = [result["output"] for result in client.map(tasks, ordered=False, window=16)]
    assert sorted(outputs) == sorted(task["prompt"] for task in tasks)
    assert outputs[0] != "t0", "the slow first task does not hold the others back"


def test_as_completed_yields_the_fast_task_first(client):
    slow = client.submit({"prompt": "slow", "sleep_ms": 500})
    fast = client.submit({"prompt": "fast"})
    order = [future.result()["output"] for future in client.as_completed([slow, fast], timeout=10)]
    assert order == ["fast", "slow"]


def test_get_reattaches_by_id_from_another_client(client, pools):
    future = client.submit({"prompt": "long", "sleep_ms": 300}, task_id="task-reattach-1")
    client.stats()  # answered after the task on the same socket: the broker has it before `other` asks
    with Client(pools.frontend) as other:
        attached = other.get("task-reattach-1")
        assert attached.task_id == "task-reattach-1"
        assert attached.result(timeout=10)["output"] == "long"
        assert future.result(timeout=10) == attached.result()
        with pytest.raises(UnknownTask, match="never-submitted"):
            other.get("never-submitted").result(timeout=10)


def test_cancel_stops_waiting_locally(client):
    future = client.submit({"prompt": "ignored", "sleep_ms": 300})
    assert future.cancel() and future.cancelled()
    with pytest.raises(concurrent.futures.CancelledError):
        future.result(timeout=1)
    assert client.submit("after").result(timeout=10)["output"] == "after"


def test_broker_cancel_ends_a_delayed_task_and_a_deadline_expires_a_waiting_one(client):
    delayed = client.submit("later", task_id="py-delayed", delay=60)
    stale = client.submit({"prompt": "stale"}, affinity="a", expires_in=0.2, task_id="py-stale", eta=time.time() + 30)
    reply = client.cancel("py-delayed")
    assert reply["cancelled"] and reply["state"] == "cancelled", reply
    assert delayed.result(timeout=10)["status"] == "cancelled"
    expired = stale.result(timeout=10)
    assert expired["status"] == "expired" and expired["pool_id"] == "", expired
    assert client.cancel("py-delayed")["state"] == "finished"
    assert client.cancel("no-such-task")["state"] == "unknown"
    assert client.stats()["tasks_expired"] == 1


def test_priorities_order_tasks_waiting_for_one_busy_worker(deployment):
    deployment.start_pool("solo", 1)
    with Client(deployment.frontend) as client:
        blocker = client.submit({"prompt": "blocker", "sleep_ms": 500}, affinity="solo")
        deadline = time.monotonic() + 10
        while client.stats()["in_flight"] != 1:  # the blocker runs before the others arrive
            assert time.monotonic() < deadline, "the blocker never reached the pool"
        futures = [client.submit(f"p{priority}-{index}", affinity="solo", priority=priority)
                   for index, priority in enumerate([1, 9, 5, 9, 0])]
        finished = []
        for future in futures:
            future.add_done_callback(lambda done: finished.append(done.result()["output"]))
        assert blocker.result(timeout=10)["status"] == "completed"
        for future in futures:
            future.result(timeout=10)
        assert finished == ["p9-1", "p9-3", "p5-2", "p1-0", "p0-4"]


STREAMER = """\
import json, sys
for line in sys.stdin:
    task = json.loads(line)
    for i in range(task["parts"]):
        print(json.dumps({"task_id": task["task_id"], "partial": f"part {i}"}), flush=True)
    print(json.dumps({"task_id": task["task_id"], "output": "done"}), flush=True)
"""


def test_stream_yields_each_partial_in_order_then_the_result(tmp_path):
    script = tmp_path / "streamer.py"
    script.write_text(STREAMER)
    settings = FAST_SETTINGS + f"worker_types:\n  streamer: {{executor: process, command: [python3, '{script}']}}\n"
    running = Deployment(tmp_path, settings=settings)
    try:
        running.start_pool("s", 1, extra=["--worker-type", "streamer"])
        with Client(running.frontend) as client:
            items = list(client.stream({"prompt": "go", "parts": 50}, timeout=10))
        assert items[:-1] == [{"partial": f"part {i}", "attempt": 1, "sequence": i} for i in range(50)]
        assert items[-1]["status"] == "completed" and items[-1]["output"] == "done"
    finally:
        running.stop()


def test_a_bad_schedule_is_refused_naming_the_key(client):
    with pytest.raises(BadRequest, match="'priority' must be a whole number from 0 to 9"):
        client.submit("x", priority=12).result(timeout=10)


def test_many_threads_share_one_client(client):
    outputs, errors = {}, []

    def worker(thread_index):
        try:
            for i in range(200):
                prompt = f"thread {thread_index} task {i}"
                outputs[prompt] = client.submit(prompt).result(timeout=20)["output"]
        except Exception as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    assert len(outputs) == 800 and all(prompt == output for prompt, output in outputs.items())


def test_pools_health_stats_and_info(client, pools):
    assert sorted(pool["name"] for pool in client.pools()) == ["a", "b"]
    health = client.health()
    assert health["status"] == "healthy" and health["pools_active"] == 2
    assert {"tasks_accepted", "results_delivered", "queue_depth"} <= set(client.stats())
    assert client.info()["bus_sub"] == pools.bus_sub


def generate_keys(directory, name=None):
    arguments = [str(MAHAVISHNU_BIN), "keys", "generate", "--out", str(directory)] + (["--name", name] if name else [])
    subprocess.run(arguments, check=True, capture_output=True)


def test_curve_keys_from_the_cli_key_directory(tmp_path):
    generate_keys(tmp_path / "broker", "broker")
    for identity in ("producer", "admin"):
        generate_keys(tmp_path / identity)
        (tmp_path / identity / "broker.public").write_bytes((tmp_path / "broker" / "broker.public").read_bytes())
    public = {identity: (tmp_path / identity / "id.public").read_text().strip() for identity in ("producer", "admin")}
    allow = tmp_path / "allow.yaml"
    allow.write_text(f'producer:\n  - "{public["producer"]}"\nadmin:\n  - "{public["admin"]}"\n')
    secure = Deployment(tmp_path, broker_arguments=["--keys", str(tmp_path / "broker"), "--allow", str(allow)])
    try:
        with Client(secure.frontend, keys=str(tmp_path / "admin")) as admin:
            spawned = admin.control("spawn", {"name": "secure", "pool_type": "mahavishnu", "min_workers": 1,
                                              "max_workers": 2, "worker_type": "echo"}, timeout=60)
            assert spawned["name"] == "secure"
        with Client(secure.frontend, keys=str(tmp_path / "producer")) as producer:
            assert producer.submit("over CURVE", affinity="secure").result(timeout=10)["output"] == "over CURVE"
            with pytest.raises(Forbidden) as refused:
                producer.control("close", {"pool": "secure"})
            assert refused.value.code == "forbidden" and "admin" in refused.value.message
    finally:
        secure.stop()


def test_no_broker_is_reported_within_the_control_timeout():
    with Client(f"tcp://127.0.0.1:{free_ports(1)[0]}", control_timeout=0.5) as nowhere:
        with pytest.raises(BrokerUnreachable, match="no reply from the broker at tcp://127.0.0.1:.* to 'health' within 0.5 s"):
            nowhere.health()
        waiting = nowhere.submit("never answered")
    with pytest.raises(ClientClosed):
        waiting.result(timeout=5)
