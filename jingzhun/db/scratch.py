"""Scratch folders that hold personal data, and the sweep that keeps them from outliving their work.

Loads stage ciphertexts, blind indexes and — for households — names, birth dates and incomes in clear
(`jingzhun-stage-`); web exports are written before they are sent (`jingzhun-export-`, `jingzhun-yearly-`).
Each is removed when its work ends — unless the process is killed first, when its `finally` never runs.

A folder made by `mkdtemp` here carries an owner lock: a file in it held with `flock` by the process that
made it for as long as that process lives. The kernel lets go of the lock when the process ends, however
it ends (SIGKILL included), so `sweep` — run at the start of every import and at server start — deletes
at once every folder whose owner is gone, and never one still in use (by this or another process).
Folders without a lock (made elsewhere with `tempfile.mkdtemp` and removed within one web request) are
deleted once they are an hour old. `jingzhun-import-` is the prefix of an older GBK copy, swept the same way.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
import threading
import time
from pathlib import Path

PREFIXES = ("jingzhun-stage-", "jingzhun-import-", "jingzhun-export-", "jingzhun-yearly-", "jingzhun-read-")
STALE_AFTER_SECONDS = 3600  # folders without an owner lock: no web request lives this long
OWNER_FILE = ".owner"

_held: dict[str, int] = {}  # folder → descriptor of its owner lock, held while this process uses it
_lock = threading.Lock()


def mkdtemp(prefix: str) -> str:
    """A private (0700) temporary folder whose owner lock this process holds until the folder is removed."""
    if not prefix.startswith(PREFIXES):
        raise ValueError(f"{prefix}: not one of the swept prefixes {PREFIXES}")
    path = tempfile.mkdtemp(prefix=prefix)  # mode 0700
    fd = os.open(os.path.join(path, OWNER_FILE), os.O_CREAT | os.O_EXCL | os.O_WRONLY | os.O_CLOEXEC, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    with _lock:
        _forget_removed()
        _held[path] = fd
    return path


def _forget_removed() -> None:
    """Close the locks of folders their users have removed (a long-running server makes many)."""
    for path in [p for p in _held if not os.path.isdir(p)]:
        os.close(_held.pop(path))


def _owner_gone(path: Path) -> bool | None:
    """True when the folder's owner process has ended (its lock is free), False while it lives, None
    when the folder has no owner lock."""
    try:
        fd = os.open(path / OWNER_FILE, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)  # also lets go of the lock if it was taken: the folder is removed right after
    return True


def sweep(now: float | None = None) -> list[str]:
    """Delete this application's scratch folders whose process has ended (and unowned ones older than an
    hour); returns the folders deleted."""
    now = time.time() if now is None else now
    gone = []
    for prefix in PREFIXES:
        for path in Path(tempfile.gettempdir()).glob(prefix + "*"):
            try:
                if not path.is_dir() or path.is_symlink():
                    continue
                owner_gone = _owner_gone(path)
                if owner_gone or (owner_gone is None and now - path.stat().st_mtime > STALE_AFTER_SECONDS):
                    shutil.rmtree(path, ignore_errors=True)
                    gone.append(str(path))
            except OSError:  # removed meanwhile by another process, or not ours to read
                continue
    return gone
