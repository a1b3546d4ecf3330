"""`qaug export` of every quantum generator kind: the PennyLane script and the QASM program
(read by Qiskit) reproduce qaug's own circuits for the exported latent input."""

import runpy

import numpy as np
import pytest
import torch

from qaug._commands._export_run import load_target, write_export
from qaug._registry import QUANTUM_GENERATOR_KINDS
from qaug._seed import make_generator
from qaug.cli import main
from qaug.train import ClassGenerators

CLASSICAL = ("gan", "dcgan", "upconv", "latent_mlp")


@pytest.fixture(scope="module")
def banks(tmp_path_factory):
    """Generator banks of every kind, classes 0 and 1 (quantum) or 0 (classical), --dry-run."""
    root = tmp_path_factory.mktemp("banks")
    for kind in (*QUANTUM_GENERATOR_KINDS, *CLASSICAL):
        classes = ["0", "1"] if kind in QUANTUM_GENERATOR_KINDS else ["0"]
        argv = ["train-gan", "--dry-run", "--no-progress", "--generator", kind, "--classes",
                *classes, "--out", str(root / kind)]
        assert main(argv) == 0
    return {kind: root / kind / "checkpoint.pt" for kind in (*QUANTUM_GENERATOR_KINDS, *CLASSICAL)}


def _export(path, fmt, out, *extra):
    return main(["export", "--checkpoint", str(path), "--format", fmt, "--out", str(out), *extra])


def _reference(path, kind, class_id, seed):
    """(circuits, x): the generator's circuits and their input for the export's latent, rebuilt
    here from the bank, independently of the export code."""
    G = ClassGenerators.load(path).generator_for(class_id)  # classes 0, 1: label = class id
    circuits = G.patches if kind == "qgan" else G.circuits
    z = G.sample_latent(1, make_generator(seed, "export"))[0]  # (n_qubits,)
    if kind == "mosaiq":  # MosaiQGenerator.coefficients: angles U[0, noise_high)
        z = z * G.noise_high.to(z.dtype)
    return circuits, z


def _qaug_output(circuits, x):
    """qaug's circuit output in float64, flattened per sample: (batch, n) -> (batch, n_outputs)."""
    with torch.no_grad():
        return circuits.double()(x.double()).reshape(len(x), -1)


@pytest.mark.parametrize("kind", QUANTUM_GENERATOR_KINDS)
def test_pennylane_script_of_every_quantum_kind_reproduces_its_circuits(kind, banks, tmp_path,
                                                                         capsys):
    pytest.importorskip("pennylane")
    out = tmp_path / f"{kind}.py"
    assert _export(banks[kind], "pennylane", out, "--class", "1", "--seed", "3") == 0
    circuits, x = _reference(banks[kind], kind, 1, 3)
    ns = runpy.run_path(str(out), run_name="__main__")  # the script checks itself, then prints
    assert "max |layer(X) - EXPECTED|" in capsys.readouterr().out
    torch.testing.assert_close(torch.tensor(ns["X"], dtype=torch.float64), x.double())
    want = _qaug_output(circuits, x[None])[0]
    torch.testing.assert_close(torch.tensor(ns["EXPECTED"], dtype=torch.float64), want, atol=1e-12, rtol=0)
    torch.testing.assert_close(torch.as_tensor(ns["layer"](ns["X"])), want, atol=1e-5, rtol=0)
    batch = torch.rand(3, circuits.n_qubits, generator=torch.Generator().manual_seed(0)) * 3
    torch.testing.assert_close(torch.as_tensor(ns["layer"](batch.double().numpy())),
                               _qaug_output(circuits, batch), atol=1e-5, rtol=0)
    assert len(ns["CIRCUITS"]) == circuits.n_generators
    text = out.read_text()
    imports = [line for line in text.splitlines() if line.startswith(("import", "from"))]
    assert imports == ["import numpy as np", "import pennylane as qml"]  # standalone
    assert "input: latent z = G.sample_latent(1, make_generator(3, 'export'))" in text
    assert "after the circuits (not exported):" in text
    assert ("z * G.noise_high" in text) == (kind == "mosaiq")


@pytest.mark.parametrize("kind", QUANTUM_GENERATOR_KINDS)
def test_pennylane_script_of_one_sub_generator(kind, banks, tmp_path):
    pytest.importorskip("pennylane")
    out = tmp_path / f"{kind}.py"
    assert _export(banks[kind], "pennylane", out, "--class", "0", "--sub-generator", "1") == 0
    circuits, x = _reference(banks[kind], kind, 0, 0)
    ns = runpy.run_path(str(out))
    width = len(ns["EXPECTED"])
    assert len(ns["CIRCUITS"]) == 1 and width * circuits.n_generators == len(
        _qaug_output(circuits, x[None])[0])
    want = _qaug_output(circuits, x[None])[0, width: 2 * width]
    torch.testing.assert_close(torch.as_tensor(ns["layer"](ns["X"])), want, atol=1e-5, rtol=0)


