"""Hostile manuscripts under --safe (issue 12, classes 2 and 3): the rule holds on what TeX
receives, and TeX runs confined by the operating system.

Class 2, TeX primitives through every channel: math in the body, a note and a header field;
pressroom's own markers forged in a code block; a templates/ folder that is a link; a
byte-order mark or a second YAML block naming /etc/passwd or /dev/zero as the bibliography;
raw TeX in the .bib fields that pandoc's citeproc reads (``citations: csl``). Each fails with
one located error, or builds a PDF that prints the TeX as text.

Class 3, TeX itself reaching out (as through any hole, or a trusted template): XeTeX's picture
primitives and an absolute graphics path at a marker PDF outside the folder, LuaLaTeX's
``\\directlua`` reading a marker file and writing beside it, a TeX loop at the time limit.
Without --safe the XeTeX primitive embeds the marker (the hole is real); with it, the marker
never reaches the PDF or the log and nothing is written outside the build folder. Where
bubblewrap is missing or cannot make its sandbox, --safe refuses to build.

An honest manuscript (math, a table, a figure, citations) builds under --safe to the same
bytes as without it. Its folder, its files and the build folders are named like options:
those two builds are also test_hostile_tools.py's case of a manuscript named `-d.md`. Real
pandoc, TeX and bubblewrap.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

import pikepdf
import pytest
from test_errors import GOOD_BIB, GOOD_MD, line_of, write_manuscript
from test_hostile_tools import optioned_manuscript, read_as_names

from conftest import ROOT, pdf_text, run_cli
from outputs import sha
from pressroom import compile as tex_stage
from pressroom import render
from pressroom.cli import main
from pressroom.config import Settings
from pressroom.errors import LatexError, LimitExceeded
from pressroom.frontfields import write_front
from pressroom.tools import Limits

#: one worker runs this module (pytest-xdist): the honest builds are made once and read by several tests
pytestmark = pytest.mark.xdist_group("hostile_safe")

#: The unique string of the marker files outside every folder TeX may see.
SECRET = "MARKER-7f3c9e21-NEVER-IN-A-PDF"

HONEST = GOOD_MD.replace("A second paragraph.", """\
Euler wrote $e^{i\\pi} + 1 = 0$ and $\\sum_{k=1}^{n} k = \\frac{n(n+1)}{2}$, and a display:

$$\\int_0^\\infty e^{-x^2}\\,dx = \\frac{\\sqrt{\\pi}}{2}, \\qquad
\\begin{pmatrix} a & b \\\\ c & d \\end{pmatrix}, \\quad \\text{if } \\alpha \\geq \\mathrm{d}x$$

A note with math.[^m]

[^m]: Where $\\lambda \\to \\infty$ [@smith2001, 3].

| Case | Count |
|:-----|------:|
| one  |     1 |
| two  |     2 |

: A table.

![A figure.](figure.png)

Code that looks like pressroom's own markers prints as it is:

```
%%pressroom-field:title
%%pressroom-0123456789abcdef0123456789abcdef:title
\\input{/etc/passwd}
%%md:1
%%md-0123456789abcdef:1
```

The last paragraph.""")


def secret_files(root: Path) -> tuple[Path, Path]:
    """A text file and a one-page PDF holding SECRET, outside every manuscript and build folder."""
    root.mkdir(parents=True, exist_ok=True)
    text = root / "secret.txt"
    text.write_text(f"{SECRET}\n", encoding="utf-8")
    pdf = pikepdf.new()
    font = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1,
                                                BaseFont=pikepdf.Name.Helvetica))
    page = pikepdf.Page(pikepdf.Dictionary(
        Type=pikepdf.Name.Page, MediaBox=[0, 0, 300, 100],
        Resources=pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font)),
        Contents=pdf.make_stream(f"BT /F1 12 Tf 20 50 Td ({SECRET}) Tj ET".encode())))
    pdf.pages.append(page)
    pdf.save(root / "secret.pdf")
    return text, root / "secret.pdf"


class Honest(NamedTuple):
    md: Path
    marker: Path
    safe: Path
    trusted: Path


@pytest.fixture(scope="module")
def honest(tmp_path_factory) -> Honest:
    """The honest manuscript built with --safe, and without it (at the same time). Its folder and
    files, and the build folders, are named like options (test_hostile_tools.optioned_manuscript:
    a tool that read one as an option would create the marker)."""
    root = tmp_path_factory.mktemp("hostile-safe")
    md, marker = optioned_manuscript(root, "-d.md", HONEST.replace("bibliography: refs.bib",
                                                                   "bibliography: [-d.bib]").replace(
                                                                       "](figure.png)", "](-d.png)"))
    made = Honest(md, marker, root / "safe" / "--lua-filter=x.lua", root / "trusted" / "--lua-filter=x.lua")
    builds = [subprocess.Popen([sys.executable, str(ROOT / "build.py"), str(md), f"--out={out}", *options],
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
              for out, options in ((made.safe, ["--safe"]), (made.trusted, []))]
    for build in builds:
        out, err = build.communicate(timeout=300)
        assert build.returncode == 0, out + err
    return made


def build(*args) -> tuple[int, str]:
    """pressroom's command line, in this process (no interpreter start-up): exit code, stderr."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main([str(a) for a in args], prog="build.py")
    return code, err.getvalue()


