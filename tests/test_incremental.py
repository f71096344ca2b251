"""Incremental builds, with real pandoc and TeX: touch each kind of input of
a small footnoted manuscript and check which stages the build reports as run
(`convert    0.25 s`, one line per stage that ran), and how many TeX passes
TeX made. The builds whose TeX passes are counted, and those that show what
a process of their own does, run build.py; the others run in this process
(run_cli)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT, copy_of, pdf_text, run_build, run_cli

#: one worker runs this module (pytest-xdist): the tests take turns editing and rebuilding one build folder
pytestmark = pytest.mark.xdist_group("incremental")

STAGES = ("convert", "render", "compile", "stamp", "check", "manifest")

PAPER = """\
---
title: "A Small Paper"
author:
  - name: A. Author
    affiliation: Somewhere
version-date: 2026-03-14
bibliography:
  - refs.bib
  - more.bib
lang: en-US
draft:
  text: "WORK IN PROGRESS"
---

# First

The first paragraph cites a book.[@cited, 12] It has a note of its own too.[^1]

[^1]: A plain footnote.

The second paragraph is the one we edit.

# Second

More text, and another citation.[@cited, 14] One from the second bibliography.[@second, 3]
"""

BIB = """\
@book{cited,
  author = {Author, Anna},
  title = {The Cited Book},
  publisher = {Press},
  address = {Tokyo},
  year = {1990}
}

