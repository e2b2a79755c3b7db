"""`jingzhun serve`: the web application under gunicorn, with production settings.

Production means: DEBUG off, the secret key and the master key from the environment (never generated
here), secure cookies and security headers as `jingzhun.settings` sets them. The command refuses to start
otherwise, with a message that says which variable is missing.

Static files (CSS, ECharts) are not served by default: run `jingzhun collectstatic` and let the reverse
proxy that terminates HTTPS serve `STATIC_ROOT` (docs/web.md). `--static` serves them from the
application itself, for a county laptop with a handful of users and no proxy.
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections

SECRET_ENV = "JINGZHUN_SECRET_KEY"
MIN_SECRET_LENGTH = 32  # Django's own deploy check (security.W009) asks for at least 50 characters of some variety


def production_problems(environ: dict[str, str] | os._Environ[str] | None = None) -> list[str]:
    """What keeps the application from running in production, as messages (empty = ready)."""
    from jingzhun.crypto import KEY_ENV, FieldCipher, MissingKey

    env = os.environ if environ is None else environ
    problems = []
    if settings.DEBUG:
        problems.append("JINGZHUN_DEBUG=1：生产服务不得开启调试 / the production server never runs with DEBUG on; unset JINGZHUN_DEBUG")
    secret = env.get(SECRET_ENV, "")
    if not secret:
        problems.append(f"{SECRET_ENV} 未设置 / is not set: it signs sessions and CSRF tokens; generate one with "
                        "`python -c 'import secrets; print(secrets.token_urlsafe(50))'` and keep it out of the repository")
    elif len(secret) < MIN_SECRET_LENGTH:
        problems.append(f"{SECRET_ENV} 太短 / is too short: {len(secret)} characters, at least {MIN_SECRET_LENGTH}")
    master = env.get(KEY_ENV, "")
    if not master:
        problems.append(f"{KEY_ENV} 未设置 / is not set: resident IDs and health data cannot be read; it is the key "
                        "the register was imported with (a new one is made by `jingzhun newkey`)")
    else:
        try:
            FieldCipher("resident_id", master)  # decodes and checks the key
        except MissingKey as exc:
            problems.append(f"{KEY_ENV} 无效 / is invalid: {exc}")
    return problems


def sweep_at_start() -> None:
    """What a killed process left behind goes before the server takes requests: scratch folders whose
    process has ended (staging files with names and incomes in clear), uploads past their time, and
    uploads still marked running whose import process is gone (docs/security.md, "Files on disk")."""
    from jingzhun.db import scratch
    from jingzhun.web import uploads

    scratch.sweep()
    uploads.sweep()


def start_worker() -> subprocess.Popen[bytes]:
    """One `jingzhun worker` beside the server: it runs the imports the web queues. It ends with this
    process (`--parent`: sent SIGTERM if this one is killed), and is stopped when the server stops."""
    return subprocess.Popen([sys.executable, "-m", "jingzhun.cli", "worker", "--parent", str(os.getpid())],
                            stdin=subprocess.DEVNULL, start_new_session=True)


def stop_worker(worker: subprocess.Popen[bytes]) -> None:
    """SIGTERM: the worker gives a job in progress back to the queue (rolled back) and exits."""
    if worker.poll() is None:
        worker.terminate()
    try:
        worker.wait(timeout=30)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()


class Command(BaseCommand):
    help = "以生产配置启动网页服务（gunicorn）/ Serve the web application under gunicorn with production settings"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default="127.0.0.1:8000", help="address:port (default 127.0.0.1:8000)")
        parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                            help="worker processes (default: one per core)")
        parser.add_argument("--threads", type=int, default=1,
                            help="threads per worker (default 1; more than 1 uses gunicorn's gthread worker)")
        parser.add_argument("--timeout", type=int, default=120,
                            help="seconds before a silent worker is restarted (a synchronous web import can be long)")
        parser.add_argument("--static", action="store_true",
                            help="serve /static/ from the application (no reverse proxy; a few users only)")
        parser.add_argument("--access-log", default=None, help="access log file, '-' for standard output (default: none)")
        parser.add_argument("--no-worker", action="store_true",
                            help="start no `jingzhun worker` beside the server (workers run as services of their own)")

    def handle(self, *args: Any, **opts: Any) -> None:
        problems = production_problems()
        if problems:
            raise CommandError("拒绝启动 / refusing to start:\n  " + "\n  ".join(problems))
        for name in ("workers", "threads", "timeout"):
            if opts[name] < 1:
                raise CommandError(f"--{name}: 至少为 1 / must be at least 1, got {opts[name]}")

        from django.core.wsgi import get_wsgi_application
        from gunicorn.app.base import BaseApplication

        application: Any = get_wsgi_application()
        if opts["static"]:
            from django.contrib.staticfiles.handlers import StaticFilesHandler

            application = StaticFilesHandler(application)
        sweep_at_start()
        # The app is loaded once here and the workers are forked from this process: a database
        # connection opened by the checks must not be shared with them (SQLite's would be corrupted).
        connections.close_all()
        config = {
            "bind": opts["bind"], "workers": opts["workers"], "threads": opts["threads"],
            "worker_class": "gthread" if opts["threads"] > 1 else "sync", "timeout": opts["timeout"],
            "accesslog": opts["access_log"], "errorlog": "-", "proc_name": "jingzhun",
            "preload_app": True, "forwarded_allow_ips": "127.0.0.1",
        }

        worker = None if opts["no_worker"] else start_worker()

        class Server(BaseApplication):  # type: ignore[misc]  # gunicorn ships no type hints
            def load_config(self) -> None:
                for key, value in config.items():
                    self.cfg.set(key, value)
                # gunicorn ≥ 25.1 opens a control socket at one fixed path per user: a second instance would
                # take it over. Nothing here uses it.
                if "control_socket_disable" in self.cfg.settings:
                    self.cfg.set("control_socket_disable", True)

            def load(self) -> Any:
                return application

        self.stdout.write(f"精准 Jingzhun: http://{opts['bind']}/ — {opts['workers']} workers × {opts['threads']} threads, "
                          f"database {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}"
                          + ("" if worker is None else f", upload worker {worker.pid}"))
        try:
            Server().run()  # gunicorn ends the process with SystemExit when it stops
        finally:
            if worker is not None:
                stop_worker(worker)
