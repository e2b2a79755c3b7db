"""XLSX exports of units, unit–village links and secondments in the user's areas, in the import
templates' columns (an export re-imports), audited as exports before the first row is written."""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.http import FileResponse, Http404, HttpRequest

from jingzhun import access, cells
from jingzhun.audit import log as audit
from jingzhun.choices import UNIT_KIND
from jingzhun.core.addresses import client_address
from jingzhun.organisation import scope
from jingzhun.organisation.imports import links, secondments, units
from jingzhun.organisation.models import UNIT_LEVEL, Secondment, Unit, UnitVillageLink
from jingzhun.tabular.spec import Spec
from jingzhun.web.pages import requires_download


def _yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def _unit_rows(user: object) -> Iterable[list[Any]]:
    for u in Unit.objects.filter(scope.download_q(user, "area_id"), merged_into__isnull=True).order_by("area_id", "name"):
        yield [u.name, UNIT_KIND.zh(u.kind), u.area_id, UNIT_LEVEL.zh(u.level)]


def _link_rows(user: object) -> Iterable[list[Any]]:
    for k in UnitVillageLink.objects.filter(scope.download_q(user, "village_id")).select_related("unit").order_by(
            "year", "village_id", "unit__name").iterator(chunk_size=2000):
        yield [k.unit.name, UNIT_KIND.zh(k.unit.kind), k.unit.area_id, k.village_id, k.year,
               _yuan(k.funds_pledged_fen), k.projects_pledged, k.people_pledged, _yuan(k.funds_delivered_fen),
               k.projects_delivered, k.people_delivered]


def _secondment_rows(user: object) -> Iterable[list[Any]]:
    for s in Secondment.objects.filter(scope.download_q(user, "to_area_id")).select_related("cadre", "from_unit").order_by(
            "start_date", "pk").iterator(chunk_size=2000):
        yield [s.cadre.personnel_number, s.from_unit.name, UNIT_KIND.zh(s.from_unit.kind), s.from_unit.area_id,
               s.from_area_id, s.to_area_id, s.post, s.start_date.isoformat(), s.end_date.isoformat(), s.purpose]


KINDS = {"units": (units.SPEC, _unit_rows, "单位名录"), "unit_links": (links.SPEC, _link_rows, "单位联系村"),
         "secondments": (secondments.SPEC, _secondment_rows, "挂职")}


@requires_download(scope.READ)
def export_xlsx(request: HttpRequest, kind: str) -> Any:  # a FileResponse
    if kind not in KINDS:
        raise Http404(kind)
    spec, rows, sheet_name = KINDS[kind]
    user = request.user
    spans = access.download_ranges(user, scope.READ)
    name = f"{sheet_name}.xlsx"
    audit.record(user.get_username(), "export", object_type=kind, object_id=name,
                 areas=[low for low, _ in spans or ()], address=client_address(request),
                 scope=None if spans is None else [list(s) for s in spans])
    path = Path(tempfile.mkdtemp(prefix="jingzhun-organisation-")) / name
    _write(path, spec, rows(user), sheet_name)
    return FileResponse(path.open("rb"), as_attachment=True, filename=name)


def _write(path: Path, spec: Spec, rows: Iterable[list[Any]], sheet_name: str) -> None:
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_numbers": False})
    sheet = book.add_worksheet(sheet_name)
    cells.write_row(sheet, 0, 0, list(spec.headers))
    for i, row in enumerate(rows, start=1):
        cells.write_row(sheet, i, 0, row)  # names from officers' files: text cells, never formulas (jingzhun.cells)
    book.close()
