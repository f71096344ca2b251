"""The one place external tools run: output captured, limits applied, failures made readable.

Every tool (pandoc, the TeX engines, latexmk, xdvipdfmx, pdftotext, git) runs
through :func:`run` or :func:`start`, which guarantee three things:

- **No path is read as an option.** Callers give every path the user chose (a
  manuscript named ``-d.md``, a PDF named ``--help.pdf``) through
  :func:`operand`, which gives a relative path starting with ``-`` a ``./``;
  pandoc's inputs go after ``--`` (``run_pandoc(inputs=...)``), and paths in
  pandoc's options are written ``--opt=PATH``. :func:`run_pandoc` also refuses
  any option-like argument it does not know, so a file name that reached the
  options by mistake fails instead of loading a defaults file or a Lua filter.
  (Names TeX itself would read as TeX are refused by the compile stage.)
- **Limits.** Each run has a wall-clock time limit and a memory limit
  (:class:`Limits`, from the settings): the tool starts in a session of its
  own with ``RLIMIT_AS`` (address space, per process) and ``RLIMIT_CPU`` (a
  backstop that ends a looping tool even if pressroom itself is killed), and
  at the time limit its whole process group is killed, so latexmk's TeX dies
  with it. Hitting a limit is a :class:`LimitExceeded` naming the stage, the
  tool and the limit.
- **Readable failures.** A missing tool is a :class:`ToolMissing` saying what
  installs it; a missing working folder is said as such; a failed tool is a
  :class:`ToolError` with the tail of its error output.

A run may also be confined (``sandbox=``, a :class:`Confinement` such as
:class:`pressroom.sandbox.Sandbox`): the command and its environment are then
the sandbox's, under the same limits, and the tool is still named as itself.
"""

from __future__ import annotations

import errno
import functools
import importlib.util
import math
import os
import re
import resource
import secrets
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from .errors import LimitExceeded, ToolError, ToolMissing
from .locations import CHECKOUT

#: Seconds one run of one tool may take. The corpus paper (28 pages) takes about 1 s per TeX
#: pass and 0.25 s of pandoc; ten times that paper, 300 pages, 5.5 s for the whole build.
DEFAULT_TIME_LIMIT = 300.0
#: MB of address space one process may map. Measured on the corpus paper: pandoc runs in
#: 250 MB, XeLaTeX needs 250-400 MB, LuaLaTeX 400 MB; pandoc on the paper ten times over, 300 MB.
DEFAULT_MEMORY_LIMIT = 2048

#: In a checkout, build.py's set-up installs the tools; an installed pressroom says what to install.
_INSTALL_HINT = ("run `python3 build.py` once: its set-up installs {what}" if CHECKOUT else
                 "install {what}, which pressroom needs")
#: What installs each tool (build.py's set-up does, from Debian, or pypandoc-binary in .venv).
_PROVIDED_BY = {
    "xelatex": "TeX Live (Debian package texlive-xetex)",
    "lualatex": "TeX Live (Debian package texlive-luatex)",
    "xdvipdfmx": "TeX Live (Debian package texlive-xetex)",
    "latexmk": "latexmk (Debian package latexmk)",
    "latexdiff": "latexdiff (Debian package latexdiff)",
    "kpsewhich": "TeX Live (Debian package texlive-binaries)",
    "pdftotext": "poppler-utils (Debian package poppler-utils)",
    "git": "git (Debian package git)",
    "bwrap": "bubblewrap (Debian package bubblewrap)",
}
#: What a tool says when an allocation failed (pandoc, TeX's xmalloc, C++, Python).
_OUT_OF_MEMORY = re.compile(rb"out of memory|memory exhausted|cannot allocate memory|bad_alloc|"
                            rb"MemoryError|not enough memory", re.IGNORECASE)


@dataclass(frozen=True)
class Limits:
    """What one run of one external tool may use."""

    time: float = DEFAULT_TIME_LIMIT     # seconds, wall clock (and CPU, as a backstop)
    memory: int = DEFAULT_MEMORY_LIMIT   # MB of address space, for each process the tool starts

    def describe_time(self) -> str:
        return f"{self.time:g} s"


