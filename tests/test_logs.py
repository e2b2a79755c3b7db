"""The raw resident IDs of an imported file never appear in logs or console output.

(The database and the error reports are searched in tests/test_import.py.) The `import` command runs
on a file with valid and invalid rows — a wrong check digit, the same ID twice in the file, an ID
already registered in another household, a 15-digit legacy ID — with every logger at DEBUG, SQL
logging on (DEBUG=True logs every query with its parameters), stdout and stderr captured at the file
descriptors, and warnings recorded. None of the file's IDs, in any form, may be in what was captured.
"""

from __future__ import annotations

import io
import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.core.management import CommandError, call_command

from jingzhun.registry.models import Household
from tests.factories import household_rows, write_csv, write_xlsx

# The import commits for real, through its production write path (see tests/test_import.py).
pytestmark = pytest.mark.django_db(transaction=True)


def fifteen(rid: str) -> str:
    return rid[:6] + rid[8:17]


def wrong_check_digit(rid: str) -> str:
    return rid[:17] + ("1" if rid[17] != "1" else "2")


def masked(rid: str) -> str:
    return rid[:6] + "*" * (len(rid) - 10) + rid[-4:]


@contextmanager
def every_logger_at_debug(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """caplog's handler receives every record of every logger, at DEBUG (levels restored by caplog)."""
    caplog.set_level(logging.DEBUG)
    changed: list[tuple[logging.Logger, bool]] = []
    for name, logger in list(logging.root.manager.loggerDict.items()):
        if not isinstance(logger, logging.Logger):
            continue
        caplog.set_level(logging.DEBUG, logger=name)
        if not logger.propagate:
            logger.addHandler(caplog.handler)
        changed.append((logger, logger.disabled))
        logger.disabled = False
    try:
        yield
    finally:
        for logger, disabled in changed:
            logger.disabled = disabled
            if not logger.propagate:
                logger.removeHandler(caplog.handler)


def mixed_file() -> tuple[list[dict[str, str]], set[str], set[str]]:
    """(rows, every clear ID of the file in every form, the masked IDs the error table must show).

    H5 valid (rows 2–4), its head given by the 15-digit legacy number; H6 a wrong check digit on row 6;
    H7 repeats H5's spouse on row 9; H8 holds, on row 11, H1's head, registered before the import.
    """
    h5, h6 = household_rows("H5", size=3, seed=5), household_rows("H6", size=3, seed=6)
    h7, h8 = household_rows("H7", size=2, seed=7), household_rows("H8", size=2, seed=8)
    registered = household_rows("H1", size=4, seed=1)[0]
    ids = {r["resident_id"] for r in h5 + h6 + h7 + h8} | {registered["resident_id"]}
    h5[0]["resident_id"] = fifteen(h5[0]["resident_id"])  # 张德明, born 1968
    h6[1]["resident_id"] = wrong_check_digit(h6[1]["resident_id"])
    spouse = h5[1]
    h7[1].update(resident_id=spouse["resident_id"], sex=spouse["sex"], birth_date=spouse["birth_date"],
                 name=spouse["name"])
    h8[1].update(resident_id=registered["resident_id"], sex=registered["sex"], birth_date=registered["birth_date"])
    rows = h5 + h6 + h7 + h8
    secrets = ids | {r["resident_id"] for r in rows} | {fifteen(i) for i in ids if i[6:8] == "19"}
    shown = {masked(h6[1]["resident_id"]), masked(spouse["resident_id"]), masked(registered["resident_id"])}
    return rows, secrets, shown


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_import_command_logs_and_prints_no_clear_resident_id(areas, tmp_path, caplog, capfd, settings,
                                                             monkeypatch, kind):
    settings.DEBUG = True  # Django then logs every SQL statement with its parameters at DEBUG
    monkeypatch.setenv("COLUMNS", "400")  # the error table on one line per error: no ID split by wrapping
    rows, secrets, shown = mixed_file()
    first = write_csv(tmp_path / "h1.csv", household_rows("H1", size=4, seed=1))
    path = tmp_path / f"mixed.{kind}"
    (write_csv if kind == "csv" else write_xlsx)(path, rows)
    out, err = io.StringIO(), io.StringIO()
    with every_logger_at_debug(caplog), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        call_command("import", str(first), stdout=out, stderr=err)
        with pytest.raises(CommandError) as refused:  # all or nothing: refused, nothing imported
            call_command("import", str(path), "--report", str(tmp_path / "all.errors.xlsx"), stdout=out, stderr=err)
        call_command("import", str(path), "--valid-only", "--report", str(tmp_path / "valid.errors.xlsx"),
                     stdout=out, stderr=err)
    fd = capfd.readouterr()
    captured = "\n".join([
        caplog.text, *(r.getMessage() for r in caplog.records), *(repr(r.args) for r in caplog.records),
        out.getvalue(), err.getvalue(), fd.out, fd.err, str(refused.value), *(str(w.message) for w in caught),
    ])

    # What was captured is the real output of these runs …
    assert sorted(Household.objects.values_list("number", flat=True)) == ["H1", "H5"]
    assert any(r.name == "django.db.backends" and "registry_member" in r.getMessage() for r in caplog.records)
    assert out.getvalue().count("已导入") == 2
    for text in shown:  # the error table, masked, on stderr
        assert text in fd.err, text
    # … and none of the file's resident IDs is in it.
    for rid in sorted(secrets):
        assert rid not in captured, rid
        assert rid.lower() not in captured, rid
