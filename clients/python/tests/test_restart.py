"""The broker SIGKILLed and restarted while the client has tasks in flight: every task still ends once."""

import signal
import threading

from deployment import BackgroundMap, wait_until
from mahavishnu import Client


def test_map_and_futures_survive_a_broker_killed_and_restarted(deployment):
    deployment.start_pool("a", 4)
    deployment.start_pool("b", 4)
    count = 3000
    resolutions = {}
    resolved_lock = threading.Lock()

    with Client(deployment.frontend, retry_interval=0.5) as client:
        mapped = BackgroundMap(client, count)
        futures = [client.submit({"prompt": f"future {i}", "sleep_ms": 500}) for i in range(16)]
        for future in futures:
            def count_resolution(done, task_id=future.task_id):
                with resolved_lock:
                    resolutions[task_id] = resolutions.get(task_id, 0) + 1
            future.add_done_callback(count_resolution)
        wait_until("the futures' tasks reached the broker", lambda: client.stats()["tasks_accepted"] >= count // 3 + len(futures))
        deployment.broker.signal(signal.SIGKILL)
        deployment.broker.stop()
        done_before_restart = len(mapped.results)
        assert not any(future.done() for future in futures), "the futures were in flight when the broker died"
        deployment.start_broker()
        mapped.check_finished(done_before_restart)

        for future in futures:
            assert future.result(timeout=30)["output"].startswith("future ")
        wait_until("every future's callback ran", lambda: len(resolutions) == len(futures), timeout=5)
        assert set(resolutions.values()) == {1}, "every future resolves exactly once"
