"""What qaug wrote into an output folder (the manifest), output sessions, and folder locks.

Every output folder that a command prepares gets a manifest, ``.qaug-manifest``: one path
per line (relative to the folder) of each file qaug wrote there. ``--overwrite`` deletes
exactly those files (and folders they leave empty), never anything else: a user's own files
in the folder, or in its ``runs/`` or ``figures/``, survive. Files are recorded as they are
written (:func:`record`, called by the atomic writers of :mod:`qaug._io`) and, when a session
closes, by comparing the folder with its state when the session opened (PNGs, CSVs).

A session is opened by ``prepare_output_dir`` / ``open_sweep_folder`` and closed by the CLI
(:func:`close_sessions`). A session that fails is rolled back: the files it created are
deleted, so no half output (and no ``run.json`` that would block the corrected retry)
remains; a resumable session that wrote a checkpoint keeps its files for ``--resume``.

:func:`folder_lock` makes a second writer into the same folder (another sweep) refuse; a lock
left by a process that no longer runs is detected by its pid (and start time) and replaced.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["MANIFEST", "LOCK", "FolderLockedError", "record", "recorded", "remove_recorded",
           "open_session", "open_sessions", "close_session", "close_sessions", "folder_lock",
           "is_bookkeeping"]

MANIFEST = ".qaug-manifest"
LOCK = ".qaug-lock"


class FolderLockedError(FileExistsError):
    """Another running qaug process holds the folder's lock."""


def is_bookkeeping(name: str) -> bool:
    """True for qaug's own bookkeeping files (manifest, lock), which are not results."""
    return name in (MANIFEST, LOCK)


@dataclass
class _Session:
    root: Path
    before: dict[str, tuple[int, int, int]]
    cleanup: bool
    resumable: bool
    created: bool
    had_manifest: bool = False
    written: set[str] = field(default_factory=set)


_SESSIONS: dict[Path, _Session] = {}


def _key(path: Path) -> Path:
    return Path(os.path.abspath(path))


def _files(root: Path) -> dict[str, tuple[int, int, int]]:
    out = {}
    for dirpath, _, names in os.walk(root):
        for n in names:
            p = Path(dirpath) / n
            rel = p.relative_to(root).as_posix()
            if is_bookkeeping(rel):
                continue
            try:
                st = p.stat()
            except OSError:
                continue
            out[rel] = (st.st_ino, st.st_mtime_ns, st.st_size)
    return out


def _inside(root: Path, rel: str) -> Path | None:
    """``root / rel`` if it stays inside ``root`` (a crafted manifest cannot escape)."""
    p = _key(root / rel)
    return p if p.is_relative_to(_key(root)) and p != _key(root) else None


def recorded(root: str | Path) -> list[str]:
    """Paths (relative) listed in ``root``'s manifest, in order, without duplicates."""
    m = Path(root) / MANIFEST
    if not m.is_file():
        return []
    return list(dict.fromkeys(line.strip() for line in m.read_text().splitlines() if line.strip()))


def record(path: str | Path) -> None:
    """Add ``path`` to the manifest of the open session whose folder holds it (else nothing)."""
    p = _key(Path(path))
    for root, s in _SESSIONS.items():
        if p.is_relative_to(root) and p != root:
            rel = p.relative_to(root).as_posix()
            if rel not in s.written and not is_bookkeeping(rel):
                s.written.add(rel)
                with open(root / MANIFEST, "a") as f:  # O_APPEND: one short line per write
                    f.write(rel + "\n")
            return


def remove_recorded(root: str | Path) -> list[str]:
    """Delete the files qaug recorded in ``root`` (and folders they leave empty); their list."""
    root = Path(root)
    removed = []
    for rel in recorded(root):
        p = _inside(root, rel)
        if p is not None and p.is_file():
            p.unlink()
            removed.append(rel)
            _prune(p.parent, root)
    (root / MANIFEST).unlink(missing_ok=True)
    return removed


def _prune(folder: Path, root: Path) -> None:
    folder, root = _key(folder), _key(root)
    while folder != root and folder.is_relative_to(root):
        try:
            folder.rmdir()  # only when empty
        except OSError:
            return
        folder = folder.parent


