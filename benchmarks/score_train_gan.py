"""Score ``qaug train-gan`` output folders with the one protocol (``qaug.train.SampleProtocol``).

Usage::

    qaug train-gan --generator latent --classes 0 1 2 --image-size 28 --seed 0 --out runs/l28
    python benchmarks/score_train_gan.py runs/l28 [more folders ...]

For each folder: rebuild the run's data split (its config.json), take real *test* images the
generators never saw (per class: the first 150 train the protocol's reference CNN, the next 200
are the held-out set), draw 200 samples per class from ``checkpoint.pt`` and print the protocol's
class means and per-class reference accuracy, FID, diversity ratio, precision/recall and
train-on-generated accuracy, beside the iteration train-gan kept (best training-set score) and
its wall time. Writes ``protocol.json`` into the folder. Nothing here selects or tunes anything.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import torch

from qaug.data import load_dataset
from qaug.train import ClassGenerators
from qaug.train._protocol import SampleProtocol

N_REFERENCE, N_HELDOUT = 150, 200


def score(run: Path) -> dict:
    """Protocol scores of one train-gan folder (also written to ``run/protocol.json``)."""
    m = json.loads((run / "metrics.json").read_text())
    cfg = json.loads((run / "config.json").read_text())
    ds = load_dataset(cfg["data"]["name"], tuple(m["classes"]), cfg["data"]["n_train_per_class"],
                      m["image_size"], seed=cfg["seed"])
    tx, ty = ds.test.x, ds.test.y
    ref, held = [], []
    for c in range(len(m["classes"])):
        idx = torch.nonzero(ty == c).flatten()
        if len(idx) < N_REFERENCE + N_HELDOUT:
            raise ValueError(f"class {m['classes'][c]} has {len(idx)} test images; this script "
                             f"needs {N_REFERENCE + N_HELDOUT} (use mnist with 100 train/class).")
        ref.append(idx[:N_REFERENCE])
        held.append(idx[N_REFERENCE:N_REFERENCE + N_HELDOUT])
    ref, held = torch.cat(ref), torch.cat(held)
    protocol = SampleProtocol(tx[ref], ty[ref], tx[held], ty[held], seed=0,
                              n_samples=N_HELDOUT, n_real=N_HELDOUT)
    s = protocol.score_bank(ClassGenerators.load(run / "checkpoint.pt"), seed=0)
    (run / "protocol.json").write_text(json.dumps(s, indent=1, default=float))
    print(f"== {run} ({m['generator']}, {m['image_size']}x{m['image_size']}): generator "
          f"{m['parameters']['generator']}, discriminator {m['parameters']['discriminator']}")
    print(f"   mean: fid {s['fid']:.2f}  precision {s['precision']:.2f}  recall {s['recall']:.2f}  "
          f"ref. accuracy {s['accuracy']:.3f}  diversity {s['diversity_ratio']:.2f}  "
          f"train-on-generated {s['tstr_accuracy']:.3f}")
    for c, r in s["per_class"].items():
        cls = m["classes"][c]
        pc = m["per_class"].get(str(cls), {})
        kept = (pc.get("selected") or {}).get("iteration")
        print(f"   class {cls}: ref. accuracy {r['accuracy']:.3f}  fid {r['fid']:.2f}  "
              f"diversity {r['diversity_ratio']:.2f}  precision {r['precision']:.2f}  "
              f"recall {r['recall']:.2f}  train-on-generated {s['tstr_per_class'][c]:.3f}  "
              f"(kept iteration {kept}, {pc.get('wall_time_s', float('nan')):.1f} s)")
    return s


if __name__ == "__main__":
    torch.set_num_threads(1)
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    for folder in sys.argv[1:]:
        score(Path(folder))
