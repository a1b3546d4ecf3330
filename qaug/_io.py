"""Output folders, run records and checkpoints shared by every stage.

Rules: nothing already written is silently overwritten (an output folder holding results
is refused unless ``overwrite=True``); files are written atomically (temp file + rename),
so an interrupted run never leaves a half-written checkpoint behind.
"""

from __future__ import annotations

import json
import os
import pickle
import platform
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Any

import torch

from qaug import _outputs

__all__ = [
    "prepare_output_dir",
    "clear_outputs",
    "write_json",
    "read_json",
    "run_info",
    "save_checkpoint",
    "load_checkpoint",
    "CheckpointError",
]

RESULT_MARKERS = ("metrics.json", "run.json", "checkpoint.pt", "results.json", "summary.json")


class CheckpointError(ValueError):
    """A checkpoint that cannot be used: truncated, of another kind, or of another config."""


def prepare_output_dir(
    path: str | Path, overwrite: bool = False, resume: bool = False, *, resumable: bool = False
) -> Path:
    """Create ``path`` for a run's outputs, refusing to clobber existing results.

    A folder that already holds results (any of ``RESULT_MARKERS`` or ``*.pt``) is refused
    unless ``overwrite`` (files are then replaced as the run writes them) or ``resume``.
    ``resumable`` only says whether the error message offers ``--resume``.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise ValueError(
            f"output path {str(path)!r} exists and is not a folder; choose another --out."
        )
    found = []
    if path.is_dir():
        found = [m for m in RESULT_MARKERS if (path / m).exists()] + [
            p.name for p in path.glob("*.pt")
        ]
    if found and not (overwrite or resume):
        raise FileExistsError(
            f"output folder {str(path)!r} already holds results ({', '.join(sorted(set(found)))}); "
            + ("pass --overwrite to replace them, --resume to continue, or choose a new --out."
               if resumable else "pass --overwrite to replace them, or choose a new --out.")
        )
    if overwrite and not resume and path.is_dir():
        clear_outputs(path, found)
    created = not path.exists()
    path.mkdir(parents=True, exist_ok=True)
    _outputs.open_session(path, created=created, resumable=resumable)
    return path


def clear_outputs(path: str | Path, found: list[str] | None = None) -> list[str]:
    """``--overwrite``: delete the files qaug recorded in ``path``'s manifest, nothing else.

    Raises:
        FileExistsError: the folder holds results but no manifest (written by a qaug that did
            not record its outputs), so qaug cannot tell its files from the user's.
    """
    path = Path(path)
    if not (path / _outputs.MANIFEST).is_file():
        if found:
            raise FileExistsError(
                f"output folder {str(path)!r} holds results ({', '.join(sorted(set(found)))}) "
                f"but no {_outputs.MANIFEST} listing which files qaug wrote (an older qaug), so "
                "--overwrite cannot tell them from your own files; delete them yourself or "
                "choose a new --out."
            )
        return []
    return _outputs.remove_recorded(path)


def _umask() -> int:
    """The process umask, read without changing it where /proc allows (else set and reset)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _atomic_write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        # mkstemp makes the file 0600; give it the mode a plain open() would (the user's umask).
        os.chmod(tmp, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
        _outputs.record(path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, torch.Tensor):
        return obj.detach().cpu().tolist()
    if hasattr(obj, "tolist"):  # numpy arrays and scalars
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, float) and obj != obj:
        return None
    return obj


def write_json(path: str | Path, obj: Any) -> Path:
    """Write ``obj`` as indented JSON (tensors/arrays become lists, NaN becomes null), atomically."""
    path = Path(path)
    _atomic_write_bytes(
        path, (json.dumps(_jsonable(obj), indent=2, sort_keys=False) + "\n").encode()
    )
    return path


def read_json(path: str | Path) -> Any:
    """Read a JSON file."""
    return json.loads(Path(path).read_text())


