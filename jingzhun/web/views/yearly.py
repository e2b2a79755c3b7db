"""The yearly re-identification difference (动态调整) and the quota check (规模控制) in the browser.

The figures are `jingzhun.appraisal.yearly`'s, scoped in SQL to the user's areas (through the roles that
see their area's figures: officers, work teams, evaluators, auditors; a helper has no such page). These
views choose the year, the area and the policy and show what it says. An area outside the user's scope is
404, not an empty page: whether it exists is not disclosed.
"""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path
from typing import Any

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from jingzhun import access, cells
from jingzhun.appraisal import yearly
from jingzhun.areas.models import LEVEL_DEPTH, LEVEL_DIGITS, Area
from jingzhun.audit import log as audit
from jingzhun.choices import HOUSEHOLD_STATUS, Enum
from jingzhun.identification.models import IdentificationRun
from jingzhun.policy import DATA_DIR, PolicyError, available, load_policy, loads_policy
from jingzhun.registry.models import StatusEvent
from jingzhun.web.area_param import area_or_everywhere
from jingzhun.web.dashboard import levels_above
from jingzhun.web.lockout import client_address
from jingzhun.web.pages import requires, requires_download
from jingzhun.web.templatetags.jingzhun import lang

ABILITY = "dashboard"
EXPORT_ABILITY = "export"
SHOWN = 200  # households listed per group on the page; the XLSX has them all
CHANGE = Enum("yearly_change", yearly.CHANGES)
LEVELS = list(LEVEL_DIGITS)
MAX_POLICY_BYTES = 1 << 20


class BadRequest(Exception):
    pass


def _years(user: object, ability: str) -> list[int]:
    """The years with status events among the user's households, latest first."""
    events = access.households(StatusEvent.objects.filter(year__isnull=False), user, "household__", ability)
    return sorted(set(events.values_list("year", flat=True).distinct()), reverse=True)


def _year(request: HttpRequest, years: list[int]) -> int:
    text = request.GET.get("year", "").strip()
    if not text:
        return years[0] if years else timezone.localdate().year
    if not (text.isascii() and text.isdigit()) or not 1980 <= int(text[:5]) <= 2100:  # "²".isdigit() too
        raise BadRequest(_("Year: a year such as 2020."))
    return int(text)


def _status(code: str | None) -> str:
    return HOUSEHOLD_STATUS.label(code) if code else "—"


@requires(ABILITY)
def difference(request: HttpRequest) -> HttpResponse:
    user = request.user
    area = area_or_everywhere(user, request.GET.get("area", "").strip(), ABILITY)
    years = _years(user, ABILITY)
    problem, status = "", 200
    try:
        year = _year(request, years)
    except BadRequest as exc:
        problem, status = str(exc), 400
        year = years[0] if years else timezone.localdate().year
    if area is None:
        level, children = "province", list(Area.objects.filter(level="province").order_by("code"))
    elif area.level == "village":
        level, children = "village", [area]
    else:
        level = LEVELS[LEVEL_DEPTH[area.level] + 1]
        children = list(access.scope(Area.objects.filter(parent=area), user, "code", ABILITY).order_by("code"))
    result = yearly.difference(year, user, area=area.code if area else None, level=level, ability=ABILITY,
                               limit=SHOWN)
    shown_codes = {c.code for c in children}
    # Households in villages whose parent row is missing from the area table still count: named by code.
    extra = [Area(code=c, name=c, level=level) for c in sorted(set(result.counts) - shown_codes)]
    count_rows = [(child, child.code != (area.code if area else ""),
                   [result.counts.get(child.code, {}).get(code, 0) for code in CHANGE.codes])
                  for child in children + extra]
    villages = {v for rows in result.households.values() for _n, v, _b, _w in rows}
    village_names = dict(Area.objects.filter(code__in=villages).values_list("code", "name"))
    groups = [{"code": code, "label": CHANGE.label(code), "total": result.total(code),
               "rows": [(n, v, village_names.get(v, v), _status(b), _status(w))
                        for n, v, b, w in result.households.get(code, [])]}
              for code in CHANGE.codes]
    trail = [] if area is None else [
        a for a in Area.objects.filter(code__in=levels_above(area)).order_by("code")
        if access.can_see_area(user, a.code, ABILITY)]
    return render(request, "web/yearly.html", {
        "area": area, "area_name": area.name if area else _("All areas"), "trail": trail,
        "year": year, "years": sorted(set(years) | {year}, reverse=True), "problem": problem,
        "heads": [CHANGE.label(code) for code in CHANGE.codes], "count_rows": count_rows,
        "totals": [result.total(code) for code in CHANGE.codes], "groups": groups, "shown": SHOWN,
        "may_export": access.may(user, EXPORT_ABILITY),
        "title": _("Yearly adjustment"),
    }, status=status)


