"""Many manuscripts in one command: ``build a/ b/ c/ [-j N]``, ``build issue/`` (a folder of
manuscript folders), ``verify`` of several.

Each manuscript is built by a process of a pool (``-j N``, default: the
number of cores) exactly as ``build PATH`` builds it alone: into its own
build folder (its default one, or with ``--out DIR`` the folder of that name
in DIR), through its own doit state, so every stage stays incremental. A
build's output is kept, not interleaved: one line per manuscript as it
finishes, then one summary table (manuscript, result, pages, notes, words
(text + notes), check, time), then each manuscript's warnings, then the errors of those that
failed. One failure does not stop the
others; the exit code is 1 if any failed.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import re
import sys
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from .errors import PressroomError, UsageError


def expand(paths: list[str]) -> tuple[list[Path], bool]:
    """The manuscripts the command line names, and whether it names several (a batch).

    A ``.md`` file or a folder holding a manuscript is one; a folder holding
    no manuscript of its own but folders that do (a journal issue, a book's
    chapters) is each of them, in name order.
    """
    from .manuscript import resolve_manuscript_path
    found: list[Path] = []
    batch = len(paths) > 1
    for arg in paths:
        path = Path(arg)
        if path.is_dir() and not any(path.glob("*.md")):
            inner = [d for d in sorted(path.iterdir()) if d.is_dir() and any(d.glob("*.md"))]
            if inner:
                found += [resolve_manuscript_path(d) for d in inner]
                batch = True
                continue
        found.append(resolve_manuscript_path(path))
    unique = list(dict.fromkeys(found))
    return unique, batch or len(unique) > 1


@dataclass
class Outcome:
    """One manuscript's build in the batch."""

    manuscript: Path
    code: int                         # the exit code `build PATH` would have given
    seconds: float
    output: str = ""                  # what the build printed (stdout and stderr, in order)
    out_dir: Path | None = None
    pages: int | None = None
    notes: int | None = None
    words: int | None = None          # text + notes, the count journals ask for (wordcount.py)
    checks: tuple[int, int] | None = None   # (failed, all)
    extra: dict = field(default_factory=dict)

    @property
    def result(self) -> str:
        if self.code == 0:
            return "ok"
        if self.code == 130:
            return "stopped"
        return "checks failed" if self.checks and self.checks[0] else "FAILED"

    def failed(self) -> bool:
        """Whether it printed an error (a build or verify that could not finish)."""
        return any(line.startswith("error:") for line in self.output.splitlines())

    def warnings(self) -> list[str]:
        """The warnings the build printed, each on its line(s), in order."""
        return [line for line in self.output.splitlines() if line.startswith("warning:")]

    def error(self) -> str:
        """The error lines the build printed (the first ``error:`` line and what follows it)."""
        lines = self.output.splitlines()
        start = next((i for i, line in enumerate(lines) if line.startswith("error:")), None)
        return "\n".join(lines[start:] if start is not None else lines[-15:])


#: in a worker: Ctrl-C came (the terminal sends it to every process of the batch): the builds
#: still queued for this worker end at once
_interrupted = False


def _run_one(command: str, args: argparse.Namespace) -> Outcome:
    """In a worker: ``COMMAND`` of one manuscript (``args``: the command line's, with this manuscript
    and build folder), as the command line runs it alone, its output kept."""
    global _interrupted
    from .cli import build_and_report, verify_and_report
    if _interrupted:
        return Outcome(Path(args.manuscript), 130, 0.0, "error: interrupted before it started")
    buffer = io.StringIO()
    started = time.perf_counter()
    built = False
    with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(buffer):
        try:
            if command == "build":
                code = build_and_report(args)
                built = True
            else:
                code = verify_and_report(args)
        except PressroomError as exc:
            print(f"error: {exc}")
            code = exc.exit_code
        except KeyboardInterrupt:
            code, _interrupted = 130, True
        except BaseException:          # (a bug in one build must not stop the batch)
            traceback.print_exc()
            code = 1
    outcome = Outcome(Path(args.manuscript), code, time.perf_counter() - started, buffer.getvalue())
    if built:
        from .config import default_out_dir
        _describe(outcome, Path(args.out) if args.out else default_out_dir(outcome.manuscript))
    return outcome


_NOTE = re.compile(r"\\footnote(?![A-Za-z])")


def build_folders(manuscripts: list[Path], out: str | None) -> dict[Path, Path]:
    """Each manuscript's build folder: its default one, or with ``--out DIR`` the folder of that
    name in DIR (``DIR/<folder>/``, ``DIR/<folder>-<stem>/``)."""
    from .config import default_out_dir
    if out is None:
        return {m: default_out_dir(m) for m in manuscripts}
    return {m: Path(out).resolve() / default_out_dir(m).name for m in manuscripts}


def _describe(outcome: Outcome, out_dir: Path) -> None:
    """Pages, notes and the checks' result of a build that made its outputs."""
    import json
    outcome.out_dir = out_dir
    stem = outcome.manuscript.stem
    try:
        report = json.loads((out_dir / f"{stem}.check.json").read_text(encoding="utf-8"))
        outcome.checks = (sum(not r["ok"] for r in report), len(report))
        outcome.notes = len(_NOTE.findall((out_dir / f"{stem}.body.tex").read_text(encoding="utf-8")))
        from .wordcount import WordCounts
        words = json.loads((out_dir / f"{stem}.words.json").read_text(encoding="utf-8"))
        outcome.words = WordCounts.from_dict(words).text_and_notes
        import pikepdf
        with pikepdf.open(out_dir / f"{stem}.pdf") as pdf:
            outcome.pages = len(pdf.pages)
    except Exception:   # (a file the build did not make, pikepdf's errors: "-" in the table)
        pass


