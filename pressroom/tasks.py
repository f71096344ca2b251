"""The doit tasks, one per stage: wiring only (file_dep, targets, uptodate).

doit runs as a library: :class:`BuildLoader` is a ``TaskLoader2`` that is
handed one build's settings, warnings and reporter and gives doit that
build's tasks and configuration. Nothing is kept in module globals, so two
builds in one process (a test, a batch, a watch mode) cannot see each
other's settings, failures or progress.

Each stage is a plain function in :mod:`pressroom.stages`; a task declares
its real inputs and outputs and, through ``config_changed``, just the
settings it reads, so only what changed reruns. The top-level ``dodo.py``
of a checkout wraps :func:`dodo_namespace` for doit's own command line
(``doit manuscript=PATH [out=DIR] [template=NAME]``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from doit.cmd_base import TaskLoader2
from doit.cmd_run import Run
from doit.dependency import JsonDB
from doit.doit_cmd import DoitMain
from doit.exceptions import TaskFailed
from doit.loader import generate_tasks
from doit.plugin import PluginDict
from doit.tools import config_changed

from .buildfolder import STATE, Publication, StageWarnings, StateFile, disk_full, folder_error, nearly_full
from .errors import PressroomError, Warnings

if TYPE_CHECKING:
    from doit.reporter import ConsoleReporter
    from doit.task import Task

    from .config import Settings
    from .stages import Stage

#: Every stage of a PDF build, in order; the build runs them all (and ``docx`` before ``check``
#: when it makes a Word file: ``outputs: [pdf, docx]``).
STAGE_NAMES = ("convert", "render", "compile", "stamp", "check", "manifest")
DOCX_STAGE = "docx"


#: doit's backend for the build's state: buildfolder.StateFile (atomic, a damaged one rebuilt)
STATE_BACKEND = "pressroom-json"


def doit_config(out_dir: Path, reporter: ConsoleReporter | None = None, *, backend: str = "json",
                tasks: list[str] | None = None) -> dict:
    """doit's configuration for a build into ``out_dir`` (its state lives there too).

    ``backend``: STATE_BACKEND when doit runs through run_doit (the build does; doit's own
    command line reads the same file with its JSON backend). ``tasks``: the stages to run, in
    order (default: all that the build's settings make, as doit finds them).
    """
    config = {"backend": backend, "verbosity": 0, "dep_file": str(out_dir / STATE)}
    if tasks is not None:
        config["default_tasks"] = tasks
    if reporter is not None:
        config["reporter"] = reporter
    return config


def _sha256(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def _as_written(outputs: tuple[Path, ...]):
    """doit's uptodate check that the stage's outputs are what it wrote: an output edited by hand,
    or put back from the last good build, makes the stage run again."""
    def uptodate(task, values) -> bool:
        written = values.get("outputs") if isinstance(values, dict) else None
        return isinstance(written, dict) and all(written.get(str(p)) == _sha256(p) for p in outputs)
    return uptodate


def _no_kept_warnings(stage: str, kept: StageWarnings | None, warnings: Warnings):
    """--strict: a stage whose last run warned runs again (and fails on the warning)."""
    def uptodate() -> bool:
        return not (warnings.strict and kept is not None and kept.of(stage))
    return uptodate


#: a stage's ``run(settings, warnings)``, for a build that runs one its own way (watch mode's compile)
Runner = Callable[["Settings", Warnings], None]


def _action(stage: Stage, settings: Settings, warnings: Warnings, failures: list[PressroomError],
            build: BuildState | None, runner: Runner | None = None, later: tuple[str, ...] = ()):
    """doit's action for ``stage``; ``later``: the stages of this build after it (their imports are
    warmed up while it runs)."""
    def action():
        from .stages import RUNNERS, warm_up
        try:
            settings.out_dir.mkdir(parents=True, exist_ok=True)
            if build is not None:
                build.publication.begin()   # the last good outputs, kept aside before any is replaced
            warm_up((stage.name, *later))   # later stages' imports, while this one waits on pandoc or TeX
            first = len(warnings.records)
            (runner or RUNNERS[stage.name])(settings, warnings)
            if build is not None:
                build.warnings.set(stage.name, warnings.records[first:])
        except PressroomError as exc:
            if nearly_full(settings.out_dir):   # e.g. TeX's output cut off by a full disk
                first = exc.message.splitlines()[0] if exc.message else ""
                exc = disk_full(settings.out_dir, why=f" ({stage.name} failed: {first})")
                _forget_cut_off(settings)
            failures.append(exc)
            return TaskFailed(str(exc))   # what doit's own command line prints
        except OSError as exc:            # a full disk, a read-only folder: named, not a traceback
            if nearly_full(settings.out_dir):
                _forget_cut_off(settings)
            failures.append(folder_error(exc, settings.out_dir))
            return TaskFailed(str(failures[-1]))
        # what the stage wrote, for _as_written
        return {"outputs": {str(p): _sha256(p) for p in stage.outputs}}
    return action


def _forget_cut_off(settings: Settings) -> None:
    """A full disk may have cut off what TeX writes for its next pass (.aux and the like): gone, the
    next build starts them afresh (at most one more pass) instead of reading half a file."""
    from .compile import forget_stopped_run
    with suppress(OSError):
        forget_stopped_run(settings)


@dataclass
class BuildState:
    """What a build keeps in its folder besides doit's state: the outputs it publishes together,
    and the warnings each stage gave when it last ran."""

    publication: Publication
    warnings: StageWarnings


def task_dicts(settings: Settings, warnings: Warnings, failures: list[PressroomError],
               build: BuildState | None = None, runners: Mapping[str, Runner] | None = None,
               until: str | None = None) -> Iterator[dict]:
    """One doit task dict per stage of this build (``runners``: stages run another way; ``until``:
    the last stage wanted, the ones after it are left out)."""
    from .stages import stages
    kept = build.warnings if build is not None else None
    ordered = list(stages(settings))
    if until is not None:
        ordered = ordered[:[stage.name for stage in ordered].index(until) + 1]
    names = tuple(stage.name for stage in ordered)
    for at, stage in enumerate(ordered):
        yield {
            "basename": stage.name,
            "doc": stage.doc,
            "actions": [_action(stage, settings, warnings, failures, build,
                                (runners or {}).get(stage.name), names[at + 1:])],
            "file_dep": [str(p) for p in stage.inputs],
            "targets": [str(p) for p in stage.outputs],
            "uptodate": [config_changed({**settings.for_stage(*stage.reads), **dict(stage.digests)}),
                         _as_written(stage.outputs), _no_kept_warnings(stage.name, kept, warnings)],
            "clean": True,
            "verbosity": 0,
            # doit would swap the process's sys.stdout and sys.stderr around each action to capture
            # them: the stages' warnings (and -v's tool output) were lost, and two builds running
            # in two threads restored each other's streams. The stages print only what is meant.
            "io": {"capture": False},
        }


class BuildLoader(TaskLoader2):
    """doit's tasks and configuration for one build, given rather than read from globals.

    The PressroomError that stopped a stage is in ``failures`` after the run.
    """

    def __init__(self, settings: Settings, warnings: Warnings, reporter: ConsoleReporter | None = None,
                 build: BuildState | None = None, runners: Mapping[str, Runner] | None = None,
                 until: str | None = None):
        super().__init__()
        self.settings, self.reporter, self.build = settings, reporter, build
        self.failures: list[PressroomError] = []
        # made here, not inside doit, so that an error in them (a template's missing part) is
        # a PressroomError raised to the caller rather than a traceback doit prints
        self._tasks = list(task_dicts(settings, warnings, self.failures, build, runners, until))
        #: the stages of this build, in order (doit takes the task dicts apart when it loads them)
        self.stage_names = [task["basename"] for task in self._tasks]

    def load_doit_config(self) -> dict:
        """The state is buildfolder.StateFile's (run_doit gives doit that backend)."""
        return doit_config(self.settings.out_dir, self.reporter, backend=STATE_BACKEND,
                           tasks=self.stage_names)


    def load_tasks(self, cmd, pos_args) -> list[Task]:
        return generate_tasks("pressroom", (task for task in self._tasks),
                              "Markdown → LaTeX → PDF → stamped draft → checked.")


