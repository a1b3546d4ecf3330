"""The work behind ``qaug export``: find a checkpoint's quantum layer and one input, write the circuit.

Kept apart from ``export.py`` so that building the parser imports none of the stages. The
PennyLane script (``_export_script``), ``to_qasm`` and ``to_diagram`` follow one gate list
(``qaug.models._export_spec``), so the three exports cannot drift apart.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from qaug._commands._export_script import pennylane_script
from qaug._config import config_from_dict
from qaug._io import load_checkpoint
from qaug._registry import EXPORT_FORMATS, QUANTUM_GENERATOR_KINDS
from qaug._seed import make_generator
from qaug.data import DataConfig, load_dataset_from_config
from qaug.models import (
    ClassifierConfig,
    LatentCircuits,
    PatchQuantumGenerator,
    VQCLayer,
    build_classifier_from_config,
    to_diagram,
    to_qasm,
)
from qaug.models._mosaiq import MosaiQCircuits
from qaug.models._pqwgan import PQWGANCircuits
from qaug.train import ClassGenerators

__all__ = ["ExportTarget", "load_target", "write_export", "pennylane_script", "FORMATS"]

FORMATS = EXPORT_FORMATS
# ReuploadingVQCLayer and QuanvCircuit subclass VQCLayer
_QUANTUM = (VQCLayer, PatchQuantumGenerator, PQWGANCircuits, MosaiQCircuits, LatentCircuits)
_GENERATOR_CIRCUITS = _QUANTUM[1:]
# What each generator kind does with its circuits' output (not part of the export).
_AFTER_CIRCUITS = {
    "qgan": "each patch times sigmoid(G.patch_scale) (when patch_scale is on), side by side, is "
            "the image (with post_hidden > 0, G.post maps them to it)",
    "pqwgan": "the patches in order are the image's pixels, row-major",
    "mosaiq": "G.slot_of orders the <X> values as the class's PCA coefficients (scaled to "
              "[-1, 1]); the inverse PCA (G.pca.decode) makes the image",
    "latent": "the <Z> values are mapped onto the fitted code range (G.code_low, G.code_high) and "
              "the frozen decoder (G.decoder) makes the image",
}


@dataclass(frozen=True)
class ExportTarget:
    """A trained quantum layer and the input sample its circuit is written for.

    Attributes:
        layer: the ``VQCLayer`` (or subclass) or ``PatchQuantumGenerator``.
        x: the sample's input angles, float ``(n_qubits,)``.
        notes: provenance lines (checkpoint, model, sample) for the file's header.
    """

    layer: nn.Module
    x: torch.Tensor
    notes: tuple[str, ...]


def _quantum_layer(module: nn.Module, what: str) -> tuple[str, nn.Module]:
    found = [(name, m) for name, m in module.named_modules() if isinstance(m, _QUANTUM)]
    if not found:
        raise ValueError(
            f"{what} has no quantum layer, so there is no circuit to export; pass a checkpoint "
            "of a 'hqcnn', 'reupload' or 'quanv' classifier (qaug train-classifier --model "
            "hqcnn) or a generator bank of a quantum kind "
            f"{list(QUANTUM_GENERATOR_KINDS)} (qaug train-gan --generator pqwgan)."
        )
    return found[0]


def _classifier_target(path: str, payload: dict, sample_index: int | None,
                       patch_index: int | None) -> ExportTarget:
    run = payload["run_config"]
    model_cfg = config_from_dict(ClassifierConfig, payload["config"]["model"])
    data_cfg = config_from_dict(DataConfig, run["data"])
    classes = payload["classes"]
    model = build_classifier_from_config(model_cfg, len(classes), payload["config"]["image_size"],
                                         make_generator(0, "export"))
    model.load_state_dict(payload["state_dict"])
    model.eval()
    name, layer = _quantum_layer(model, f"checkpoint {path!r} ({model_cfg.name!r} classifier)")
    test = load_dataset_from_config(data_cfg, run["seed"]).test
    index = 0 if sample_index is None else sample_index
    if not 0 <= index < len(test.y):
        raise ValueError(f"--sample-index must be between 0 and {len(test.y) - 1} (the test split "
                         f"of this checkpoint's dataset has {len(test.y)} images); got {index}.")
    inputs = []  # what the quantum layer receives: the front end's angles (quanv: patches)
    hook = layer.register_forward_pre_hook(lambda _m, args: inputs.append(args[0].detach()))
    try:
        with torch.no_grad():
            predicted = int(model(test.x[index: index + 1]).argmax(1))
    finally:
        hook.remove()
    angles = inputs[0]  # (1, n_qubits); quanv: (n_patches, 4), one row per 2x2 patch
    notes = [f"checkpoint: {path} ({model_cfg.name} classifier, quantum layer model.{name})",
             f"input: test image {index} of {data_cfg.name!r} (class {classes[int(test.y[index])]}, "
             f"predicted {classes[predicted]})"]
    if len(angles) > 1:
        side = math.isqrt(len(angles))
        patch = (side // 2) * side + side // 2 if patch_index is None else patch_index
        if not 0 <= patch < len(angles):
            raise ValueError(f"--patch-index must be between 0 and {len(angles) - 1} (2x2 patches "
                             f"of the quanvolution, row-major); got {patch}.")
        notes[-1] += f", 2x2 patch {patch} of {len(angles)} (row-major)"
        angles = angles[patch: patch + 1]
    elif patch_index is not None:
        raise ValueError(f"--patch-index is for 'quanv' classifiers; this is a {model_cfg.name!r} "
                         "one. Leave it out.")
    return ExportTarget(layer, angles[0], tuple(notes))


def _generator_target(path: str, payload: dict, class_id: int | None, seed: int) -> ExportTarget:
    bank = ClassGenerators.from_payload(payload, path=path)
    ids = list(bank.classes) if bank.classes else list(range(max(bank.labels) + 1))
    available = [int(ids[label]) for label in bank.labels]
    if class_id is None and len(available) > 1:
        raise ValueError(f"this generator bank has generators for classes {available}; pick one "
                         "with --class C.")
    class_id = available[0] if class_id is None else class_id
    if class_id not in available:
        raise ValueError(f"--class {class_id}: this generator bank has generators for classes "
                         f"{available}.")
    G = bank.generator_for(ids.index(class_id))
    what = f"checkpoint {path!r} ({bank.kind!r} generator bank"
    if bank.kind not in QUANTUM_GENERATOR_KINDS:
        what += f"; {bank.kind!r} is a classical generator kind"
    name, layer = _quantum_layer(G, what + ")")
    z = G.sample_latent(1, make_generator(seed, "export"))  # (1, latent_dim)
    inputs = []  # what the circuits receive (MosaiQ: z scaled by its adaptive noise range)
    hook = layer.register_forward_pre_hook(lambda _m, args: inputs.append(args[0].detach()))
    try:
        with torch.no_grad():
            G(z)
    finally:
        hook.remove()
    notes = [f"checkpoint: {path} ({bank.kind} generator of class {class_id}, quantum layer "
             f"G.{name})",
             f"input: latent z = G.sample_latent(1, make_generator({seed}, 'export')) = "
             f"{[float(v) for v in z[0]]}"]
    if hasattr(G, "noise_high"):
        notes.append(f"circuit angles X = z * G.noise_high (MosaiQ's adaptive latent range, "
                     f"{float(G.noise_high)!r} in this checkpoint; float32 product as in the generator)")
    if bank.kind in _AFTER_CIRCUITS:
        notes.append(f"after the circuits (not exported): {_AFTER_CIRCUITS[bank.kind]}")
    return ExportTarget(layer, inputs[0][0], tuple(notes))


def load_target(checkpoint: str | Path, *, sample_index: int | None = None,
                class_id: int | None = None, seed: int = 0,
                patch_index: int | None = None) -> ExportTarget:
    """Load a classifier or generator-bank checkpoint; return its quantum layer and one input.

    Args:
        checkpoint: ``checkpoint.pt`` of ``qaug train-classifier`` (kind "classifier") or of
            ``qaug train-gan`` (kind "class_generators", or a per-class "gan" checkpoint).
        sample_index: classifiers: the test image (of the checkpoint's dataset and seed) whose
            front-end angles are the input (default 0).
        class_id: banks: the original class id whose generator is exported (needed when the
            bank holds several).
        seed: banks: the latent ``z`` is drawn with ``make_generator(seed, "export")``.
        patch_index: ``quanv`` classifiers: which 2x2 patch (row-major; default the centre one).

    Raises:
        ValueError: no quantum layer (cnn control, classical GANs), or an option that does not
            fit the checkpoint.
    """
    path = str(checkpoint)
    payload = load_checkpoint(path, kind=("classifier", "class_generators", "gan"))
    if payload["kind"] == "classifier":
        if class_id is not None:
            raise ValueError("--class is for generator banks; a classifier checkpoint exports "
                             "the test image --sample-index. Leave --class out.")
        return _classifier_target(path, payload, sample_index, patch_index)
    for flag, value in (("--sample-index", sample_index), ("--patch-index", patch_index)):
        if value is not None:
            raise ValueError(f"{flag} is for classifier checkpoints; a generator bank exports a "
                             "latent drawn from --seed. Leave it out.")
    return _generator_target(path, payload, class_id, seed)


def write_export(target: ExportTarget, fmt: str, out: str | Path, *,
                 sub_generator: int | None = None, overwrite: bool = False) -> Path:
    """Write ``target``'s circuit as OpenQASM 2.0 (``fmt="qasm"``), a PennyLane script or a text diagram.

    Raises:
        FileExistsError: ``out`` exists and ``overwrite`` is False.
        ValueError: an unknown ``fmt`` or a ``sub_generator`` that does not fit the layer.
    """
    if fmt not in FORMATS:
        raise ValueError(f"--format must be one of {list(FORMATS)}; got {fmt!r}.")
    out = Path(out)
    if out.is_dir():
        raise ValueError(f"--out {str(out)!r} is a folder; give a file name such as circuit.qasm.")
    if out.exists() and not overwrite:
        raise FileExistsError(f"{str(out)!r} exists; pass --overwrite to replace it or choose "
                              "another --out.")
    layer = target.layer
    if isinstance(layer, _GENERATOR_CIRCUITS):
        n_gen = layer.n_generators
        if sub_generator is None and fmt == "qasm" and n_gen > 1:
            raise ValueError(f"this generator has {n_gen} sub-generators and one QASM program "
                             f"holds one circuit; pass --sub-generator 0..{n_gen - 1}.")
        if sub_generator is not None and not 0 <= sub_generator < n_gen:
            raise ValueError(f"--sub-generator must be between 0 and {n_gen - 1}; got "
                             f"{sub_generator}.")
    elif sub_generator is not None:
        raise ValueError("--sub-generator is for generator banks of the quantum kinds "
                         f"{list(QUANTUM_GENERATOR_KINDS)}; this checkpoint's layer is a "
                         f"{type(layer).__name__}. Leave it out.")
    if fmt == "qasm":
        lines = to_qasm(layer, target.x, sub_generator=sub_generator).split("\n")
        # provenance comments after the OPENQASM and include lines, which must come first
        text = "\n".join([*lines[:2], *(f"// {note}" for note in target.notes), *lines[2:]])
    elif fmt == "diagram":
        text = "".join(f"# {note}\n" for note in target.notes) + to_diagram(
            layer, target.x, sub_generator=sub_generator)
    else:
        text = pennylane_script(layer, target.x, sub_generator=sub_generator, notes=target.notes)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(text)
    tmp.replace(out)
    return out
