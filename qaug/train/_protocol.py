"""One evaluation protocol for the samples of a per-class generator bank.

Every generator kind is scored the same way, against real images that are *not* the
generator's training images, with fixed sample counts:

- a **reference** set of real images (labels ``0..k-1``) trains the small CNN of
  :class:`qaug.train.FeatureExtractor`: its features define feature FID/KID and the k-NN
  manifolds of precision/recall, its head is the reference classifier;
- a **held-out** set of real images (``n_real`` per class) is what every distance compares the
  generated images (``n_samples`` per class) with, and the test set of train-on-generated.

Per class (then averaged over classes): pixel Frechet distance (``pixel_fd``), MMD-RBF on
pixels (``mmd``), feature FID and KID (``fid``, ``kid``), precision/recall on features (k = 3),
reference-classifier accuracy and confidence, and the diversity ratio (mean pairwise distance of
generated over held-out images). Pooled over classes: NDB/JSD on pixels (50 k-means bins fitted
on the held-out images) and train-on-generated / test-on-real accuracy (``tstr_accuracy``: the
feature CNN's architecture trained from scratch on the generated images of all classes, a fixed
number of epochs, no model selection, tested on the held-out images).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import torch
import torch.nn.functional as F

from qaug._seed import child_seed, make_generator
from qaug.train._kernels import LeanAdam
from qaug.train._metrics import frechet_distance, mmd_rbf, ndb_jsd, precision_recall
from qaug.train._quality import FeatureExtractor, _check_xy, _FeatureNet, diversity, fid, kid

__all__ = ["SampleProtocol", "PROTOCOL_METRICS", "train_small_classifier"]

# Metric names of ``SampleProtocol.score`` and whether higher is better.
PROTOCOL_METRICS = {
    "pixel_fd": False, "mmd": False, "fid": False, "kid": False, "precision": True,
    "recall": True, "ndb_ratio": False, "jsd": False, "accuracy": True, "confidence": True,
    "diversity_ratio": True, "tstr_accuracy": True,
}


def train_small_classifier(x: torch.Tensor, y: torch.Tensor, n_classes: int, *, seed: int,
                           epochs: int = 20, batch_size: int = 64, lr: float = 3e-3):
    """Train the feature CNN's architecture as a plain classifier (Adam, cross-entropy).

    A fixed number of epochs and no validation, so nothing is selected on any real data.
    Returns a function ``x (n, 1, H, W) -> predicted labels (n,)``.
    """
    g = make_generator(seed, "protocol", "classifier")
    net = _FeatureNet(n_classes, 32, g)
    opt = LeanAdam(net.parameters(), lr=lr)
    for _ in range(epochs):
        order = torch.randperm(len(x), generator=g)
        for i in range(0, len(x), batch_size):
            idx = order[i:i + batch_size]
            loss = F.cross_entropy(net.head(net.body(x[idx])), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    net.eval()

    @torch.no_grad()
    def predict(images: torch.Tensor) -> torch.Tensor:
        return net.head(net.body(images.float())).argmax(1)

    return predict


def _per_class(x: torch.Tensor, y: torch.Tensor, n: int, what: str) -> dict[int, torch.Tensor]:
    out = {}
    for label in sorted(int(v) for v in torch.unique(y)):
        xs = x[y == label]
        if len(xs) < n:
            raise ValueError(
                f"{what} has {len(xs)} image(s) of label {label}; the protocol uses {n} per "
                f"class. Give more images or lower the count (n_real / n_samples)."
            )
        out[label] = xs[:n]
    return out


class SampleProtocol:
    """Scores generated images of every class against held-out real images (one protocol).

    Args:
        reference_x, reference_y: real images ``(N, 1, H, W)`` and labels ``0..k-1`` that
            train the feature CNN and reference classifier (not the generators' images).
        heldout_x, heldout_y: real images compared with the generated ones; the first
            ``n_real`` of each class are used.
        seed: seeds the feature CNN, the k-means bins and the train-on-generated classifier.
        n_samples: generated images per class that ``score`` requires (fixed).
        n_real: held-out images per class (fixed).
        k: neighbourhood size of precision/recall; n_bins: NDB bins.
        extractor_epochs, tstr_epochs: training epochs of the two small CNNs.

    Example:
        >>> x = torch.rand(60, 1, 8, 8); y = torch.arange(60) % 2
        >>> p = SampleProtocol(x, y, x, y, seed=0, n_samples=20, n_real=20, n_bins=5,
        ...                    extractor_epochs=1, tstr_epochs=1)
        >>> round(p.score({0: x[y == 0][:20], 1: x[y == 1][:20]})["precision"], 3)
        1.0
    """

    def __init__(self, reference_x, reference_y, heldout_x, heldout_y, *, seed: int,
                 n_samples: int = 200, n_real: int = 200, k: int = 3, n_bins: int = 50,
                 extractor_epochs: int = 40, tstr_epochs: int = 20):
        for name, v in (("n_samples", n_samples), ("n_real", n_real)):
            if isinstance(v, bool) or not isinstance(v, int) or v <= k:
                raise ValueError(f"{name} must be an integer > k = {k}; got {v!r}.")
        ref_x, ref_y = _check_xy(reference_x, reference_y)
        held_x, held_y = _check_xy(heldout_x, heldout_y)
        if ref_x.shape[1:] != held_x.shape[1:]:
            raise ValueError(f"reference and held-out images differ in shape: "
                             f"{tuple(ref_x.shape[1:])} vs {tuple(held_x.shape[1:])}.")
        self.seed, self.n_samples, self.n_real, self.k, self.n_bins = (
            seed, n_samples, n_real, k, n_bins)
        self.tstr_epochs = tstr_epochs
        self.extractor = FeatureExtractor(ref_x, ref_y, seed=child_seed(seed, "protocol"),
                                          epochs=extractor_epochs)
        self.real = _per_class(held_x, held_y, n_real, "the held-out set")
        self.labels = tuple(self.real)
        self._feat = {c: self.extractor.features(x) for c, x in self.real.items()}
        self._div = {c: diversity(x) for c, x in self.real.items()}

    def score(self, samples: Mapping[int, torch.Tensor]) -> dict:
        """All metrics of ``{label: generated images (n_samples, 1, H, W)}`` (every label).

        Returns a flat dict of the class means (``PROTOCOL_METRICS`` keys, plus ``ndb``,
        ``tstr_per_class``) and ``per_class``: ``{label: {metric: value}}``.
        """
        if sorted(samples) != list(self.labels):
            raise ValueError(f"samples must have one entry per label {list(self.labels)}; got "
                             f"{sorted(samples)}.")
        shape = (self.n_samples, *next(iter(self.real.values())).shape[1:])
        per_class = {}
        for c in self.labels:
            fake = torch.as_tensor(samples[c]).detach().float().cpu()
            if tuple(fake.shape) != shape:
                raise ValueError(f"samples of label {c} must have shape {shape}; got "
                                 f"{tuple(fake.shape)}.")
            per_class[c] = self._score_class(c, fake)
        out: dict = {m: float(np.mean([per_class[c][m] for c in self.labels]))
                     for m in per_class[self.labels[0]]}
        real_all = torch.cat([self.real[c] for c in self.labels])
        fake_all = torch.cat([torch.as_tensor(samples[c]).float() for c in self.labels])
        labels_all = torch.cat([torch.full((self.n_samples,), c) for c in self.labels])
        out.update(ndb_jsd(real_all, fake_all, self.n_bins, seed=child_seed(self.seed, "ndb")))
        out.update(self._tstr(fake_all, labels_all))
        out["per_class"] = per_class
        return out

    def _score_class(self, c: int, fake: torch.Tensor) -> dict[str, float]:
        real, f_real = self.real[c], self._feat[c]
        f_fake = self.extractor.features(fake)
        precision, recall = precision_recall(f_real, f_fake, self.k)
        probs = self.extractor.predict_proba(fake)
        return {
            "pixel_fd": frechet_distance(real, fake),
            "mmd": mmd_rbf(real, fake),
            "fid": fid(f_real, f_fake),
            "kid": kid(f_real, f_fake),
            "precision": precision,
            "recall": recall,
            "accuracy": float((probs.argmax(1) == c).double().mean()),
            "confidence": float(probs[:, c].mean()),
            "diversity_ratio": diversity(fake) / self._div[c] if self._div[c] > 0 else 0.0,
        }

    def _tstr(self, x: torch.Tensor, y: torch.Tensor) -> dict:
        predict = train_small_classifier(x, y, max(self.labels) + 1, epochs=self.tstr_epochs,
                                         seed=child_seed(self.seed, "tstr"))
        per = {c: float((predict(self.real[c]) == c).double().mean()) for c in self.labels}
        return {"tstr_accuracy": float(np.mean(list(per.values()))), "tstr_per_class": per}

    def score_bank(self, bank, *, seed: int) -> dict:
        """Draw ``n_samples`` images per class from a ``ClassGenerators`` bank and score them."""
        g = make_generator(seed, "protocol", "samples")
        return self.score({c: bank.generate(c, self.n_samples, g) for c in self.labels})
