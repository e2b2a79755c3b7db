"""jingzhun demo: a synthetic province, imported through the real import path, served on localhost."""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib.auth.models import Permission, User
from django.core.management import call_command
from django.core.management.base import BaseCommand

from jingzhun.areas.loading import load_areas, load_villages
from jingzhun.areas.models import Area, AreaRole
from jingzhun.cli import DEMO_DIR
from jingzhun.registry.importer import import_register
from jingzhun.registry.models import Household


class Command(BaseCommand):
    help = "演示：生成合成数据、导入并启动服务 / Demo: synthesise a small province, import it, serve it"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--households", type=int, default=3000)
        parser.add_argument("--counties", type=int, default=3)
        parser.add_argument("--seed", type=int, default=2014)
        parser.add_argument("--port", default="8000")
        parser.add_argument("--no-serve", action="store_true", help="prepare only (used by the tests)")

    def handle(self, *args: Any, **opts: Any) -> None:
        call_command("migrate", verbosity=0)
        # The marker is written only after the last import: a demo stopped part-way is completed by
        # the next run (area loads are upserts and re-importing a file changes nothing).
        if not (DEMO_DIR / "demo-data" / "imported").exists():
            self._load(opts)
        logins = self._users()
        self.stdout.write(f"\n精准 Jingzhun 演示 / demo — http://127.0.0.1:{opts['port']}/  (管理后台 / admin: /admin/)")
        for name, password, where in logins:
            self.stdout.write(f"  {name:<10} {password:<18} {where}")
        if not opts["no_serve"]:
            call_command("runserver", f"127.0.0.1:{opts['port']}", use_reloader=False, insecure_serving=True)

    def _load(self, opts: dict[str, Any]) -> None:
        from jingzhun.synth import generate

        data = DEMO_DIR / "demo-data"
        if not (data / "generated").exists():  # written once the generator has finished every file
            self.stdout.write(f"生成合成省份 / synthesising {opts['households']} households in {opts['counties']} counties …")
            generate(data, households=opts["households"], seed=opts["seed"], years=range(2014, 2021),
                     counties=opts["counties"])
            (data / "generated").write_text(f"households={opts['households']} seed={opts['seed']}\n")
        load_areas(data / "areas.csv")
        load_villages(data / "villages.csv")
        for path in sorted(data.glob("register-*.csv")):
            result = import_register(path, actor="demo")
            if not result.imported:
                raise SystemExit(f"{path.name}: {len(result.errors)} errors, first: {result.errors[:3]}")
            self.stdout.write(f"  {path.name}: +{result.inserted} 新增, {result.updated} 更新, {result.unchanged} 未变")
        (data / "imported").write_text("\n".join(p.name for p in sorted(data.glob("register-*.csv"))) + "\n")

    def _users(self) -> list[tuple[str, str, str]]:
        """Demo logins, created once; passwords random and kept in .jingzhun/demo-logins.txt."""
        saved = DEMO_DIR / "demo-logins.txt"
        if saved.exists() and User.objects.filter(username="admin").exists():
            return [tuple(line.split("\t")) for line in saved.read_text().splitlines()]  # type: ignore[misc]
        province = Area.objects.filter(level="province").order_by("code").first()
        county = Area.objects.filter(level="county", code__in=_counties_with_households()).order_by("code").first()
        township = Area.objects.filter(level="township", parent=county).order_by("code").first()
        reveal = Permission.objects.get(codename="reveal_sensitive")
        logins = []
        for name, area, can_reveal in (("province", province, True), ("county", county, True), ("township", township, False)):
            assert area is not None
            password = secrets.token_urlsafe(9)
            user, _ = User.objects.get_or_create(username=name)
            user.set_password(password)
            user.is_staff = True
            user.save()
            user.user_permissions.set(Permission.objects.filter(
                content_type__app_label__in=["registry", "areas"], codename__startswith="view_"))
            if can_reveal:
                user.user_permissions.add(reveal)
            AreaRole.objects.get_or_create(user=user, area=area, role="officer")
            logins.append((name, password, f"{area.name}（{area.code}）干部 officer"))
        password = secrets.token_urlsafe(9)
        admin = User.objects.filter(username="admin").first() or User.objects.create_superuser("admin", None, password)
        admin.set_password(password)
        admin.save()
        logins.append(("admin", password, "系统管理员 administrator (all areas)"))
        saved.write_text("\n".join("\t".join(x) for x in logins) + "\n")
        saved.chmod(0o600)
        return logins


def _counties_with_households() -> list[str]:
    villages = Household.objects.values_list("village_id", flat=True).distinct()[:1000]
    return sorted({code[:6].ljust(12, "0") for code in villages})

