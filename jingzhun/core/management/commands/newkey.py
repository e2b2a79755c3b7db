from typing import Any

from django.core.management.base import BaseCommand

from jingzhun.crypto import KEY_ENV, new_master_key


class Command(BaseCommand):
    help = "生成主密钥 / Print a new master key for JINGZHUN_MASTER_KEY"

    def handle(self, *args: Any, **opts: Any) -> None:
        self.stdout.write(f"export {KEY_ENV}={new_master_key()}")
