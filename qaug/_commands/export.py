r"""``qaug export``: write a trained checkpoint's quantum circuit as OpenQASM 2.0 or PennyLane.

Examples:
    qaug export --checkpoint runs/hqcnn/checkpoint.pt --format qasm --out hqcnn.qasm \\
        --sample-index 3
    qaug export --checkpoint runs/qgan/checkpoint.pt --class 2 --format pennylane \\
        --out qgan2.py

Takes a classifier checkpoint of ``qaug train-classifier`` (hqcnn, reupload, quanv; the cnn
control has no circuit) or a generator bank of ``qaug train-gan`` of a quantum kind (qgan,
pqwgan, mosaiq, latent; DIR/checkpoint.pt; pick the class with ``--class C``), finds its
quantum layer and writes the circuit for one input sample:

- classifier: the angles its front end gives test image ``--sample-index`` of the
  checkpoint's dataset (the same split and seed as in training); quanv: one 2x2 patch of
  that image (``--patch-index``, default the centre one);
- generator: a latent ``z = G.sample_latent(1, make_generator(--seed, "export"))``; the
  input is the angles the circuits receive for it (``z`` itself, except MosaiQ:
  ``z * noise_high``). The file's header gives ``z``, the angles and what the generator does
  after its circuits (inverse PCA, decoder), which is not exported.

``--format qasm`` writes ``qaug.models.to_qasm`` of that sample (a generator with several
sub-generators needs ``--sub-generator G``); ``--format pennylane`` writes a standalone
Python script that rebuilds the circuit in PennyLane with the trained weights as literals and,
run, prints the layer's output for the sample and checks it against qaug's own;
``--format diagram`` writes a text circuit diagram (``qaug.models.to_diagram``; no PennyLane
needed) of the same gates, and prints it.
"""

from __future__ import annotations

import argparse

from qaug._registry import EXPORT_FORMATS

__all__ = ["register"]


def register(subparsers) -> None:
    """Add ``export`` to the qaug parser."""
    p = subparsers.add_parser(
        "export", help="write a checkpoint's circuit as OpenQASM 2.0, a PennyLane script or a diagram",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--checkpoint", required=True,
                   help="checkpoint.pt of qaug train-classifier or qaug train-gan")
    p.add_argument("--format", required=True, choices=EXPORT_FORMATS, help="output format")
    p.add_argument("--out", required=True, help="output file (.qasm, .py or .txt)")
    p.add_argument("--sample-index", type=int, default=None,
                   help="classifiers: test image whose angles are the input (default 0)")
    p.add_argument("--patch-index", type=int, default=None,
                   help="quanv classifiers: 2x2 patch of that image, row-major (default centre)")
    p.add_argument("--class", dest="class_id", type=int, default=None, metavar="C",
                   help="generator banks: original class id of the generator to export")
    p.add_argument("--sub-generator", type=int, default=None, metavar="G",
                   help="generators: one sub-generator's circuit (qasm needs it when there are several)")
    p.add_argument("--seed", type=int, default=0,
                   help="generators: the latent is drawn from make_generator(seed, 'export') (default 0)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing --out file")
    p.set_defaults(func=_main)


def _main(args) -> int:
    from qaug._commands._export_run import load_target, write_export

    for flag, value in (("--sample-index", args.sample_index), ("--patch-index", args.patch_index),
                        ("--sub-generator", args.sub_generator)):
        if value is not None and value < 0:
            raise ValueError(f"{flag} must be >= 0; got {value}.")
    target = load_target(args.checkpoint, sample_index=args.sample_index, class_id=args.class_id,
                         seed=args.seed, patch_index=args.patch_index)
    path = write_export(target, args.format, args.out, sub_generator=args.sub_generator,
                        overwrite=args.overwrite)
    if args.format == "diagram":
        print(path.read_text(), end="")
    print(f"wrote {args.format} export of {type(target.layer).__name__} "
          f"({target.layer.n_qubits} qubits) to {path}")
    for note in target.notes:
        print(f"  {note}")
    return 0