HEADERS = ["变化类别", "户编号", "所在村代码", "所在村", "上年状态", "本年状态"]


@requires_download(ABILITY)
def difference_xlsx(request: HttpRequest) -> Any:  # a FileResponse
    """The whole difference list of the area as XLSX: household numbers, villages and statuses only (no
    names, no IDs), audited as an export before the first row is written."""
    import xlsxwriter

    user = request.user
    area = area_or_everywhere(user, request.GET.get("area", "").strip(), EXPORT_ABILITY)
    years = _years(user, EXPORT_ABILITY)
    try:
        year = _year(request, years)
    except BadRequest as exc:
        raise Http404(str(exc)) from None
    code = area.code if area else ""
    name = f"动态调整-{year}-{code or 'all'}.xlsx"
    actor = user.get_username()
    spans = access.ranges(user, ability=EXPORT_ABILITY)
    address = client_address(request)
    # Every area exported (each of the user's spans, when no one area was chosen) and the client's address.
    areas = [low for low, _ in spans or ()] if not code else []
    audit.record(actor, "export", object_type="yearly_difference", object_id=name, area=code, year=year,
                 areas=areas, address=address,
                 masked=True, scope=None if spans is None else [list(s) for s in spans])
    folder = Path(tempfile.mkdtemp(prefix="jingzhun-yearly-"))
    path = folder / name
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet(f"{year}年动态调整")
    cells.write_row(sheet, 0, 0, HEADERS)
    n = 0
    for n, (number, village, village_name, change, before, now) in enumerate(
            yearly.rows(year, user, area=code or None, ability=EXPORT_ABILITY), start=1):
        # Names and numbers come from users' files: text cells, never formulas (jingzhun.cells).
        cells.write_row(sheet, n, 0, [CHANGE.zh(change), number, village, village_name,
                                      HOUSEHOLD_STATUS.zh(before) if before else "",
                                      HOUSEHOLD_STATUS.zh(now) if now else ""])
    sheet.set_column(0, len(HEADERS) - 1, 16)
    book.close()
    audit.record(actor, "export.finished", object_type="yearly_difference", object_id=name, rows=n, area=code,
                 areas=areas, address=address)
    handle = open(path, "rb")  # noqa: SIM115 -- FileResponse closes it after sending
    path.unlink()  # the open handle keeps the data until the response is sent; nothing stays on disk
    folder.rmdir()
    return FileResponse(handle, as_attachment=True, filename=name)


# --------------------------------------------------------------------------- quotas


@functools.cache
def _shipped(name: str) -> Any:  # a Policy; the shipped files are package data and never change
    return load_policy(DATA_DIR / name)


def _choices() -> list[tuple[str, str]]:
    """The policies with quotas: the shipped files, and the policies identification runs were made with."""
    out = [(f"file:{n}", _shipped(n).name) for n in available() if _shipped(n).quotas]
    seen = set()
    for pk, name, sha, quotas in IdentificationRun.objects.filter(finished_at__isnull=False).order_by(
            "-started_at").values_list("pk", "policy_name", "policy_sha256", "policy__quotas")[:200]:
        if quotas and sha not in seen:
            seen.add(sha)
            out.append((f"run:{pk}", _("%(name)s (identification run %(id)s)") % {"name": lang(name), "id": pk}))
    return out


