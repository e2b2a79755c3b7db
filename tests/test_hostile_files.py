"""Hostile files cannot take a server down, and nothing sensitive lingers on disk.

The workbooks of the security review (tests/hostile_files.py makes them) are read in a child process, as
the web reads uploads: a parser that aborts in native code (SIGABRT) would end the test process itself.
Each must be refused — a FileProblem naming the place and the rule — with the reader alive and its memory
bounded.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pyarrow.csv as pacsv
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.urls import reverse

from jingzhun.db import scratch
from jingzhun.jobs import runner
from jingzhun.registry import reading, template
from jingzhun.registry.models import Household, ImportBatch, Member
from jingzhun.registry.reading import FileProblem, Limits
from jingzhun.web import uploads
from jingzhun.web.models import Upload
from tests import hostile_files as hostile
from tests.factories import VILLAGE, VILLAGE2, household_rows, numbered_register, write_csv, write_xlsx

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "hostile"

READ = """
import json, sys
import django
django.setup()
from jingzhun.registry import reading
try:
    raw, _ = reading.read_any(sys.argv[1])
    out = {"rows": raw.table.num_rows}
except reading.FileProblem as exc:
    out = {"problem": str(exc)}
# VmHWM is this image's own peak; ru_maxrss is not: Linux carries the peak of the process before exec() over,
# which here is a fork of pytest (hundreds of MB by the end of the suite) and says nothing about the reader.
peak = next(line for line in open("/proc/self/status") if line.startswith("VmHWM:"))
out["peak_mb"] = int(peak.split()[1]) / 1024
print(json.dumps(out))
"""


def read_in_child(path: Path, timeout: int = 120) -> dict[str, object]:
    """`reading.read_any(path)` in a fresh interpreter: what it returned or refused, and its peak memory."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "jingzhun.settings", "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", READ, str(path)], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)
    assert done.returncode == 0, (f"the reader died ({signal.Signals(-done.returncode).name if done.returncode < 0 else done.returncode}): "
                                  f"{done.stderr[-800:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


# --- XLSX: the review's files -----------------------------------------------------------------------------

@pytest.mark.parametrize("make", [hostile.far_cell, hostile.far_cell_undeclared])
def test_one_cell_at_xfd1048576_is_refused_and_the_reader_lives(tmp_path, make):
    path = make(tmp_path / "far.xlsx")
    assert path.stat().st_size < 16_000  # the review's "small XLSX" (calamine asked for 512 GB and aborted)
    out = read_in_child(path)
    assert "XFD1048576" in str(out.get("problem")), out
    assert "64" in str(out["problem"])  # the rule: the template's columns (and a few spare)


def test_the_committed_fixtures_are_the_generated_ones(tmp_path):
    import zipfile

    for name, make in hostile.SMALL.items():
        sheet = "xl/worksheets/sheet1.xml"
        assert zipfile.ZipFile(FIXTURES / name).read(sheet) == zipfile.ZipFile(make(tmp_path / name)).read(sheet)
        out = read_in_child(FIXTURES / name)
        assert "XFD1048576" in str(out.get("problem")), (name, out)


def test_a_shared_strings_bomb_is_refused_before_it_is_read(tmp_path):
    path = hostile.shared_strings_bomb(tmp_path / "sst.xlsx", megabytes=256)
    assert path.stat().st_size < 2_000_000
    out = read_in_child(path)
    assert "sharedStrings.xml" in str(out.get("problem")) and "shared strings" in str(out["problem"]), out
    # 256 MB unzipped is never held (the review saw 3.4 GB); the interpreter with Django and Arrow loaded is
    # about 300 MB of it, and a loaded machine reads ahead a little more.
    assert float(out["peak_mb"]) < 600, out


@pytest.mark.slow
@pytest.mark.parametrize("refs", [True, False], ids=["with-references", "without-references"])
def test_two_million_rows_are_refused_while_reading_with_memory_bounded(tmp_path, refs):
    """Past Excel's 1,048,576 rows (the review: 8 GB and over two minutes). Without references every
    row is the next one: the scan places them as the reader would."""
    path = hostile.many_rows(tmp_path / "rows.xlsx", 2_000_000, refs=refs)
    started = time.perf_counter()
    out = read_in_child(path)
    assert "1,048,577" in str(out.get("problem")) and "1,048,576" in str(out["problem"]), out
    assert float(out["peak_mb"]) < 600, out  # the review saw 8 GB
    assert time.perf_counter() - started < 60


def test_the_row_limit_is_a_setting_and_counts_the_header(tmp_path):
    limits = Limits(rows=1000, columns=64, unzipped_bytes=1 << 30, shared_strings_bytes=1 << 30)
    fits = hostile.many_rows(tmp_path / "fits.xlsx", 999)  # header + 999 = 1,000 rows
    beyond = hostile.many_rows(tmp_path / "beyond.xlsx", 1000)
    with reading.limited(limits):
        raw, _ = reading.read_any(fits)
        assert raw.table.num_rows == 999
        with pytest.raises(FileProblem, match="row 1,001 is beyond the limit of 1,000 rows"):
            reading.read_any(beyond)


def test_cells_without_references_past_the_template_are_refused(tmp_path):
    path = hostile.wide_row_without_references(tmp_path / "wide.xlsx", cells=20_000)
    with pytest.raises(FileProblem, match=r"cell BM2 is beyond the template's 64 columns"):
        reading.read_any(path)


def test_a_sheet_without_references_or_with_a_prefix_reads_as_the_usual_one(tmp_path):
    """The scan's slow path (tag by tag) must not refuse what readers read: the same three households
    written with references, without them, and with a namespace prefix give the same table."""
    rows = household_rows("P1", size=3, seed=5) + household_rows("P2", size=2, seed=6)
    data = [[row.get(col.key, "") for col in template.COLUMNS] for row in rows]

    def sheet_rows(refs: bool, prefix: str = "") -> list[str]:
        out = [hostile.header_row(refs)]
        for r, values in enumerate(data, start=2):
            cells = "".join(hostile.text_cell(f"{hostile.column(j)}{r}" if refs else None, v)
                            for j, v in enumerate(values, start=1) if v or not refs)
            out.append(f'<row r="{r}">{cells}</row>' if refs else f"<row>{cells}</row>")
        if prefix:
            out = [line.replace("<", f"<{prefix}:").replace(f"<{prefix}:/", f"</{prefix}:") for line in out]
        return out

    usual = reading.read_any(hostile.workbook(tmp_path / "usual.xlsx", sheet_rows(True)))[0].table
    bare = reading.read_any(hostile.workbook(tmp_path / "bare.xlsx", sheet_rows(False)))[0].table
    assert usual.num_rows == 5 and bare.equals(usual)


def test_a_cell_longer_than_excel_allows_is_refused_with_its_row(tmp_path):
    path = hostile.long_cell(tmp_path / "long.xlsx", characters=10_000_000)
    with pytest.raises(FileProblem, match="longer than an Excel cell can hold .* near row 2"):
        reading.read_any(path)


def test_a_workbook_that_unzips_beyond_the_limit_is_refused(tmp_path):
    path = hostile.many_rows(tmp_path / "big.xlsx", 50_000)  # about 3.5 MB of sheet XML
    limits = Limits(rows=100_000, columns=64, unzipped_bytes=2 << 20, shared_strings_bytes=1 << 20)
    with reading.limited(limits), pytest.raises(FileProblem, match="unzips to .*2 MB"):
        reading.read_any(path)


def test_a_declared_range_beyond_the_template_is_refused_before_the_cells(tmp_path):
    path = hostile.workbook(tmp_path / "dim.xlsx", [hostile.header_row()], dimension="A1:ZZ10")
    with pytest.raises(FileProblem, match="the sheet's range A1:ZZ10 is beyond the template"):
        reading.read_any(path)


def test_an_officers_workbook_still_reads(tmp_path):
    rows = household_rows("W1", size=3, seed=7)
    raw, problems = reading.read_any(write_xlsx(tmp_path / "typed.xlsx", rows))
    assert raw.table.num_rows == 3 and not problems
    raw, _ = reading.read_any(write_xlsx(tmp_path / "text.xlsx", rows, as_text=True))
    assert raw.table.column("name").to_pylist() == [r["name"] for r in rows]


# --- CSV ------------------------------------------------------------------------------------------------

def test_a_nul_byte_is_refused_naming_its_row_and_column(tmp_path):
    rows = household_rows("N1", size=3, seed=1)
    rows[1]["name"] = "张\x00三"
    path = write_csv(tmp_path / "nul.csv", rows)
    column = [c.key for c in template.COLUMNS].index("name") + 1
    with pytest.raises(FileProblem, match=rf"row 3, column {column}: a NUL character"):
        reading.read_any(path)


def test_a_10_mb_line_without_a_line_break_is_a_clear_refusal(tmp_path):
    with pytest.raises(FileProblem, match=r"row 1 \(the header\) is longer than 64 KB"):
        reading.read_any(hostile.csv_one_long_line(tmp_path / "one-line.csv", megabytes=10))
    header = ",".join(template.HEADERS).encode() + b"\n"
    for megabytes, rule in ((10, "row 2: 1 列"), (20, "row 2: 超过 16 MB / longer than 16 MB")):
        path = tmp_path / f"long-{megabytes}.csv"
        path.write_bytes(header + b"x" * (megabytes << 20))
        with pytest.raises(FileProblem, match=rule):
            reading.read_any(path)


def test_a_long_csv_cell_is_refused_naming_its_place(tmp_path):
    rows = household_rows("L1", size=2, seed=1)
    rows[1]["name"] = "长" * 40_000
    with pytest.raises(FileProblem, match="row 3, column 姓名: longer than 32,767 characters"):
        reading.read_any(write_csv(tmp_path / "long.csv", rows))


def test_a_csv_of_blank_lines_is_refused_by_the_row_limit_before_arrow_reads_it(tmp_path):
    path = tmp_path / "blank.csv"
    path.write_bytes(",".join(template.HEADERS).encode() + b"\n" + b"\n" * 5000)
    limits = Limits(rows=1000, columns=64, unzipped_bytes=1 << 30, shared_strings_bytes=1 << 30)
    with reading.limited(limits), pytest.raises(FileProblem, match="more than 1,000 rows"):
        reading.read_any(path)


def test_a_gbk_register_is_read_without_a_plain_copy_on_disk(tmp_path, monkeypatch):
    """Arrow transcodes GB18030 as it reads: the parser is given the officer's own file, and no file
    appears in the temporary folder while it reads (before: a UTF-8 copy with every plain ID)."""
    import tempfile

    scratch_dir = tmp_path / "tmp"
    scratch_dir.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch_dir))
    rows = household_rows("G1", size=3, seed=3)
    path = write_csv(tmp_path / "gbk.csv", rows, encoding="gbk")
    given, seen = [], []
    real = pacsv.read_csv

    def spy(source, **kwargs):
        given.append(str(source))
        seen.extend(str(p) for p in scratch_dir.rglob("*"))
        return real(source, **kwargs)

    monkeypatch.setattr(pacsv, "read_csv", spy)
    raw, _ = reading.read_any(path)
    assert raw.encoding == "gb18030" and raw.table.column("name").to_pylist() == [r["name"] for r in rows]
    assert given and set(given) == {str(path)} and seen == []


