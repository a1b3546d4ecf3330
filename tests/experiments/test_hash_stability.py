"""The committed results stay addressable: today's code gives their runs the same hashes.

A config field added later must not change the hash of runs that do not use it (give it
``metadata=qaug._config.HASH_IF_CHANGED``); a run whose result would change needs a new hash.
"""

import json
from pathlib import Path

import pytest

from qaug.experiments import load_sweep_config, run_key

RESULTS = Path(__file__).resolve().parents[2] / "docs" / "results"
FOLDERS = sorted(p.parent for p in RESULTS.glob("*/results.json"))


@pytest.mark.parametrize("folder", FOLDERS, ids=[f.name for f in FOLDERS])
def test_committed_runs_keep_their_hashes(folder):
    stored = json.loads((folder / "results.json").read_text())
    sweep = load_sweep_config({**stored["sweep"]["config"], "seeds": stored["sweep"]["seeds"]})
    keys = {run_key(cfg) for _, cfg in sweep.expand()}
    committed = {r["key"] for r in stored["runs"]}
    assert committed <= keys, f"{len(committed - keys)} of {len(committed)} committed runs re-hashed"
