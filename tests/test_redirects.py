"""Red team (stop 21): no open redirect. The login's and the language switch's `next` send the user on only to
an address of this site: another host (absolute, scheme-relative, backslashed, or with a user part) is
replaced by the site's own page."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db

HOSTILE = ["https://evil.example/", "//evil.example/", "/\\evil.example/", "\\\\evil.example", "https:evil.example",
           "http://testserver@evil.example/", "javascript:alert(1)"]


def off_site(location: str) -> bool:
    return "evil.example" in location or location.startswith("javascript:")


@pytest.mark.parametrize("target", HOSTILE)
def test_the_language_switch_does_not_send_the_user_to_another_site(web, target):
    response = web.client("officer_a").post(reverse("set_language"), {"language": "en", "next": target})
    assert response.status_code in (200, 302) and not off_site(response.get("Location", ""))


def test_the_login_does_not_send_the_user_to_another_site(web):
    user = web.users["officer_a"]
    user.set_password("Ein-Passwort-2026!")
    user.save()
    for target in HOSTILE:
        client = Client()
        response = client.post(reverse("web:login") + "?next=" + target,
                               {"username": "officer_a", "password": "Ein-Passwort-2026!", "next": target})
        assert response.status_code == 302 and not off_site(response["Location"]), (target, response["Location"])
        # And a page of this site is where it says.
        back = client.post(reverse("set_language"), {"language": "zh-hans", "next": reverse("web:households")})
        assert back["Location"] == reverse("web:households")
