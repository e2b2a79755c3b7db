"""jingzhun demo: a synthetic province, imported through the real import path, put to work (cadres, teams,
pairing, visits, identification, cross-department checks, appraisal, help plans: `jingzhun.demo.work`) and
served on localhost with a login for each kind of user."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from typing import Any

from django.contrib.auth.models import Permission, User
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db.models import Count
from django.utils import timezone

from jingzhun.areas.loading import load_areas, load_villages
from jingzhun.areas.models import Area, AreaRole
from jingzhun.cli import DEMO_DIR
from jingzhun.demo.synth import MAX_YEAR
from jingzhun.registry.models import Household
from jingzhun.teams.models import Cadre, HelperPair, TeamMembership

FIRST_YEAR = 2014


def register_years(today: dt.date) -> range:
    """The register's years: 2014 through the current year (2021 on: the monitoring era, no new poor), so the
    latest complete year — the one the assessment finishes — is always on record."""
    return range(FIRST_YEAR, min(today.year, MAX_YEAR) + 1)


# The order logins are printed in.
LOGINS = ("province", "county", "township", "team", "helper", "admin")


class Command(BaseCommand):
    help = "演示：生成合成数据、导入并启动服务 / Demo: synthesise a small province, import it, serve it"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--households", type=int, default=3000)
        parser.add_argument("--counties", type=int, default=3)
        parser.add_argument("--seed", type=int, default=2014)
        parser.add_argument("--port", default="8000")
        parser.add_argument("--no-serve", action="store_true", help="prepare only (used by the tests)")

    def handle(self, *args: Any, **opts: Any) -> None:
        from jingzhun.demo import work

        call_command("migrate", verbosity=0)
        # The marker is written only after the last import: a demo stopped part-way is completed by
        # the next run (area loads are upserts and re-importing a file changes nothing). The work that
        # follows skips each stage whose data is there already.
        if not (DEMO_DIR / "demo-data" / "imported").exists():
            self._load(opts)
        logins = self._logins()
        self._officers(logins)
        county = _demo_county()
        ctx = work.Context(DEMO_DIR / "demo-data", opts["seed"], timezone.localdate(), county, self.stdout.write)
        work.populate(ctx, lambda: self._team(logins, county), lambda: self._helper(logins, county))
        self.stdout.write(f"\n精准 Jingzhun 演示 / demo — http://127.0.0.1:{opts['port']}/  (管理后台 / admin: /admin/)")
        for name in (n for n in LOGINS if n in logins):  # no team login in a province without a poor village
            password, where = logins[name]
            self.stdout.write(f"  {name:<10} {password:<18} {where}")
        if not opts["no_serve"]:
            from jingzhun.web.management.commands.serve import start_worker, stop_worker

            worker = start_worker()  # runs the imports uploaded through the demo's pages
            try:
                call_command("runserver", f"127.0.0.1:{opts['port']}", use_reloader=False, insecure_serving=True)
            finally:
                stop_worker(worker)

    def _load(self, opts: dict[str, Any]) -> None:
        from jingzhun.demo import work
        from jingzhun.demo.synth import generate

        data = DEMO_DIR / "demo-data"
        if not (data / "generated").exists():  # written once the generator has finished every file
            self.stdout.write(f"生成合成省份 / synthesising {opts['households']} households in {opts['counties']} counties …")
            generate(data, households=opts["households"], seed=opts["seed"], years=register_years(timezone.localdate()),
                     counties=opts["counties"])
            (data / "generated").write_text(f"households={opts['households']} seed={opts['seed']}\n")
        load_areas(data / "areas.csv")
        load_villages(data / "villages.csv")
        # The years up to the finished one; the current year's file follows the first pairing (work.pairing), as
        # the year's register comes after the helpers have served the year before.
        done = [p for p in sorted(data.glob("register-*.csv")) if not work.current_year_file(p, timezone.localdate())]
        for path in done:
            work.import_register_file(path, self.stdout.write)
        (data / "imported").write_text("\n".join(p.name for p in done) + "\n")

    # Logins: each made once, its password random and kept in .jingzhun/demo-logins.txt (mode 600), so a
    # later run prints the same ones; a login missing from the file (a demo stopped before making it) is
    # made by the next run.

    def _logins(self) -> dict[str, tuple[str, str]]:
        saved = DEMO_DIR / "demo-logins.txt"
        found: dict[str, tuple[str, str]] = {}
        if saved.exists():
            for line in saved.read_text().splitlines():
                name, password, where = line.split("\t")
                found[name] = (password, where)
        existing = set(User.objects.filter(username__in=list(found)).values_list("username", flat=True))
        return {name: v for name, v in found.items() if name in existing}

    def _login(self, logins: dict[str, tuple[str, str]], name: str, setup: Callable[[User], str]) -> None:
        """Make the login `name` unless it is saved: a new password, then `setup` gives roles and says where."""
        if name in logins:
            return
        password = secrets.token_urlsafe(9)
        user, _ = User.objects.get_or_create(username=name)
        user.set_password(password)
        user.save()
        logins[name] = (password, setup(user))
        saved = DEMO_DIR / "demo-logins.txt"
        saved.write_text("".join(f"{n}\t{logins[n][0]}\t{logins[n][1]}\n" for n in LOGINS if n in logins))
        saved.chmod(0o600)

    def _officers(self, logins: dict[str, tuple[str, str]]) -> None:
        province = Area.objects.filter(level="province").order_by("code").first()
        county = _demo_county()
        township = Area.objects.filter(level="township", parent=county).order_by("code").first()
        reveal = Permission.objects.get(codename="reveal_sensitive")
        for name, area, can_reveal in (("province", province, True), ("county", county, True),
                                       ("township", township, False)):
            assert area is not None

            def officer(user: User, area: Area = area, can_reveal: bool = can_reveal) -> str:
                user.is_staff = True
                user.save()
                user.user_permissions.set(Permission.objects.filter(
                    content_type__app_label__in=["registry", "areas"], codename__startswith="view_"))
                if can_reveal:
                    user.user_permissions.add(reveal)
                AreaRole.objects.get_or_create(user=user, area=area, role="officer")
                return f"{area.name}（{area.code}）干部 officer"

            self._login(logins, name, officer)

        def administrator(user: User) -> str:
            user.is_staff = user.is_superuser = True
            user.save()
            return "系统管理员 administrator (all areas)"

        self._login(logins, "admin", administrator)

    def _team(self, logins: dict[str, tuple[str, str]], county: Area) -> None:
        """The first secretary of the county's first work team, with a work-team role at its village."""
        low, high = county.code_range
        membership = (TeamMembership.objects.filter(role="first_secretary", end_date__isnull=True,
                                                    team__village_id__gte=low, team__village_id__lte=high)
                      .select_related("cadre", "team__village").order_by("team__village_id").first())
        if membership is None:
            return

        def team(user: User) -> str:
            village = membership.team.village
            Cadre.objects.filter(pk=membership.cadre_id).update(user=user)
            AreaRole.objects.get_or_create(user=user, area=village, role="work_team")
            return f"{village.name}（{village.code}）驻村工作队第一书记 {membership.cadre.name} work team"

        self._login(logins, "team", team)

    def _helper(self, logins: dict[str, tuple[str, str]], county: Area) -> None:
        """The county's helper with the most households (a cadre without a login yet), with a helper role at
        the county: they see exactly their paired households."""
        low, high = county.code_range
        found = (HelperPair.objects.filter(end_date__isnull=True, cadre__user__isnull=True,
                                           cadre__home_area_id__gte=low, cadre__home_area_id__lte=high)
                 .values("cadre_id").annotate(n=Count("id")).order_by("-n", "cadre_id").first())
        if found is None:
            return
        cadre = Cadre.objects.get(pk=found["cadre_id"])

        def helper(user: User) -> str:
            Cadre.objects.filter(pk=cadre.pk).update(user=user)
            AreaRole.objects.get_or_create(user=user, area=county, role="helper")
            return f"{county.name}（{county.code}）帮扶责任人 {cadre.name}，结对 {found['n']} 户 helper"

        self._login(logins, "helper", helper)


def _counties_with_households() -> list[str]:
    villages = Household.objects.values_list("village_id", flat=True).distinct()[:1000]
    return sorted({code[:6].ljust(12, "0") for code in villages})



def _demo_county() -> Area:
    """The county officer's county: the first with households and a poor village (so it has a work team)."""
    counties = Area.objects.filter(level="county", code__in=_counties_with_households()).order_by("code")
    poor = {code[:6] for code in Area.objects.filter(level="village", poor_village=True).values_list("code", flat=True)}
    found = next((c for c in counties if c.code[:6] in poor), None) or counties.first()
    assert found is not None
    return found
