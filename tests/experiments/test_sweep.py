import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from qaug.experiments import LocalExecutor, SweepMismatchError, open_sweep_folder, run_sweep
from qaug.experiments._executor import Executor, TaskLost


@dataclass(frozen=True)
class Fake:
    seed: int
    value: int
    fail: bool = False
    bank: str | None = None


def fake_run(cfg: Fake, cache_dir=None) -> dict:
    """Module level so that worker processes can unpickle it."""
    if cfg.fail:
        raise RuntimeError(f"boom {cfg.value}")
    if cfg.bank is not None:
        assert (Path(cache_dir) / "banks" / cfg.bank / "summary.json").is_file()
    log = Path(cache_dir).parent / "calls.log"
    with log.open("a") as f:
        f.write(f"{cfg.value}\n")
    return {"square": cfg.value ** 2}


def fake_bank(payload, cache_dir=None) -> dict:
    """A bank's files come back to the driver, which writes them (summary.json last)."""
    key, fail = payload
    if fail:
        raise RuntimeError(f"bank {key} diverged")
    return {"bank.pt": key.encode(), "summary.json": json.dumps({"key": key}).encode()}


def key_of(cfg: Fake) -> str:
    return f"k{cfg.value:03d}"


def banks_of(cfg: Fake):
    return [] if cfg.bank is None else [(cfg.bank, (cfg.bank, cfg.bank.endswith("bad")))]


def calls(out: Path) -> list[int]:
    log = out / "calls.log"
    return [int(x) for x in log.read_text().split()] if log.exists() else []


IDENT = {"sweep_hash": "abc", "name": "fake", "config": {}, "seeds": [0]}


def sweep(out, configs, **kw):
    return run_sweep(configs, out, run_fn=fake_run, key_fn=key_of, progress=False, **kw)


def test_sweep_caches_and_resumes(tmp_path):
    out = open_sweep_folder(tmp_path / "s", IDENT)
    configs = [Fake(0, v) for v in range(4)]
    s1 = sweep(out, configs[:2])
    assert (s1.n_done, s1.n_cached, s1.failed) == (2, 0, {})
    s2 = sweep(out, configs)  # "interrupted" after two runs: the rest resumes
    assert (s2.n_done, s2.n_cached) == (2, 2)
    assert sorted(calls(out)) == [0, 1, 2, 3]  # nothing ran twice
    rec = json.loads((out / "runs" / "k003.json").read_text())
    assert rec["metrics"] == {"square": 9} and rec["config"]["value"] == 3
    assert rec["run_info"]["versions"]["torch"]


def test_failed_run_is_recorded_and_retried(tmp_path):
    out = open_sweep_folder(tmp_path / "s", IDENT)
    s = sweep(out, [Fake(0, 1), Fake(0, 2, fail=True), Fake(0, 3)])
    assert s.n_done == 2 and list(s.failed) == ["k002"] and "boom 2" in s.failed["k002"]
    err = json.loads((out / "runs" / "k002.error.json").read_text())
    assert "RuntimeError: boom 2" in err["error"] and "Traceback" in err["traceback"]
    s = sweep(out, [Fake(0, 1), Fake(0, 2), Fake(0, 3)])  # fixed: the failure is retried
    assert s.n_done == 1 and s.n_cached == 2 and not s.failed
    assert not (out / "runs" / "k002.error.json").exists()


def test_banks_train_once_first_and_failures_propagate(tmp_path):
    out = open_sweep_folder(tmp_path / "s", IDENT)
    configs = [Fake(0, 1, bank="b0"), Fake(0, 2, bank="b0"), Fake(0, 3, bank="b1bad"),
               Fake(0, 4)]
    s = sweep(out, configs, banks_fn=banks_of, bank_fn=fake_bank, cost_fn=lambda p: 1.0)
    assert s.n_banks_trained == 1 and list(s.failed_banks) == ["b1bad"]
    assert sorted(calls(out)) == [1, 2, 4]  # the run needing the broken bank never started
    err = json.loads((out / "runs" / "k003.error.json").read_text())
    assert "b1bad" in err["error"]
    assert (out / "cache" / "banks" / "b1bad.error.json").is_file()
    s = sweep(out, configs, banks_fn=banks_of, bank_fn=fake_bank)
    assert s.n_banks_trained == 0 and s.n_cached == 3  # b0 is cached, b1bad fails again


def test_folder_of_another_sweep_is_refused(tmp_path):
    out = open_sweep_folder(tmp_path / "s", IDENT)
    sweep(out, [Fake(0, 1)])
    other = {**IDENT, "sweep_hash": "zzz", "name": "other"}
    with pytest.raises(SweepMismatchError, match="another sweep.*--overwrite"):
        open_sweep_folder(out, other)
    open_sweep_folder(out, IDENT)  # the same sweep reopens (resume)
    open_sweep_folder(out, other, overwrite=True)
    assert not (out / "runs" / "k001.json").exists()
    assert json.loads((out / "sweep.json").read_text())["sweep_hash"] == "zzz"


def test_non_sweep_folder_is_refused(tmp_path):
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="no sweep.json"):
        open_sweep_folder(tmp_path / "x", IDENT)
    (tmp_path / "f").write_text("a file")
    with pytest.raises(ValueError, match="not a folder"):
        open_sweep_folder(tmp_path / "f", IDENT)


