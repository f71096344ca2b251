"""A XeLaTeX pass started before the ``.tex`` it typesets is made (watch mode, and every build).

Most of a XeLaTeX pass is spent before the first page: the format, the
packages and the fonts of the preamble (70–80 % of a pass on the corpus
paper). Watch mode starts the next pass as soon as a build has finished; a
build (:func:`early_pass`) starts it when the convert stage starts, so that
TeX reads its preamble while pandoc and the citations make the body: TeX
reads the preamble of the current ``.tex``, then waits, reading the rest of
the document from a named pipe. When the next save renders a ``.tex`` with the
same preamble (and the same TeX command and environment), the rest is written
into the pipe and only the pages are left to typeset. Anything else (a new
header field or template, a LaTeX error, TeX gone) stops the waiting TeX and
the pass runs as usual, which also gives the usual located error. A first
build, with no ``.tex`` yet, starts it with the convert stage on the preamble
the render stage will most likely make (render.likely_preamble). A document
that needs latexmk (tables, cross-references) is done after that pass when
the pass read back what it wrote (latexmk would stop there too); otherwise
latexmk goes on from it (compile.py).

The ``.xdv`` is byte for byte a usual pass's: the same commands and
environment, the same ``.aux`` read back, and TeX reads the rest with its
primitive ``\\input``, which adds nothing to the document. (XeTeX sniffs the
first bytes of an input file for a byte-order mark and rewinds, which a pipe
cannot do: the rest starts with a comment line, ``%%%``, of which the sniff
may take two characters and leave a comment.)

The waiting TeX works in ``tex/warm-<pid>/``, with its own log, so the log of the
run that made the current PDF stays for the checks; its outputs move into
``tex/`` when it has finished. The time limit counts from the moment the
rest is written; the memory limit is the usual one. A waiting TeX is killed
with pressroom (prctl's parent-death signal; in the sandbox, bubblewrap's
``--die-with-parent`` passes it on), so a killed build leaves none behind;
pressroom holds the pipe open from the start, so TeX never waits to open it.
"""

from __future__ import annotations

import os
import select
import shutil
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .config import Settings
from .errors import LimitExceeded, ToolError
from .tools import Running, start

_DRIVER = "warm.tex"
_PIPE = "rest.fifo"
#: what the rest starts with: a comment whatever the byte-order sniff takes from it
_LEAD = "%%%\n"
#: what a pass writes that is not read back by the next one
_NOT_READ_BACK = (".log", ".xdv", ".pdf")


class WarmTex:
    """At most one waiting XeLaTeX pass of one build folder (watch mode holds the folder's lock)."""

    def __init__(self) -> None:
        self._running: Running | None = None
        self._key: tuple | None = None
        self._folder: Path | None = None
        #: the pipe's end pressroom holds (read and write: opening it waits for no one)
        self._pipe_fd: int | None = None
        #: the thread writing the rest into the pipe
        self._writer: threading.Thread | None = None
        #: how many passes the waiting TeX shortened (for the tests and the benchmark)
        self.used = 0

    def start(self, settings: Settings, command: list[str], env: dict[str, str], sandbox,
              preamble: str | None = None) -> None:
        """Start the pass ``command`` (a XeLaTeX ``-no-pdf`` run of ``<stem>.tex`` in the build
        folder, as compile.tex_commands gives it) up to the end of the current preamble, or of
        ``preamble`` (a guess of the next one, for a build folder with no ``.tex`` yet)."""
        self.stop()
        preamble = preamble or _preamble(settings.output(".tex"))
        if preamble is None:
            return
        aux = settings.out_dir / "tex"
        # named after this process: a build can tell the folder of a watch that was killed
        folder = self._folder = aux / f"warm-{os.getpid()}"   # set first: stop() removes it
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        for path in aux.glob(f"{settings.stem}.*"):   # what the pass reads back from the last one
            if path.is_file() and path.suffix not in _NOT_READ_BACK:
                shutil.copyfile(path, folder / path.name)
        pipe = folder / _PIPE
        os.mkfifo(pipe)
        self._pipe_fd = os.open(pipe, os.O_RDWR)   # not inherited (os.open's descriptors never are)
        inside = f"tex/{folder.name}"
        (folder / _DRIVER).write_text(
            preamble + f"\\csname @@input\\endcsname {inside}/{_PIPE}\\relax\n", encoding="utf-8")
        warm = [a for a in command[:-1] if not a.startswith("-output-directory=")]
        warm += [f"-output-directory={inside}", f"-jobname={settings.stem}", f"{inside}/{_DRIVER}"]
        # Ctrl-C waits until the process is recorded, so that stop() can always end it
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            self._running = start(warm, cwd=settings.out_dir, env=env, limits=settings.limits,
                                  stage="compile", file=settings.manuscript, sandbox=sandbox,
                                  die_with_parent=True)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        self._key = _key(settings, command, env, preamble)

    def take(self, settings: Settings, command: list[str], env: dict[str, str]) -> bool:
        """Run the pass ``command`` with the waiting TeX if it was started for it: True when the
        pass is done (its outputs in ``tex/``); False when the caller must run it as usual."""
        running, folder = self._running, self._folder
        if running is None or folder is None:
            return False
        preamble = _preamble(settings.output(".tex"))
        if preamble is None or self._key != _key(settings, command, env, preamble) \
                or running.proc.poll() is not None:
            self.stop()
            return False
        rest = settings.output(".tex").read_text(encoding="utf-8")[len(preamble):]
        self._running = None   # whatever happens now, this TeX is used up
        self._writer = _deliver(running, self._pipe_fd, _LEAD + rest) if self._pipe_fd is not None else None
        if self._writer is None:
            self._discard(running)
            return False
        running.started = time.monotonic()   # the time limit counts from here
        try:
            running.wait(check=True)
        except LimitExceeded:  # a limit (a ToolError too): the usual pass would only spend it again
            self._discard(running)
            raise
        except ToolError:      # a LaTeX error: the usual pass gives the located one
            self._discard(running)
            return False
        except BaseException:  # a limit, Ctrl-C: wait() has stopped it
            self._discard(running)
            raise
        for path in folder.iterdir():
            if path.name not in (_DRIVER, _PIPE):
                os.replace(path, folder.parent / path.name)
        self._discard(running)
        self.used += 1
        return True

    @property
    def waiting(self) -> bool:
        """Whether a TeX was started and waits for the rest."""
        return self._running is not None

    def stop(self) -> None:
        """Stop the waiting TeX, if any, and remove its folder."""
        running, self._running = self._running, None
        self._discard(running)

    def _discard(self, running: Running | None) -> None:
        if running is not None:
            running.stop()
        if self._writer is not None:   # TeX has ended: the writer stops within a moment
            self._writer.join()
            self._writer = None
        if self._pipe_fd is not None:  # after the writer: never a descriptor number used again
            fd, self._pipe_fd = self._pipe_fd, None
            os.close(fd)
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)


