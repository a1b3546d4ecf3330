"""Every script in examples/ runs end to end (slow: each trains for real, up to a few minutes)."""

import json
import runpy
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
pytestmark = pytest.mark.slow


def _load(name):
    return runpy.run_path(str(EXAMPLES / name), run_name="example")


def test_quickstart_reports_every_class():
    before, after = _load("quickstart.py")["main"](seeds=(0,), iterations=100)
    assert len(before) == len(after) == 3
    assert all(0.0 <= a <= 1.0 for a in [*before, *after])


def test_own_dataset_keeps_folder_names(tmp_path, capsys):
    results = _load("own_dataset.py")["main"](str(tmp_path))
    out = capsys.readouterr().out
    assert "('eight', 'five', 'three')" in out and "three" in out.splitlines()[-1]
    assert results["cnn"] > 0.8 and results["hqcnn"] > 0.5


def test_custom_circuit_counts_the_pennylane_layer_as_quantum(capsys):
    pytest.importorskip("pennylane")
    accs = _load("custom_circuit.py")["main"](n_train=10, epochs=2)
    assert len(accs) == 2
    assert "'quantum': 24" in capsys.readouterr().out  # StronglyEntanglingLayers: 2 x 4 x 3


def test_noisy_generator_writes_grids_for_every_setting(tmp_path):
    results = _load("noisy_generator.py")["main"](str(tmp_path), iterations=4)
    assert list(results) == ["ideal", "shots=1000,depolarizing=0.01", "shots=100,depolarizing=0.05"]
    assert len(list((tmp_path / "grids").glob("*.png"))) == 3 * 2  # iterations 0 and 4


def test_notebook_cells_run_in_order():
    nb = json.loads((EXAMPLES / "quickstart.ipynb").read_text())
    namespace: dict = {}
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            src = "".join(cell["source"]).replace("iterations=300", "iterations=20")
            src = src.replace("TrainConfig(epochs=30)", "TrainConfig(epochs=2)")
            exec(compile(src, "quickstart.ipynb", "exec"), namespace)  # our own notebook
    assert len(namespace["before"]) == 3


def test_cluster_sweep_matches_the_local_pool(tmp_path):
    pytest.importorskip("ray")
    n_runs, same = _load("cluster_sweep.py")["main"](None, str(tmp_path), seeds=(0,))
    assert n_runs > 0 and same
