"""Printing a notice (公示) in the usual Chinese layout: HTML for the notice board, XLSX for filing.

A notice shows each household's head by name, the village, the household size, the primary cause
and the head's resident ID masked (first 6 + last 4). Clear IDs are decrypted only to be masked here
and never leave this module. Every print is an export of personal data and is audited.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.db.models import Count, QuerySet
from django.template.loader import render_to_string

from jingzhun import access, cells, crypto
from jingzhun.appraisal.kinds import EXIT, KIND
from jingzhun.appraisal.models import NOTICE_STAGE, Notice
from jingzhun.audit import log as audit
from jingzhun.choices import CAUSE
from jingzhun.identity import mask
from jingzhun.registry.models import Member


@dataclass(frozen=True)
class NoticeRow:
    number: int
    household_number: str
    head_name: str
    masked_id: str
    size: int
    cause: str


def _date_zh(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def context(notice: Notice) -> dict[str, object]:
    apps = list(notice.applications.select_related("household").annotate(size=Count("household__members"))
                .order_by("household__number"))
    heads = {m.household_id: m for m in Member.objects.filter(
        household_id__in=[a.household_id for a in apps], relation="head").only("household_id", "name",
                                                                            "resident_id_cipher")}
    cipher = crypto.resident_id_cipher()
    rows = []
    for i, app in enumerate(apps, start=1):
        head = heads.get(app.household_id)
        masked = mask(cipher.decrypt(bytes(head.resident_id_cipher))) if head else ""
        rows.append(NoticeRow(i, app.household.number, head.name if head else "", masked, app.size,  # type: ignore[attr-defined]
                              CAUSE.zh(app.household.primary_cause)))
    village = notice.village
    township = village.parent
    publisher = (f"{village.name}村民委员会" if notice.stage == "first"
                 else f"{township.name if township else village.name}人民政府")
    return {
        "notice": notice, "rows": rows, "village": village, "township": township,
        "county": township.parent if township else None,
        "stage_label": NOTICE_STAGE.zh(notice.stage), "publisher": publisher,
        "starts": _date_zh(notice.starts_on), "ends": _date_zh(notice.ends_on),
        "title": title(notice, village.name),
    }


def title(notice: Notice, village_name: str) -> str:
    """The notice's heading: the village, the year, the kind ("贫困户识别", "贫困户退出", "监测对象识别") and, where
    the kind has two notices, which one ("洗车村2020年贫困户识别第一次公示", "洗车村2020年贫困户退出公示")."""
    kind = KIND.zh(notice.kind)
    if notice.kind == EXIT:  # an exit has one notice, in the village
        return f"{village_name}{notice.year}年{kind}公示"
    return f"{village_name}{notice.year}年{kind}{'第一次' if notice.stage == 'first' else '第二次'}公示"


def visible_notices(user: object) -> QuerySet[Notice]:
    """The notices `user` may open, scoped like households (in SQL): a notice whose applications include a
    household the user may see — for a helper, one of their paired households, not every notice of their
    village. Once open, the notice is shown whole: it is the document posted on the village's board."""
    listed = access.households(Notice.applications.through.objects.all(), user, prefix="application__household__")
    return Notice.objects.filter(pk__in=listed.values("notice_id"))


def _allowed(notice: Notice, user: object) -> None:
    if not visible_notices(user).filter(pk=notice.pk).exists():
        raise PermissionDenied(f"公示 {notice.pk} 不在您的管辖范围 / notice {notice.pk} is outside your areas")


def render_html(notice: Notice, user: object) -> str:
    _allowed(notice, user)
    html = render_to_string("appraisal/notice.html", context(notice))
    audit.record(str(getattr(user, "username", user)), "appraisal.notice.print", object_type="notice",
                 object_id=str(notice.pk), area=notice.village_id, format="html")
    return html


HEADERS = ("序号", "户编号", "户主姓名", "身份证号码", "家庭人口", "主要致贫原因")


def write_xlsx(notice: Notice, path: str | Path, user: object) -> Path:
    import xlsxwriter

    _allowed(notice, user)
    ctx = context(notice)
    out = Path(path)
    book = xlsxwriter.Workbook(str(out))
    sheet = book.add_worksheet("公示")
    bold = book.add_format({"bold": True, "align": "center", "font_size": 16})
    # Names, numbers and the contact are users' text: text cells, never formulas (jingzhun.cells); the
    # title starts with the village's name, so it is merged empty and written as text.
    sheet.merge_range(0, 0, 0, len(HEADERS) - 1, "", bold)
    cells.write(sheet, 0, 0, str(ctx["title"]), bold)
    cells.write_row(sheet, 1, 0, HEADERS)
    rows: list[NoticeRow] = ctx["rows"]  # type: ignore[assignment]
    for i, r in enumerate(rows, start=2):
        cells.write_row(sheet, i, 0, [r.number, r.household_number, r.head_name, r.masked_id, r.size, r.cause])
    foot = len(rows) + 3
    cells.write(sheet, foot, 0, f"公示期：{ctx['starts']}至{ctx['ends']}（共{notice.days}天）")
    cells.write(sheet, foot + 1, 0, f"如有异议，请在公示期内实名或匿名反映。受理联系方式：{notice.contact}")
    cells.write(sheet, foot + 2, 0, f"{ctx['publisher']}　{ctx['starts']}")
    sheet.set_column(0, len(HEADERS) - 1, 16)
    book.close()
    audit.record(str(getattr(user, "username", user)), "appraisal.notice.print", object_type="notice",
                 object_id=str(notice.pk), area=notice.village_id, format="xlsx", file=out.name)
    return out
