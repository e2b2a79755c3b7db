"""The write-access property's last three writes (tests/test_write_access_property.py): a statistical report
workbook asked for (/reports/ask/), a scheme uploaded and a unit type scored on the assessment page — each as the
user makes it through the web client, aimed inside and outside their areas.

The oracle is written by hand, never read from jingzhun.access: the report is asked through a role that counts
figures and exports (officer, evaluator), scoring and schemes through the officer's (the role carrying "assess").
A scheme uploaded belongs to the uploader's widest officer area; a scheme is usable by an officer whose area lies
in the scheme's or holds it. The state outside (report rows and their files, runs and results, schemes of areas
the user may not write) is compared before and after each write; what each write showed (its pages, messages and
workbooks, read with python_calamine) may name no area outside the user's, nor a scheme they may not use.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from pathlib import Path

from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from python_calamine import CalamineWorkbook

from jingzhun.assessment.models import SchemeFile, ScoreResult, ScoringRun, Snapshot, Value
from jingzhun.reports.models import ReportFile, ReportState
from tests.factories import CITY, COUNTY, OTHER_COUNTY, PROVINCE
from tests.report_support import FOLDER, here, token_of
from tests.test_assessment_decisions import VILLAGE_SCHEME
from tests.test_web_access_property import AREAS, LEVEL_OF, VILLAGES, inside

YEAR = 2019
# The seeded schemes of three areas (a province's is offered to every officer in it, a county's to its own and to
# the province's officers), by name: what the property may see named.
SEEDED = {"省定方案": PROVINCE, "龙山方案": COUNTY, "永顺方案": OTHER_COUNTY}
SCHEMES = [*SEEDED.values(), "own"]  # "own": the user's latest upload (none yet: a scheme number that is not one)
DEPTH = {"province": 0, "city": 1, "county": 2, "township": 3, "village": 4}
# Area names by code (tests/factories.py, tests/web_cast.py), by hand.
NAMES = {PROVINCE: "湖南省", CITY: "湘西土家族苗族自治州", COUNTY: "龙山县", "433130101000": "石牌镇",
         "433130101201": "洗车村", "433130101202": "白岩村", "433130102000": "洗洛镇", "433130102201": "大井村",
         OTHER_COUNTY: "永顺县", "433127102000": "灵溪镇", "433127102203": "司城村"}
REPORTING = ("officer", "evaluator")  # the roles that count figures and export: a workbook is a download
ASSESSING = ("officer",)


def scheme_text(name: str) -> str:
    return VILLAGE_SCHEME.replace('name_zh = "村级测试方案"', f'name_zh = "{name}"')


def seed() -> None:
    """Once per database: the 2019 village figures (a snapshot, one value per village and indicator) and the
    three areas' schemes."""
    if not Snapshot.objects.filter(period=str(YEAR)).exists():
        Snapshot.objects.create(period=str(YEAR), version=1, kind="full", engine="duckdb", data_fingerprint="x",
                                actor="t", created_at=dt.datetime.now(dt.UTC))
    if not Value.objects.filter(period=str(YEAR), unit_type="village").exists():
        Value.objects.bulk_create([
            Value(period=str(YEAR), unit_type="village", unit=v, area_code=v, indicator=code, value=value,
                  first_version=1)
            for i, v in enumerate(VILLAGES)
            for code, value in (("poverty_incidence", 0.1 * i), ("helper_coverage", 1.0 / (i + 1)),
                                ("visits_per_household", 0.5 * i))])
    for name, area in SEEDED.items():
        if not SchemeFile.objects.filter(name_zh=name).exists():
            text = scheme_text(name)
            SchemeFile.objects.create(name_zh=name, name_en="seeded", unit_type="village", year=2020,
                                      file_name=f"{area}.toml", text=text,
                                      sha256=hashlib.sha256(text.encode()).hexdigest(), area_code=area,
                                      uploaded_by="seed", uploaded_at=dt.datetime.now(dt.UTC))


def areas_of(roles: list[tuple[str, str]], kinds: tuple[str, ...]) -> list[str]:
    return [a for k, a in roles if k in kinds]


def covered(code: str, areas: list[str]) -> bool:
    return any(inside(code, a) for a in areas)


def usable(scheme_area: str, areas: list[str]) -> bool:
    """A scheme of `scheme_area` is offered to an officer whose area lies in it or holds it."""
    return scheme_area == "" or any(inside(scheme_area, a) or inside(a, scheme_area) for a in areas)


def home(areas: list[str]) -> str:
    """The widest of the areas (the first by code among equals): where an upload belongs, what a run scores."""
    return min(areas, key=lambda a: (DEPTH[LEVEL_OF[a]], a))


def outside_state(roles: list[tuple[str, str]]) -> tuple:
    """What none of these writes may change for this user: the report rows (and their files) of areas outside
    their reporting roles, the runs, results and schemes of areas outside their officer roles."""
    reporting, assessing = areas_of(roles, REPORTING), areas_of(roles, ASSESSING)
    reports = []
    for row in ReportFile.objects.order_by("pk").values_list("pk", "token", "user_id", "area_id", "state", "size"):
        if not covered(row[3], reporting):
            path = Path(FOLDER) / row[1] / "report.xlsx"
            reports.append((*row, hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None))
    runs = [r for r in ScoringRun.objects.order_by("pk").values_list("pk", "area_code", "units", "scheme_sha256")
            if not r[1] or not covered(r[1], assessing)]
    results = [r for r in ScoreResult.objects.order_by("pk").values_list("pk", "area_code", "run_id", "total", "rank")
               if not covered(r[1], assessing)]
    schemes = [s for s in SchemeFile.objects.order_by("pk").values_list("pk", "area_code", "sha256")
               if not s[1] or not covered(s[1], assessing)]
    return reports, runs, results, schemes


