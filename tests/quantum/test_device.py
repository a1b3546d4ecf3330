"""Device parity: the engine and both circuits on ``--device`` (CPU default) match the CPU."""

import torch

from qaug import quantum as q


def test_gates_and_measurements_on_device(device):
    angles = torch.rand(3, 4, generator=torch.Generator().manual_seed(0), dtype=torch.float64)

    def run(dev):
        s = q.ry_product_state(angles.to(dev))
        s = q.cz(q.cnot(q.rx(s, angles[:, 0].to(dev), 2), 2, 0), 1, 3)
        s = q.apply_matrix(s, torch.eye(4, dtype=s.dtype, device=dev)[[1, 0, 3, 2]], [3, 1])
        p = q.probabilities(s)
        return q.expval_z(s).cpu(), q.marginal_probabilities(p, 4, [2, 0]).cpu()

    for a, b in zip(run(device), run(torch.device("cpu"))):
        torch.testing.assert_close(a, b)
    assert q.zero_state(2, 3, device=device).device.type == device.type


def test_circuits_on_device(device):
    g = torch.Generator().manual_seed(1)
    x, w = torch.rand(5, 4, generator=g), torch.rand(3, 4, 2, generator=g)
    z, wp = torch.rand(5, 5, generator=g), torch.rand(2, 3, 5, generator=g)
    for fused in (True, False):
        out = q.vqc_expvals(x.to(device), w.to(device), fused=fused)
        assert out.device.type == device.type
        torch.testing.assert_close(out.cpu(), q.vqc_expvals(x, w), atol=1e-5, rtol=0)
        out = q.patch_generator_patches(z.to(device), wp.to(device), fused=fused)
        torch.testing.assert_close(out.cpu(), q.patch_generator_patches(z, wp), atol=1e-5, rtol=0)
