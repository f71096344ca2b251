"""Watch mode: build, then build again on every save of the manuscript, its bibliography, CSL
style, figures or template, in one process.

The process stays warm between builds: the imports are done once, pandoc's
reading and the citation engine's parsed bibliography stay in memory, and
the next build's first XeLaTeX pass is started as soon as a build has
finished, so that after a save only the pages are left to typeset
(warmtex.py). The submission PDF is published as soon as TeX has made it
(the terminal says so); the stamped draft, the checks and the manifest follow.

A save that cannot be built (broken YAML, an unknown key under ``--strict``,
a LaTeX error) prints the usual located error and the watch goes on; the last
good outputs stay where they are (the build folder publishes its outputs
together, buildfolder.Publication). Editors that save by writing a temporary
file and renaming it give one build: changes that come within ``STEP_MS`` of
each other are taken together, and saves made while a build runs give one
build after it. Ctrl-C (or SIGTERM) stops the watch between two writes:
every output is written to a temporary file and renamed into place.

File events come from watchfiles (inotify on Linux, FSEvents on macOS), on
the folders that hold the inputs; only the inputs themselves start a build.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from datetime import datetime
from pathlib import Path

from .errors import PressroomError, Warnings

#: changes closer together than this (ms) are one save (an editor's write-then-rename)
STEP_MS = 50
#: how long a manuscript that an editor has just moved away may take to come back (s)
REAPPEAR = 2.0


class Watcher:
    """One manuscript watched: its build settings are read again for every save."""

    def __init__(self, path: Path, args, show):
        from .warmtex import WarmTex
        self.path, self.args, self.show = path, args, show
        self.warm = WarmTex()
        self.settings = None
        #: the files whose saves start a build (absolute paths)
        self.inputs: set[str] = {str(path)}
        self.builds = 0

    # -- one build ----------------------------------------------------------------

    def build(self, saved_at: float | None = None) -> bool:
        """Build once; True if the outputs are new. ``saved_at``: when the save was made (time.time)."""
        from .cli import _chosen_formats, report_findings, run_tasks
        from .compile import compile_pdf
        from .config import build_settings
        from .manuscript import read_manuscript
        from .warmtex import start_pass
        started = time.time()
        since = saved_at if saved_at is not None else started
        self.builds += 1
        args = self.args
        warnings = Warnings(strict=args.strict)
        try:
            self._wait_for_manuscript()
            manuscript = read_manuscript(self.path, warnings)
            settings = build_settings(manuscript, out_dir=self.out_dir, template=args.template,
                                      verbose=args.verbose, safe=args.safe, time_limit=args.time_limit,
                                      memory_limit=args.memory_limit, warnings=warnings,
                                      to=_chosen_formats(args))
        except PressroomError as exc:
            return self._failed(exc)
        self.settings = settings
        self._note_inputs(settings)
        warm = self.warm

        def convert_stage(s, w) -> None:
            from .convert import run as convert
            if not warm.waiting and not s.output(".tex").is_file():   # the first build of a new folder
                start_pass(s, warm, guess=True)
            convert(s, w)

        def compile_stage(s, w) -> None:
            compile_pdf(s, warm)

        def on_stage(stage: str) -> None:
            if stage == "compile":
                print(f"ready: {self.show(settings.output('.pdf'))} ({time.time() - since:.2f} s after the "
                      "save); the draft and the checks follow", flush=True)

        try:
            run_tasks(settings, warnings, runners={"convert": convert_stage, "compile": compile_stage},
                      on_stage=on_stage)
        except PressroomError as exc:
            self._note_inputs(settings)
            return self._failed(exc)
        import json
        report = json.loads(settings.output(".check.json").read_text(encoding="utf-8"))
        failed = [r for r in report if not r["ok"]]
        if failed:
            report_findings(report, as_json=False)
        print(f"ready: {self.show(settings.output('-draft.pdf'))}, checks "
              f"{'all ok' if not failed else f'{len(failed)} failed'}, manifest "
              f"({time.time() - since:.2f} s after the save)", flush=True)
        self._note_inputs(settings)
        start_pass(settings, self.warm)   # if it cannot start, the next save runs TeX as usual
        return True

    @property
    def out_dir(self) -> Path:
        from .config import default_out_dir
        return Path(self.args.out).resolve() if self.args.out else default_out_dir(self.path)

    def build_or_report(self, saved_at: float | None = None) -> bool:
        """``build``; a failure that is pressroom's own (a bug: an exception no located error
        names) ends this build, not the watching: a save may have hit it, and the next may not."""
        try:
            return self.build(saved_at)
        except Exception as exc:   # not KeyboardInterrupt: Ctrl-C ends watching
            if getattr(self.args, "debug", False):
                raise
            print(f"error: {self.show(self.path)}: pressroom failed ({type(exc).__name__}: {exc}); "
                  "this is a bug in pressroom: `watch --debug` shows where", file=sys.stderr, flush=True)
            print("still watching: the last good outputs stay as they were; save again to rebuild",
                  flush=True)
            return False

    def _failed(self, exc: PressroomError) -> bool:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        print("still watching: the last good outputs stay as they were; save again to rebuild",
              flush=True)
        return False

    def _wait_for_manuscript(self) -> None:
        """An editor that saves by moving the old file away may not have put the new one back yet."""
        deadline = time.monotonic() + REAPPEAR
        while not self.path.exists() and time.monotonic() < deadline:
            time.sleep(0.02)

    def _note_inputs(self, settings) -> None:
        """The files whose saves rebuild: the manuscript, the bibliographies, the CSL style, the
        figures the manuscript names now, the template's files."""
        from . import facts
        from .figures import figure_files
        from .render import template_files
        found = facts.of_build(settings)
        files = [settings.manuscript, *settings.chapters, *settings.bibliographies,
                 *([settings.csl] if settings.csl else []),
                 *figure_files(settings.manuscript, found.figures), *template_files(settings.template_dir)]
        self.inputs = {os.path.abspath(p) for p in files}

    # -- the loop -----------------------------------------------------------------------

    def folders(self) -> list[str]:
        """The folders to watch: those holding an input (which exist)."""
        return sorted({os.path.dirname(p) for p in self.inputs if os.path.isdir(os.path.dirname(p))})

    def run(self) -> None:
        """Watch until Ctrl-C: a build for every save."""
        from watchfiles import watch
        while True:
            folders = self.folders()
            print(f"watching {self._what()} (Ctrl-C to stop)", flush=True)
            for changes in watch(*folders, watch_filter=lambda _change, p: os.path.abspath(p) in self.inputs,
                                 step=STEP_MS, recursive=False, raise_interrupt=True):
                changed = sorted({os.path.abspath(p) for _, p in changes})
                saved = max((_mtime(p) for p in changed), default=time.time())
                now = datetime.now().strftime("%H:%M:%S")
                names = ", ".join(self.show(Path(p)) for p in changed)
                print(f"\n[{now}] {names} saved: building", flush=True)
                self.build_or_report(min(saved, time.time()))
                if self.folders() != folders:   # a new bibliography or figure folder: watch it too
                    break

    def _what(self) -> str:
        others = len(self.inputs) - 1
        return f"{self.show(self.path)} and {others} other input{'s' if others != 1 else ''}"

    def stop(self) -> None:
        self.warm.stop()


