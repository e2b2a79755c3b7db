"""The roster plan's writes, set-based (bulk statements of `BATCH` rows, no ORM call per row), inside the
transaction `tabular.steps.run` opens for them and their audit row."""

from __future__ import annotations

from jingzhun.organisation.units import attach_current
from jingzhun.teams.models import Cadre, CadreStatusEvent, TeamMembership, WorkTeam
from jingzhun.teams.roster.plan import Plan
from jingzhun.teams.roster.spec import CADRE_FIELDS, MEMBERSHIP_FIELDS
from jingzhun.teams.roster.state import Posting
from jingzhun.teams.signals import cadres_changed

BATCH = 500  # rows per bulk statement


def apply(plan: Plan) -> None:
    Cadre.objects.bulk_create(plan.new_cadres, batch_size=BATCH)
    Cadre.objects.bulk_update(plan.changed_cadres, list(CADRE_FIELDS), batch_size=BATCH)
    cadre_pk = dict(plan.stored_pks)
    cadre_pk.update((c.personnel_number, c.pk) for c in plan.new_cadres)
    # The sending unit records of new and changed cadres (a changed unit name or station may mean another unit).
    attach_current([*(c.pk for c in plan.new_cadres), *(c.pk for c in plan.changed_cadres)])
    _post_teams(plan)
    _update_memberships(plan.changed_members)
    inserted = TeamMembership.objects.bulk_create(
        [TeamMembership(cadre_id=cadre_pk[p.cadre], team_id=_known(p.team_id), role=p.role, start_date=p.start,
                        end_date=p.end, end_kind=p.end_kind, recall_reason=p.reason) for p in plan.new_members],
        batch_size=BATCH)
    for p, row in zip(plan.new_members, inserted, strict=True):
        p.id = row.pk
    # A successor inserted by this import has its id only now.
    TeamMembership.objects.bulk_update(
        [TeamMembership(id=p.id, replaced_by_id=plan.state.successor_id(p)) for p in plan.relinked], ["replaced_by"],
        batch_size=BATCH)
    CadreStatusEvent.objects.bulk_create(
        [CadreStatusEvent(cadre_id=cadre_pk[pn], status=status, date=day, reason=reason)
         for pn, status, day, reason in plan.events], batch_size=BATCH)
    # Totals kept by other apps over cadres (training coverage) recount the counties touched, in this transaction.
    touched = {c.home_area_id for c in (*plan.new_cadres, *plan.changed_cadres)}
    touched.update(old for _pn, old, _new in plan.moves if old)
    cadres_changed.send(sender=Cadre, areas=touched)


def _known(pk: int | None) -> int:
    assert pk is not None  # every new membership's team is known once the teams are posted
    return pk


def _post_teams(plan: Plan) -> None:
    """A village without an open team gets one, posted on its earliest member's start."""
    created = WorkTeam.objects.bulk_create([WorkTeam(village_id=v, start_date=s) for v, s in plan.new_teams.items()],
                                           batch_size=BATCH)
    team_of = {t.village_id: t.pk for t in created}
    for p in plan.new_members:
        if p.team_id is None:
            p.team_id = team_of[p.village]


def _update_memberships(changed: list[Posting]) -> None:
    """Closing first, then memberships staying open, first secretaries last: no statement ever holds two
    serving first secretaries of a team, even for a moment (PostgreSQL checks unique indexes row by row)."""
    phases = ([p for p in changed if p.end is not None],
              [p for p in changed if p.end is None and p.role != "first_secretary"],
              [p for p in changed if p.end is None and p.role == "first_secretary"])
    for phase in phases:
        TeamMembership.objects.bulk_update(
            [TeamMembership(id=p.id, role=p.role, end_date=p.end, end_kind=p.end_kind, recall_reason=p.reason)
             for p in phase], list(MEMBERSHIP_FIELDS), batch_size=BATCH)
