"""The journal templates with real pandoc and XeLaTeX: each builds the sample
and the corpus paper; the working paper's title page and notes; no author
anywhere in the anonymised copy (text or metadata); the journal article's
running heads and footer; LaTeX specials in the title; missing glyphs fail
the build; a templates/ folder beside the manuscript wins.

Each manuscript is built once per template and session (conftest.template_build)
into a temporary folder, and so is tests/features.py's manuscript (conftest.feature_build:
the title of LaTeX specials, every pandoc construct, beside the cross-references); the
other builds run in this process (run_cli)."""

from __future__ import annotations

import collections
import re
import shutil
import subprocess
import unicodedata
from pathlib import Path

import pikepdf
import pytest

from conftest import MANUSCRIPTS, ROOT, pdf_text, run_cli
from features import BOOKMARK, EVERY_CONSTRUCT, SPECIAL_SHORT, SPECIAL_TITLE
from pressroom.citations.notes import read_markdown
from pressroom.citations.pandoc_filter import process
from pressroom.pandoc_ast import stringify

TEMPLATES = ("working-paper", "anonymous-review", "journal-article")
CORPUS_TITLE = "Sino-Soviet Relations in the 1950s: Situational Cordiality"
#: what must not appear anywhere in an anonymised copy, per manuscript
IDENTITIES = {
    "sample": ("Caroline Ashdown", "Ashdown", "c.ashdown@example.org", "Northfield College"),
    "corpus": ("Hiroki Takeuchi", "Takeuchi", "htakeuch@smu.edu", "htakeuch",
               "Southern Methodist University"),
}


@pytest.fixture(scope="module")
def build(template_build):
    """build(manuscript, template) → the build folder; each pair is built once per session."""
    return template_build


def page_text(pdf: Path, first: int, last: int | None = None) -> str:
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", "-f", str(first), "-l", str(last or first),
                           str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return " ".join(text.split())


def note_marks(pdf: Path) -> list[int]:
    """The footnote numbers in reading order: the digits set smaller than the text
    (superscript marks in the text and at the foot), from pdftotext's word boxes."""
    xml = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True,
                         check=True).stdout
    words = re.findall(r'<word xMin="[\d.]+" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]*)</word>',
                       xml)
    heights = [float(y1) - float(y0) for y0, y1, _ in words]
    text_height = collections.Counter(round(h) for h in heights).most_common(1)[0][0]
    return [int(w) for (_, _, w), h in zip(words, heights) if w.isdigit() and h < 0.8 * text_height]


def metadata_text(pdf: Path) -> str:
    with pikepdf.open(pdf) as doc:
        info = " ".join(f"{k}={v}" for k, v in doc.docinfo.items())
        with doc.open_metadata() as xmp:
            creators = xmp.get("dc:creator")
            return f"{info}\n{xmp}\ncreator={creators}"


@pytest.mark.parametrize("template", TEMPLATES)
@pytest.mark.parametrize("manuscript", MANUSCRIPTS)
def test_template_builds(build, template, manuscript):
    out = build(manuscript, template)
    for name in ("paper.pdf", "paper-draft.pdf", "paper.check.json"):
        assert (out / name).is_file(), name
    text = pdf_text(out / "paper.pdf")
    # the corpus's macrons, umlauts, curly quotes and dashes print (a missing glyph fails the build)
    expected = ("Chū-So Tairitsu", "Lüthi", "“", "—") if manuscript == "corpus" else ("Tōkyō", "Kyūshū")
    for s in expected:
        assert s in text, s


@pytest.mark.parametrize("manuscript", MANUSCRIPTS)
def test_working_paper_first_page(build, manuscript):
    pdf = build(manuscript, "working-paper") / "paper.pdf"
    first = page_text(pdf, 1)
    name, email, affiliation = {
        "sample": ("Caroline Ashdown", "c.ashdown@example.org", "Northfield College"),
        "corpus": ("Hiroki Takeuchi", "htakeuch@smu.edu", "Southern Methodist University")}[manuscript]
    for expected in (name, email, affiliation, "ABSTRACT"):
        assert expected in first, expected
    if manuscript == "corpus":
        assert CORPUS_TITLE in first
        assert "Version date: January 2018" in first
        assert "[This paper is work in progress in the fullest sense." in first
        # the body starts with the title again
        assert page_text(pdf, 2).startswith(f"{CORPUS_TITLE} Introduction")


