"""The same cards and files as the print pages, as one A4 PDF file: one loader (`load.sheets`), two renderings.

reportlab writes the PDF in this process with no font file, no system font and no browser: Chinese text is set in
Adobe's CID font STSong-Light (宋体), which every PDF reader carries for GB 2312 documents, so the file names the
font and embeds none (a 300-household file stays small). Resident IDs arrive masked from the loader; this module
never sees a clear ID. Each household starts on a page of its own, as each sheet does on the print pages.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from datetime import date
from functools import cache
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Flowable, PageBreak, Paragraph, SimpleDocTemplate, Table, TableStyle

from jingzhun.areas.models import Area
from jingzhun.web.paper.load import Sheet

FONT = "STSong-Light"  # GB 2312 and more, but not every character: no "·" (U+00B7), so headings use a full-width space
WIDTH = A4[0] - 24 * mm  # the printable width between 12 mm margins, as the print pages' @page
GREY = colors.Color(0.93, 0.93, 0.93)
Rows = list[list[object]]
PAIRS = [(0, 0, 0, -1), (2, 0, 2, -1), (4, 0, 4, -1)]  # label columns of a label/value/label/value… grid


@cache
def styles() -> dict[str, ParagraphStyle]:
    """The paragraph styles, made once per process (registering the CID font is global in reportlab)."""
    pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    # wordWrap="CJK" breaks lines between any two Chinese characters, as Chinese is set.
    cell = ParagraphStyle("cell", fontName=FONT, fontSize=9, leading=11.5, wordWrap="CJK")
    return {
        "title": ParagraphStyle("title", fontName=FONT, fontSize=20, leading=26, alignment=TA_CENTER),
        "sub": ParagraphStyle("sub", fontName=FONT, fontSize=10.5, leading=14, alignment=TA_CENTER, spaceAfter=3 * mm),
        "h2": ParagraphStyle("h2", fontName=FONT, fontSize=12, leading=16, spaceBefore=3 * mm, spaceAfter=1.5 * mm),
        "cell": cell,
        "head": ParagraphStyle("head", parent=cell),
        "num": ParagraphStyle("num", parent=cell, alignment=2),
        "foot": ParagraphStyle("foot", fontName=FONT, fontSize=10, leading=14, spaceBefore=5 * mm),
    }


def p(text: object, style: str = "cell") -> Paragraph:
    return Paragraph(escape(str(text if text is not None else "")), styles()[style])


PAD = 3  # a cell's left and right padding, points
SIZE, LEADING = 9, 11.5  # the cells' type, as the "cell" style's


def cell(value: object, width: float, right: bool) -> object:
    """A cell's content: plain text when it fits on one line (drawn directly: a Paragraph per cell costs most of a
    page's time), else a Paragraph that wraps between Chinese characters."""
    if isinstance(value, Flowable):
        return value
    text = "" if value is None else str(value)
    if "\n" not in text and pdfmetrics.stringWidth(text, FONT, SIZE) <= width - 2 * PAD:
        return text
    return p(text, "num" if right else "cell")


def table(rows: Sequence[Sequence[object]], widths: Sequence[float], *, heads: Sequence[tuple[int, int, int, int]] = (),
          nums: Sequence[int] = (), spans: Sequence[tuple[int, int, int, int]] = ()) -> Table:
    """A ruled table the width of the page. `widths` are shares of the width; `heads` the (col0, row0, col1, row1)
    boxes shaded as headings; `nums` the columns right-aligned from the second row on (amounts)."""
    styles()  # the font is registered before the first width is measured
    total = sum(widths)
    points = [WIDTH * w / total for w in widths]
    cells = [[cell(c, points[j], j in nums and i > 0) for j, c in enumerate(row)] for i, row in enumerate(rows)]
    t = Table(cells, colWidths=points, repeatRows=0)
    style: list[tuple[Any, ...]] = [
        ("GRID", (0, 0), (-1, -1), 0.6, colors.black), ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("FONT", (0, 0), (-1, -1), FONT, SIZE, LEADING),
        ("LEFTPADDING", (0, 0), (-1, -1), PAD), ("RIGHTPADDING", (0, 0), (-1, -1), PAD),
        ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2)]
    style += [("ALIGN", (j, 1), (j, -1), "RIGHT") for j in nums]
    style += [("BACKGROUND", (c0, r0), (c1, r1), GREY) for c0, r0, c1, r1 in heads]
    style += [("SPAN", (c0, r0), (c1, r1)) for c0, r0, c1, r1 in spans]
    t.setStyle(TableStyle(style))
    return t


