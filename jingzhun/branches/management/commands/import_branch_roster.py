from __future__ import annotations

from jingzhun.branches.roster import import_branch_roster
from jingzhun.tabular import command


class Command(command.ImportCommand):
    help = ("导入村党组织名册（按村；全部正确才写入；空单元格不改变已登记的值）/ Import a party-branch roster "
            "by village (all rows or none; an empty cell keeps the stored value)")
    importer = staticmethod(import_branch_roster)
