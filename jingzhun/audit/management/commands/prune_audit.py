from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from jingzhun.audit import log


class Command(BaseCommand):
    help = "删除超过保留期的审计日志 / delete audit rows older than the retention period (≥ 180 days)"

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=settings.AUDIT_RETENTION_DAYS,
                            help="保留天数 / retention in days (default JINGZHUN_AUDIT_RETENTION_DAYS or 365)")

    def handle(self, *args, days: int, **options):
        try:
            deleted = log.prune(days, actor="prune_audit")
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"已删除 {deleted} 条审计日志 / deleted {deleted} audit rows older than {days} days")
