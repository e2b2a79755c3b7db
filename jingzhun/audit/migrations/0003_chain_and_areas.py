"""The audit log becomes a chain and carries every area a row touched (docs/security.md, "Audit log").

- `prev_hash` and `hash` on every row: HMAC-SHA256 over the row, its areas and the previous row's hash
  (`jingzhun.audit.chain`); existing rows are chained here, oldest first (this needs JINGZHUN_MASTER_KEY
  when there are rows). `audit_chainhead` holds the chain's head, sealed.
- `audit_auditarea`: the areas of each row (existing rows: their one `area`).
- The guards, replacing 0002's, which a session could lift on PostgreSQL (`SET LOCAL
  jingzhun.audit_prune = 'on'`) and which let SQLite's `INSERT OR REPLACE` overwrite a row (REPLACE
  deletes the old row without firing delete triggers). Now, on both databases: no UPDATE; no INSERT over an
  existing id; DELETE only of rows older than the retention floor (180 days), oldest first, so that only a
  prefix of the chain can go, and only up to the chain head's anchor, which pruning moves (sealed with the
  key) before it deletes; the head cannot be deleted. PostgreSQL also refuses TRUNCATE of the three
  tables. No setting lifts any of this: retention pruning (`jingzhun audit prune`) works within it.
"""

import importlib
import os

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

KEY_ENV = "JINGZHUN_MASTER_KEY"

FLOOR_DAYS = 180  # jingzhun.audit.log.RETENTION_FLOOR_DAYS; kept here as the migration applied it
REFUSED = "audit log is append-only"

SQLITE_DROP_0002 = ["DROP TRIGGER IF EXISTS audit_no_update", "DROP TRIGGER IF EXISTS audit_no_delete"]
POSTGRES_DROP_0002 = ["DROP TRIGGER IF EXISTS audit_append_only ON audit_auditentry",
                      "DROP FUNCTION IF EXISTS audit_append_only()"]

# SQLite stores times as 'YYYY-MM-DD HH:MM:SS.ffffff' in UTC, which compares as text with strftime's.
_SQLITE_OLD = f"strftime('%Y-%m-%d %H:%M:%f', 'now', '-{FLOOR_DAYS} days')"
# A row may go only up to the chain head's anchor, which pruning moves (sealed, with the key) before it
# deletes: a bare DELETE is refused, and moving the anchor without the key breaks the head's seal.
_SQLITE_ANCHOR = "(SELECT anchor_id FROM audit_chainhead WHERE id = 1)"
SQLITE = [
    # REPLACE would delete the row in the way without firing the delete trigger (recursive_triggers is off).
    f"""CREATE TRIGGER audit_no_replace BEFORE INSERT ON audit_auditentry
        WHEN EXISTS (SELECT 1 FROM audit_auditentry WHERE id = NEW.id)
        BEGIN SELECT RAISE(ABORT, '{REFUSED}: a row cannot be replaced'); END""",
    f"""CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit_auditentry
        BEGIN SELECT RAISE(ABORT, '{REFUSED}'); END""",
    # SQLite deletes with triggers in rowid order, so a prefix passes row by row; anything else fails.
    f"""CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit_auditentry
        WHEN OLD.at >= {_SQLITE_OLD} OR EXISTS (SELECT 1 FROM audit_auditentry WHERE id < OLD.id)
             OR OLD.id > coalesce({_SQLITE_ANCHOR}, 0)
        BEGIN SELECT RAISE(ABORT, '{REFUSED}: only rows older than {FLOOR_DAYS} days, oldest first, up to the chain''s anchor, may be pruned (jingzhun audit prune)'); END""",
    f"""CREATE TRIGGER audit_area_no_replace BEFORE INSERT ON audit_auditarea
        WHEN EXISTS (SELECT 1 FROM audit_auditarea WHERE id = NEW.id OR (entry_id = NEW.entry_id AND code = NEW.code))
        BEGIN SELECT RAISE(ABORT, '{REFUSED}: a row cannot be replaced'); END""",
    f"""CREATE TRIGGER audit_area_no_update BEFORE UPDATE ON audit_auditarea
        BEGIN SELECT RAISE(ABORT, '{REFUSED}'); END""",
    f"""CREATE TRIGGER audit_area_no_delete BEFORE DELETE ON audit_auditarea
        WHEN NOT EXISTS (SELECT 1 FROM audit_auditentry WHERE id = OLD.entry_id AND at < {_SQLITE_OLD})
             OR OLD.entry_id > coalesce({_SQLITE_ANCHOR}, 0)
        BEGIN SELECT RAISE(ABORT, '{REFUSED}: only rows older than {FLOOR_DAYS} days may be pruned'); END""",
    f"""CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_chainhead
        BEGIN SELECT RAISE(ABORT, '{REFUSED}: the chain head cannot be deleted'); END""",
    f"""CREATE TRIGGER audit_head_no_replace BEFORE INSERT ON audit_chainhead
        WHEN EXISTS (SELECT 1 FROM audit_chainhead WHERE id = NEW.id)
        BEGIN SELECT RAISE(ABORT, '{REFUSED}: the chain head cannot be replaced'); END""",
]

