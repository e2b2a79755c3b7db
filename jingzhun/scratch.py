"""Scratch folders that hold personal data, and the sweep that keeps them from outliving their work.

Loads stage ciphertexts and blind indexes (`jingzhun-stage-`), a GBK register is read through a UTF-8 copy
(`jingzhun-import-`, plain resident IDs), web exports are written before they are sent (`jingzhun-export-`,
`jingzhun-yearly-`). Each is removed when its work ends — unless the process is killed first, when its
`finally` never runs. The next load or import sweeps such folders once they are a day old: no work of
this application runs that long in one folder.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

PREFIXES = ("jingzhun-stage-", "jingzhun-import-", "jingzhun-export-", "jingzhun-yearly-")
STALE_AFTER_SECONDS = 24 * 3600


def sweep(now: float | None = None) -> list[str]:
    """Delete this application's scratch folders older than a day; returns the folders deleted."""
    now = time.time() if now is None else now
    gone = []
    for prefix in PREFIXES:
        for path in Path(tempfile.gettempdir()).glob(prefix + "*"):
            try:
                if path.is_dir() and now - path.stat().st_mtime > STALE_AFTER_SECONDS:
                    shutil.rmtree(path, ignore_errors=True)
                    gone.append(str(path))
            except OSError:  # removed meanwhile by another process
                continue
    return gone
