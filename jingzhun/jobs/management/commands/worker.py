"""`jingzhun worker`: take queued jobs (web uploads' checks and imports) and run them, one at a time.

`jingzhun serve` and `jingzhun demo` start one beside the web server; a deployment may run more, on this
server or on others sharing the database (docs/web.md, "The worker").
"""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from jingzhun.jobs import runner
from jingzhun.jobs.worker import Worker


class Command(BaseCommand):
    help = "运行排队的后台任务（网页上传的校验与导入）/ Run queued jobs (web uploads' checks and imports)"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="run what is queued, then exit (tests, cron)")
        parser.add_argument("--poll", type=float, default=None,
                            help=f"seconds between looks at an empty queue (default {settings.JOBS_POLL_SECONDS})")
        parser.add_argument("--parent", type=int, default=None,
                            help="end with this process (`jingzhun serve` and `jingzhun demo` pass their own)")

    def handle(self, *args: Any, **opts: Any) -> None:
        os.umask(0o077)  # whatever this process and its children write is the service's only
        if opts["parent"] is not None:
            runner.die_with_parent(opts["parent"], signal_number=15)  # SIGTERM: give the job back, then stop
        worker = Worker(poll=opts["poll"] or settings.JOBS_POLL_SECONDS, say=self._say)
        worker.on_signals()
        ran = worker.run(once=opts["once"])
        if opts["once"]:
            self._say(f"{ran} 个任务 / jobs run")

    def _say(self, message: str) -> None:
        self.stdout.write(f"[worker {os.getpid()}] {message}")
        self.stdout.flush()