def test_a_gbk_file_that_is_not_gbk_either_is_a_file_problem(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(",".join(template.HEADERS).encode("gbk") + b"\n" + "张三".encode("gbk") + b"\x80\x20\xff\n")
    with pytest.raises(FileProblem, match="not UTF-8 or GBK/GB18030"):
        reading.read_any(path)


# --- scratch --------------------------------------------------------------------------------------------

OWNER = """
import os, sys, time
sys.path.insert(0, sys.argv[1])
from jingzhun.db import scratch
import tempfile
tempfile.tempdir = sys.argv[2]
path = scratch.mkdtemp("jingzhun-stage-")
open(os.path.join(path, "households.sqlite3"), "w").write("张三 1985-01-01 3200.00")
print(path, flush=True)
time.sleep(600)
"""


def test_a_killed_imports_scratch_is_swept_by_the_next_import_at_once(tmp_path, monkeypatch):
    """Staging files hold names, birth dates and incomes in clear: a process killed mid-load leaves them,
    and the next import (here: the next read) deletes them at once — not a day later — while a folder
    still in use by a live process is left alone."""
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    owners = [subprocess.Popen([sys.executable, "-c", OWNER, str(ROOT), str(tmp_path)], stdout=subprocess.PIPE,
                               text=True) for _ in range(2)]
    try:
        dead, alive = (Path(p.stdout.readline().strip()) for p in owners)  # type: ignore[union-attr]
        assert stat.S_IMODE(dead.stat().st_mode) == 0o700
        owners[0].send_signal(signal.SIGKILL)
        owners[0].wait()
        mine = Path(scratch.mkdtemp("jingzhun-stage-"))
        reading.read_any(write_csv(tmp_path / "ok.csv", household_rows("S1", size=1, seed=1)))
        assert not dead.exists() and alive.exists() and mine.exists()
    finally:
        for p in owners:
            p.kill()
            p.wait()
    assert str(alive) in scratch.sweep()  # its owner is gone now


# --- web uploads ----------------------------------------------------------------------------------------

@pytest.fixture
def uploads_here(settings, tmp_path):
    settings.UPLOAD_DIR = str(tmp_path / "uploads")
    settings.UPLOADS_SYNCHRONOUS = True
    return Path(settings.UPLOAD_DIR)


def post(client: Client, name: str, content: bytes):
    return client.post(reverse("web:imports"), {"file": SimpleUploadedFile(name, content)}, follow=True)


def token_of(response) -> str:
    return response.redirect_chain[-1][0].rstrip("/").split("/")[-1]


def two_households_one_bad(tmp_path: Path, name: str) -> Path:
    good = household_rows("R1", VILLAGE2, size=2, seed=60)
    bad = household_rows("R2", VILLAGE, size=2, seed=61)
    bad[1]["sex"] = "未知"
    return write_xlsx(tmp_path / name, good + bad)


@pytest.mark.django_db
def test_an_upload_named_report_xlsx_is_not_overwritten_by_its_report(web, uploads_here, tmp_path):
    client = web.client("officer_a")
    path = two_households_one_bad(tmp_path, "report.xlsx")
    token = token_of(post(client, "report.xlsx", path.read_bytes()))
    upload = Upload.objects.get(token=token)
    assert upload.error_count == 1 and Path(upload.stored_as).name != "report.xlsx"
    report = client.get(reverse("web:upload_report", args=[token]))
    assert report.status_code == 200
    client.post(reverse("web:upload_confirm", args=[token]), {"mode": "valid"})
    upload.refresh_from_db()
    assert upload.state == "done", upload.result
    assert Member.objects.filter(household__number="R1").count() == 2
    assert ImportBatch.objects.filter(file_name="report.xlsx").exists()  # the officer's name, not ours


@pytest.mark.django_db
def test_upload_files_are_private_and_deleted_when_the_import_ends(web, uploads_here, tmp_path):
    client = web.client("officer_a")
    path = two_households_one_bad(tmp_path, "新增.xlsx")
    token = token_of(post(client, "新增.xlsx", path.read_bytes()))
    upload = Upload.objects.get(token=token)
    stored = Path(upload.stored_as)
    assert stored.parent.parent == uploads_here and stored.name == "upload.xlsx"
    assert stat.S_IMODE(uploads_here.stat().st_mode) == 0o700
    assert stat.S_IMODE(stored.parent.stat().st_mode) == 0o700
    for file in stored.parent.iterdir():
        assert stat.S_IMODE(file.stat().st_mode) == 0o600, file
    client.post(reverse("web:upload_confirm", args=[token]), {"mode": "valid"})
    assert not stored.exists()  # the import has ended: the register file is gone
    assert uploads.report_path(token).exists()  # the report stays for a while (UPLOAD_KEEP_HOURS)


@pytest.mark.django_db
def test_a_refused_upload_leaves_nothing_behind(web, uploads_here, tmp_path):
    client = web.client("officer_a")
    shown = post(client, "far.xlsx", hostile.far_cell(tmp_path / "far.xlsx").read_bytes()).content.decode()
    assert "XFD1048576" in shown
    shown = post(client, "damaged.xlsx", b"PK\x03\x04 not a workbook").content.decode()
    assert "damaged.xlsx" in shown
    assert not Upload.objects.exists() and list(uploads_here.iterdir()) == []


@pytest.mark.django_db
def test_an_upload_beyond_the_size_limit_is_refused(web, uploads_here, settings, tmp_path):
    settings.UPLOAD_MAX_BYTES = 1 << 20
    client = web.client("officer_a")
    small = write_csv(tmp_path / "small.csv", household_rows("B1", VILLAGE, size=4, seed=2))
    assert token_of(post(client, "small.csv", small.read_bytes()))  # within the limit: checked as usual
    Upload.objects.all().delete()
    kept = set(uploads_here.iterdir())
    # Declared larger than the limit: refused before the body is read.
    shown = post(client, "big.csv", small.read_bytes() + b"\n" * (2 << 20))
    # The page speaks the user's language (Chinese here): the message's Chinese half.
    assert shown.status_code == 413 and "超过上传上限 1 MB" in shown.content.decode()
    # Within the declared margin, the file itself over the limit: refused by its size.
    settings.UPLOAD_MAX_BYTES = small.stat().st_size - 1
    shown = post(client, "big.csv", small.read_bytes())
    assert "超过上传上限" in shown.content.decode()
    assert not Upload.objects.exists() and set(uploads_here.iterdir()) == kept


@pytest.mark.django_db
def test_an_unconfirmed_upload_and_its_report_go_after_the_keep_time(web, uploads_here, settings, tmp_path):
    settings.UPLOAD_KEEP_HOURS = 2
    client = web.client("officer_a")
    token = token_of(post(client, "a.xlsx", two_households_one_bad(tmp_path, "a.xlsx").read_bytes()))
    upload = Upload.objects.get(token=token)
    assert uploads.sweep(now=time.time() + 3600) == [] and Path(upload.stored_as).exists()
    assert uploads.sweep(now=time.time() + 3 * 3600) == [str(uploads_here / token)]
    upload.refresh_from_db()
    assert upload.state == "failed" and "not confirmed within 2 hours" in upload.result["error"]
    assert client.get(reverse("web:upload_report", args=[token])).status_code == 404
    client.post(reverse("web:upload_confirm", args=[token]), {"mode": "valid"})
    assert not Household.objects.filter(number="R1").exists()


@pytest.mark.django_db
def test_an_upload_whose_process_died_is_failed_when_its_page_is_read(web, uploads_here, tmp_path):
    client = web.client("officer_a")
    token = token_of(post(client, "a.xlsx", two_households_one_bad(tmp_path, "a.xlsx").read_bytes()))
    Upload.objects.filter(token=token).update(state="running")
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    uploads._write_progress(token, state="running", stage="write", done=0.6, pid=gone.pid,
                            host=socket.gethostname(), created=psutil.Process().create_time() - 1, started=time.time())
    assert client.get(reverse("web:upload_progress", args=[token])).json()["state"] == "failed"
    upload = Upload.objects.get(token=token)
    assert upload.state == "failed" and "ended unexpectedly" in upload.result["error"]
    assert not Path(upload.stored_as).exists()


@pytest.mark.django_db
def test_a_reader_that_aborts_takes_only_its_own_process(web, uploads_here, settings, tmp_path, monkeypatch):
    """The check runs in a child: a native abort there is a refusal here, and this process goes on."""
    settings.UPLOADS_SYNCHRONOUS = False
    monkeypatch.setattr(runner, "child_command", lambda *a, **k: [sys.executable, "-c", "import os; os.abort()"])
    shown = post(web.client("officer_a"), "a.csv", b"x").content.decode()
    assert "读取进程异常终止（SIGABRT）" in shown
    assert not Upload.objects.exists() and list(uploads_here.iterdir()) == []


# --- web uploads in real child processes ------------------------------------------------------------------

def wait_for(predicate, seconds: float, every: float = 0.05):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError("timed out")


@pytest.mark.slow
def test_check_and_import_run_in_a_child_process(committed_web, settings, tmp_path, worker):
    settings.UPLOAD_DIR = str(tmp_path / "uploads")
    settings.UPLOADS_SYNCHRONOUS = False
    worker()  # the import is queued for it
    client = committed_web.client("officer_a")
    path = write_csv(tmp_path / "c.csv", household_rows("C1", VILLAGE, size=3, seed=9))
    token = token_of(post(client, "c.csv", path.read_bytes()))
    assert Upload.objects.get(token=token).error_count == 0
    client.post(reverse("web:upload_confirm", args=[token]), {"mode": "all"})
    wait_for(lambda: client.get(reverse("web:upload_progress", args=[token])).json()["state"] != "running", 120)
    upload = Upload.objects.get(token=token)
    assert upload.state == "done" and upload.result["inserted"] == 1, upload.result
    assert Member.objects.filter(household__number="C1").count() == 3


def big_register(n: int) -> list[dict[str, str]]:
    return numbered_register(n, "K")


def register_counts() -> dict[str, int]:
    with connection.cursor() as cur:
        out = {}
        for table in ("registry_household", "registry_member", "registry_incomerecord", "registry_importbatch"):
            cur.execute(f"SELECT count(*) FROM {table}")
            out[table] = cur.fetchone()[0]
    return out


@pytest.mark.slow
def test_a_web_import_killed_mid_write_leaves_the_database_before_or_after(committed_web, settings, tmp_path, worker):
    """SIGKILL to the process that runs a web upload's import, once it is writing: the register is exactly
    as before or exactly as after, and the upload does not stay "running"."""
    settings.UPLOAD_DIR = str(tmp_path / "uploads")
    settings.UPLOADS_SYNCHRONOUS = False
    worker()  # the import is queued for it; it runs it in a child process, the one killed here
    households = 8000
    client = committed_web.client("officer_a")
    path = write_csv(tmp_path / "big.csv", big_register(households))
    before = register_counts()
    token = token_of(post(client, "big.csv", path.read_bytes()))
    assert Upload.objects.get(token=token).error_count == 0
    client.post(reverse("web:upload_confirm", args=[token]), {"mode": "all"})

    def writing():
        p = uploads.read_progress(token)
        return p if p.get("stage") == "write" and p.get("done", 0) >= 0.6 and p.get("pid") else None  # in the transaction

    progress = wait_for(writing, 300, every=0.01)
    os.kill(int(progress["pid"]), signal.SIGKILL)
    upload = wait_for(lambda: (u := uploads.refresh(Upload.objects.get(token=token))).state != "running" and u, 30)
    after = register_counts()
    if upload.state == "failed":
        assert after == before, (before, after)
        assert "ended unexpectedly" in upload.result["error"]
    else:  # it had committed before the kill landed
        assert after["registry_household"] == before["registry_household"] + households
        assert after["registry_member"] == before["registry_member"] + 3 * households
        assert after["registry_importbatch"] == before["registry_importbatch"] + 1
    assert not Path(upload.stored_as).exists()
    print(f"killed at {progress['stage']} {progress['done']}: {upload.state}")


@pytest.mark.django_db
def test_server_start_sweeps_dead_uploads_and_scratch(web, uploads_here, tmp_path, monkeypatch):
    """`jingzhun serve` first records uploads whose process is gone and deletes what killed processes left."""
    import tempfile

    from jingzhun.web.management.commands.serve import sweep_at_start

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    owner = subprocess.Popen([sys.executable, "-c", OWNER, str(ROOT), str(tmp_path)], stdout=subprocess.PIPE, text=True)
    left = Path(owner.stdout.readline().strip())  # type: ignore[union-attr]
    owner.kill()
    owner.wait()
    client = web.client("officer_a")
    token = token_of(post(client, "a.xlsx", two_households_one_bad(tmp_path, "a.xlsx").read_bytes()))
    Upload.objects.filter(token=token).update(state="running")
    uploads._write_progress(token, state="running", stage="validate", done=0.5, pid=owner.pid,
                            host=socket.gethostname(), created=0.0, started=time.time())
    sweep_at_start()
    assert not left.exists()
    upload = Upload.objects.get(token=token)
    assert upload.state == "failed" and not Path(upload.stored_as).exists()
