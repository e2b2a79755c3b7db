"""The rules across rows that need no stored state: one cadre's rows agree, a membership or a bare cadre is
not given twice, a successor is someone the importer may name; and the units valid-only keeps or drops."""

from __future__ import annotations

from jingzhun.teams.roster.check import pn_ok
from jingzhun.teams.roster.lines import Line, Report
from jingzhun.teams.roster.spec import CADRE_KEYS
from jingzhun.teams.roster.stored import Stored


def agree(lines: list[Line], report: Report) -> dict[str, Line]:
    """Each personnel number's first row (the cadre's record). A later row of the same cadre repeats its
    cadre columns exactly; a membership (cadre, village, start) is given once, a bare cadre row once."""
    first_row: dict[str, Line] = {}
    seen: dict[tuple[str, str, str], Line] = {}
    for line in lines:
        pn = line.pn
        if not pn:
            continue
        first = first_row.setdefault(pn, line)
        if first is not line:
            for key in CADRE_KEYS:
                if line.cells[key] != first.cells[key]:
                    report.err(line, key, line.cells[key], f"与第{first.row}行（同一人员编号）不一致 / differs from row "
                                                           f"{first.row} of the same personnel number")
            if not line.village or not first.village:
                report.err(line, "personnel_number", pn, f"与第{first.row}行重复 / duplicates row {first.row}")
        if line.village and line.cells["start"]:
            earlier = seen.setdefault((pn, line.village, line.cells["start"]), line)
            if earlier is not line:
                report.err(line, "start", line.cells["start"],
                           f"与第{earlier.row}行重复（同一干部、村、派驻日期）/ duplicates row {earlier.row}")
    return first_row


def successors_known(lines: list[Line], first_row: dict[str, Line], stored: Stored, report: Report) -> None:
    """A successor is in the file or works in the importer's areas; one outside is answered exactly like one
    that does not exist."""
    for line in lines:
        successor = line.successor
        if successor and successor not in first_row and successor not in stored.works and pn_ok(successor):
            report.err(line, "replaced_by", successor, "本文件和您管辖区划内都没有这个人员编号的干部 / no cadre with "
                                                       "this personnel number in the file or your areas")


def units(lines: list[Line]) -> dict[int, list[int]]:
    """The rows valid-only keeps or drops together: rows joined by a personnel number, a village (its team)
    or a successor. Every rule across rows is within one cadre or one team, so a unit's rows are judged
    alike whatever happens to the others."""
    parent = list(range(len(lines)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def join(i: int, j: int) -> None:
        parent[root(i)] = root(j)

    by_pn: dict[str, int] = {}
    by_village: dict[str, int] = {}
    for line in lines:
        i = line.index
        if line.pn:
            join(i, by_pn.setdefault(line.pn, i))
        if line.village:
            join(i, by_village.setdefault(line.village, i))
        if line.successor:
            join(i, by_pn.setdefault(line.successor, i))
    grouped: dict[int, list[int]] = {}
    for line in lines:
        grouped.setdefault(root(line.index), []).append(line.row)
    return grouped
