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

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from doit.cmd_base import TaskLoader2
from doit.exceptions import TaskFailed
from doit.loader import generate_tasks
from doit.tools import config_changed

from .errors import PressroomError, Warnings

if TYPE_CHECKING:
    from doit.reporter import ConsoleReporter
    from doit.task import Task

    from .config import Settings

#: Every stage, in order; the build runs them all.
STAGE_NAMES = ("convert", "render", "compile", "stamp", "check", "manifest")


def doit_config(out_dir: Path, reporter: ConsoleReporter | None = None) -> dict:
    """doit's configuration for a build into ``out_dir`` (its state lives there too)."""
    config = {"default_tasks": list(STAGE_NAMES), "backend": "json", "verbosity": 0,
              "dep_file": str(out_dir / ".doit.json")}
    if reporter is not None:
        config["reporter"] = reporter
    return config


def _action(stage: str, settings: Settings, warnings: Warnings, failures: list[PressroomError]):
    def action():
        from .stages import RUNNERS, warm_up
        try:
            settings.out_dir.mkdir(parents=True, exist_ok=True)
            warm_up(stage)   # later stages' imports, while this one waits on pandoc or TeX
            RUNNERS[stage](settings, warnings)
        except PressroomError as exc:
            failures.append(exc)
            return TaskFailed(str(exc))   # what doit's own command line prints
        return True
    return action


def task_dicts(settings: Settings, warnings: Warnings,
               failures: list[PressroomError]) -> Iterator[dict]:
    """One doit task dict per stage of this build."""
    from .stages import stages
    for stage in stages(settings):
        yield {
            "basename": stage.name,
            "doc": stage.doc,
            "actions": [_action(stage.name, settings, warnings, failures)],
            "file_dep": [str(p) for p in stage.inputs],
            "targets": [str(p) for p in stage.outputs],
            "uptodate": [config_changed({**settings.for_stage(*stage.reads), **dict(stage.digests)})],
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

    def __init__(self, settings: Settings, warnings: Warnings, reporter: ConsoleReporter | None = None):
        super().__init__()
        self.settings, self.reporter = settings, reporter
        self.failures: list[PressroomError] = []
        # made here, not inside doit, so that an error in them (a template's missing part) is
        # a PressroomError raised to the caller rather than a traceback doit prints
        self._tasks = list(task_dicts(settings, warnings, self.failures))

    def load_doit_config(self) -> dict:
        return doit_config(self.settings.out_dir, self.reporter)

    def load_tasks(self, cmd, pos_args) -> list[Task]:
        return generate_tasks("pressroom", (task for task in self._tasks),
                              "Markdown → LaTeX → PDF → stamped draft → checked.")


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
