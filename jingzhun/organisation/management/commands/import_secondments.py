from jingzhun.organisation.imports.secondments import import_secondments
from jingzhun.organisation.management.importing import ImportCommand


class Command(ImportCommand):
    help = "导入挂职名单（全部正确才写入）/ Import secondments (all rows or none)"
    run_import = staticmethod(import_secondments)
