"""Shared fixtures: the project root, the optional external corpus, two ways of
running pressroom's command line, and the builds that several test files read.

The corpus (a real 28-page paper with 80 expected notes) is read in place
from ``../shared/corpus`` when it sits beside the repository; the tests that
need it are skipped, with that reason, when it does not. Every rule they
exercise also has a fixture of the project's own (``tests/data/``, the
sample manuscript).

``run_build`` starts ``python3 build.py`` as a user does: for what only a
process of its own shows (its set-up, signals, a terminal, a pipe, the
environment, what it imports). ``run_cli`` runs the same command line in this
process (``pressroom.cli.main``, output captured), without the 0.3–0.5 s of
start-up and imports a process costs: for everything else. Both return a
``subprocess.CompletedProcess``.

Builds that several tests read are made once per session, by whichever pytest-xdist
worker asks first (:func:`made_once`; the others wait for it and read the same folder),
and never written to by a test: ``sample_build`` (the sample manuscript, from its
folder, through build.py), ``template_build`` (the sample or the corpus paper with
each template), ``tex_pdf`` and ``small_build`` (tests/outputs.py's small paper,
for the tests that break a copy of a good build).
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import json
import os
import shutil
import subprocess
import sys
import traceback
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
CORPUS_PAPER = CORPUS / "situational-cordiality" / "paper.md"
SAMPLE = ROOT / "manuscript" / "paper.md"
CORPUS_MISSING = f"the external corpus is not beside the repository ({CORPUS} does not exist)"
#: for tests and parameters that read the corpus: skipped, with the reason, without it
needs_corpus = pytest.mark.skipif(not CORPUS_PAPER.is_file(), reason=CORPUS_MISSING)
#: the manuscripts the shared builds are made of
MANUSCRIPTS = {"sample": SAMPLE, "corpus": CORPUS_PAPER}


def run_build(*args: str, cwd: Path = ROOT, check: bool = True,
              env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """`python3 build.py ARGS` in a subprocess (we are inside the venv already); ``env``: variables
    to set in its environment (never in this process's)."""
    result = subprocess.run([sys.executable, str(ROOT / "build.py"), *map(str, args)],
                            cwd=cwd, capture_output=True, text=True, timeout=600,
                            env=None if env is None else {**os.environ, **env})
    if check and result.returncode != 0:
        raise AssertionError(f"build.py {' '.join(map(str, args))} exited {result.returncode}:\n"
                             f"{result.stdout}\n{result.stderr}")
    return result


def run_cli(*args: str, cwd: Path | None = None, check: bool = True) -> subprocess.CompletedProcess:
    """The command line `build.py ARGS` in this process: pressroom.cli.main, with what it prints
    captured, and its exit code. What would end a process with a traceback is caught and printed
    the same way, exit code 1; ``cwd`` is the working folder for the call's duration."""
    argv = [str(a) for a in args]
    out, err = io.StringIO(), io.StringIO()
    from pressroom.cli import main
    with contextlib.ExitStack() as stack:
        if cwd is not None:
            stack.enter_context(contextlib.chdir(cwd))
        stack.enter_context(contextlib.redirect_stdout(out))
        stack.enter_context(contextlib.redirect_stderr(err))
        try:
            code = main(argv, prog="build.py")
        except SystemExit as exc:        # argparse's --help
            code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
        except Exception:
            traceback.print_exc()
            code = 1
    result = subprocess.CompletedProcess(["build.py", *argv], code, out.getvalue(), err.getvalue())
    if check and code != 0:
        raise AssertionError(f"build.py {' '.join(argv)} exited {code}:\n{result.stdout}\n{result.stderr}")
    return result


def pdf_text(pdf: Path) -> str:
    """pdftotext's text, with line-end hyphenation and runs of white space folded."""
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    return " ".join(text.split())


@pytest.fixture(scope="session")
def corpus_paper() -> Path:
    if not CORPUS_PAPER.is_file():
        pytest.skip(CORPUS_MISSING)
    return CORPUS_PAPER


def _listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def made_once(tmp_path_factory, name: str, make: Callable[[Path], object]) -> Path:
    """The folder ``name``, filled by ``make(folder)`` once per test session: under pytest-xdist
    the first worker to ask makes it while the others wait on a lock, then all read it. A
    ``make`` that failed leaves no mark, so the next to ask tries again (and fails the same way)."""
    base = tmp_path_factory.getbasetemp()
    root = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "made-once"
    root.mkdir(exist_ok=True)
    folder, done = root / name, root / f"{name}.done"
    with open(root / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            make(folder)
            done.touch()
    return folder


@pytest.fixture(scope="session")
def sample_build(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    """The sample manuscript built from its folder (`build.py manuscript/ --out DIR`), as a user
    does: the build folder and the finished process. Read it; never build into it (copy it)."""
    def make(folder: Path) -> None:
        source = SAMPLE.parent
        before = _listing(source)
        result = run_build(source, "--out", folder / "out")
        (folder / "result.json").write_text(json.dumps({
            "args": result.args, "returncode": result.returncode, "stdout": result.stdout,
            "stderr": result.stderr, "source_listing": [before, _listing(source)]}), encoding="utf-8")

    folder = made_once(tmp_path_factory, "sample", make)
    recorded = json.loads((folder / "result.json").read_text(encoding="utf-8"))
    result = subprocess.CompletedProcess(recorded["args"], recorded["returncode"], recorded["stdout"],
                                         recorded["stderr"])
    result.source_listing = tuple(recorded["source_listing"])  # the manuscript folder, before and after
    return folder / "out", result


@pytest.fixture(scope="session")
def template_build(tmp_path_factory, request) -> Callable[[str, str], Path]:
    """template_build(manuscript, template) → the build folder of "sample" or "corpus" with that
    template, built once per session (in-process; the sample with working-paper is
    ``sample_build``). Read it; never build into it."""
    def _build(manuscript: str, template: str) -> Path:
        if manuscript == "corpus" and not CORPUS_PAPER.is_file():
            pytest.skip(CORPUS_MISSING)
        if (manuscript, template) == ("sample", "working-paper"):
            return request.getfixturevalue("sample_build")[0]
        # the corpus with its own template, working-paper: named by nobody but its default
        default = (manuscript, template) == ("corpus", "working-paper")
        chosen = [] if default else ["--template", template]
        made = made_once(tmp_path_factory, f"{manuscript}-{template}",
                         lambda folder: run_cli(MANUSCRIPTS[manuscript], "--out", folder / "out", *chosen))
        return made / "out"
    return _build


@pytest.fixture(scope="session")
def small_build(tmp_path_factory) -> tuple[Path, Path]:
    """tests/outputs.py's small paper (one citation, two paragraphs) built once per session: its
    source folder and its build folder (an empty folder before the build, as `--out` may name).
    Read them; copy them to break or rebuild them."""
    from outputs import write

    def make(folder: Path) -> None:
        (folder / "out").mkdir()
        run_cli(write(folder / "src"), "--out", folder / "out")
    made = made_once(tmp_path_factory, "small", make)
    return made / "src", made / "out"


def copy_of(small_build: tuple[Path, Path], src: Path, out: Path) -> Path:
    """``small_build`` copied to ``src`` and ``out``: the copy's manuscript. The build folder's
    mark (.pressroom) names the copy's manuscript, as a build there would have."""
    shutil.copytree(small_build[0], src)
    shutil.copytree(small_build[1], out, symlinks=True)
    md = src / "paper.md"
    (out / ".pressroom").write_text(json.dumps({"manuscript": os.path.relpath(md, out)}) + "\n")
    return md


@pytest.fixture
def good(small_build, tmp_path) -> tuple[Path, Path, dict[str, str | None]]:
    """This test's copy of ``small_build`` (no test sees another's): a folder for the test's
    manuscripts (the good one in ``good/``), the build folder, the good PDFs' digests."""
    from outputs import digests
    copy_of(small_build, tmp_path / "good", tmp_path / "out")
    return tmp_path, tmp_path / "out", digests(small_build[1])


@pytest.fixture(scope="session")
def tex_pdf(tmp_path_factory) -> Path:
    """A 3-page US Letter PDF straight from XeLaTeX (tests/pdfsample.py), made once per session.
    Read it; write what is made of it elsewhere."""
    from pdfsample import make_sample_pdf
    made = made_once(tmp_path_factory, "tex-pdf", lambda folder: make_sample_pdf(folder, pages=3))
    return made / "sample.pdf"


def moved_build(out: Path, dest: Path, manuscript: Path) -> Path:
    """A copy of the build folder ``out`` at ``dest`` that a build there finds up to date, as a
    build folder moved whole keeps its state: doit's records (keyed by path; the old version's of
    a diff too) name the new place, the mark names ``manuscript``. Its files keep their times."""
    shutil.copytree(out, dest, symlinks=True)
    for state in dest.rglob(".doit.json"):
        state.write_text(state.read_text(encoding="utf-8").replace(str(out), str(dest)), encoding="utf-8")
    (dest / ".pressroom").write_text(json.dumps({"manuscript": os.path.relpath(manuscript, dest)}) + "\n")
    return dest


@pytest.fixture(scope="session")
def feature_build(tmp_path_factory) -> Callable[[str], Path]:
    """feature_build(template) → the build folder of tests/features.py's manuscript (cross-references,
    a title of LaTeX specials, every pandoc construct) with that template, once per session;
    working-paper under ``--safe``. Beside it, stdout.txt and stderr.txt: what the build printed.
    Read it; never build into it."""
    from features import write

    def _build(template: str) -> Path:
        def make(folder: Path) -> None:
            safe = ["--safe"] if template == "working-paper" else []
            result = run_cli(write(folder / "src"), "--out", folder / "out", "--template", template, *safe)
            (folder / "stdout.txt").write_text(result.stdout, encoding="utf-8")
            (folder / "stderr.txt").write_text(result.stderr, encoding="utf-8")
        return made_once(tmp_path_factory, f"features-{template}", make) / "out"
    return _build


# -- the checkout's build/ is the user's: a test run adds nothing to it --------------------------

_BUILD_BEFORE = pytest.StashKey[set]()


def _checkout_build_entries() -> set[str]:
    build = ROOT / "build"
    return {str(p.relative_to(build)) for p in build.rglob("*")} if build.is_dir() else set()


def pytest_sessionstart(session) -> None:
    session.config.stash[_BUILD_BEFORE] = _checkout_build_entries()


def pytest_sessionfinish(session, exitstatus) -> None:
    """Fail the run if it left anything new in the checkout's build/ (a default build folder made
    by a test, or by pressroom where it should not make one). Under pytest-xdist the controller
    compares, once every worker has finished."""
    if os.environ.get("PYTEST_XDIST_WORKER") or _BUILD_BEFORE not in session.config.stash:
        return
    gained = sorted(_checkout_build_entries() - session.config.stash[_BUILD_BEFORE])
    if gained:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        message = (f"the test run left {len(gained)} new path(s) in {ROOT / 'build'}: "
                   + ", ".join(gained[:10]) + (" ..." if len(gained) > 10 else ""))
        if reporter is not None:
            reporter.ensure_newline()
            reporter.write_line(f"FAILED {message}", red=True)
        else:
            print(message, file=sys.stderr)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