POSTGRES = [
    f"""CREATE FUNCTION audit_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          RAISE EXCEPTION '{REFUSED}: % on % refused', TG_OP, TG_TABLE_NAME;
        END $$""",
    # A row may be deleted only when older than the floor (an area row: when its entry is).
    f"""CREATE FUNCTION audit_delete_old() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF OLD.at < now() - interval '{FLOOR_DAYS} days'
             AND OLD.id <= coalesce((SELECT anchor_id FROM audit_chainhead WHERE id = 1), 0) THEN
            RETURN OLD;
          END IF;
          RAISE EXCEPTION '{REFUSED}: only rows older than {FLOOR_DAYS} days, up to the chain''s anchor, may be '
                          'pruned (jingzhun audit prune)';
        END $$""",
    f"""CREATE FUNCTION audit_area_delete_old() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF EXISTS (SELECT 1 FROM audit_auditentry e WHERE e.id = OLD.entry_id
                     AND e.at < now() - interval '{FLOOR_DAYS} days')
             AND OLD.entry_id <= coalesce((SELECT anchor_id FROM audit_chainhead WHERE id = 1), 0) THEN
            RETURN OLD;
          END IF;
          RAISE EXCEPTION '{REFUSED}: only rows older than {FLOOR_DAYS} days may be pruned';
        END $$""",
    # After the statement, no remaining row may precede a deleted one: only a prefix of the chain goes.
    f"""CREATE FUNCTION audit_delete_prefix() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF EXISTS (SELECT 1 FROM audit_auditentry WHERE id < (SELECT max(id) FROM gone)) THEN
            RAISE EXCEPTION '{REFUSED}: only the oldest rows (a prefix of the chain) may be pruned';
          END IF;
          RETURN NULL;
        END $$""",
    """CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit_auditentry
       FOR EACH ROW EXECUTE FUNCTION audit_refuse()""",
    """CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit_auditentry
       FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse()""",
    """CREATE TRIGGER audit_delete_old BEFORE DELETE ON audit_auditentry
       FOR EACH ROW EXECUTE FUNCTION audit_delete_old()""",
    """CREATE TRIGGER audit_delete_prefix AFTER DELETE ON audit_auditentry
       REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION audit_delete_prefix()""",
    """CREATE TRIGGER audit_area_no_update BEFORE UPDATE ON audit_auditarea
       FOR EACH ROW EXECUTE FUNCTION audit_refuse()""",
    """CREATE TRIGGER audit_area_no_truncate BEFORE TRUNCATE ON audit_auditarea
       FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse()""",
    """CREATE TRIGGER audit_area_delete_old BEFORE DELETE ON audit_auditarea
       FOR EACH ROW EXECUTE FUNCTION audit_area_delete_old()""",
    """CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_chainhead
       FOR EACH ROW EXECUTE FUNCTION audit_refuse()""",
    """CREATE TRIGGER audit_head_no_truncate BEFORE TRUNCATE ON audit_chainhead
       FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse()""",
]
POSTGRES_DROP = [
    *(f"DROP TRIGGER {name} ON {table}" for name, table in [
        ("audit_no_update", "audit_auditentry"), ("audit_no_truncate", "audit_auditentry"),
        ("audit_delete_old", "audit_auditentry"), ("audit_delete_prefix", "audit_auditentry"),
        ("audit_area_no_update", "audit_auditarea"), ("audit_area_no_truncate", "audit_auditarea"),
        ("audit_area_delete_old", "audit_auditarea"), ("audit_head_no_delete", "audit_chainhead"),
        ("audit_head_no_truncate", "audit_chainhead")]),
    "DROP FUNCTION audit_refuse()", "DROP FUNCTION audit_delete_old()", "DROP FUNCTION audit_area_delete_old()",
    "DROP FUNCTION audit_delete_prefix()",
]


def _run(schema_editor, statements):
    for sql in statements:
        schema_editor.execute(sql, params=None)


