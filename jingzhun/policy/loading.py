"""Reading policy files: TOML → :class:`Policy`, or a :class:`PolicyError` listing every problem.

Officers write these files by hand, so an error must say where to look: each problem names the file,
the dotted key (``mpi.indicators[2].weight``, list positions counted from 1 as in the file) and the
rule, in Chinese and English. Nothing is half-loaded: a file with any problem yields no policy.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel

from jingzhun.policy.model import Policy
from jingzhun.policy.problems import FileError, read_text, validated

#: The shipped policy files (package data).
DATA_DIR = Path(__file__).resolve().parent / "data"

# Pydantic's own messages are English only; the common ones get a Chinese rule in front.
_ZH = {
    "extra_forbidden": "未知键 / unknown key",
    "missing": "缺少必填项 / missing required key",
    "greater_than": "须大于 {gt} / must be greater than {gt}",
    "greater_than_equal": "须不小于 {ge} / must be at least {ge}",
    "less_than_equal": "须不大于 {le} / must be at most {le}",
    "too_short": "不能为空 / must not be empty",
    "literal_error": "取值须为 {expected} / must be one of {expected}",
    "string_pattern_mismatch": "格式不符 {pattern} / must match {pattern}",
}


class PolicyError(FileError):
    """A policy file that cannot be used; ``problems`` lists every problem found."""

    WHAT = ("策略文件", "policy file")


M = TypeVar("M", bound=BaseModel)


def loads_model(text: str, file: str, model: type[M]) -> M:
    """Parse TOML text and validate it as `model` (a policy, an exit policy, ...); a PolicyError naming
    every problem by file and dotted key otherwise."""
    return validated(text, file, model, PolicyError, _ZH, "policy")


def loads_policy(text: str, file: str = "<string>") -> Policy:
    """Parse and validate a policy given as TOML text; ``file`` names it in error messages."""
    return loads_model(text, file, Policy)


def load_policy(path: str | Path) -> Policy:
    """Read and validate one policy file; raises :class:`PolicyError` naming every problem."""
    path = Path(path)
    return loads_policy(read_text(path, PolicyError), str(path))


def available() -> list[str]:
    """The shipped policy files, by file name."""
    return sorted(p.name for p in DATA_DIR.glob("*.toml"))


@functools.cache
def national(year: int) -> Policy:
    """The shipped national policy of ``year`` (2014–2020)."""
    path = DATA_DIR / f"national-{year}.toml"
    if not path.is_file():
        years = ", ".join(n.removeprefix("national-").removesuffix(".toml") for n in available()
                          if n.startswith("national-"))
        raise LookupError(f"没有 {year} 年的全国政策 / no national policy for {year}; shipped: {years}")
    return load_policy(path)
