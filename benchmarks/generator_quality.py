"""Benchmark: every generator kind per class on MNIST 0/1/2, scored with one protocol.

The logic lives in the package (``qaug.experiments.bench_generators``); this script is the
same as ``qaug bench-generators`` and takes the same options, e.g.

    python benchmarks/generator_quality.py --out runs/bench-generators --jobs 2
    python benchmarks/generator_quality.py --quick --sizes 8 16 --out runs/bench-quick
"""

from __future__ import annotations

import sys

from qaug.cli import main

if __name__ == "__main__":
    sys.exit(main(["bench-generators", *sys.argv[1:]]))
