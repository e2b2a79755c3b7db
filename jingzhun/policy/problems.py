"""What is wrong with a TOML file validated by pydantic (a policy, an exit policy, an assessment scheme): every
problem by its dotted key ("indicators[2].weight", counted from 1 as an officer counts), in "中文 / English", and
the error that lists them all at once."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError


@dataclass(frozen=True)
class Problem:
    key: str  # dotted path, "" for the whole file
    message: str  # "中文 / English"


class FileError(ValueError):
    """A file that cannot be used; ``problems`` lists every problem found. A subclass names the kind of file
    (`WHAT`: Chinese, English) for the first line of its message."""

    WHAT = ("文件", "file")

    def __init__(self, file: str, problems: list[Problem]) -> None:
        self.file = file
        self.problems = problems
        zh, en = self.WHAT
        lines = [f"{file}: {p.key}: {p.message}" if p.key else f"{file}: {p.message}" for p in problems]
        head = f"{zh}有 {len(problems)} 处错误 / the {en} has {len(problems)} problem(s): {file}"
        super().__init__("\n".join([head, *lines]))


def dotted(loc: Iterable[Any]) -> str:
    """pydantic's location of an error as the file's dotted key; list positions counted from 1."""
    out = ""
    for part in loc:
        if part == "[key]":  # pydantic marks a bad dict key this way; the key itself is already in loc
            continue
        if isinstance(part, int):
            out += f"[{part + 1}]"
        elif str(part).startswith("["):  # a position already written as the file counts it (a rule's own key)
            out += str(part)
        else:
            out += f".{part}" if out else str(part)
    return out


def problems_of(exc: ValidationError, messages: Mapping[str, str], own: str) -> list[Problem]:
    """Every error pydantic found, as problems. `messages`: pydantic's error types in our words (their context
    filled in); `own`: the type of the model's own rules (PydanticCustomError), whose message is used as it is
    and whose context may name a key below the error's place ("grades[2].minimum")."""
    problems = []
    for err in exc.errors(include_url=False):
        ctx = err.get("ctx") or {}
        loc = tuple(err["loc"])
        if err["type"] == own:
            message = err["msg"]
            if "key" in ctx:
                loc = (*loc, *re.findall(r"\[\d+\]|[^.\[\]]+", str(ctx["key"])))
        elif err["type"] in messages:
            message = messages[err["type"]].format(**{k: str(v) for k, v in ctx.items()})
        else:
            message = f"取值无效 / invalid value: {err['msg']}"
        value = err.get("input")
        # Show the offending value unless the message already does (or there is none to show).
        if (err["type"] not in ("missing", "extra_forbidden") and not isinstance(value, dict | list)
                and repr(value) not in message and str(value) not in message):
            message += f" (值 / value: {value!r})"
        problems.append(Problem(dotted(loc), message))
    return problems


M = TypeVar("M", bound=BaseModel)


TOO_DEEP = "TOML 嵌套过深 / the TOML is nested too deeply"


def validated(text: str, file: str, model: type[M], error: type[FileError], messages: Mapping[str, str],
              own: str) -> M:
    """TOML text validated as `model`; `error` naming every problem by file and dotted key otherwise
    (`messages`, `own`: as `problems_of`)."""
    try:
        data = tomllib.loads(text)
    except ValueError as exc:  # TOMLDecodeError, and an integer of over 4,300 digits (Python's limit)
        # tomllib puts "(at line N, column M)" in its message; keep it, it is what the officer needs.
        raise error(file, [Problem("", f"TOML 语法错误 / TOML syntax error: {exc}")]) from None
    except RecursionError:  # tomllib recurses into nested arrays and tables: a hostile file is no traceback
        raise error(file, [Problem("", TOO_DEEP)]) from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise error(file, problems_of(exc, messages, own)) from None


def read_text(path: Path, error: type[FileError]) -> str:
    """A file's text (UTF-8); `error` naming the file when it cannot be read."""
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise error(str(path), [Problem("", f"无法读取 / cannot read: {exc}")]) from None