def drop_0002_guards(apps, schema_editor):
    postgres = schema_editor.connection.vendor == "postgresql"
    _run(schema_editor, POSTGRES_DROP_0002 if postgres else SQLITE_DROP_0002)


def restore_0002_guards(apps, schema_editor):
    guard = importlib.import_module("jingzhun.audit.migrations.0002_append_only")
    _run(schema_editor, guard.POSTGRES if schema_editor.connection.vendor == "postgresql" else guard.SQLITE)


def chain_existing_rows(apps, schema_editor):
    """Seal the rows written before the chain, oldest first, and give each its one area."""
    from jingzhun.audit import chain

    entries = apps.get_model("audit", "AuditEntry")
    areas = apps.get_model("audit", "AuditArea")
    head = apps.get_model("audit", "AuditChain")
    db = schema_editor.connection.alias
    rows = entries.objects.using(db).order_by("id")
    if not rows.exists() and not os.environ.get(KEY_ENV):
        return  # a new database without a key yet: record() makes the head with the first row
    k = chain.key()
    prev, last_id = chain.GENESIS, 0
    for entry in rows.iterator(chunk_size=2000):
        codes = [entry.area] if entry.area else []
        entry.prev_hash = prev
        entry.hash = chain.seal(k, prev_hash=prev, at=entry.at, actor=entry.actor, role=entry.role,
                                area=entry.area, areas=codes, action=entry.action, object_type=entry.object_type,
                                object_id=entry.object_id, address=entry.address, detail=entry.detail)
        entries.objects.using(db).filter(pk=entry.pk).update(prev_hash=entry.prev_hash, hash=entry.hash)
        if codes:
            areas.objects.using(db).create(entry_id=entry.pk, code=codes[0])
        prev, last_id = entry.hash, entry.pk
    head.objects.using(db).update_or_create(pk=1, defaults={
        "last_id": last_id, "last_hash": prev, "anchor_id": 0, "anchor_hash": chain.GENESIS,
        "seal": chain.seal_head(k, last_id, prev, 0, chain.GENESIS)})


def create_guards(apps, schema_editor):
    _run(schema_editor, POSTGRES if schema_editor.connection.vendor == "postgresql" else SQLITE)


def drop_guards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        _run(schema_editor, POSTGRES_DROP)
    else:
        _run(schema_editor, [f"DROP TRIGGER {sql.split()[2]}" for sql in SQLITE])


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0002_append_only'),
    ]

    operations = [
        migrations.RunPython(drop_0002_guards, restore_0002_guards),
        migrations.CreateModel(
            name='AuditArea',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('code', models.CharField(max_length=12, verbose_name='区域')),
            ],
            options={
                'verbose_name': '审计日志区域',
                'verbose_name_plural': '审计日志区域',
            },
        ),
        migrations.CreateModel(
            name='AuditChain',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('last_id', models.BigIntegerField(default=0)),
                ('last_hash', models.CharField(max_length=64)),
                ('anchor_id', models.BigIntegerField(default=0)),
                ('anchor_hash', models.CharField(max_length=64)),
                ('seal', models.CharField(max_length=64)),
            ],
            options={
                'verbose_name': '审计日志链头',
                'verbose_name_plural': '审计日志链头',
                'db_table': 'audit_chainhead',
            },
        ),
        migrations.AddField(
            model_name='auditentry',
            name='hash',
            field=models.CharField(default='', editable=False, max_length=64, verbose_name='哈希'),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name='auditentry',
            name='prev_hash',
            field=models.CharField(default='', editable=False, max_length=64, verbose_name='前一行哈希'),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name='auditentry',
            name='at',
            field=models.DateTimeField(db_index=True, default=django.utils.timezone.now, verbose_name='时间'),
        ),
        migrations.AddIndex(
            model_name='auditentry',
            index=models.Index(fields=['actor', 'id'], name='audit_actor_id'),
        ),
        migrations.AddField(
            model_name='auditarea',
            name='entry',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='areas', to='audit.auditentry'),
        ),
        migrations.AddIndex(
            model_name='auditarea',
            index=models.Index(fields=['code', 'entry'], name='audit_area_code_entry'),
        ),
        migrations.AddConstraint(
            model_name='auditarea',
            constraint=models.UniqueConstraint(fields=('entry', 'code'), name='audit_area_entry_code'),
        ),
        migrations.RunPython(chain_existing_rows, migrations.RunPython.noop),
        migrations.RunPython(create_guards, drop_guards),
    ]