def open_session(root: str | Path, *, created: bool, cleanup: bool = True,
                 resumable: bool = False) -> None:
    """Start recording what this process writes under ``root`` (see the module docstring)."""
    root = _key(Path(root))
    _SESSIONS[root] = _Session(root, _files(root), cleanup, resumable, created,
                               (root / MANIFEST).is_file())
    (root / MANIFEST).touch()


def open_sessions() -> set[Path]:
    """The folders of the sessions open now."""
    return set(_SESSIONS)


def close_sessions(failed: bool = False, *, except_: set[Path] | None = None) -> list[str]:
    """Close the open sessions (but those in ``except_``); on ``failed``, roll them back.

    Closing records what was written. Returns the relative paths deleted by a rollback.
    """
    deleted = []
    for root in [r for r in _SESSIONS if r not in (except_ or set())]:
        deleted += close_session(root, failed)
    return deleted


def close_session(root: str | Path, failed: bool = False) -> list[str]:
    """Close the session of ``root`` (see :func:`close_sessions`); the paths deleted."""
    deleted: list[str] = []
    root = _key(Path(root))
    s = _SESSIONS.pop(root, None)
    if s is not None and root.is_dir():
        now = _files(root)
        new = [rel for rel in now if rel not in s.before]
        changed = [rel for rel, st in now.items() if rel in s.before and s.before[rel] != st]
        keep = s.resumable and any(rel.endswith(".pt") for rel in new + changed)
        if failed and s.cleanup and not keep:
            for rel in new:
                (root / rel).unlink(missing_ok=True)
                _prune((root / rel).parent, root)
                deleted.append(rel)
            _rewrite_manifest(root, [r for r in recorded(root) if r in s.before])
            if not s.had_manifest and not recorded(root):
                (root / MANIFEST).unlink(missing_ok=True)
            if s.created and _only_bookkeeping(root):  # the session made the folder: remove it
                (root / MANIFEST).unlink(missing_ok=True)
                _prune(root, root.parent)
        else:
            _rewrite_manifest(root, recorded(root) + new + changed)
    return deleted


def _only_bookkeeping(root: Path) -> bool:
    return all(is_bookkeeping(p.name) for p in root.iterdir())


def _rewrite_manifest(root: Path, rels: list[str]) -> None:
    rels = [r for r in dict.fromkeys(rels) if (root / r).is_file()]
    (root / MANIFEST).write_text("".join(r + "\n" for r in rels))


def _start_time(pid: int) -> str | None:
    """The kernel's start time of ``pid`` (Linux /proc), to tell a reused pid apart."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def _alive(info: dict) -> bool:
    pid = info.get("pid")
    if info.get("host") != socket.gethostname():
        return bool(info)  # another machine: assume it runs (an unreadable lock is stale)
    if not isinstance(pid, int):
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    started = info.get("proc_start")
    return started is None or _start_time(pid) in (None, started)


@contextmanager
def folder_lock(folder: str | Path):
    """Hold ``folder/.qaug-lock`` while the block runs; refuse if a live process holds it.

    Raises:
        FolderLockedError: another running qaug process holds the lock.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOCK
    info = {"pid": os.getpid(), "host": socket.gethostname(), "proc_start": _start_time(os.getpid()),
            "started": time.strftime("%Y-%m-%d %H:%M:%S"), "argv": sys.argv}
    for _ in range(2):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            try:
                held = json.loads(path.read_text() or "{}")
            except (OSError, ValueError):
                held = {}
            if _alive(held):
                raise FolderLockedError(
                    f"output folder {str(folder)!r} is in use by another qaug process (pid "
                    f"{held.get('pid')} on {held.get('host')}, started {held.get('started')}: "
                    f"{' '.join(map(str, held.get('argv', [])))[:120]}); wait for it to finish or "
                    f"choose another --out. If no such process runs, delete {str(path)!r}."
                ) from None
            print(f"qaug: removed the stale lock of pid {held.get('pid')} (no longer running) "
                  f"in {str(folder)!r}", file=sys.stderr)
            path.unlink(missing_ok=True)
            continue
        with os.fdopen(fd, "w") as f:
            json.dump(info, f)
        break
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)
