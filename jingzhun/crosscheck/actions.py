"""Cross-department checks (比对): import a department's list, match it, decide the hits.

The one path for every change here (CLI, admin and web call these functions). A list is imported by the
one import subsystem (`jingzhun.tabular.steps.run` with `list_import.ListImport`): read, check every row,
plan (match), and write in one transaction with its audit row. By default a list lands whole or not at all.

Matching never stores the list's resident IDs: each valid, normalised ID (15-digit numbers upgraded
to 18, as the register does) becomes the register's blind index, the indexes are looked up in sets
against ``registry_member.resident_id_index``, and only the rows that hit keep anything — their
evidence columns, on the hit.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from jingzhun import access
from jingzhun.audit import log as audit
from jingzhun.crosscheck import list_import, matching
from jingzhun.crosscheck.list_import import BAD_DATE, FUTURE_DATE, MASKED_ID, REQUIRED, ListImport
from jingzhun.crosscheck.models import HIT_STATUS, RULE, CrossCheckHit, CrossCheckList
from jingzhun.registry.models import Household, Member
from jingzhun.tabular import rules, steps
from jingzhun.tabular.problems import Problem as RowProblem

__all__ = ["BAD_DATE", "FUTURE_DATE", "MASKED_ID", "REQUIRED", "ImportResult", "ListRejected", "check_list",
           "decide", "import_list", "import_scope", "rematch", "size_corrections", "summary", "visible_hits"]

UNKNOWN_RULE = "未知比对规则 / unknown rule"
Spans = list[tuple[str, str]] | None  # area code ranges; None = every area
Problem = tuple[int, str, str, str]  # row, column, value (ID-shaped runs masked), rule
ProblemList = list[Problem]  # (ImportResult has a field named `list`)


class ListRejected(ValueError):
    """The list has bad rows; nothing was written. `problems` names every one."""

    def __init__(self, file_name: str, problems: list[Problem]):
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
    # The rows left out ("valid" mode), each with its problem.
    problems: ProblemList = field(default_factory=ProblemList)


def department_of(rule: str) -> str:
    """The department the latest shipped national policy names for the rule (``[exclusions.<rule>]``)."""
    from jingzhun.policy.loading import national

    section = getattr(national(2020).exclusions, rule, None)
    return str(section.department) if section is not None else RULE.zh(rule)


def import_scope(user: object | None) -> Spans:
    """Where a list imported by `user` may raise hits: their areas of the roles that decide hits (the
    "crosscheck" ability: officers); None (every area) for the console operator or no user at all."""
    if user is None:
        return None
    spans = access.ranges(user, ability="crosscheck")
    return None if spans is None else sorted({(low, high) for low, high in spans})


def _allowed(rule: str, user: object | None) -> rules.Scope:
    if rule not in RULE.codes:
        raise ValueError(f"{UNKNOWN_RULE}: {rule!r}；可用 / allowed: {', '.join(RULE.codes)}")
    spans = import_scope(user)
    if spans is not None and not spans:
        raise PermissionDenied("您没有导入部门比对名单的权限 / you hold no role that imports department lists")
    return rules.Scope.of_ranges(spans)


def _already(path: Path, rule: str, scope: rules.Scope, user: object | None) -> ImportResult | None:
    """The same file again (for these areas, or for every area): nothing new to learn, nothing written.
    The figures are the importer's own: hits on households they may see."""
    if not path.is_file():
        return None  # the reader says so
    existing = CrossCheckList.objects.filter(
        rule=rule, file_sha256=steps.sha256_of(path), scope_key__in={"", list_import.scope_key(scope.wide)}
    ).order_by("scope_key").first()
    if existing is None:
        return None
    seen = visible_hits(user) if user is not None else CrossCheckHit.objects.all()
    mine = seen.filter(source_list=existing)
    return ImportResult(existing, True, existing.row_count, mine.count(), mine.values("household_id").distinct().count())


def _shown(problems: list[RowProblem]) -> list[Problem]:
    return [(p.row, p.column, p.value, p.rule) for p in problems]


