"""Backup and restore of the whole database, proved on the way back (docs/security.md, "Backup and restore").

`backup(out)` writes one file — SQLite: a copy made with SQLite's online backup API (a consistent
snapshot while the application goes on writing); PostgreSQL: `pg_dump --format=custom` of an exported
snapshot — and beside it `out.manifest.json`: every table's row count and checksum, read from that same
snapshot, and the audit chain's head.

`restore(backup, to)` puts a backup into a fresh place (an empty SQLite file or PostgreSQL database) and
then `check`s the result against the manifest: SQLite's `integrity_check` and `foreign_key_check`; every
table's row count and checksum; the audit chain (`jingzhun.audit.chain.verify`, with the key); and that
every resident ID and health value decrypts with JINGZHUN_MASTER_KEY and matches its blind index — a
backup restored without the key it was made with is refused here, not discovered on the day it is needed.

A table's checksum is the sum, modulo 2**256, of the SHA-256 of each row's text (the driver's repr of
the row's values): independent of row order (no sort of a large table, and a PostgreSQL restore may
store rows in another order), sensitive to any changed, missing or added row.
"""

from __future__ import annotations

import datetime as dt
import glob
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jingzhun import crypto, dburl

FORMAT = 1
FETCH = 5000


class BackupError(RuntimeError):
    pass


@dataclass
class Checked:
    """What `check` found: the tables compared, the audit rows verified, the IDs decrypted, and every
    problem (empty when the restore is sound)."""

    tables: int = 0
    rows: int = 0
    audit_rows: int = 0
    decrypted: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


# --------------------------------------------------------------------------- connections


def manifest_path(path: Path) -> Path:
    return path.with_name(path.name + ".manifest.json")


def _pg_conninfo(settings: dict[str, Any]) -> str:
    from psycopg.conninfo import make_conninfo

    parts = {"dbname": settings["NAME"], "user": settings.get("USER") or None,
             "host": settings.get("HOST") or None, "port": settings.get("PORT") or None,
             **{k: v for k, v in (settings.get("OPTIONS") or {}).items() if isinstance(v, str)}}
    return make_conninfo(**{k: v for k, v in parts.items() if v})


def _pg_env(settings: dict[str, Any]) -> dict[str, str]:
    # The password goes to the tools through the environment, never on a command line others can read.
    env = dict(os.environ)
    if settings.get("PASSWORD"):
        env["PGPASSWORD"] = settings["PASSWORD"]
    return env


def _pg_connect(settings: dict[str, Any]) -> Any:
    import psycopg

    conn = psycopg.connect(_pg_conninfo(settings), password=settings.get("PASSWORD") or None)
    conn.execute("SET TIME ZONE 'UTC'")  # times read the same way at backup and at restore
    conn.commit()
    return conn


def pg_bindir(tool: str = "pg_dump") -> Path:
    """The PostgreSQL client tools, found as scripts/run_tests.py finds the server's: JINGZHUN_PG_BINDIR,
    the newest /usr/lib/postgresql/*/bin (pg_dump must be at least the server's version), then PATH."""
    for candidate in [os.environ.get("JINGZHUN_PG_BINDIR", ""),
                      *sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name)
                              if Path(p).parent.name.isdigit() else 0, reverse=True)]:
        if candidate and (Path(candidate) / tool).exists():
            return Path(candidate)
    found = shutil.which(tool)
    if found:
        return Path(found).parent
    raise BackupError(f"找不到 {tool}（请安装 postgresql-client 或设置 JINGZHUN_PG_BINDIR）/ {tool} not found: "
                      f"install the PostgreSQL client tools or set JINGZHUN_PG_BINDIR")


