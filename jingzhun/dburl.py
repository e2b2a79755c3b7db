"""JINGZHUN_DATABASE_URL → Django DATABASES entry (sqlite:///path or postgresql://user:pw@host:port/db)."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit


def parse(url: str) -> dict[str, Any]:
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        # sqlite:///relative.sqlite3 and sqlite:////absolute/path.sqlite3, as SQLAlchemy spells them
        path = url[len("sqlite:///") :] if url.startswith("sqlite:///") else parts.path
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(Path(path).resolve()) if path else ":memory:",
            # WAL lets readers (the web app) go on while an import writes; IMMEDIATE takes the write
            # lock at BEGIN so two writers queue instead of failing half-way. A new database gets 16 KiB
            # pages (set before WAL writes the first page; a no-op on an existing file): a million-household
            # import's inserts, index builds and commit take ~3 s less than with 4 KiB pages.
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 30,
                "init_command": ("PRAGMA page_size=16384; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                                 "PRAGMA foreign_keys=ON;"),
            },
            "TEST": {"NAME": str(Path(path).resolve()) + ".test" if path else None},
            # One connection per server thread, kept: opening SQLite and its PRAGMAs on every request cost
            # 3–13 ms (docs/web.md, finding 2).
            "CONN_MAX_AGE": None,
        }
    if parts.scheme in ("postgres", "postgresql"):
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        entry: dict[str, Any] = {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parts.path.lstrip("/")),
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": query.pop("host", parts.hostname or ""),
            "PORT": str(parts.port or ""),
            "OPTIONS": query,
            # Kept for ten minutes, checked before reuse (a restarted server must not fail one request).
            "CONN_MAX_AGE": 600,
            "CONN_HEALTH_CHECKS": True,
        }
        return entry
    raise ValueError(f"JINGZHUN_DATABASE_URL: unsupported scheme {parts.scheme!r} (use sqlite:/// or postgresql://)")


def url_of(entry: dict[str, Any], vendor: str) -> str:
    """The URL `parse` would turn into this DATABASES entry (a child process's JINGZHUN_DATABASE_URL)."""
    if vendor == "sqlite":
        return f"sqlite:///{entry['NAME']}"
    if vendor != "postgresql":
        raise ValueError(f"no database URL for {vendor}")
    from urllib.parse import quote, urlencode

    auth = quote(entry["USER"] or "", safe="") + (f":{quote(entry['PASSWORD'], safe='')}" if entry["PASSWORD"] else "")
    host = entry["HOST"] or ""
    query = {**entry.get("OPTIONS", {}), **({"host": host} if host.startswith("/") else {})}  # a socket folder
    where = "" if host.startswith("/") else f"{host}:{entry['PORT'] or 5432}"
    return f"postgresql://{auth}@{where}/{quote(entry['NAME'])}" + (f"?{urlencode(query)}" if query else "")