@book{uncited,
  author = {Other, Otto},
  title = {The Uncited Book},
  publisher = {Press},
  address = {Kyoto},
  year = {1991}
}
"""
#: the second bibliography
MORE_BIB = """\
@book{second,
  author = {Second, Sara},
  title = {The Second Book},
  publisher = {Press},
  address = {Osaka},
  year = {1992}
}
"""


def ran(result) -> list[str]:
    """The stages the build reported as run, in order."""
    return [line.split()[0] for line in result.stdout.splitlines()
            if re.match(rf"^({'|'.join(STAGES)})\s+\d+\.\d\d s$", line)]


class CountedTex:
    """`xelatex` first on PATH is a wrapper that logs each TeX run, then runs the real one; builds
    get that PATH through their environment (``env``), never through this process's.

    (`xelatex --version`, asked for the manifest, is no TeX run.)
    """

    def __init__(self, bin_dir: Path):
        self.log = bin_dir / "passes.log"
        wrapper = bin_dir / "xelatex"
        wrapper.write_text(f'#!/bin/sh\n[ "$1" = --version ] || echo pass >> "{self.log}"\n'
                           f'exec "{shutil.which("xelatex")}" "$@"\n')
        wrapper.chmod(0o755)
        self.env = {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}

    def build(self, *args) -> subprocess.CompletedProcess:
        """build.py ARGS with the counting xelatex."""
        return run_build(*args, env=self.env)

    def passes(self) -> int:
        """TeX runs since the last call."""
        n = len(self.log.read_text().splitlines()) if self.log.exists() else 0
        self.log.unlink(missing_ok=True)
        return n


@pytest.fixture(scope="module")
def counted_tex(tmp_path_factory) -> CountedTex:
    return CountedTex(tmp_path_factory.mktemp("bin"))


@pytest.fixture(scope="module")
def paper(tmp_path_factory, counted_tex):
    """The manuscript (with its own copy of the template) and its build folder, built once.

    The tests build it again after an edit of their own, each one different (and each build
    leaves it up to date), so that they can run in any order."""
    src = tmp_path_factory.mktemp("incremental")
    (src / "paper.md").write_text(PAPER, encoding="utf-8")
    (src / "refs.bib").write_text(BIB, encoding="utf-8")
    (src / "more.bib").write_text(MORE_BIB, encoding="utf-8")
    shutil.copytree(ROOT / "templates" / "working-paper", src / "templates" / "working-paper")
    out = src / "build"
    counted_tex.passes()
    first = counted_tex.build(src, "--out", out)
    return src, out, first, counted_tex.passes()


def build(paper, *args):
    src, out = paper[:2]
    return run_cli(src, "--out", out, *args)


def edit(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_cold_build_runs_every_stage_and_one_tex_pass(paper):
    _, _, first, passes = paper
    assert ran(first) == list(STAGES)
    assert passes == 1, "a body with only footnotes needs one TeX pass"


def test_nothing_changed_runs_nothing(paper):
    result = build(paper)
    assert ran(result) == [] and "nothing changed: no stage ran" in result.stdout


def test_a_no_op_build_loads_none_of_the_stages_heavy_modules(paper):
    """Nothing to do is cheap: pikepdf, pybtex and Jinja2 (0.2 s of imports) stay unloaded."""
    src, out = paper[:2]
    result = subprocess.run([sys.executable, str(ROOT / "build.py"), str(src), "--out", str(out)],
                            env={**os.environ, "PYTHONPROFILEIMPORTTIME": "1"}, capture_output=True,
                            text=True)
    imported = {line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines()
                if line.startswith("import time:")}
    assert "nothing changed" in result.stdout and "doit" in imported
    assert not {"pikepdf", "pybtex", "jinja2"} & imported


def test_new_mtimes_with_the_same_content_run_nothing(paper):
    src, out = paper[:2]
    later = time.time() + 100
    for path in (src / "paper.md", src / "refs.bib", out / "paper.body.tex", out / "paper.tex"):
        os.utime(path, (later, later))
    assert ran(build(paper)) == []


def test_one_paragraph_edit_reruns_all_with_one_tex_pass_each_stage_shown_while_it_runs(paper, counted_tex):
    """The edit reruns every stage, with one TeX pass; on a terminal each stage shows while it
    runs: `compile    ...` as soon as TeX starts, overwritten by `compile    0.71 s` when it ends."""
    import pty
    src, out = paper[:2]
    counted_tex.passes()
    edit(src / "paper.md", "the one we edit", "the one we have edited")
    leader, follower = pty.openpty()
    proc = subprocess.Popen([sys.executable, str(ROOT / "build.py"), str(src), "--out", str(out)],
                            stdout=follower, stderr=subprocess.DEVNULL, env={**os.environ, **counted_tex.env})
    os.close(follower)
    shown = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:   # the build closed its end
            break
        if not chunk:
            break
        shown += chunk
    os.close(leader)
    assert proc.wait(timeout=300) == 0
    text = shown.decode("utf-8")
    assert re.search(r"compile     \.\.\.\r\x1b\[Kcompile +\d+\.\d\d s", text), text
    # what the terminal shows in the end: each line as its last overwrite left it
    final = "\n".join(line.rsplit("\x1b[K", 1)[-1] for line in text.replace("\r\n", "\n").split("\n"))
    assert ran(subprocess.CompletedProcess(proc.args, 0, final)) == list(STAGES), text
    assert counted_tex.passes() == 1


def test_draft_wording_reruns_only_stamp_and_check(paper):
    """...and loads neither pybtex nor Jinja2 (the stages before the stamp, or a Word stage the
    build does not have, are not warmed up)."""
    src, out = paper[:2]
    pdf = (out / "paper.pdf").read_bytes()
    edit(src / "paper.md", 'text: "WORK IN PROGRESS"', 'text: "PLEASE DO NOT CIRCULATE"')
    result = subprocess.run([sys.executable, str(ROOT / "build.py"), str(src), "--out", str(out)],
                            env={**os.environ, "PYTHONPROFILEIMPORTTIME": "1"}, capture_output=True,
                            text=True)
    assert ran(result) == ["stamp", "check", "manifest"], result.stdout + result.stderr
    assert (out / "paper.pdf").read_bytes() == pdf
    imported = {line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines()
                if line.startswith("import time:")}
    assert "pikepdf" in imported and not {"pybtex", "jinja2"} & imported


def test_uncited_bib_entry_reruns_nothing_after_convert(paper):
    src = paper[0]
    edit(src / "refs.bib", "The Uncited Book", "The Uncited Book, Revised")
    assert ran(build(paper)) == ["convert", "manifest"]


def test_cited_bib_entry_reruns_everything(paper):
    src = paper[0]
    edit(src / "refs.bib", "The Cited Book", "The Cited Book, Revised")
    assert ran(build(paper)) == list(STAGES)


def test_template_change_reruns_render_onward(paper):
    src = paper[0]
    template = src / "templates" / "working-paper" / "template.tex.j2"
    edit(template, "\\VAR{strings.version_date}: ", "Version of ")
    assert ran(build(paper)) == ["render", "compile", "stamp", "check", "manifest"]


def test_template_change_that_leaves_the_pdf_alone_stops_at_compile(paper):
    src = paper[0]
    template = src / "templates" / "working-paper" / "template.tex.j2"
    template.write_text(template.read_text(encoding="utf-8") + "% a LaTeX comment after the end\n",
                        encoding="utf-8")
    assert ran(build(paper)) == ["render", "compile", "manifest"]


TABLE_PAPER = """\
---
title: "A Paper with a Table"
version-date: 2026-03-14
---

