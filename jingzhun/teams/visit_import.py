"""Bulk import of visits (入户走访) and attendance (驻村考勤) from CSV (UTF-8 or GBK) or XLSX.

Like the register import: every bad row is reported with its row, column, value and rule, and nothing
is written if any row is bad. Files are read with the register's reader pieces (encoding detection,
Arrow CSV parsing with spreadsheet row numbers, calamine for XLSX); references (cadres, households,
villages, rows already in the database) are looked up with a few set queries; rows land in one
transaction through `jingzhun.db.load` with ids handed out beforehand — no ORM per row.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import zoneinfo
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pyarrow as pa
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from jingzhun import db
from jingzhun.areas.models import Area
from jingzhun.audit import log
from jingzhun.identity import mask_id_like
from jingzhun.registry import reading
from jingzhun.registry.importer import ErrorRow
from jingzhun.registry.models import Household
from jingzhun.teams.models import ATTENDANCE_METHOD, MEASURE, Attendance, Cadre, Visit
from jingzhun.teams.scope import (
    VISIT_ROLES,
    Scope,
    cadres_working_here,
    own_cadre,
    paired_households,
    resolve,
)
from jingzhun.teams.visits import notes_key

Ranges = Sequence[tuple[str, str]] | None  # the same as jingzhun.teams.scope.Ranges
CHUNK = 5000  # ids per IN (...) list: well under SQLite's and PostgreSQL's parameter limits
EARLIEST = dt.date(2013, 1, 1)  # precise poverty alleviation (精准扶贫) began in 2013
# Mainland China with its islands: a coordinate outside is a typo or swapped latitude and longitude.
LAT_RANGE, LON_RANGE = (Decimal(3), Decimal(54)), (Decimal(73), Decimal(136))


@dataclass(frozen=True)
class Col:
    key: str
    header: str
    alias: str
    required: bool = True
    # Columns sharing a group name: at least one of them must be in the file.
    group: str = ""


# The cadre is named by the organisation department's personnel number (人员编号, as in the roster), or by
# the system's own cadre number: either column, or both when they agree.
VISIT_COLUMNS = (
    Col("cadre", "帮扶人编号", "cadre_id", False, "cadre"),
    Col("personnel", "人员编号", "personnel_number", False, "cadre"),
    Col("household_number", "户编号", "household_number"),
    Col("visited_at", "走访时间", "visited_at"),
    Col("latitude", "纬度", "latitude", False),
    Col("longitude", "经度", "longitude", False),
    Col("notes", "走访记录", "notes", False),
    Col("measures", "商议帮扶措施", "measures", False),
    Col("photos", "照片", "photos", False),
)
ATTENDANCE_COLUMNS = (
    Col("cadre", "干部编号", "cadre_id", False, "cadre"),
    Col("personnel", "人员编号", "personnel_number", False, "cadre"),
    Col("village", "村代码", "village_code"),
    Col("date", "日期", "date"),
    Col("method", "记录方式", "method"),
)


@dataclass
class ImportOutcome:
    kind: str
    file_name: str
    rows: int = 0
    inserted: int = 0
    errors: list[ErrorRow] = field(default_factory=list)

    @property
    def imported(self) -> bool:
        return not self.errors and self.inserted > 0


# Reading ------------------------------------------------------------------------------------------------


def _header_keys(names: list[str], columns: Sequence[Col], file_name: str) -> list[str | None]:
    lookup: dict[str, str] = {}
    for c in columns:
        lookup[c.header] = lookup[c.alias.lower()] = c.key
    keys: list[str | None] = []
    for name in names:
        key = lookup.get(name.strip().lstrip("\ufeff").lower()) or lookup.get(name.strip())
        if key is not None and key in keys:
            raise reading.FileProblem(f"{file_name}: 列“{name}”重复 / column {name!r} appears twice")
        keys.append(key)
    missing = [c.header for c in columns if c.required and c.key not in keys]
    groups = {c.group for c in columns if c.group}
    missing += [" 或 ".join(c.header for c in columns if c.group == g) for g in sorted(groups)
                if not any(c.key in keys for c in columns if c.group == g)]
    if missing:
        raise reading.FileProblem(f"{file_name}: 缺少必需列 / missing required columns: {'、'.join(missing)}")
    return keys


def read_file(path: str | Path, columns: Sequence[Col]) -> tuple[dict[str, list[str]], list[ErrorRow]]:
    """Columns of cell text (every column of `columns`, "" where the file lacks it) plus "_row"."""
    p = Path(path)
    if not p.is_file():
        raise reading.FileProblem(f"{p}: 文件不存在 / no such file")
    suffix = p.suffix.lower()
    problems: list[tuple[int, str, str]] = []
    if suffix in (".csv", ".txt"):
        table = _read_csv(p, columns)
    elif suffix in (".xlsx", ".xlsm"):
        table, problems = _read_xlsx(p, columns)
    else:
        raise reading.FileProblem(f"{p.name}: 只支持 .csv 和 .xlsx / only .csv and .xlsx files are accepted")
    n = table.num_rows
    out: dict[str, list[Any]] = {"_row": table.column("_row").to_pylist()}
    for c in columns:
        out[c.key] = [v.strip() for v in table.column(c.key).to_pylist()] if c.key in table.column_names \
            else [""] * n
    header = {c.key: c.header for c in columns}
    errors = [ErrorRow(p.name, row, header.get(key, key), "", rule) for row, key, rule in problems]
    return out, errors


def _read_csv(path: Path, columns: Sequence[Col]) -> pa.Table:
    import csv

    encoding = reading.detect_encoding(path)
    with reading.utf8_copy(path, "utf-8" if encoding == "utf-8-sig" else encoding) as source:
        with source.open("r", encoding="utf-8-sig", newline="") as f:
            header_line = f.readline()
        names = next(csv.reader([header_line])) if header_line.strip() else []
        if not names:
            raise reading.FileProblem(f"{path.name}: 文件为空 / the file is empty")
        keys = _header_keys(names, columns, path.name)
        column_names = [k if k is not None else f"_ignored{i}" for i, k in enumerate(keys)]
        table = reading._parse_csv(source, column_names, path.name, newlines_in_values=False)
        if table is None:  # a quoted cell with a line break (notes often have them)
            table = reading._parse_csv(source, column_names, path.name, newlines_in_values=True)
        assert table is not None
    table = table.select([n for n in column_names if not n.startswith("_ignored")])
    rows = pa.array(range(2, table.num_rows + 2), type=pa.int64())
    return reading._drop_empty_rows(table.add_column(0, "_row", rows))


def _read_xlsx(path: Path, columns: Sequence[Col]) -> tuple[pa.Table, list[tuple[int, str, str]]]:
    from python_calamine import CalamineWorkbook

    try:
        rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python(skip_empty_area=False)
    except Exception as exc:  # calamine raises its own types for every kind of damaged file
        raise reading.FileProblem(f"{path.name}: 无法读取 Excel 文件 / cannot read the workbook: {exc}") from None
    if not rows:
        raise reading.FileProblem(f"{path.name}: 文件为空 / the file is empty")
    keys = _header_keys([str(v) for v in rows[0]], columns, path.name)
    problems: list[tuple[int, str, str]] = []
    numbers: list[int] = []
    cells: dict[str, list[str]] = {k: [] for k in keys if k is not None}
    for i, values in enumerate(rows[1:], start=2):
        if all(v in (None, "") for v in values):
            continue
        numbers.append(i)
        values = (list(values) + [""] * len(keys))[: len(keys)]
        for key, v in zip(keys, values, strict=True):
            if key is not None:
                cells[key].append(reading._cell_text(v, key, i, problems))
    arrays = {"_row": pa.array(numbers, type=pa.int64())}
    arrays.update({k: pa.array(v, type=pa.string()) for k, v in cells.items()})
    return pa.table(arrays), problems


# Cell parsing -------------------------------------------------------------------------------------------


def parse_datetime(text: str) -> dt.datetime | None:
    """'2020-05-01 09:30', with seconds, with '/' or 'T': local time (settings.TIME_ZONE), made aware."""
    t = text.replace("/", "-").replace("T", " ")
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S.%f"):
        try:
            naive = dt.datetime.strptime(t, fmt)
        except ValueError:
            continue
        return naive.replace(tzinfo=zoneinfo.ZoneInfo(settings.TIME_ZONE))
    return None


def parse_date(text: str) -> dt.date | None:
    t = text.replace("/", "-")
    if t.endswith(" 00:00:00"):  # a date cell of a workbook
        t = t[:10]
    try:
        return dt.date.fromisoformat(t) if len(t) == 10 else None
    except ValueError:
        return None


def _decimal(text: str) -> Decimal | None:
    try:
        d = Decimal(text)
    except InvalidOperation:
        return None
    return d if d.is_finite() else None


def _db_datetime(value: dt.datetime) -> str:
    """The text the database column takes for an aware datetime (what Django itself would store)."""
    stored = connection.ops.adapt_datetimefield_value(value)
    return stored if isinstance(stored, str) else value.isoformat()


def _chunks(items: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), CHUNK):
        yield items[i : i + CHUNK]


def _in_ranges(code: str, ranges: Ranges) -> bool:
    return ranges is None or any(lo <= code <= hi for lo, hi in ranges)


NO_CADRE = "没有这个干部，或其登记在您的管辖区划以外 / no cadre with this number in your areas (none, or registered outside them)"
NO_PERSONNEL = ("没有这个人员编号的干部，或其登记在您的管辖区划以外 / no cadre with this personnel number in your areas "
                "(none, or registered outside them)")


def _cadre_ids(cells: dict[str, list[str]], err: Callable[[int, str, str, str], None], h: dict[str, str],
               scope: Scope | None = None) -> list[int | None]:
    """Each row's cadre, from the system's cadre number or the personnel number (both: they must agree).

    A cadre the importer may not refer to (`scope.cadres_working_here`) is answered exactly as one that
    does not exist: the file learns nothing about cadres outside the importer's areas."""
    texts, personnel = cells["cadre"], cells["personnel"]
    ids: list[int | None] = []
    for i, t in enumerate(texts):
        if not t and not personnel[i]:
            err(i, f"{h['cadre']} / {h['personnel']}", "", "必填其一 / one of the two is required")
            ids.append(None)
        elif t and not t.isdigit():
            err(i, h["cadre"], t, "应为干部编号（整数）/ a cadre number (integer)")
            ids.append(None)
        else:
            ids.append(int(t) if t else None)
    wanted = sorted({k for k in ids if k is not None})
    known: set[int] = set()
    for part in _chunks(wanted):
        known.update(Cadre.objects.filter(pk__in=part).values_list("pk", flat=True))
    numbers = sorted({p for p in personnel if p})
    by_number: dict[str, int] = {}
    for part in _chunks(numbers):
        by_number.update(Cadre.objects.filter(personnel_number__in=part).values_list("personnel_number", "pk"))
    if scope is not None and not scope.unrestricted:
        visible = cadres_working_here(scope, known | set(by_number.values()))
        known &= visible
        by_number = {p: k for p, k in by_number.items() if k in visible}
    for i, k in enumerate(ids):
        if k is not None and k not in known:
            err(i, h["cadre"], texts[i], NO_CADRE)
            ids[i] = None
            continue
        p = personnel[i]
        if not p:
            continue
        if p not in by_number:
            err(i, h["personnel"], p, NO_PERSONNEL)
            ids[i] = None
        elif texts[i] and k is not None and by_number[p] != k:
            err(i, h["personnel"], p, f"与{h['cadre']} {k} 不是同一人 / not the same cadre as number {k}")
            ids[i] = None
        elif not texts[i]:
            ids[i] = by_number[p]
    return ids


