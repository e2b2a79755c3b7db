"""The chosen tables of an area and year, filled with the user's figures: the rows are the area's children (every
child, a child with nothing counts 0), the total is counted over the whole area (`counts`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from jingzhun.areas.models import LEVEL_DIGITS, Area
from jingzhun.reports import counts
from jingzhun.reports.tables import TABLES
from jingzhun.reports.workbook import Filled, values


def fill(user: object, area: Area, year: int, codes: Sequence[str]) -> list[Filled]:
    """The tables named by `codes` (in the standard order), for `user` over `area` in `year`."""
    children = counts.rows_of(area)
    keys = counts.prefixes(children)
    group = len(keys[0]) if keys else LEVEL_DIGITS[area.level]
    own = LEVEL_DIGITS[area.level]
    out = []
    done: dict[object, counts.Figures] = {}  # a statement two tables share is run once

    def counted(statement: Callable[[object, Area, int, int], counts.Figures], level: int) -> counts.Figures:
        if (statement, level) not in done:
            done[(statement, level)] = statement(user, area, year, level)
        return done[(statement, level)]

    for code, table in TABLES.items():
        if code not in codes:
            continue
        by_child = (counts.merge(*(counted(part, group) for part in table.parts)) if table.parts
                    else counted(table.count, group))
        # The total over every group (a household of a village with no area row too), as a statement of its own
        # counts it; counted again only where figures are distinct people.
        total = (sum_of(by_child) if table.additive
                 else counted(table.count, own).get(area.code[:own], {}))
        out.append(Filled(table, [(child, values(table.columns, by_child.get(key, {})))
                                  for child, key in zip(children, keys, strict=True)],
                          values(table.columns, total)))
    return out


def sum_of(figures: counts.Figures) -> dict[str, int]:
    out: dict[str, int] = {}
    for group in figures.values():
        for key, value in group.items():
            out[key] = out.get(key, 0) + value
    return out


def unit_name(area: Area) -> str:
    """The reporting unit as printed: the area's name after its ancestors' (湖南省湘西州龙山县)."""
    names = []
    node: Area | None = area
    while node is not None:
        names.append(node.name)
        node = node.parent
    return "".join(reversed(names))
