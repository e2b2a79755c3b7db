"""Cross-department checks (比对): import a department's list, match it, decide the hits.

The one path for every change here (CLI, admin and web call these functions): validate everything,
then write in one transaction with an audit row. A list lands whole or not at all.

Matching never stores the list's resident IDs: each valid, normalised ID (15-digit numbers upgraded
to 18, as the register does) becomes the register's blind index, the indexes are looked up in sets
against ``registry_member.resident_id_index``, and only the rows that hit keep anything — their
evidence columns, on the hit.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from jingzhun import access, crypto
from jingzhun.audit import log as audit
from jingzhun.crosscheck import lists
from jingzhun.crosscheck.models import HIT_STATUS, RULE, CrossCheckHit, CrossCheckList
from jingzhun.identity import RULES as ID_RULES
from jingzhun.identity import mask, mask_id_like, validate_many
from jingzhun.registry import bulk
from jingzhun.registry.models import Household, Member

REQUIRED = "必填项为空 / required value is empty"
BAD_DATE = "不是有效日期（如 2020-05-01）/ not a valid date (e.g. 2020-05-01)"
FUTURE_DATE = "日期晚于今天 / the date is in the future"
UNKNOWN_RULE = "未知比对规则 / unknown rule"
MATCH_CHUNK = 5000  # blind indexes per IN (...) lookup: well under every backend's parameter limit
Spans = list[tuple[str, str]] | None  # area code ranges; None = every area


class ListRejected(ValueError):
    """The list has bad rows; nothing was written. `problems` names every one."""

    def __init__(self, file_name: str, problems: list[tuple[int, str, str, str]]):
        self.file_name = file_name
        self.problems = sorted(problems)
        super().__init__(f"{file_name}: {len(self.problems)} 处错误，未导入 / {len(self.problems)} problems, nothing imported")


@dataclass
class ImportResult:
    list: CrossCheckList
    already_imported: bool
    rows: int
    hits: int
    households: int
    # Rows matching register members whose household is outside the importer's areas: a number only.
    outside: int = 0


def department_of(rule: str) -> str:
    """The department the latest shipped national policy names for the rule (``[exclusions.<rule>]``)."""
    from jingzhun.policy.loading import national

    section = getattr(national(2020).exclusions, rule, None)
    return str(section.department) if section is not None else RULE.zh(rule)


def _validate(data: lists.ListFile, rule: str, today: dt.date) -> tuple[list[str], list[tuple[int, str, str, str]]]:
    problems = list(data.problems)
    already = {p[0] for p in data.problems if p[1] == lists.ID_HEADER}  # e.g. an ID in a numeric cell
    numbers, codes = validate_many(data.ids, today=today)
    for i, code in enumerate(codes.tolist()):
        if data.ids[i] == "":
            if data.rows[i] not in already:
                problems.append((data.rows[i], lists.ID_HEADER, "", REQUIRED))
        elif code:
            # The report never shows a clear ID: the masked form is enough to find the row.
            problems.append((data.rows[i], lists.ID_HEADER, mask(data.ids[i].strip()), ID_RULES[code - 1]))
    for col in lists.RULE_COLUMNS[rule]:
        values = data.columns.get(col.key)
        if values is None:
            continue
        for i, value in enumerate(values):
            if value == "":
                if col.required:
                    problems.append((data.rows[i], col.header, "", REQUIRED))
                continue
            if col.kind == "date":
                day = lists.parse_date(value)
                if day is None:
                    problems.append((data.rows[i], col.header, value, BAD_DATE))
                elif day > today:
                    problems.append((data.rows[i], col.header, value, FUTURE_DATE))
                else:
                    values[i] = day.isoformat()
    return numbers, problems


def _matches(indexes: list[bytes], spans: Spans) -> tuple[dict[bytes, tuple[int, int]], set[bytes]]:
    """Blind index → (household id, member position), for the indexes that are in the register with their
    household now in `spans` (None = everywhere); and the indexes of members whose household is elsewhere.

    Plain SQL over the unique blind-index index, a few thousand keys per statement: the ORM would
    spend more time compiling the IN list than the database spends answering it."""
    found: dict[bytes, tuple[int, int]] = {}
    outside: set[bytes] = set()
    unique = list(dict.fromkeys(indexes))
    with connection.cursor() as cur:
        for start in range(0, len(unique), MATCH_CHUNK):
            chunk = unique[start : start + MATCH_CHUNK]
            cur.execute("SELECT m.resident_id_index, m.household_id, m.position, h.village_id FROM registry_member m "
                        "JOIN registry_household h ON h.id = m.household_id "
                        f"WHERE m.resident_id_index IN ({', '.join(['%s'] * len(chunk))})", chunk)
            for index, household, position, village in cur.fetchall():
                if _within(village, spans):
                    found[bytes(index)] = (household, position)
                else:
                    outside.add(bytes(index))
    return found, outside


def _within(village: str, spans: Spans) -> bool:
    return spans is None or any(low <= village <= high for low, high in spans)


def import_scope(user: object | None) -> Spans:
    """Where a list imported by `user` may raise hits: their areas of the roles that decide hits (the
    "crosscheck" ability: officers); None (every area) for the console operator or no user at all."""
    if user is None:
        return None
    spans = access.ranges(user, ability="crosscheck")
    return None if spans is None else sorted({(low, high) for low, high in spans})


def _scope_key(spans: Spans) -> str:
    return "" if spans is None else hashlib.sha256(json.dumps(spans).encode()).hexdigest()


def _insert_hits(list_id: int, rule: str, rows: list[tuple[int, int, int, dict[str, Any]]]) -> None:
    """(household, position, source row, evidence) rows into the hit table, one executemany."""
    now = timezone.now()
    json_param = "%s::jsonb" if connection.vendor == "postgresql" else "%s"
    sql = ("INSERT INTO crosscheck_crosscheckhit (household_id, member_position, rule, source_list_id, source_row, "
           "evidence, status, reason, decided_by, decided_at, created_at) "
           f"VALUES (%s, %s, %s, %s, %s, {json_param}, 'pending', '', '', NULL, %s)")
    params = [(household, position, rule, list_id, source_row, json.dumps(evidence, ensure_ascii=False), now)
              for household, position, source_row, evidence in rows]
    with connection.cursor() as cur:
        for start in range(0, len(params), 10_000):
            cur.executemany(sql, params[start : start + 10_000])


def import_list(path: str | Path, rule: str, *, actor: str, department: str = "",
                today: dt.date | None = None, user: object | None = None) -> ImportResult:
    """Import one department list for `rule`; raise ListRejected (nothing written) on any bad row.

    Imported by an officer (`user`), the list raises hits only for households now in their areas; a row
    matching a member of a household elsewhere is counted in `outside` and nothing else is kept of it (the
    list remembers its scope, so later rematching keeps to it too). Without a user — the console
    operator — the list covers every area. Refused for a user without the crosscheck ability anywhere."""
    if rule not in RULE.codes:
        raise ValueError(f"{UNKNOWN_RULE}: {rule!r}；可用 / allowed: {', '.join(RULE.codes)}")
    spans = import_scope(user)
    if spans is not None and not spans:
        raise PermissionDenied("您没有导入部门比对名单的权限 / you hold no role that imports department lists")
    p = Path(path)
    today = today or timezone.localdate()
    digest = hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else ""
    existing = (CrossCheckList.objects.filter(rule=rule, file_sha256=digest, scope_key__in={"", _scope_key(spans)})
                .order_by("scope_key").first() if digest else None)
    if existing is not None:
        # The same file again (for these areas, or for every area): nothing new to learn, nothing written.
        # The figures are the importer's own: hits on households they may see.
        seen = visible_hits(user) if user is not None else CrossCheckHit.objects.all()
        mine = seen.filter(source_list=existing)
        return ImportResult(existing, True, existing.row_count, mine.count(),
                            mine.values("household_id").distinct().count())
    data = lists.read(p, rule)
    numbers, problems = _validate(data, rule, today)
    if problems:
        raise ListRejected(data.file_name, [(row, column, mask_id_like(value), mask_id_like(text))
                                            for row, column, value, text in problems])

    indexes = crypto.many("resident_id", "index", numbers)
    found, elsewhere = _matches(indexes, spans)
    grouped: dict[tuple[int, int], list[int]] = defaultdict(list)  # (household, position) → row positions
    outside = 0
    for i, index in enumerate(indexes):
        if index in found:
            grouped[found[index]].append(i)
        elif index in elsewhere:
            outside += 1

    # The rows' blind indexes go in set-based (staged, or COPY on PostgreSQL) with the list's id handed
    # out beforehand, as the register import does: the staging happens outside the transaction.
    list_id = bulk.next_id("crosscheck_crosschecklist")
    entries = pa.table({"source_list_id": pa.array([list_id] * len(data.rows), pa.int64()),
                        "row": pa.array(data.rows, pa.int64()), "id_index": pa.array(indexes, pa.binary())})
    del numbers, indexes  # the clear IDs go no further than this function

    with bulk.Loader({"crosscheck_crosscheckentry": entries}) as loader, transaction.atomic():
        bulk.check_next_id("crosscheck_crosschecklist", list_id)
        record = CrossCheckList.objects.create(
            pk=list_id, rule=rule, department=department or department_of(rule), file_name=data.file_name,
            file_sha256=digest, imported_by=actor, imported_at=timezone.now(), row_count=len(data.rows),
            hit_count=len(grouped), scope=None if spans is None else [list(s) for s in spans],
            scope_key=_scope_key(spans), outside_count=outside)
        bulk.sync_sequence("crosscheck_crosschecklist")
        loader.load("crosscheck_crosscheckentry")
        _insert_hits(record.pk, rule, [(household, position, data.rows[rows[0]], _evidence(data, rule, rows))
                                       for (household, position), rows in sorted(grouped.items())])
        households = len({h for h, _ in grouped})
        audit.record(actor, "crosscheck.import", object_type="crosscheck_list", object_id=str(record.pk),
                     areas=CrossCheckHit.objects.filter(source_list_id=record.pk).values_list(
                         "household__village_id", flat=True).distinct(),
                     rule=rule, file=data.file_name, sha256=digest, rows=len(data.rows), hits=len(grouped),
                     households=households, outside=outside, scope=record.scope)
    return ImportResult(record, False, len(data.rows), len(grouped), households, outside)


def rematch(household_ids: list[int] | None = None, *, actor: str = "system") -> int:
    """Hits for members who entered the register after a list was imported (or all lists against the
    whole register when `household_ids` is None); returns how many new hits. Their evidence is the
    list's row numbers: the department's file has the rest."""
    where = ""
    params: list[Any] = []
    if household_ids is not None:
        if not household_ids:
            return 0
        where = f"AND m.household_id IN ({', '.join(['%s'] * len(household_ids))})"
        params = list(household_ids)
    sql = f"""
        SELECT e.source_list_id, l.rule, m.household_id, m.position, e.row, h.village_id, l.scope_key
        FROM crosscheck_crosscheckentry e
        JOIN registry_member m ON m.resident_id_index = e.id_index
        JOIN registry_household h ON h.id = m.household_id
        JOIN crosscheck_crosschecklist l ON l.id = e.source_list_id
        WHERE NOT EXISTS (SELECT 1 FROM crosscheck_crosscheckhit h WHERE h.source_list_id = e.source_list_id
                          AND h.household_id = m.household_id AND h.member_position = m.position) {where}
        ORDER BY e.source_list_id, m.household_id, m.position, e.row"""
    with transaction.atomic():
        with connection.cursor() as cur:
            cur.execute(sql, params)
            found = cur.fetchall()
        # An officer's list raises hits only in the areas it was imported for (its scope).
        scopes: dict[int, Spans] = {}
        if any(key for *_, key in found):
            scopes = {pk: None if sc is None else [tuple(x) for x in sc] for pk, sc in CrossCheckList.objects.filter(
                pk__in={r[0] for r in found if r[6]}).values_list("pk", "scope")}
        by_list: dict[tuple[int, str], dict[tuple[int, int], list[int]]] = defaultdict(lambda: defaultdict(list))
        for list_id, rule, household, position, row, village, key in found:
            if not key or _within(village, scopes.get(list_id)):
                by_list[(list_id, rule)][(household, position)].append(row)
        total = 0
        for (list_id, rule), members in by_list.items():
            _insert_hits(list_id, rule, [
                (household, position, rows[0], {"rows": [{"行号": r} for r in rows],
                                                "说明": "名单导入后登记的成员，补充比对命中 / matched after the list was imported"})
                for (household, position), rows in sorted(members.items())])
            CrossCheckList.objects.filter(pk=list_id).update(hit_count=CrossCheckHit.objects.filter(
                source_list_id=list_id).count())
            total += len(members)
        if total:
            audit.record(actor, "crosscheck.rematch", object_type="crosscheck_list",
                         areas=_villages({h for m in by_list.values() for h, _ in m}),
                         object_id=",".join(str(k[0]) for k in by_list), hits=total,
                         households=len({h for m in by_list.values() for h, _ in m}))
    return total


def _villages(household_ids: set[int]) -> set[str]:
    """The villages of these households (for the audit row), a bounded number of ids per query."""
    ids, out = sorted(household_ids), set()
    for start in range(0, len(ids), 10000):
        out |= set(Household.objects.filter(pk__in=ids[start : start + 10000]).values_list("village_id", flat=True))
    return out


def _evidence(data: lists.ListFile, rule: str, rows: list[int]) -> dict[str, Any]:
    """The evidence columns of the rows that hit one member (a person may own two cars)."""
    out = []
    for i in rows:
        item: dict[str, Any] = {"行号": data.rows[i]}
        for col in lists.RULE_COLUMNS[rule]:
            if col.key in data.columns and data.columns[col.key][i] != "":
                item[col.header] = data.columns[col.key][i]
        out.append(item)
    return {"rows": out}


# --------------------------------------------------------------------------- decisions


class DecisionRefused(ValueError):
    pass


def visible_hits(user: object) -> QuerySet[CrossCheckHit]:
    """Hits on the households the user may see (jingzhun.access: a helper, only their own)."""
    return access.households(CrossCheckHit.objects.all(), user, prefix="household__")


def decide(hit_id: int, status: str, reason: str, *, user: object, actor: str | None = None) -> CrossCheckHit:
    """Confirm or dismiss a hit with a reason; a decided hit may be changed again, with a new reason."""
    if status not in ("confirmed", "dismissed"):
        raise DecisionRefused(f"核实结果须为 confirmed 或 dismissed，而非 {status!r} / status must be confirmed or dismissed")
    reason = (reason or "").strip()
    if not reason:
        raise DecisionRefused("须填写核实说明 / a reason is required")
    who = actor or str(getattr(user, "username", user))
    with transaction.atomic():
        hit = CrossCheckHit.objects.select_for_update().select_related("household").filter(pk=hit_id).first()
        if hit is None or not access.can_see_area(user, hit.household.village_id, "crosscheck"):
            # Outside the user's areas looks the same as not existing: no probing for hits.
            raise PermissionDenied(f"比对命中 {hit_id} 不存在或不在您的管辖范围 / no such hit in your areas")
        if hit.status == status:
            raise DecisionRefused(f"该命中已是“{HIT_STATUS.zh(status)}” / already {status}")
        before = hit.status
        hit.status, hit.reason, hit.decided_by, hit.decided_at = status, reason, who, timezone.now()
        hit.save(update_fields=["status", "reason", "decided_by", "decided_at"])
        audit.record(who, {"confirmed": "crosscheck.confirm", "dismissed": "crosscheck.dismiss"}[status],
                     object_type="crosscheck_hit", object_id=str(hit.pk), area=hit.household.village_id,
                     household=hit.household_id, rule=hit.rule, before=before, after=status, reason=reason)
    return hit


def size_corrections(user: object) -> list[dict[str, Any]]:
    """Households with confirmed deaths: the register's size and the size once the dead are removed."""
    qs = (visible_hits(user).filter(rule="deceased", status="confirmed")
          .values("household_id", "household__number")
          .annotate(deceased=Count("member_position", distinct=True)))
    sizes = dict(Member.objects.filter(household_id__in=[r["household_id"] for r in qs])
                 .values("household_id").annotate(n=Count("id")).values_list("household_id", "n"))
    return [{"household_id": r["household_id"], "number": r["household__number"], "size": sizes.get(r["household_id"], 0),
             "deceased": r["deceased"], "corrected_size": sizes.get(r["household_id"], 0) - r["deceased"]}
            for r in qs.order_by("household__number")]


def summary(user: object) -> list[dict[str, Any]]:
    """Hits by rule and status, in the user's areas."""
    rows: list[dict[str, Any]] = [dict(r) for r in visible_hits(user).values("rule").annotate(
        pending=Count("id", filter=Q(status="pending")), confirmed=Count("id", filter=Q(status="confirmed")),
        dismissed=Count("id", filter=Q(status="dismissed"))).order_by("rule")]
    return rows
