"""Where pressroom's own files are: in a checkout of the repository, or installed.

Run from a checkout (``python3 build.py``, or the ``.venv`` that build.py
sets up, whose pressroom is an editable install), the templates are the
repository's top-level ``templates/`` and the default build folder is the
repository's ``build/``. Installed with ``pip install .``, the templates are
package data (``pressroom/templates/``, mapped from the top-level folder by
pyproject.toml) found through :mod:`importlib.resources`, and builds go to
``build/`` in the folder the command runs in.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def _checkout() -> Path | None:
    root = PACKAGE_DIR.parent
    return root if (root / "build.py").is_file() and (root / "templates").is_dir() else None


#: The repository when pressroom runs from a checkout; None when it is installed.
CHECKOUT: Path | None = _checkout()


def _shipped_templates() -> Path:
    from importlib.resources import files
    templates = files(__package__) / "templates"
    if not isinstance(templates, Path):   # a zipped install: Jinja2 and TeX need real files
        raise RuntimeError(f"pressroom's templates are not files on disk ({templates}); "
                           "install pressroom from a wheel or a folder, not a zip")
    return templates


#: The journal templates that come with pressroom.
TEMPLATES: Path = CHECKOUT / "templates" if CHECKOUT else _shipped_templates()


def project_root() -> Path:
    """The folder whose ``build/`` holds the default build folders: the checkout, else the
    folder the command runs in."""
    return CHECKOUT or Path.cwd()


def default_manuscript() -> Path:
    """The manuscript a command builds when given none: the checkout's sample, else the
    current folder."""
    return CHECKOUT / "manuscript" if CHECKOUT else Path.cwd()