def test_an_honest_manuscript_builds_under_safe_to_the_same_bytes(honest):
    pdfs = ("-d.pdf", "-d-draft.pdf")
    assert [sha(honest.safe / pdf) for pdf in pdfs] == [sha(honest.trusted / pdf) for pdf in pdfs]
    text = pdf_text(honest.safe / "-d.pdf")
    assert "Euler wrote" in text and "A table." in text and "A figure." in text
    assert "Smith, A Book" in text and "The last paragraph." in text
    with pikepdf.open(honest.safe / "-d.pdf") as pdf:
        assert any("/XObject" in p.Resources for p in pdf.pages)   # the figure


@pytest.mark.parametrize("build", ["safe", "trusted"])
def test_names_like_options_are_read_as_names(honest, build):
    """test_hostile_tools.py's case for a manuscript named `-d.md`, on the honest builds."""
    read_as_names(honest.md, getattr(honest, build), honest.marker)


def test_forged_markers_print_as_text(honest):
    """A code block holding lines like pressroom's markers cuts nothing: the title stays the title."""
    text = pdf_text(honest.safe / "-d.pdf")
    assert text.startswith("A Small Paper")
    for line in ("%%pressroom-field:title", "\\input{/etc/passwd}", "%%md:1", "%%md-0123456789abcdef:1"):
        assert line in text, line
    assert "root:" not in text
    front = (honest.safe / "-d.front.json").read_text(encoding="utf-8")
    assert "passwd" not in front


def refused(root: Path, name: str, md: str, *options: str, bib: str | None = GOOD_BIB,
            files: dict[str, str] | None = None) -> tuple[str, Path]:
    """Build ``md`` with --safe: one located error, exit 1, no PDF."""
    path = write_manuscript(root / name, md, bib)
    for rel, content in (files or {}).items():
        (path.parent / rel).write_text(content, encoding="utf-8")
    out = root / f"{name}-out"
    code, err = build(path, "--out", out, "--safe", *options)
    assert code == 1, err
    assert err.count("error: ") == 1 and "  hint: " in err, err
    assert not (out / "paper.pdf").exists()
    return err, path


@pytest.mark.parametrize("body, command", [
    ("Text $\\input{/etc/passwd}$ here.", "\\input"),
    ("Display:\n\n$$x = \\csname input\\endcsname{/etc/passwd}$$", "\\csname"),
    ("Hex $^^5cinput{/etc/passwd}$ here.", "^^"),
    ("Loop $\\def\\x{\\x}\\x$ here.", "\\def"),
    ("Catcodes $\\catcode`\\@=0 @input$ here.", "\\catcode"),
    ("Text $\\text{\\input{/etc/passwd}}$ here.", "\\input"),
    ("Picture $\\XeTeXpicfile \"/etc/passwd\"$ here.", "\\XeTeXpicfile"),
    ("Lua $\\directlua{os.exit(1)}$ here.", "\\directlua"),
    ("A note.[^n]\n\n[^n]: With $\\immediate\\write18{touch x}$ math.", "\\immediate"),
], ids=["input", "csname-display", "caret-caret", "def-loop", "catcode", "text-input", "picfile",
        "directlua", "in-a-note"])
def test_math_outside_the_allowlist_is_refused(tmp_path, body, command):
    md = GOOD_MD.replace("A second paragraph.", body)
    err, path = refused(tmp_path, "math", md)
    assert f"error: {path}:{line_of(md, command)}: math with --safe may not hold " in err
    assert command in err.split("\n")[0]
    assert "hint: with --safe, math may use the commands of KaTeX's and MathJax's safe modes" in err