#: The limits of a tool run whose caller has no settings (the notes command, the tests).
DEFAULT_LIMITS = Limits()


class Confinement(Protocol):
    """Where a tool runs when it must see less than pressroom does (``--safe``: sandbox.py)."""

    def wrap(self, args: list[str]) -> list[str]:
        """The command that runs ``args`` inside."""

    def environment(self, env: dict[str, str]) -> dict[str, str]:
        """The whole environment inside, given the variables the tool needs."""


def operand(path: str | os.PathLike) -> str:
    """A path as a command-line operand that no tool can read as an option.

    A relative path starting with ``-`` gets ``./``; every other path is
    unchanged (so the usual names give the usual command lines and bytes).
    """
    text = os.fspath(path)
    return f"./{text}" if text.startswith("-") else text


@functools.cache
def pandoc_path() -> str:
    """The pandoc that pypandoc-binary ships: the same version on every machine.

    Taken from beside the package, not from ``pypandoc.get_pandoc_path()``:
    that one runs every pandoc it can find to ask its version (80 ms) and takes
    the newest, so a pandoc on PATH would replace the pinned one.
    """
    spec = importlib.util.find_spec("pypandoc")
    exe = Path(spec.origin).parent / "files" / "pandoc" if spec and spec.origin else None
    if exe is None or not exe.is_file():
        raise ToolMissing("pandoc is not installed (the pandoc of pypandoc-binary is missing)",
                          hint=_INSTALL_HINT.format(what="pypandoc-binary (pinned in requirements.lock)"))
    return str(exe)


class Running:
    """A tool started by :func:`start`; :meth:`wait` collects it within its time limit."""

    def __init__(self, proc: subprocess.Popen, *, name: str, limits: Limits, stage: str | None,
                 file: Path | None, input: bytes | None, started: float, confined: bool = False):
        self.proc, self.name, self.limits = proc, name, limits
        self.stage, self.file, self._input, self.started = stage, file, input, started
        self.confined = confined

    def wait(self, *, check: bool = True) -> subprocess.CompletedProcess:
        """Wait for the tool; raise LimitExceeded at its limits, ToolError on failure (``check``)."""
        remaining = max(0.0, self.started + self.limits.time - time.monotonic())
        try:
            out, err = self.proc.communicate(self._input, timeout=remaining)
        except subprocess.TimeoutExpired:
            self._kill()
            raise self._time_error() from None
        except BaseException:          # Ctrl-C: the tool is in a session of its own, so it
            self._kill()               # did not get the terminal's SIGINT; stop it here
            raise
        code = self.proc.returncode
        if self.confined and 128 < code < 128 + 65:
            code = -(code - 128)   # bubblewrap says "ended by signal N" as 128 + N, as a shell does
        if code != 0:
            if code == -signal.SIGXCPU or (code == -signal.SIGKILL
                                           and self._elapsed() >= self.limits.time * 0.9):
                raise self._time_error()   # the CPU-time backstop (soft, then hard) ended it
            if code in (-signal.SIGSEGV, -signal.SIGABRT, -signal.SIGKILL, -signal.SIGBUS) \
                    or _OUT_OF_MEMORY.search(err or b""):
                raise self._memory_error(code, err)
        if self.confined and code != 0 and re.search(rb"^bwrap: execvp .*: No such file", err or b"", re.M):
            what = _PROVIDED_BY.get(self.name, self.name)
            raise ToolMissing(f"{self._who()} is not installed (not found inside the sandbox)",
                              file=self.file, hint=_INSTALL_HINT.format(what=what))
        if check and code != 0:
            text = (err or out).decode("utf-8", "replace").strip()
            tail = "\n".join(text.splitlines()[-15:])
            raise ToolError(f"{self._who()} failed (exit {code}):\n{tail}", file=self.file)
        return subprocess.CompletedProcess(self.proc.args, code, out, err)

    def stop(self) -> None:
        """Stop the tool (its whole process group) if it is still running, and reap it."""
        self._kill()

    def _elapsed(self) -> float:
        return time.monotonic() - self.started

    def _who(self) -> str:
        return f"{self.stage}: {self.name}" if self.stage else self.name

    def _kill(self) -> None:
        """Kill the tool's whole process group (latexmk's TeX too), then reap it."""
        if self.proc.returncode is None:   # not reaped: its pid, the group's id, is still ours
            with suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
        with suppress(subprocess.TimeoutExpired):   # a member that left the group
            self.proc.communicate(timeout=5)

    def _time_error(self) -> LimitExceeded:
        return LimitExceeded(
            f"{self._who()} did not finish within the time limit of {self.limits.describe_time()} "
            "and was stopped", file=self.file,
            hint=f"the limit is per tool run; an honest paper needs seconds, while some inputs make "
                 f"a tool run forever (deeply nested brackets, a TeX macro that calls itself). "
                 f"If this paper needs longer, raise it: --time-limit SECONDS, or `time_limit` in "
                 f"the template's settings.toml (default {DEFAULT_TIME_LIMIT:g})")

    def _memory_error(self, code: int, err: bytes | None) -> LimitExceeded:
        how = ("ran out of memory" if _OUT_OF_MEMORY.search(err or b"") else
               f"was ended by {signal.Signals(-code).name}, most likely for lack of memory,")
        return LimitExceeded(
            f"{self._who()} {how} under the memory limit of {self.limits.memory} MB per process",
            file=self.file,
            hint=f"an honest paper needs a few hundred MB; if this one needs more, raise it: "
                 f"--memory-limit MB, or `memory_limit` in the template's settings.toml "
                 f"(default {DEFAULT_MEMORY_LIMIT})")


