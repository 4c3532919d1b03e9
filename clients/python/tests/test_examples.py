"""The examples in examples/ and examples/python/ run against a real broker and say what they did."""

import subprocess
import sys

import pytest

from deployment import REPOSITORY

EXAMPLES = REPOSITORY / "examples/python"

# Each example, and lines its output must contain.
EXPECTED = {
    "quick_start.py": ["execute_on_pool: completed", "route_task: completed", "closed ['pool_"],
    "scenario_1_single_pool.py": ["completed on pool_"],
    "scenario_2_multiple_pools.py": ["use_primary=True: ran on primary", "use_primary=False: ran on secondary"],
    "patterns.py": ["routed to pool_", "batch: ['batch task 0', 'batch task 1'", "Status: healthy", "Active pools: 1",
                    "scaled to 4 workers", "found in patterns: Write the [API] [implementation]"],
    "workers_before.py": ["execute_task: completed", "execute_batch: [('task 0', 'pool_", "closed ['"],
    "bus_watch.py": ["task_completed from pool_", "status_update from python: hello from Python"],
}


def run(arguments, timeout=60):
    return subprocess.run([sys.executable] + [str(argument) for argument in arguments], capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize("example", sorted(EXPECTED))
def test_guide_example_runs(deployment, example):
    finished = run([EXAMPLES / example])
    assert finished.returncode == 0, finished.stderr
    for expected in EXPECTED[example]:
        assert expected in finished.stdout, f"{example} did not print {expected!r}:\n{finished.stdout}"


def test_every_example_is_covered():
    assert sorted(path.name for path in EXAMPLES.glob("*.py")) == sorted(EXPECTED)


def test_producer_example(deployment):
    deployment.start_pool("a", 4)
    deployment.start_pool("b", 4)
    finished = run([REPOSITORY / "examples/producer.py", "--broker", deployment.frontend, "--tasks", "2000", "--window", "64"])
    assert finished.returncode == 0, finished.stderr
    assert finished.stdout.startswith("completed 2000/2000") and "pool_a=" in finished.stdout and "pool_b=" in finished.stdout
    refused = run([REPOSITORY / "examples/producer.py", "--broker", deployment.frontend, "--tasks", "3", "--selector", "fastest"])
    assert refused.returncode == 1 and "invalid_selector" in refused.stderr
