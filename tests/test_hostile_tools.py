"""Hostile manuscripts against the tools pressroom runs (issue 12, classes 1 and 4).

Names: a manuscript folder, the manuscript, its .bib, its figure and the build
folder named like options, beside a pandoc defaults file and Lua filters that
would create a marker file if any tool read one of those names as an option;
a name latexmk would hand to a shell. Each builds, or fails with one located
error, and the marker is never created. (A manuscript named `-d.md` is built, with
--safe and without, by test_hostile_safe.py's honest builds.)

Limits: a 34-byte line of nested brackets (pandoc's reader is exponential in
their depth: 16 take 4.5 s, 18 take 19 s, 33 never end), a TeX macro that calls
itself in math, a TeX loop in raw TeX, and a memory limit too small for pandoc.
Each ends within the limit and a margin, with an error naming the stage, the
tool and the limit, exit 1, no traceback, and the last good PDFs unchanged.
Real pandoc and TeX; the builds run in this process (run_cli), each into its
own copy of a build folder, but where a process of their own is tested.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_errors import GOOD_BIB, GOOD_MD, digests, write_manuscript

from conftest import ROOT, pdf_text, run_cli
from pressroom.pandoc_ast import MAX_DEPTH

FIGURE = ROOT / "manuscript" / "figures" / "newspapers-per-decade.png"
#: Seconds a test allows beyond a time limit: the stages before it, the kill, a loaded machine.
MARGIN = 8.0


def plant(folder: Path, marker: Path) -> None:
    """Everything a tool would run if it read a file name as an option: it creates ``marker``."""
    lua = f'function Pandoc(doc) os.execute("touch {marker}") return doc end\n'
    (folder / "evil.lua").write_text(lua)
    (folder / "x.lua").write_text(lua)
    (folder / ".md").write_text("filters: [evil.lua]\n")           # what `-d.md` would load
    (folder / ".bib").write_text("filters: [evil.lua]\n")          # ... `-d.bib`
    (folder / ".png").write_text("filters: [evil.lua]\n")          # ... `-d.png`


#: The small paper citing a .bib named like an option, with a figure named like one.
OPTIONED_MD = (GOOD_MD.replace("bibliography: refs.bib", "bibliography: [-d.bib]")
               + "\n![A figure named like an option](-d.png)\n\nThe last paragraph.\n")


def optioned_manuscript(root: Path, name: str, md: str = OPTIONED_MD) -> tuple[Path, Path]:
    """A folder named like an option holding ``md`` as ``name``, and the .bib (``-d.bib``) and
    figure (``-d.png``) it names; the manuscript and the marker ``plant`` makes a tool create."""
    folder = root / "-d"
    folder.mkdir(parents=True)
    marker = root / "MARKER"
    plant(folder, marker)
    (folder / "-d.bib").write_text(GOOD_BIB)
    (folder / "--lua-filter=x.bib").write_text(GOOD_BIB)
    shutil.copyfile(FIGURE, folder / "-d.png")
    (folder / name).write_text(md, encoding="utf-8")
    return folder / name, marker


def read_as_names(md: Path, out: Path, marker: Path) -> None:
    """After a build of ``optioned_manuscript``'s ``md`` into ``out`` (a folder named like an option
    too): the PDFs are made of it, the other commands that run tools on these paths work, and no
    tool read a name as an option."""
    stem = md.stem
    text = pdf_text(out / f"{stem}.pdf")
    assert "The last paragraph." in text and "Smith, A Book" in text
    assert (out / f"{stem}-draft.pdf").is_file()
    assert not marker.exists()
    check = run_cli("check", "--manuscript", md, "--", *(f"{stem}{s}.pdf" for s in ("", "-draft")),
                    cwd=out)
    assert "FAIL" not in check.stdout
    notes = run_cli("notes", md, check=False)
    assert notes.returncode in (0, 1) and "Traceback" not in notes.stderr
    assert notes.returncode == 0 or "error: " in notes.stderr
    assert not marker.exists()


# a manuscript named `-d.md`: the honest builds of test_hostile_safe.py, with --safe and without
@pytest.mark.parametrize("safe", [False, True], ids=["trusted", "safe"])
def test_names_like_options_are_read_as_names(tmp_path, safe):
    md, marker = optioned_manuscript(tmp_path, "--lua-filter=x.lua")
    out = tmp_path / "--lua-filter=x.lua"              # the build folder too
    result = run_cli(md, f"--out={out}", *(["--safe"] if safe else []))
    assert not marker.exists(), result.stdout + result.stderr
    read_as_names(md, out, marker)


def test_a_name_latexmk_would_give_a_shell_is_refused(tmp_path):
    marker = tmp_path / "SHELL-MARKER"
    folder = tmp_path / "ms"
    md = write_manuscript(folder, GOOD_MD + "\nSee the table.\n\n| a | b |\n|---|---|\n| 1 | 2 |\n")
    hostile = md.with_name(f"b`touch {marker.name}`$(touch {marker.name}).md")
    md.rename(hostile)
    result = run_cli(hostile, "--out", tmp_path / "out", check=False)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"error: {hostile}: compile: the file name cannot go to TeX" in result.stderr
    assert "hint: " in result.stderr
    assert not marker.exists() and not (tmp_path / "out" / marker.name).exists()


# ---- limits ------------------------------------------------------------------------

def stopped(good, name: str, md: str, *options: str, limit: float = 0) -> str:
    """Build ``md`` into the good build's folder; it fails, in time, and keeps the last good PDFs."""
    root, out, before = good
    began = time.monotonic()
    result = run_cli(write_manuscript(root / name, md), "--out", out, *options, check=False)
    if limit:
        assert time.monotonic() - began < limit + MARGIN
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.count("error: ") == 1, result.stderr
    assert digests(out) == before
    assert "is from the last good build and is now stale" in result.stderr
    return result.stderr


