"""`jingzhun backup FILE`: a consistent copy of the whole database and its manifest (jingzhun.backup)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from jingzhun import backup


class Command(BaseCommand):
    help = ("备份整个数据库（SQLite：在线备份；PostgreSQL：pg_dump）及其清单 / back up the whole database "
            "(SQLite: online backup API; PostgreSQL: pg_dump) with a manifest of row counts and checksums")

    def add_arguments(self, parser):
        parser.add_argument("file", help="备份文件 / the backup file (its manifest is written beside it)")

    def handle(self, *args, file: str, **options):
        try:
            manifest = backup.backup(file, connection.settings_dict)
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from None
        rows = sum(t["rows"] for t in manifest["tables"].values())
        self.stdout.write(f"已备份 {len(manifest['tables'])} 张表、{rows} 行到 {file} / backed up "
                          f"{len(manifest['tables'])} tables, {rows} rows to {file} "
                          f"(manifest {backup.manifest_path(Path(file)).name})")
        audit = manifest["audit"]
        if not audit["verified"]:
            # The backup is kept (it may be all there is), but whoever runs it must hear of the break.
            raise CommandError(f"备份已写出，但审计日志链断开 / the backup is written, but the audit chain is "
                               f"broken: {audit['problem']}")
        self.stdout.write(f"审计日志链完好：{audit['rows']} 行 / the audit chain holds: {audit['rows']} rows")