def place(sheet: Sheet) -> str:
    """The county, township and village names, as the print pages' heading."""
    names: list[str] = []
    node: Area | None = sheet.household.village
    for _ in range(3):
        if node is None:
            break
        names.append(node.name)
        node = node.parent
    return "".join(reversed(names))


def yes(flag: bool, words: str = "是,否") -> str:
    on, off = words.split(",")
    return on if flag else off


def basics(sheet: Sheet) -> Table:
    h, head = sheet.household, sheet.head or {}
    return table([
        ["户主姓名", head.get("name", ""), "家庭人口", f"{len(sheet.members)} 人", "户状态", h.get_status_display()],
        ["贫困户属性", h.get_category_display(), "识别年度", h.identified_year or "", "脱贫年度", h.exit_year or ""],
    ], [3, 3, 3, 3, 3, 3], heads=PAIRS)


def card(sheet: Sheet, printed_on: date) -> list[Flowable]:
    """The 明白卡: the family, the policies and measures, the helper and the work team (cards.html)."""
    h = sheet.household
    members = [["序号", "姓名", "与户主关系", "性别", "出生年份", "身份证号码", "劳动技能"]]
    members += [[m["position"], m["name"], m["relation"], m["sex"], m["birth_year"], m["masked_id"], m["labour"]]
                for m in sheet.members]
    measures: list[list[object]] = [["类别", "内容", "金额（元）", "状态", "责任人"]]
    measures += [[m["category"], m["description"], m["amount"], m["status"], m["cadre"]] for m in sheet.measures]
    measures += [["社会保障", line, "", "", ""] for line in sheet.assistance]
    first = len(measures) - len(sheet.assistance)
    people: list[list[object]] = [["职责", "姓名", "单位", "联系电话"]]
    people += [["帮扶责任人", x["name"], x["unit"], x["phone"]] for x in sheet.helpers] or [["帮扶责任人", "（未结对）", "", ""]]
    people += [[f"驻村工作队{t['role']}", t["name"], t["unit"], t["phone"]] for t in sheet.team]
    fs = sheet.first_secretary
    contact = f"{fs['name']}（第一书记）{fs['phone']}" if fs else f"{h.village.name}村民委员会"
    plan = f"（{sheet.plan_year}年帮扶计划）" if sheet.plan_year else ""
    return [
        p("扶贫明白卡", "title"), p(f"{place(sheet)}　户编号 {h.number}", "sub"),
        p("一、家庭基本情况", "h2"), basics(sheet),
        table([["致贫原因", "、".join(sheet.causes)]], [3, 15], heads=[(0, 0, 0, 0)]),
        p("二、家庭成员", "h2"), table(members, [2, 3, 3, 2, 2.5, 5, 3], heads=[(0, 0, -1, 0)]),
        p(f"三、享受政策与帮扶措施{plan}", "h2"),
        table(measures, [3, 7, 3, 2.5, 2.5], heads=[(0, 0, -1, 0)], nums=[2],
              spans=[(1, r, 4, r) for r in range(first, len(measures))]),
        p("四、帮扶责任人与驻村工作队", "h2"), table(people, [4, 3, 6, 4], heads=[(0, 0, -1, 0)]),
        footer(f"村级联系人：{contact}", printed_on),
    ]


