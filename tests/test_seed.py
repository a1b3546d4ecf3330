import numpy as np
import pytest
import torch

from qaug._seed import child_seed, make_generator, numpy_rng


def test_child_seeds_are_stable_distinct_and_in_range():
    assert child_seed(0, "split") == child_seed(0, "split")
    seeds = {child_seed(s, name, c) for s in range(3) for name in ("split", "init") for c in range(3)}
    assert len(seeds) == 18
    assert all(0 <= s < 2**63 for s in seeds)
    assert child_seed(7) == 7


def test_generators_repeat_and_differ():
    a = torch.rand(4, generator=make_generator(1, "gan", 2))
    b = torch.rand(4, generator=make_generator(1, "gan", 2))
    c = torch.rand(4, generator=make_generator(1, "gan", 3))
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert make_generator(0).device.type == "cpu"
    assert numpy_rng(0, "x").integers(1 << 30) == numpy_rng(0, "x").integers(1 << 30)


def test_global_rng_untouched():
    state = torch.get_rng_state()
    np_state = np.random.get_state()[1].copy()
    torch.rand(3, generator=make_generator(0, "init"))
    assert torch.equal(state, torch.get_rng_state())
    assert np.array_equal(np_state, np.random.get_state()[1])


@pytest.mark.parametrize("bad", [1.5, "0", True, None])
def test_exception_seed_type(bad):
    with pytest.raises(TypeError, match="seed must be an int"):
        child_seed(bad, "x")
