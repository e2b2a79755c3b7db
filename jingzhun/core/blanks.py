"""The blank import templates (`jingzhun template --kind KIND`), one kind per file an app imports.

Each app registers the kinds it owns from its `AppConfig.ready()` — the register from the registry app, the
cadre roster from the teams app — so the command, which lives below them all, imports none of them, and a
new importer adds its template without touching the command.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.utils.module_loading import import_string


@dataclass(frozen=True)
class Blank:
    kind: str  # the --kind value
    default_name: str  # the file written when none is named
    # Dotted path of `writer(path) -> path` (header and column guide), imported on use: the writers pull in
    # the file libraries, which a process start need not load.
    writer: str
    label: str = ""  # "中文 / English", for the command's help


_KINDS: dict[str, Blank] = {}


def register(blank: Blank) -> None:
    """Add (or replace: an app's ready() may run twice in tests) the template `blank.kind`."""
    _KINDS[blank.kind] = blank


def kinds() -> dict[str, Blank]:
    return dict(sorted(_KINDS.items()))


def write(kind: str, path: str | Path | None = None) -> Path:
    """Write the blank template of `kind` to `path` (its default name when None). KeyError names the kinds."""
    blank = _KINDS.get(kind)
    if blank is None:
        raise KeyError(f"没有这种模板 / no template kind {kind!r}: {', '.join(sorted(_KINDS))}")
    return import_string(blank.writer)(Path(path or blank.default_name))