def _audit_check(actor: str, kind: str, out: ImportOutcome, path: str | Path) -> None:
    """A check run is audited too: it answers questions about the register (which numbers exist where)."""
    log.record(actor, f"{kind}.check", object_type=kind, object_id=out.file_name, file=out.file_name,
               sha256=_sha256(path), rows=out.rows, errors=len(out.errors))


def _masked(errors: list[ErrorRow]) -> list[ErrorRow]:
    """The errors with every ID-shaped value masked, whatever column it was typed into."""
    return [ErrorRow(e.file, e.row, e.column, mask_id_like(e.value), mask_id_like(e.rule)) for e in errors]


# Visits -------------------------------------------------------------------------------------------------


def import_visits(path: str | Path, *, actor: str, ranges: Ranges = None, user: object | None = None,
                  now: dt.datetime | None = None, check: bool = False) -> ImportOutcome:
    """Validate a visits file and, when every row is good (and `check` is false), insert all its visits and
    photos at once. A check run writes nothing but its audit row.

    Who may write where: `user` (their officer and work-team areas; as a helper, only the households they
    are paired with, and themselves as the visitor — `jingzhun.teams.scope`), or bare `ranges` (area code
    ranges, `jingzhun.access.ranges`); neither = the console operator, unrestricted. Every household and
    cadre a row names must be in those areas; one outside is answered as one that does not exist.
    """
    scope = resolve(user, ranges, VISIT_ROLES, helpers=True)
    now = now or timezone.now()
    out = _visits(path, actor=actor, scope=scope, now=now, check=check)
    out.errors = _masked(out.errors)
    if check:
        _audit_check(actor, "visits", out, path)
    return out


