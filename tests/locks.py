"""Whether a process holds SQLite's WAL write lock: the kill tests' witness that it is inside a write
transaction (a probe's BEGIN IMMEDIATE is no witness: with staging files attached it answered 'locking
protocol', and from a fresh connection even took the lock)."""

from __future__ import annotations

from pathlib import Path


def holds_sqlite_write_lock(database: str | Path, pid: int) -> bool:
    """Byte 120 of the database's -shm file locked for writing by `pid`, as the kernel lists it in /proc/locks."""
    shm = Path(f"{database}-shm")
    if not shm.exists():
        return False
    inode = shm.stat().st_ino
    for line in Path("/proc/locks").read_text().splitlines():
        fields = line.split()
        # "1: POSIX  ADVISORY  WRITE 21920 fe:00:2150853 120 120"
        if len(fields) >= 8 and fields[3] == "WRITE" and fields[4] == str(pid) \
                and fields[5].rsplit(":", 1)[-1] == str(inode) and fields[6] == "120":
            return True
    return False
