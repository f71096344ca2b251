"""The bibliography list (``bibliography-list: true``): its place in the document, what it
lists, its order, and its forms, through the Pandoc filter with real pandoc (no TeX: the
PDFs are read in test_templates.py; every entry type's form against biblatex-chicago is in
test_chicago_golden.py)."""

from __future__ import annotations

import unicodedata

import pytest

from conftest import CORPUS_PAPER, needs_corpus
from pressroom.citations.notes import read_markdown
from pressroom.citations.pandoc_filter import LIST_ID, process
from pressroom.config import build_settings
from pressroom.errors import CitationError, ManuscriptError, TemplateError, Warnings
from pressroom.manuscript import read_manuscript
from pressroom.pandoc_ast import stringify

BIB = r"""@book{westad1998, editor = {Westad, Odd Arne}, title = {Brothers in Arms},
  location = {Stanford, CA}, publisher = {Stanford University Press}, date = {1998}}
@book{westad2005, author = {Westad, Odd Arne}, title = {The Global Cold War},
  location = {Cambridge}, publisher = {Cambridge University Press}, date = {2005}}
@book{shen2012, author = {Shen, Zhihua}, options = {nametemplates=cjk},
  title = {Mao, Stalin and the Korean War}, location = {London}, publisher = {Routledge}, date = {2012}}
@book{shenxia2015, author = {Shen, Zhihua and Xia, Yafeng}, options = {nametemplates=cjk},
  title = {Mao and the Sino-Soviet Partnership}, location = {Lanham, MD}, publisher = {Lexington},
  date = {2015}}
@book{tocqueville, author = {Tocqueville, Alexis de}, title = {Democracy in America},
  translator = {Mansfield, Harvey C.}, location = {Chicago}, publisher = {University of Chicago Press},
  date = {2000}}
@book{vandeven, author = {family={Van de Ven}, given={Hans J.}}, title = {War and Nationalism in China},
  location = {London}, publisher = {Routledge}, date = {2003}}
@article{zubok, author = {Zubok, Vladislav}, title = {The Mao-Khrushchev Conversations},
  journaltitle = {Cold War International History Project Bulletin}, volume = {12}, date = {2001},
  pages = {244--272}, doi = {10.1000/xyz}}
@book{uncited, author = {Abel, Anna}, title = {Never Cited}, publisher = {P}, location = {L}, date = {1990}}
"""
TEXT = "A [@zubok, 250]. B [@westad2005]. C [@shenxia2015; @tocqueville]. D [@vandeven]. E [@westad1998].\n"


def write(tmp_path, body: str = TEXT, header: str = "") -> object:
    (tmp_path / "refs.bib").write_text(BIB, encoding="utf-8")
    path = tmp_path / "paper.md"
    path.write_text(f"---\nbibliography: refs.bib\n{header}---\n\n{body}", encoding="utf-8")
    return path


def run(tmp_path, body: str = TEXT, header: str = "", fmt: str = "markdown", **kw) -> dict:
    path = write(tmp_path, body, header)
    return process(read_markdown(path), source=path, fmt=fmt, **kw)


def listed(block: dict) -> list[str]:
    """The text of the list's entries (the paragraphs of its Div)."""
    out = []
    for b in block["c"][1]:
        if b["t"] == "Para":
            out.append(b["c"][0]["c"][1] if b["c"][0]["t"] == "RawInline" else stringify(b["c"]))
        elif b["t"] == "Div":
            out += listed(b)
    return out