def test_working_paper_corpus_notes_run_1_to_80(build):
    pdf = build("corpus", "working-paper") / "paper.pdf"
    marks = note_marks(pdf)
    # each note's number appears twice, in the text and at the foot, in order, never restarting
    assert sorted(collections.Counter(marks)) == list(range(1, 81))
    assert set(collections.Counter(marks).values()) == {2}
    assert list(dict.fromkeys(marks)) == list(range(1, 81))


def test_working_paper_pages_and_size(build):
    with pikepdf.open(build("corpus", "working-paper") / "paper.pdf") as pdf:
        assert 26 <= len(pdf.pages) <= 30          # the circulated original ran to about 28 (we: 28)
        assert [round(float(x)) for x in pdf.pages[0].mediabox] == [0, 0, 612, 792]
    # pages are numbered: the body's second page says 2 at its foot
    assert page_text(build("corpus", "working-paper") / "paper.pdf", 3).endswith(" 2")


@pytest.mark.parametrize("manuscript", MANUSCRIPTS)
def test_anonymous_review_hides_the_author_in_text_and_metadata(build, manuscript):
    out = build(manuscript, "anonymous-review")
    for pdf in (out / "paper.pdf", out / "paper-draft.pdf"):
        text, meta = pdf_text(pdf), metadata_text(pdf)
        for identity in IDENTITIES[manuscript]:
            assert identity.lower() not in text.lower(), (pdf.name, identity)
            assert identity.lower() not in meta.lower(), (pdf.name, identity)
        with pikepdf.open(pdf) as doc:
            assert "/Author" not in doc.docinfo
            with doc.open_metadata() as xmp:
                assert not xmp.get("dc:creator")
    text = pdf_text(out / "paper.pdf")
    assert "ABSTRACT" in text
    assert "permission" not in text          # the draft notice is left out


def test_anonymous_review_is_double_spaced(build):
    """Same page count as the working paper up to the bibliography list (which anonymous-review
    prints and working-paper does not): the same typescript, double-spaced."""
    anon = build("corpus", "anonymous-review") / "paper.pdf"
    pages = subprocess.run(["pdftotext", "-layout", str(anon), "-"], capture_output=True, text=True,
                           check=True).stdout.split("\f")
    listed = next(i for i, page in enumerate(pages) if any(line.strip() == "Bibliography"
                                                           for line in page.splitlines()))
    with pikepdf.open(build("corpus", "working-paper") / "paper.pdf") as wp:
        assert abs(listed - len(wp.pages)) <= 1


def test_journal_article_heads_footer_and_paper(build):
    pdf = build("corpus", "journal-article") / "paper.pdf"
    first = page_text(pdf, 1)
    assert "Version date: January 2018" in first and "htakeuch@smu.edu" in first
    # running heads: verso the author, recto the short title (the title before its colon)
    assert page_text(pdf, 2).startswith(("2 Hiroki Takeuchi", "2 HIROKI TAKEUCHI"))
    assert page_text(pdf, 3).startswith("Sino-Soviet Relations in the 1950s 3")
    with pikepdf.open(pdf) as doc:
        assert [round(float(x)) for x in doc.pages[0].mediabox] == [0, 0, 595, 842]   # A4