def import_list(path: str | Path, rule: str, *, actor: str, department: str = "",
                today: dt.date | None = None, user: object | None = None, mode: str = "all") -> ImportResult:
    """Import one department list for `rule`; raise ListRejected (nothing written) on any bad row — or, in
    "valid" mode, when no row is valid (else the valid rows land and `problems` names the others).

    Imported by an officer (`user`), the list raises hits only for households now in their areas; a row
    matching a member of a household elsewhere is counted in `outside` and nothing else is kept of it (the
    list remembers its scope, so later rematching keeps to it too). Without a user — the console
    operator — the list covers every area. Refused for a user without the crosscheck ability anywhere."""
    if mode not in ("all", "valid"):
        raise ValueError("mode must be 'all' or 'valid' (check_list validates only)")
    scope = _allowed(rule, user)
    p = Path(path)
    repeat = _already(p, rule, scope, user)
    if repeat is not None:
        return repeat
    importer = ListImport(rule, department or department_of(rule), today or timezone.localdate())
    outcome = steps.run(importer, p, actor=actor, scope=scope, mode=mode, user=user)
    if not outcome.imported or outcome.plan is None:
        raise ListRejected(outcome.file_name, _shown(outcome.problems))
    plan = outcome.plan
    return ImportResult(CrossCheckList.objects.get(pk=plan.list_id), False, len(plan.rows), len(plan.hits),
                        plan.households, plan.outside, _shown(outcome.problems))


def check_list(path: str | Path, rule: str, *, actor: str, today: dt.date | None = None,
               user: object | None = None) -> steps.Outcome[list_import.Plan]:
    """Validate a list and say what importing it would do (its problems; the plan of its valid rows: hits,
    households, rows outside the areas), writing nothing but the audit row of the check."""
    scope = _allowed(rule, user)
    importer = ListImport(rule, department_of(rule), today or timezone.localdate())
    return steps.run(importer, path, actor=actor, scope=scope, mode="check", user=user)


def rematch(household_ids: list[int] | None = None, *, actor: str = "system") -> int:
    """Hits for members who entered the register after a list was imported (or all lists against the
    whole register when `household_ids` is None); returns how many new hits. Their evidence is the
    list's row numbers: the department's file has the rest."""
    if household_ids is not None and not household_ids:
        return 0
    with transaction.atomic():
        by_list = _unmatched(household_ids)
        total = 0
        for (list_id, rule), members in by_list.items():
            matching.insert_hits(list_id, rule, [
                (household, position, rows[0], {"rows": [{"行号": r} for r in rows],
                                                "说明": "名单导入后登记的成员，补充比对命中 / matched after the list was imported"})
                for (household, position), rows in sorted(members.items())])
            CrossCheckList.objects.filter(pk=list_id).update(hit_count=CrossCheckHit.objects.filter(
                source_list_id=list_id).count())
            total += len(members)
        if total:
            households = {h for m in by_list.values() for h, _ in m}
            audit.record(actor, "crosscheck.rematch", object_type="crosscheck_list", areas=_villages(households),
                         object_id=",".join(str(k[0]) for k in by_list), hits=total, households=len(households))
    return total


def _unmatched(household_ids: list[int] | None) -> dict[tuple[int, str], dict[tuple[int, int], list[int]]]:
    """(list, rule) → (household, position) → the list's rows naming that member, for members with no hit
    from the list yet, within each list's scope (an officer's list raises hits only in their areas)."""
    where, params = "", list(household_ids or [])
    if household_ids is not None:
        where = f"AND m.household_id IN ({', '.join(['%s'] * len(household_ids))})"
    sql = f"""
        SELECT e.source_list_id, l.rule, m.household_id, m.position, e.row, h.village_id, l.scope_key
        FROM crosscheck_crosscheckentry e
        JOIN registry_member m ON m.resident_id_index = e.id_index
        JOIN registry_household h ON h.id = m.household_id
        JOIN crosscheck_crosschecklist l ON l.id = e.source_list_id
        WHERE NOT EXISTS (SELECT 1 FROM crosscheck_crosscheckhit h WHERE h.source_list_id = e.source_list_id
                          AND h.household_id = m.household_id AND h.member_position = m.position) {where}
        ORDER BY e.source_list_id, m.household_id, m.position, e.row"""
    with connection.cursor() as cur:
        cur.execute(sql, params)
        found = cur.fetchall()
    scopes: dict[int, rules.Scope] = {}
    if any(key for *_, key in found):
        scopes = {pk: rules.Scope.of_ranges(None if sc is None else [(lo, hi) for lo, hi in sc])
                  for pk, sc in CrossCheckList.objects.filter(pk__in={r[0] for r in found if r[6]}).values_list(
                      "pk", "scope")}
    by_list: dict[tuple[int, str], dict[tuple[int, int], list[int]]] = defaultdict(lambda: defaultdict(list))
    for list_id, rule, household, position, row, village, key in found:
        if not key or scopes[list_id].covers(village):
            by_list[(list_id, rule)][(household, position)].append(row)
    return by_list


def _villages(household_ids: set[int]) -> set[str]:
    """The villages of these households (for the audit row), a bounded number of ids per query."""
    out: set[str] = set()
    for part in rules.chunks(sorted(household_ids), 10000):
        out |= set(Household.objects.filter(pk__in=part).values_list("village_id", flat=True))
    return out


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