def _visits(path: str | Path, *, actor: str, scope: Scope, now: dt.datetime, check: bool) -> ImportOutcome:
    cells, errors = read_file(path, VISIT_COLUMNS)
    name = Path(path).name
    out = ImportOutcome("visits", name, rows=len(cells["_row"]), errors=errors)
    rows: list[int] = [int(r) for r in cells["_row"]]
    h = {c.key: c.header for c in VISIT_COLUMNS}

    def err(i: int, header: str, value: str, rule: str) -> None:
        out.errors.append(ErrorRow(name, rows[i], header, value, rule))

    n = len(rows)
    cadre = _cadre_ids(cells, err, h, scope)
    numbers = cells["household_number"]
    found: dict[str, tuple[int, str]] = {}
    for part in _chunks(sorted({x for x in numbers if x})):
        found.update((num, (pk, village)) for num, pk, village in
                     Household.objects.filter(number__in=part).values_list("number", "pk", "village_id"))
    # Where the household is now, not where the file says: outside the importer's areas it does not exist.
    paired = paired_households(scope)
    found = {num: (pk, v) for num, (pk, v) in found.items() if scope.area(v) or pk in paired}
    household: list[int | None] = [None] * n
    village: list[str | None] = [None] * n
    for i, num in enumerate(numbers):
        if not num:
            err(i, h["household_number"], num, "必填 / required")
        elif num not in found:
            err(i, h["household_number"], num, "没有这个户编号，或该户不在您的管辖区划内 / no household with this "
                                               "number, or registered outside your areas")
        else:
            household[i], village[i] = found[num]

    visited: list[dt.datetime | None] = [None] * n
    for i, t in enumerate(cells["visited_at"]):
        when = parse_datetime(t) if t else None
        if not t:
            err(i, h["visited_at"], t, "必填 / required")
        elif when is None:
            err(i, h["visited_at"], t, "日期时间格式应为 YYYY-MM-DD HH:MM / date and time as YYYY-MM-DD HH:MM")
        elif when > now:
            err(i, h["visited_at"], t, "走访时间晚于录入时间 / the visit is in the future")
        elif when.date() < EARLIEST:
            err(i, h["visited_at"], t, f"早于{EARLIEST.year}年 / before {EARLIEST.year}")
        else:
            visited[i] = when

    lat: list[str | None] = [None] * n
    lon: list[str | None] = [None] * n
    for i, (ta, to) in enumerate(zip(cells["latitude"], cells["longitude"], strict=True)):
        if bool(ta) != bool(to):
            missing = h["longitude"] if ta else h["latitude"]
            err(i, missing, "", "经纬度须同时填写或同时留空 / latitude and longitude go together")
            continue
        if not ta:
            continue
        ok = True
        for text, header, (low, high), target in ((ta, h["latitude"], LAT_RANGE, lat),
                                                  (to, h["longitude"], LON_RANGE, lon)):
            d = _decimal(text)
            if d is None:
                err(i, header, text, "应为十进制度数 / decimal degrees")
                ok = False
            elif not low <= d <= high:
                err(i, header, text, f"应在 {low}–{high} 之间（中国境内）/ must be within {low}–{high} (China)")
                ok = False
            elif d.as_tuple().exponent < -6:  # type: ignore[operator]
                err(i, header, text, "最多6位小数 / at most 6 decimal places")
                ok = False
            else:
                target[i] = str(d)
        if not ok:
            lat[i] = lon[i] = None

    for i, t in enumerate(cells["notes"]):
        if len(t) > 2000:
            err(i, h["notes"], t[:20] + "…", "不超过2000字 / at most 2000 characters")
    measure_lookup = MEASURE.lookup()
    measures: list[str] = [""] * n
    for i, t in enumerate(cells["measures"]):
        given = [x.strip() for x in t.replace("，", ",").replace("、", ",").replace(";", ",").split(",") if x.strip()]
        unknown = [x for x in given if x not in measure_lookup]
        if unknown:
            err(i, h["measures"], t, f"未知帮扶措施 / unknown measures: {'、'.join(unknown)}")
        codes = {measure_lookup[x] for x in given if x in measure_lookup}
        measures[i] = ",".join(c for c in MEASURE.codes if c in codes)

    photos: list[list[tuple[str, str]]] = [[] for _ in range(n)]
    for i, t in enumerate(cells["photos"]):
        for item in (x.strip() for x in t.replace("；", ";").split(";") if x.strip()):
            file, _, digest = item.rpartition("|")
            digest = digest.strip().lower()
            if not file.strip() or len(digest) != 64 or any(ch not in "0123456789abcdef" for ch in digest):
                err(i, h["photos"], item, "应为“文件名|SHA-256（64位十六进制）”，多张以;分隔 / "
                                          "file|sha256 (64 hex digits), separated by ;")
            elif len(file.strip()) > 255:
                err(i, h["photos"], item, "文件名不超过255字 / file name at most 255 characters")
            elif digest in {d for _, d in photos[i]}:
                err(i, h["photos"], item, "同一走访中照片重复 / the same photo twice in one visit")
            else:
                photos[i].append((file.strip(), digest))

    # The same visit twice (in the file, or already stored) would count twice in every alert.
    seen: dict[tuple[int, int, dt.datetime], int] = {}
    for i in range(n):
        k, hh, when = cadre[i], household[i], visited[i]
        if k is None or hh is None or when is None:
            continue
        if (k, hh, when) in seen:
            err(i, h["visited_at"], cells["visited_at"][i],
                f"与第{rows[seen[(k, hh, when)]]}行重复（同一帮扶人、户、时间）/ duplicates row {rows[seen[(k, hh, when)]]}")
        else:
            seen[(k, hh, when)] = i
    if seen:
        times = [w for _, _, w in seen]
        households = sorted({hh for _, hh, _ in seen})
        for part in _chunks(households):
            stored = Visit.objects.filter(household_id__in=part, visited_at__gte=min(times),
                                          visited_at__lte=max(times)).values_list("cadre_id", "household_id",
                                                                                  "visited_at")
            for key in stored:
                if key in seen:
                    i = seen[key]
                    err(i, h["visited_at"], cells["visited_at"][i], "该走访已录入 / this visit is already recorded")

    if out.errors or n == 0 or check:
        out.errors.sort(key=lambda e: (e.row, e.column))
        return out

    stamp = _db_datetime(now)
    first_visit, first_photo = db.next_id("teams_visit"), db.next_id("teams_visitphoto")
    visit_ids = list(range(first_visit, first_visit + n))
    photo_rows = [(visit_ids[i], f, d) for i in range(n) for f, d in photos[i]]
    tables = {
        "teams_visit": pa.table({
            "id": pa.array(visit_ids, pa.int64()),
            "cadre_id": pa.array(cadre, pa.int64()),
            "household_id": pa.array(household, pa.int64()),
            "village_id": pa.array(village, pa.string()),
            "visited_at": pa.array([_db_datetime(w) for w in visited if w is not None], pa.string()),
            "latitude": pa.array(lat, pa.string()),
            "longitude": pa.array(lon, pa.string()),
            "notes": pa.array(cells["notes"], pa.string()),
            "notes_key": pa.array([notes_key(t) for t in cells["notes"]], pa.string()),
            "measures": pa.array(measures, pa.string()),
            "recorded_at": pa.array([stamp] * n, pa.string()),
            "entered_by": pa.array([actor] * n, pa.string()),
        }),
        "teams_visitphoto": pa.table({
            "id": pa.array(range(first_photo, first_photo + len(photo_rows)), pa.int64()),
            "visit_id": pa.array([r[0] for r in photo_rows], pa.int64()),
            "file": pa.array([r[1] for r in photo_rows], pa.string()),
            "sha256": pa.array([r[2] for r in photo_rows], pa.string()),
        }),
    }
    with db.load(tables) as loader, transaction.atomic():
        db.check_next_id("teams_visit", first_visit)
        db.check_next_id("teams_visitphoto", first_photo)
        with db.indexes_deferred("teams_visit", n):
            loader.load("teams_visit")
        loader.load("teams_visitphoto")
        db.sync_sequence("teams_visit")
        db.sync_sequence("teams_visitphoto")
        log.record(actor, "visits.import", object_type="visit", object_id=f"{first_visit}-{first_visit + n - 1}",
                   file=name, sha256=_sha256(path), rows=n, photos=len(photo_rows), areas=sorted({v for v in village if v}))
    out.inserted = n
    return out


