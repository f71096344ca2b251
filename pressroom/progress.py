"""Progress output for doit: one line per stage that ran, with its time."""

from __future__ import annotations

import sys
import time

from doit.reporter import ConsoleReporter


class StageReporter(ConsoleReporter):
    """`convert   0.41 s` per stage; up-to-date stages only with -v.

    Failures are reported by build.py from the PressroomError the stage
    raised, so doit's own failure dump is not printed (unless -v).
    """

    desc = "pressroom stages"
    verbose = False
    executed: list[str] = []

    def __init__(self, outstream, options):
        super().__init__(outstream, options)
        self._started: dict[str, float] = {}

    def execute_task(self, task):
        self._started[task.name] = time.perf_counter()
        if self.verbose:
            self.write(f"{task.name} ...\n")

    def add_success(self, task):
        elapsed = time.perf_counter() - self._started.get(task.name, time.perf_counter())
        type(self).executed.append(task.name)
        self.write(f"{task.name:<8} {elapsed:6.2f} s\n")
        self.outstream.flush()

    def skip_uptodate(self, task):
        if self.verbose:
            self.write(f"{task.name:<8} up to date\n")

    def add_failure(self, task, fail):
        elapsed = time.perf_counter() - self._started.get(task.name, time.perf_counter())
        self.write(f"{task.name:<8} {elapsed:6.2f} s  FAILED\n")
        if self.verbose:
            super().add_failure(task, fail)

    def runtime_error(self, msg):
        sys.stderr.write(f"error: {msg}\n")

    def complete_run(self):
        if self.verbose:
            super().complete_run()
