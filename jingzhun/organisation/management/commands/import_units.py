from jingzhun.organisation.imports.units import import_units
from jingzhun.organisation.management.importing import ImportCommand


class Command(ImportCommand):
    help = "导入单位名录（全部正确才写入）/ Import the unit roster (all rows or none)"
    run_import = staticmethod(import_units)
