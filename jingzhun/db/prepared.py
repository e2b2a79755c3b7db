"""A `.values()` queryset compiled once and run many times with other values for its parameters.

Django compiles a queryset to SQL on every evaluation; for the small lookups of a busy page (a household's
incomes, members, visits) that compilation costs several times the query itself (0.25 ms against 0.03 ms
on SQLite). `Prepared` builds the queryset once per database connection alias, with marker values where the
request's values go, keeps the SQL, the markers' positions among its parameters and the ORM's own converters
for the columns (Decimal, dates and times as the ORM gives them), and then only executes.

    INCOMES = Prepared(lambda household: IncomeRecord.objects.filter(household_id=household)
                       .order_by("year").values("year", "wage_income"))
    rows = INCOMES(household_id)       # [{"year": 2019, "wage_income": Decimal("6000.00")}, ...]

The SQL is the ORM's, so it follows the models; only `.values()` querysets (dicts out), and every parameter
must reach the SQL once, as a parameter (an integer filter value — not a slice bound or a column name): the
queryset is compiled with two sets of marker values, and anything else is refused when it is first run.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import QuerySet

# Marker values, compiled twice: where the two compilations' parameters differ is where the request's values go.
# Small enough for any integer column (the ORM leaves out a comparison with a value outside the column's range).
MARKERS = (12_347, 23_459)


class Prepared:
    def __init__(self, build: Callable[..., QuerySet]):
        self.build = build
        self.arity = build.__code__.co_argcount
        self._compiled: dict[str, tuple[str, list[Any], list[int], list[str], Any, Any]] = {}
        self._lock = threading.Lock()

    def _compile_with(self, alias: str, base: int) -> tuple[str, list[Any], list[int], Any]:
        markers = [base + 10 * i for i in range(self.arity)]
        query = self.build(*markers).using(alias).query
        if not query.values_select and not query.annotation_select:
            raise TypeError("Prepared needs a .values() queryset")
        compiler = query.get_compiler(alias)
        sql, params = compiler.as_sql()
        return sql, list(params), markers, compiler

    def _compile(self, alias: str) -> tuple[str, list[Any], list[int], list[str], Any, Any]:
        sql, params, markers, compiler = self._compile_with(alias, MARKERS[0])
        other_sql, other_params, other_markers, _ = self._compile_with(alias, MARKERS[1])
        if other_sql != sql or len(other_params) != len(params):
            raise ValueError("the SQL depends on a parameter's value: not a filter value")
        differ = [i for i, (a, b) in enumerate(zip(params, other_params, strict=True)) if a != b]
        positions = []
        for a, b in zip(markers, other_markers, strict=True):
            found = [i for i in differ if params[i] == a and other_params[i] == b]
            if len(found) != 1:
                raise ValueError(f"a parameter reaches the SQL {len(found)} times, not once")
            positions.append(found[0])
        if sorted(positions) != differ:
            raise ValueError("a parameter reaches the SQL changed")
        query = compiler.query
        names = [*query.extra_select, *query.values_select, *query.annotation_select]
        converters = compiler.get_converters([column[0] for column in compiler.select[: len(names)]])
        return sql, params, positions, names, compiler, converters

    def compiled(self, alias: str = DEFAULT_DB_ALIAS) -> tuple[str, list[Any], list[int], list[str], Any, Any]:
        found = self._compiled.get(alias)
        if found is None:
            with self._lock:
                found = self._compiled.setdefault(alias, self._compile(alias))
        return found

    def __call__(self, *values: Any, using: str = DEFAULT_DB_ALIAS) -> list[dict[str, Any]]:
        sql, params, positions, names, compiler, converters = self.compiled(using)
        params = list(params)
        for position, value in zip(positions, values, strict=True):
            params[position] = value
        with connections[using].cursor() as cur:
            cur.execute(sql, params)
            rows = cur.fetchall()
        if converters:
            rows = compiler.apply_converters(rows, converters)
        return [dict(zip(names, row, strict=False)) for row in rows]
