from jingzhun.organisation.imports.links import import_links
from jingzhun.organisation.management.importing import ImportCommand


class Command(ImportCommand):
    help = "导入单位联系村（按单位、村、年度；全部正确才写入）/ Import unit–village links by year (all rows or none)"
    run_import = staticmethod(import_links)
