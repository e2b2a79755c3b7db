from django.core.management.base import BaseCommand

from jingzhun.audit.management.commands.audit import Command as AuditCommand


class Command(BaseCommand):
    help = "旧名，同 `jingzhun audit prune` / the old name of `jingzhun audit prune`"

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=None, help="保留天数 / retention in days")

    def handle(self, *args, days, **options):
        from django.conf import settings

        AuditCommand(stdout=self.stdout, stderr=self.stderr).handle(
            what="prune", days=settings.AUDIT_RETENTION_DAYS if days is None else days, actor="prune_audit")