def _set_limits(memory: int, cpu: int, cpu_hard: int, parent: int | None = None,
                prctl: Callable[..., int] | None = None) -> None:
    """In the child, between fork and exec: only setrlimit (and prctl), no imports, no locks.
    ``parent``: the child is killed when the thread that started it ends (``prctl``: libc's)."""
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    # soft: SIGXCPU, which ends the tool; hard, a few seconds later: SIGKILL
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu_hard))
    if parent is not None and prctl is not None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:   # the parent ended before prctl
            os._exit(1)


#: prctl's option: the signal a process gets when the thread that started it ends
_PR_SET_PDEATHSIG = 1


@functools.cache
def _prlimit() -> str | None:
    """util-linux's prlimit (Debian: an essential package), or None."""
    return shutil.which("prlimit")


def _through_prlimit(command: list[str], env: dict[str, str] | None, memory: int, cpu: int,
                     cpu_hard: int) -> list[str] | None:
    """``command`` run through prlimit, which sets the limits in the new process and then execs the
    tool: Python can then start it with vfork. A preexec_fn (setrlimit between fork and exec) makes
    it copy this whole process first: 18 ms of CPU a tool in the test suite's process, against
    1.3 ms. None where there is no prlimit. A tool not found is a FileNotFoundError, as from Popen."""
    prlimit = _prlimit()
    if prlimit is None:
        return None
    path = (env if env is not None else os.environ).get("PATH", os.defpath)
    exe = shutil.which(command[0], path=path)
    if exe is None:
        raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), command[0])
    return [prlimit, f"--as={memory}:{memory}", f"--cpu={cpu}:{cpu_hard}", "--", exe, *command[1:]]


@functools.cache
def _prctl() -> Callable[..., int] | None:
    """libc's prctl (Linux), loaded before any fork; None where there is none."""
    import ctypes
    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


#: The signals that end a build: Ctrl-C, and SIGTERM in watch mode (Python's handlers raise
#: KeyboardInterrupt; the tool being waited for is then stopped, Running.wait).
INTERRUPTS = (signal.SIGINT, signal.SIGTERM)


def _hold_interrupts() -> tuple[list[int], dict]:
    """Python's handlers of the interrupts replaced by one that notes them (in the main thread,
    where Python runs its handlers, whichever thread the signal came to): the interrupts noted,
    and the handlers to put back (:func:`_release_interrupts`)."""
    held: list[int] = []
    previous = {}
    if threading.current_thread() is threading.main_thread():
        for sig in INTERRUPTS:
            if callable(signal.getsignal(sig)):   # not the default action, not ignored
                previous[sig] = signal.signal(sig, lambda signum, _frame: held.append(signum))
    return held, previous


