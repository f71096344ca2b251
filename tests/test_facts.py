"""What pandoc's AST says besides the LaTeX (facts.py): the figures, whatever the Markdown's way of
referring to them, and the plain text of the title and subject, as the page prints them. One
build with real TeX checks both ends: a reference-style figure is an input of the PDF (replacing
the PNG rebuilds it), and the PDF's /Title is pandoc's plain text, which the check accepts."""

from __future__ import annotations

import json
import re

import pikepdf
import pytest
from PIL import Image

from conftest import run_cli
from pressroom.facts import FACTS_CACHE, current, from_ast, source_digest
from pressroom.manuscript import KNOWN_KEYS, text_without_key
from pressroom.pandoc_ast import read_markdown

PAPER = """\
---
title: 'Treaty Ports, 1945--1990: "Open" Cities and *Closed* Ones'
abstract: |
  The ports' story.

  A second paragraph -- with a dash.
version-date: 2026-03-14
draft:
  text: "DRAFT"
---

# Ports

Two figures, one written inline and one by reference.

![The harbour](figures/harbour.png)

![Map of the ports][map]

[map]: figures/map.png
"""


def png(path, colour):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (40, 30), colour).save(path)


@pytest.fixture
def paper(tmp_path):
    src = tmp_path / "src"
    md = src / "paper.md"
    src.mkdir()
    md.write_text(PAPER, encoding="utf-8")
    png(src / "figures" / "harbour.png", (200, 30, 30))
    png(src / "figures" / "map.png", (30, 30, 200))
    return md


def test_the_figures_and_plain_text_come_from_pandocs_reading(paper):
    facts = from_ast(read_markdown(paper))
    assert facts.figures == ("figures/harbour.png", "figures/map.png")
    assert facts.title == "Treaty Ports, 1945–1990: “Open” Cities and Closed Ones"
    assert facts.short_title == "Treaty Ports, 1945–1990"
    assert facts.subject == "The ports’ story. A second paragraph – with a dash."


def test_the_short_title_is_given_or_the_title_before_its_colon(tmp_path):
    """The running head's title: `short-title`, else the title before its colon, as pandoc reads them."""
    md = tmp_path / "paper.md"
    for header, short in (('title: "Sino-Soviet Relations: Situational Cordiality"', "Sino-Soviet Relations"),
                          ("title: No Colon Here", "No Colon Here"),
                          ('title: "Long: Title"\nshort-title: "*Mine*"', "Mine")):
        md.write_text(f"---\n{header}\n---\n\nText.\n", encoding="utf-8")
        assert from_ast(read_markdown(md)).short_title == short
    assert "short-title" in KNOWN_KEYS


def kept_identity(out) -> str:
    return json.loads((out / FACTS_CACHE).read_text(encoding="utf-8"))["identity"]


def test_facts_are_kept_by_the_manuscript_without_its_draft_block(paper, tmp_path):
    out = tmp_path / "out"
    # no build folder (a `check` of PDFs named with --manuscript): the facts, and no folder made
    first = current(paper, out)
    assert not out.exists()
    out.mkdir()
    assert current(paper, out) == first
    assert kept_identity(out).endswith(source_digest(paper))
    paper.write_text(PAPER.replace('"DRAFT"', '"ANOTHER WORDING"'), encoding="utf-8")
    assert kept_identity(out).endswith(source_digest(paper))
    assert current(paper, out) == first
    paper.write_text(PAPER.replace("[map]: figures/map.png", "[map]: figures/harbour.png"), encoding="utf-8")
    assert current(paper, out).figures == ("figures/harbour.png",)


def test_the_draft_block_is_cut_where_it_stands():
    text = 'a: 1\n---\n'
    assert text_without_key(text, "draft") == text
    header = '---\ntitle: T\n"draft":\n  text: X\n\n  footer: Y\nlang: en\n---\nBody\n'
    assert text_without_key(header, "draft") == '---\ntitle: T\n\n\n\n\nlang: en\n---\nBody\n'


def test_a_reference_style_figure_is_an_input_and_the_title_is_pandocs(paper, tmp_path):
    out = tmp_path / "out"
    run_cli(paper, "--out", out)
    with pikepdf.open(out / "paper.pdf") as pdf:
        assert str(pdf.docinfo["/Title"]) == "Treaty Ports, 1945–1990: “Open” Cities and Closed Ones"
        assert str(pdf.docinfo["/Subject"]) == "The ports’ story. A second paragraph – with a dash."
    report = json.loads((out / "paper.check.json").read_text(encoding="utf-8"))
    assert all(row["ok"] for row in report), report
    before = (out / "paper.pdf").read_bytes()

    png(paper.parent / "figures" / "map.png", (30, 200, 30))   # the figure referred to by [map]
    again = run_cli(paper, "--out", out)
    ran = [line.split()[0] for line in again.stdout.splitlines() if re.match(r"^\w+\s+\d+\.\d\d s$", line)]
    assert "compile" in ran and "convert" not in ran
    assert (out / "paper.pdf").read_bytes() != before
    assert (out / "figures" / "map.png").read_bytes() == (paper.parent / "figures" / "map.png").read_bytes()
    assert "nothing changed" in run_cli(paper, "--out", out).stdout
