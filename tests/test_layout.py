"""Submission layouts (pressroom/layout.py): line numbers, figures and tables at the end, endnotes,
double spacing throughout.

One build per session: the cross-reference fixture (tests/data/crossref/)
with all four layouts in its header, anonymous-review, under ``--safe``;
read back with pdftotext (pages, words and their positions). The errors are
unit tests, found before TeX.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import ROOT, made_once, run_cli
from pressroom.config import Settings
from pressroom.errors import ManuscriptError, TemplateError
from pressroom.layout import floats_to_end, split_floats
from pressroom.pandoc_ast import Para, RawBlock, Str

FIXTURE = ROOT / "tests" / "data" / "crossref"
LAYOUTS = "line-numbers: true\nfloats-at-end: true\nnotes: endnotes\ndouble-spacing: true\n"


def with_header(folder: Path, lines: str) -> Path:
    """A copy of the fixture whose header ends with ``lines``."""
    shutil.copytree(FIXTURE, folder)
    md = folder / "paper.md"
    md.write_text(md.read_text(encoding="utf-8").replace("lang: en-US\n", "lang: en-US\n" + lines, 1),
                  encoding="utf-8")
    return folder


@pytest.fixture(scope="session")
def layout_build(tmp_path_factory) -> Path:
    """The fixture with the four layouts, built once per session (across workers): its PDF."""
    def make(folder: Path) -> None:
        with_header(folder / "paper", LAYOUTS)
        run_cli(folder / "paper", "--out", folder / "out", "--template", "anonymous-review", "--safe")
    return made_once(tmp_path_factory, "layouts", make) / "out" / "paper.pdf"


#: a line of ``pdftotext -layout`` that starts with a line number: the number, the line's text
NUMBERED = re.compile(r"^ {0,4}(\d+) {2,}(\S.*)$", re.MULTILINE)


def pages(pdf: Path) -> list[str]:
    """pdftotext's pages, laid out (the line numbers in a column of their own)."""
    args = ["pdftotext", "-enc", "UTF-8", "-layout", str(pdf), "-"]
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout.split("\f")[:-1]


def texts(pdf: Path) -> list[str]:
    """Each page's words without the line numbers, on one line."""
    return [" ".join(NUMBERED.sub(r"\2", page).split()) for page in pages(pdf)]


def test_line_numbers_run_on_across_pages(layout_build):
    numbered = []   # (page, number, first words of the line)
    for n, page in enumerate(pages(layout_build), start=1):
        numbered += [(n, int(m.group(1)), m.group(2)) for m in NUMBERED.finditer(page)]
    numbers = [number for _, number, _ in numbered]
    assert numbers == list(range(1, len(numbers) + 1))                     # continuous, from 1
    assert len({page for page, _, _ in numbered}) >= 3                     # on every page with text
    assert any(text.startswith("This paper has three figures") for _, _, text in numbered)
    assert any(text.startswith("1. Margaret Hartley") for _, _, text in numbered)   # notes too
    assert not any("Figure 1: The harbour" in text for _, _, text in numbered)       # not the floats


def test_figures_and_tables_come_after_the_text_each_on_its_own_page(layout_build):
    page = texts(layout_build)
    body = next(i for i, t in enumerate(page) if "This paper has three figures" in t)
    assert all(f"[{what} about here]" in page[body]
               for what in ("Figure 1", "Table 1", "Figure 2", "Table 2", "Figure 3"))
    notes = next(i for i, t in enumerate(page) if t.startswith("Notes"))
    captions = [re.findall(r"(?:Figure|Table) \d:", t) for t in page[notes + 1:]]
    assert captions == [["Figure 1:"], ["Table 1:"], ["Figure 2:"], ["Table 2:"], ["Figure 3:"]]
    assert re.search(r"Ariel\s+British", page[notes + 4])              # the table with its caption
    assert not any("Figure 1:" in t for t in page[:notes])


def test_endnotes_are_headed_notes_and_keep_their_form(layout_build):
    """Chicago's order: the text, the notes, the bibliography (CMOS 14.43); then the figures."""
    page = texts(layout_build)
    notes = next(t for t in page if t.startswith("Notes"))
    assert notes.startswith("Notes 1. Margaret Hartley, Harbours and Hinterlands")
    assert "2. Figure 2 draws them; compare section “Conclusion”. Bibliography Hartley, Margaret" in notes
    assert not any("Margaret Hartley" in t for t in page if t is not notes)   # not at the foot of a page


