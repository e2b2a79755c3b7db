"""The worker loop: reap jobs whose worker is gone, claim the oldest queued one, run it, again.

One job at a time per worker; run more workers (on this server or others sharing the database) for more.
SIGTERM or SIGINT stops the loop: a job in progress is given back (its child killed, its transaction rolled
back, the job queued again without counting the attempt) so a restart picks it up.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from typing import Any

from django.db import OperationalError, close_old_connections

from jingzhun.jobs import queue, runner


class Worker:
    def __init__(self, *, poll: float, say: Callable[[str], None] = lambda message: None):
        self.poll = poll
        self.say = say
        self.name = queue.me()
        self.stopping = threading.Event()

    def stop(self, *_: Any) -> None:
        self.stopping.set()

    def on_signals(self) -> None:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self.stop)

    def step(self) -> str | None:
        """Reap, claim and run one job; its final state, or None when nothing is queued (or the database is
        busy: on SQLite an import's transaction holds the write lock a claim needs)."""
        close_old_connections()
        try:
            for reaped in queue.reap():
                self.say(f"{reaped}: 工作进程已不在 / its worker is gone → {reaped.state}")
            job = queue.claim(self.name)
        except OperationalError:
            return None
        if job is None:
            return None
        self.say(f"{job}: 开始 / started (attempt {job.attempts}/{job.max_attempts})")
        state = runner.run_claimed(job, self.name, stop=self.stopping.is_set)
        self.say(f"{job.kind} #{job.pk}: {state}")
        return state

    def run(self, *, once: bool = False) -> int:
        """Work until stopped (or, with `once`, until nothing is queued). Returns how many jobs ran."""
        ran = 0
        while not self.stopping.is_set():
            state = self.step()
            if state is not None:
                ran += 1
                continue
            if once:
                break
            self.stopping.wait(self.poll)
        return ran