def write(folder: Path, header: str, body: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "paper.md"
    path.write_text(f"---\n{header}---\n\n{body}\n", encoding="utf-8")
    return path


def list_openings(manuscript: str, style: str) -> list[str]:
    """The first two words of each entry of the manuscript's bibliography list, in our order."""
    path = MANUSCRIPTS[manuscript]
    doc = process(read_markdown(path), source=path, fmt="pandoc", options={"style": style},
                  bibliography_list=True, warn=lambda *a, **k: None)
    entries = [b for b in doc["blocks"][-1]["c"][1][1]["c"][1]]
    return [unicodedata.normalize("NFKC", " ".join(stringify(e).split()[:2])) for e in entries]


@pytest.mark.parametrize("manuscript, template", [
    ("sample", "working-paper"),         # the sample's header asks for the list
    ("sample", "anonymous-review"),      # the two journal templates print it by default
    ("sample", "journal-article"),
    ("corpus", "journal-article"),
])
def test_the_bibliography_list_follows_the_body_in_order(build, manuscript, template):
    """After the body's last words and before the acknowledgments, never in the front matter
    (issue 14): every entry, in Chicago's order, each once."""
    text = unicodedata.normalize("NFKC", pdf_text(build(manuscript, template) / "paper.pdf"))  # ligatures
    style = "working-paper" if template != "journal-article" else "chicago"
    openings = list_openings(manuscript, style)
    assert text.count("Bibliography") == 1
    heading = text.index("Bibliography")
    last_words = "followed" if manuscript == "sample" else "its behavior will lead to"
    assert text.rindex(last_words) < heading
    at = heading
    for opening in openings:   # each entry after the one before it
        found = text.find(opening, at + 1)
        assert found > at, f"{opening!r} not after position {at}"
        at = found
    if manuscript == "corpus":
        assert len(openings) == 44
    if template != "anonymous-review" and "Acknowledgments" in text:
        assert text.index("Acknowledgments") > at


@pytest.mark.parametrize("template", TEMPLATES)
def test_title_with_latex_specials_prints_literally(feature_build, template):
    pdf = feature_build(template) / "paper.pdf"
    assert SPECIAL_TITLE in pdf_text(pdf)
    if template == "journal-article":       # the short title, escaped by the template layer, heads page 3
        assert page_text(pdf, 3).startswith(f"{SPECIAL_SHORT} 3")


def test_title_markup_stays_out_of_the_metadata_and_running_heads(tmp_path):
    """The title is Markdown: italics on the page, plain text in /Title, XMP and the running head."""
    header = "title: 'The *Yomiuri* and **Occupation** Censorship: A Study'\nversion-date: 'May 2024'\n"
    ms = write(tmp_path / "ms", header, "# One\n\n" + "Some text. " * 1500)
    run_cli(ms, "--out", tmp_path / "out", "--template", "journal-article")
    pdf = tmp_path / "out" / "paper.pdf"
    assert page_text(pdf, 3).startswith("The Yomiuri and Occupation Censorship 3")
    with pikepdf.open(pdf) as doc:
        assert str(doc.docinfo["/Title"]) == "The Yomiuri and Occupation Censorship: A Study"
        assert doc.open_metadata()["dc:title"] == "The Yomiuri and Occupation Censorship: A Study"


def test_a_running_head_too_long_for_the_line_ends_in_an_ellipsis(tmp_path):
    """A long title with no colon is its own short title: the recto head is cut at a word, on one
    line, and ends in an ellipsis."""
    title = ("Lead, Ink, and Opinion in the Treaty Ports and Beyond, Moveable Type and the Newspaper "
             "in Meiji Japan and Late-Qing China")
    header = f"title: '{title}'\nversion-date: 'May 2024'\n"
    ms = write(tmp_path / "ms", header, "# One\n\n" + "Some text. " * 1500)
    run_cli(ms, "--out", tmp_path / "out", "--template", "journal-article")
    head = page_text(tmp_path / "out" / "paper.pdf", 3).split(" Some text.")[0]
    assert head.startswith("Lead, Ink, and Opinion in the Treaty Ports") and head.endswith("\u2026 3"), head
    assert len(head) < len(title)


@pytest.mark.parametrize("template", TEMPLATES)
def test_bookmarks_read_as_the_headings_print(feature_build, template):
    """pandoc writes quotation marks and dashes as TeX's ligatures (`` '' --), which hyperref copies
    into the bookmarks; they are made the marks the page shows."""
    with pikepdf.open(feature_build(template) / "paper.pdf") as pdf, pdf.open_outline() as outline:
        titles = []
        pending = list(outline.root)
        while pending:
            item = pending.pop()
            titles.append(item.title)
            pending += item.children
    assert BOOKMARK in titles
    assert not [t for t in titles if any(ligature in t for ligature in ("``", "''", "--"))], titles


@pytest.mark.parametrize("template", TEMPLATES)
def test_every_pandoc_construct_compiles(feature_build, template):
    text = pdf_text(feature_build(template) / "paper.pdf")
    # the table after the two of the cross-reference fixture
    for words in ("Table 3: Newspapers per decade.", "cell with a note", "A note in a table.",
                  "struck", "underlined", "marked", "def census(year):", "return year + 10",
                  "Its definition."):
        assert words in text


def test_a_note_on_the_title_prints_once_marked_and_the_body_notes_start_at_one(tmp_path):
    """working-paper prints the title twice (title page, above the body): the note once, marked *,
    on the title page; the body's first note is 1. The Word file's second title has no note."""
    header = ("title: 'Print and Power^[I thank the Leverhulme Trust.]'\nauthor: Test Author\n"
              "version-date: '2026-03-14'\n")
    ms = write(tmp_path / "ms", header, "# One\n\nBody.^[The first note of the body.]")
    run_cli(ms, "--out", tmp_path / "out", "--to", "docx")
    pdf = tmp_path / "out" / "paper.pdf"
    title_page, body = page_text(pdf, 1), page_text(pdf, 2)
    assert "Print and Power\u2217" in title_page and "\u2217 I thank the Leverhulme Trust." in title_page
    assert "Leverhulme" not in body and "\u2217" not in body
    assert body.startswith("Print and Power One Body.1") and "1 The first note of the body." in body
    from pressroom.docxfile import footnotes
    assert footnotes(tmp_path / "out" / "paper.docx") == ["I thank the Leverhulme Trust.",
                                                           "The first note of the body."]


def test_missing_glyph_fails_naming_the_character(tmp_path):
    ms = write(tmp_path / "ms", "title: Glyphs\n", "The Georgian letter ქ is not in TeX Gyre Termes.")
    result = run_cli(ms, "--out", tmp_path / "out", check=False)
    assert result.returncode == 1
    message = result.stdout + result.stderr
    assert "ქ" in message and "U+10E5" in message
    assert not (tmp_path / "out" / "paper.pdf").exists()


def test_a_template_may_choose_lualatex(tmp_path):
    """The shared fonts and pandoc support work under LuaLaTeX too (code, small caps, strikeout)."""
    local = tmp_path / "ms" / "templates" / "working-paper"
    shutil.copytree(ROOT / "templates" / "working-paper", local)
    settings = local / "settings.toml"
    lualatex = settings.read_text(encoding="utf-8").replace('engine = "xelatex"', 'engine = "lualatex"')
    settings.write_text(lualatex, encoding="utf-8")
    ms = write(tmp_path / "ms", "title: Under LuaLaTeX\n", EVERY_CONSTRUCT)
    run_cli(ms, "--out", tmp_path / "out")
    pdf = tmp_path / "out" / "paper.pdf"
    text = pdf_text(pdf)
    assert "Under LuaLaTeX" in text and "def census(year):" in text and "struck" in text
    assert (tmp_path / "out" / "tex" / "paper.log").read_text(errors="replace").startswith("This is LuaHBTeX")
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "TeXGyreTermes-Regular" in fonts and "LMMono10-Regular" in fonts


def test_a_templates_folder_beside_the_manuscript_wins_and_may_read_the_aux(tmp_path):
    """templates/working-paper/ beside the manuscript is the template its name chooses, with its
    settings.toml (A4). It reads the .aux itself ("Page 1 of 2" from lastpage in a footer): the
    body alone needs one pass, the template two."""
    local = tmp_path / "ms" / "templates" / "working-paper"
    local.mkdir(parents=True)
    (local / "settings.toml").write_text('paper = "a4"\n[latex]\nlinespacing = "single"\n', encoding="utf-8")
    (local / "template.tex.j2").write_text(
        "\\documentclass[a4paper]{article}\n"
        "\\BLOCK{include \"_common/pandoc-support.tex.j2\"}\n"
        "\\BLOCK{include \"_common/fonts.tex.j2\"}\n"
        "\\usepackage{lastpage,fancyhdr}\n\\pagestyle{fancy}\\fancyhf{}\n"
        "\\cfoot{Page \\thepage\\ of \\pageref{LastPage}}\n"
        "\\begin{document}\nOur own journal: \\VAR{title}\n\n\\VAR{body}\n\\end{document}\n",
        encoding="utf-8")
    ms = write(tmp_path / "ms", "title: Local & Proud\n", "Body text.\n\n\\newpage\n\nMore text.")
    run_cli(ms, "--out", tmp_path / "out")
    pdf = tmp_path / "out" / "paper.pdf"
    assert "Our own journal: Local & Proud" in pdf_text(pdf)
    assert page_text(pdf, 1).endswith("Page 1 of 2")
    with pikepdf.open(pdf) as doc:
        assert [round(float(x)) for x in doc.pages[0].mediabox] == [0, 0, 595, 842]
