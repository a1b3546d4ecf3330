"""RayExecutor: bad input (fast, default suite) and a real two-node cluster (``-m ray``).

The cluster tests start a head and a second node on 127.0.0.1 (ray.cluster_utils.Cluster,
one CPU each), run dry-run sized sweeps across them, kill workers mid-task, and compare the
results with a local ``--jobs 1`` run. Run them with ``pytest -m ray``.
"""

import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from qaug.experiments import (
    ClusterMismatchError,
    RayExecutor,
    load_sweep_config,
    open_sweep_folder,
    reproduce,
    run_sweep,
)
from qaug.experiments._ray import task_resources

ROOT = Path(__file__).resolve().parents[2]


def test_missing_ray_gives_the_install_hint(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # "import ray" now raises ImportError
    with pytest.raises(ImportError, match=r"pip install 'qaug\[ray\]'"):
        RayExecutor("127.0.0.1:6379")


@pytest.mark.parametrize("address", ["nohost", "h:port", "h:0", ":6379"])
def test_malformed_address_is_refused(address):
    with pytest.raises(ValueError, match="address must be HOST:PORT"):
        RayExecutor(address)


def test_bad_options_are_refused():
    with pytest.raises(ValueError, match="max_retries must be an integer >= 0"):
        RayExecutor("127.0.0.1:1", max_retries=-1)
    with pytest.raises(ValueError, match="num_cpus must be a number > 0"):
        RayExecutor("127.0.0.1:1", num_cpus=0)


def test_unreachable_address_fails_fast(monkeypatch):
    pytest.importorskip("ray")
    monkeypatch.setenv("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
    started = time.perf_counter()
    with pytest.raises(ConnectionError, match="no Ray cluster answers at 127.0.0.1:1"):
        RayExecutor("127.0.0.1:1")
    assert time.perf_counter() - started < 10


def test_cli_refuses_address_without_ray_executor(capsys):
    from qaug.cli import main

    assert main(["reproduce", "--preset", "demo", "--dry-run", "--out", "x",
                 "--address", "127.0.0.1:6379"]) == 2
    assert "--address 127.0.0.1:6379 needs --executor ray" in capsys.readouterr().err


def test_task_resources_ask_a_gpu_for_cuda_runs():
    from qaug._config import apply_overrides
    from qaug.experiments import ExperimentConfig

    cfg = ExperimentConfig()
    assert task_resources(cfg) == {"num_cpus": 1, "num_gpus": 0}
    assert task_resources(apply_overrides(cfg, ["train.device=cuda"]))["num_gpus"] == 1
    bank = (apply_overrides(cfg, ["adversarial.qgan.device=cuda:0"]), "qgan")
    assert task_resources(bank, 2) == {"num_cpus": 2, "num_gpus": 1}


# --- a real local cluster ------------------------------------------------------------------

@pytest.fixture(scope="module")
def cluster():
    # Ray resolves 127.0.0.1 to the machine's outward IP unless told (before its import) to
    # stay on loopback.
    os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"
    pytest.importorskip("ray")
    from ray._private import ray_constants
    from ray.cluster_utils import Cluster

    if ray_constants.ENABLE_RAY_CLUSTER:
        pytest.skip("ray was imported before the loopback setting; run the ray tests alone "
                    "(pytest -m ray)")

    c = Cluster(initialize_head=True, head_node_args={
        "num_cpus": 1, "node_ip_address": "127.0.0.1", "include_dashboard": False})
    c.add_node(num_cpus=1, node_ip_address="127.0.0.1")
    c.wait_for_nodes()
    import ray.cloudpickle

    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])  # fakes ship by value
    try:
        yield c
    finally:
        c.shutdown()


def _raylet_pids(cluster) -> set[int]:
    from ray._private import ray_constants

    nodes = [cluster.head_node, *cluster.worker_nodes]
    return {p.process.pid for n in nodes
            for p in n.all_processes.get(ray_constants.PROCESS_TYPE_RAYLET, [])}


