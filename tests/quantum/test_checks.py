import pytest
import torch

import qaug.quantum as q
from qaug.quantum._checks import DEFAULT_MAX_STATE_BYTES


def test_zero_state_above_the_budget_is_refused_before_allocating():
    with pytest.raises(ValueError, match=r"batch 2048 x 1048576 amplitudes.*needs 16 GiB.*"
                                         r"budget of 2 GiB.*set_max_state_bytes"):
        q.zero_state(2048, 20)
    with pytest.raises(ValueError, match="needs 32 GiB"):
        q.zero_state(2048, 20, dtype=torch.complex128)


def test_other_entry_points_check_the_budget(monkeypatch):
    q.set_max_state_bytes(1024)
    try:
        with pytest.raises(ValueError, match="memory budget"):
            q.ry_product_state(torch.zeros(64, 4))  # 64 x 16 x 8 bytes = 8 KiB
        with pytest.raises(ValueError, match="density matrix of batch 2 x 256"):
            q.density_from_state(q.zero_state(2, 4))
        assert q.zero_state(2, 4).shape == (2, 2, 2, 2, 2)  # 256 bytes fit
    finally:
        q.set_max_state_bytes(None)
    assert q.max_state_bytes() == DEFAULT_MAX_STATE_BYTES


def test_budget_from_the_environment(monkeypatch):
    monkeypatch.setenv("QAUG_MAX_STATE_BYTES", "20e9")
    assert q.max_state_bytes() == 20 * 10**9
    monkeypatch.setenv("QAUG_MAX_STATE_BYTES", "lots")
    with pytest.raises(ValueError, match="QAUG_MAX_STATE_BYTES must be a number"):
        q.max_state_bytes()
    with pytest.raises(ValueError, match="positive number of bytes"):
        q.set_max_state_bytes(0)


@pytest.mark.parametrize("n", [0, -3])
def test_non_positive_qubits_are_not_told_to_use_fewer(n):
    with pytest.raises(ValueError, match="at least one qubit") as e:
        q.zero_state(1, n)
    assert "fewer" not in str(e.value)
