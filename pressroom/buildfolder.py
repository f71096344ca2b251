"""The build folder: whose it is, what a build leaves in it, and the outputs it publishes together.

- **Ours only.** pressroom marks each build folder with a ``.pressroom`` file
  naming the manuscript built there. A build goes into a folder that does not
  exist yet, an empty one, or one of ours, never into any other: ``--out /``
  or ``--out ~/papers`` is refused before anything is written. A default
  folder (``build/<name>/``) that holds another manuscript's build is refused
  too, so that two manuscripts never share one silently.
- **One set of outputs.** The outputs a build vouches for (``PUBLISHED``: the
  two PDFs, the check report and ``manifest.json``) are either all from the
  new build or all from the last good one. Before the first stage writes
  anything, the current set is kept aside (hard links in ``.last-good/``, no
  copies); a build that fails (an error, a full disk, Ctrl-C) puts it back;
  a build that was killed outright is put back by the next build before it
  starts. The ``.tex`` is not in the set: a LaTeX error names lines in the
  one that failed.
- **Nothing left over.** Temporary files (``.NAME.XXXXXXXX.tmp``) that a
  killed build left are removed when the next one starts, and so is what a
  killed TeX run may have half-written; a TeX run still going from a killed
  build is stopped.
- **doit's state** (``.doit.json``) is written atomically; one that cannot be
  read (truncated by a full disk before pressroom wrote it atomically, or
  damaged) is a warning, and every stage runs again.
- **Warnings** a stage printed are kept (``.warnings.json``), so that a build
  with nothing to do says them again, and ``--strict`` fails on them.
- **Errors**: an OSError about the folder (a full disk, a read-only file
  system, no permission) becomes one error naming the folder
  (:func:`folder_error`).
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import shutil
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from doit.dependency import JsonDB

from .errors import PressroomError, UsageError
from .tools import write_text_atomic

if TYPE_CHECKING:
    from .config import Settings

MARKER = ".pressroom"
KEPT = ".last-good"
STATE = ".doit.json"
WARNINGS = ".warnings.json"
#: what tools.atomic_write names its temporary files: ``.<name>.<8 hex>.tmp``
_TEMPORARY = re.compile(r"^\..+\.[0-9a-f]{8}\.tmp$")
#: the programs a build runs in the build folder (TeX and what latexmk starts)
_TEX_PROGRAMS = frozenset({"xelatex", "lualatex", "xetex", "luatex", "latexmk", "xdvipdfmx", "perl"})


def published(settings: Settings) -> list[Path]:
    """The outputs one build publishes together: both PDFs (and the Word file, when the build makes
    one), the check report, the manifest."""
    docx = [settings.output(".docx")] if settings.docx else []
    return [settings.output(".pdf"), settings.output("-draft.pdf"), *docx, settings.output(".check.json"),
            settings.out_dir / "manifest.json"]


# -- errors -----------------------------------------------------------------

#: free space under which a failed tool run (TeX cut off mid-write) is taken for a full disk
NEARLY_FULL = 1 << 20


def nearly_full(out_dir: Path) -> bool:
    """The build folder's file system has (almost) no space or no inodes left."""
    try:
        fs = os.statvfs(out_dir)
    except OSError:
        return False
    return fs.f_bavail * fs.f_frsize < NEARLY_FULL or (fs.f_files > 0 and fs.f_favail == 0)


def disk_full(out_dir: Path, what: str = "no space left on the device", why: str = "") -> PressroomError:
    return PressroomError(f"{what}: the build could not write its outputs{why}", file=out_dir,
                          hint="free some space on that disk (or build elsewhere with --out DIR), then "
                               "build again; the last good outputs, if there were any, are as they were")


