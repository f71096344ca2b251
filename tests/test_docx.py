"""The Word file (`outputs: [pdf, docx]`, `--to docx`), read back: its footnotes against `build.py
notes`, its document properties, an anonymous copy with no author anywhere, the same bytes from the
same sources, the docx step incremental beside TeX, and what `check` says of a damaged one.

One build of the sample with TeX (PDF first, then `--to docx`: the second build runs no TeX);
everything else calls the docx stage itself (pandoc only, no TeX).
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import CORPUS_PAPER, ROOT, SAMPLE, made_once, moved_build, needs_corpus, run_cli
from pressroom.config import build_settings
from pressroom.docx import make_docx
from pressroom.docxcheck import check_docx
from pressroom.docxfile import CoreProperties, core_properties, deterministic_zip, footnotes
from pressroom.errors import ManuscriptError, TemplateError, Warnings
from pressroom.manuscript import read_manuscript
from pressroom.tools import run_pandoc

#: what the sample's author is called, where she works and how she is written to
SAMPLE_AUTHOR = ("Caroline Ashdown", "Ashdown", "c.ashdown@example.org", "Northfield College")
_RAN = re.compile(r"^(\w+)\s+\d+\.\d\d s$", re.M)


def _settings(manuscript: Path, out: Path, template: str | None = None, **kw):
    warnings = Warnings(echo=False)
    return build_settings(read_manuscript(manuscript, warnings), out_dir=out, template=template,
                          warnings=warnings, **kw)


def _docx(manuscript: Path, out: Path, template: str | None = None, **kw) -> Path:
    """The docx stage alone (no TeX): ``out/<stem>.docx``."""
    settings = _settings(manuscript, out, template, to=("docx",), **kw)
    path = settings.output(".docx")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(make_docx(settings))
    return path


def _notes_as_text(markdown_notes: list[str]) -> list[str]:
    """`build.py notes` Markdown as the .docx reader gives a note: text, italics as *...*, links
    as their text (pandoc reads the Markdown: its escapes are not in the Word file)."""
    sep = "PRESSROOMSEPARATOR"
    doc = json.loads(run_pandoc(["--from", "markdown-smart", "--to", "json"],
                                input=f"\n\n{sep}\n\n".join(markdown_notes).encode()))

    def text(inlines: list) -> str:
        out = []
        for el in inlines:
            t = el["t"]
            if t == "Str":
                out.append(el["c"])
            elif t in ("Space", "SoftBreak"):
                out.append(" ")
            elif t == "Emph":
                out.append(f"*{text(el['c'])}*")
            elif t == "Link":
                out.append(text(el["c"][1]))
            elif t == "Quoted":
                q = "“”" if el["c"][0]["t"] == "DoubleQuote" else "‘’"
                out.append(q[0] + text(el["c"][1]) + q[1])
            else:
                out.append(text(el["c"]) if isinstance(el.get("c"), list) else "")
        return "".join(out)

    notes, current = [], []
    for block in doc["blocks"]:
        if block["t"] == "Para" and block["c"] == [{"t": "Str", "c": sep}]:
            notes.append("\n\n".join(current))
            current = []
        else:
            current.append(text(block["c"]))
    return [*notes, "\n\n".join(current)]


def _notes_of(manuscript: Path, *extra: str) -> list[str]:
    listed = json.loads(run_cli("notes", manuscript, "--json", *extra).stdout)
    return _notes_as_text([n["text"] for n in listed])


def _assert_same_notes(docx: Path, manuscript: Path, *extra: str) -> int:
    have, want = footnotes(docx), _notes_of(manuscript, *extra)
    assert len(have) == len(want), (len(have), len(want))
    differ = [(n, a, b) for n, (a, b) in enumerate(zip(have, want), 1) if a.replace("\u00a0", " ")
              != b.replace("\u00a0", " ")]
    assert not differ, "\n".join(f"note {n}:\n  docx:  {a}\n  notes: {b}" for n, a, b in differ)
    return len(have)


@pytest.fixture(scope="session")
def docx_build(sample_build, tmp_path_factory) -> tuple[Path, list[str], str]:
    """The session's sample build (TeX, PDFs only), moved whole to a folder of its own
    (conftest.moved_build: a build folder moved keeps its state) and built again with `--to docx`,
    once per session: the build folder, the stages the second build ran, what it printed."""
    def make(folder: Path) -> None:
        out = moved_build(sample_build[0], folder / "out", SAMPLE)
        second = run_cli(SAMPLE, "--out", out, "--to", "docx")
        (folder / "stdout.txt").write_text(second.stdout, encoding="utf-8")
    made = made_once(tmp_path_factory, "docx", make)
    stdout = (made / "stdout.txt").read_text(encoding="utf-8")
    return made / "out", _RAN.findall(stdout), stdout


def test_a_docx_only_change_runs_no_tex(docx_build, tmp_path):
    out, ran, second = docx_build
    assert ran == ["docx", "check", "manifest"]
    assert f"{out / 'paper.docx'}" in second
    again = run_cli(SAMPLE, "--out", moved_build(out, tmp_path / "out", SAMPLE), "--to", "docx")
    assert "nothing changed: no stage ran" in again.stdout


def test_every_footnote_is_the_one_build_py_notes_prints(docx_build):
    out, _, _ = docx_build
    assert _assert_same_notes(out / "paper.docx", SAMPLE) == 20
    # real Word footnotes with italics in them, numbered by Word from 1
    with zipfile.ZipFile(out / "paper.docx") as archive:
        notes_xml = archive.read("word/footnotes.xml").decode()
        styles = archive.read("word/styles.xml").decode()
    assert notes_xml.count("<w:footnoteRef") == 20 and "<w:i />" in notes_xml
    assert "Times New Roman" in styles


def test_the_word_file_carries_no_counts_of_another_document(docx_build):
    """pandoc's template came with the word and page counts and the program of the file it was made
    from (83 words, 1 page, Microsoft Word 12): none of them, so Word counts afresh."""
    out, _, _ = docx_build
    with zipfile.ZipFile(out / "paper.docx") as archive:
        app = archive.read("docProps/app.xml").decode()
    assert "<Application>pressroom</Application>" in app
    for stale in ("<Words>", "<Pages>", "Microsoft", "<TotalTime>"):
        assert stale not in app


def test_the_check_report_and_manifest_hold_the_docx(docx_build):
    out, _, _ = docx_build
    rows = [r for r in json.loads((out / "paper.check.json").read_text()) if r["pdf"] == "paper.docx"]
    assert [(r["check"], r["ok"]) for r in rows] == [("metadata", True), ("notes", True),
                                                      ("references", True), ("structure", True)]
    assert rows[1]["reason"] == "20 footnotes, as in the PDF"
    manifest = json.loads((out / "manifest.json").read_text())
    assert "paper.docx" in manifest["outputs"]
    assert "template:reference.docx" in manifest["inputs"]
    # `check paper.docx` finds its manuscript through the manifest beside it, as for a PDF
    checked = json.loads(run_cli("check", out / "paper.docx", "--json").stdout)
    assert [(r["check"], r["ok"]) for r in checked] == [(r["check"], True) for r in rows]
    props = core_properties(out / "paper.docx")
    assert props.title.startswith("Lead, Ink, and Opinion") and props.authors == ("Caroline Ashdown",)
    assert props.language == "en-US" and "Meiji Japan" in props.keywords


def test_same_sources_same_bytes_in_another_folder_and_time_zone(docx_build, tmp_path):
    out, _, _ = docx_build
    # the docx stage in a process of its own, in another time zone (never this process's TZ)
    script = ("import sys; from pathlib import Path; sys.path.insert(0, sys.argv[1]); "
              "from test_docx import _docx; _docx(Path(sys.argv[2]), Path(sys.argv[3]))")
    subprocess.run([sys.executable, "-c", script, str(Path(__file__).parent), str(SAMPLE),
                    str(tmp_path / "elsewhere")], check=True, cwd=ROOT,
                   env={**os.environ, "TZ": "Pacific/Kiritimati"})
    again = tmp_path / "elsewhere" / "paper.docx"
    assert again.read_bytes() == (out / "paper.docx").read_bytes()
    with zipfile.ZipFile(again) as archive:   # every entry dated with the source date
        assert len({info.date_time for info in archive.infolist()}) == 1


@pytest.fixture(scope="session")
def anonymous_docx(tmp_path_factory) -> Path:
    """The sample's .docx with the anonymous-review template (the docx stage alone), once per
    session. Read it; copy it to change it."""
    made = made_once(tmp_path_factory, "docx-anonymous",
                     lambda folder: _docx(SAMPLE, folder / "out", "anonymous-review"))
    return made / "out" / "paper.docx"


def test_the_anonymous_docx_names_no_author_anywhere(anonymous_docx):
    docx = anonymous_docx
    with zipfile.ZipFile(docx) as archive:
        for info in archive.infolist():
            data = archive.read(info).decode("utf-8", "replace").lower()
            for name in SAMPLE_AUTHOR:
                assert name.lower() not in data, (info.filename, name)
        core = archive.read("docProps/core.xml").decode()
    assert "<dc:creator>" not in core and "<dc:title>Lead, Ink" in core
    settings = _settings(SAMPLE, docx.parent, "anonymous-review", to=("docx",))
    from pressroom.preflight import docx_rows
    assert set(settings.hidden) >= {"Caroline Ashdown", "c.ashdown@example.org"}
    assert all(row["ok"] for row in docx_rows(settings, docx)), docx_rows(settings, docx)
    # the same notes, in the template's notes style
    _assert_same_notes(docx, SAMPLE, "--template", "anonymous-review")


def test_a_docx_that_names_the_author_fails_the_anonymous_check(anonymous_docx, tmp_path):
    docx = Path(shutil.copy(anonymous_docx, tmp_path / "paper.docx"))
    settings = _settings(SAMPLE, anonymous_docx.parent, "anonymous-review", to=("docx",))
    from pressroom.preflight import docx_rows
    named = _rewritten(docx, "docProps/app.xml", lambda xml: xml.replace(
        "</Properties>", "<Manager>Caroline Ashdown</Manager></Properties>"))
    rows = {r["check"]: r for r in docx_rows(settings, named)}
    assert not rows["metadata"]["ok"]
    assert "docProps/app.xml names 'Caroline Ashdown'" in rows["metadata"]["reason"]
    # a figure: its metadata is read, its pixels are not (where a short name may turn up by chance)
    with zipfile.ZipFile(docx) as archive:
        media = [n for n in archive.namelist() if n.startswith("word/media/") and n.endswith(".png")]
    assert media
    from pressroom.figures import named_in_metadata
    png = b"\x89PNG\r\n\x1a\n" + (10).to_bytes(4, "big") + b"IDAT" + b"Ashdown..." + bytes(4)
    assert named_in_metadata(png, ".png", ("Ashdown",)) is None
    tagged = png[:8] + (14).to_bytes(4, "big") + b"tEXtAuthor\0Ashdown" + bytes(4) + png[8:]
    assert named_in_metadata(tagged, ".png", ("Ashdown",)) == "Ashdown"


def _rewritten(docx: Path, part: str, change) -> Path:
    with zipfile.ZipFile(docx) as archive:
        parts = [(i.filename, archive.read(i)) for i in archive.infolist()]
    parts = [(name, change(data.decode()).encode() if name == part else data) for name, data in parts]
    from datetime import UTC, datetime
    out = docx.with_name("changed.docx")
    out.write_bytes(deterministic_zip(parts, datetime(2020, 1, 1, tzinfo=UTC)))
    return out


def test_check_finds_a_lost_note_a_raw_citation_and_wrong_metadata(docx_build, tmp_path):
    docx = Path(shutil.copy(docx_build[0] / "paper.docx", tmp_path / "paper.docx"))
    expected = CoreProperties(title="Lead, Ink", authors=("Caroline Ashdown",))
    fine = {f.check: f for f in check_docx(docx, expected=core_properties(docx), pdf_notes=20)}
    assert all(f.ok for f in fine.values()), fine
    # a note whose reference is gone from the text, and a citation pandoc left raw
    broken = _rewritten(docx, "word/document.xml", lambda xml: re.sub(
        r"<w:footnoteReference w:id=\"\d+\" */>", "", xml, count=1).replace(
        "Within a single generation", "Within [@sorensen2019, 4] a single generation"))
    found = {f.check: f for f in check_docx(broken, expected=expected, pdf_notes=20)}
    assert not found["notes"].ok and found["notes"].reason == "19 footnotes, the PDF has 20"
    assert not found["references"].ok and "[@sorensen2019, 4]" in found["references"].reason
    assert not found["metadata"].ok and "core.xml title" in found["metadata"].reason
    garbage = tmp_path / "garbage.docx"
    garbage.write_bytes(b"PK not really")
    assert [f.ok for f in check_docx(garbage, expected=expected)] == [False] * 4


@needs_corpus
def test_the_corpus_paper_s_80_notes_are_build_py_notes(tmp_path):
    docx = _docx(CORPUS_PAPER, tmp_path / "corpus")
    assert _assert_same_notes(docx, CORPUS_PAPER) == 80


# -- settings -----------------------------------------------------------------------------------

def _manuscript(tmp_path: Path, header: str, body: str = "Text.") -> Path:
    md = tmp_path / "paper.md"
    md.write_text(f"---\ntitle: A Paper\nversion-date: 2026-03-14\n{header}---\n\n{body}\n", encoding="utf-8")
    return md


def test_outputs_from_the_header_the_template_and_the_command_line(tmp_path):
    assert _settings(_manuscript(tmp_path, ""), tmp_path / "o").outputs == ("pdf",)
    assert _settings(_manuscript(tmp_path, "outputs: [pdf, docx]\n"), tmp_path / "o").docx
    assert _settings(_manuscript(tmp_path, "outputs: docx\n"), tmp_path / "o").outputs == ("pdf", "docx")
    assert _settings(_manuscript(tmp_path, ""), tmp_path / "o", to=("docx",)).docx
    with pytest.raises(ManuscriptError, match="`outputs` must be a list of pdf, docx, not odt") as caught:
        _settings(_manuscript(tmp_path, "lang: en-US\noutputs: [pdf, odt]\n"), tmp_path / "o")
    assert caught.value.line == 5
    template = tmp_path / "templates" / "mine"
    template.mkdir(parents=True)
    (template / "template.tex.j2").write_text("\\VAR{body}")
    (template / "settings.toml").write_text('outputs = ["pdf", "docx"]\n')
    assert _settings(_manuscript(tmp_path, ""), tmp_path / "o", "mine").docx
    (template / "settings.toml").write_text('engine = "xelatex"\noutputs = ["rtf"]\n')
    with pytest.raises(TemplateError, match="`outputs` must be") as caught:
        _settings(_manuscript(tmp_path, ""), tmp_path / "o", "mine")
    assert caught.value.line == 2


def test_to_an_unknown_format_is_a_usage_error(tmp_path):
    result = run_cli(_manuscript(tmp_path, ""), "--to", "odt", "--out", tmp_path / "o", check=False)
    assert result.returncode == 2 and "unknown format odt" in result.stderr


def test_safe_refuses_raw_word_xml(tmp_path):
    md = _manuscript(tmp_path, "", 'Text.\n\n```{=openxml}\n<w:p><w:r><w:fldSimple w:instr="INCLUDETEXT '
                                   '/etc/passwd"/></w:r></w:p>\n```\n')
    with pytest.raises(ManuscriptError, match="raw Word XML is not allowed with --safe") as caught:
        _docx(md, tmp_path / "o", safe=True)
    assert caught.value.line == 9   # the line of the Word XML


def test_safe_builds_the_docx_with_pandoc_confined(tmp_path):
    from pressroom.sandbox import _probe
    if not _probe()[0]:
        pytest.skip(_probe()[1])
    docx = _docx(SAMPLE, tmp_path / "safe", safe=True)
    assert len(footnotes(docx)) == 20


def test_a_document_with_a_title_page_breaks_after_it_and_the_article_does_not(docx_build, tmp_path):
    def body(docx: Path) -> str:
        with zipfile.ZipFile(docx) as archive:
            return archive.read("word/document.xml").decode()
    typescript = body(docx_build[0] / "paper.docx")
    article_docx = _docx(SAMPLE, tmp_path / "article", "journal-article")
    article = body(article_docx)
    # the article's sections and subsections numbered as its PDF numbers them (secnumdepth 2)
    from pressroom.docxfile import text
    lines = text(article_docx, "word/document.xml").splitlines()
    # (the number and the title are separated by a tab, which this text leaves out)
    assert "1Introduction" in lines and "2.1An old technique and a new problem" in lines
    assert typescript.count('<w:br w:type="page"') == 1 and 'w:type="page"' not in article
    with zipfile.ZipFile(ROOT / "templates" / "journal-article" / "reference.docx") as archive:
        assert 'w:w="11906"' in archive.read("word/document.xml").decode()   # A4


def test_the_reference_docx_files_are_what_the_script_makes():
    """Made from pandoc's own reference.docx by a committed script: the same bytes again."""
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "make_reference_docx.py"), "--check"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(ROOT / "templates" / "working-paper" / "reference.docx") as archive:
        styles = archive.read("word/styles.xml").decode()
        document = archive.read("word/document.xml").decode()
        footer = archive.read("word/footer1.xml").decode()
    defaults = re.search(r"<w:docDefaults>.*</w:docDefaults>", styles, re.S).group(0)
    assert 'w:ascii="Times New Roman"' in defaults and '<w:sz w:val="24"/>' in defaults
    assert 'w:line="480"' in defaults                                   # double-spaced
    assert re.search(r'<w:pgMar w:top="1440" w:right="1440" w:bottom="1440" w:left="1440"', document)
    assert 'w:w="12240" w:h="15840"' in document                        # US Letter
    assert "PAGE" in footer


