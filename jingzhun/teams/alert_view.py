"""Supervision alerts as officers read and handle them: names for the numbers, the households behind an alert, a
stable key, and the handling notes (已处理).

The checks (jingzhun.teams.supervision) return ids and codes, which is what their SQL can do fast; this module adds,
in a few bulk queries for the whole list, what a reader needs: the village's name, the helper's name instead of
"帮扶人编号 11", the household numbers the user may open, and whether someone has handled the alert already.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction

from jingzhun import access
from jingzhun.areas.models import Area
from jingzhun.audit import log
from jingzhun.registry.models import Household
from jingzhun.teams.export import evidence_text
from jingzhun.teams.models import AlertNote, Cadre
from jingzhun.teams.supervision import KINDS, Alert

# Evidence that changes while the situation stays the same (the days since the last visit grow every day): left
# out of the key, so a handled alert stays handled until the situation itself changes.
VOLATILE = frozenset({"距今天数"})
HELPER_KEY = "帮扶人编号"
MAX_NOTE = 2000


class NotHandled(ValueError):
    """The note was refused (no such alert in the user's areas, an empty note); nothing was written."""


class AlreadyHandled(NotHandled):
    """Someone's note on the alert stands already (written before, or at the same instant); nothing was written."""


ALREADY = "该预警已处理 / this alert has been handled already"


@dataclass
class ShownAlert:
    alert: Alert
    key: str
    area_name: str
    subject: str
    households: list[str] = field(default_factory=list)  # numbers of the households behind it the user may see
    note: AlertNote | None = None

    @property
    def evidence_text(self) -> str:
        return evidence_text(self.alert.evidence)


def key_of(alert: Alert) -> str:
    stable = {k: v for k, v in alert.evidence.items() if k not in VOLATILE}
    text = json.dumps([alert.kind, alert.area, stable], ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:40]


def _household_ids(alert: Alert) -> list[int]:
    ids = alert.evidence.get("户ID")
    if isinstance(ids, int):
        return [ids]
    return [int(i) for i in ids or [] if str(i).isdigit()]


def shown(alerts: Sequence[Alert], user: object) -> list[ShownAlert]:
    """The alerts with names, the user's openable households and their notes: four queries whatever the count."""
    keys = [key_of(a) for a in alerts]
    areas = dict(Area.objects.filter(code__in={a.area for a in alerts}).values_list("code", "name"))
    cadre_ids = {int(a.evidence[HELPER_KEY]) for a in alerts if str(a.evidence.get(HELPER_KEY, "")).isdigit()}
    cadres = dict(Cadre.objects.filter(pk__in=cadre_ids).values_list("pk", "name"))
    wanted = {i for a in alerts for i in _household_ids(a)}
    numbers = dict(access.households(Household.objects.filter(pk__in=wanted), user).values_list("pk", "number"))
    notes = {n.key: n for n in AlertNote.objects.filter(key__in=keys)}
    out = []
    for alert, key in zip(alerts, keys, strict=True):
        subject = alert.subject
        cadre = alert.evidence.get(HELPER_KEY)
        if str(cadre).isdigit() and int(str(cadre)) in cadres and subject.startswith(HELPER_KEY):
            subject = f"帮扶人 {cadres[int(str(cadre))]}（编号 {cadre}） / helper {cadres[int(str(cadre))]} (no. {cadre})"
        out.append(ShownAlert(alert, key, areas.get(alert.area, alert.area), subject,
                              [numbers[i] for i in _household_ids(alert) if i in numbers], notes.get(key)))
    return out


def handle(alerts: Iterable[Alert], key: str, note: str, *, actor: str) -> AlertNote:
    """Record that the alert with `key` — which must be among `alerts`, the ones the user may see now — was handled,
    with what was found and done. Audited with the alert's area; a second note on the same alert replaces none: it
    is refused, the first stands."""
    note = (note or "").strip()
    if not note:
        raise NotHandled("须填写处理情况 / say what was found and done")
    if len(note) > MAX_NOTE:
        raise NotHandled(f"处理情况不能超过 {MAX_NOTE} 字 / the note is longer than {MAX_NOTE} characters")
    found = next((a for a in alerts if key_of(a) == key), None)
    if found is None:
        # Outside the user's areas, already gone, or made up: the same answer for all three.
        raise NotHandled("没有找到该预警（不在您的辖区或已消除） / no such alert in your areas now")
    with transaction.atomic():
        if AlertNote.objects.filter(key=key).exists():
            raise AlreadyHandled(ALREADY)
        try:
            # Two officers at the same instant both pass the check above; the unique key lets one note in and
            # the other's insert fails (PostgreSQL waits for the first to commit, then refuses). That is the
            # same answer as a note found by the check, not a 500: a savepoint keeps the transaction usable.
            with transaction.atomic():
                row = AlertNote.objects.create(key=key, kind=found.kind, area=found.area,
                                               subject=found.subject[:200], note=note, handled_by=actor)
        except IntegrityError:
            raise AlreadyHandled(ALREADY) from None
        log.record(actor, "supervision.handle", object_type="alert", object_id=key, area=found.area,
                   kind=found.kind, note=note)
    return row


__all__ = ["ALREADY", "KINDS", "AlreadyHandled", "NotHandled", "ShownAlert", "evidence_text", "handle", "key_of", "shown"]
