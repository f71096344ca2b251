"""What the benchmarks time a command with: wall-clock and processor seconds, measured in one run."""

from __future__ import annotations

import resource
import subprocess
import time


def timed(args: list[str]) -> tuple[float, float]:
    """Wall-clock and CPU seconds (user + system, of every process it started) of a command; a
    command that fails ends the benchmark with its output."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(args, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{result.stdout[-3000:]}{result.stderr[-3000:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
