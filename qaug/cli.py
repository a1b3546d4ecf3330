"""The ``qaug`` command: one sub-command per job, each defined in ``qaug/_commands``.

Usage: ``qaug <command> [options] [--section.key=value ...]``; ``qaug <command> --help``.
"""

from __future__ import annotations

import argparse
import sys

from qaug._commands import COMMAND_MODULES

__all__ = ["main", "build_parser"]


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser with every sub-command registered."""
    parser = argparse.ArgumentParser(
        prog="qaug",
        description="Quantum-GAN data augmentation for hybrid quantum-classical classifiers.",
    )
    from qaug import __version__

    parser.add_argument("--version", action="version", version=f"qaug {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for module in COMMAND_MODULES:
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit code (0 ok, 2 bad input, 1 failure)."""
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    overrides = [u for u in unknown if u.startswith("--") and "." in u.split("=", 1)[0]]
    rest = [u for u in unknown if u not in overrides]
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    args.overrides = overrides
    if overrides and not getattr(args, "accepts_overrides", False):
        parser.error(
            f"'qaug {args.command}' takes no --section.key=value overrides; got {overrides}."
        )
    if (getattr(args, "jobs", 1) > 1 and getattr(args, "executor", None) == "local"
            and not getattr(args, "print_config", False)):
        # Local sweep workers fork from a server that imports qaug once; started now, it
        # imports while this process does (qaug.experiments._executor.DEFAULT_CONTEXT).
        from qaug._process import start_fork_server

        start_fork_server()
    if not hasattr(args, "threads"):
        # These circuits and networks are too small to gain from more threads, and on a busy
        # machine extra threads slow them down many times over (commands with --threads set it).
        import torch

        torch.set_num_threads(1)
    from qaug import _outputs

    failed = True  # an output session that does not end well is rolled back (qaug._outputs)
    earlier = _outputs.open_sessions()
    try:
        code = _run(args)
        failed = code in (2, 130)  # bad input or interrupted (resumable checkpoints are kept)
        return code
    except BaseException as e:
        failed = not isinstance(e, FloatingPointError)  # a NaN stop keeps the last good state
        raise
    finally:
        _outputs.close_sessions(failed=failed, except_=earlier)


def _run(args) -> int:
    """Run the sub-command; bad input and failures become one-line messages and exit codes."""
    try:
        if getattr(args, "device", None) is not None:
            from qaug._device import check_device

            check_device(args.device)  # before anything is written
        return int(args.func(args) or 0)
    # qaug._io.CheckpointError is a ValueError; importing it here would pull in torch for --help.
    except (ValueError, TypeError) as e:
        print(f"qaug {args.command}: error: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"qaug {args.command}: error: {_os_error_text(e)}", file=sys.stderr)
        return 2
    except FloatingPointError as e:  # qaug.train.NonFiniteLossError: the message says what is kept
        print(f"qaug {args.command}: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        hint = {
            "train-gan": "rerun with --resume to continue from the last checkpoint",
            "reproduce": "rerun the same command: finished runs are kept and skipped",
            "demo": "rerun the same command: finished runs are kept and skipped",
        }.get(args.command, "nothing was half-written; rerun to start again")
        print(f"qaug {args.command}: interrupted; {hint}.", file=sys.stderr)
        return 130


def _os_error_text(e: OSError) -> str:
    """One line for an OSError: ours carry their own advice, the system's get the fix added."""
    if e.errno is None or e.filename is None:
        return str(e)
    where = repr(str(e.filename))
    fixes = {
        "NotADirectoryError": f"a part of {where} is a file, not a folder; choose another --out",
        "PermissionError": f"no permission for {where}; choose a writable folder (--out) or "
                           "fix its permissions",
        "IsADirectoryError": f"{where} is a folder; give a file name",
        "FileNotFoundError": f"check that {where} exists",
        "FileExistsError": f"{where} already exists; choose another name",
    }
    fix = fixes.get(type(e).__name__, f"check {where}, its folder and the free disk space")
    return f"{e.strerror or type(e).__name__}: {where}; {fix}."


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