def _run(cmd: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if done.returncode:
        raise BackupError(f"{Path(cmd[0]).name} 失败 / failed ({done.returncode}): {done.stderr.strip()[-2000:]}")


# --------------------------------------------------------------------------- what a database holds


def _tables(cur: Any, vendor: str) -> list[str]:
    if vendor == "sqlite":
        cur.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
    else:
        # Plain tables and partitions (relkind r), not partitioned parents (their rows are the partitions').
        cur.execute("SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE n.nspname = current_schema() AND c.relkind = 'r' ORDER BY c.relname")
    return [r[0] for r in cur.fetchall()]


def _rows(conn: Any, vendor: str, table: str) -> Iterator[tuple[Any, ...]]:
    quoted = '"' + table.replace('"', '""') + '"'
    if vendor == "sqlite":
        yield from conn.execute(f"SELECT * FROM {quoted}")
        return
    with conn.cursor(name=f"jingzhun_backup_{abs(hash(table))}") as cur:  # server-side: streamed, not loaded
        cur.itersize = FETCH
        cur.execute(f"SELECT * FROM {quoted}")
        yield from cur


def _value(v: Any) -> Any:
    return bytes(v) if isinstance(v, memoryview) else v


def table_sums(conn: Any, vendor: str) -> dict[str, dict[str, Any]]:
    """Every table's row count and order-independent checksum."""
    out = {}
    cur = conn.cursor()
    for table in _tables(cur, vendor):
        n, total = 0, 0
        for row in _rows(conn, vendor, table):
            text = repr(tuple(_value(v) for v in row)).encode("utf-8", "surrogatepass")
            total = (total + int.from_bytes(hashlib.sha256(text).digest(), "big")) % (1 << 256)
            n += 1
        out[table] = {"rows": n, "sha256": f"{total:064x}"}
    return out


def _audit_head(conn: Any) -> dict[str, Any] | None:
    from jingzhun.audit import chain

    cur = conn.cursor()
    try:
        head = chain.read_head(cur)
    except Exception:  # noqa: BLE001 -- a database from before the chain: no head to record
        return None
    return None if head is None else {"last_id": head.last_id, "last_hash": head.last_hash}


def _verify_audit(conn: Any, vendor: str) -> tuple[int, str]:
    from jingzhun.audit import chain

    report = chain.verify(conn.cursor(), "?" if vendor == "sqlite" else "%s")
    return report.rows, report.problem


# --------------------------------------------------------------------------- backup


def backup(out: str | Path, settings: dict[str, Any]) -> dict[str, Any]:
    """Back up the database of `settings` (a Django DATABASES entry) to `out`; returns the manifest
    (also written beside the backup). The audit chain of the snapshot is verified and the result kept in
    the manifest: a backup is worth making even of a broken chain, and must say so."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    partial.unlink(missing_ok=True)
    if settings["ENGINE"].endswith("sqlite3"):
        vendor = "sqlite"
        source = sqlite3.connect(f"file:{settings['NAME']}?mode=ro", uri=True)
        target = sqlite3.connect(partial)
        try:
            source.backup(target)  # one step: a consistent snapshot (WAL lets writers go on meanwhile)
        finally:
            target.close()
            source.close()
        conn = sqlite3.connect(f"file:{partial}?mode=ro", uri=True)
        try:
            problem = _sqlite_integrity(conn)
            if problem:
                raise BackupError(f"备份副本损坏 / the copy is damaged: {problem}")
            manifest = _manifest(conn, vendor)
        finally:
            conn.close()
    else:
        vendor = "postgresql"
        conn = _pg_connect(settings)
        try:
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
            # pg_dump reads the very snapshot the manifest is computed from: the two describe the same data.
            _run([str(pg_bindir("pg_dump") / "pg_dump"), "--format=custom", f"--snapshot={snapshot}",
                  f"--file={partial}", f"--dbname={_pg_conninfo(settings)}"], _pg_env(settings))
            manifest = _manifest(conn, vendor)
        finally:
            conn.rollback()
            conn.close()
    partial.replace(out)
    manifest["file"] = out.name
    manifest["file_sha256"] = _file_sha256(out)
    manifest_path(out).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    return manifest


def _manifest(conn: Any, vendor: str) -> dict[str, Any]:
    audit_rows, problem = _verify_audit(conn, vendor)
    return {"format": FORMAT, "vendor": vendor, "created": dt.datetime.now(dt.UTC).isoformat(),
            "tables": table_sums(conn, vendor), "audit": {"head": _audit_head(conn), "rows": audit_rows,
                                                          "verified": not problem, "problem": problem}}


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _sqlite_integrity(conn: sqlite3.Connection) -> str:
    result = [r[0] for r in conn.execute("PRAGMA integrity_check")]
    if result != ["ok"]:
        return "integrity_check: " + "; ".join(result[:5])
    broken = conn.execute("PRAGMA foreign_key_check").fetchall()
    if broken:
        return f"foreign_key_check: {len(broken)} 行引用缺失 / rows with a missing parent, e.g. {broken[0]}"
    return ""


# --------------------------------------------------------------------------- restore and check


def restore(backup_file: str | Path, to: dict[str, Any], *, force: bool = False) -> Checked:
    """Restore `backup_file` into the database `to` (a Django DATABASES entry: an SQLite file, which must
    be new or empty unless `force`; a PostgreSQL database, which must be empty) and check it."""
    backup_file = Path(backup_file)
    manifest = read_manifest(backup_file)
    if _file_sha256(backup_file) != manifest.get("file_sha256"):
        raise BackupError(f"{backup_file.name}: 文件与清单的校验和不符（损坏或被替换）/ the file does not match its "
                          f"manifest's checksum (damaged or replaced)")
    vendor = "sqlite" if to["ENGINE"].endswith("sqlite3") else "postgresql"
    if vendor != manifest["vendor"]:
        raise BackupError(f"这是 {manifest['vendor']} 的备份，不能恢复到 {vendor} / a {manifest['vendor']} backup "
                          f"cannot be restored into {vendor}")
    if vendor == "sqlite":
        target = Path(to["NAME"])
        if target.exists() and not force and _has_tables(sqlite3.connect(target), "sqlite"):
            raise BackupError(f"{target}: 目标数据库非空（确认覆盖请加 --force）/ the target database is not empty "
                              f"(add --force to overwrite it)")
        source = sqlite3.connect(f"file:{backup_file}?mode=ro", uri=True)
        dest = sqlite3.connect(target)
        try:
            source.backup(dest)
        finally:
            dest.close()
            source.close()
    else:
        conn = _pg_connect(to)
        try:
            if _has_tables(conn, "postgresql"):
                raise BackupError(f"数据库 {to['NAME']} 非空：请恢复到新建的空数据库（createdb）/ database "
                                  f"{to['NAME']} is not empty: restore into a new, empty database (createdb)")
        finally:
            conn.close()
        # Owners and grants are the target server's business: re-apply `jingzhun audit grants` afterwards.
        _run([str(pg_bindir("pg_restore") / "pg_restore"), "--no-owner", "--no-acl", "--exit-on-error",
              "--single-transaction", f"--dbname={_pg_conninfo(to)}", str(backup_file)], _pg_env(to))
    return check(to, manifest)


def _has_tables(conn: Any, vendor: str) -> bool:
    try:
        return bool(_tables(conn.cursor(), vendor))
    finally:
        if vendor == "sqlite":
            conn.close()


def read_manifest(backup_file: Path) -> dict[str, Any]:
    path = manifest_path(backup_file)
    if not path.exists():
        raise BackupError(f"{path.name}: 找不到备份清单 / the backup's manifest is missing")
    manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{path.name}: 未知的清单格式 / unknown manifest format {manifest.get('format')!r}")
    return manifest


def check(db: dict[str, Any], manifest: dict[str, Any]) -> Checked:
    """Compare the database `db` with a backup's manifest and prove it usable (see the module's text)."""
    vendor = "sqlite" if db["ENGINE"].endswith("sqlite3") else "postgresql"
    conn: Any = sqlite3.connect(f"file:{db['NAME']}?mode=ro", uri=True) if vendor == "sqlite" else _pg_connect(db)
    found = Checked()
    try:
        if vendor == "sqlite" and (problem := _sqlite_integrity(conn)):
            found.problems.append(problem)
        sums = table_sums(conn, vendor)
        expected = manifest["tables"]
        for table in sorted(set(expected) | set(sums)):
            want, got = expected.get(table), sums.get(table)
            if want is None or got is None:
                found.problems.append(f"表 {table}：{'多出' if want is None else '缺失'} / table {table}: "
                                      f"{'not in the backup' if want is None else 'missing'}")
            elif want["rows"] != got["rows"]:
                found.problems.append(f"表 {table}：应有 {want['rows']} 行，实有 {got['rows']} 行 / table {table}: "
                                      f"{got['rows']} rows, the backup had {want['rows']}")
            elif want["sha256"] != got["sha256"]:
                found.problems.append(f"表 {table}：校验和不符 / table {table}: the checksum differs")
        found.tables, found.rows = len(sums), sum(t["rows"] for t in sums.values())
        found.audit_rows, problem = _verify_audit(conn, vendor)
        if problem:
            found.problems.append(f"审计日志链 / audit chain: {problem}")
        if _audit_head(conn) != manifest["audit"]["head"]:
            found.problems.append("审计日志链头与备份时不同 / the audit chain's head differs from the backup's")
        found.decrypted = _decrypt_all(conn, vendor, found.problems)
    finally:
        if vendor == "postgresql":
            conn.rollback()
        conn.close()
    return found


def _decrypt_all(conn: Any, vendor: str, problems: list[str]) -> int:
    """Decrypt every member's resident ID and health with the key in the environment; an ID must give
    back its blind index. Reports the first member that fails (by id, never the value)."""
    ids, health = crypto.resident_id_cipher(), crypto.health_cipher()
    n = 0
    sql = "SELECT id, resident_id_cipher, resident_id_index, health_cipher FROM registry_member"
    for member, id_cipher, index, health_blob in _query(conn, vendor, sql):
        try:
            if ids.index(ids.decrypt(bytes(id_cipher))) != bytes(index):
                problems.append(f"成员 {member}：证件号码与盲索引不符 / member {member}: the resident ID does "
                                f"not match its blind index")
                return n
            health.decrypt(bytes(health_blob))
        except Exception:  # noqa: BLE001 -- InvalidTag, a bad version byte: all mean "not this key"
            problems.append(f"成员 {member}：密文无法用当前密钥解密（密钥不同？）/ member {member}: cannot be "
                            f"decrypted with this JINGZHUN_MASTER_KEY (a different key?)")
            return n
        n += 1
    return n


def _query(conn: Any, vendor: str, sql: str) -> Iterator[tuple[Any, ...]]:
    if vendor == "sqlite":
        yield from conn.execute(sql)
        return
    with conn.cursor(name="jingzhun_backup_decrypt") as cur:
        cur.itersize = FETCH
        cur.execute(sql)
        yield from cur


def settings_for(url_or_path: str) -> dict[str, Any]:
    """A DATABASES entry for a `--to` target: a URL as JINGZHUN_DATABASE_URL is written, or a file path
    (an SQLite database)."""
    if "://" in url_or_path:
        return dburl.parse(url_or_path)
    return dburl.parse(f"sqlite:///{Path(url_or_path).resolve()}")