def _busy_workers(cluster) -> list[int]:
    """Pids of this cluster's worker processes running a qaug task now."""
    import psutil

    raylets, busy = _raylet_pids(cluster), []
    for p in psutil.process_iter(["pid", "cmdline"]):
        cmd = p.info["cmdline"] or []
        if cmd and cmd[0].startswith("ray::qaug_task"):
            try:
                if {q.pid for q in p.parents()} & raylets:
                    busy.append(p.info["pid"])
            except psutil.NoSuchProcess:
                pass
    return busy


def _kill_first_busy_worker(cluster, killed: list, stop: threading.Event) -> threading.Thread:
    def loop():
        while not stop.is_set() and not killed:
            for pid in _busy_workers(cluster):
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
                return
            time.sleep(0.01)

    th = threading.Thread(target=loop, daemon=True)
    th.start()
    return th


def _comparable(folder: Path) -> dict:
    """Every run's config and metrics, less the wall-clock timings."""
    out = {}
    for f in sorted((folder / "runs").glob("*.json")):
        rec = json.loads(f.read_text())
        m = rec["metrics"]
        m.pop("timings")
        m["train"].pop("seconds")
        if m.get("generator"):
            m["generator"].pop("seconds")
        out[f.name] = (rec["status"], rec["config"], m)
    return out


def _dry_sweep(seeds):
    from qaug._commands.experiments import dry_run_overrides

    return load_sweep_config("demo", dry_run_overrides(), seeds=seeds)


@pytest.mark.ray
def test_sweep_on_cluster_survives_a_killed_worker_and_equals_local(cluster, tmp_path):
    sweep = _dry_sweep([0, 1])
    local, _ = reproduce(sweep, tmp_path / "local", progress=False)
    killed, stop = [], threading.Event()
    with RayExecutor(cluster.address, max_retries=2) as ex:
        assert ex.jobs == 2  # one CPU on each of the two nodes
        th = _kill_first_busy_worker(cluster, killed, stop)
        summary, _ = reproduce(sweep, tmp_path / "ray", executor=ex, progress=False)
        stop.set()
        th.join()
    assert killed, "no worker was caught mid-task"
    assert summary.failed == {} and summary.n_done == local.n_done == len(sweep.expand())
    assert summary.n_banks_trained == 2
    assert _comparable(tmp_path / "ray") == _comparable(tmp_path / "local")  # bit for bit
    for b in (tmp_path / "ray" / "cache" / "banks").iterdir():
        assert (b / "bank.pt").is_file() and (b / "summary.json").is_file()


@dataclass(frozen=True)
class Slow:
    seed: int
    value: int


def slow_run(cfg: Slow, cache_dir=None) -> dict:
    """Run 1 hangs until the test's marker exists; it tells the test its worker's pid."""
    marker = Path(os.environ["QAUG_TEST_MARKER"])
    if cfg.value == 1 and not marker.exists():
        marker.with_suffix(".pid").write_text(str(os.getpid()))
        while not marker.exists():
            time.sleep(0.05)
    return {"square": cfg.value ** 2}


def _key(cfg: Slow) -> str:
    return f"k{cfg.value:03d}"