def test_math_in_a_header_field_is_refused(tmp_path):
    md = GOOD_MD.replace("abstract: A short abstract.", "abstract: 'Sums $\\input{/etc/passwd}$.'")
    err, path = refused(tmp_path, "header-math", md)
    line = line_of(md, "abstract:")
    assert f"error: {path}:{line}: math with --safe may not hold the command `\\input`" in err


@pytest.mark.parametrize("bibliography", ["/etc/passwd", "/dev/zero"])
def test_a_bibliography_after_a_byte_order_mark_is_read_as_pandoc_reads_it(tmp_path, bibliography):
    md = "\ufeff" + GOOD_MD.replace("bibliography: refs.bib", f"bibliography: {bibliography}")
    err, path = refused(tmp_path, "bom", md)
    assert f"error: {path}:{line_of(md, 'bibliography:')}: " in err
    assert ("bibliography outside the manuscript folder: " in err if bibliography == "/etc/passwd"
            else f"bibliography is not a file: {bibliography}" in err)
    assert "root:" not in err


@pytest.mark.parametrize("safe", [True, False], ids=["safe", "trusted"])
def test_a_second_yaml_block_cannot_name_another_bibliography(tmp_path, safe):
    md = GOOD_MD + "\nMore text.\n\n---\nbibliography: /dev/zero\n---\n\nThe end.\n"
    path = write_manuscript(tmp_path / "second", md)
    code, err = build(path, "--out", tmp_path / "out", *(["--safe"] if safe else []))
    assert code == 1 and err.count("error: ") == 1, err
    assert (f"error: {path}:{line_of(md, '/dev/zero')}: pandoc reads `bibliography` differently from "
            "the header (a second metadata block") in err
    assert not (tmp_path / "out" / "paper.pdf").exists()


def test_the_notes_listing_reads_the_header_as_the_build_does(tmp_path):
    """`notes` makes no PDF, but it reads the bibliography: the same one reading as the build."""
    md = GOOD_MD + "\nMore text.\n\n---\nbibliography: /dev/zero\n---\n\nThe end.\n"
    path = write_manuscript(tmp_path / "second", md)
    notes = run_cli("notes", path, check=False)
    assert notes.returncode == 1 and notes.stderr.count("error: ") == 1, notes.stderr
    assert (f"error: {path}:{line_of(md, '/dev/zero')}: pandoc reads `bibliography` differently from "
            "the header") in notes.stderr
    assert notes.stdout == ""


def test_templates_that_are_links_are_refused(tmp_path):
    """A templates/ link under --safe; a template linking out of the folder, always."""
    md = GOOD_MD.replace("bibliography: refs.bib", "bibliography: refs.bib\ntemplate: evil")
    outside = tmp_path / "elsewhere" / "evil"
    outside.mkdir(parents=True)
    (outside / "template.tex.j2").write_text("\\documentclass{article}\\begin{document}"
                                             "\\input{/etc/passwd}\\end{document}\n")
    linked = write_manuscript(tmp_path / "linked", md)
    (linked.parent / "templates").symlink_to(outside.parent, target_is_directory=True)
    inner = write_manuscript(tmp_path / "inner", md)
    (inner.parent / "templates").mkdir()
    (inner.parent / "templates" / "evil").symlink_to(outside, target_is_directory=True)
    for path, safe in ((linked, ["--safe"]), (inner, ["--safe"]), (inner, [])):
        code, err = build(path, "--out", tmp_path / "out", *safe)
        assert code == 1 and err.count("error: ") == 1, err
        assert f"error: {path.parent / 'templates'}: refusing the templates beside the manuscript: " in err
        assert "leads out of the manuscript folder" in err
    assert not (tmp_path / "out" / "paper.pdf").exists()


