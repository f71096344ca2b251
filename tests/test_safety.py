"""Untrusted manuscripts: TeX runs without shell escape and reads and writes
only inside the build folder, even without --safe; --safe rejects raw LaTeX
(body, header, raw blocks) and files from outside the manuscript folder;
metadata reaches LaTeX escaped. Real pandoc and TeX; the builds run in this
process (run_cli), the rejected ones each into its own copy of the good build; the
shell escape and the read outside are tried in one build."""

from __future__ import annotations

import shutil

import pytest
from test_errors import GOOD_BIB, GOOD_MD, digests, line_of, write_manuscript

from conftest import pdf_text, run_cli

#: one worker runs this module (pytest-xdist): the good --safe build is made once and copied by every test
pytestmark = pytest.mark.xdist_group("safety")

#: Every LaTeX special character, in every metadata field that reaches LaTeX.
SPECIALS = r"Profits & Losses: 100% of $5, #1, under_score, {braces}, ~tilde, ^caret, back\slash"
#: The same in Markdown (header fields are Markdown: a literal backslash is written twice).
MD_SPECIALS = SPECIALS.replace("\\", "\\\\")
#: Keywords are plain text (no Markdown), and the PDF separates them with commas.
KEYWORD = SPECIALS.replace(",", ";")
ESCAPED_MD = GOOD_MD.replace('title: "A Small Paper"', f"title: '{MD_SPECIALS}'").replace(
    "abstract: A short abstract.",
    f"abstract: 'Abstract: {MD_SPECIALS}'\nkeywords: ['{KEYWORD}', 'two & three']\n"
    f"draft-notice: 'Notice: {MD_SPECIALS}'")


@pytest.fixture(scope="module")
def good_build(tmp_path_factory):
    """A --safe build whose every header field holds LaTeX's special characters: the build
    folder and the PDFs' digests."""
    root = tmp_path_factory.mktemp("safety")
    out = root / "out"
    run_cli(write_manuscript(root / "good", ESCAPED_MD), "--out", out, "--safe")
    return out, digests(out)


@pytest.fixture
def good(good_build, tmp_path):
    """This test's copy of the good build: a folder for the manuscripts, the build folder, the
    good PDFs' digests."""
    out, before = good_build
    shutil.copytree(out, tmp_path / "out", symlinks=True)
    return tmp_path, tmp_path / "out", before


def rejected(good, name: str, md: str, *, bib: str | None = GOOD_BIB,
             safe: bool = True) -> tuple[str, object]:
    root, out, before = good
    path = write_manuscript(root / name, md, bib)
    result = run_cli(path, "--out", out, *(["--safe"] if safe else []), check=False)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert digests(out) == before
    assert "root:" not in pdf_text(out / "paper.pdf")
    return result.stderr, path


def test_metadata_reaches_latex_escaped(good):
    _, out, _ = good
    text = pdf_text(out / "paper.pdf")
    for field in (SPECIALS, f"Abstract: {SPECIALS}", f"Notice: {SPECIALS}"):
        assert field in text, field
    import pikepdf
    with pikepdf.open(out / "paper.pdf") as pdf:
        assert KEYWORD in str(pdf.docinfo["/Keywords"])


def test_tex_runs_no_shell_and_reads_nothing_outside_even_without_safe(tmp_path):
    """One build, two attacks whose effects show apart: \\write18 (no shell runs: no marker, no
    `touch` printed) and \\openin of /etc/passwd (fails quietly, paranoid kpathsea: the PDF says
    CLOSED, never root:)."""
    marker = tmp_path / "shell-ran"
    md = GOOD_MD + (f"\nBefore \\immediate\\write18{{touch {marker}}} after.\n\n"
                    f"\\write18{{touch {marker}-2}}\n\n"
                    "\\newread\\pw \\openin\\pw=/etc/passwd "
                    "\\ifeof\\pw PASSWD-CLOSED\\else \\read\\pw to\\x PASSWD-OPEN \\x\\fi\n\n"
                    "The end.\n")
    out = tmp_path / "out"
    result = run_cli(write_manuscript(tmp_path / "ms", md), "--out", out, check=False)
    assert result.returncode == 0, result.stderr
    assert not marker.exists() and not (tmp_path / "shell-ran-2").exists()
    assert not list(out.rglob("shell-ran*"))
    text = pdf_text(out / "paper.pdf")
    assert "Before" in text and "The end." in text and "touch" not in text
    assert "PASSWD-CLOSED" in text
    assert "PASSWD-OPEN" not in text and "root:" not in text


def test_input_etc_passwd_is_a_clear_error_even_without_safe(good):
    md = GOOD_MD + "\nA paragraph.\n\n\\input{/etc/passwd}\n"
    err, path = rejected(good, "input", md, safe=False)
    line = line_of(md, "/etc/passwd")
    assert f"error: {path}:{line}: LaTeX error: File `/etc/passwd.tex' not found." in err
    assert "hint: TeX may read and write only inside the build folder" in err
    assert "root:" not in err


def test_safe_rejects_raw_latex_in_the_body(good):
    md = GOOD_MD + "\nA paragraph.\n\nText \\immediate\\write18{touch x} here.\n"
    err, path = rejected(good, "raw-body", md)
    assert f"error: {path}:{line_of(md, 'write18')}: raw LaTeX is not allowed with --safe: \\immediate" in err
    assert "hint: write it in Markdown instead" in err


def test_safe_rejects_raw_latex_blocks_and_input(good):
    md = GOOD_MD + "\nA paragraph.\n\n```{=latex}\n\\input{/etc/passwd}\n```\n"
    err, path = rejected(good, "raw-block", md)
    assert f"error: {path}:" in err and "raw LaTeX is not allowed with --safe: \\input{/etc/passwd}" in err


def test_safe_rejects_raw_latex_in_the_header(good):
    md = GOOD_MD.replace('title: "A Small Paper"', 'title: "A \\\\input{/etc/passwd} Paper"')
    err, path = rejected(good, "raw-header", md)
    assert f"error: {path}:2: raw LaTeX is not allowed with --safe: \\input{{/etc/passwd}}" in err


def test_safe_refuses_a_bibliography_outside_the_manuscript_folder(good):
    root = good[0]
    (root / "outside.bib").write_text(GOOD_BIB, encoding="utf-8")
    md = GOOD_MD.replace("bibliography: refs.bib", "bibliography: ../outside.bib")
    err, path = rejected(good, "bib-outside", md, bib=None)
    assert f"error: {path}:{line_of(md, 'bibliography:')}: bibliography outside the manuscript folder" in err
    assert "hint: with --safe, put the .bib file in the manuscript folder" in err


def test_figures_outside_the_manuscript_folder_are_refused(good):
    md = GOOD_MD + "\n![passwd](../../../../../../etc/passwd)\n"
    err, path = rejected(good, "figure-outside", md)
    assert f"error: {path}:{line_of(md, 'passwd')}: figure outside the manuscript folder" in err


def test_safe_refuses_a_template_that_comes_with_the_manuscript(good):
    root = good[0]
    folder = root / "own-template"
    (folder / "templates" / "evil").mkdir(parents=True)
    (folder / "templates" / "evil" / "template.tex.j2").write_text(
        "\\documentclass{article}\\begin{document}\\input{/etc/passwd}\\end{document}\n")
    md = GOOD_MD.replace("bibliography: refs.bib", "bibliography: refs.bib\ntemplate: evil")
    err, _ = rejected(good, "own-template", md)
    assert "template `evil` comes with the manuscript" in err
    assert "with --safe only the project's own templates are used" in err
