"""Field lists (入户调查名单): the sampled households of a village for the evaluators, with the head's name and
resident ID masked (first 6 + last 4; the clear ID is decrypted only to be masked here) — an A4 HTML page per
village and one XLSX for the user's part of the sample. Every print is an export of personal data, audited."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.db.models import QuerySet

from jingzhun import cells, crypto
from jingzhun.evaluation.models import GROUP, FrameHousehold, SampledHousehold
from jingzhun.identity import mask
from jingzhun.registry.models import Member

HEADERS = ["序号 No.", "村代码 Village", "户编号 Household", "类别 Group", "户主 Head", "身份证号 ID (masked)",
           "入样概率 Probability", "权数 Weight", "收入核实无误", "两不愁三保障达标", "错退", "漏评", "认可"]


@dataclass(frozen=True)
class Row:
    index: int
    village: str
    number: str
    group: str
    head: str
    masked_id: str
    probability: float
    weight: float


def rows(households: QuerySet[SampledHousehold]) -> list[Row]:
    found = list(households.order_by("village_id", "group", "number"))
    heads = {m.household_id: m for m in Member.objects.filter(
        household_id__in=[h.household_id for h in found if h.household_id], relation="head").only(
        "household_id", "name", "resident_id_cipher")}
    frame = dict(FrameHousehold.objects.filter(pk__in=[h.frame_household_id for h in found if h.frame_household_id])
                 .values_list("pk", "head_name"))
    cipher = crypto.resident_id_cipher() if heads else None
    out = []
    for i, h in enumerate(found, start=1):
        head = heads.get(h.household_id or 0)
        masked = mask(cipher.decrypt(bytes(head.resident_id_cipher))) if head is not None and cipher else ""
        name = head.name if head is not None else frame.get(h.frame_household_id or 0, "")
        out.append(Row(i, h.village_id, h.number, GROUP.zh(h.group), name, masked, h.probability, h.weight))
    return out


def write_xlsx(found: list[Row], path: str | Path) -> Path:
    import xlsxwriter

    path = Path(path)
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("入户调查名单")
    head = book.add_format({"bold": True, "bg_color": "#DDEBF7", "text_wrap": True})
    sheet.write_row(0, 0, HEADERS, head)
    for i, r in enumerate(found, start=1):
        cells.write_row(sheet, i, 0, [r.index, r.village, r.number, r.group, r.head, r.masked_id, f"{r.probability:.6f}",
                                      f"{r.weight:.2f}", "", "", "", "", ""])
    sheet.set_column(0, 12, 14)
    sheet.freeze_panes(1, 3)
    book.close()
    return path
