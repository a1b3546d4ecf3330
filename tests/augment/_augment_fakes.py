"""Fast fakes for the sampler tests: a template generator bank and a template classifier."""

import numpy as np
import torch
from torch import nn

SIZE = 8
K = 3


def templates(k=K, size=SIZE):
    """Class c: a bright 2-row bar at rows 2c, 2c+1 on a dark background; (k, 1, size, size)."""
    t = torch.full((k, 1, size, size), 0.05)
    for c in range(k):
        t[c, 0, 2 * c : 2 * c + 2, :] = 0.9
    return t


class FakeBank:
    """Duck-typed ClassGenerators: templates plus uniform noise drawn from the passed generator."""

    kind = "fake"

    def __init__(self, labels=(0, 1, 2), image_size=SIZE, noise=0.05):
        self.labels = tuple(labels)
        self.image_size = image_size
        self.noise = noise
        self._t = templates(max(labels) + 1, image_size)
        self.calls = 0

    def generate(self, label, n, generator):
        self.calls += 1
        z = torch.rand(n, 1, self.image_size, self.image_size, generator=generator)
        return (self._t[label].expand(n, -1, -1, -1) + self.noise * (2 * z - 1)).clamp(0, 1)


class TemplateClassifier(nn.Module):
    """logits_c = -scale * ||x - template_c||^2 (+ bias_c); a real module with one parameter."""

    def __init__(self, scale=5.0, bias=None, generator=None):
        super().__init__()
        self.register_buffer("t", templates())
        self.scale = nn.Parameter(torch.tensor(float(scale)))
        self.register_buffer("bias", torch.zeros(K) if bias is None else torch.as_tensor(bias))

    def forward(self, x):
        d = ((x.unsqueeze(1) - self.t.unsqueeze(0)) ** 2).flatten(2).sum(-1)  # (n, k)
        return -self.scale * d + self.bias


def make_data(counts=(12, 12, 6), seed=0, noise=0.05):
    """Template images with noise: x float32 (N, 1, 8, 8), y int64 (N,)."""
    g = torch.Generator().manual_seed(seed)
    t = templates()
    xs, ys = [], []
    for c, n in enumerate(counts):
        z = torch.rand(n, 1, SIZE, SIZE, generator=g)
        xs.append((t[c] + noise * (2 * z - 1)).clamp(0, 1))
        ys.append(torch.full((n,), c, dtype=torch.int64))
    return torch.cat(xs), torch.cat(ys)


def make_weak_val(n=8, wrong_of_2=6, seed=1):
    """A balanced validation split where most class-2 images look like class 0 (a weak class 2)."""
    x, y = make_data((n, n, n), seed=seed)
    idx = np.flatnonzero(y.numpy() == 2)[:wrong_of_2]
    x[idx] = templates()[0]
    return x, y
