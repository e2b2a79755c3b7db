"""Results keyed by (run, household), and on PostgreSQL partitioned by run.

Django cannot turn an existing primary key into a composite one, so the old table is renamed, the new
one created (partitioned by run on PostgreSQL, see `jingzhun.identification.store`), the rows copied run by run, and the
old table dropped."""

import django.db.models.deletion
from django.db import migrations, models

OLD = "identification_householdresultbeforerunkey"
NEW = "identification_householdresult"
COLUMNS = ("run_id, household_id, size, net_income, per_capita_income, status, guarantee_failures, exclusions, "
           "deprivations, mpi_points, reasons")


def partition_on_postgres(apps, schema_editor):
    """The table CreateModel just made, made again as a partitioned table (it is empty)."""
    if schema_editor.connection.vendor != "postgresql":
        return
    sql, params = schema_editor.table_sql(apps.get_model("identification", "HouseholdResult"))
    schema_editor.execute(f"DROP TABLE {NEW}")
    schema_editor.execute(f"{sql} PARTITION BY LIST (run_id)", params or None)


def copy_rows(apps, schema_editor):
    with schema_editor.connection.cursor() as cur:
        if schema_editor.connection.vendor == "postgresql":
            cur.execute(f"SELECT DISTINCT run_id FROM {OLD}")
            for (run_id,) in cur.fetchall():
                cur.execute(f"CREATE TABLE {NEW}_r{int(run_id)} PARTITION OF {NEW} FOR VALUES IN ({int(run_id)})")
        cur.execute(f"INSERT INTO {NEW} ({COLUMNS}) SELECT {COLUMNS} FROM {OLD}")


def copy_rows_back(apps, schema_editor):
    with schema_editor.connection.cursor() as cur:
        cur.execute(f"INSERT INTO {OLD} ({COLUMNS}) SELECT {COLUMNS} FROM {NEW}")


class Migration(migrations.Migration):

    dependencies = [
        ("identification", "0001_initial"),
        ("registry", "0001_initial"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="householdresult", name="ident_result_run_household"),
        migrations.AlterField(
            model_name="householdresult", name="run",
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name="+",
                                    to="identification.identificationrun", verbose_name="识别批次")),
        migrations.RenameModel("HouseholdResult", "HouseholdResultBeforeRunKey"),
        migrations.CreateModel(
            name="HouseholdResult",
            fields=[
                ("pk", models.CompositePrimaryKey("run", "household", blank=True, editable=False, primary_key=True,
                                                  serialize=False)),
                ("run", models.ForeignKey(db_constraint=False, db_index=False,
                                          on_delete=django.db.models.deletion.CASCADE, related_name="results",
                                          to="identification.identificationrun", verbose_name="识别批次")),
                ("household", models.ForeignKey(db_constraint=False, db_index=False,
                                                on_delete=django.db.models.deletion.DO_NOTHING, related_name="+",
                                                to="registry.household", verbose_name="户")),
                ("size", models.PositiveSmallIntegerField(verbose_name="人口数")),
                ("net_income", models.DecimalField(decimal_places=2, max_digits=14, null=True,
                                                   verbose_name="家庭纯收入（元）")),
                ("per_capita_income", models.DecimalField(decimal_places=2, max_digits=14, null=True,
                                                          verbose_name="人均纯收入（元）")),
                ("status", models.PositiveSmallIntegerField(
                choices=[(0, "非贫困 / not poor"), (1, "贫困 / poor"), (2, "监测对象 / monitored")],
                verbose_name="识别结果")),
                ("guarantee_failures", models.PositiveIntegerField(default=0, verbose_name="未达保障（位）")),
                ("exclusions", models.PositiveIntegerField(default=0, verbose_name="比对命中（位）")),
                ("deprivations", models.BigIntegerField(default=0, verbose_name="多维剥夺（位）")),
                ("mpi_points", models.BigIntegerField(default=0, verbose_name="多维得分（分子）")),
                ("reasons", models.PositiveIntegerField(default=0, verbose_name="原因代码")),
            ],
            options={"verbose_name": "识别结果", "verbose_name_plural": "识别结果"},
        ),
        migrations.RunPython(partition_on_postgres, migrations.RunPython.noop),
        migrations.RunPython(copy_rows, copy_rows_back),
        migrations.DeleteModel("HouseholdResultBeforeRunKey"),
    ]
