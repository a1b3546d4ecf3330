"""``RayExecutor``: run a sweep's tasks on a Ray cluster (``pip install 'qaug[ray]'``).

Each bank training and each run is one Ray task (``qaug_task``) taking its config; results
and trained banks come back to the driver, which alone writes the sweep folder (no shared
filesystem). The sweep hands every bank that runs need to :meth:`RayExecutor.share` once, so
it sits in Ray's object store once however many runs read it. A task whose worker process or
node dies is retried ``max_retries`` times, then comes back as a :class:`TaskLost` (the sweep
records it as that run's error; nothing finished is lost).

Connecting checks, before anything runs: Ray is installed (else an install hint), the address
answers within seconds (no hang), and every node runs the driver's qaug, torch and Python
versions (else :class:`ClusterMismatchError` naming both).
"""

from __future__ import annotations

import os
import socket
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from qaug.experiments._executor import TaskLost

__all__ = ["RayExecutor", "ClusterMismatchError", "task_resources"]

_LOOPBACK = ("127.0.0.1", "localhost", "::1")
INSTALL_HINT = "pip install 'qaug[ray]'"


class ClusterMismatchError(RuntimeError):
    """A Ray node runs other qaug/torch/Python versions than the driver."""


def _import_ray():
    try:
        import ray
    except ImportError:
        raise ImportError(
            f"--executor ray needs Ray, which is not installed; install it with {INSTALL_HINT} "
            "(on the driver and on every node), or use the local executor (--jobs N)."
        ) from None
    return ray


def qaug_task(fn: Callable[[Any], Any], item: Any) -> Any:
    """What a Ray worker runs for one item (the process shows as ``ray::qaug_task``)."""
    # One torch thread, as --jobs 1 and the local pool: the same floats. (Ray ends its
    # workers itself when the driver or the node goes.)
    import torch

    torch.set_num_threads(1)
    return fn(item)


def _versions() -> dict:
    # Imported lazily so that the probe below (pickled by value) reports what the node has.
    import torch

    import qaug

    return {"qaug": qaug.__version__, "torch": torch.__version__,
            "python": "%d.%d" % sys.version_info[:2]}


def _make_probe() -> Callable[[], dict]:
    def probe() -> dict:  # nested: Ray ships it by value, so it runs even without qaug
        import socket as _socket
        import sys as _sys

        out = {"host": _socket.gethostname(), "python": "%d.%d" % _sys.version_info[:2]}
        for name in ("qaug", "torch"):
            try:
                out[name] = __import__(name).__version__
            except Exception as e:  # noqa: BLE001 - reported to the driver
                out[name] = f"not importable ({type(e).__name__}: {e})"
        return out

    return probe


def task_resources(item: Any, num_cpus: float = 1) -> dict:
    """Ray resources of one sweep task: ``num_cpus``, and one GPU when it trains on cuda."""
    payload = getattr(item, "payload", item)
    device = "cpu"
    if isinstance(payload, tuple) and len(payload) == 2:  # a bank: (config, kind)
        config, kind = payload
        device = getattr(getattr(getattr(config, "adversarial", None), kind, None), "device", "cpu")
    else:
        device = getattr(getattr(payload, "train", None), "device", "cpu")
    return {"num_cpus": num_cpus, "num_gpus": 1 if str(device).startswith("cuda") else 0}


def _parse_address(address: str) -> tuple[str, int] | None:
    if address in ("auto", "local"):
        return None
    rest = address.removeprefix("ray://")
    host, sep, port = rest.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"address must be HOST:PORT (e.g. 10.0.0.5:6379, the head's "
                         f"`ray start --head --port` address), 'ray://HOST:PORT' or 'auto'; "
                         f"got {address!r}.")
    return host.strip("[]"), int(port)


def _check_reachable(host: str, port: int, timeout: float) -> None:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            pass
    except OSError as e:
        raise ConnectionError(
            f"no Ray cluster answers at {host}:{port} ({type(e).__name__}: {e}). Start its head "
            f"with `ray start --head --port {port}` (and --node-ip-address on a multi-homed "
            "machine), check the address and firewall, or drop --address for a local Ray."
        ) from None