def test_local_executor_checks_and_protocol():
    assert isinstance(LocalExecutor(1), Executor)
    with pytest.raises(ValueError, match="jobs must be an integer >= 1"):
        LocalExecutor(0)
    with pytest.raises(ValueError, match="context must be one of"):
        LocalExecutor(2, context="fork")


def test_process_pool_runs_tasks(tmp_path):
    out = open_sweep_folder(tmp_path / "s", IDENT)
    with LocalExecutor(2) as ex:
        s = sweep(out, [Fake(0, v, fail=v == 2) for v in range(3)], executor=ex)
        assert s.n_done == 2 and list(s.failed) == ["k002"]
        assert sorted(calls(out)) == [0, 1]
        assert sorted(ex.map(abs, [-3, 4])) == [3, 4]  # the same pool serves a second map
    assert ex._pool is None


def remote_run(cfg: Fake, cache_dir=None) -> dict:
    """A worker without the driver's disk: banks arrive through its private cache only."""
    bank = Path(cache_dir) / "banks" / cfg.bank
    return {"bank": bank.joinpath("bank.pt").read_text(), "private": "qaug-cache-" in cache_dir}


class RemoteLike:
    """An executor whose workers cannot see the driver's files; it loses the item ``lose``."""

    shares_filesystem = False

    def __init__(self, lose: int | None = None):
        self.lose, self.shared = lose, []

    def share(self, value):
        self.shared.append(value)
        return LocalExecutor(1).share(value)

    def map(self, fn, items):
        for item in items:
            if self.lose is not None and getattr(item.payload, "value", None) == self.lose:
                yield TaskLost(item, "worker died after 0 retries")
            else:
                yield fn(item)


def test_driver_writes_everything_and_ships_each_bank_once(tmp_path):
    out = open_sweep_folder(tmp_path / "s", IDENT)
    configs = [Fake(0, v, bank=f"b{v % 2}") for v in range(5)]
    ex = RemoteLike(lose=3)
    s = run_sweep(configs, out, run_fn=remote_run, key_fn=key_of, banks_fn=banks_of,
                  bank_fn=fake_bank, executor=ex, progress=False)
    assert s.n_banks_trained == 2 and s.n_done == 4 and list(s.failed) == ["k003"]
    assert (out / "cache" / "banks" / "b1" / "bank.pt").read_bytes() == b"b1"
    assert sorted(v["bank.pt"] for v in ex.shared) == [b"b0", b"b1"]  # once per bank
    rec = json.loads((out / "runs" / "k004.json").read_text())
    assert rec["metrics"] == {"bank": "b0", "private": True}
    err = json.loads((out / "runs" / "k003.error.json").read_text())
    assert err["error"].startswith("WorkerLost: worker died") and err["config"]["value"] == 3
    s = run_sweep(configs, out, run_fn=remote_run, key_fn=key_of, banks_fn=banks_of,
                  bank_fn=fake_bank, executor=RemoteLike(), progress=False)
    assert (s.n_done, s.n_cached, s.n_banks_trained) == (1, 4, 0)  # resumed from the cache
    assert not (out / "runs" / "k003.error.json").exists()


class Recording:
    """An in-process executor that records the task keys of each ``map`` call."""

    shares_filesystem = True

    def __init__(self):
        self.calls = []

    def map(self, fn, items):
        items = list(items)
        self.calls.append([item.key for item in items])
        for item in items:
            yield fn(item)


def test_runs_without_banks_start_beside_the_banks(tmp_path):
    out = open_sweep_folder(tmp_path / "s", IDENT)
    configs = [Fake(0, 1, bank="b0"), Fake(0, 2), Fake(0, 3, bank="b1"), Fake(0, 4)]
    ex = Recording()
    s = run_sweep(configs, out, run_fn=fake_run, key_fn=key_of, banks_fn=banks_of,
                  bank_fn=fake_bank, executor=ex, progress=False)
    assert (s.n_banks_trained, s.n_done, s.failed) == (2, 4, {})
    # banks first, then the bank-free runs, in one batch (no idle worker); then the others
    assert ex.calls == [["b0", "b1", "k002", "k004"], ["k001", "k003"]]


def big_run(cfg: Fake, cache_dir=None) -> dict:
    """Touches cfg.value MB in the worker, so its peak memory is known."""
    block = bytearray(cfg.value << 20)
    block[::4096] = b"x" * len(block[::4096])
    return {"n": len(block)}


@pytest.mark.parametrize("context", ["forkserver", "spawn"])
def test_the_summary_sees_the_workers_peak_memory(tmp_path, context):
    import multiprocessing

    if context not in multiprocessing.get_all_start_methods():
        pytest.skip(f"no {context} here")
    out = open_sweep_folder(tmp_path / "s", IDENT)
    with LocalExecutor(2, context=context) as ex:
        s = run_sweep([Fake(0, 400), Fake(1, 10)], out, run_fn=big_run, key_fn=key_of,
                      executor=ex, progress=False)
    assert s.n_done == 2
    assert s.worker_peak_rss_mb >= 400  # the driver itself never held those 400 MB