def test_the_list_follows_the_body_in_chicago_order_and_form(tmp_path):
    doc = run(tmp_path, TEXT + "\n# Conclusion\n\nThe end.\n", bibliography_list=True)
    last = doc["blocks"][-1]
    assert last["t"] == "Div" and last["c"][0][0] == LIST_ID
    assert stringify(doc["blocks"][-2]) == "The end."            # after the body's last block
    header = last["c"][1][0]
    assert header["t"] == "Header" and stringify(header) == "Bibliography"
    assert "unnumbered" in header["c"][1][1]
    assert listed(last) == [
        # family-first names under the family name, among the others (CMOS 14.66–14.69, 8.14)
        r"Shen Zhihua and Xia Yafeng. *Mao and the Sino-Soviet Partnership*. Lanham, MD: Lexington, 2015.",
        # a particle that is not part of the family name follows the given name (CMOS 8.5)
        "Tocqueville, Alexis de. *Democracy in America*. Translated by Harvey C. Mansfield. Chicago: "
        "University of Chicago Press, 2000.",
        "Van de Ven, Hans J. *War and Nationalism in China*. London: Routledge, 2003.",
        "Westad, Odd Arne, ed. *Brothers in Arms*. Stanford, CA: Stanford University Press, 1998.",
        # the 3-em dash for the same name (CMOS 14.67–14.68)
        "———. *The Global Cold War*. Cambridge: Cambridge University Press, 2005.",
        # an article's whole page range, the DOI (CMOS 14.8)
        "Zubok, Vladislav. “The Mao-Khrushchev Conversations.” *Cold War International History Project "
        "Bulletin* 12 (2001): 244–272. <https://doi.org/10.1000/xyz>.",
    ]


def test_the_working_paper_style_holds_in_the_list(tmp_path):
    doc = run(tmp_path, header="citation-style: working-paper\n", bibliography_list=True)
    entries = listed(doc["blocks"][-1])
    assert "*Cold War International History Project Bulletin*, Vol. 12 (2001), pp.\u00a0244–72." \
        in entries[-1]
    assert "doi" not in entries[-1]


def test_the_header_turns_it_on_and_nocite_adds_sources(tmp_path):
    doc = run(tmp_path, "One [@zubok].\n", "bibliography-list: true\nnocite: '@uncited'\n")
    assert [e.split(".")[0] for e in listed(doc["blocks"][-1])] == ["Abel, Anna", "Zubok, Vladislav"]
    every = run(tmp_path, "No citation.\n", "bibliography-list: true\nnocite: '@*'\n")
    assert len(listed(every["blocks"][-1])) == 8
    off = run(tmp_path, "One [@zubok].\n")
    assert off["blocks"][-1]["t"] == "Para"


def test_an_unknown_nocite_key_is_an_error_with_its_line(tmp_path):
    with pytest.raises(CitationError) as info:
        run(tmp_path, "One [@zubok].\n", "bibliography-list: true\nnocite: '@nosuch'\n")
    assert "nosuch" in info.value.message and info.value.line == 4


def test_a_refs_div_places_the_list_and_a_heading_before_it_is_kept(tmp_path):
    body = TEXT + "\n::: {#refs}\n:::\n\n# Appendix\n\nMore.\n"
    doc = run(tmp_path, body, bibliography_list=True)
    refs = next(b for b in doc["blocks"] if b["t"] == "Div")
    assert refs["c"][0][0] == "refs" and stringify(refs["c"][1][0]) == "Bibliography"
    assert len(listed(refs)) == 6 and stringify(doc["blocks"][-1]) == "More."
    own = run(tmp_path, TEXT + "\n# Works Cited\n\n::: {#refs}\n:::\n", bibliography_list=True)
    refs = own["blocks"][-1]
    assert stringify(own["blocks"][-2]) == "Works Cited" and refs["c"][1][0]["t"] == "Para"


def test_latex_entries_hang_and_pandoc_entries_keep_italics_and_a_word_style(tmp_path):
    latex = run(tmp_path, fmt="latex", bibliography_list=True)
    entry = listed(latex["blocks"][-1])[0]
    assert entry.startswith(r"\noindent\setlength{\hangindent}{2em}{}Shen Zhihua")
    assert r"\emph{Mao and the Sino-Soviet Partnership}" in entry
    native = run(tmp_path, fmt="pandoc", bibliography_list=True)
    inner = native["blocks"][-1]["c"][1][1]
    assert inner["t"] == "Div" and ["custom-style", "Bibliography"] in inner["c"][0][2]
    first = inner["c"][1][0]["c"]
    assert any(i["t"] == "Emph" for i in first) and stringify(first).startswith("Shen Zhihua")


