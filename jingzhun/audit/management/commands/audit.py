"""`jingzhun audit verify | prune | grants`: the audit log's chain, retention and database roles."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from jingzhun import crypto
from jingzhun.audit import chain, log, roles


class Command(BaseCommand):
    help = ("审计日志：verify 校验哈希链，prune 按保留期删除最旧的行，grants 生成数据库角色授权 / the audit log: "
            "verify the hash chain, prune the oldest rows past retention, print the database role grants")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="what", required=True)
        sub.add_parser("verify", help="校验哈希链，报告第一处断开 / walk the chain, report the first broken row")
        prune = sub.add_parser("prune", help="删除超过保留期的最旧行（至少 180 天，本身留痕）/ delete the oldest "
                                             "rows past retention (at least 180 days; audited)")
        prune.add_argument("--days", type=int, default=settings.AUDIT_RETENTION_DAYS,
                           help="保留天数 / retention in days (default JINGZHUN_AUDIT_RETENTION_DAYS or 365)")
        prune.add_argument("--actor", default="audit prune", help="审计记录中的操作人 / the name recorded")
        grants = sub.add_parser("grants", help="PostgreSQL：应用角色的授权 SQL / PostgreSQL: the app role's grants")
        grants.add_argument("--app-role", required=True, help="应用连接所用的角色 / the role the application uses")
        grants.add_argument("--apply", action="store_true",
                            help="以当前连接（表的所有者）执行 / run them now as the current (owner) connection")

    def handle(self, *args, what: str, **opts):
        try:
            if what == "verify":
                self.verify()
            elif what == "prune":
                deleted = log.prune(opts["days"], actor=opts["actor"])
                self.stdout.write(f"已删除 {deleted} 条审计日志 / deleted {deleted} audit rows older than "
                                  f"{opts['days']} days")
            else:
                self.grants(opts["app_role"], opts["apply"])
        except (ValueError, crypto.MissingKey) as exc:
            raise CommandError(str(exc)) from None

    def verify(self) -> None:
        with connection.cursor() as cur:
            report = chain.verify(cur)
        if not report.ok:
            raise CommandError(f"审计日志链断开 / the audit chain is broken: {report.problem} "
                               f"({report.rows} 行完好 / rows intact before it)")
        self.stdout.write(f"审计日志链完好：{report.rows} 行 / the audit chain holds: {report.rows} rows")

    def grants(self, role: str, apply: bool) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("grants 仅用于 PostgreSQL / grants are for PostgreSQL only (SQLite has no roles)")
        statements = roles.grants(role)
        if apply:
            with connection.cursor() as cur:
                for sql in statements:
                    cur.execute(sql)
        self.stdout.write("\n".join(f"{sql};" for sql in statements))
