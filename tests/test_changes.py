"""`diff` (a changes PDF, with real git, latexdiff and XeLaTeX) and `bundle` (a zip that compiles
with latexmk alone).

Two versions of a small manuscript, committed in a git repository made for the session: the new
one adds a sentence and a citation, deletes a sentence (with its note), and changes the page a
note cites. The changes PDF is read back with pdftotext and pikepdf; the bundle is unzipped into
an empty folder and compiled there with latexmk, without pressroom.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pikepdf
import pytest

from conftest import SAMPLE, made_once, moved_build, pdf_text, run_cli
from pressroom.changes import decorate, strip_marks

BIB = """@book{hale1990,
  author = {Hale, Margaret},
  title = {Type and Trade},
  publisher = {Harbour Press},
  address = {Boston},
  year = {1990}
}
@book{ito2001,
  author = {Itō, Kenji},
  title = {Foundries of the East},
  publisher = {Kōyō},
  address = {Tōkyō},
  year = {2001}
}
"""
OLD = """---
title: "Metal and Print"
abstract: "How metal type changed printing."
version-date: 2026-03-01
bibliography: refs.bib
---

# Beginnings

The first foundry opened in a small harbour town.[@hale1990, 27] Its owner had learned the trade abroad.
Nobody remembers the cat of the owner, which slept on the typecases.[@hale1990, 40]

# Growth

Within ten years the town had three presses and a daily paper.

| Town    | Presses |
|:--------|--------:|
| Harbour |       3 |

