from __future__ import annotations

from jingzhun.areas.village_records import import_village_records
from jingzhun.tabular import command


class Command(command.ImportCommand):
    help = ("导入村情（按村和年度；全部正确才写入；空单元格不改变已登记的值）/ Import village records by village and "
            "year (all rows or none; an empty cell keeps the stored value)")
    importer = staticmethod(import_village_records)