def _release_interrupts(held: list[int], previous: dict) -> None:
    """The handlers put back; an interrupt that came meanwhile is delivered to them now."""
    for sig, handler in previous.items():
        signal.signal(sig, handler)
    for sig in held[:1]:
        signal.raise_signal(sig)


def _lowered(kind: int, wanted: int) -> int:
    """``wanted``, or the current hard limit if that is lower (raising it is not allowed)."""
    hard = resource.getrlimit(kind)[1]
    return wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)


def start(args: Sequence[str | os.PathLike], *, cwd: Path | None = None,
          env: dict[str, str] | None = None, input: bytes | None = None,
          what: str | None = None, limits: Limits = DEFAULT_LIMITS, stage: str | None = None,
          file: Path | None = None, sandbox: Confinement | None = None,
          die_with_parent: bool = False) -> Running:
    """Start a tool in a session of its own, under ``limits``; :meth:`Running.wait` collects it.

    Paths in ``args`` must already be operands (:func:`operand`, or after ``--``).
    ``stage`` and ``file`` (what the tool works on) go into the error messages.
    ``sandbox``: run it confined; ``env`` is then all the tool gets besides the sandbox's own.
    ``die_with_parent``: the tool is killed if pressroom is (a TeX waiting for input that only
    this process would give: warmtex.py); started from a thread that outlives it.
    """
    name = what or Path(str(args[0])).name
    command = [os.fspath(a) for a in args]
    if sandbox is not None:
        command, env = sandbox.wrap(command), sandbox.environment(dict(env or {}))
    memory = _lowered(resource.RLIMIT_AS, limits.memory * 1024 * 1024)
    cpu_hard = _lowered(resource.RLIMIT_CPU, math.ceil(limits.time) + 6)
    cpu = min(math.ceil(limits.time) + 1, cpu_hard)
    who = f"{stage}: {name}" if stage else name
    # Ctrl-C is held back until the tool is started and recorded, so that Running can stop it:
    # raised inside Popen, it would leave the tool running unrecorded, and raised in the fork
    # handlers Python runs around a fork with a preexec_fn (logging's), it is printed and dropped
    # ("Exception ignored"): the build went on to the end and exited 0.
    held, handlers = _hold_interrupts()
    running = None
    try:
        limited = None if die_with_parent else _through_prlimit(command, env, memory, cpu, cpu_hard)
        proc = subprocess.Popen(limited or command, cwd=cwd, env=env,
                                stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                start_new_session=True,
                                # _set_limits only calls setrlimit (and prctl): safe beside other threads
                                preexec_fn=None if limited else functools.partial(
                                    _set_limits, memory, cpu, cpu_hard,
                                    *((os.getpid(), _prctl()) if die_with_parent else ())))
        running = Running(proc, name=name, limits=limits, stage=stage, file=file, input=input,
                          started=time.monotonic(), confined=sandbox is not None)
    except FileNotFoundError as exc:
        if cwd is not None and exc.filename is not None and os.fspath(exc.filename) == os.fspath(cwd):
            raise ToolError(f"{who}: the folder to run it in does not exist", file=cwd,
                            hint="was it removed while the build ran? build again") from None
        raise ToolMissing(f"{who} is not installed (`{args[0]}` not found)", file=file,
                          hint=_INSTALL_HINT.format(what=_PROVIDED_BY.get(name, name))) from None
    except PermissionError as exc:
        raise ToolError(f"{who} cannot be run: {exc.strerror}: {exc.filename}", file=file,
                        hint="check the permissions of the tool and of the build folder") from None
    finally:
        try:
            _release_interrupts(held, handlers)   # a Ctrl-C held back is raised here
        except BaseException:
            if running is not None:
                running.stop()
            raise
    return running


