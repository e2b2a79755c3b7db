"""The register file, read by the one reader (`jingzhun.tabular.read`) with the register's spec."""

from __future__ import annotations

import os

from jingzhun.registry import template
from jingzhun.tabular.read import FileProblem, Limits, RawTable, current_limits, default_limits, limited
from jingzhun.tabular.read import read_any as read_file

__all__ = ["FileProblem", "Limits", "RawTable", "current_limits", "default_limits", "limited", "read_any"]


def read_any(path: str | os.PathLike[str]) -> tuple[RawTable, list[tuple[int, str, str]]]:
    return read_file(path, template.SPEC)