def _mtime(path: str) -> float:
    try:
        return os.stat(path).st_mtime
    except OSError:
        return time.time()


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def cmd_watch(argv: list[str], prog: str = "pressroom") -> int:
    """``watch PATH``: build, then rebuild on every save until Ctrl-C (exit 0)."""
    from .cli import _build_parser, _show, build_lock
    from .manuscript import resolve_manuscript_path
    args = _build_parser(prog, "watch").parse_args(argv)
    path = resolve_manuscript_path(args.manuscript)
    watcher = Watcher(path, args, _show)
    from .buildfolder import claim, stop_orphans
    claim(watcher.out_dir, path, chosen=bool(args.out))
    print(f"building {_show(path)} → {_show(watcher.out_dir)}, then again on every save")
    # Ctrl-C, and the SIGTERM of whatever started the watch (an editor, a supervisor), stop it
    # alike; also when it was started with SIGINT ignored (in the background of a script).
    for stop in (signal.SIGINT, signal.SIGTERM):
        signal.signal(stop, _interrupt)
    try:
        with build_lock(watcher.out_dir):   # held while watching: no other build into this folder
            stop_orphans(watcher.out_dir)   # a waiting TeX that a killed watch left behind
            watcher.build_or_report()
            watcher.run()
    except KeyboardInterrupt:
        watcher.stop()
        print("\nstopped watching; the last good outputs are in place", flush=True)
        return 0
    finally:
        watcher.stop()
    return 0
