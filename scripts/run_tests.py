"""Every check, the way CI and a new user run them: lint, types, then the whole suite twice —
on SQLite and on a throwaway PostgreSQL cluster started here from the local server binaries.

A suite that should run and did not is a failure, never a skip: the PostgreSQL run sets
JINGZHUN_EXPECT_VENDOR, and tests/test_backend.py fails unless the suite really ran on it.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable


def run(cmd: list[str], env: dict[str, str] | None = None) -> None:
    print("+", " ".join(cmd), flush=True)
    done = subprocess.run(cmd, cwd=ROOT, env={**os.environ, **(env or {})})
    if done.returncode:
        sys.exit(f"FAILED ({done.returncode}): {' '.join(cmd)}")


def pg_bindir() -> Path:
    for candidate in [os.environ.get("JINGZHUN_PG_BINDIR", ""), *sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)]:
        if candidate and (Path(candidate) / "initdb").exists():
            return Path(candidate)
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    sys.exit("FAILED: PostgreSQL server binaries (initdb, pg_ctl) not found; install postgresql (Debian) "
             "or set JINGZHUN_PG_BINDIR. The PostgreSQL suite is required, not optional.")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ThrowawayPostgres:
    """initdb + pg_ctl in a temporary directory; as root, the server runs as the postgres user."""

    def __init__(self) -> None:
        self.bindir = pg_bindir()
        self.dir = Path(tempfile.mkdtemp(prefix="jingzhun-pg-"))
        self.port = free_port()
        self.as_postgres = os.geteuid() == 0
        if self.as_postgres:
            shutil.chown(self.dir, "postgres", "postgres")

    def _cmd(self, *args: str) -> list[str]:
        return ["runuser", "-u", "postgres", "--", *args] if self.as_postgres else list(args)

    def __enter__(self) -> str:
        data = self.dir / "data"
        subprocess.run(self._cmd(str(self.bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres",
                                 "-E", "UTF8", "--locale=C"), check=True, stdout=subprocess.DEVNULL)
        opts = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
        subprocess.run(self._cmd(str(self.bindir / "pg_ctl"), "-D", str(data), "-o", opts, "-l",
                                 str(self.dir / "log"), "-w", "start"), check=True, stdout=subprocess.DEVNULL)
        for _ in range(50):
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    break
            time.sleep(0.1)
        return f"postgresql://postgres@127.0.0.1:{self.port}/jingzhun"

    def __exit__(self, *exc: object) -> None:
        subprocess.run(self._cmd(str(self.bindir / "pg_ctl"), "-D", str(self.dir / "data"), "-m", "fast", "stop"),
                       stdout=subprocess.DEVNULL)
        shutil.rmtree(self.dir, ignore_errors=True)


def main() -> None:
    args = sys.argv[1:]
    run([PY, "-m", "ruff", "check", "jingzhun", "tests", "bench", "scripts"])
    run([PY, "-m", "mypy", "jingzhun"])
    with tempfile.TemporaryDirectory(prefix="jingzhun-sqlite-") as tmp:
        run([PY, "-m", "pytest", *args], env={
            "JINGZHUN_DATABASE_URL": f"sqlite:///{tmp}/test.sqlite3", "JINGZHUN_EXPECT_VENDOR": "sqlite"})
    with ThrowawayPostgres() as url:
        run([PY, "-m", "pytest", *args], env={"JINGZHUN_DATABASE_URL": url, "JINGZHUN_EXPECT_VENDOR": "postgresql"})
    print("ALL CHECKS PASSED (SQLite and PostgreSQL suites both ran)")


if __name__ == "__main__":
    main()