@pytest.mark.parametrize("header, message", [
    ("bibliography-list: yes please", "`bibliography-list` must be true or false"),
    ("nocite: [a, b]", "`nocite` must be citation keys in one string"),
])
def test_header_errors(tmp_path, header, message):
    md = tmp_path / "paper.md"
    md.write_text(f"---\ntitle: T\n{header}\n---\n\nText.\n", encoding="utf-8")
    with pytest.raises(ManuscriptError) as info:
        read_manuscript(md, Warnings(echo=False))
    assert message in info.value.message and info.value.line == 3


def test_a_template_turns_it_on_and_the_header_wins(tmp_path):
    folder = tmp_path / "templates" / "mine"
    folder.mkdir(parents=True)
    (folder / "template.tex.j2").write_text("\\VAR{body}\n", encoding="utf-8")
    (folder / "settings.toml").write_text("bibliography-list = true\n", encoding="utf-8")
    md = tmp_path / "paper.md"

    def settings(header: str):
        md.write_text(f"---\ntitle: T\ntemplate: mine\n{header}---\nText.\n", encoding="utf-8")
        return build_settings(read_manuscript(md, Warnings(echo=False)), warnings=Warnings(echo=False))

    assert settings("").bibliography_list is True
    assert settings("bibliography-list: false\n").bibliography_list is False
    (folder / "settings.toml").write_text('bibliography-list = "yes"\n', encoding="utf-8")
    with pytest.raises(TemplateError, match="must be true or false"):
        settings("")


def test_the_documented_entries_are_what_the_engine_prints():
    """docs/citation-styles.md, "The bibliography list": each row of its table (first header cell
    `entry`) is the entry of tests/data/chicago/entries in each style."""
    import re
    from pathlib import Path

    from pressroom.citations.bibliography import load_bibliography
    from pressroom.citations.pandoc_filter import read_options
    from pressroom.citations.reference_list import BibliographyStyle
    root = Path(__file__).resolve().parent.parent
    docs = (root / "docs" / "citation-styles.md").read_text(encoding="utf-8")
    table = re.search(r"^\| entry \| (.*?) \|\n\|[- |]+\|\n((?:\|.*\|\n)+)", docs, re.M)
    assert table, "no table headed `entry` in docs/citation-styles.md"
    styles = [c.strip("` ") for c in table.group(1).split(" | ")]
    bib = load_bibliography(sorted((root / "tests" / "data" / "chicago" / "entries").glob("*.bib")),
                            warn=lambda *a, **k: None)
    rows = [row.strip("|").split(" | ") for row in table.group(2).splitlines()]
    assert len(rows) >= 6
    for key, *cells in rows:
        entry = bib[key.strip("` ")]
        for style, cell in zip(styles, cells, strict=True):
            engine = BibliographyStyle(options=read_options({}, {"style": style}), entries=[entry])
            ours = engine.render(engine.format_bibliography_entry(entry, bibliography=bib), "markdown")
            assert ours.replace("\u00a0", " ") == cell.strip(), (key, style)


@needs_corpus
def test_the_corpus_paper_lists_its_44_sources_alphabetically_in_working_paper_style():
    """Every source the corpus paper cites, once, by the first name's family name (family-first
    names too), accents and case aside; the repeated authors under the 3-em dash."""
    doc = process(read_markdown(CORPUS_PAPER), source=CORPUS_PAPER, fmt="pandoc",
                  options={"style": "working-paper"}, bibliography_list=True, warn=lambda *a, **k: None)
    entries = [stringify(p) for p in doc["blocks"][-1]["c"][1][1]["c"][1]]
    assert len(entries) == 44
    heads, last = [], ""
    for entry in entries:
        if not entry.startswith("———"):
            last = entry.lstrip("*“").split(",")[0].split(".")[0].split(" ")[0]
        heads.append(unicodedata.normalize("NFKD", last).encode("ascii", "ignore").decode().casefold())
    assert heads == sorted(heads), heads
    assert sum(e.startswith("———") for e in entries) >= 3