def default_jobs() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:   # not on Linux
        return os.cpu_count() or 1


def run(command: str, manuscripts: list[Path], args: argparse.Namespace, *, show) -> int:
    """``COMMAND`` (build or verify) of every manuscript on ``args.jobs`` processes, with the other
    options of ``args``; the summary; the exit code (1 if any failed)."""
    jobs = max(1, min(args.jobs or default_jobs(), len(manuscripts)))
    folders = build_folders(manuscripts, args.out)
    shared = [m for m in manuscripts if list(folders.values()).count(folders[m]) > 1]
    if shared:
        raise UsageError(f"{len(shared)} manuscripts would share one build folder, "
                         f"{show(folders[shared[0]])}: " + ", ".join(show(m) for m in shared),
                         hint="their folders have the same name: build them in separate commands, each "
                              "with --out DIR")
    print(f"{command}ing {len(manuscripts)} manuscripts on {jobs} process{'es' if jobs > 1 else ''}",
          flush=True)
    # imported here, not at the top: every single build goes through expand() (25 ms)
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed
    started = time.perf_counter()
    outcomes: list[Outcome] = []
    # fork where there is one: the workers start at once, with pressroom imported; this process
    # runs no thread yet
    context = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods()
                                          else "spawn")
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=context)
    try:
        # every core has a build: a first build's XeLaTeX pass started on a guessed preamble would
        # find no idle core, and a wrong guess would take one from another build (warmtex.py)
        guess = jobs < default_jobs()
        futures = {pool.submit(_run_one, command, _one(args, m, folders[m], guess_preamble=guess)): m
                   for m in manuscripts}
        for done, future in enumerate(as_completed(futures), 1):
            try:
                outcome = future.result()
            except Exception as exc:   # (a worker that died: that manuscript failed)
                outcome = Outcome(futures[future], 1, 0.0, f"error: the process building it ended: {exc}")
            outcomes.append(outcome)
            print(f"[{done}/{len(manuscripts)}] {outcome.result:<13} {show(outcome.manuscript)} "
                  f"({outcome.seconds:.1f} s)", flush=True)
    except KeyboardInterrupt:
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown()
    order = {m: i for i, m in enumerate(manuscripts)}
    outcomes.sort(key=lambda o: order.get(o.manuscript, 0))
    elapsed = time.perf_counter() - started
    print()
    print(summary(command, outcomes, show))
    for outcome in outcomes:   # as a build alone prints them, which the batch kept from the terminal
        if outcome.warnings():
            print(f"\n{show(outcome.manuscript)}:\n" + "\n".join(outcome.warnings()), file=sys.stderr)
    failed = [o for o in outcomes if o.code != 0]
    for outcome in failed:
        print(f"\n{show(outcome.manuscript)}:\n{outcome.error()}", file=sys.stderr)
    done = "built" if command == "build" else "identical"
    print(f"\n{len(outcomes) - len(failed)} of {len(outcomes)} {done} in {elapsed:.1f} s on {jobs} "
          f"process{'es' if jobs > 1 else ''}", flush=True)
    if failed:
        print(f"error: {len(failed)} of {len(outcomes)} failed: "
              + ", ".join(show(o.manuscript) for o in failed), file=sys.stderr)
        return 1
    return 0


def summary(command: str, outcomes: list[Outcome], show) -> str:
    """The table at the end: one row per manuscript."""
    def dash(value) -> str:
        return "-" if value is None else str(value)

    if command == "build":
        header = ("manuscript", "result", "pages", "notes", "words", "check", "time")
        rows = [(show(o.manuscript), o.result, dash(o.pages), dash(o.notes),
                 "-" if o.words is None else f"{o.words:,}",
                 "-" if o.checks is None else ("all ok" if not o.checks[0] else f"{o.checks[0]} failed"),
                 f"{o.seconds:.1f} s") for o in outcomes]
        right = {2, 3, 4, 6}
    else:
        header = ("manuscript", "result", "time")
        # verify's exit code 1 is both "differs" and a failed build: the failure printed an error
        rows = [(show(o.manuscript),
                 "identical" if o.code == 0 else "FAILED" if o.code != 1 or o.failed() else "differs",
                 f"{o.seconds:.1f} s") for o in outcomes]
        right = {2}
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths)))
             .rstrip() for row in [header, *rows]]
    return "\n".join(lines)


def _one(args: argparse.Namespace, manuscript: Path, folder: Path, *,
         guess_preamble: bool = True) -> argparse.Namespace:
    """The command line's options for one manuscript of the batch (``--out DIR``: its folder in DIR;
    else its default folder, chosen as a build of it alone chooses it); ``guess_preamble``: whether
    a first build starts its XeLaTeX pass on a guessed preamble (cli.build_and_report)."""
    return argparse.Namespace(**{**vars(args), "manuscript": str(manuscript),
                                 "out": str(folder) if args.out else None, "guess_preamble": guess_preamble})