def report_write(client: Client, user: User, area: str, roles: list[tuple[str, str]]) -> list[str]:
    """The report form's POST for `area` (2019, every table), then the build's page and its workbook. Only a
    reporting role over the area gets a build (one row, the user's, the area's, done, its file written); anyone
    else is refused (403 without such a role, else 404) and nothing is recorded."""
    latest = ReportFile.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    with here():
        response = client.post(reverse("reports:ask"), {"area": area, "year": str(YEAR)})
    made = list(ReportFile.objects.filter(pk__gt=latest))
    if not covered(area, areas_of(roles, REPORTING)):
        assert response.status_code in (403, 404) and made == [], (area, response.status_code, "a report outside")
        return [response.content.decode()]
    assert response.status_code == 302 and len(made) == 1, (area, response.status_code)
    run = made[0]
    assert (run.user_id, run.area_id, run.state, run.token) == (user.pk, area, ReportState.DONE,
                                                                token_of(response)), (area, run.error)
    with here():
        shown = [client.get(response["Location"]).content.decode()]
        download = client.get(reverse("reports:download", args=[run.token]))
    assert download.status_code == 200, area
    return shown + cells(b"".join(download.streaming_content))


def cells(data: bytes) -> list[str]:
    """Every sheet's rows of a workbook, as lines of text."""
    book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    return [" ".join(map(str, row)) for name in book.sheet_names for row in book.get_sheet_by_name(name).to_python()]


def scheme_ref(which: str, user: User) -> str:
    if which == "own":
        pk = SchemeFile.objects.filter(uploaded_by=user.username).order_by("-pk").values_list("pk", flat=True).first()
        return f"upload:{pk or 0}"
    return f"upload:{SchemeFile.objects.get(name_zh=next(n for n, a in SEEDED.items() if a == which)).pk}"


def score_write(client: Client, user: User, which: str, area: str, roles: list[tuple[str, str]]) -> list[str]:
    """The page's scoring form: a scheme (seeded for an area, or the user's own) over an area (blank: the user's
    home). Scored only by an officer over the area with a scheme offered to them: then one run of that area whose
    results are exactly its villages (each with a value); otherwise no run. The run's page and workbook are shown."""
    ref = scheme_ref(which, user)
    latest = ScoringRun.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    response = client.post(reverse("assessment:index"), {"action": "score", "scheme": ref, "year": str(YEAR),
                                                         "area": area}, follow=True)
    made = list(ScoringRun.objects.filter(pk__gt=latest))
    officer = areas_of(roles, ASSESSING)
    scheme = SchemeFile.objects.filter(pk=int(ref.partition(":")[2])).first()
    target = area or (home(officer) if officer else "")
    may = bool(officer) and covered(target, officer) and scheme is not None and usable(scheme.area_code, officer)
    if not may:
        assert made == [], (which, area, "a scoring run the user may not make")
        return [response.content.decode()]
    assert len(made) == 1 and made[0].area_code == target, (which, area, response.status_code)
    scored = dict(ScoreResult.objects.filter(run=made[0]).values_list("unit", "area_code"))
    assert scored == {v: v for v in VILLAGES if inside(v, target)}, (which, area)
    xlsx = client.get(reverse("assessment:run_xlsx", args=[made[0].pk]))
    assert xlsx.status_code == 200, (which, area)
    return [response.content.decode(), *cells(b"".join(xlsx.streaming_content) if xlsx.streaming else xlsx.content)]


def upload_write(client: Client, user: User, good: bool, roles: list[tuple[str, str]], number: int) -> list[str]:
    """A scheme TOML uploaded through the assessment page (a good one named by `number`, or one naming an
    indicator the catalogue does not have). Stored only when good and the user is an officer: one scheme, of the
    user's widest officer area, by them; otherwise none."""
    name = f"自传方案{number:06d}号"
    text = scheme_text(name) if good else scheme_text(name).replace('"helper_coverage"', '"no_such_indicator"')
    latest = SchemeFile.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    response = client.post(reverse("assessment:index"), {
        "action": "upload", "file": SimpleUploadedFile(f"{name}.toml", text.encode())}, follow=True)
    made = list(SchemeFile.objects.filter(pk__gt=latest).values_list("name_zh", "area_code", "uploaded_by"))
    officer = areas_of(roles, ASSESSING)
    expected = [(name, home(officer), user.username)] if good and officer else []
    assert made == expected, (good, response.status_code)
    return [response.content.decode()]


def names_nothing_outside(texts: list[str], roles: list[tuple[str, str]], kinds: tuple[str, ...],
                          typed: set[str]) -> None:
    """The texts name no area outside the roles `kinds` (its code or its name; the areas above them are theirs to
    see, as in every page's heading), nor a scheme the user may not use — except what the user typed."""
    body = "\n".join(texts)
    for text in typed:
        body = body.replace(text, "")
    mine = areas_of(roles, kinds)
    for code in AREAS:
        if not covered(code, mine) and not any(inside(a, code) for a in mine):
            assert code not in body and NAMES[code] not in body, (code, NAMES[code], kinds)
    officer = areas_of(roles, ASSESSING)
    # A run that scored a unit of the user's names its scheme, whoever's it was (a province's officer may score the
    # province with a county's scheme): the user sees what their units were scored by.
    scored_mine = {name for name, area in ScoreResult.objects.values_list("run__scheme_name", "area_code")
                   if covered(area, officer)}
    for name, area in SchemeFile.objects.values_list("name_zh", "area_code"):
        if not usable(area, officer) and name not in scored_mine:
            assert name not in body, (name, area)