def _preamble(tex: Path) -> str | None:
    """The ``.tex`` up to the line that begins the document (None: no such line)."""
    try:
        text = tex.read_text(encoding="utf-8")
    except OSError:
        return None
    at = text.find("\n\\begin{document}")
    return text[:at + 1] if at >= 0 else None


def _key(settings: Settings, command: list[str], env: dict[str, str], preamble: str) -> tuple:
    return (str(settings.out_dir), settings.stem, tuple(command), tuple(sorted(env.items())),
            settings.limits, settings.safe, preamble)


def _deliver(running: Running, fd: int, text: str) -> threading.Thread | None:
    """Start writing ``text`` into the pipe TeX reads, from a thread (TeX reads it as it
    typesets); None if TeX has already ended. The thread stops when all is written or TeX has
    ended (which the caller waits for before closing ``fd``)."""
    if running.proc.poll() is not None:
        return None
    data = memoryview(text.encode("utf-8"))
    os.set_blocking(fd, False)

    def write() -> None:
        rest = data
        while rest:
            try:
                rest = rest[os.write(fd, rest[:65536]):]
            except BlockingIOError:   # the pipe is full: TeX is typesetting what it holds
                if running.proc.poll() is not None:
                    return
                select.select([], [fd], [], 0.05)
            except OSError:
                return

    writer = threading.Thread(target=write, daemon=True, name="pressroom-warm-tex")
    writer.start()
    return writer


def start_pass(settings: Settings, warm: WarmTex, *, guess: bool = False) -> None:
    """Start ``warm``'s pass on the current ``.tex``'s preamble (``guess``: with no ``.tex`` yet,
    on the guessed one), if it can be started: else the pass runs as usual when its time comes."""
    # here: a build with nothing to do imports no stage's module
    from .compile import start_warm
    from .errors import PressroomError
    try:
        start_warm(settings, warm, guess=guess)
    except (OSError, PressroomError):
        warm.stop()


@contextmanager
def early_pass(settings: Settings, *, guess: bool = True, changed: bool | None = None) -> Iterator[dict]:
    """The runners (tasks.Runner) of a build whose first XeLaTeX pass starts early, on the last
    build's preamble, and is taken by the compile stage when the new ``.tex`` has the same one (a
    body edited: most edits). It starts at once when the manuscript is newer than the last
    ``.tex`` and not only its draft wording changed (TeX reads its preamble while pandoc reads
    the manuscript), else with the convert stage, if that runs; a waiting TeX that no stage
    took is stopped when the build ends. With no ``.tex`` yet (a first build) it starts with the
    convert stage on a guessed preamble, unless ``guess`` is False. ``changed``: whether more
    than the draft wording changed (facts.body_unchanged), when the caller has asked already."""
    if settings.engine != "xelatex":
        yield {}
        return
    warm = WarmTex()

    def convert_stage(settings: Settings, warnings) -> None:
        from .convert import run as convert
        if not warm.waiting:
            start_pass(settings, warm, guess=guess)
        convert(settings, warnings)

    def compile_stage(settings: Settings, warnings) -> None:
        from .compile import compile_pdf
        compile_pdf(settings, warm)

    try:
        if changed is None:
            from .facts import body_unchanged
            changed = not body_unchanged(settings.manuscript, settings.out_dir, settings.chapters)
        if changed and _newer(settings.manuscript, settings.output(".tex")):   # not for a new draft wording
            start_pass(settings, warm)
        yield {"convert": convert_stage, "compile": compile_stage}
    finally:
        warm.stop()


def _newer(path: Path, than: Path) -> bool:
    """Whether ``path`` was changed after ``than`` was written (False if either is missing)."""
    try:
        return path.stat().st_mtime_ns > than.stat().st_mtime_ns
    except OSError:
        return False