class _BuildRun(Run):
    """doit's ``run`` with doit's JSON backend and pressroom's StateFile as the only backends."""

    name = "run"

    def get_backends(self) -> dict:
        backends = {"json": JsonDB, STATE_BACKEND: StateFile}
        if "backend" in self.cmdparser:
            self.cmdparser["backend"].choices = {k: getattr(v, "desc", "") for k, v in backends.items()}
        return backends


class _BuildDoit(DoitMain):
    """doit with its ``run`` command alone and no plugins: a doit plugin installed in the same
    environment (an entry point) takes no part in a build, and is not looked for (looking
    reads every installed package's metadata: 30–50 ms a build)."""

    def get_cmds(self) -> PluginDict:
        commands = PluginDict()
        commands[_BuildRun.get_name()] = _BuildRun
        return commands


def run_doit(loader: BuildLoader) -> int:
    """Run this build's tasks; doit's exit code (0 when every task succeeded or was up to date)."""
    # config_filenames=(): no `[tool.doit]` of whatever pyproject.toml is in the working folder
    return _BuildDoit(loader, config_filenames=()).run(["run"])


def dodo_namespace(manuscript: str, out: str | None, template: str | None) -> tuple[dict, Callable]:
    """``DOIT_CONFIG`` and ``task_pressroom`` for doit's own command line (``dodo.py``).

    The settings are read when doit asks for the tasks, so ``doit list`` and
    ``doit help`` work without reading a manuscript's header first.
    """
    from .config import default_out_dir
    from .manuscript import resolve_manuscript_path
    path = resolve_manuscript_path(manuscript)
    out_dir = Path(out).resolve() if out else default_out_dir(path)

    def task_pressroom():
        """Markdown → LaTeX → PDF → stamped draft → checked."""
        from .config import build_settings
        from .manuscript import read_manuscript
        warnings = Warnings()
        settings = build_settings(read_manuscript(path, warnings), out_dir=out_dir,
                                  template=template, warnings=warnings)
        yield from task_dicts(settings, warnings, [])

    return doit_config(out_dir), task_pressroom