# Counts

| Decade | Papers |
|--------|-------:|
| 1900s  |     12 |
| 1910s  |     31 |

The table's column widths come back from the .aux.[^1]

[^1]: And a note.
"""


def test_a_body_that_reads_the_aux_gets_the_passes_it_needs(tmp_path, counted_tex):
    """A table (longtable) reads its column widths back from the .aux: latexmk runs a second pass
    when they change, and none when a rebuild leaves them as they were."""
    (tmp_path / "paper.md").write_text(TABLE_PAPER, encoding="utf-8")
    counted_tex.passes()
    counted_tex.build(tmp_path, "--out", tmp_path / "build")
    assert counted_tex.passes() == 2
    edit(tmp_path / "paper.md", "And a note.", "And a longer note.")
    counted_tex.build(tmp_path, "--out", tmp_path / "build")
    assert counted_tex.passes() == 1
    assert "And a longer note." in pdf_text(tmp_path / "build" / "paper.pdf")


def test_one_pass_and_latexmk_make_the_same_pdf(small_build, tmp_path):
    """The one-pass path runs what latexmk runs (-no-pdf, then xdvipdfmx -E): same bytes (latexmk
    run in a copy of the session's small build, whose body has only footnotes)."""
    from pressroom.compile import tex_commands
    from pressroom.config import build_settings
    from pressroom.manuscript import read_manuscript
    out = tmp_path / "build"
    md = copy_of(small_build, tmp_path / "src", out)
    settings = build_settings(read_manuscript(md), out_dir=out)
    assert [c[0] for c in tex_commands(settings, out / "paper.tex")] == ["xelatex", "xdvipdfmx"]
    one_pass = (out / "tex" / "paper.pdf").read_bytes()
    env = {**os.environ, "SOURCE_DATE_EPOCH": str(settings.source_date_epoch), "FORCE_SOURCE_DATE": "1"}
    subprocess.run(["latexmk", "-norc", "-xelatex", "-g", "-silent", "-outdir=tex", "paper.tex"],
                   cwd=out, env=env, check=True, capture_output=True)
    assert (out / "tex" / "paper.pdf").read_bytes() == one_pass


def test_two_bibliographies_are_both_inputs(paper):
    """`bibliography: [refs.bib, more.bib]`: citations from either; an edit to an entry the paper
    cites from the second reruns every stage."""
    src, out = paper[:2]
    assert {"refs.bib", "more.bib"} <= set(json.loads((out / "manifest.json").read_text())["inputs"])
    edit(src / "more.bib", "The Second Book", "The Second Book, Revised")
    assert ran(build(paper)) == list(STAGES)
    assert "The Second Book, Revised" in pdf_text(out / "paper.pdf")