def test_deterministic_zip_depends_on_its_parts_and_date_only():
    from datetime import UTC, datetime
    parts = [("a.xml", b"<a/>"), ("b/c.xml", b"<c/>")]
    one = deterministic_zip(parts, datetime(2026, 3, 14, tzinfo=UTC))
    assert one == deterministic_zip(parts, datetime(2026, 3, 14, tzinfo=UTC))
    with zipfile.ZipFile(io.BytesIO(one)) as archive:
        assert [i.date_time for i in archive.infolist()] == [(2026, 3, 14, 0, 0, 0)] * 2


def test_cross_references_and_captions_are_numbered_as_in_the_pdf(tmp_path):
    shutil.copy(ROOT / "manuscript" / "figures" / "newspapers-per-decade.png", tmp_path / "bars.png")
    md = _manuscript(tmp_path, "", "As @fig:bars shows, and @tbl:counts too.\n\n"
                     "![Newspapers per decade.](bars.png){#fig:bars}\n\n"
                     "| A | B |\n|---|---|\n| 1 | 2 |\n\n: Counts. {#tbl:counts}\n")
    docx = _docx(md, tmp_path / "o")
    from pressroom.docxfile import text
    body = text(docx, "word/document.xml")
    assert "As figure\u00a01 shows, and table\u00a01 too." in body
    assert "Figure\u00a01: Newspapers per decade." in body and "Table\u00a01: Counts." in body
    with zipfile.ZipFile(docx) as archive:
        document = archive.read("word/document.xml").decode()
        media = [n for n in archive.namelist() if n.startswith("word/media/")]
    assert len(media) == 1 and "SEQ Figure" in document and "SEQ Table" in document   # Word's numbering


