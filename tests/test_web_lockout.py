"""Login lockout cannot lock the office out, and the client's address is believed only from trusted proxies.

The attack from the review: behind the documented reverse proxy every request has the proxy's address, so 50
bad logins with invented usernames used to lock every user out for 15 minutes. Logins here go through the
login page with the Django test client, with REMOTE_ADDR and X-Forwarded-For as a proxy would set them.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client, RequestFactory
from django.urls import reverse

from jingzhun.audit.models import AuditEntry
from jingzhun.web.lockout import client_address
from jingzhun.web.models import LoginFailure

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"
PROXY = "127.0.0.1"


def login(username: str, password: str, remote: str = PROXY, forwarded: str | None = None) -> int:
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return Client().post(reverse("web:login"), {"username": username, "password": password}, **extra).status_code


def with_password(user: User) -> User:
    user.set_password(PASSWORD)
    user.save()
    return user


def address(remote: str, forwarded: str | None = None) -> str:
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_address(RequestFactory().get("/", **meta))


def test_without_trusted_proxies_the_forwarded_header_is_ignored(settings):
    settings.TRUSTED_PROXIES = []
    assert address("203.0.113.7", "1.2.3.4") == "203.0.113.7"
    assert client_address(None) == ""


def test_the_right_most_untrusted_forwarded_address_is_the_client(settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1", "10.0.0.0/8"]
    # The client wrote "6.6.6.6" itself; nginx appended the address it saw; a second proxy its own.
    assert address(PROXY, "6.6.6.6, 198.51.100.20") == "198.51.100.20"
    assert address(PROXY, "6.6.6.6, 198.51.100.20, 10.1.2.3") == "198.51.100.20"
    assert address(PROXY, "garbage, 198.51.100.20") == "198.51.100.20"
    assert address(PROXY, "[2001:db8::1]:443") == "2001:db8::1"
    assert address(PROXY) == PROXY  # no header: the proxy itself
    # A connection from anywhere else cannot choose its address by sending the header.
    assert address("198.51.100.99", "6.6.6.6") == "198.51.100.99"


def test_invented_usernames_from_one_address_do_not_lock_out_the_office(web, settings):
    """50 failures with invented usernames, all from the proxy's address (no trusted proxies configured: the
    worst case, every user shares one address). Real users still log in with their right passwords."""
    settings.TRUSTED_PROXIES = []
    settings.LOCKOUT_ADDRESS_FAILURES = 50
    with_password(web.users["officer_a"])
    with_password(web.users["township_a"])
    for i in range(50):
        assert login(f"nobody{i}", "guess") == 200
    assert LoginFailure.objects.filter(address=PROXY).count() == 50
    assert login("officer_a", PASSWORD) == 302
    assert login("township_a", PASSWORD) == 302
    # A real user's typo from the throttled address is a failure like any other, and then they get in.
    assert login("officer_a", "typo") == 200
    assert login("officer_a", PASSWORD) == 302


def test_a_throttled_address_is_refused_only_for_unknown_usernames(web, settings):
    settings.TRUSTED_PROXIES = []
    settings.LOCKOUT_ADDRESS_FAILURES = 5
    with_password(web.users["officer_a"])
    for i in range(5):
        login(f"nobody{i}", "guess")
    from jingzhun.web import lockout

    assert lockout.locked("nobody99", PROXY)  # refused before any password check
    assert not lockout.locked("officer_a", PROXY)  # a real account is only its own lock's business
    assert login("officer_a", PASSWORD) == 302


def test_behind_a_trusted_proxy_the_limit_is_per_client(web, settings):
    settings.TRUSTED_PROXIES = [PROXY]
    settings.LOCKOUT_ADDRESS_FAILURES = 10
    with_password(web.users["officer_a"])
    for i in range(10):
        login(f"nobody{i}", "guess", forwarded="6.6.6.6")
    assert set(LoginFailure.objects.values_list("address", flat=True)) == {"6.6.6.6"}
    assert set(AuditEntry.objects.filter(action="login_failed").values_list("address", flat=True)) == {"6.6.6.6"}
    assert login("officer_a", PASSWORD, forwarded="198.51.100.20") == 302
    assert AuditEntry.objects.get(action="login", actor="officer_a").address == "198.51.100.20"


def test_an_account_is_still_locked_after_its_own_failures(web, settings):
    settings.TRUSTED_PROXIES = []
    settings.LOCKOUT_FAILURES = 3
    with_password(web.users["officer_a"])
    for _ in range(3):
        assert login("officer_a", "wrong") == 200
    assert login("officer_a", PASSWORD) == 200  # locked: even the right password
    assert login("township_a", "x") == 200 and with_password(web.users["township_a"])
    assert login("township_a", PASSWORD) == 302  # other accounts from the same address are not
