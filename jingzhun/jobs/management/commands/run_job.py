"""`jingzhun run_job`: one claimed job, in a process of its own (started by a worker, or by a web request
for the check it waits for). Not for people.

A register file can make a parser abort in native code; here that ends this process only, and the process
that started it records how it ended.
"""

from __future__ import annotations

import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jingzhun.jobs import queue, runner
from jingzhun.jobs.models import Job, JobState


class Command(BaseCommand):
    help = "运行一个已领取的后台任务（由工作进程启动）/ Run one claimed job (started by a worker)"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("job", type=int)
        parser.add_argument("--claim", required=True, help="the claimant that holds the job's lease")
        parser.add_argument("--parent", type=int, required=True, help="the process that started this one")

    def handle(self, *args: Any, **opts: Any) -> None:
        os.umask(0o077)  # whatever this process writes (reports, progress, scratch) is the service's only
        runner.die_with_parent(opts["parent"])
        job = Job.objects.get(pk=opts["job"])
        if job.state != JobState.RUNNING or job.claimed_by != opts["claim"]:
            raise CommandError(f"{job}: 不归 {opts['claim']} 所有 / not held by this claimant")
        queue.kind(job.kind).run(job)
