#!/usr/bin/env python3
"""Drives `mahavishnu mcp` over stdio with the official Python MCP client (`pip install mcp`).

Each scenario is a real session (or several) against a real broker; an assertion that fails
exits non-zero with a traceback. The Swift integration tests (MCPServerTests, SessionBuddyPoolTests)
start the broker and pools, run one scenario each, and stop everything they started.

    mcp_scenarios.py SCENARIO --mahavishnu PATH --broker ENDPOINT [--settings FILE] [--workflow-db FILE] ...
"""
import argparse
import asyncio
import contextlib
import json
import os
import signal
import sys
import time

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

ALL_TOOLS = [
    "pool_spawn", "pool_execute", "pool_route_execute", "dispatch_to_pool", "workflow_result", "task_cancel",
    "pool_list", "pool_monitor", "pool_scale", "pool_close", "pool_close_all", "pool_health",
    "pool_search_memory", "worker_spawn", "worker_execute", "worker_execute_batch", "worker_list",
    "worker_close", "worker_close_all", "worker_health",
]


@contextlib.asynccontextmanager
async def session(args, broker=None):
    """One `mahavishnu mcp` process and an initialized client session; the process ends with the block."""
    server = [args.mahavishnu, "mcp", "--broker", broker or args.broker, "--workflow-database", args.workflow_db]
    if args.settings:
        server += ["--settings", args.settings]
    params = StdioServerParameters(command=server[0], args=server[1:])
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as client:
            await client.initialize()
            yield client


async def call(client, tool, arguments=None):
    """Calls a tool that must succeed; returns its structured result."""
    result = await client.call_tool(tool, arguments or {})
    assert not result.is_error, f"{tool}({arguments}) failed: {result.content[0].text}"
    return result.structured_content


async def refused(client, tool, arguments, *fragments):
    """Calls a tool that must fail with a tool error mentioning every fragment; returns the error details."""
    result = await client.call_tool(tool, arguments)
    text = result.content[0].text
    assert result.is_error, f"{tool}({arguments}) should have failed, got {text}"
    for fragment in fragments:
        assert fragment in text, f"{tool}({arguments}): expected '{fragment}' in the error, got: {text}"
    return result.structured_content


