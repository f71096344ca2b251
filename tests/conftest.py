"""Shared fixtures: the project root, the optional external corpus, and a
helper that runs build.py as a user would.

The corpus (a real 28-page paper with 80 expected notes) is read in place
from ``../shared/corpus`` when it sits beside the repository; the tests that
need it are skipped, with that reason, when it does not. Every rule they
exercise also has a fixture of the project's own (``tests/data/``, the
sample manuscript)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
CORPUS_PAPER = CORPUS / "situational-cordiality" / "paper.md"
SAMPLE = ROOT / "manuscript" / "paper.md"
CORPUS_MISSING = f"the external corpus is not beside the repository ({CORPUS} does not exist)"
#: for tests and parameters that read the corpus: skipped, with the reason, without it
needs_corpus = pytest.mark.skipif(not CORPUS_PAPER.is_file(), reason=CORPUS_MISSING)


def run_build(*args: str, cwd: Path = ROOT, check: bool = True) -> subprocess.CompletedProcess:
    """`python3 build.py ARGS` in a subprocess (we are inside the venv already)."""
    result = subprocess.run([sys.executable, str(ROOT / "build.py"), *map(str, args)],
                            cwd=cwd, capture_output=True, text=True, timeout=600)
    if check and result.returncode != 0:
        raise AssertionError(f"build.py {' '.join(map(str, args))} exited {result.returncode}:\n"
                             f"{result.stdout}\n{result.stderr}")
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