class RayExecutor:
    """Run sweep tasks as Ray tasks on a cluster (or on a local Ray instance).

    Args:
        address: the head's ``HOST:PORT`` (``ray start --head`` prints it), ``ray://HOST:PORT``
            for Ray Client, ``"auto"`` for ``RAY_ADDRESS`` or the cluster started on this
            machine, or None to start a private local instance with ``local_cpus`` CPUs.
        num_cpus: CPUs each task reserves (runs use one torch thread; keep 1).
        max_retries: times a task is re-run after its worker or node dies.
        local_cpus: CPUs of the local instance when ``address`` is None (default: all).
        connect_timeout_s: seconds to wait for the cluster and its nodes' version answers.
        init_kwargs: extra ``ray.init`` arguments (e.g. ``runtime_env``).

    Raises:
        ImportError: Ray is not installed (with the install command).
        ConnectionError: nothing answers at ``address`` within ``connect_timeout_s``.
        ClusterMismatchError: a node's qaug, torch or Python version differs from the driver's.
    """

    shares_filesystem = False  # workers may be other machines: banks go through share()

    def __init__(self, address: str | None = None, *, num_cpus: float = 1, max_retries: int = 3,
                 local_cpus: int | None = None, connect_timeout_s: float = 15.0,
                 init_kwargs: dict | None = None) -> None:
        if address is not None and (not isinstance(address, str) or not address.strip()):
            raise ValueError(f"address must be 'HOST:PORT', 'auto' or None; got {address!r}.")
        if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
            raise ValueError(f"max_retries must be an integer >= 0; got {max_retries!r}.")
        if isinstance(num_cpus, bool) or not isinstance(num_cpus, (int, float)) or num_cpus <= 0:
            raise ValueError(f"num_cpus must be a number > 0; got {num_cpus!r}.")
        if local_cpus is not None and (isinstance(local_cpus, bool) or
                                       not isinstance(local_cpus, int) or local_cpus < 1):
            raise ValueError(f"local_cpus must be an integer >= 1 or None; got {local_cpus!r}.")
        if connect_timeout_s <= 0:
            raise ValueError(f"connect_timeout_s must be > 0; got {connect_timeout_s!r}.")
        self.address, self.num_cpus, self.max_retries = address, num_cpus, max_retries
        self.connect_timeout_s = connect_timeout_s
        target = _parse_address(address) if address is not None else None
        if address is None or (target and target[0] in _LOOPBACK):
            # Ray resolves a loopback address to the machine's outward IP, where a cluster
            # started with --node-ip-address 127.0.0.1 does not listen; this keeps it local.
            os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
        self._ray = ray = _import_ray()
        if target is not None:
            _check_reachable(*target, timeout=min(5.0, connect_timeout_s))
        self._own = not ray.is_initialized()
        if self._own:
            kwargs = {"log_to_driver": False, **(init_kwargs or {})}
            if address is None:
                kwargs.setdefault("num_cpus", local_cpus)
                kwargs.setdefault("include_dashboard", False)
            self._init(address, kwargs)
        try:
            self._check_versions()
        except BaseException:
            self.close()
            raise
        self._remote = ray.remote(qaug_task)

    def _init(self, address: str | None, kwargs: dict) -> None:
        box: dict = {}

        def connect() -> None:
            try:
                # "local": always a new private instance, even if this machine has a cluster
                # (or a stale record of one, which address=None would try to join).
                self._ray.init(address="local" if address is None else address, **kwargs)
            except BaseException as e:  # noqa: BLE001 - re-raised in the caller
                box["error"] = e

        if address is None:
            # Started here, never in a helper thread: Ray ties its local processes' lives to
            # the starting thread (parent-death signal), so they would die with that thread.
            connect()
            if "error" in box:
                raise box["error"]
            return
        # ray.init retries an unresponsive address for minutes; give up after the timeout.
        th = threading.Thread(target=connect, daemon=True, name="qaug-ray-connect")
        th.start()
        th.join(self.connect_timeout_s)
        if th.is_alive():
            raise ConnectionError(
                f"Ray did not connect to {address!r} within {self.connect_timeout_s:.0f} s; is "
                "it a Ray head's GCS port (`ray start --head` prints it)? A head started with "
                "--node-ip-address 127.0.0.1 needs the address 127.0.0.1:PORT.")
        if "error" in box:
            e = box["error"]
            raise ConnectionError(f"Ray could not connect to {address!r}: "
                                  f"{type(e).__name__}: {e}") from e

    def _check_versions(self) -> None:
        ray = self._ray
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        mine = _versions()
        nodes = [n for n in ray.nodes() if n.get("Alive")]
        probe = ray.remote(num_cpus=0, max_retries=0)(_make_probe())
        refs = [probe.options(scheduling_strategy=NodeAffinitySchedulingStrategy(
            n["NodeID"], soft=False)).remote() for n in nodes]
        wait_s = 4 * self.connect_timeout_s  # a node's first worker imports torch: slower
        try:
            answers = ray.get(refs, timeout=wait_s)
        except ray.exceptions.GetTimeoutError:
            raise ConnectionError(
                f"the cluster's nodes did not report their versions within {wait_s:.0f} s (can "
                "their workers start? see the node's /tmp/ray/session_latest/logs).") from None
        for node, theirs in zip(nodes, answers):
            bad = [f"{k} {theirs.get(k)} on node {node.get('NodeManagerAddress')} "
                   f"({theirs.get('host')}) but {mine[k]} on this driver"
                   for k in ("qaug", "torch", "python") if theirs.get(k) != mine[k]]
            if bad:
                raise ClusterMismatchError(
                    f"refusing to run on a mixed cluster: {'; '.join(bad)}. Results would not "
                    "be comparable; install the driver's versions on every node "
                    f"({INSTALL_HINT}, torch=={mine['torch']}) and restart `ray start`.")

    @property
    def jobs(self) -> int:
        """Tasks the cluster can run at once (its CPUs over ``num_cpus``)."""
        cpus = self._ray.cluster_resources().get("CPU", 0)
        return max(1, int(cpus // self.num_cpus))

    def share(self, value: Any) -> RayShared:
        """Put ``value`` in Ray's object store once; tasks read it with ``handle.get()``."""
        return RayShared(self._ray.put(value))

    def map(self, fn: Callable[[Any], Any], items: Iterable[Any]) -> Iterator[Any]:
        """Submit every item (in the given order); yield results as they finish.

        An item whose worker died more than ``max_retries`` times is yielded as
        :class:`TaskLost`; stopping the iteration cancels the tasks still pending.
        """
        ray = self._ray
        pending = {}
        for item in items:
            opts = task_resources(item, self.num_cpus)
            ref = self._remote.options(max_retries=self.max_retries, **opts).remote(fn, item)
            pending[ref] = item
        try:
            while pending:
                done, _ = ray.wait(list(pending), num_returns=1)
                for ref in done:
                    item = pending.pop(ref)
                    try:
                        result = ray.get(ref)
                    except ray.exceptions.RayError as e:
                        msg = str(e).strip().splitlines()[0] if str(e).strip() else ""
                        result = TaskLost(item, f"{type(e).__name__} after {self.max_retries} "
                                                f"retries: {msg[:300]}")
                    yield result
        finally:
            for ref in pending:
                ray.cancel(ref, force=True)

    def close(self) -> None:
        """Disconnect (and stop the local instance) if this executor started Ray."""
        if self._own and self._ray.is_initialized():
            self._ray.shutdown()

    def __enter__(self) -> RayExecutor:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class RayShared:
    """Handle to a value in Ray's object store; ``get()`` on a worker fetches it."""

    def __init__(self, ref: Any) -> None:
        self.ref = ref

    def get(self) -> Any:
        """The shared value (fetched from the object store, local copy when on one node)."""
        import ray

        return ray.get(self.ref)