def _chosen(key: str) -> tuple[str, int, dict[str, int]] | None:
    """(name, year, quotas) of the chosen policy, None when there is no such choice."""
    kind, _sep, ident = key.partition(":")
    if kind == "file" and ident in available():
        policy = _shipped(ident)
        return policy.name, policy.year, dict(policy.quotas)
    if kind == "run" and ident.isascii() and ident.isdigit() and len(ident) <= 18:
        run = IdentificationRun.objects.filter(pk=int(ident), finished_at__isnull=False).only(
            "policy_name", "policy_year", "policy").first()
        if run is not None:
            return run.policy_name, run.policy_year, {k: int(v) for k, v in (run.policy.get("quotas") or {}).items()}
    return None


@requires(ABILITY)
def quotas(request: HttpRequest) -> HttpResponse:
    """Pick a policy (or upload one, validated: each problem names its key and rule) and see each of its
    quota areas within the user's areas: quota, identified, pending, proposed, over by."""
    context: dict[str, Any] = {"choices": _choices(), "key": "", "title": _("Quota check"), "problems": [],
                               "lines": None}
    source = request.POST if request.method == "POST" else request.GET
    key = source.get("policy", "").strip()
    year_text = source.get("year", "").strip()
    context.update(key=key, year_text=year_text)
    chosen = None
    upload = request.FILES.get("file") if request.method == "POST" else None
    if upload is not None:
        name = Path(upload.name or "policy.toml").name
        raw = upload.read(MAX_POLICY_BYTES + 1)
        try:
            if len(raw) > MAX_POLICY_BYTES:
                context["problems"] = [_("%(file)s: the file is too large.") % {"file": name}]
            else:
                policy = loads_policy(raw.decode("utf-8"), name)
                chosen = (policy.name, policy.year, dict(policy.quotas))
        except UnicodeDecodeError:
            context["problems"] = [_("%(file)s: the file is not UTF-8 text.") % {"file": name}]
        except PolicyError as exc:
            # Each problem names the file, the dotted key and the rule (the loader's own words).
            context["problems"] = [f"{name}: {p.key}: {p.message}" if p.key else f"{name}: {p.message}"
                                   for p in exc.problems]
        if chosen is None:
            return render(request, "web/yearly_quotas.html", context, status=400)
    elif key:
        chosen = _chosen(key)
        if chosen is None:
            raise Http404(_("No such policy"))
    elif request.method == "POST":
        context["problems"] = [_("Choose a policy or a policy file.")]
        return render(request, "web/yearly_quotas.html", context, status=400)
    if chosen is None:
        return render(request, "web/yearly_quotas.html", context)
    name, year, quota_map = chosen
    if year_text:
        if not (year_text.isascii() and year_text.isdigit()) or not 1980 <= int(year_text[:5]) <= 2100:
            context["problems"] = [_("Year: a year such as 2020.")]
            return render(request, "web/yearly_quotas.html", context, status=400)
        year = int(year_text)
    try:
        lines = yearly.quota_report(quota_map, year, request.user, ABILITY)
    except ValueError as exc:  # a quota area missing from the area table: the policy's problem, named
        context["problems"] = [str(exc)]
        return render(request, "web/yearly_quotas.html", context, status=400)
    over = yearly.exceeded(lines)
    context.update(policy_name=name, year=year, lines=lines, over=len(over), has_quotas=bool(quota_map),
                   hidden=len(quota_map) - len(lines), over_total=sum(x.over for x in over))
    return render(request, "web/yearly_quotas.html", context)


__all__ = ["difference", "difference_xlsx", "quotas"]
