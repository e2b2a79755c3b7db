"""`jingzhun restore FILE [--to URL|PATH]`: restore a backup into a fresh place and prove it (jingzhun.backup)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from jingzhun import backup, crypto


class Command(BaseCommand):
    help = ("把备份恢复到新的空数据库并校验（完整性、行数、校验和、审计日志链、证件号码解密）/ restore a backup "
            "into a new, empty database and check it (integrity, row counts, checksums, audit chain, decryption)")

    def add_arguments(self, parser):
        parser.add_argument("file", help="备份文件 / the backup file (with its .manifest.json beside it)")
        parser.add_argument("--to", help="目标：数据库 URL 或 SQLite 文件路径（默认 JINGZHUN_DATABASE_URL）/ the "
                                         "target: a database URL or an SQLite file (default JINGZHUN_DATABASE_URL)")
        parser.add_argument("--force", action="store_true",
                            help="覆盖非空的 SQLite 目标 / overwrite a non-empty SQLite target")
        parser.add_argument("--check-only", action="store_true",
                            help="不恢复，只把目标与备份清单比对 / restore nothing: check the target against the "
                                 "backup's manifest")

    def handle(self, *args, file: str, to: str | None, force: bool, check_only: bool, **options):
        target = backup.settings_for(to) if to else dict(connection.settings_dict)
        if not to:
            connection.close()  # SQLite: restoring over our own database, let go of it first
        try:
            if check_only:
                found = backup.check(target, backup.read_manifest(Path(file)))
            else:
                found = backup.restore(file, target, force=force)
        except (backup.BackupError, crypto.MissingKey) as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"{found.tables} 张表、{found.rows} 行；审计日志 {found.audit_rows} 行；解密 {found.decrypted} "
                          f"个证件号码 / {found.tables} tables, {found.rows} rows; {found.audit_rows} audit rows; "
                          f"{found.decrypted} resident IDs decrypted")
        if not found.ok:
            raise CommandError("恢复后的数据库校验未通过 / the restored database failed its checks:\n  "
                               + "\n  ".join(found.problems))
        self.stdout.write("恢复并校验通过 / restored and checked: it matches the backup")
