"""The audit log is append-only in the database itself; only retention pruning may delete, and only
rows older than the retention period."""

import datetime as dt

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from jingzhun.audit import log
from jingzhun.audit.models import AuditEntry


def insert_at(when: dt.datetime, action: str) -> None:
    # auto_now_add would stamp "now", and rows cannot be updated afterwards: insert the time directly.
    with connection.cursor() as cur:
        cur.execute(
            "INSERT INTO audit_auditentry (at, actor, role, area, action, object_type, object_id, detail, address)"
            " VALUES (%s, 'tester', '', '', %s, '', '', %s, '')", [when, action, "{}"])


@pytest.mark.django_db
def test_update_is_refused_by_the_database():
    entry = log.record("tester", "login")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(actor="someone else")
    assert AuditEntry.objects.get(pk=entry.pk).actor == "tester"


@pytest.mark.django_db
def test_delete_is_refused_by_the_database():
    entry = log.record("tester", "login")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).delete()
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


@pytest.mark.django_db
def test_prune_deletes_only_rows_older_than_the_retention_period():
    now = timezone.now()
    insert_at(now - dt.timedelta(days=400), "old")
    insert_at(now - dt.timedelta(days=179), "recent")
    insert_at(now - dt.timedelta(days=181), "just-old")
    assert log.prune(180) == 2
    assert sorted(AuditEntry.objects.values_list("action", flat=True)) == ["audit.prune", "recent"]
    pruned = AuditEntry.objects.get(action="audit.prune")
    assert pruned.detail["deleted"] == 2 and pruned.detail["retention_days"] == 180


@pytest.mark.django_db
def test_guard_is_back_after_pruning():
    log.prune(365)
    entry = log.record("tester", "login")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).delete()


@pytest.mark.django_db
def test_retention_below_the_floor_is_refused_and_nothing_is_deleted():
    insert_at(timezone.now() - dt.timedelta(days=400), "old")
    with pytest.raises(ValueError, match="retention_days.*180"):
        log.prune(90)
    assert list(AuditEntry.objects.values_list("action", flat=True)) == ["old"]
