"""`qaug export` on checkpoints made by the other commands' --dry-run."""

import math
import runpy

import pytest
import torch

from qaug._io import load_checkpoint
from qaug.cli import main
from qaug.data import DataConfig, load_dataset_from_config
from qaug.models import ClassifierConfig, build_classifier_from_config, to_qasm
from qaug.train import ClassGenerators


@pytest.fixture(scope="module")
def ckpt(tmp_path_factory):
    """Checkpoints: hqcnn, quanv and cnn classifiers; a QGAN bank for classes 0 and 1."""
    root = tmp_path_factory.mktemp("ckpt")
    for model in ("hqcnn", "quanv", "cnn"):
        argv = ["train-classifier", "--dry-run", "--no-progress", "--model", model,
                "--out", str(root / model)]
        assert main(argv) == 0
    argv = ["train-gan", "--dry-run", "--no-progress", "--classes", "0", "1", "--out",
            str(root / "qgan")]
    assert main(argv) == 0
    return {name: root / name / "checkpoint.pt" for name in ("hqcnn", "quanv", "cnn", "qgan")}


def _classifier(path):
    """The checkpoint's model and test split, rebuilt here independently of the CLI."""
    payload = load_checkpoint(path, kind="classifier")
    cfg = ClassifierConfig(**payload["config"]["model"])
    model = build_classifier_from_config(cfg, len(payload["classes"]), 8, None)
    model.load_state_dict(payload["state_dict"])
    run = payload["run_config"]
    data = DataConfig(**{**run["data"], "classes": tuple(run["data"]["classes"])})
    return model.eval(), load_dataset_from_config(data, run["seed"]).test


def _export(path, fmt, out, *extra):
    return main(["export", "--checkpoint", str(path), "--format", fmt, "--out", str(out), *extra])


