"""A user's access stamp (`AccessStamp`), changed by triggers whenever what the user may see or do changes.

The triggers are the point: a role, permission or group written by any path — the admin, a command, a
bulk_create, a queryset update or delete, raw SQL — changes the stamp in the same transaction, so grants and
permissions cached under the old stamp (`jingzhun.access_cache`) are never served again. The trigger bodies use
no conflict clause (SQLite would let an outer INSERT OR IGNORE override it and skip the change): an UPDATE of
the existing row, then an INSERT of a missing one. Every user gets a stamp now.
"""

from django.db import migrations, models

SQLITE_STAMP = "lower(hex(randomblob(16)))"


def _sqlite_bump(users: str) -> str:
    """Statements giving every user id of the query `users` (one column, user_id) a new random stamp."""
    return (f"UPDATE areas_accessstamp SET stamp = {SQLITE_STAMP} WHERE user_id IN ({users}); "
            f"INSERT INTO areas_accessstamp (user_id, stamp) SELECT user_id, {SQLITE_STAMP} FROM "
            f"(SELECT DISTINCT user_id FROM ({users}) WHERE user_id IS NOT NULL) "
            "WHERE user_id NOT IN (SELECT user_id FROM areas_accessstamp);")


def _sqlite_triggers() -> list[str]:
    out = []
    # (table, the users a row of it concerns, given the row's alias NEW or OLD)
    owners = {
        "areas_arearole": "SELECT {row}.user_id AS user_id",
        "auth_user_user_permissions": "SELECT {row}.user_id AS user_id",
        "auth_user_groups": "SELECT {row}.user_id AS user_id",
        "auth_group_permissions": "SELECT user_id FROM auth_user_groups WHERE group_id = {row}.group_id",
    }
    for table, users in owners.items():
        out.append(f"CREATE TRIGGER access_stamp_{table}_insert AFTER INSERT ON {table} BEGIN "
                   f"{_sqlite_bump(users.format(row='NEW'))} END")
        out.append(f"CREATE TRIGGER access_stamp_{table}_delete AFTER DELETE ON {table} BEGIN "
                   f"{_sqlite_bump(users.format(row='OLD'))} END")
        out.append(f"CREATE TRIGGER access_stamp_{table}_update AFTER UPDATE ON {table} BEGIN "
                   f"{_sqlite_bump(users.format(row='OLD'))} {_sqlite_bump(users.format(row='NEW'))} END")
    # An area's code or level is its subtree: the users holding a role there see another range.
    out.append("CREATE TRIGGER access_stamp_areas_area_update AFTER UPDATE OF code, level ON areas_area "
               "WHEN OLD.code IS NOT NEW.code OR OLD.level IS NOT NEW.level BEGIN "
               + _sqlite_bump("SELECT user_id FROM areas_arearole WHERE area_id IN (OLD.code, NEW.code)") + " END")
    return out


POSTGRES_STAMP = "md5(random()::text || clock_timestamp()::text)"
POSTGRES = [
    f"""CREATE FUNCTION access_stamp_bump(uid bigint) RETURNS void LANGUAGE sql AS $$
        INSERT INTO areas_accessstamp (user_id, stamp) VALUES (uid, {POSTGRES_STAMP})
        ON CONFLICT (user_id) DO UPDATE SET stamp = EXCLUDED.stamp $$""",
    """CREATE FUNCTION access_stamp_user_row() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         IF TG_OP <> 'DELETE' THEN PERFORM access_stamp_bump(NEW.user_id); END IF;
         IF TG_OP <> 'INSERT' THEN PERFORM access_stamp_bump(OLD.user_id); END IF;
         RETURN NULL;
       END $$""",
    """CREATE FUNCTION access_stamp_group_row() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         IF TG_OP <> 'DELETE' THEN
           PERFORM access_stamp_bump(user_id) FROM auth_user_groups WHERE group_id = NEW.group_id;
         END IF;
         IF TG_OP <> 'INSERT' THEN
           PERFORM access_stamp_bump(user_id) FROM auth_user_groups WHERE group_id = OLD.group_id;
         END IF;
         RETURN NULL;
       END $$""",
    """CREATE FUNCTION access_stamp_area_row() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         IF NEW.code IS DISTINCT FROM OLD.code OR NEW.level IS DISTINCT FROM OLD.level THEN
           PERFORM access_stamp_bump(user_id) FROM areas_arearole WHERE area_id IN (OLD.code, NEW.code);
         END IF;
         RETURN NULL;
       END $$""",
    # TRUNCATE fires no row trigger: forget every stamp (a user without one is never served from the cache).
    """CREATE FUNCTION access_stamp_forget_all() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN DELETE FROM areas_accessstamp; RETURN NULL; END $$""",
    *[f"""CREATE TRIGGER access_stamp_{t} AFTER INSERT OR UPDATE OR DELETE ON {t}
          FOR EACH ROW EXECUTE FUNCTION access_stamp_user_row()"""
      for t in ("areas_arearole", "auth_user_user_permissions", "auth_user_groups")],
    """CREATE TRIGGER access_stamp_auth_group_permissions AFTER INSERT OR UPDATE OR DELETE ON auth_group_permissions
       FOR EACH ROW EXECUTE FUNCTION access_stamp_group_row()""",
    """CREATE TRIGGER access_stamp_areas_area AFTER UPDATE ON areas_area
       FOR EACH ROW EXECUTE FUNCTION access_stamp_area_row()""",
    *[f"""CREATE TRIGGER access_stamp_{t}_truncate AFTER TRUNCATE ON {t}
          FOR EACH STATEMENT EXECUTE FUNCTION access_stamp_forget_all()"""
      for t in ("areas_arearole", "auth_user_user_permissions", "auth_user_groups", "auth_group_permissions",
                "areas_area")],
]
TABLES = ("areas_arearole", "auth_user_user_permissions", "auth_user_groups", "auth_group_permissions")


def forwards(apps, schema_editor):
    postgres = schema_editor.connection.vendor == "postgresql"
    for sql in POSTGRES if postgres else _sqlite_triggers():
        schema_editor.execute(sql)
    stamp = POSTGRES_STAMP if postgres else SQLITE_STAMP
    schema_editor.execute(f"INSERT INTO areas_accessstamp (user_id, stamp) SELECT id, {stamp} FROM auth_user")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for t in (*TABLES, "areas_area"):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS access_stamp_{t} ON {t}")
            schema_editor.execute(f"DROP TRIGGER IF EXISTS access_stamp_{t}_truncate ON {t}")
        for f in ("bump(bigint)", "user_row()", "group_row()", "area_row()", "forget_all()"):
            schema_editor.execute(f"DROP FUNCTION IF EXISTS access_stamp_{f}")
        return
    for t in TABLES:
        for op in ("insert", "delete", "update"):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS access_stamp_{t}_{op}")
    schema_editor.execute("DROP TRIGGER IF EXISTS access_stamp_areas_area_update")


class Migration(migrations.Migration):

    dependencies = [
        ('areas', '0002_arearole'),
        ('auth', '0012_alter_user_first_name_max_length'),
    ]

    operations = [
        migrations.CreateModel(
            name='AccessStamp',
            fields=[
                ('user_id', models.BigIntegerField(primary_key=True, serialize=False, verbose_name='用户')),
                ('stamp', models.CharField(max_length=40, verbose_name='戳')),
            ],
            options={
                'verbose_name': '权限戳',
                'verbose_name_plural': '权限戳',
            },
        ),
        migrations.RunPython(forwards, backwards),
    ]
