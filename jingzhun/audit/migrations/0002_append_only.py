"""Make the audit table append-only in the database itself, so no code path can rewrite history.

Retention (deleting rows older than the configured period) is done by `jingzhun prune_audit`
(`jingzhun.audit.log.prune`), which lifts the guard for its own transaction only (PostgreSQL: a session setting; SQLite: it
drops and recreates the trigger inside the same transaction).
"""

from django.db import migrations

SQLITE = [
    """CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit_auditentry
       BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END""",
    """CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit_auditentry
       BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END""",
]
POSTGRES = [
    """CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         IF TG_OP = 'DELETE' AND current_setting('jingzhun.audit_prune', true) = 'on' THEN
           RETURN OLD;
         END IF;
         RAISE EXCEPTION 'audit log is append-only';
       END $$""",
    """CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit_auditentry
       FOR EACH ROW EXECUTE FUNCTION audit_append_only()""",
]


def forwards(apps, schema_editor):
    statements = POSTGRES if schema_editor.connection.vendor == "postgresql" else SQLITE
    for sql in statements:
        schema_editor.execute(sql)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP TRIGGER audit_append_only ON audit_auditentry")
        schema_editor.execute("DROP FUNCTION audit_append_only()")
    else:
        schema_editor.execute("DROP TRIGGER audit_no_update")
        schema_editor.execute("DROP TRIGGER audit_no_delete")


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
