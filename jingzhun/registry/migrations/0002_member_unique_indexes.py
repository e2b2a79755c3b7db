"""Unique indexes on members that must be droppable during a bulk load (see models.Member.Meta)."""

from django.db import migrations

INDEXES = {
    "person_in_one_household": 'ON "registry_member" ("resident_id_index")',
    "member_position_unique": 'ON "registry_member" ("household_id", "position")',
}


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_initial")]
    operations = [
        migrations.RunSQL(f'CREATE UNIQUE INDEX "{name}" {target}', f'DROP INDEX "{name}"')
        for name, target in INDEXES.items()
    ]