# Attendance ---------------------------------------------------------------------------------------------


def import_attendance(path: str | Path, *, actor: str, ranges: Ranges = None, user: object | None = None,
                      now: dt.datetime | None = None, check: bool = False) -> ImportOutcome:
    """Validate an attendance file and, when every row is good (and `check` is false), insert all of it at
    once. The village and the cadre of every row must be in the importer's areas (as `import_visits`; a
    helper records only their own days in their own areas)."""
    scope = resolve(user, ranges, VISIT_ROLES, helpers=True)
    now = now or timezone.now()
    out = _attendance(path, actor=actor, scope=scope, now=now, check=check)
    out.errors = _masked(out.errors)
    if check:
        _audit_check(actor, "attendance", out, path)
    return out


def _attendance(path: str | Path, *, actor: str, scope: Scope, now: dt.datetime, check: bool) -> ImportOutcome:
    today = timezone.localtime(now).date()
    cells, errors = read_file(path, ATTENDANCE_COLUMNS)
    name = Path(path).name
    out = ImportOutcome("attendance", name, rows=len(cells["_row"]), errors=errors)
    rows: list[int] = [int(r) for r in cells["_row"]]
    h = {c.key: c.header for c in ATTENDANCE_COLUMNS}

    def err(i: int, header: str, value: str, rule: str) -> None:
        out.errors.append(ErrorRow(name, rows[i], header, value, rule))

    n = len(rows)
    cadre = _cadre_ids(cells, err, h, scope)
    own = own_cadre(scope)
    codes = cells["village"]
    levels: dict[str, str] = {}
    for part in _chunks(sorted({c for c in codes if c})):
        levels.update(Area.objects.filter(code__in=part).values_list("code", "level"))
    village: list[str | None] = [None] * n
    for i, code in enumerate(codes):
        if not code:
            err(i, h["village"], code, "必填 / required")
        elif code not in levels:
            err(i, h["village"], code, "没有这个区划代码 / no area with this code")
        elif levels[code] != "village":
            err(i, h["village"], code, "应为村级区划代码 / must be a village")
        elif not (scope.area(code) or (scope.helper_area(code) and own is not None and cadre[i] == own)):
            err(i, h["village"], code, "该村不在您的管辖区划内 / the village is outside your areas")
        else:
            village[i] = code
    dates: list[dt.date | None] = [None] * n
    for i, t in enumerate(cells["date"]):
        d = parse_date(t) if t else None
        if not t:
            err(i, h["date"], t, "必填 / required")
        elif d is None:
            err(i, h["date"], t, "日期格式应为 YYYY-MM-DD / a date as YYYY-MM-DD")
        elif d > today:
            err(i, h["date"], t, "日期晚于今天 / the date is in the future")
        elif d < EARLIEST:
            err(i, h["date"], t, f"早于{EARLIEST.year}年 / before {EARLIEST.year}")
        else:
            dates[i] = d
    method_lookup = ATTENDANCE_METHOD.lookup()
    methods: list[str] = [""] * n
    for i, t in enumerate(cells["method"]):
        if t not in method_lookup:
            err(i, h["method"], t, "应为 / one of: " + "、".join(zh for _, zh in ATTENDANCE_METHOD.choices))
        else:
            methods[i] = method_lookup[t]
    seen: dict[tuple[int, dt.date], int] = {}
    for i in range(n):
        k, d = cadre[i], dates[i]
        if k is None or d is None:
            continue
        if (k, d) in seen:
            err(i, h["date"], cells["date"][i], f"与第{rows[seen[(k, d)]]}行重复（同一干部同一天）/ "
                                              f"duplicates row {rows[seen[(k, d)]]} (one row per cadre and day)")
        else:
            seen[(k, d)] = i
    if seen:
        cadres = sorted({k for k, _ in seen})
        low, high = min(d for _, d in seen), max(d for _, d in seen)
        for part in _chunks(cadres):
            for key in Attendance.objects.filter(cadre_id__in=part, date__gte=low, date__lte=high).values_list(
                    "cadre_id", "date"):
                if key in seen:
                    i = seen[key]
                    err(i, h["date"], cells["date"][i], "该干部当天已有考勤 / already recorded for this cadre and day")
    if out.errors or n == 0 or check:
        out.errors.sort(key=lambda e: (e.row, e.column))
        return out

    stamp = _db_datetime(now)
    first = db.next_id("teams_attendance")
    table = pa.table({
        "id": pa.array(range(first, first + n), pa.int64()),
        "cadre_id": pa.array(cadre, pa.int64()),
        "village_id": pa.array(village, pa.string()),
        "date": pa.array([d.isoformat() for d in dates if d is not None], pa.string()),
        "method": pa.array(methods, pa.string()),
        "recorded_at": pa.array([stamp] * n, pa.string()),
        "entered_by": pa.array([actor] * n, pa.string()),
    })
    with db.load({"teams_attendance": table}) as loader, transaction.atomic():
        db.check_next_id("teams_attendance", first)
        with db.indexes_deferred("teams_attendance", n):
            loader.load("teams_attendance")
        db.sync_sequence("teams_attendance")
        log.record(actor, "attendance.import", object_type="attendance", object_id=f"{first}-{first + n - 1}",
                   file=name, sha256=_sha256(path), rows=n, areas=sorted({v for v in village if v}))
    out.inserted = n
    return out


def _sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