#: 32 opening brackets and an x: 34 bytes with the newline.
BRACKETS = "[" * 32 + "x"


@pytest.mark.parametrize("body, stage, tool", [
    ("Text $\\def\\x{\\x}\\x$ here.", "compile", "xelatex"),
    ("Text \\loop\\iftrue\\repeat here.", "compile", "xelatex"),
    # a table makes the build go through latexmk, whose TeX must die with it: the loop comes in
    # the second pass (the first pass, which may be the build's early one, writes the label)
    ("| a | b |\n|---|---|\n| 1 | 2 |\n\n```{=latex}\n"
     "\\label{loopnext}\\ifcsname r@loopnext\\endcsname\\loop\\iftrue\\repeat\\fi\n```\n\nText here.",
     "compile", "latexmk"),
], ids=["math-macro-loop", "raw-tex-loop", "loop-under-latexmk"])
def test_a_hanging_input_ends_at_the_time_limit(good, body, stage, tool):
    md = GOOD_MD.replace("A second paragraph.", body)
    # the limit is spent looping; TeX gets 2 s, as pandoc's runs before it must end within the
    # same limit (on a loaded machine too)
    err = stopped(good, f"hang-{stage}-{tool}", md, "--time-limit", "2", limit=2)
    root, out, before = good
    assert (f"error: {root / f'hang-{stage}-{tool}' / 'paper.md'}: {stage}: {tool} did not finish "
            "within the time limit of 2 s and was stopped") in err
    assert "hint: " in err and "--time-limit SECONDS" in err
    # what the killed TeX may have cut off mid-line is gone
    assert not (out / "tex" / "paper.aux").exists()
    if tool == "latexmk":
        # ... and so is what it left for its next pass: the good manuscript builds to the same bytes
        run_cli(root / "good" / "paper.md", "--out", out)
        assert digests(out) == before