def test_csl_bibliographies_reach_tex_as_text_and_bring_no_images(tmp_path):
    """Pandoc's BibTeX reader keeps TeX it does not know as raw LaTeX: under --safe it prints. A
    CSL YAML bibliography's title brings no image. (One build: the two entries show apart.)"""
    secret, _ = secret_files(tmp_path / "outside")
    bib = ("@book{k1, author = {Doe, Jane}, year = {2000},\n  title = {A {\\relax\\input{SECRET}} B "
           "\\catcode`\\^^5c=12 C \\write18{touch pwned}}}\n").replace("SECRET", str(secret))
    yaml_bib = ("---\nreferences:\n- id: k2\n  type: book\n  issued: 2001\n"
                "  title: 'A ![Logo](/usr/share/pixmaps/debian-logo.png) title'\n...\n")
    md = ("---\ntitle: CSL\nbibliography: [refs.bib, refs.yaml]\ncitations: csl\n---\n\n"
          "A claim.[@k1] Another.[@k2]\n\nThe last paragraph.\n")
    path = write_manuscript(tmp_path / "csl", md, bib)
    (path.parent / "refs.yaml").write_text(yaml_bib, encoding="utf-8")
    out = tmp_path / "out"
    assert build(path, "--out", out, "--safe")[0] == 0
    text = pdf_text(out / "paper.pdf")
    assert f"\\relax\\input{{{secret}}}" in text and "\\catcode‘^^5c=12" in text
    assert SECRET not in text and "The last paragraph." in text
    body = (out / "paper.body.tex").read_text(encoding="utf-8")
    assert "\\textbackslash relax\\textbackslash input" in body
    assert not re.search(r"\\(relax|input|catcode|write18)\b", body.replace("\\textbackslash ", ""))
    assert not list(tmp_path.rglob("pwned"))
    assert "includegraphics" not in body
    assert "A Logo Title" in text


def test_math_from_a_csl_bibliography_is_checked(tmp_path):
    yaml_bib = ("---\nreferences:\n- id: k1\n  type: book\n  issued: 2000\n"
                "  title: 'Sums $\\input{/etc/passwd}$'\n...\n")
    md = "---\ntitle: CSL\nbibliography: refs.yaml\ncitations: csl\n---\n\nA claim.[@k1]\n"
    err, path = refused(tmp_path, "csl-math", md, bib=None, files={"refs.yaml": yaml_bib})
    assert f"error: {path.parent / 'refs.yaml'}:6: math with --safe may not hold the command `\\input`" in err


def test_a_dependent_csl_style_is_refused(tmp_path):
    """Its parent may be any file (pandoc printed /etc/passwd in its error) or a URL."""
    style = ('<?xml version="1.0" encoding="utf-8"?>\n<style xmlns="http://purl.org/net/xbiblio/csl" '
             'version="1.0">\n<info>\n<title>House</title>\n<id>house</id>\n'
             '<link href="/etc/passwd" rel="independent-parent"/>\n</info>\n</style>\n')
    md = GOOD_MD.replace("bibliography: refs.bib", "bibliography: refs.bib\ncitations: csl\ncsl: house.csl")
    err, path = refused(tmp_path, "dependent", md, files={"house.csl": style})
    assert f"error: {path.parent / 'house.csl'}:6: the CSL style is a dependent style" in err
    assert "root:" not in err


# ---- class 3: TeX confined by the operating system -------------------------------------

def tex_settings(tmp_path: Path, tex: str, *, engine: str = "xelatex", safe: bool = True,
                 template: Path | None = None, limits: Limits | None = None) -> Settings:
    """A build folder holding ``tex`` as paper.tex (a hole, or a trusted template, put it there)."""
    md = tmp_path / "ms" / "paper.md"
    md.parent.mkdir(parents=True, exist_ok=True)
    md.write_text("---\ntitle: T\n---\n\nText.\n", encoding="utf-8")
    out = (tmp_path / "out").resolve()
    out.mkdir(exist_ok=True)
    (out / "paper.tex").write_text(tex, encoding="utf-8")
    (out / "paper.body.tex").write_text("Text.\n", encoding="utf-8")
    write_front(out / "paper.front.json", fields={}, authors=[], keywords=[], images=[], needs=[],
                highlighting="", line_mark="%%md-0:")
    settings = Settings(manuscript=md, out_dir=out, template_name="t",
                        template_dir=template or ROOT / "templates" / "working-paper", engine=engine,
                        source_date_epoch=1700000000, safe=safe)
    return dataclasses.replace(settings, time_limit=limits.time) if limits else settings


def document(body: str) -> str:
    return f"\\documentclass{{article}}\n\\begin{{document}}\nBefore.\n{body}\nAfter.\n\\end{{document}}\n"


@pytest.fixture(scope="module")
def marker_pdf(tmp_path_factory) -> Path:
    return secret_files(tmp_path_factory.mktemp("outside"))[1]


def test_without_confinement_xetex_embeds_a_pdf_from_anywhere(tmp_path, marker_pdf):
    """The hole the sandbox closes: paranoid kpathsea does not cover \\XeTeXpdffile."""
    settings = tex_settings(tmp_path, document(f'\\XeTeXpdffile "{marker_pdf}" '), safe=False)
    assert SECRET in pdf_text(tex_stage.compile_pdf(settings))


