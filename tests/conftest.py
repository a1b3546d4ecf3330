import random

import numpy as np
import pytest
import torch

# Tests run on shared 2-core machines: one thread each keeps them predictable.
torch.set_num_threads(1)


def pytest_addoption(parser):
    parser.addoption("--device", default="cpu", help="torch device for device-parametrised tests")


@pytest.fixture
def device(request):
    name = request.config.getoption("--device")
    if name.startswith("cuda") and not torch.cuda.is_available():
        pytest.skip("CUDA not available")
    return torch.device(name)


@pytest.fixture(autouse=True)
def _restore_global_rng():
    """qaug never uses global RNGs; restore them anyway so tests cannot leak state."""
    py, np_state, t = random.getstate(), np.random.get_state(), torch.get_rng_state()
    yield
    random.setstate(py)
    np.random.set_state(np_state)
    torch.set_rng_state(t)


@pytest.fixture
def tmp_out(tmp_path):
    return tmp_path / "out"
