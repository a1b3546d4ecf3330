import pytest
import torch

from qaug._io import (
    CheckpointError,
    load_checkpoint,
    prepare_output_dir,
    read_json,
    run_info,
    save_checkpoint,
    write_json,
)


def test_output_dir_refuses_results_unless_told(tmp_path):
    out = prepare_output_dir(tmp_path / "run")
    write_json(out / "metrics.json", {"a": 1})
    with pytest.raises(FileExistsError, match=r"already holds results \(metrics.json\); pass --overwrite"):
        prepare_output_dir(out)
    with pytest.raises(FileExistsError, match="--resume to continue"):
        prepare_output_dir(out, resumable=True)
    assert read_json(out / "metrics.json") == {"a": 1}  # refusing never deletes
    (out / "notes.txt").write_text("mine")
    assert prepare_output_dir(out, overwrite=True) == out
    assert not (out / "metrics.json").exists()  # what qaug wrote is replaced...
    assert (out / "notes.txt").read_text() == "mine"  # ...the user's own files stay
    (tmp_path / "file").write_text("x")
    with pytest.raises(ValueError, match="is not a folder"):
        prepare_output_dir(tmp_path / "file")


def test_write_json_converts_tensors_and_nan(tmp_path):
    write_json(tmp_path / "m.json", {"t": torch.tensor([1.0, 2.0]), "nan": float("nan"), 3: (1, 2)})
    assert read_json(tmp_path / "m.json") == {"t": [1.0, 2.0], "nan": None, "3": [1, 2]}
    assert not list(tmp_path.glob(".*tmp"))  # atomic write leaves no temp file


def test_checkpoint_round_trip_and_checks(tmp_path):
    path = save_checkpoint(tmp_path / "c.pt", {"kind": "classifier", "config": {"a": 1}, "w": torch.ones(2)})
    assert torch.equal(load_checkpoint(path, kind="classifier", config={"a": 1})["w"], torch.ones(2))
    with pytest.raises(CheckpointError, match="holds a 'classifier', but a 'class_generators'"):
        load_checkpoint(path, kind="class_generators")
    with pytest.raises(CheckpointError, match=r"different config \(keys differing: \['a'\]\)"):
        load_checkpoint(path, config={"a": 2})
    truncated = tmp_path / "t.pt"
    truncated.write_bytes(path.read_bytes()[:50])
    with pytest.raises(CheckpointError, match="truncated or not a qaug checkpoint"):
        load_checkpoint(truncated)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_checkpoint(tmp_path / "missing.pt")
    with pytest.raises(ValueError, match="needs 'kind' and 'config'"):
        save_checkpoint(tmp_path / "x.pt", {"w": 1})


def test_run_info_records_provenance():
    info = run_info(seed=3, argv=["qaug", "demo"])
    assert info["seed"] == 3 and info["argv"] == ["qaug", "demo"]
    assert "torch" in info["versions"] and info["python"].count(".") == 2


def test_run_info_records_whether_the_circuits_ran_compiled(monkeypatch):
    from qaug.quantum import _jit

    for enabled in (True, False):
        monkeypatch.setattr(_jit, "JIT_ENABLED", enabled)
        assert run_info()["compiled_circuits"] is enabled


def test_run_info_records_which_cpu_kernels_torch_ran(monkeypatch):
    import torch

    monkeypatch.delenv("ONEDNN_MAX_CPU_ISA", raising=False)
    monkeypatch.delenv("DNNL_MAX_CPU_ISA", raising=False)
    kernels = run_info()["cpu_kernels"]
    assert kernels == {"torch_cpu_capability": torch.backends.cpu.get_cpu_capability(),
                       "onednn_max_cpu_isa": "default"}
    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", "AVX2")
    assert run_info()["cpu_kernels"]["onednn_max_cpu_isa"] == "AVX2"


def test_json_and_checkpoints_get_the_umask_like_other_files(tmp_path):
    import os

    from qaug._io import save_checkpoint, write_json

    old = os.umask(0o022)
    try:
        write_json(tmp_path / "a.json", {"x": 1})
        save_checkpoint(tmp_path / "c.pt", {"kind": "k", "config": {}})
        (tmp_path / "plain.txt").write_text("x")
        modes = {p.name: p.stat().st_mode & 0o777 for p in tmp_path.iterdir()}
        assert modes == {"a.json": 0o644, "c.pt": 0o644, "plain.txt": 0o644}
        os.umask(0o077)
        write_json(tmp_path / "b.json", {})
        assert (tmp_path / "b.json").stat().st_mode & 0o777 == 0o600
    finally:
        os.umask(old)