@pytest.mark.parametrize("body", [
    '\\XeTeXpdffile "{pdf}" ',
    '\\XeTeXpicfile "{pdf}" ',
    "\\includegraphics{{{pdf}}}",
], ids=["XeTeXpdffile", "XeTeXpicfile", "includegraphics"])
def test_under_safe_tex_cannot_embed_a_file_outside(tmp_path, marker_pdf, body):
    tex = document(body.format(pdf=marker_pdf)).replace("\\begin{document}",
                                                         "\\usepackage{graphicx}\n\\begin{document}")
    settings = tex_settings(tmp_path, tex)
    with pytest.raises(LatexError) as caught:
        tex_stage.compile_pdf(settings)
    log = (settings.out_dir / "tex" / "paper.log").read_text(encoding="utf-8", errors="replace")
    assert "not found" in log or "Unable to load picture" in log or "not loadable" in log, log[-2000:]
    assert SECRET not in log and SECRET not in str(caught.value)
    assert not (settings.out_dir / "paper.pdf").exists()


LUA_TEMPLATE = """\\documentclass{article}
\\begin{document}
Before. \\directlua{local f = io.open("SECRET_TXT") tex.print(f and ("READ:" .. f:read("*l")) or "NOREAD")}
\\directlua{local f = io.open("WROTE_TXT", "w") if f then f:write("x") f:close() end}
\\directlua{local f = io.open("CACHE", "w") if f then f:write("{}") f:close() end}
\\directlua{tex.print((os.execute == nil and io.popen == nil and debug == nil) and "LOCKED" or "OPEN")}
\\VAR{body} After.
\\end{document}
"""


def test_a_lualatex_template_cannot_read_or_write_outside(tmp_path):
    """A trusted LuaLaTeX template (or a hole) running Lua: confined, and Lua's escapes removed."""
    secret, _ = secret_files(tmp_path / "outside")
    wrote = tmp_path / "outside" / "lua-wrote.txt"
    template = tmp_path / "templates" / "lua"
    template.mkdir(parents=True)
    (template / "template.tex.j2").write_text(
        LUA_TEMPLATE.replace("SECRET_TXT", str(secret)).replace("WROTE_TXT", str(wrote)))
    (template / "settings.toml").write_text('engine = "lualatex"\n')
    settings = tex_settings(tmp_path, "", engine="lualatex", template=template)
    cache = settings.out_dir / ".convert-cache.json"   # pressroom's, beside tex/: read-only to TeX
    (template / "template.tex.j2").write_text(
        (template / "template.tex.j2").read_text().replace("CACHE", str(cache)))
    render.render(settings)
    text = pdf_text(tex_stage.compile_pdf(settings))
    assert "Before. NOREAD" in text and "LOCKED" in text and "After." in text
    assert SECRET not in text and not wrote.exists() and not cache.exists()
    assert "--nosocket" in " ".join(tex_stage.tex_commands(settings, settings.output(".tex"))[0])


def test_a_tex_loop_ends_at_the_time_limit_inside_the_sandbox(tmp_path):
    # 1 s: no tool runs before TeX here (a build's pandoc must finish within the limit too)
    settings = tex_settings(tmp_path, document("\\loop\\iftrue\\repeat"), limits=Limits(time=1))
    with pytest.raises(LimitExceeded) as caught:
        tex_stage.compile_pdf(settings)
    assert "compile: xelatex did not finish within the time limit of 1 s" in caught.value.message


@pytest.mark.parametrize("fake, said", [
    (None, "bubblewrap (bwrap) is not installed"),
    ("echo 'bwrap: No permissions to create new namespace' >&2; exit 1",
     "bubblewrap cannot create its sandbox here (bwrap: No permissions to create new namespace)"),
], ids=["not-installed", "no-user-namespaces"])
def test_safe_refuses_where_tex_cannot_be_confined(tmp_path, fake, said):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    if fake:
        (bin_dir / "bwrap").write_text(f"#!/bin/sh\n{fake}\n")
        (bin_dir / "bwrap").chmod(0o755)
    md = write_manuscript(tmp_path / "ms")
    env = {**os.environ, "PATH": str(bin_dir)}
    result = subprocess.run([sys.executable, str(ROOT / "build.py"), str(md), "--out", str(tmp_path / "out"),
                             "--safe"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
                            check=False)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert f"error: {md}: --safe cannot confine TeX: {said}" in result.stderr
    assert result.stderr.count("error: ") == 1 and "  hint: " in result.stderr
    assert ("bubblewrap" in result.stderr.split("hint: ")[1]) if not fake else "namespaces" in result.stderr
    assert not (tmp_path / "out" / "paper.pdf").exists()
