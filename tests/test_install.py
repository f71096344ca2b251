"""`pip install .` into a fresh virtual environment gives a working `pressroom` command.

The package is built and installed as a user's `pip install .` does (a wheel built in an
isolated environment with setuptools from the package index), from a copy of what the
package is made of, so nothing of the checkout can stand in for it: not the templates, not
dodo.py, not build.py. Its dependencies are those already installed in this venv (a `.pth`
file names our site-packages; `--no-deps`), so the test takes seconds, not a download of
pikepdf and pandoc. The installed `pressroom` then builds a small paper from a folder of
its own, checks the PDFs, lists the notes.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from conftest import ROOT, pdf_text
from outputs import PAPER, write

#: one worker runs this module (pytest-xdist): the installed package is made once for both tests
pytestmark = pytest.mark.xdist_group("install")

#: what the package is built from (pyproject.toml's packages, package-dir and readme)
PACKAGE_SOURCES = ("pyproject.toml", "README.md", "pressroom", "templates")


def _run(*args, cwd: Path, timeout: float = 180, umask: int | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout, check=False,
                          preexec_fn=None if umask is None else lambda: os.umask(umask))


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A fresh venv with pressroom pip-installed (not editable) from a copy of its sources."""
    tmp = tmp_path_factory.mktemp("install")
    src = tmp / "src"
    src.mkdir()
    for name in PACKAGE_SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(ROOT / name, src / name)
    venv = tmp / "venv"
    made = _run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=tmp)
    assert made.returncode == 0, made.stderr
    ask = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    purelib = Path(_run(venv / "bin" / "python", "-c", ask, cwd=tmp).stdout.strip())
    (purelib / "pressroom-test-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    # this venv's pip installs into the new one (--python): no ensurepip, 3 s saved
    pip = _run(sys.executable, "-m", "pip", "--python", venv / "bin" / "python", "install", "--no-deps",
               "--no-input", "-q", src, cwd=tmp)
    assert pip.returncode == 0, pip.stdout + pip.stderr
    return venv


def test_the_installed_package_finds_its_own_files(installed):
    ask = "import pressroom, pressroom.locations as l; print(pressroom.__file__, l.CHECKOUT, l.TEMPLATES)"
    where = _run(installed / "bin" / "python", "-c", ask, cwd=installed.parent)
    module, checkout, templates = where.stdout.split()
    assert Path(module).is_relative_to(installed) and checkout == "None"
    assert Path(templates).is_relative_to(installed)
    assert (Path(templates) / "working-paper" / "template.tex.j2").is_file()
    assert (Path(templates) / "_common" / "pandoc-support.tex.j2").is_file()
    assert (Path(module).parent / "pandoc-body.latex").is_file()


def test_pressroom_builds_checks_and_lists_notes(installed):
    pressroom = installed / "bin" / "pressroom"
    work = installed.parent / "work"
    # the small paper, cited twice (an Ibid.), in a folder of its own
    write(work / "paper", PAPER.replace("A second paragraph.", "A second paragraph.[@smith2001, 13]"))
    overview = _run(pressroom, "--help", cwd=work)
    assert overview.returncode == 0
    for command in ("build", "watch", "notes", "count", "check", "verify", "test"):
        assert f"\n  {command} " in overview.stdout
    # no PATH: the default build folder is build/<folder name>/ in the current folder
    built = _run(pressroom, "paper", cwd=work, umask=0o022)
    assert built.returncode == 0, built.stdout + built.stderr
    out = work / "build" / "paper"
    # under umask 022 the outputs are readable by others, as any new file (not the temp file's 0600)
    outputs = ("paper.tex", "paper.pdf", "paper-draft.pdf", "paper.check.json", "manifest.json")
    assert {name: (out / name).stat().st_mode & 0o777 for name in outputs} == dict.fromkeys(outputs, 0o644)
    report = json.loads((out / "paper.check.json").read_text(encoding="utf-8"))
    assert report and all(row["ok"] for row in report)
    assert "Ibid." in pdf_text(out / "paper.pdf")
    assert (out / "manifest.json").is_file() and (out / "paper-draft.pdf").is_file()
    # check finds the manuscript through the manifest beside the PDFs
    check = _run(pressroom, "check", out / "paper.pdf", out / "paper-draft.pdf", cwd=work)
    assert check.returncode == 0 and "FAIL" not in check.stdout, check.stdout + check.stderr
    assert "paper.pdf metadata" in check.stdout and "paper-draft.pdf metadata" in check.stdout
    notes = _run(pressroom, "notes", "paper", "--json", cwd=work)
    assert notes.returncode == 0 and json.loads(notes.stdout)[0]["n"] == 1
    # the tests live in the repository, not in the package
    test = _run(pressroom, "test", cwd=work)
    assert test.returncode == 2 and "checkout" in test.stderr
