"""A real `jingzhun worker` process for tests: on the test database, sharing this process's upload folder."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from jingzhun import dburl

ROOT = Path(__file__).resolve().parent.parent


def worker_env(**extra: str) -> dict[str, str]:
    return {**os.environ, "DJANGO_SETTINGS_MODULE": "jingzhun.settings", "PYTHONPATH": str(ROOT),
            "JINGZHUN_DATABASE_URL": dburl.url_of(connection.settings_dict, connection.vendor),
            "JINGZHUN_UPLOAD_DIR": str(Path(settings.UPLOAD_DIR).resolve()), "JINGZHUN_UPLOADS_SYNCHRONOUS": "0",
            "JINGZHUN_JOBS_POLL_SECONDS": "0.1", **extra}


def start_worker(*args: str, **extra: str) -> subprocess.Popen[str]:
    """`jingzhun worker ARGS` in a session of its own (so a test can signal it alone)."""
    return subprocess.Popen([sys.executable, "-m", "jingzhun.cli", "worker", *args], cwd=ROOT, env=worker_env(**extra),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)


def stop(process: subprocess.Popen[str]) -> str:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        out, _ = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        out, _ = process.communicate()
    return out or ""


@pytest.fixture
def worker() -> Iterator[Callable[..., subprocess.Popen[str]]]:
    """worker(*args) starts a `jingzhun worker`; every one started is stopped (SIGTERM) after the test."""
    started: list[subprocess.Popen[str]] = []

    def start(*args: str, **extra: str) -> subprocess.Popen[str]:
        process = start_worker(*args, **extra)
        started.append(process)
        return process

    yield start
    for process in started:
        stop(process)