@pytest.mark.parametrize("safe", [False, True])
def test_a_pdf_figure_is_a_png_in_word_at_the_pdf_s_size(tmp_path, safe):
    """Word does not display a PDF image: the docx gets a 300-dpi PNG of its first page."""
    if safe:
        from pressroom.sandbox import _probe
        if not _probe()[0]:
            pytest.skip(_probe()[1])
    import pikepdf
    figure = pikepdf.new()
    figure.add_blank_page(page_size=(144, 72))      # 2 × 1 inches
    figure.save(tmp_path / "map.pdf")
    md = _manuscript(tmp_path, "", "Text.\n\n![A map.](map.pdf)\n")
    docx = _docx(md, tmp_path / "o", safe=safe)
    with zipfile.ZipFile(docx) as archive:
        media = [n for n in archive.namelist() if n.startswith("word/media/")]
        document = archive.read("word/document.xml").decode()
    assert len(media) == 1 and media[0].endswith(".png")
    assert 'cx="1828800" cy="914400"' in document                    # 2 × 1 inches in EMU


def test_the_bibliography_list_is_in_the_word_file_before_the_acknowledgments(docx_build):
    """The sample asks for the list: in the .docx as in the PDF, one paragraph of the reference
    document's hanging "Bibliography" style per entry, with its italics, in our order."""
    from pressroom.citations.notes import read_markdown
    from pressroom.citations.pandoc_filter import process
    from pressroom.pandoc_ast import stringify
    out, _, _ = docx_build
    with zipfile.ZipFile(out / "paper.docx") as archive:
        xml = archive.read("word/document.xml").decode()
    paragraphs = re.findall(r"<w:p>.*?</w:p>|<w:p .*?</w:p>", xml, re.S)

    def text(p: str) -> str:
        return "".join(re.findall(r"<w:t(?: [^>]*)?>([^<]*)</w:t>", p))

    entries = [p for p in paragraphs if 'w:pStyle w:val="Bibliography"' in p]
    doc = process(read_markdown(SAMPLE), source=SAMPLE, fmt="pandoc", options={"style": "working-paper"},
                  bibliography_list=True, warn=lambda *a, **k: None)
    ours = doc["blocks"][-1]["c"][1][1]["c"][1]
    expected = [stringify(p) for p in ours]
    assert [text(p) for p in entries] == expected and len(expected) >= 10
    assert ["<w:i" in p for p in entries] == [any(i["t"] == "Emph" for i in p["c"]) for p in ours]
    order = [text(p) for p in paragraphs]
    assert order.index("Bibliography") < order.index(expected[0]) < order.index("Acknowledgments")


