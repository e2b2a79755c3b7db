"""Issue 13, item 2: whatever a user without the reveal permission is shown together must not rebuild a
resident ID.

The attacker here is the one of the report: a user who may not reveal collects everything the product
gives them — every page reachable from the home page and the admin, and the web export — and for every
masked ID tries each date found anywhere in it as the hidden digits 7–14, keeping the candidates whose
GB 11643 check character agrees. Before the fix the full birth date sat beside every masked ID and every
ID came back; now none may. A second attack uses what is left (the birth year): each masked ID must still
leave more than one candidate.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import re
from collections import deque

import pytest
from django.contrib.auth.models import User
from django.test import Client
from python_calamine import CalamineWorkbook

from jingzhun.areas.models import AreaRole
from jingzhun.identity import check_char, mask
from tests.factories import COUNTY, TOWNSHIP
from tests.web_cast import Web

pytestmark = pytest.mark.django_db

MASKED = re.compile(r"\b(\d{6})\*{8}(\d{3}[\dX])\b")
DATES = [
    re.compile(r"(?<!\d)(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)"),
    re.compile(r"(?<!\d)(\d{4})/(\d{1,2})/(\d{1,2})(?!\d)"),
    re.compile(r"(?<!\d)(\d{4})年(\d{1,2})月(\d{1,2})日"),
    re.compile(r"(?<!\d)(\d{4})(\d{2})(\d{2})(?!\d)"),
]
SKIP = ("/logout/", "/reveal/", "/confirm/", "/approve/", "/decide/", "javascript:", "mailto:", "/static/")


def crawl(client: Client, starts: list[str], limit: int = 400) -> list[str]:
    """Every page reachable by GET from `starts` within the site (no links that act)."""
    seen, texts, todo = set(starts), [], deque(starts)
    while todo and len(seen) <= limit:
        url = todo.popleft()
        response = client.get(url)
        if response.status_code != 200:
            continue
        if response.get("Content-Type", "").startswith("text/html"):
            html = response.content.decode()
            texts.append(html)
            for link in re.findall(r'href="(/[^"#]*)"', html):
                link = link.replace("&amp;", "&")
                if not any(s in link for s in SKIP) and link not in seen:
                    seen.add(link)
                    todo.append(link)
        elif url.endswith(".xlsx"):
            texts.append(xlsx_text(b"".join(response.streaming_content) if response.streaming else response.content))
    return texts


def xlsx_text(data: bytes) -> str:
    book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    out = []
    for name in book.sheet_names:
        for row in book.get_sheet_by_name(name).to_python():
            out.append(" ".join(v.isoformat() if hasattr(v, "isoformat") else str(v) for v in row))
    return "\n".join(out)


def dates_in(text: str) -> set[str]:
    found = set()
    for pattern in DATES:
        for y, m, d in pattern.findall(text):
            with contextlib.suppress(ValueError):  # not a calendar date
                found.add(dt.date(int(y), int(m), int(d)).strftime("%Y%m%d"))
    return found


def rebuilt(text: str) -> set[str]:
    """IDs recovered: a masked ID with exactly one date of the text that completes it."""
    dates = dates_in(text)
    out = set()
    for head, tail in set(MASKED.findall(text)):
        candidates = [head + d + tail for d in dates if check_char(head + d + tail[:3]) == tail[3]]
        if len(candidates) == 1:
            out.add(candidates[0])
    return out


def candidates_by_year(text: str, number: str) -> int:
    """How many IDs agree with a masked ID when only the year of birth is known."""
    head, tail, year = number[:6], number[14:], int(number[6:10])
    day, count = dt.date(year, 1, 1), 0
    while day.year == year:
        body = head + day.strftime("%Y%m%d") + tail[:3]
        count += check_char(body) == tail[3]
        day += dt.timedelta(days=1)
    return count


def no_reveal_user(name: str, code: str, kind: str, *, staff: bool = False) -> User:
    user = User.objects.create_user(name, is_staff=staff)
    AreaRole.objects.create(user=user, area_id=code, role=kind)
    return user


@pytest.mark.parametrize("kind,code,staff", [("evaluator", COUNTY, False), ("officer", TOWNSHIP, True),
                                             ("auditor", COUNTY, False)])
def test_no_id_can_be_rebuilt_from_what_a_user_without_reveal_can_get(web: Web, kind, code, staff):
    user = no_reveal_user(f"{kind}_x", code, kind, staff=staff)
    client = Client()
    client.force_login(user)
    texts = crawl(client, ["/", "/households/", "/households/export.xlsx", *(["/admin/"] if staff else [])])
    everything = "\n".join(texts)
    ids = {r["resident_id"] for rows in web.rows.values() for r in rows}
    shown = {number for number in ids if mask(number) in everything}
    assert shown, "the crawl should have met masked IDs (else it proves nothing)"
    assert rebuilt(everything) & ids == set()
    for number in shown:
        assert number not in everything
        assert candidates_by_year(everything, number) > 1


def test_the_attack_recovers_ids_when_the_full_birth_date_is_shown(web: Web):
    """The attacker works: a user with the reveal permission sees full birth dates beside the masked IDs."""
    from django.contrib.auth.models import Permission

    user = no_reveal_user("revealer", COUNTY, "officer")
    user.user_permissions.add(Permission.objects.get(codename="reveal_sensitive"))
    client = Client()
    client.force_login(user)
    everything = "\n".join(crawl(client, ["/households/"]))
    ids = {r["resident_id"] for rows in web.rows.values() for r in rows}
    assert rebuilt(everything) & ids
