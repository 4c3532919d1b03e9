#!/usr/bin/env python3
"""Runs a command as a child subreaper, then stops whatever it left behind.

`scripts/reaped.py CMD ARGS...` runs CMD and exits with its status. Processes that CMD's process
tree started and orphaned (a test process that crashed or was killed leaves its brokers and
pools running; a process that called setsid escapes its group) are re-parented to this one
(PR_SET_CHILD_SUBREAPER) rather than to init. Once CMD has exited, each of them gets SIGTERM,
then SIGKILL after a grace period, and is reaped; each is named on stderr, and a command that
succeeded fails for it, since a test run that leaves processes behind has a bug to fix. Orphans
that exit by themselves are reaped as they go. Linux only.
"""
import ctypes
import os
import signal
import subprocess
import sys
import time

PR_SET_CHILD_SUBREAPER = 36
GRACE_SECONDS = 5.0


def children_of(pid: int):
    """The (pid, is_zombie) of every process whose parent is `pid`, from /proc."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append((int(entry), fields[0] == "Z"))
    return found


def describe(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            return cmdline.read().replace(b"\0", b" ").decode(errors="replace").strip() or "?"
    except OSError:
        return "?"


def reap_orphans(command_pid: int) -> None:
    """Collects the orphans that have exited (their parent died before it could), never the command."""
    for pid, zombie in children_of(os.getpid()):
        if zombie and pid != command_pid:
            try:
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass


def stop_orphans() -> int:
    """SIGTERM to every live orphan now ours, SIGKILL after the grace period; returns how many there were."""
    me = os.getpid()
    reap_orphans(0)
    orphans = [pid for pid, zombie in children_of(me) if not zombie]
    for pid in orphans:
        print(f"reaped.py: stopping {pid}, left running: {describe(pid)}", file=sys.stderr)
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + GRACE_SECONDS
    while True:
        reap_orphans(0)
        left = [pid for pid, _ in children_of(me)]
        if not left:
            return len(orphans)
        if time.monotonic() > deadline:
            for pid in left:
                os.kill(pid, signal.SIGKILL)
            deadline = float("inf")
        time.sleep(0.05)


def main() -> int:
    if len(sys.argv) < 2:
        print("usage: scripts/reaped.py CMD [ARGS...]", file=sys.stderr)
        return 2
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        print(f"reaped.py: prctl(PR_SET_CHILD_SUBREAPER) failed: {os.strerror(ctypes.get_errno())}", file=sys.stderr)
        return 1
    command = subprocess.Popen(sys.argv[1:])
    # Ctrl-C or SIGTERM reach the command (its process group gets Ctrl-C from the terminal too).
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, lambda received, _: command.send_signal(received))
    while command.poll() is None:
        reap_orphans(command.pid)
        try:
            command.wait(timeout=0.5)
        except subprocess.TimeoutExpired:
            pass
    status = command.returncode
    left = stop_orphans()
    if status == 0 and left:
        print(f"reaped.py: the command succeeded but left {left} process(es) running; whatever started them must stop them", file=sys.stderr)
        return 1
    return status if status >= 0 else 128 - status


if __name__ == "__main__":
    sys.exit(main())
