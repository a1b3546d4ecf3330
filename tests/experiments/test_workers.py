"""A killed driver leaves no worker behind (real processes, kill -9)."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from qaug._process import die_with_parent

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")


def _children(pid: int) -> set[int]:
    kids = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            kids |= {int(c) for c in (task / "children").read_text().split()}
        except OSError:
            pass
    return kids


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")  # a zombie has ended (its new parent may never reap it)


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _workers(driver: int) -> set[int]:
    """Worker processes of a driver: spawned children, or children of its fork server."""
    out = set()
    for p in _children(driver):
        line = _cmdline(p)
        if "spawn_main" in line:
            out.add(p)
        elif "forkserver" in line:
            out |= {p} | _children(p)  # the server ends with the driver as well
    return out


def test_kill_9_of_reproduce_jobs_2_leaves_no_worker(tmp_path):
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root), "OMP_NUM_THREADS": "1"}
    driver = subprocess.Popen(
        [sys.executable, "-m", "qaug.cli", "reproduce", "--preset", "demo", "--dry-run",
         "--seeds", "0", "1", "2", "3", "--jobs", "2", "--no-progress", "--out",
         str(tmp_path / "s")], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers: set[int] = set()
    try:
        deadline = time.time() + 300
        while time.time() < deadline and driver.poll() is None:
            workers = _workers(driver.pid)
            # a bank written by the driver: the workers are past their start-up, doing tasks
            if len(workers) >= 2 and list((tmp_path / "s").glob("cache/banks/*/summary.json")):
                break
            time.sleep(0.2)
        assert driver.poll() is None and len(workers) >= 2, "the sweep never had 2 workers"
        os.kill(driver.pid, signal.SIGKILL)
        driver.wait()
        deadline = time.time() + 120  # generous: the machine may be busy
        while time.time() < deadline and any(_running(p) for p in workers):
            time.sleep(0.2)
        left = [p for p in workers if _running(p)]
        assert not left, f"workers {left} survived their killed driver"
    finally:
        if driver.poll() is None:
            driver.kill()
        for p in workers:
            if _running(p):
                os.kill(p, signal.SIGKILL)


def test_die_with_parent_exits_when_the_parent_is_already_gone():
    code = ("import os, sys; from qaug._process import die_with_parent; "
            "print(die_with_parent(os.getppid())); die_with_parent(-1); print('alive')")
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(root)}, timeout=60)
    assert out.stdout.split() == ["prctl" if sys.platform.startswith("linux") else "watchdog"]
    assert out.returncode == 1
    assert die_with_parent  # imported for the docs


def test_die_with_process_ends_a_process_when_a_non_parent_ends():
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root)}
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    code = ("import sys, time; from qaug._process import die_with_process; "
            f"print(die_with_process({other.pid}, poll_s=0.1), flush=True); time.sleep(60)")
    watcher = subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE,
                               text=True)
    try:
        how = watcher.stdout.readline().strip()
        assert how in ("pidfd", "watchdog")
        assert watcher.poll() is None  # alive while the watched process is
        other.kill()
        other.wait()
        assert watcher.wait(timeout=30) == 1
    finally:
        for p in (other, watcher):
            if p.poll() is None:
                p.kill()
                p.wait()
        watcher.stdout.close()