def folder_error(exc: OSError, out_dir: Path) -> PressroomError:
    """An OSError met while building into ``out_dir``, as one located error with a hint."""
    where = Path(exc.filename) if exc.filename and exc.errno not in (errno.ENOSPC, errno.EDQUOT) \
        else out_dir
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return disk_full(out_dir, "no space left on the device" if exc.errno == errno.ENOSPC
                         else "disk quota exceeded")
    if exc.errno == errno.EROFS:
        return PressroomError("the build folder is on a read-only file system", file=out_dir,
                              hint="build into a writable folder with --out DIR")
    if exc.errno in (errno.EACCES, errno.EPERM):
        return PressroomError("permission denied: pressroom cannot write here", file=where,
                              hint="make the build folder writable for you, or build elsewhere with "
                                   "--out DIR")
    return PressroomError(f"cannot write the build: {exc.strerror or exc}", file=where,
                          hint="check the build folder and its disk, or build elsewhere with --out DIR")


# -- whose folder -------------------------------------------------------------

def default_out_dir(root: Path, manuscript: Path) -> Path:
    """``build/<folder>/`` for a folder's ``paper.md``, ``build/<folder>-<stem>/`` for any other
    Markdown file, under ``root``: two manuscripts of one folder never share a build folder."""
    name = manuscript.parent.name or "manuscript"
    return root / "build" / (name if manuscript.stem == "paper" else f"{name}-{manuscript.stem}")