def _qiskit_probabilities(text):
    """Run an OpenQASM 2.0 program in Qiskit: probabilities in qaug's order (wire 0 = MSB)."""
    qasm2 = pytest.importorskip("qiskit.qasm2")
    from qiskit.quantum_info import Statevector

    qc = qasm2.loads(text).remove_final_measurements(inplace=False)
    n = qc.num_qubits
    probs = np.asarray(Statevector(qc).probabilities())  # little-endian: q[0] is the last bit
    return torch.tensor(probs.reshape((2,) * n).transpose(*range(n - 1, -1, -1)).reshape(-1))


@pytest.mark.parametrize("kind", QUANTUM_GENERATOR_KINDS)
def test_qasm_of_every_quantum_kind_runs_in_qiskit_and_matches_qaug(kind, banks, tmp_path,
                                                                     capsys):
    out = tmp_path / f"{kind}.qasm"
    assert _export(banks[kind], "qasm", out, "--class", "0", "--seed", "2") == 2  # several circuits
    err = capsys.readouterr().err
    assert "one QASM program holds one circuit; pass --sub-generator 0.." in err
    circuits, x = _reference(banks[kind], kind, 0, 2)
    want = _qaug_output(circuits, x[None])[0]  # (n_generators * width,)
    width = len(want) // circuits.n_generators
    n, k = circuits.n_qubits, getattr(circuits, "n_ancillas", 0)
    for g in sorted({0, circuits.n_generators - 1}):
        assert _export(banks[kind], "qasm", out, "--class", "0", "--seed", "2", "--sub-generator",
                       str(g), "--overwrite") == 0
        probs = _qiskit_probabilities(out.read_text())  # (2**n,)
        if kind == "pqwgan":  # the statevector itself, against qaug's engine
            from qaug.quantum import pqwgan_probabilities

            engine = pqwgan_probabilities(x[None].double(), circuits.weights.double())[g, 0]
            torch.testing.assert_close(probs, engine.detach(), atol=1e-10, rtol=0)
        if kind in ("qgan", "pqwgan"):  # post-select the ancillas, normalise, keep the patch
            kept = probs[: 2 ** (n - k)]
            got = (kept / kept.max())[:width]
        else:  # <Z_i> (MosaiQ: <X_i> through the final H layer)
            bits = (torch.arange(2 ** n)[:, None] >> torch.arange(n - 1, -1, -1)) & 1  # (2**n, n)
            got = probs @ (1 - 2 * bits).double()
        torch.testing.assert_close(got, want[g * width: (g + 1) * width], atol=1e-5, rtol=0)


@pytest.mark.parametrize("kind", ["pqwgan", "mosaiq", "latent"])
def test_diagram_of_every_quantum_generator_kind(kind, banks, tmp_path):
    out = tmp_path / f"{kind}.txt"
    assert _export(banks[kind], "diagram", out, "--class", "1") == 0
    text = out.read_text()
    _, x = _reference(banks[kind], kind, 1, 0)
    assert "sub-generator 0:" in text and f"0: ─RY({float(x[0]):.2f})" in text


@pytest.mark.parametrize("kind", CLASSICAL)
def test_classical_generator_bank_is_refused_naming_the_quantum_kinds(kind, banks, tmp_path,
                                                                       capsys):
    out = tmp_path / "x.py"
    assert _export(banks[kind], "pennylane", out) == 2
    err = capsys.readouterr().err
    assert f"({kind!r} generator bank; {kind!r} is a classical generator kind)" in err
    assert str(list(QUANTUM_GENERATOR_KINDS)) in err and "qaug train-gan --generator" in err
    assert not out.exists()


def test_unknown_format_and_bad_sub_generator_are_refused(banks, tmp_path, capsys):
    target = load_target(banks["latent"], class_id=0)
    with pytest.raises(ValueError, match=r"--format must be one of \['qasm', 'pennylane', "
                                         r"'diagram'\]; got 'qiskit'"):
        write_export(target, "qiskit", tmp_path / "x.qasm")
    n_gen = target.layer.n_generators
    assert _export(banks["latent"], "qasm", tmp_path / "x.qasm", "--class", "0",
                   "--sub-generator", str(n_gen)) == 2
    assert f"--sub-generator must be between 0 and {n_gen - 1}; got {n_gen}" in capsys.readouterr().err
    assert not (tmp_path / "x.qasm").exists()


def test_script_of_a_layer_under_noise_expects_the_noiseless_circuit(banks):
    from qaug._commands._export_script import pennylane_script
    from qaug.models import noisy
    from qaug.quantum import NoiseModel

    circuits, x = _reference(banks["latent"], "latent", 0, 0)
    ideal = _qaug_output(circuits, x[None])[0]
    with noisy(circuits, NoiseModel(depolarizing=0.2)):
        assert not torch.allclose(_qaug_output(circuits, x[None])[0], ideal)  # noise does act
        ns = {}
        exec(pennylane_script(circuits, x), ns)  # defines X, EXPECTED, ... (no run as __main__)
    torch.testing.assert_close(torch.tensor(ns["EXPECTED"], dtype=torch.float64), ideal,
                               atol=1e-12, rtol=0)
