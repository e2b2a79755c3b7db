"""The `jingzhun` console script: Django's command line with our settings preset."""

from __future__ import annotations

import os
import sys
from pathlib import Path

DEMO_DIR = Path(".jingzhun")


def demo_environment() -> None:
    """Settings for `jingzhun demo` on a fresh checkout: a local SQLite file, plain-HTTP cookies on
    localhost, and keys generated once and kept in .jingzhun/ (git-ignored), never in the repository."""
    from jingzhun.crypto import KEY_ENV, new_master_key

    DEMO_DIR.mkdir(exist_ok=True)
    keys = DEMO_DIR / "demo-keys.env"
    if not keys.exists():
        keys.write_text(f"{KEY_ENV}={new_master_key()}\nJINGZHUN_SECRET_KEY={os.urandom(32).hex()}\n")
        keys.chmod(0o600)
    for line in keys.read_text().splitlines():
        name, _, value = line.partition("=")
        os.environ.setdefault(name, value)
    os.environ.setdefault("JINGZHUN_DATABASE_URL", f"sqlite:///{DEMO_DIR / 'demo.sqlite3'}")
    os.environ.setdefault("JINGZHUN_INSECURE_COOKIES", "1")


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["demo"]:
        demo_environment()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jingzhun.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["jingzhun", *args])


if __name__ == "__main__":
    main()
