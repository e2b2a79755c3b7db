"""The demo's evaluation (`jingzhun.demo.evaluation.run`) on a small synthetic province imported through the real
paths: the frame is the simulation's never-registered households of the demo's counties, the findings are the
simulation's truth (counted here from the generated files with the csv module, not from the database), the
results show complete counties with intervals and one incomplete; a second run changes nothing."""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pytest

from jingzhun.areas.loading import load_areas, load_villages
from jingzhun.demo import evaluation as demo_evaluation
from jingzhun.demo import synth
from jingzhun.evaluation import results
from jingzhun.evaluation.models import Evaluation, FrameHousehold, SampledHousehold
from jingzhun.registry.importer import import_register

pytestmark = pytest.mark.django_db


@dataclass
class Ctx:
    data: Path
    seed: int
    lines: list[str]
    today: dt.date = dt.date(2026, 12, 8)  # the register (2020) ends before this year: 2020 is the year evaluated

    def say(self, line: str) -> None:
        self.lines.append(line)


def test_the_demo_evaluation_plants_the_simulated_truth_and_shows_results(tmp_path):
    data = tmp_path / "demo-data"
    synth.generate(data, 3000, 5, years=(2020,), counties=2)
    load_areas(data / "areas.csv")
    load_villages(data / "villages.csv")
    assert import_register(data / "register-2020.csv", actor="demo").imported
    with (data / "register-2020.csv").open(encoding="utf-8-sig") as f:
        registered = {r["户编号"]: r["户状态"] for r in csv.DictReader(f) if r["户状态"]}
    with (data / "true-welfare.csv").open(encoding="utf-8") as f:
        poor = {r["household_number"]: r["true_poor"] in ("1", "True", "true") for r in csv.DictReader(f)
                if r["year"] == "2020"}
    counties = {n[:6] for n in registered}
    never = {n for n in poor if n not in registered and n[:6] in counties}
    ctx = Ctx(data, 5, [])
    found = demo_evaluation.run(ctx)
    assert set(FrameHousehold.objects.values_list("number", flat=True)) == never
    sampled = list(SampledHousehold.objects.filter(evaluation=found).values_list(
        "number", "group", "wrongly_exited", "missed_poor", "recorded_at"))
    assert {g for _n, g, *_r in sampled} == {"exited", "other"}
    for number, group, wrongly, missed, recorded in sampled:
        if recorded is None:
            continue
        assert (group == "exited") == (registered.get(number) == "已脱贫")
        assert (wrongly if group == "exited" else missed) is poor[number], number
    statuses = sorted(results.county_rates(found, c).status for c in results.counties(found))
    assert statuses == ["complete", "incomplete"]
    complete = next(results.county_rates(found, c) for c in results.counties(found)
                    if results.county_rates(found, c).status == "complete")
    assert all(r.proportion is not None and r.proportion.low <= r.proportion.estimate <= r.proportion.high
               for r in complete.three)
    assert any("evaluation" in line for line in ctx.lines)
    # A second run: the same evaluation, nothing added.
    again = demo_evaluation.run(Ctx(data, 5, []))
    assert again.pk == found.pk and Evaluation.objects.count() == 1
    assert FrameHousehold.objects.count() == len(never)
