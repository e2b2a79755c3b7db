from __future__ import annotations

from jingzhun.tabular import command
from jingzhun.training.roster import import_course_roster


class Command(command.ImportCommand):
    help = ("导入培训班学员名册（按班次和人员编号；全部正确才写入；空单元格不改变已登记的值）/ Import a course roster "
            "by course and personnel number (all rows or none; an empty cell keeps the stored value)")
    importer = staticmethod(import_course_roster)
