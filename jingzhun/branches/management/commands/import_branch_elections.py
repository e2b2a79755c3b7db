from __future__ import annotations

from jingzhun.branches.elections import import_branch_elections
from jingzhun.tabular import command


class Command(command.ImportCommand):
    help = ("导入村党组织换届选举（按村和选举日期；全部正确才写入；当选书记成为该村党组织书记）/ Import party-branch "
            "elections by village and date (all rows or none; the secretary elected last becomes the branch's)")
    importer = staticmethod(import_branch_elections)
