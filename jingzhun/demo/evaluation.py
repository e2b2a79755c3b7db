"""The demo's third-party evaluation (第三方评估), through the paths its users take:

| step | path |
|---|---|
| the frame's never-registered households | `jingzhun evaluation import-frame` of a roster file (`evaluation-frame.csv`) |
| the draw | `jingzhun.evaluation.draw.draw`, as the console operator, over the demo's counties |
| findings | `jingzhun evaluation import-findings` of the evaluators' file (`evaluation-findings.csv`) |

The truth behind the findings is the synthetic data's own (`true-welfare.csv`, docs/evaluation.md "Coverage"):
a sampled exited household is found wrongly exited (错退) when its true per-capita income of the year is under
the line, a never-registered one missed poor (漏评) likewise; income is found verified unless wrongly exited,
the guarantees met for 98 % and the household satisfied (认可) for 95 % (seeded). One sampled village of the
last county is left without findings, so the results show a county still "incomplete" beside complete ones.

Each step is skipped when its data is there; files are written once under the demo's data directory.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pcsv

from jingzhun.areas.models import Area
from jingzhun.demo import assessment_decisions
from jingzhun.evaluation import design, draw, findings, frame_import, results
from jingzhun.evaluation.models import Evaluation, FrameHousehold, SampledHousehold
from jingzhun.registry.models import Household

ACTOR = "demo"
EVALUATOR = "demo-evaluator"
NAME = "{year}年度第三方评估（演示）"
SIZES = design.Sizes(households_per_county=200, households_per_village=10, exited_share=0.5)
FRAME_FILE, FINDINGS_FILE = "evaluation-frame.csv", "evaluation-findings.csv"


def _year(data: Path, today: dt.date) -> int:
    """The evaluated year: the one the demo's counties are assessed for (`assessment_decisions.assessed_year`),
    the last complete year of the registers — an evaluation checks a finished year's exits and help."""
    last = max(int(p.stem.rsplit("-", 1)[1]) for p in data.glob("register-*.csv"))
    return assessment_decisions.assessed_year(today, last)


def _truth(data: Path, year: int) -> dict[str, bool]:
    """Household number → truly poor in `year` (true-welfare.csv)."""
    table = pcsv.read_csv(data / "true-welfare.csv", convert_options=pcsv.ConvertOptions(
        column_types={"household_number": pa.string()}, include_columns=["household_number", "year", "true_poor"]))
    rows = table.to_pydict()
    return {n: bool(p) for n, y, p in zip(rows["household_number"], rows["year"], rows["true_poor"], strict=True)
            if y == year}


def _counties() -> list[str]:
    villages = Household.objects.values_list("village_id", flat=True).distinct()
    return sorted({code[:6] for code in villages})


def frame(data: Path, year: int, truth: dict[str, bool], say: Any) -> None:
    """The never-registered households of the demo's counties, from the simulation, imported as a roster."""
    if FrameHousehold.objects.exists():
        return
    path = data / FRAME_FILE
    if not path.exists():
        counties = set(_counties())
        registered = set(Household.objects.values_list("number", flat=True))
        villages = set(Area.objects.filter(level="village").values_list("code", flat=True))
        rows = sorted(n for n in truth if n not in registered and n[:6] in counties and n[:12] in villages)
        with path.open("w", encoding="utf-8", newline="") as f:
            out = csv.writer(f, lineterminator="\n")
            out.writerow(frame_import.SPEC.headers)
            out.writerows([n, n[:12], "", ""] for n in rows)
    outcome = frame_import.import_frame(path, actor=ACTOR)
    if not outcome.imported:
        raise SystemExit(f"{path.name}: {outcome.problems[:3]}")
    say(f"  非建档立卡户 / never-registered households: {outcome.counts()['inserted']}")


def _findings_rows(evaluation: Evaluation, truth: dict[str, bool], seed: int) -> list[list[str]]:
    rng = random.Random(f"{seed}:evaluation")
    sampled = list(SampledHousehold.objects.filter(evaluation=evaluation).order_by("county", "village_id", "number")
                   .values_list("number", "group", "county", "village_id"))
    last = max((c, v) for _n, _g, c, v in sampled)  # the last county's last village: no findings yet
    rows = []
    for number, group, county, village in sampled:
        if (county, village) == last:
            continue
        poor = truth.get(number, False)
        yes = lambda flag: "是" if flag else "否"  # noqa: E731
        rows.append([number, yes(not (poor and group == "exited")), yes(rng.random() < 0.98),
                     yes(poor) if group == "exited" else "", yes(poor) if group == "other" else "",
                     yes(rng.random() < 0.95)])
    return rows


def run(ctx: Any) -> Evaluation:
    """The frame, one evaluation of the demo's counties, and its findings; `ctx` is the demo's work.Context
    (its data directory, seed, today and `say`)."""
    data, say = Path(ctx.data), ctx.say
    year = _year(data, ctx.today)
    truth = _truth(data, year)
    frame(data, year, truth, say)
    name = NAME.format(year=year)
    found = Evaluation.objects.filter(name=name).first()
    if found is None:
        # The province holding the demo's counties: one evaluation of them all, counties as strata.
        province = _counties()[0][:2].ljust(12, "0")
        found = draw.draw(name=name, year=year, area_code=province, seed=ctx.seed, sizes=SIZES, user=None,
                          actor=ACTOR)
    if not SampledHousehold.objects.filter(evaluation=found, recorded_at__isnull=False).exists():
        path = data / FINDINGS_FILE
        with path.open("w", encoding="utf-8", newline="") as f:
            out = csv.writer(f, lineterminator="\n")
            out.writerow(findings.SPEC.headers)
            out.writerows(_findings_rows(found, truth, ctx.seed))
        outcome = findings.import_findings(found, path, actor=EVALUATOR)
        if not outcome.imported:
            raise SystemExit(f"{path.name}: {outcome.problems[:3]}")
    for county in results.counties(found):
        rates = results.county_rates(found, county)
        shown = [f"{r.name} {r.proportion.estimate:.3f} [{r.proportion.low:.3f}, {r.proportion.high:.3f}]"
                 for r in rates.three if r.proportion is not None]
        say(f"  第三方评估 / evaluation {county} ({rates.status}): " + "; ".join(shown))
    return found