def _without_notes(text):
    """The exported QASM lines without the provenance comments the CLI adds after line 2."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("// qaug export of"))
    assert all(line.startswith("// ") for line in lines[2:start])
    return lines[:2] + lines[start:]


def test_qasm_of_classifier_is_to_qasm_of_the_front_end_angles(ckpt, tmp_path):
    out = tmp_path / "hqcnn.qasm"
    assert _export(ckpt["hqcnn"], "qasm", out, "--sample-index", "2") == 0
    model, test = _classifier(ckpt["hqcnn"])
    with torch.no_grad():
        angles = model.front(test.x[2:3])  # (1, n_qubits)
    lines = out.read_text().splitlines()
    assert lines[2].startswith("// checkpoint:") and "test image 2" in lines[3]
    assert _without_notes(out.read_text()) == to_qasm(model.body, angles).splitlines()


def test_qasm_of_qgan_needs_class_and_sub_generator(ckpt, tmp_path, capsys):
    out = tmp_path / "qgan.qasm"
    assert _export(ckpt["qgan"], "qasm", out, "--sub-generator", "1") == 2
    assert "generators for classes [0, 1]; pick one with --class C" in capsys.readouterr().err
    assert _export(ckpt["qgan"], "qasm", out, "--class", "1") == 2
    assert "pass --sub-generator 0..3" in capsys.readouterr().err
    assert _export(ckpt["qgan"], "qasm", out, "--class", "1", "--sub-generator", "1") == 0
    G = ClassGenerators.load(ckpt["qgan"]).generator_for(1)
    from qaug._seed import make_generator

    z = G.sample_latent(1, make_generator(0, "export"))
    assert _without_notes(out.read_text()) == to_qasm(G.patches, z, sub_generator=1).splitlines()


def _reference(name, ckpt):
    """(layer, x) of each checkpoint as the export should pick them, computed independently."""
    if name == "qgan":
        from qaug._seed import make_generator

        G = ClassGenerators.load(ckpt["qgan"]).generator_for(0)
        return G.patches, G.sample_latent(1, make_generator(5, "export"))[0]
    model, test = _classifier(ckpt[name])
    if name == "quanv":  # the centre 2x2 patch of the 8x8 image (rows 4-5, columns 4-5), RY(pi * pixel)
        return model.quanv, math.pi * test.x[1, 0, 4:6, 4:6].reshape(4)
    with torch.no_grad():
        return model.body, model.front(test.x[1:2])[0]


@pytest.mark.parametrize("name, extra", [
    ("hqcnn", ["--sample-index", "1"]),
    ("quanv", ["--sample-index", "1"]),
    ("qgan", ["--class", "0", "--seed", "5"]),
])
def test_pennylane_script_runs_and_reproduces_the_layer(name, extra, ckpt, tmp_path, capsys):
    pytest.importorskip("pennylane")
    out = tmp_path / f"{name}.py"
    assert _export(ckpt[name], "pennylane", out, *extra) == 0
    layer, x = _reference(name, ckpt)
    ns = runpy.run_path(str(out), run_name="__main__")  # the script checks itself, then prints
    assert "max |layer(X) - EXPECTED|" in capsys.readouterr().out
    torch.testing.assert_close(torch.tensor(ns["X"], dtype=torch.float64), x.double())
    batch = torch.rand(3, layer.n_qubits, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        want = layer(batch).double()
    torch.testing.assert_close(torch.as_tensor(ns["layer"](batch.double().numpy())), want,
                               atol=1e-5, rtol=0)
    imports = [line for line in out.read_text().splitlines() if line.startswith(("import", "from"))]
    assert imports == ["import numpy as np", "import pennylane as qml"]  # standalone


def test_pennylane_script_of_one_sub_generator(ckpt, tmp_path):
    pytest.importorskip("pennylane")
    out = tmp_path / "sub.py"
    assert _export(ckpt["qgan"], "pennylane", out, "--class", "1", "--sub-generator", "3") == 0
    ns = runpy.run_path(str(out))
    assert len(ns["CIRCUITS"]) == 1 and len(ns["EXPECTED"]) == 16
    G = ClassGenerators.load(ckpt["qgan"]).generator_for(1)
    with torch.no_grad():
        want = G.patches(torch.tensor([ns["X"]]).float())[0, 48:]
    torch.testing.assert_close(torch.tensor(ns["layer"](ns["X"])).float(), want, atol=1e-5,
                               rtol=0)


def test_existing_file_needs_overwrite(ckpt, tmp_path, capsys):
    out = tmp_path / "c.qasm"
    out.write_text("keep me")
    assert _export(ckpt["hqcnn"], "qasm", out) == 2
    assert "exists; pass --overwrite" in capsys.readouterr().err
    assert out.read_text() == "keep me"
    assert _export(ckpt["hqcnn"], "qasm", out, "--overwrite") == 0
    assert out.read_text().startswith("OPENQASM 2.0;")


@pytest.mark.parametrize("name, extra, message", [
    ("cnn", [], "'cnn' classifier) has no quantum layer"),
    ("hqcnn", ["--sample-index", "99"], "--sample-index must be between 0 and 14"),
    ("hqcnn", ["--sample-index", "-1"], "--sample-index must be >= 0; got -1"),
    ("hqcnn", ["--sub-generator", "0"], "--sub-generator is for generator banks of the quantum"),
    ("hqcnn", ["--class", "1"], "--class is for generator banks"),
    ("hqcnn", ["--patch-index", "1"], "--patch-index is for 'quanv' classifiers"),
    ("quanv", ["--patch-index", "16"], "--patch-index must be between 0 and 15"),
    ("qgan", ["--class", "2"], "--class 2: this generator bank has generators for classes [0, 1]"),
    ("qgan", ["--class", "0", "--sample-index", "1"], "--sample-index is for classifier"),
    ("qgan", ["--class", "0", "--sub-generator", "4"], "--sub-generator must be between 0 and 3"),
])
def test_bad_input_is_refused_with_a_clear_error(name, extra, message, ckpt, tmp_path, capsys):
    out = tmp_path / "x.qasm"
    assert _export(ckpt[name], "qasm", out, *extra) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_missing_checkpoint_and_unknown_format(tmp_path, capsys):
    assert _export(tmp_path / "nope.pt", "qasm", tmp_path / "x.qasm") == 2
    assert "does not exist" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        _export(tmp_path / "nope.pt", "qiskit", tmp_path / "x.qasm")
    assert "invalid choice" in capsys.readouterr().err


def test_diagram_of_classifier_lists_every_qasm_gate(ckpt, tmp_path, capsys):
    out = tmp_path / "hqcnn.txt"
    assert _export(ckpt["hqcnn"], "diagram", out, "--sample-index", "2") == 0
    printed = capsys.readouterr().out
    text = out.read_text()
    assert text.splitlines()[-1] in printed
    model, test = _classifier(ckpt["hqcnn"])
    with torch.no_grad():
        angles = model.front(test.x[2:3])
    qasm = to_qasm(model.body, angles)
    n_rot = sum(line.startswith(("ry(", "rz(")) for line in qasm.splitlines())
    n_cx = sum(line.startswith("cx ") for line in qasm.splitlines())
    wires = [line for line in text.splitlines() if not line.startswith("#")]
    assert len(wires) == model.body.n_qubits
    assert sum(w.count("RY(") + w.count("RZ(") for w in wires) == n_rot
    assert sum(w.count("X") for w in wires) == n_cx  # one target mark per CNOT


def test_diagram_of_qgan_shows_each_sub_generator(ckpt, tmp_path):
    out = tmp_path / "qgan.txt"
    assert _export(ckpt["qgan"], "diagram", out, "--class", "0") == 0
    text = out.read_text()
    assert [f"sub-generator {g}:" in text for g in range(4)] == [True] * 4