def footer(left: str, printed_on: date) -> Table:
    when = f"打印日期：{printed_on.year}年{printed_on.month}月{printed_on.day}日"
    t = Table([[p(left, "foot"), p(when, "foot")]], colWidths=[WIDTH * 0.65, WIDTH * 0.35])
    t.setStyle(TableStyle([("ALIGN", (1, 0), (1, 0), "RIGHT"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    return t


def conditions(sheet: Sheet) -> list[Flowable]:
    """The file's sections two and three: land, housing and utilities; causes."""
    h = sheet.household
    return [
        p("二、生产生活条件", "h2"),
        table([["耕地面积（亩）", h.arable_land_mu, "林地面积（亩）", h.forest_land_mu, "住房面积（平方米）", h.housing_area_m2],
               ["住房安全等级", h.get_housing_grade_display(), "饮水状况", h.get_drinking_water_display(), "入户路",
                h.get_road_display()],
               ["通生活用电", yes(h.has_electricity), "通生产用电", yes(h.has_production_power), "卫生厕所",
                yes(h.sanitary_toilet)]], [3.4, 2.6, 3.4, 2.6, 3.4, 2.6], heads=PAIRS),
        p("三、致贫原因", "h2"),
        table([["主要致贫原因", sheet.causes[0], "其他致贫原因", "、".join(sheet.causes[1:])]], [3, 4, 3, 8],
              heads=[(0, 0, 0, 0), (2, 0, 2, 0)]),
    ]


def securities(sheet: Sheet) -> list[Flowable]:
    """The file's section five: 两不愁三保障."""
    h, sure = sheet.household, "有保障,无保障"
    return [p("五、两不愁三保障", "h2"),
            table([["不愁吃", yes(h.food_secure), "不愁穿", yes(h.clothing_secure), "义务教育", yes(h.schooling_secured, sure)],
                   ["基本医疗", yes(h.medical_secured, sure), "住房安全", yes(h.housing_secured, sure), "饮水安全",
                    yes(h.water_secured, sure)]], [3, 3, 3, 3, 3, 3], heads=PAIRS)]


def or_none(rows: Rows, width: int, words: str) -> Rows:
    """A table's body, or one "（无记录）" row across it (the span is set by `spanned`)."""
    blank: list[object] = [words, *([""] * (width - 1))]
    return rows or [blank]


def spanned(rows: Rows, width: int) -> list[tuple[int, int, int, int]]:
    return [(0, 1, width - 1, 1)] if len(rows) == 2 and rows[1][1:] == [""] * (width - 1) else []


def incomes(sheet: Sheet) -> list[Flowable]:
    """The file's section four: income by year."""
    rows: Rows = [["年度", "工资性", "生产经营性", "生产经营支出", "财产性", "转移性", "纯收入", "人均纯收入"]]
    rows += or_none([[i["year"], i["wage"], i["production"], i["costs"], i["property"], i["transfer"], i["net"],
                      i["per_person"]] for i in sheet.incomes], 8, "（无记录）")
    return [p("四、年度收入（元）", "h2"),
            table(rows, [1.6, 2.4, 2.6, 2.6, 2.2, 2.4, 2.6, 2.6], heads=[(0, 0, -1, 0)], nums=range(1, 8),
                  spans=spanned(rows, 8))]


def events_and_members(sheet: Sheet) -> list[Flowable]:
    """The file's sections six and seven: status changes (the event's year) and the members."""
    events: Rows = [["年度", "状态", "原因"]]
    events += or_none([[e["year"], e["status"], e["reason"]] for e in sheet.events], 3, "（无记录）")
    members = [["序号", "姓名", "关系", "性别", "出生年份", "民族", "身份证号码", "文化程度", "在校生", "劳动技能", "务工（月）",
                "低保/特困"]]
    members += [[m["position"], m["name"], m["relation"], m["sex"], m["birth_year"], m["ethnicity"], m["masked_id"],
                 m["education"], m["schooling"], m["labour"], m["migrant_months"], m["assistance"]] for m in sheet.members]
    return [
        p("六、户状态变化", "h2"), table(events, [2, 3, 13], heads=[(0, 0, -1, 0)], spans=spanned(events, 3)),
        p("七、家庭成员", "h2"),
        table(members, [1.3, 2.2, 1.7, 1.3, 1.9, 1.5, 5.2, 2.2, 2.2, 2.2, 1.7, 2.2], heads=[(0, 0, -1, 0)], nums=[10]),
    ]


def plan_and_visits(sheet: Sheet) -> list[Flowable]:
    """The file's sections eight and nine: the latest plan's measures, the helper and the latest visits."""
    measures: Rows = [["类别", "内容", "金额（元）", "计划完成", "状态", "完成日期", "责任人"]]
    measures += or_none([[m["category"], m["description"], m["amount"], m["due_on"], m["status"], m["done_on"],
                          m["cadre"]] for m in sheet.measures], 7, "（无帮扶计划）")
    helpers = "；".join(f"{x['name']}（{x['unit']} {x['phone']}，{x['since']}起）" for x in sheet.helpers) or "（未结对）"
    visits: list[list[object]] = [["帮扶责任人", helpers, "", ""], ["走访时间", "走访人", "走访记录", "商议措施"]]
    visits += [[v["at"].strftime("%Y-%m-%d %H:%M"), v["cadre"], v["notes"], v["measures"]] for v in sheet.visits]
    if not sheet.visits:
        visits.append(["（无走访记录）", "", "", ""])
    out: list[Flowable] = [p(f"八、帮扶计划{f'（{sheet.plan_year}年）' if sheet.plan_year else ''}", "h2")]
    if sheet.plan_goal:
        out.append(p(f"帮扶目标：{sheet.plan_goal}"))
    out += [table(measures, [2.5, 5, 2.5, 2.3, 2, 2.3, 2], heads=[(0, 0, -1, 0)], nums=[2], spans=spanned(measures, 7)),
            p("九、帮扶责任人与走访", "h2"),
            table(visits, [3, 2.5, 7, 5.5], heads=[(0, 0, 0, 0), (0, 1, -1, 1)],
                  spans=[(1, 0, 3, 0)] + ([(0, 2, 3, 2)] if not sheet.visits else []))]
    return out


def household_file(sheet: Sheet, printed_on: date) -> list[Flowable]:
    """The 户档案: every section of files.html, in its order."""
    h, head = sheet.household, sheet.head or {}
    return [
        p("贫困户档案", "title"), p(f"{place(sheet)}　户编号 {h.number}　户主 {head.get('name', '')}", "sub"),
        p("一、家庭基本情况", "h2"), basics(sheet), *conditions(sheet), *incomes(sheet), *securities(sheet),
        *events_and_members(sheet), *plan_and_visits(sheet), footer(f"{h.village.name}村民委员会", printed_on),
    ]


RENDER: dict[str, Callable[[Sheet, date], list[Flowable]]] = {"card": card, "file": household_file}


def render(sheets: Sequence[Sheet], kind: str, *, title: str, printed_on: date) -> bytes:
    """One PDF of every sheet, each household from a new page; an empty list gives one page saying so."""
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=12 * mm, rightMargin=12 * mm, topMargin=12 * mm,
                            bottomMargin=14 * mm, title=title, author="精准 Jingzhun", subject=title)
    story: list[Flowable] = []
    for i, sheet in enumerate(sheets):
        if i:
            story.append(PageBreak())
        story += RENDER[kind](sheet, printed_on)
    if not story:
        story = [p("没有可打印的农户 / No households to print", "sub")]
    doc.build(story, onFirstPage=numbered, onLaterPages=numbered)
    return out.getvalue()


def numbered(canvas: Any, doc: Any) -> None:
    """The page number at the foot of each page, so a dropped stack can be put back in order."""
    canvas.saveState()
    canvas.setFont(FONT, 8)
    canvas.drawCentredString(A4[0] / 2, 7 * mm, f"第 {doc.page} 页")
    canvas.restoreState()