@pytest.mark.ray
def test_worker_killed_without_retries_is_an_error_record_then_resumes(cluster, tmp_path,
                                                                       monkeypatch):
    marker = tmp_path / "go"
    ident = {"sweep_hash": "slow", "name": "slow", "config": {}, "seeds": [0]}
    out = open_sweep_folder(tmp_path / "s", ident)
    configs = [Slow(0, v) for v in range(4)]
    init = {"runtime_env": {"env_vars": {"QAUG_TEST_MARKER": str(marker)}}}
    killed, stop = [], threading.Event()
    with RayExecutor(cluster.address, max_retries=0, init_kwargs=init) as ex:
        th = _kill_hanging_run(marker.with_suffix(".pid"), killed, stop)
        s = run_sweep(configs, out, run_fn=slow_run, key_fn=_key, executor=ex, progress=False)
        stop.set()
        th.join()
    assert killed and list(s.failed) == ["k001"] and s.n_done == 3
    err = json.loads((out / "runs" / "k001.error.json").read_text())
    assert err["error"].startswith("WorkerLost:") and err["config"]["value"] == 1
    marker.touch()
    with RayExecutor(cluster.address, max_retries=0, init_kwargs=init) as ex:
        s = run_sweep(configs, out, run_fn=slow_run, key_fn=_key, executor=ex, progress=False)
    assert (s.n_done, s.n_cached, s.failed) == (1, 3, {})
    assert json.loads((out / "runs" / "k001.json").read_text())["metrics"] == {"square": 1}
    assert not (out / "runs" / "k001.error.json").exists()


def _kill_hanging_run(pidfile: Path, killed, stop):
    def loop():
        while not stop.is_set() and not pidfile.exists():
            time.sleep(0.05)
        if pidfile.exists():
            pid = int(pidfile.read_text())
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

    th = threading.Thread(target=loop, daemon=True)
    th.start()
    return th


@pytest.mark.ray
def test_cli_driver_killed_mid_sweep_resumes_to_the_local_result(cluster, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0"}
    out = tmp_path / "ray"
    cmd = [sys.executable, "-m", "qaug.cli", "reproduce", "--preset", "demo", "--dry-run",
           "--seeds", "0", "--out", str(out), "--executor", "ray", "--address", cluster.address,
           "--no-progress"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 480
    while time.time() < deadline and len(list((out / "runs").glob("*.json"))) < 2:
        assert proc.poll() is None, "the driver ended before it could be killed"
        time.sleep(0.05)
    proc.kill()
    proc.wait()
    n_before = len(list((out / "runs").glob("*.json")))
    total = len(_dry_sweep([0]).expand())  # the demo preset's runs for one seed
    assert 2 <= n_before < total
    until = time.time() + 60  # Ray ends the dead driver's tasks (seconds; longer when busy)
    while _busy_workers(cluster) and time.time() < until:
        time.sleep(0.5)
    assert _busy_workers(cluster) == []
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"{total - n_before} run(s) now, {n_before} cached" in done.stdout
    reproduce(_dry_sweep([0]), tmp_path / "local", progress=False)
    assert _comparable(out) == _comparable(tmp_path / "local")


@pytest.mark.ray
def test_node_with_other_versions_is_refused_naming_both(cluster, tmp_path):
    # A third node whose Python reports another qaug version (set at interpreter start-up, as
    # an older install would; Ray puts the driver's paths first, so a fake package would lose).
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text("import qaug\nqaug.__version__ = '0.0.9'\n")
    path = os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])
    node = cluster.add_node(num_cpus=1, node_ip_address="127.0.0.1",
                            env_vars={"PYTHONPATH": path})
    cluster.wait_for_nodes()
    try:
        import qaug

        with pytest.raises(ClusterMismatchError,
                           match=rf"qaug 0\.0\.9 on node 127\.0\.0\.1.*but {qaug.__version__}"):
            RayExecutor(cluster.address, connect_timeout_s=60)  # slow on a busy machine
    finally:
        import ray

        ray.shutdown()
        cluster.remove_node(node)


@pytest.mark.ray
def test_address_that_is_not_ray_times_out_with_a_clear_error(cluster):
    # Last in the file: the abandoned connection attempt may linger in this process.
    import socket

    with socket.socket() as srv:  # accepts TCP connections but speaks no Ray
        srv.bind(("127.0.0.1", 0))
        srv.listen()
        address = f"127.0.0.1:{srv.getsockname()[1]}"
        started = time.perf_counter()
        with pytest.raises(ConnectionError, match=rf"Ray did not connect to '{address}' within 3 s"):
            RayExecutor(address, connect_timeout_s=3)
        assert time.perf_counter() - started < 10
