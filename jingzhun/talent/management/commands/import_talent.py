from __future__ import annotations

from jingzhun.tabular import command
from jingzhun.talent.roster import import_talent


class Command(command.ImportCommand):
    help = ("导入人才库名册（按证件号码；全部正确才写入；空单元格不改变已登记的值）/ Import a talent-pool roster by "
            "resident ID (all rows or none; an empty optional cell keeps the stored value)")
    importer = staticmethod(import_talent)