: Presses in the harbour town, 1880.
"""
ADDED = "A second foundry followed within the decade."
DELETED = "Nobody remembers the cat of the owner, which slept on the typecases."
NEW = (OLD.replace("2026-03-01", "2026-04-02")
       .replace("[@hale1990, 27]", "[@hale1990, 29]")
       .replace(DELETED + "[@hale1990, 40]\n", "")
       .replace("a daily paper.", f"a daily paper.[@ito2001, 12] {ADDED}")
       .replace("# Growth", "# Rapid growth")
       .replace("How metal type", "How cast metal type")
       .replace("harbour town, 1880.", "harbour town, 1885."))


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args], cwd=repo,
                          check=True, capture_output=True, text=True).stdout.strip()


def _write_versions(repo: Path) -> None:
    folder = repo / "ms"
    folder.mkdir()
    (folder / "refs.bib").write_text(BIB, encoding="utf-8")
    (folder / "paper.md").write_text(OLD, encoding="utf-8")
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "first version")
    _git(repo, "tag", "v1")
    (folder / "paper.md").write_text(NEW, encoding="utf-8")


@pytest.fixture(scope="session")
def versions(tmp_path_factory) -> Path:
    """A repository whose manuscript folder `ms/` has OLD committed as tag v1 and NEW in the
    working tree, made once per session. Read it; copy it to change it."""
    return made_once(tmp_path_factory, "changes-repo", _write_versions) / "ms"


@pytest.fixture(scope="session")
def changes(versions, tmp_path_factory) -> tuple[Path, str]:
    """`diff --since v1` once per session: the build folder and what the diff printed. Read it;
    diff again in a copy (:func:`conftest.moved_build`)."""
    def make(folder: Path) -> None:
        result = run_cli("diff", versions, "--since", "v1", "--out", folder / "out")
        (folder / "stdout.txt").write_text(result.stdout, encoding="utf-8")
    made = made_once(tmp_path_factory, "changes", make)
    return made / "out", (made / "stdout.txt").read_text(encoding="utf-8")


def test_changes_pdf_shows_added_and_deleted_text(changes):
    out, _ = changes
    text = pdf_text(out / "paper-changes.pdf")
    assert ADDED in text and DELETED in text
    tex = (out / "paper-changes.tex").read_text(encoding="utf-8")
    assert re.search(r"\\DIFadd\{A second foundry followed", tex)
    assert re.search(r"\\DIFdel\{Nobody remembers", tex)
    # headings, the abstract and captions are compared too
    assert re.search(r"\\section\{.*\\DIFadd\{Rapid", tex)
    assert re.search(r"\\DIFadd\{cast ?\}", tex)
    assert re.search(r"\\caption\{.*\\DIFdel(FL)?\{1880.*\\DIFadd(FL)?\{1885", tex)
    assert "1880" in text and "1885" in text
    # and the marks are coloured on the page: blue and red fills in the content streams
    with pikepdf.open(out / "paper-changes.pdf") as pdf:
        streams = b"".join(page.Contents.read_bytes() if isinstance(page.Contents, pikepdf.Stream) else
                           b"".join(s.read_bytes() for s in page.Contents) for page in pdf.pages)
    assert b"0 0 1 rg" in streams and b"1 0 0 rg" in streams


def test_the_old_version_is_made_only_as_far_as_its_latex(changes):
    out, printed = changes
    old = out / ".changes-old" / "build"
    assert (old / "paper.tex").is_file()
    assert not list(old.glob("*.pdf")), "latexdiff reads the .tex: the old version's PDFs are wasted work"
    assert "making the old version's LaTeX" in printed


def test_a_changed_page_in_a_note_shows_as_changed(changes):
    out, _ = changes
    tex = (out / "paper-changes.tex").read_text(encoding="utf-8")
    note = re.search(r"\\footnote\{[^\n]*Type and Trade[^\n]*", tex).group(0)
    assert re.search(r"\\DIFdel\{27", note) and re.search(r"\\DIFadd\{29", note), note
    text = pdf_text(out / "paper-changes.pdf")
    assert re.search(r"Type and Trade \(Boston: Harbour Press, 1990\), (p\. )?27\.? ?(p\. )?29", text), text


def test_notes_are_numbered_as_in_the_new_version(changes):
    out, _ = changes
    text = pdf_text(out / "paper-changes.pdf")
    new_text = pdf_text(out / "paper.pdf")
    # the added citation is note 2 in both; the deleted note has a red cross, not a number
    assert "a daily paper.2 A second foundry" in new_text
    assert "a daily paper.2 A second foundry" in text, text
    assert "×" in text
    tex = (out / "paper-changes.tex").read_text(encoding="utf-8")
    assert "\\addtocounter{footnote}{-1}" not in tex


def test_first_page_names_both_versions(changes, versions):
    out, stdout = changes
    first = subprocess.run(["pdftotext", "-l", "1", str(out / "paper-changes.pdf"), "-"],
                           capture_output=True, text=True, check=True).stdout
    short = _git(versions.parent, "rev-parse", "--short", "v1")
    first = " ".join(first.split())
    assert f"Changes from revision v1 ({short}," in first
    assert "version date 2026-03-01" in first and "the current paper.md, version date 2026-04-02" in first
    assert "Metal and Print" in first
    assert "paper-changes.pdf" in stdout


def test_a_second_diff_with_nothing_new_reuses_the_pdf(changes, versions, tmp_path):
    out = moved_build(changes[0], tmp_path / "out", versions / "paper.md")
    before = (out / "paper-changes.pdf").read_bytes()
    result = run_cli("diff", versions, "--since", "v1", "--out", out)
    assert "nothing changed since the last diff" in result.stdout
    assert "convert" not in result.stdout and "compile" not in result.stdout
    assert (out / "paper-changes.pdf").read_bytes() == before


def test_the_changes_pdf_is_the_same_bytes_in_another_folder(changes, versions, tmp_path):
    out = tmp_path / "elsewhere"
    shutil.copytree(changes[0], out)
    for name in ("paper-changes.pdf", "paper-changes.tex", ".changes.json"):
        (out / name).unlink()
    run_cli("diff", versions, "--since", "v1", "--out", out)
    assert (out / "paper-changes.pdf").read_bytes() == (changes[0] / "paper-changes.pdf").read_bytes()


def test_the_old_version_that_fails_is_named(changes, versions, tmp_path):
    out = moved_build(changes[0], tmp_path / "out", versions / "paper.md")   # only the old version builds
    broken = tmp_path / "old.md"
    broken.write_text(OLD.replace("[@hale1990, 27]", "[@nosuchkey, 27]"), encoding="utf-8")
    shutil.copy(versions / "refs.bib", tmp_path / "refs.bib")
    result = run_cli("diff", versions, "--against", broken, "--out", out, check=False)
    assert result.returncode == 1
    assert "the old version (old.md) does not build" in result.stderr
    assert "nosuchkey" in result.stderr and "Traceback" not in result.stderr


def test_the_new_version_that_fails_is_named(versions, tmp_path):
    folder = tmp_path / "ms"
    shutil.copytree(versions, folder)
    (folder / "paper.md").write_text(NEW.replace("[@ito2001, 12]", "[@nosuchkey, 12]"), encoding="utf-8")
    result = run_cli("diff", folder, "--against", versions / "paper.md", "--out", tmp_path / "out",
                     check=False)
    assert result.returncode == 1
    assert "the new version does not build" in result.stderr and "nosuchkey" in result.stderr
    assert "old version" not in result.stdout     # the old one is not built at all


def test_an_unknown_revision_is_a_usage_error_before_anything_is_built(versions, tmp_path):
    out = tmp_path / "out"
    result = run_cli("diff", versions, "--since", "no-such-tag", "--out", out, check=False)
    assert result.returncode == 2 and "no revision 'no-such-tag'" in result.stderr
    assert "building" not in result.stdout and not out.exists()
    result = run_cli("diff", versions, "--since", "--output=x", "--out", out, check=False)
    assert result.returncode == 2 and "Traceback" not in result.stderr


@pytest.mark.parametrize("template,safe", [("journal-article", False), ("anonymous-review", True)])
def test_every_template_and_safe(versions, tmp_path, template, safe):
    old = tmp_path / "old" / "paper.md"
    old.parent.mkdir()
    old.write_text(OLD, encoding="utf-8")
    shutil.copy(versions / "refs.bib", old.parent / "refs.bib")
    out = tmp_path / "out"
    run_cli("diff", versions, "--against", old, "--out", out, "--template", template,
            *(["--safe"] if safe else []))
    text = pdf_text(out / "paper-changes.pdf")
    assert ADDED in text and DELETED in text and "Changes from old/paper.md" in text


# -- unit tests: no TeX ---------------------------------------------------------

def test_line_marks_are_removed_before_the_comparison():
    tex = "a\n%%md-0123456789abcdef:12\n\nb\n%%md-0123456789abcdef:end\n% a comment\n"
    assert strip_marks(tex) == "a\n\nb\n% a comment\n"


def test_decorate_heads_the_first_page_and_unnumbers_deleted_notes():
    diff = ("\\documentclass{article}\n\\begin{document}\nx\\footnote{\\DIFdel{gone}} %DIFAUXCMD\n"
            "\\addtocounter{footnote}{-1}%DIFAUXCMD\n\\end{document}\n")
    out = decorate(diff, "Changes from revision 50% & more")
    assert "revision 50\\% \\& more" in out
    assert "\\addtocounter{footnote}{-1}" not in out
    assert out.index("shipout/foreground") > out.index("\\begin{document}")


# -- bundle ---------------------------------------------------------------------

@pytest.fixture(scope="session")
def bundles(sample_build, tmp_path_factory) -> tuple[Path, Path]:
    """The sample's bundle made twice, once per session: (a) in the session's build folder moved
    whole (its .tex as build.py made it there; no stage runs again), (b) in a copy built again
    (every stage, in another folder). The two zips."""
    def make(folder: Path) -> None:
        moved_build(sample_build[0], folder / "a", SAMPLE)
        shutil.copytree(sample_build[0], folder / "b", symlinks=True)
        for name in ("a", "b"):
            run_cli("bundle", SAMPLE, "--out", folder / name)
    made = made_once(tmp_path_factory, "bundles", make)
    return made / "a" / "paper-sources.zip", made / "b" / "paper-sources.zip"


def test_bundle_compiles_with_latexmk_alone(sample_build, bundles, tmp_path):
    with zipfile.ZipFile(bundles[0]) as archive:
        names = archive.namelist()
        assert names == sorted(names)
        assert set(names) == {"README.txt", "figures/newspapers-per-decade.png", "latexmkrc", "paper.tex"}
        tex = archive.read("paper.tex").decode()
        readme = archive.read("README.txt").decode()
        empty = tmp_path / "empty"
        empty.mkdir()
        archive.extractall(empty)
    assert "%%md-" not in tex and str(sample_build[0]) not in tex and str(SAMPLE.parent) not in tex
    assert "TeX Gyre Termes" in readme and "latexmk -xelatex paper.tex" in readme
    subprocess.run(["latexmk", "-xelatex", "-interaction=nonstopmode"], cwd=empty, check=True,
                   capture_output=True, timeout=300)
    with pikepdf.open(empty / "paper.pdf") as mine, pikepdf.open(sample_build[0] / "paper.pdf") as built:
        assert len(mine.pages) == len(built.pages)
    assert pdf_text(empty / "paper.pdf") == pdf_text(sample_build[0] / "paper.pdf")


def test_bundle_is_the_same_bytes_from_another_build_folder(bundles):
    first, second = bundles
    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as archive:
        for info in archive.infolist():
            assert info.external_attr >> 16 == 0o100644 and info.date_time[0] >= 1980


def test_bundle_refuses_a_tex_that_inputs_a_file_it_lacks(sample_build, tmp_path):
    from pressroom.bundle import bundle_files
    from pressroom.config import build_settings
    from pressroom.errors import PressroomError, Warnings
    from pressroom.manuscript import read_manuscript
    out = tmp_path / "out"
    shutil.copytree(sample_build[0], out)
    warnings = Warnings(echo=False)
    settings = build_settings(read_manuscript(SAMPLE, warnings), out_dir=out, warnings=warnings)
    tex = out / "paper.tex"
    tex.write_text(tex.read_text(encoding="utf-8").replace("\\begin{document}",
                                                           "\\input{journal-macros}\n\\begin{document}"),
                   encoding="utf-8")
    with pytest.raises(PressroomError, match="inputs journal-macros, which is not in the bundle"):
        bundle_files(settings)
    tex.write_text(tex.read_text(encoding="utf-8").replace("\\input{journal-macros}", f"% {out}"),
                   encoding="utf-8")
    with pytest.raises(PressroomError, match="names a folder of this machine"):
        bundle_files(settings)