def test_double_spacing_reaches_the_notes(layout_build):
    """The two lines of the first endnote stand a double-spaced baseline apart (12-pt type)."""
    html = subprocess.run(["pdftotext", "-bbox", str(layout_build), "-"], capture_output=True, text=True,
                          check=True).stdout
    tops = {word: float(y) for y, word in re.findall(r'yMin="([\d.]+)"[^>]*>([^<]+)</word>', html)}
    assert tops["Clarendon"] - tops["Margaret"] > 22    # single spacing: 14.5 pt


# ---- before TeX -------------------------------------------------------------------

def test_a_bad_layout_value_in_the_header_names_its_line(tmp_path):
    folder = with_header(tmp_path / "paper", "notes: sidenotes\n")
    from pressroom.manuscript import read_manuscript
    with pytest.raises(ManuscriptError) as info:
        read_manuscript(folder / "paper.md")
    assert info.value.message == "`notes` must be `footnotes` or `endnotes`"
    assert info.value.line == 11
    assert info.value.hint == "e.g. `notes: endnotes`"


def test_a_bad_layout_value_in_settings_toml_is_an_error(tmp_path):
    from pressroom.layout import settings_of
    with pytest.raises(TemplateError) as info:
        settings_of({"line-numbers": "yes"}, {}, template_file=tmp_path / "settings.toml")
    assert info.value.message == "`line-numbers` must be true or false, not 'yes'"
    # the header wins over the template
    assert settings_of({"notes": "endnotes"}, {"notes": "footnotes"}, template_file=tmp_path)["notes"] == \
        "footnotes"


def test_a_template_without_the_includes_is_refused(tmp_path):
    from pressroom.render import _check_layouts
    settings = Settings(manuscript=tmp_path / "p.md", out_dir=tmp_path, template_name="mine",
                        template_dir=tmp_path, floats_at_end=True)
    with pytest.raises(TemplateError) as info:
        _check_layouts(settings, "\\documentclass{article}\n% pressroom: submission layouts\n")
    assert "does not print the submission layout asked for (floats-at-end)" in info.value.message
    assert info.value.hint == 'include \\BLOCK{include "_common/end-matter.tex.j2"} before \\end{document}'


def test_floats_move_with_their_line_marks(tmp_path):
    mark = "%%md-0123456789abcdef:"
    figure = {"t": "Figure", "c": [["", [], []], [None, [Para([Str("F")])]], []]}
    table = {"t": "Table", "c": [["tbl:t", [], []], [None, []]]}
    blocks = [RawBlock("latex", f"{mark}3"), Para([Str("Text")]), RawBlock("latex", f"{mark}5"), figure,
              RawBlock("latex", f"{mark}7"), table, RawBlock("latex", f"{mark}end")]
    moved = floats_to_end(blocks, {id(figure): ("fig", (1,)), id(table): ("tbl", (2, 1))}, mark=mark)
    raw = [b["c"][1] if b["t"] == "RawBlock" else b["t"] for b in moved]
    assert raw == [f"{mark}3", "Para", "\\begin{center}[Figure~1 about here]\\end{center}",
                   "\\begin{center}[Table~2.1 about here]\\end{center}", f"{mark}floats",
                   f"{mark}5", "Figure", "\\clearpage", f"{mark}7", "Table", f"{mark}end"]
    assert split_floats(f"text\n{mark}floats\nfloat\n", mark) == ("text", "float\n")
    assert split_floats("text only\n", mark) == ("text only\n", "")


def test_a_code_block_in_a_note_is_refused_with_endnotes(tmp_path):
    from pressroom.layout import check_endnotes
    md = tmp_path / "paper.md"
    md.write_text("Text.[^a]\n\n[^a]: Code:\n\n    ```\n    a_b % c\n    ```\n", encoding="utf-8")
    from pressroom.pandoc_ast import read_markdown
    with pytest.raises(ManuscriptError) as info:
        check_endnotes(read_markdown(md)["blocks"], md)
    assert "a note holds a code block" in info.value.message and info.value.line == 6


def test_the_notes_go_before_the_bibliography_and_its_heading():
    from pressroom.layout import PRINT_NOTES, notes_before_bibliography
    mark = RawBlock("latex", "%%md-0123456789abcdef:9")
    heading = {"t": "Header", "c": [1, ["", ["unnumbered"], []], [Str("References")]]}
    refs = {"t": "Div", "c": [["refs", [], []], []]}
    blocks = [Para([Str("Text")]), mark, heading, refs]
    assert notes_before_bibliography(blocks) == [Para([Str("Text")]), RawBlock("latex", PRINT_NOTES),
                                                 mark, heading, refs]
    assert notes_before_bibliography(blocks[:1]) == blocks[:1]   # no list: the end matter prints them
