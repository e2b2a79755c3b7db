"""`jingzhun serve`: refuses to start without production settings; under gunicorn it answers with them."""

from __future__ import annotations

import base64
import http.client
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from jingzhun.web.management.commands.serve import production_problems

ROOT = Path(__file__).resolve().parent.parent
GOOD = {"JINGZHUN_SECRET_KEY": secrets.token_urlsafe(50),
        "JINGZHUN_MASTER_KEY": base64.b64encode(os.urandom(32)).decode()}


def test_ready_with_both_keys_and_debug_off() -> None:
    assert production_problems(GOOD) == []


@pytest.mark.parametrize("missing", ["JINGZHUN_SECRET_KEY", "JINGZHUN_MASTER_KEY"])
def test_refuses_without_a_key_naming_it(monkeypatch: pytest.MonkeyPatch, missing: str) -> None:
    for name, value in GOOD.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv(missing)
    with pytest.raises(CommandError) as refused:
        call_command("serve", "--bind", "127.0.0.1:1")
    message = str(refused.value)
    assert "拒绝启动 / refusing to start" in message
    assert f"{missing} 未设置 / is not set" in message
    assert len(message.splitlines()) == 2  # the other key is fine and not mentioned


def test_refuses_a_short_secret_and_a_master_key_that_is_not_32_bytes() -> None:
    problems = production_problems({"JINGZHUN_SECRET_KEY": "x" * 31,
                                    "JINGZHUN_MASTER_KEY": base64.b64encode(b"k" * 16).decode()})
    assert problems[0] == "JINGZHUN_SECRET_KEY 太短 / is too short: 31 characters, at least 32"
    assert problems[1].startswith("JINGZHUN_MASTER_KEY 无效 / is invalid") and "32 bytes, got 16" in problems[1]


def test_refuses_with_debug_on() -> None:
    with override_settings(DEBUG=True):
        problems = production_problems(GOOD)
    assert len(problems) == 1 and problems[0].startswith("JINGZHUN_DEBUG=1")


def test_refuses_zero_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in GOOD.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(CommandError, match="--workers: 至少为 1 / must be at least 1, got 0"):
        call_command("serve", "--workers", "0")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(port: int, path: str) -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", path)
    response = conn.getresponse()
    response.body = response.read()  # type: ignore[attr-defined]
    return response


@pytest.mark.slow
def test_serves_with_production_settings_and_stops_on_sigterm(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("JINGZHUN_DEBUG", "JINGZHUN_DEV", "JINGZHUN_INSECURE_COOKIES")}
    env.update(GOOD, JINGZHUN_DATABASE_URL=f"sqlite:///{tmp_path / 'serve.sqlite3'}", HOME=str(tmp_path),
               PYTHONPATH=str(ROOT), DJANGO_SETTINGS_MODULE="jingzhun.settings")
    cli = [sys.executable, "-m", "jingzhun.cli"]
    subprocess.run([*cli, "migrate", "-v0"], env=env, check=True, cwd=tmp_path)
    port = _free_port()
    server = subprocess.Popen([*cli, "serve", "--bind", f"127.0.0.1:{port}", "--workers", "2", "--static"],
                              env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
        home = _get(port, "/")
        assert home.status == 302 and home.getheader("Location") == "/login/?next=/"
        login = _get(port, "/login/")
        assert login.status == 200
        assert login.getheader("Server", "").startswith("gunicorn")
        assert login.getheader("X-Frame-Options") == "DENY"
        assert "default-src 'self'" in login.getheader("Content-Security-Policy", "")
        cookie = login.getheader("Set-Cookie", "")
        assert cookie.startswith("csrftoken=") and "; Secure" in cookie  # production: cookies only over HTTPS
        missing = _get(port, "/no-such-page/")
        assert missing.status == 404 and b"Traceback" not in missing.body  # type: ignore[attr-defined]  # DEBUG is off
        css = _get(port, "/static/admin/css/base.css")
        assert css.status == 200 and css.getheader("Content-Type", "").startswith("text/css")
        # Outside the static folders: refused (Django's finders raise; gunicorn answers 500), never the file.
        escape = _get(port, "/static/../settings.py")
        assert escape.status in (400, 404, 500) and b"SECRET_KEY" not in escape.body  # type: ignore[attr-defined]
    finally:
        server.send_signal(signal.SIGTERM)
        output, _ = server.communicate(timeout=30)
    assert server.returncode == 0, output
    assert "2 workers" in output and "Shutting down" in output
    # The upload worker beside it (`jingzhun worker`) started with it and stopped with it.
    found = re.search(r"upload worker (\d+)", output)
    assert found, output
    worker = int(found.group(1))
    assert not os.path.exists(f"/proc/{worker}") or "zombie" in Path(f"/proc/{worker}/status").read_text(), output