def test_nested_brackets_end_at_the_time_limit_a_template_sets(good):
    """pandoc hangs on the brackets; the limit is the template's (the TeX cases above give theirs on
    the command line: both reach every tool through the settings)."""
    root = good[0]
    folder = root / "template-limit"
    template = folder / "templates" / "quick"
    shutil.copytree(ROOT / "templates" / "working-paper", template)
    toml = template / "settings.toml"
    toml.write_text("time_limit = 1   # top level, before any table\n" + toml.read_text())
    md = GOOD_MD.replace("A second paragraph.", BRACKETS)
    md = md.replace("version-date", "template: quick\nversion-date")
    err = stopped(good, "template-limit", md, limit=1)
    assert (f"error: {folder / 'paper.md'}: convert: pandoc did not finish within the time limit of 1 s "
            "and was stopped") in err
    assert "hint: " in err and "--time-limit SECONDS" in err


def test_a_memory_limit_too_small_for_pandoc_is_a_memory_error(good):
    err = stopped(good, "memory", GOOD_MD, "--memory-limit", "100")
    assert "convert: pandoc" in err and "under the memory limit of 100 MB per process" in err
    assert "--memory-limit MB" in err


def test_a_missing_tex_engine_is_named_with_how_to_install_it(good, tmp_path):
    """No xelatex on PATH: the compile stage says so, not an old log's error."""
    root, out, before = good
    md = write_manuscript(root / "no-tex", GOOD_MD.replace("A second paragraph.", "Changed."))
    env = {**os.environ, "PATH": str(tmp_path)}          # no TeX, no git
    result = subprocess.run([sys.executable, str(ROOT / "build.py"), str(md), "--out", str(out)],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"error: {md}: compile: xelatex is not installed" in result.stderr
    assert "hint: run `python3 build.py` once" in result.stderr and "texlive-xetex" in result.stderr
    assert digests(out) == before


#: Nesting a little deeper than pressroom reads (pandoc_ast.MAX_DEPTH levels of pandoc's JSON: a
#: block quotation or an emphasis takes two, a list item three), which pandoc reads in a moment;
#: for the header, deeper than PyYAML can parse without running out of recursion (it spends about
#: two frames a level). Far deeper only costs pandoc time (400 nested lists: 14 s).
DEEP = {
    "quotations": ("A second paragraph.", ">" * (MAX_DEPTH // 2 + 10) + " deep"),
    "list": ("A second paragraph.", "\n".join("  " * i + "- item" for i in range(MAX_DEPTH // 3 + 10))),
    "emphasis": ("A second paragraph.", "*_" * (MAX_DEPTH // 4 + 5) + "x" + "_*" * (MAX_DEPTH // 4 + 5)),
    "header": ("abstract:", "keywords: " + "[" * (sys.getrecursionlimit() // 2 + 100)
               + "]" * (sys.getrecursionlimit() // 2 + 100) + "\nabstract:"),
}


@pytest.mark.parametrize("where", DEEP)
def test_nesting_deeper_than_pressroom_walks_is_one_located_error(good, where):
    old, new = DEEP[where]
    md = GOOD_MD.replace(old, new, 1)
    line = max(range(len(md.splitlines())), key=lambda i: len(md.splitlines()[i])) + 1
    err = stopped(good, f"deep-{where}", md)
    path = good[0] / f"deep-{where}" / "paper.md"
    assert f"error: {path}:{line}: the manuscript nests too deeply" in err
    # the notes listing reads the manuscript the same way
    notes = run_cli("notes", path, check=False)
    assert notes.returncode == 1 and "Traceback" not in notes.stderr
    assert f"error: {path}:{line}: the manuscript nests too deeply" in notes.stderr


def test_an_honest_depth_is_read(tmp_path):
    """Thirty block quotations inside each other, far deeper than any paper, still build."""
    md = GOOD_MD.replace("A second paragraph.", ">" * 30 + " A deep quotation.")
    notes = run_cli("notes", write_manuscript(tmp_path / "honest", md))
    assert notes.stdout.startswith("1. John Smith, *A Book*")