def test_safe_prints_word_xml_from_a_csl_bibliography_as_text(tmp_path):
    """A CSL-YAML bibliography is Markdown: under --safe its raw Word XML is text, not XML."""
    from pressroom.sandbox import _probe
    if not _probe()[0]:
        pytest.skip(_probe()[1])
    (tmp_path / "refs.yaml").write_text(
        "references:\n- id: doe\n  type: book\n  author: [{family: Doe, given: Jane}]\n"
        "  title: 'Tricks `<w:r><w:t>INJECTED</w:t></w:r>`{=openxml}'\n  issued: {date-parts: [[2001]]}\n",
        encoding="utf-8")
    md = _manuscript(tmp_path, "citations: csl\nbibliography: refs.yaml\n", "Text.[@doe]")
    docx = _docx(md, tmp_path / "o", safe=True)
    from pressroom.docxfile import text
    assert "<w:r><w:t>INJECTED</w:t></w:r>" in text(docx)


def test_the_fixed_words_are_the_document_language_s(tmp_path):
    md = _manuscript(tmp_path, "lang: de-DE\nabstract: Kurz.\nkeywords: [Buch]\nacknowledgments: Dank an C.\n"
                               "author: [Anna Beispiel]\n", "Text.")
    from pressroom.docxfile import text
    lines = text(_docx(md, tmp_path / "o"), "word/document.xml").splitlines()
    assert lines[2:6] == ["Zusammenfassung", "Kurz.", "Schlagwörter: Buch", "Stand: 2026-03-14"]
    assert lines[-2:] == ["Danksagung", "Dank an C."]
    anonymous = text(_docx(md, tmp_path / "anon", "anonymous-review"), "word/document.xml")
    assert "Anna Beispiel" not in anonymous and "Dank an C." not in anonymous and "Stand" not in anonymous