def owner(out_dir: Path) -> Path | None:
    """The manuscript a build folder holds the build of (its ``.pressroom`` file), if it says."""
    try:
        data = json.loads((out_dir / MARKER).read_text(encoding="utf-8"))
        return Path(os.path.normpath(out_dir / data["manuscript"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def is_build_folder(out_dir: Path) -> bool:
    """Marked as ours, or made by a pressroom from before the mark (doit's state of our stages)."""
    if (out_dir / MARKER).is_file():
        return True
    try:
        state = json.loads((out_dir / STATE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(state, dict) and "convert" in state


def claim(out_dir: Path, manuscript: Path, *, chosen: bool) -> Callable[[], None]:
    """Make ``out_dir`` this manuscript's build folder, or refuse it (nothing written then).

    ``chosen``: the user named it (``--out``): any folder of ours will do. A
    default folder must not hold another manuscript's build. Returns what gives
    the folder back to the manuscript that held it, for a build that fails: its
    last good outputs, which stay, are that one's.
    """
    error = UsageError if chosen else PressroomError
    how = "--out" if chosen else "the default build folder"
    if out_dir.exists() and not out_dir.is_dir():
        raise error(f"{how} names a file, not a folder", file=out_dir,
                    hint="give a folder for the outputs (it is made if it does not exist)")
    if out_dir.is_dir():
        try:
            empty = next(out_dir.iterdir(), None) is None
        except OSError as exc:
            raise folder_error(exc, out_dir) from None
        if not empty and not is_build_folder(out_dir):
            raise error(f"{how} is a folder that holds other files, not a pressroom build folder",
                        file=out_dir,
                        hint="give a new or empty folder (pressroom marks its build folders with a "
                             f"{MARKER} file and replaces the outputs in them), or the build folder "
                             "of an earlier build")
        held = owner(out_dir)
        if held is not None and held != manuscript:
            if not chosen and held.is_file():
                raise PressroomError(
                    f"the default build folder holds the build of another manuscript, {held}",
                    file=out_dir,
                    hint="two manuscripts would share it (their folders have the same name): build this "
                         "one into a folder of its own with --out DIR")
            if chosen:
                print(f"note: {out_dir} held the build of {held}; it now holds this one's",
                      file=sys.stderr)
        if held == manuscript:
            return lambda: None
    try:
        before = (out_dir / MARKER).read_text(encoding="utf-8") if (out_dir / MARKER).is_file() else None
        out_dir.mkdir(parents=True, exist_ok=True)
        relative = os.path.relpath(manuscript, out_dir)
        write_text_atomic(out_dir / MARKER, json.dumps({"manuscript": relative}) + "\n")
    except OSError as exc:
        raise folder_error(exc, out_dir) from None

    def give_back() -> None:
        if before is not None:
            with contextlib.suppress(OSError):
                write_text_atomic(out_dir / MARKER, before)
    return give_back


# -- what a killed build leaves ----------------------------------------------

def clean_temporaries(out_dir: Path) -> list[Path]:
    """Remove the temporary files of an earlier build that was killed (the caller holds the lock),
    and a waiting TeX pass that a killed watch left (warmtex.py)."""
    removed = []
    for warm in (out_dir / "tex").glob("warm-*"):   # warmtex.py: tex/warm-<pid of the watch>/
        if warm.name != f"warm-{os.getpid()}":
            stop_orphans(out_dir)
            shutil.rmtree(warm, ignore_errors=True)
    for folder, dirs, files in os.walk(out_dir):
        dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(folder, d))]
        for name in files:
            if _TEMPORARY.match(name):
                path = Path(folder) / name
                try:
                    path.unlink()
                except OSError:
                    continue
                removed.append(path)
    return removed


def stop_orphans(out_dir: Path) -> list[int]:
    """Stop TeX runs that a killed build left going in ``out_dir`` (tools run in sessions of their
    own, so they outlive pressroom): the next build must not share its files with them."""
    stopped = []
    own = os.getpgrp()
    try:
        pids = [int(p) for p in os.listdir("/proc") if p.isdigit()]
    except OSError:
        return stopped
    target = str(out_dir.resolve())
    for pid in pids:
        try:
            if os.readlink(f"/proc/{pid}/cwd") != target or _parent(pid) == os.getpid():
                continue   # not in this folder, or this process's own (watch mode's waiting TeX)
            with open(f"/proc/{pid}/comm", encoding="utf-8") as fh:
                if fh.read().strip() not in _TEX_PROGRAMS:
                    continue
            group = os.getpgid(pid)
            if group != own:
                os.killpg(group, signal.SIGKILL)
                stopped.append(pid)
        except (OSError, ValueError):
            continue
    return stopped


def _parent(pid: int) -> int | None:
    with open(f"/proc/{pid}/stat", encoding="utf-8") as fh:   # pid (comm) state ppid ...
        return int(fh.read().rpartition(")")[2].split()[1])


# -- publishing the outputs together ------------------------------------------

class Publication:
    """The outputs of one build, published together or not at all (see the module's docstring).

    ``begin()`` before the first stage writes, then ``commit()`` or ``rollback()``; a
    build killed in between is rolled back by the next one's ``recover()``.
    """

    def __init__(self, settings: Settings):
        self.settings = settings
        self.kept = settings.out_dir / KEPT
        self._begun = False
        self._lock = threading.Lock()

    def begin(self) -> None:
        """Keep the current set aside (hard links: no copy, no space), once per build."""
        with self._lock:
            if self._begun:
                return
            new = self.kept.with_name(KEPT + ".new")
            shutil.rmtree(new, ignore_errors=True)
            new.mkdir()
            for path in published(self.settings):
                if path.is_file():
                    try:
                        os.link(path, new / path.name)
                    except OSError:   # a file system without hard links
                        shutil.copy2(path, new / path.name)
                else:                 # new in this build: a failure removes it
                    (new / f"{path.name}.absent").touch()
            os.replace(new, self.kept)
            self._begun = True

    def commit(self) -> None:
        """The new set is published: forget the old one."""
        with self._lock:
            if self._begun:
                shutil.rmtree(self.kept, ignore_errors=True)
                self._begun = False

    def rollback(self) -> bool:
        """Put the last good set back (outputs new in this build are removed); True if a set was kept."""
        with self._lock:
            self._begun = False
            return restore(self.settings.out_dir)

    def recover(self) -> bool:
        """At the start of a build: a set kept by a build that was killed is put back; what that
        build's TeX may have half-written is removed, and a TeX run it left going is stopped."""
        shutil.rmtree(self.kept.with_name(KEPT + ".new"), ignore_errors=True)
        if not self.kept.is_dir():
            return False
        stop_orphans(self.settings.out_dir)
        from .compile import forget_stopped_run
        forget_stopped_run(self.settings)
        return restore(self.settings.out_dir)


def restore(out_dir: Path) -> bool:
    """Put back the set kept in ``out_dir/.last-good`` (resumable: each file is moved back once)."""
    kept = out_dir / KEPT
    if not kept.is_dir():
        return False
    for entry in sorted(kept.iterdir()):
        if entry.name.endswith(".absent"):
            (out_dir / entry.name[:-len(".absent")]).unlink(missing_ok=True)
            entry.unlink()
        elif (out_dir / entry.name).exists() and os.path.samefile(entry, out_dir / entry.name):
            entry.unlink()    # unchanged (rename(2) does nothing between two links of one file)
        else:
            os.replace(entry, out_dir / entry.name)
    kept.rmdir()
    return True


# -- doit's state ---------------------------------------------------------------

#: dep file path → the OSError that kept doit's state from being saved (read by cli.run_tasks)
STATE_PROBLEMS: dict[str, OSError] = {}
_problems_lock = threading.Lock()


def state_problem(dep_file: Path) -> OSError | None:
    with _problems_lock:
        return STATE_PROBLEMS.pop(str(dep_file), None)


class StateFile(JsonDB):
    """doit's JSON state, written atomically and read leniently (doit backend ``pressroom-json``).

    doit's own JSON backend rewrites the file in place (a full disk leaves it
    cut off) and stops every later build with a traceback when it cannot be
    parsed. Here a state that cannot be read is a warning and an empty state
    (every stage runs again); a state that cannot be written is recorded for
    the build to report (``state_problem``), the old state staying whole.
    """

    desc = "doit's JSON state, written atomically, a damaged one rebuilt"

    def __init__(self, name, codec, *, module_name=None):
        self.name, self.codec = name, codec
        self._read: str | None = None
        self._db = self._load() if os.path.exists(name) else {}

    def _load(self) -> dict:
        try:
            with open(self.name, encoding="utf-8") as fh:
                self._read = fh.read()
            data = self.codec.decode(self._read)
            why = None if isinstance(data, dict) and all(isinstance(v, dict) for v in data.values()) \
                else "not doit's state"
        except (OSError, ValueError) as exc:
            data, why = {}, ("truncated or damaged" if isinstance(exc, ValueError) else exc.strerror)
        if why is not None:
            print(f"warning: {self.name}: the build state cannot be read ({why}): every stage runs "
                  "again, and it is written anew", file=sys.stderr)
            return {}
        return data

    def dump(self) -> None:
        text = self.codec.encode(self._db)
        if text == self._read:   # nothing new: not rewritten (a build with nothing to do writes nothing)
            return
        try:
            write_text_atomic(Path(self.name), text)
        except OSError as exc:
            with _problems_lock:
                STATE_PROBLEMS[str(self.name)] = exc


# -- the stages' warnings --------------------------------------------------------

class StageWarnings:
    """The warnings each stage printed when it last ran (``.warnings.json``)."""

    def __init__(self, out_dir: Path):
        self.path = out_dir / WARNINGS
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            data = {}
        self.by_stage: dict[str, list[list]] = {
            k: [list(w) for w in v if isinstance(w, list) and len(w) == 3]
            for k, v in (data.items() if isinstance(data, dict) else ()) if isinstance(v, list)}
        self._lock = threading.Lock()

    def of(self, stage: str) -> list[tuple[str, str | None, int | None]]:
        return [tuple(w) for w in self.by_stage.get(stage, [])]

    def set(self, stage: str, warnings: list[tuple[str, str | None, int | None]]) -> None:
        with self._lock:
            new = [[m, str(f) if f is not None else None, ln] for m, f, ln in warnings]
            if self.by_stage.get(stage, []) == new:
                return
            if new:
                self.by_stage[stage] = new
            else:
                self.by_stage.pop(stage, None)
            write_text_atomic(self.path, json.dumps(self.by_stage, ensure_ascii=False, indent=1) + "\n")