async def until(what, probe, timeout=60):
    """Polls `probe` (async, returns a value or None) until it returns a value; fails after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = await probe()
        if value is not None:
            return value
        assert time.monotonic() < deadline, f"timed out after {timeout} s waiting for {what}"
        await asyncio.sleep(0.1)


async def pool_named(client, name):
    return next((p for p in (await call(client, "pool_list"))["pools"] if p["name"] == name), None)


async def health_of(client, name):
    return next((p for p in (await call(client, "pool_health"))["pools"] if p["name"] == name), None)


# Scenarios


async def tools(args):
    async with session(args) as client:
        listed = {tool.name: tool for tool in (await client.list_tools()).tools}
        missing = [name for name in ALL_TOOLS if name not in listed]
        assert not missing, f"tools missing: {missing}"
        for tool in listed.values():
            schema = tool.input_schema
            assert schema["type"] == "object" and schema["additionalProperties"] is False, tool.name
            assert tool.description, f"{tool.name} has no description"
            for name, prop in schema["properties"].items():
                assert prop.get("description"), f"{tool.name}.{name} has no description"
        timeout = listed["pool_execute"].input_schema["properties"]["timeout"]
        assert (timeout["minimum"], timeout["maximum"], timeout["default"]) == (30, 3600, 300), timeout
        assert listed["pool_execute"].input_schema["required"] == ["pool_id", "prompt"]
        count = listed["worker_spawn"].input_schema["properties"]["count"]
        assert (count["minimum"], count["maximum"], count["default"]) == (1, 50, 1), count
        assert listed["workflow_result"].input_schema["properties"]["workflow_id"]["pattern"] == "^[A-Za-z0-9._-]{1,128}$"
        assert listed["pool_search_memory"].input_schema["properties"]["limit"]["default"] == 100
        selector = listed["pool_route_execute"].input_schema["properties"]["pool_selector"]
        assert selector["default"] == "least_loaded" and "affinity" in selector["enum"], selector


async def pools(args):
    async with session(args) as client:
        spawned = await call(client, "pool_spawn", {"name": "mcp-a", "min_workers": 1, "max_workers": 3})
        pool_id = spawned["pool_id"]
        assert pool_id.startswith("pool_") and spawned["name"] == "mcp-a", spawned
        assert await pool_named(client, "mcp-a") is not None
        routed = await call(client, "pool_route_execute", {"prompt": "routed", "pool_selector": "affinity", "pool_affinity": "mcp-a"})
        assert (routed["status"], routed["output"], routed["pool_id"]) == ("completed", "routed", pool_id), routed
        anywhere = await call(client, "pool_route_execute", {"prompt": "anywhere"})
        assert anywhere["status"] == "completed" and anywhere["output"] == "anywhere", anywhere
        scheduled = await call(client, "pool_route_execute", {"prompt": "soon", "priority": 9, "delay_seconds": 1, "expires_in_seconds": 600})
        assert scheduled["status"] == "completed" and scheduled["output"] == "soon", scheduled
        unknown = await call(client, "task_cancel", {"task_id": "never-sent"})
        assert (unknown["cancelled"], unknown["state"]) == (False, "unknown"), unknown
        executed = await call(client, "pool_execute", {"pool_id": pool_id, "prompt": "Write code", "timeout": 60})
        assert (executed["output"], executed["pool_id"]) == ("Write code", pool_id), executed
        dispatched = await call(client, "dispatch_to_pool", {"prompt": "sync", "pool_selector": "round_robin"})
        assert dispatched["output"] == "sync", dispatched
        scaled = await call(client, "pool_scale", {"pool_id": pool_id, "target_workers": 3})
        assert scaled["workers"] == 3, scaled
        await refused(client, "pool_scale", {"pool_id": pool_id, "target_workers": 5}, "invalid_argument", "[1, 3]")

        async def three_workers():
            metrics = (await call(client, "pool_monitor", {"pool_ids": [pool_id]}))["pools"][0]
            vitals = metrics["vitals"]
            return metrics if vitals and vitals["total_workers"] == 3 and vitals["tasks_completed"] >= 2 else None
        metrics = await until("pool_monitor to show 3 workers", three_workers)
        assert metrics["pool_id"] == pool_id and metrics["restarts"] == 0, metrics
        health = await call(client, "pool_health")
        assert health["status"] in ("healthy", "degraded"), health
        assert (await health_of(client, "mcp-a"))["status"] == "healthy"
        await refused(client, "pool_search_memory", {"query": "code", "limit": 0}, "'limit'", "1 to 1000")
        await refused(client, "pool_execute", {"pool_id": "nope", "prompt": "x"}, "no_such_pool", "nope")
        closed = await call(client, "pool_close", {"pool_id": pool_id})
        assert closed["closed"] == pool_id
        assert await pool_named(client, "mcp-a") is None

        worker_ids = (await call(client, "worker_spawn", {"count": 2}))["worker_ids"]
        assert len(worker_ids) == 2, worker_ids
        listed = [w["worker_id"] for w in (await call(client, "worker_list"))["workers"]]
        assert sorted(listed) == sorted(worker_ids), listed
        result = await call(client, "worker_execute", {"worker_id": worker_ids[0], "prompt": "old path"})
        assert (result["output"], result["pool_id"]) == ("old path", worker_ids[0]), result
        batch = (await call(client, "worker_execute_batch", {"worker_ids": worker_ids, "prompts": ["a", "b", "c"]}))["results"]
        assert [r["output"] for r in batch] == ["a", "b", "c"] and batch[1]["pool_id"] == worker_ids[1], batch
        health = await call(client, "worker_health")
        assert health["status"] == "healthy" and len(health["workers"]) == 2, health
        await refused(client, "worker_execute", {"worker_id": "pool_nothere", "prompt": "x"}, "no such worker", "pool_nothere")
        assert (await call(client, "worker_close", {"worker_id": worker_ids[0]}))["closed"] == worker_ids[0]
        assert (await call(client, "worker_close_all"))["closed"] == [worker_ids[1]]
        assert (await call(client, "worker_list"))["workers"] == []
        # close_all leaves no pool behind, the deployment's own included
        await call(client, "pool_close_all")
        assert (await call(client, "pool_list"))["pools"] == []


async def workflows(args):
    """An async dispatch followed by workflow_result, across a restart of the MCP server."""
    async with session(args) as client:
        first = await call(client, "dispatch_to_pool", {"prompt": "survives", "pool_selector": "affinity", "pool_affinity": "slow", "async_callback": True})
        workflow_id = first["workflow_id"]
        assert first["status"] in ("queued", "running") and first.get("result") is None, first
        seen = await call(client, "workflow_result", {"workflow_id": workflow_id})
        assert seen["status"] in ("queued", "running"), f"the slow task should still run: {seen}"
        again = await call(client, "dispatch_to_pool", {"prompt": "survives", "pool_selector": "affinity", "pool_affinity": "slow", "async_callback": True, "workflow_id": workflow_id})
        assert again["workflow_id"] == workflow_id
        # Behind the slow task for 3 s, this one expires after 1 s without running.
        await call(client, "dispatch_to_pool", {"prompt": "too late", "pool_selector": "affinity", "pool_affinity": "slow", "async_callback": True,
                                                "workflow_id": "expiring", "expires_in_seconds": 1})
        delayed_at = time.monotonic()
        await call(client, "dispatch_to_pool", {"prompt": "later", "pool_selector": "affinity", "pool_affinity": "fast", "async_callback": True,
                                                "workflow_id": "delayed", "delay_seconds": 2, "priority": 8})
    # that MCP server has exited with the workflow unfinished; a new one takes it up
    async with session(args) as client:
        async def finished():
            report = await call(client, "workflow_result", {"workflow_id": workflow_id})
            return report if report["status"] in ("completed", "failed") else None
        report = await until("the workflow to finish after the restart", finished, timeout=90)
        assert report["status"] == "completed", report
        assert report["result"]["output"].strip() == "survives" and report["result"]["task_id"] == workflow_id, report
        mine = await call(client, "dispatch_to_pool", {"prompt": "fresh", "async_callback": True, "workflow_id": "my.flow-1", "pool_selector": "affinity", "pool_affinity": "fast"})
        assert mine["workflow_id"] == "my.flow-1"
        async def done():
            report = await call(client, "workflow_result", {"workflow_id": "my.flow-1"})
            return report if report["status"] == "completed" else None
        assert (await until("my.flow-1 to complete", done))["result"]["output"] == "fresh"
        await refused(client, "workflow_result", {"workflow_id": "never-dispatched"}, "no such workflow", "never-dispatched")
        # Their schedules outlive the restart: the delay counts from the first dispatch, not the resend.
        async def settled(workflow_id):
            report = await call(client, "workflow_result", {"workflow_id": workflow_id})
            return report if report["status"] in ("completed", "failed") else None
        expired = await until("the expiring workflow to end", lambda: settled("expiring"), timeout=30)
        assert expired["status"] == "failed" and expired["result"]["status"] == "expired", expired
        later = await until("the delayed workflow to end", lambda: settled("delayed"), timeout=30)
        assert later["status"] == "completed" and later["result"]["output"] == "later", later
        assert time.monotonic() - delayed_at >= 2, "the delayed workflow ran before its delay"
    with open(args.run_log) as log:
        runs = log.read().splitlines()
    assert runs == ["survives"], f"the task should have run exactly once, ran: {runs}"


async def invalid(args):
    async with session(args) as client:
        bad = "invalid_argument"
        cases = [
            ("pool_execute", {"pool_id": "a", "prompt": "x", "timeout": 5}, bad, ["'timeout'", "30 to 3600", "got 5"]),
            ("pool_execute", {"pool_id": "a"}, bad, ["missing argument 'prompt'"]),
            ("pool_route_execute", {"prompt": "x", "pool_selector": "fastest"}, bad, ["'pool_selector'", "least_loaded, round_robin, random, affinity", "fastest"]),
            ("pool_route_execute", {"prompt": "x", "pool_selector": "affinity"}, bad, ["'pool_affinity'"]),
            ("pool_route_execute", {"prompt": "x", "colour": "blue"}, bad, ["unknown argument 'colour'", "prompt"]),
            ("pool_route_execute", {"prompt": "x", "priority": 12}, bad, ["'priority'", "0 to 9"]),
            ("task_cancel", {}, bad, ["missing argument 'task_id'"]),
            ("workflow_result", {"workflow_id": "bad id!"}, bad, ["'workflow_id'", "^[A-Za-z0-9._-]{1,128}$"]),
            ("workflow_result", {"workflow_id": "x" * 129}, bad, ["'workflow_id'"]),
            ("worker_spawn", {"count": 51}, bad, ["'count'", "1 to 50"]),
            ("pool_spawn", {"name": "z", "min_workers": 5, "max_workers": 2}, bad, ["'max_workers'", "min_workers"]),
            ("pool_spawn", {"name": "z", "pool_type": "kubernetes"}, bad, ["'pool_type'", "mahavishnu, session-buddy"]),
            ("dispatch_to_pool", {"prompt": "x", "async_callback": "yes"}, bad, ["'async_callback'", "true or false"]),
            ("worker_execute_batch", {"worker_ids": [], "prompts": ["a"]}, bad, ["'worker_ids'", "1 to 50"]),
            ("pool_scale", {"pool_id": "a", "target_workers": "3"}, bad, ["'target_workers'", "whole number"]),
            ("pool_spawn", {"name": "z", "worker_type": "nonexistent"}, "refused", ["unknown worker type 'nonexistent'"]),
        ]
        for tool, arguments, code, fragments in cases:
            details = await refused(client, tool, arguments, *fragments)
            assert details["error"] == code, (tool, arguments, details)
        # nothing was started by the refused calls
        assert [p["name"] for p in (await call(client, "pool_list"))["pools"]] == ["a"]


async def broker_down(args):
    async with session(args, broker=args.dead_broker) as client:
        for tool, arguments in [("pool_list", {}), ("pool_execute", {"pool_id": "a", "prompt": "x"}),
                                ("dispatch_to_pool", {"prompt": "x", "async_callback": True}), ("worker_spawn", {})]:
            started = time.monotonic()
            details = await refused(client, tool, arguments, "no broker at", args.dead_broker)
            elapsed = time.monotonic() - started
            assert details["error"] == "broker_unreachable", details
            assert elapsed < 8, f"{tool} took {elapsed:.1f} s to report the broker down"


async def rate_limit(args):
    async with session(args) as client:
        for n in range(3):
            routed = await call(client, "pool_route_execute", {"prompt": f"call {n}", "caller_kind": "claude"})
            assert routed["output"] == f"call {n}"
        result = await client.call_tool("pool_route_execute", {"prompt": "call 3", "caller_kind": "claude"})
        assert result.is_error, "the 4th call in the window should be refused"
        details = result.structured_content
        assert details["error"] == "rate_limited" and result.content[0].text.startswith("rate_limited"), details
        assert 0 < details["retry_after_seconds"] <= 60, details
        # another caller has its own quota, counted once per call as well
        for n in range(3):
            await call(client, "pool_list", {"caller_kind": "qwen"})
        assert (await client.call_tool("pool_list", {"caller_kind": "qwen"})).is_error


def child_pids(pid):
    """The pids of the children of `pid`, from every one of its threads."""
    children = []
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/children") as listing:
            children += [int(child) for child in listing.read().split()]
    return children


def delegate_pid(pool_pid):
    """The delegate service process a session-buddy pool started (running `mcp`, a child of the
    pool's guardian for it, `mahavishnu-guard`)."""
    children = child_pids(pool_pid)
    for pid in children:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            if b"\0mcp\0" not in cmdline.read():
                continue
        if os.path.basename(os.readlink(f"/proc/{pid}/exe")) != "mahavishnu-guard":
            raise AssertionError(f"the delegate {pid} of pool process {pool_pid} runs without a guardian")
        (program,) = child_pids(pid)
        return program
    raise AssertionError(f"pool process {pool_pid} has no delegate guardian among {children}")


async def session_buddy(args):
    async with session(args) as client:
        spawned = await call(client, "pool_spawn", {"pool_type": "session-buddy", "name": "sb", "min_workers": 2, "max_workers": 4, "worker_type": "slow"})
        sb = spawned["pool_id"]
        # the pool's workers are the delegate's: two of them, spawned through the second MCP server
        assert len((await call(client, "worker_list"))["workers"]) == 2
        done = await call(client, "pool_execute", {"pool_id": "sb", "prompt": "delegated"})
        assert (done["status"], done["output"].strip(), done["pool_id"]) == ("completed", "delegated", sb), done
        assert (await call(client, "pool_scale", {"pool_id": "sb", "target_workers": 3}))["workers"] == 3
        await until("the delegate to have 3 workers", lambda: worker_count(client, 3))
        assert (await health_of(client, "sb"))["status"] == "healthy"

        # a task in flight on the delegate when it dies
        flight = await call(client, "dispatch_to_pool", {"prompt": "in flight", "pool_selector": "affinity", "pool_affinity": "sb", "async_callback": True})
        await until("the task to be in flight on sb", lambda: in_flight(client, "sb"))
        pool = await pool_named(client, "sb")
        victim = delegate_pid(pool["pid"])
        os.unlink(args.delegate_link)  # the pool cannot start the delegate again until the link is back
        os.kill(victim, signal.SIGKILL)

        async def unhealthy():
            entry = await health_of(client, "sb")
            return entry if entry["status"] == "unhealthy" else None
        entry = await until("sb to be reported unhealthy", unhealthy, timeout=30)
        assert "delegate" in entry["reason"], entry
        assert (await pool_named(client, "sb"))["workers"] == 0, "an unhealthy pool announces no capacity"
        # tasks routed meanwhile go to the healthy pool
        for n in range(4):
            routed = await call(client, "pool_route_execute", {"prompt": f"elsewhere {n}", "timeout": 60})
            assert routed["status"] == "completed" and routed["pool_id"] != sb, routed

        os.symlink(args.mahavishnu, args.delegate_link)
        async def healthy():
            entry = await health_of(client, "sb")
            return entry if entry["status"] == "healthy" and entry["workers"] == 3 else None
        await until("sb to reconnect to its delegate", healthy, timeout=60)

        async def flight_done():
            report = await call(client, "workflow_result", {"workflow_id": flight["workflow_id"]})
            return report if report["status"] in ("completed", "failed") else None
        report = await until("the in-flight task to be run again", flight_done, timeout=90)
        assert report["status"] == "completed" and report["result"]["attempts"] == 2, report
        assert report["result"]["pool_id"] == sb and report["result"]["output"].strip() == "in flight", report

        await call(client, "pool_close", {"pool_id": "sb"})
        # the pool closed its own workers at the delegate, and only those
        await until("the delegate's workers to be closed", lambda: worker_count(client, 0))
        assert await pool_named(client, "a") is not None


async def session_buddy_http(args):
    """A session-buddy pool whose delegate is an MCP server over HTTP (Tests/python/http_worker_service.py)."""
    async with session(args) as client:
        web = (await call(client, "pool_spawn", {"pool_type": "session-buddy", "name": "web", "min_workers": 2, "max_workers": 2, "delegate": "remote"}))["pool_id"]
        done = await call(client, "pool_execute", {"pool_id": "web", "prompt": "shout this"})
        assert (done["status"], done["output"], done["pool_id"]) == ("completed", "SHOUT THIS", web), done
        os.kill(args.service_pid, signal.SIGKILL)

        async def unhealthy():
            entry = await health_of(client, "web")
            return entry if entry["status"] == "unhealthy" else None
        entry = await until("web to be reported unhealthy", unhealthy, timeout=30)
        assert "http://127.0.0.1" in entry["reason"], entry
        routed = await call(client, "pool_route_execute", {"prompt": "elsewhere"})
        assert routed["pool_id"] != web and routed["output"] == "elsewhere", routed
        await call(client, "pool_close", {"pool_id": "web"})


async def worker_count(client, count):
    workers = (await call(client, "worker_list"))["workers"]
    return workers if len(workers) == count else None


async def in_flight(client, name):
    pool = await pool_named(client, name)
    return pool if pool and pool["in_flight"] >= 1 else None


async def memory(args):
    """A routed task's output is found by pool_search_memory once the broker has stored it."""
    async with session(args) as client:
        routed = await call(client, "pool_route_execute", {"prompt": "the quetzalcoatl migration plan"})
        assert routed["status"] == "completed", routed

        async def stored():
            found = await call(client, "pool_search_memory", {"query": "quetzalcoatl", "limit": 5})
            return found["matches"] or None
        matches = await until("the memory store to hold the result", stored)
        assert len(matches) == 1, matches
        assert matches[0]["task_id"] == routed["task_id"] and matches[0]["pool_id"] == routed["pool_id"], matches
        missing = await call(client, "pool_search_memory", {"query": "nothing-like-this-was-ever-run"})
        assert missing["matches"] == [], missing


async def progress(args):
    """A call with a progress token streams its task: each partial output arrives as a progress
    notification, in order, before the result (pool `streamer` runs a process worker that sends
    five partials)."""
    async with session(args) as client:
        notes = []

        async def noted(progress_value, total, message):
            notes.append((progress_value, message))

        result = await client.call_tool("pool_execute", {"pool_id": "streamer", "prompt": "go"}, progress_callback=noted)
        assert not result.is_error, result.content[0].text
        assert result.structured_content["output"] == "done", result.structured_content
        assert notes == [(float(i + 1), f"[attempt 1] part {i}") for i in range(5)], notes
        quiet = await call(client, "pool_execute", {"pool_id": "streamer", "prompt": "again"})
        assert quiet["output"] == "done", quiet


SCENARIOS = {
    "tools": tools, "memory": memory, "pools": pools, "workflows": workflows, "invalid": invalid, "progress": progress,
    "broker-down": broker_down, "rate-limit": rate_limit, "session-buddy": session_buddy,
    "session-buddy-http": session_buddy_http,
}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scenario", choices=sorted(SCENARIOS))
    parser.add_argument("--mahavishnu", required=True, help="the mahavishnu executable")
    parser.add_argument("--broker", required=True, help="the broker's frontend endpoint")
    parser.add_argument("--settings", help="settings file for the MCP server")
    parser.add_argument("--workflow-db", required=True, help="the MCP server's workflow database")
    parser.add_argument("--dead-broker", help="broker-down: an endpoint where no broker listens")
    parser.add_argument("--run-log", help="workflows: the file the slow worker appends each run to")
    parser.add_argument("--delegate-link", help="session-buddy: the symlink the delegate command runs")
    parser.add_argument("--service-pid", type=int, help="session-buddy-http: the pid of the HTTP worker service")
    args = parser.parse_args()
    asyncio.run(SCENARIOS[args.scenario](args))
    print(f"ok {args.scenario}")


if __name__ == "__main__":
    main()