def run(args: Sequence[str | os.PathLike], *, cwd: Path | None = None,
        env: dict[str, str] | None = None, input: bytes | None = None,
        what: str | None = None, limits: Limits = DEFAULT_LIMITS, stage: str | None = None,
        file: Path | None = None, check: bool = True,
        sandbox: Confinement | None = None) -> subprocess.CompletedProcess:
    """Run a tool under ``limits`` (confined in ``sandbox``, if given); on failure (``check``)
    raise ToolError with its error output."""
    return start(args, cwd=cwd, env=env, input=input, what=what, limits=limits, stage=stage,
                 file=file, sandbox=sandbox).wait(check=check)


#: The pandoc options pressroom passes (``--name`` or ``--name=value``). Anything else that
#: looks like an option is a file name that reached the options by mistake: refused.
PANDOC_OPTIONS = frozenset({"--from", "--to", "--wrap", "--standalone", "--template", "--citeproc",
                            "--csl", "--version", "--output", "--reference-doc", "--number-sections",
                            "--print-default-data-file", "--top-level-division"})


def run_pandoc(args: Sequence[str | os.PathLike], *, inputs: Sequence[str | os.PathLike] = (),
               cwd: Path | None = None, input: bytes | None = None, limits: Limits = DEFAULT_LIMITS,
               stage: str | None = None, file: Path | None = None,
               sandbox: Confinement | None = None, env: dict[str, str] | None = None) -> bytes:
    """pandoc ``args`` then ``--`` and the ``inputs`` (files, never read as options); its stdout
    (confined in ``sandbox``, if given; ``env``: its whole environment)."""
    return start_pandoc(args, inputs=inputs, cwd=cwd, input=input, limits=limits, stage=stage, file=file,
                        sandbox=sandbox, env=env).wait().stdout


def start_pandoc(args: Sequence[str | os.PathLike], *, inputs: Sequence[str | os.PathLike] = (),
                 cwd: Path | None = None, input: bytes | None = None, limits: Limits = DEFAULT_LIMITS,
                 stage: str | None = None, file: Path | None = None,
                 sandbox: Confinement | None = None, env: dict[str, str] | None = None) -> Running:
    """run_pandoc's pandoc, started: :meth:`Running.wait` collects it."""
    for arg in map(os.fspath, args):
        if arg.startswith("-") and arg.split("=", 1)[0] not in PANDOC_OPTIONS:
            raise ToolError(f"refusing to pass `{arg}` to pandoc: it is not an option pressroom uses, "
                            "so it is most likely a file name read as an option",
                            file=file or (Path(cwd) / arg if cwd is not None else None),
                            hint="rename the file so that it does not start with `-`")
    try:
        exe = pandoc_path()
    except ToolMissing as exc:
        raise ToolMissing(f"{stage}: {exc.message}" if stage else exc.message, file=file,
                          hint=exc.hint) from None
    command = [exe, *args, *(["--", *map(operand, inputs)] if inputs else [])]
    return start(command, cwd=cwd, env=env, input=input, what="pandoc", limits=limits, stage=stage,
                 file=file, sandbox=sandbox)


def _new_file_beside(target: Path) -> tuple[int, Path]:
    """Create an empty temporary file beside ``target``; its descriptor and path.

    Made with mode 0666 less the umask, as the kernel makes any new file (not
    tempfile.mkstemp's 0600): the output renamed into place is then readable by
    whom the user's umask lets read a new file (0644 under umask 022).
    """
    for _ in range(100):
        tmp = target.parent / f".{target.name}.{secrets.token_hex(4)}.tmp"
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name beside {target}")


@contextmanager
def atomic_write(target: Path, mode: str = "wb") -> Iterator:
    """Write to a temporary file beside ``target``, then rename it into place.

    A failure or Ctrl-C while writing leaves the previous ``target`` untouched.
    The file gets the mode any new file gets under the umask. Text is UTF-8.
    Every output of a build is written through here (PDFs: _pdfio.save_atomic).
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = _new_file_beside(target)
    try:
        with os.fdopen(fd, mode, **({} if "b" in mode else {"encoding": "utf-8"})) as fh:
            yield fh
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_text_atomic(target: Path, text: str) -> Path:
    with atomic_write(target, "w") as fh:
        fh.write(text)
    return target
