"""`jingzhun template`: one command, each app's own blank file (`jingzhun.core.blanks`, registered from the
registry's and the teams' `AppConfig.ready`). The files' contents are tested with their importers
(tests/test_export.py, tests/test_roster.py); here, the registration and the command around it."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from python_calamine import CalamineWorkbook

from jingzhun.core import blanks


def test_each_app_registers_its_template() -> None:
    found = blanks.kinds()
    assert {k: (b.default_name, b.writer) for k, b in found.items()} == {
        "branch_roster": ("村党组织名册导入模板.xlsx", "jingzhun.branches.roster.write_blank_template"),
        "branch_elections": ("村党组织选举导入模板.xlsx", "jingzhun.branches.elections.write_blank_template"),
        "course_roster": ("培训班学员名册导入模板.xlsx", "jingzhun.training.roster.write_blank_template"),
        "talent_pool": ("人才库名册导入模板.xlsx", "jingzhun.talent.roster.write_blank_template"),
        "register": ("建档立卡导入模板.xlsx", "jingzhun.registry.exporter.write_blank_template"),
        "roster": ("帮扶干部名册导入模板.xlsx", "jingzhun.teams.roster_import.write_blank_template"),
        "village_records": ("村情导入模板.xlsx", "jingzhun.areas.village_records.write_blank_template"),
        "units": ("单位名录导入模板.xlsx", "jingzhun.organisation.imports.units.write_blank_template"),
        "unit_links": ("单位联系村导入模板.xlsx", "jingzhun.organisation.imports.links.write_blank_template"),
        "secondments": ("挂职导入模板.xlsx", "jingzhun.organisation.imports.secondments.write_blank_template"),
        "evaluation_frame": ("非建档立卡户导入模板.xlsx", "jingzhun.evaluation.frame_import.write_blank_template"),
        "evaluation_findings": ("评估结论导入模板.xlsx", "jingzhun.evaluation.findings.write_blank_template"),
    }


def test_the_roster_kind_writes_its_default_file(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    call_command("template", "--kind", "roster", stdout=out)
    assert out.getvalue().strip() == "帮扶干部名册导入模板.xlsx"
    assert CalamineWorkbook.from_path(str(tmp_path / "帮扶干部名册导入模板.xlsx")).sheet_names == ["干部名册", "填写说明"]


def test_an_unknown_kind_is_refused_naming_the_kinds(tmp_path) -> None:
    with pytest.raises(KeyError, match="register, roster"):
        blanks.write("budget", tmp_path / "x.xlsx")
    with pytest.raises(CommandError, match="invalid choice"):
        call_command("template", "--kind", "budget")


def test_a_new_kind_needs_no_change_to_the_command(tmp_path) -> None:
    blanks.register(blanks.Blank("probe", "probe.xlsx", "jingzhun.registry.exporter.write_blank_template", "探针 / probe"))
    try:
        out = io.StringIO()
        call_command("template", str(tmp_path / "p.xlsx"), "--kind", "probe", stdout=out)
        assert (tmp_path / "p.xlsx").exists()
    finally:
        blanks._KINDS.pop("probe")
