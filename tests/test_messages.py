"""Issue 12, class 6: every failure is one located `error:` line with a hint, exit 1, no
traceback; the references check looks for what an unresolved reference really produces.

One small manuscript is built for real (pandoc, XeLaTeX; once a session): prose that only
looks like an unresolved reference (``??``, ``[?]``, ``@property`` in code) and a figure whose
file name has a space must pass. Then each case below is a copy of it with one thing changed,
built in the test's process (run_cli). (A stamp text the stamp font cannot print is named at its
line by tests/test_faults.py's failed stamp, the same build.)
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pikepdf
import pytest

from conftest import made_once, pdf_text, run_cli
from outputs import BIB, line_of, one_error

PAPER = """\
---
title: "Seals and Ledgers"
author:
  - name: Ada Tester
version-date: "2026-03-14"
bibliography: refs.bib
---

The seal's second character is unclear [?]; the catalogue's entry reads ?? where
the number should be, and a later hand added "???".[@smith2001, 12]

In Python, `@property` makes a getter; `[@smith2001]` is how pandoc spells a citation.

![A ledger page](ledger page.png)
"""


def write(folder: Path, md: str = PAPER, **files: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "paper.md").write_text(md, encoding="utf-8")
    (folder / "refs.bib").write_text(BIB, encoding="utf-8")
    shutil.copyfile(Path(__file__).resolve().parent.parent / "manuscript" / "figures"
                    / "newspapers-per-decade.png", folder / "ledger page.png")
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder / "paper.md"


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """The good paper's build folder (once per session)."""
    made = made_once(tmp_path_factory, "messages",
                     lambda folder: run_cli(write(folder / "good"), "--out", folder / "out"))
    return made / "out"


def test_prose_like_references_and_a_figure_name_with_a_space_build(built):
    out = built
    report = json.loads((out / "paper.check.json").read_text(encoding="utf-8"))
    assert all(row["ok"] for row in report), report
    text = pdf_text(out / "paper.pdf")
    assert "[?]" in text and "??" in text and "@property" in text and "[@smith2001]" in text
    with pikepdf.open(out / "paper.pdf") as pdf:   # the figure is in the PDF
        assert any(page.get_images() for page in pdf.pages)


def test_an_undefined_latex_reference_fails_the_check_by_its_label(tmp_path):
    root = tmp_path
    md = write(root / "ref", PAPER.replace("In Python,", "As Section \\ref{sec:ports} shows, in Python,"))
    result = run_cli(md, "--out", root / "ref-out", check=False)
    assert result.returncode == 1, result.stderr
    report = json.loads((root / "ref-out" / "paper.check.json").read_text(encoding="utf-8"))
    failed = {row["check"]: row["reason"] for row in report if not row["ok"]}
    assert set(failed) == {"references"}
    assert failed["references"] == "page 1: LaTeX reference `sec:ports` undefined (printed as ??)"


def test_a_missing_figure_with_a_space_in_its_name_is_named_with_its_line(tmp_path):
    root = tmp_path
    text = PAPER.replace("](ledger page.png)", "](no such page.png)")
    md = write(root / "nofig", text)
    error = one_error(run_cli(md, "--out", root / "nofig-out", check=False))
    assert error == f"error: {md}:{line_of(text, 'no such page')}: figure not found: no such page.png"


@pytest.mark.parametrize("draft, message", [
    ('  color: "#zzzzzz"', "unknown colour `#zzzzzz` in `draft.color`"),
    ('  text: "   "', "`draft.text` is empty: the stamp would print nothing"),
])
def test_a_bad_draft_block_is_an_error_at_its_line(tmp_path, draft, message):
    root = tmp_path
    text = PAPER.replace('version-date: "2026-03-14"\n', f'version-date: "2026-03-14"\ndraft:\n{draft}\n')
    md = write(root / "draft", text)
    error = one_error(run_cli(md, "--out", root / "draft-out", check=False))
    assert error == f"error: {md}:{line_of(text, 'draft:')}: {message}"


def test_a_broken_csl_style_is_named(tmp_path):
    root = tmp_path
    text = PAPER.replace("bibliography: refs.bib\n",
                         "bibliography: refs.bib\ncitations: csl\ncsl: house.csl\n")
    md = write(root / "csl", text, **{"house.csl": '<style xmlns="http://purl.org/net/xbiblio/csl"><info>'})
    result = run_cli(md, "--out", root / "csl-out", check=False)
    error = one_error(result)
    assert error.startswith(f"error: {md.parent / 'house.csl'}: convert: pandoc cannot read the CSL style: ")
    assert "hint: give a CSL 1.0 style" in result.stderr


def test_check_of_a_password_protected_pdf_is_an_error(built, tmp_path):
    out = built
    locked = tmp_path / "locked.pdf"
    with pikepdf.open(out / "paper.pdf") as pdf:
        pdf.save(locked, encryption=pikepdf.Encryption(owner="owner", user="secret"))
    error = one_error(run_cli("check", locked, check=False))
    assert error == f"error: {locked}: the PDF is protected by a password: it cannot be opened to be checked"


def test_cr_only_line_endings_do_not_give_pressroom_and_pandoc_two_headers(tmp_path):
    """Python takes a bare CR for a line end, pandoc does not: pandoc sees no header in such a file,
    and the build must not take the header pressroom sees (here, another template) for pandoc's."""
    root = tmp_path
    text = PAPER.replace("bibliography: refs.bib\n", "bibliography: refs.bib\ntemplate: journal-article\n")
    md = write(root / "cr", text.replace("\n", "\r"))
    result = run_cli(md, "--out", root / "cr-out", check=False)
    error = one_error(result)
    assert error.startswith(f"error: {md}:") and "pandoc reads" in error, error
    assert not (root / "cr-out" / "paper.pdf").exists()

