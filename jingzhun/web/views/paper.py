"""Officers' paper: a household's card (明白卡) and file (户档案), alone or for a whole village, as A4 pages
the browser prints (one household per sheet), or the same sheets as one PDF file (jingzhun.web.paper.pdf). The
documents are Chinese official paper, as the notices are (jingzhun.appraisal.notices); the screen-only controls
follow the page's language.

Scoped like the household page: a household outside the user's households is "not found", and a village's
bulk print holds only the households the user may see (access.households, in SQL). Every print is an export
of personal data and is audited with the village and the count: it needs the "export" ability besides seeing the
register (`pages.requires_download`), on the same role, so a helper or an auditor does not print.
"""

from __future__ import annotations

from urllib.parse import quote

from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from jingzhun import access
from jingzhun.areas.models import Area
from jingzhun.audit import log as audit
from jingzhun.audit import names
from jingzhun.registry.models import Household
from jingzhun.web.lockout import client_address
from jingzhun.web.pages import requires_download
from jingzhun.web.paper import load, pdf

# The audit log's names of the prints, and of the count they record (jingzhun.audit.names).
names.register_actions({"print.card": "打印明白卡 / household cards printed",
                        "print.file": "打印户档案 / household files printed"})
names.register_keys({"count": "户数 / households"})

KINDS = {"card": ("明白卡", "web/paper/cards.html", False), "file": ("户档案", "web/paper/files.html", True)}


def _kind(kind: str) -> tuple[str, str, bool]:
    if kind not in KINDS:
        raise Http404(_("No such document"))
    return KINDS[kind]


def _print(request: HttpRequest, kind: str, scoped: QuerySet[Household], village: Area, back: str, *, one: str = "",
           fmt: str = "html") -> HttpResponse:
    """The print page (`fmt` "html") or the same sheets as one PDF file ("pdf"), audited alike."""
    name, template, full = _kind(kind)
    sheets = load.sheets(scoped, full=full)
    audit.record(str(request.user), f"print.{kind}", object_type="household" if one else "area",
                 object_id=one or village.code, area=village.code, address=client_address(request),
                 count=len(sheets), format=fmt)
    title = f"{village.name} · {name}" if not one else f"{one} · {name}"
    if fmt == "pdf":
        body = pdf.render(sheets, kind, title=title, printed_on=timezone.localdate())
        response = HttpResponse(body, content_type="application/pdf")
        filename = f"{one or village.code}-{name}.pdf"
        response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
        response["Cache-Control"] = "no-store"  # personal data: no copy kept by a shared cache or the browser
        return response
    return render(request, template, {
        "sheets": sheets, "village": village, "back": back, "document": name, "printed_on": timezone.localdate(),
        "title": title, "pdf": _pdf_link(request, kind, village.code, one),
    })


def _pdf_link(request: HttpRequest, kind: str, code: str, one: str) -> str:
    return (reverse("web:household_paper_pdf", args=[one, kind]) if one
            else reverse("web:village_paper_pdf", args=[code, kind]))


@requires_download("register")
def household_paper(request: HttpRequest, number: str, kind: str, fmt: str = "html") -> HttpResponse:
    """One household's card or file; outside the user's households it is "not found"."""
    _kind(kind)
    scoped = access.households(Household.objects.filter(number=number), request.user, ability=access.EXPORT)
    household = scoped.select_related("village").first()
    if household is None:
        raise Http404(_("No such household in your scope"))
    return _print(request, kind, scoped, household.village, reverse("web:household", args=[household.number]),
                  one=household.number, fmt=fmt)


@requires_download("register")
def village_paper(request: HttpRequest, code: str, kind: str, fmt: str = "html") -> HttpResponse:
    """Every household of a village the user may see, one per sheet. A village outside the user's areas is
    "not found" (not an empty print: existence is not disclosed)."""
    _kind(kind)
    if not (code.isdigit() and len(code) == 12) or not access.can_download_area(request.user, code, "register"):
        raise Http404(_("No such area in your scope"))
    village = Area.objects.filter(code=code, level="village").select_related("parent__parent").first()
    if village is None:
        raise Http404(_("No such area in your scope"))
    scoped = access.households(Household.objects.filter(village_id=code), request.user, ability=access.EXPORT)
    back = (reverse("web:dashboard_area", args=[code]) if access.may(request.user, "dashboard")
            else f"{reverse('web:households')}?area={code}")
    return _print(request, kind, scoped, village, back, fmt=fmt)
