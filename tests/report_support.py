"""Asking for a report workbook as a user would (the form's POST), built at once in the request
(`REPORTS_SYNCHRONOUS`, into a folder of this test process), and fetching its file."""

from __future__ import annotations

import tempfile
from collections.abc import Iterable

from django.test import Client, override_settings
from django.urls import reverse

FOLDER = tempfile.mkdtemp(prefix="jingzhun-reports-")


def here() -> override_settings:
    return override_settings(REPORTS_SYNCHRONOUS=True, REPORT_DIR=FOLDER)


def ask(client: Client, area: str, year: object, tables: Iterable[str] = ()):  # type: ignore[no-untyped-def]
    """The form's POST: a redirect to the build's page, or the refusal."""
    with here():
        return client.post(reverse("reports:ask"), {"area": area, "year": str(year), "tables": list(tables)})


def token_of(response) -> str:  # type: ignore[no-untyped-def]
    return response["Location"].rstrip("/").split("/")[-1]


def workbook_response(client: Client, area: str, year: object, tables: Iterable[str] = ()):  # type: ignore[no-untyped-def]
    """Ask, then download the file (the answer to either when refused)."""
    asked = ask(client, area, year, tables)
    if asked.status_code != 302:
        return asked
    with here():
        return client.get(reverse("reports:download", args=[token_of(asked)]))
