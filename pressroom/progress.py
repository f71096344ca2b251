"""Progress output for doit: one line per stage that ran, with its time.

On a terminal the line appears when the stage starts (`compile    ...`) and
gets its time when it ends, so a long TeX run is never silent; in a log or
a pipe only the finished lines are written.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

from doit.reporter import ConsoleReporter


class StageReporter(ConsoleReporter):
    """`convert   0.41 s` per stage; up-to-date stages only with -v.

    Failures are reported by build.py from the PressroomError the stage
    raised, so doit's own failure dump is not printed (unless -v). One
    reporter per build, handed to doit as an instance (pressroom.tasks).
    """

    desc = "pressroom stages"

    def __init__(self, outstream, options=None, *, verbose: bool = False,
                 on_success: Callable[[str], None] | None = None):
        super().__init__(outstream, options or {})
        self.verbose, self.on_success = verbose, on_success
        #: the stages that ran, in order
        self.executed: list[str] = []
        self._started: dict[str, float] = {}
        self._live = not verbose and getattr(outstream, "isatty", lambda: False)()

    def execute_task(self, task):
        self._started[task.name] = time.perf_counter()
        if self.verbose:
            self.write(f"{task.name} ...\n")
        elif self._live:
            self.write(f"{task.name:<8}    ...")
            self.outstream.flush()

    def _finished(self, task, suffix: str = "") -> None:
        elapsed = time.perf_counter() - self._started.get(task.name, time.perf_counter())
        start = "\r\033[K" if self._live else ""   # over the `stage  ...` line
        self.write(f"{start}{task.name:<8} {elapsed:6.2f} s{suffix}\n")
        self.outstream.flush()

    def add_success(self, task):
        self.executed.append(task.name)
        self._finished(task)
        if self.on_success is not None:
            self.on_success(task.name)

    def skip_uptodate(self, task):
        if self.verbose:
            self.write(f"{task.name:<8} up to date\n")

    def add_failure(self, task, fail):
        self._finished(task, "  FAILED")
        if self.verbose:
            super().add_failure(task, fail)

    def runtime_error(self, msg):
        sys.stderr.write(f"error: {msg}\n")

    def complete_run(self):
        if self.verbose:
            super().complete_run()
