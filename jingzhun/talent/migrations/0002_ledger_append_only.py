"""The special-fund ledger is append-only on both databases: no UPDATE, no DELETE, no INSERT over an existing
id (SQLite's INSERT OR REPLACE deletes the old row without firing delete triggers). A mistake is undone by a
reversal entry (jingzhun.talent.funds.reverse), never by an edit."""

from django.db import migrations

REFUSED = "the special-fund ledger is append-only: reverse a payment instead"

SQLITE = [
    f"""CREATE TRIGGER talent_payment_no_update BEFORE UPDATE ON talent_payment
        BEGIN SELECT RAISE(ABORT, '{REFUSED}'); END""",
    f"""CREATE TRIGGER talent_payment_no_delete BEFORE DELETE ON talent_payment
        BEGIN SELECT RAISE(ABORT, '{REFUSED}'); END""",
    f"""CREATE TRIGGER talent_payment_no_replace BEFORE INSERT ON talent_payment
        WHEN EXISTS (SELECT 1 FROM talent_payment WHERE id = NEW.id)
        BEGIN SELECT RAISE(ABORT, '{REFUSED}'); END""",
]
SQLITE_REVERSE = ["DROP TRIGGER talent_payment_no_update", "DROP TRIGGER talent_payment_no_delete",
                  "DROP TRIGGER talent_payment_no_replace"]
POSTGRES = [
    f"""CREATE FUNCTION talent_payment_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION '{REFUSED} (% refused)', TG_OP; END $$""",
    """CREATE TRIGGER talent_payment_append_only BEFORE UPDATE OR DELETE ON talent_payment
        FOR EACH ROW EXECUTE FUNCTION talent_payment_refuse()""",
    """CREATE TRIGGER talent_payment_no_truncate BEFORE TRUNCATE ON talent_payment
        FOR EACH STATEMENT EXECUTE FUNCTION talent_payment_refuse()""",
]
POSTGRES_REVERSE = ["DROP TRIGGER talent_payment_no_truncate ON talent_payment",
                    "DROP TRIGGER talent_payment_append_only ON talent_payment", "DROP FUNCTION talent_payment_refuse()"]


def forwards(apps, schema_editor):
    statements = POSTGRES if schema_editor.connection.vendor == "postgresql" else SQLITE
    for sql in statements:
        schema_editor.execute(sql, params=None)  # no placeholders: PL/pgSQL uses % itself


def backwards(apps, schema_editor):
    statements = POSTGRES_REVERSE if schema_editor.connection.vendor == "postgresql" else SQLITE_REVERSE
    for sql in statements:
        schema_editor.execute(sql, params=None)  # no placeholders: PL/pgSQL uses % itself


class Migration(migrations.Migration):
    dependencies = [("talent", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
