"""doit tasks, one per stage: wiring only (file_dep, targets, uptodate).

`python3 build.py` drives these through doit as a library and passes the
settings in. `doit` from the venv works too::

    .venv/bin/doit list
    .venv/bin/doit manuscript=manuscript/paper.md          # build
    .venv/bin/doit manuscript=PATH out=DIR template=NAME

Each stage is a plain function in pressroom.stages; a task declares its real
inputs and outputs and, through config_changed, just the settings it reads,
so only what changed reruns.
"""

from __future__ import annotations

from pathlib import Path

from doit import get_var
from doit.tools import config_changed

from pressroom.errors import PressroomError, Warnings

#: Set by build.py; when doit loads this file itself, built from `doit manuscript=...`.
SETTINGS = None
WARNINGS = Warnings()
#: The PressroomError that stopped a stage, for build.py to report.
FAILURES: list[PressroomError] = []

DOIT_CONFIG = {
    "default_tasks": ["convert", "render", "compile", "stamp", "check", "manifest"],
    "backend": "json",
    "verbosity": 0,
}


def _settings():
    global SETTINGS
    if SETTINGS is None:
        from pressroom.config import build_settings
        from pressroom.manuscript import read_manuscript, resolve_manuscript_path
        manuscript = read_manuscript(resolve_manuscript_path(get_var("manuscript", "manuscript")), WARNINGS)
        out = get_var("out", None)
        SETTINGS = build_settings(manuscript, out_dir=Path(out) if out else None,
                                  template=get_var("template", None), warnings=WARNINGS)
        DOIT_CONFIG["dep_file"] = str(SETTINGS.out_dir / ".doit.json")
    return SETTINGS


def _action(stage, settings):
    def action():
        from pressroom.stages import RUNNERS, warm_up
        try:
            settings.out_dir.mkdir(parents=True, exist_ok=True)
            warm_up(stage)   # later stages' imports, while this one waits on pandoc or TeX
            RUNNERS[stage](settings, WARNINGS)
        except PressroomError as exc:
            FAILURES.append(exc)
            return False
        return True
    return action


def _tasks():
    from pressroom.manuscript import figure_paths
    from pressroom.render import template_files
    from pressroom.stages import stages
    settings = _settings()
    figures = figure_paths(settings.manuscript)
    for stage in stages(settings, figures, template_files(settings.template_dir)):
        yield {
            "basename": stage.name,
            "doc": stage.doc,
            "actions": [_action(stage.name, settings)],
            "file_dep": [str(p) for p in stage.inputs],
            "targets": [str(p) for p in stage.outputs],
            "uptodate": [config_changed({**settings.for_stage(*stage.reads), **dict(stage.digests)})],
            "clean": True,
            "verbosity": 0,
        }


def task_pressroom():
    """Markdown → LaTeX → PDF → stamped draft → checked."""
    yield from _tasks()