def _git_commit() -> str | None:
    try:
        root = Path(__file__).resolve().parent.parent
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=5
        )
        if out.returncode != 0:
            return None
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=5,
        ).stdout.strip()
        return out.stdout.strip() + ("-dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return None


def cpu_kernels() -> dict:
    """Which CPU kernels torch runs on this machine (part of every run's provenance).

    torch picks its vectorised kernels (``torch_cpu_capability``) and oneDNN its convolution
    kernels (``onednn_max_cpu_isa``: the ``ONEDNN_MAX_CPU_ISA`` setting, "default" for the
    CPU's best) per CPU; float32 results of the two differ in the last bits, and a near tie
    downstream (a sample on the acceptance threshold) can then move a run. The committed
    ``docs/results/paper`` was made with AVX2 kernels: on an AVX-512 machine,
    ``ONEDNN_MAX_CPU_ISA=AVX2`` reproduces all 144 of its rows bit for bit (2 differ without).
    """
    isa = os.environ.get("ONEDNN_MAX_CPU_ISA") or os.environ.get("DNNL_MAX_CPU_ISA") or "default"
    return {"torch_cpu_capability": torch.backends.cpu.get_cpu_capability(),
            "onednn_max_cpu_isa": isa}


def run_info(seed: int | None = None, argv: list[str] | None = None) -> dict:
    """Provenance of a run: command line, seed, versions, git commit, platform, CPU kernels."""
    import importlib.metadata as md

    from qaug.quantum import _jit

    versions = {}
    for pkg in (
        "qaug",
        "torch",
        "numpy",
        "scipy",
        "scikit-learn",
        "mlxtend",
        "pennylane",
        "numba",
    ):
        try:
            versions[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            pass
    return {
        "argv": list(sys.argv if argv is None else argv),
        "seed": seed,
        "versions": versions,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "git_commit": _git_commit(),
        "torch_threads": torch.get_num_threads(),
        "compiled_circuits": _jit.JIT_ENABLED,  # small circuits as compiled loops (QAUG_JIT=0: no)
        "cpu_kernels": cpu_kernels(),
    }


def save_checkpoint(path: str | Path, payload: dict) -> Path:
    """Atomically save a checkpoint dict; it must carry ``kind`` (e.g. "classifier") and ``config``."""
    if "kind" not in payload or "config" not in payload:
        raise ValueError("a checkpoint payload needs 'kind' and 'config' entries.")
    import io

    buf = io.BytesIO()
    torch.save(payload, buf)
    path = Path(path)
    _atomic_write_bytes(path, buf.getvalue())
    return path


def load_checkpoint(
    path: str | Path, kind: str | tuple[str, ...] | None = None, config: dict | None = None
) -> dict:
    """Load a checkpoint, checking it is whole, of the expected ``kind`` and (optionally) ``config``.

    Raises:
        FileNotFoundError: no file at ``path``.
        CheckpointError: truncated/unreadable file, another kind, or a different config.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint {str(path)!r} does not exist; check the path.")
    try:
        with warnings.catch_warnings():
            # A foreign pickle protocol only warns before the refusal below.
            warnings.simplefilter("ignore", UserWarning)
            # weights_only: tensors, numbers, strings and containers only; a file that
            # would construct any other object (and so could run code) is refused.
            payload = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as e:
        if "weights only" not in str(e).lower():
            raise CheckpointError(
                f"checkpoint {str(path)!r} cannot be read (UnpicklingError: {e}); the file is "
                "truncated or not a qaug checkpoint. Use an earlier checkpoint or retrain."
            ) from None
        raise CheckpointError(
            f"checkpoint {str(path)!r} was refused: it holds objects other than tensors and "
            "plain data, which could run code when loaded, so it was not written by qaug. "
            "Nothing in it was executed. Use a checkpoint written by qaug, or retrain."
        ) from None
    except Exception as e:  # torch raises several types for truncated zip files
        raise CheckpointError(
            f"checkpoint {str(path)!r} cannot be read ({type(e).__name__}: {e}); the file is "
            "truncated or not a qaug checkpoint. Use an earlier checkpoint or retrain."
        ) from None
    if not isinstance(payload, dict) or "kind" not in payload:
        raise CheckpointError(f"{str(path)!r} is not a qaug checkpoint (no 'kind' entry).")
    kinds = (kind,) if isinstance(kind, str) else kind
    if kinds is not None and payload["kind"] not in kinds:
        raise CheckpointError(
            f"checkpoint {str(path)!r} holds a {payload['kind']!r}, but a {' or '.join(kinds)!r} "
            "is needed here; pass a checkpoint written by the matching command."
        )
    if config is not None and payload.get("config") != config:
        saved = payload.get("config") or {}
        diff = sorted(k for k in set(saved) | set(config) if saved.get(k) != config.get(k))
        raise CheckpointError(
            f"checkpoint {str(path)!r} was written with a different config (keys differing: {diff}); "
            "use the same config, or start a new run in a new folder."
        )
    return payload
