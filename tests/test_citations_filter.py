"""The Pandoc filter: note placement, notes inside footnotes, output
formats, options from metadata, warnings, errors with file and line."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pypandoc
import pytest

from pressroom.citations.notes import collect_notes, list_notes, notes_to_markdown, read_markdown
from pressroom.citations.pandoc_filter import main, process
from pressroom.errors import CitationError

BIB = """@book{dittmer1992,
  author = {Dittmer, Lowell}, title = {Sino-Soviet Normalization: Implications},
  location = {Seattle}, publisher = {University of Washington Press}, date = {1992}}
@book{lüthi2008, author = {Lüthi, Lorenz M.}, title = {The Split}, publisher = {PUP}, date = {2008}}
@article{special, author = {Hack, Ann}, title = {Costs \\& 50\\% \\$ \\# a\\_b}, journal = {J}, date = {2000}}
@book{nopub, author = {Nopub, Ned}, title = {No Publisher}, date = {2000}}
"""


def write(tmp_path: Path, md: str, bib: str = BIB) -> Path:
    (tmp_path / "refs.bib").write_text(bib, encoding="utf-8")
    path = tmp_path / "paper.md"
    # these tests pin the house style; the chicago style has golden tests of its own
    path.write_text("---\nbibliography: refs.bib\ncitation-style: working-paper\n---\n\n" + md,
                    encoding="utf-8")
    return path


def run(tmp_path, md, fmt="markdown", **kw):
    path = write(tmp_path, md)
    return process(read_markdown(path), source=path, fmt=fmt, **kw)


def para(doc, n=0):
    return [b for b in doc["blocks"] if b["t"] == "Para"][n]["c"]


def texts(doc):
    return [t.replace("\u00a0", " ") for t in notes_to_markdown(doc, collect_notes(doc))]


def test_note_goes_after_following_punctuation(tmp_path):
    doc = run(tmp_path, "Some text [@dittmer1992, 3]. More.\n")
    inl = para(doc)
    kinds = [i["t"] for i in inl]
    assert kinds[:5] == ["Str", "Space", "Str", "Str", "Note"]
    assert inl[2]["c"] == "text" and inl[3]["c"] == "."  # the space before the citation is gone
    assert inl[5]["t"] == "Space"


def test_note_after_comma_typed_before_citation(tmp_path):
    doc = run(tmp_path, "Text,[@dittmer1992] more.\n")
    inl = para(doc)
    assert inl[0] == {"t": "Str", "c": "Text,"} and inl[1]["t"] == "Note"


def test_note_content_is_raw_inline_with_full_stop(tmp_path):
    doc = run(tmp_path, "A.[@dittmer1992, 189]\n", fmt="latex")
    note = para(doc)[1]
    raw = note["c"][0]["c"][0]
    assert raw["t"] == "RawInline"
    assert raw["c"] == ["latex", r"Lowell Dittmer, \emph{Sino-Soviet Normalization: Implications} "
                                 r"(Seattle: University of Washington Press, 1992), p.~189."]


def test_latex_escapes_title_characters(tmp_path):
    doc = run(tmp_path, "A.[@special]\n", fmt="latex")
    raw = para(doc)[1]["c"][0]["c"][0]["c"][1]
    assert r"“Costs \& 50\% \$ \# a\_b,”" in raw


def test_citation_in_explicit_footnote_rendered_in_place(tmp_path):
    doc = run(tmp_path, "Text.[^1] Later.[@dittmer1992, 5]\n\n[^1]: See [@dittmer1992, 3–8].\n")
    assert texts(doc) == [
        "See Lowell Dittmer, *Sino-Soviet Normalization: Implications* (Seattle: University of "
        "Washington Press, 1992), pp. 3–8.",
        "Ibid., p. 5.",
    ]


def test_footnote_without_citation_breaks_ibid(tmp_path):
    doc = run(tmp_path, "A.[@dittmer1992, 1] B.[^1] C.[@dittmer1992, 2]\n\n[^1]: Just a remark.\n")
    assert texts(doc)[2] == "Dittmer, *Sino-Soviet Normalization*, p. 2."


def test_cite_opening_a_footnote_is_capitalised_and_stop_not_doubled(tmp_path):
    doc = run(tmp_path, "A.[@dittmer1992] B.[^1]\n\n[^1]: [@dittmer1992].\n")
    assert texts(doc)[1] == "Ibid."


def test_comma_after_quoted_title_moves_inside(tmp_path):
    doc = run(tmp_path, "A.[@special] B.[^1]\n\n[^1]: [@dittmer1992], and [@special], too.\n")
    assert texts(doc)[1].endswith("and Hack, “Costs & 50% $ # a_b,” too.".replace("&", "\\&")
                                  .replace("$", "\\$").replace("#", "\\#").replace("_", "\\_"))


def test_markdown_output_uses_stars_and_no_break_space(tmp_path):
    doc = run(tmp_path, "A.[@dittmer1992, 189]\n")
    raw = para(doc)[1]["c"][0]["c"][0]
    assert raw["c"][0] == "markdown"
    assert "*Sino-Soviet Normalization: Implications*" in raw["c"][1]
    assert raw["c"][1].endswith("p.\u00a0189.")


def test_unicode_keys_and_names(tmp_path):
    doc = run(tmp_path, "A.[@lüthi2008]\n")
    assert texts(doc) == ["Lorenz M. Lüthi, *The Split* (PUP, 2008)."]


def test_options_from_metadata(tmp_path):
    path = write(tmp_path, "A.[@dittmer1992, 3] B.[@dittmer1992, 4]\n")
    path.write_text(path.read_text(encoding="utf-8").replace(
        "---\n\n", "citation-ibid: false\ncitation-page-labels: false\n---\n\n", 1), encoding="utf-8")
    doc = process(read_markdown(path), source=path, fmt="markdown")
    assert texts(doc)[1] == "Dittmer, *Sino-Soviet Normalization*, 4."


def test_options_argument_wins_over_metadata(tmp_path):
    doc = run(tmp_path, "A.[@dittmer1992, 3] B.[@dittmer1992, 4]\n", options={"ibid": False})
    assert texts(doc)[1] == "Dittmer, *Sino-Soviet Normalization*, p. 4."


def test_unknown_option_is_an_error(tmp_path):
    with pytest.raises(CitationError):
        run(tmp_path, "A.[@dittmer1992]\n", options={"colour": "red"})


def test_unknown_key_names_file_line_and_suggestion(tmp_path):
    path = write(tmp_path, "First line.\n\nSecond [@dittmer1992].\n\nThird [@dittmer1929, 4].\n")
    with pytest.raises(CitationError) as err:
        process(read_markdown(path), source=path)
    e = err.value
    assert e.file == path
    assert e.line == 10  # 5 header lines + blank + 4 body lines
    assert "dittmer1929" in e.message
    assert "dittmer1992" in e.hint


def test_warnings_for_unknown_label_and_missing_field(tmp_path):
    calls = []

    def warn(message, *, file=None, line=None):
        calls.append((message, file, line))

    path = write(tmp_path, "A.[@nopub, sura 4]\n")
    doc = process(read_markdown(path), source=path, fmt="markdown", warn=warn)
    assert texts(doc) == ["Ned Nopub, *No Publisher* (2000), sura 4."]
    messages = [c[0] for c in calls]
    assert any("sura" in m for m in messages)
    assert any("'nopub'" in m and "publisher" in m for m in messages)
    assert all(c[1] == path and c[2] == 6 for c in calls)


def test_default_warning_goes_to_stderr(tmp_path, capsys):
    run(tmp_path, "A.[@nopub]\n")
    assert "warning:" in capsys.readouterr().err


def test_explicit_bibliography_argument(tmp_path):
    (tmp_path / "other.bib").write_text("@book{x, author={X, Y}, title={T}, publisher={P}, date={1999}}",
                                        encoding="utf-8")
    md = tmp_path / "p.md"
    md.write_text("A.[@x]\n", encoding="utf-8")
    doc = process(read_markdown(md), source=md, bibliography=tmp_path / "other.bib", fmt="markdown")
    assert texts(doc) == ["Y X, *T* (P, 1999)."]


def test_input_document_not_modified(tmp_path):
    path = write(tmp_path, "A.[@dittmer1992]\n")
    doc = read_markdown(path)
    before = json.dumps(doc)
    process(doc, source=path)
    assert json.dumps(doc) == before


def test_list_notes(tmp_path):
    path = write(tmp_path, "A.[@dittmer1992, 3] B.[^n]\n\n[^n]: Remark with *italic*.\n")
    assert [n.replace("\u00a0", " ") for n in list_notes(path)] == [
        "Lowell Dittmer, *Sino-Soviet Normalization: Implications* (Seattle: University of "
        "Washington Press, 1992), p. 3.",
        "Remark with *italic*.",
    ]


def test_main_runs_as_json_filter(tmp_path, monkeypatch, capsys):
    path = write(tmp_path, "A.[@dittmer1992, 3]\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps(read_markdown(path))))
    assert main(["filter", "latex"]) == 0
    out = json.loads(capsys.readouterr().out)
    latex = pypandoc.convert_text(json.dumps(out), "latex", format="json")
    assert r"\footnote{Lowell Dittmer, \emph{Sino-Soviet Normalization: Implications}" in latex


def test_main_reports_errors(tmp_path, monkeypatch, capsys):
    path = write(tmp_path, "A.[@nokey]\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps(read_markdown(path))))
    assert main(["filter", "latex"]) == 1
    assert "unknown citation key 'nokey'" in capsys.readouterr().err


def test_notes_are_pandocs_own_inlines_for_every_other_writer(tmp_path):
    """fmt="pandoc": Str/Space/Emph, not raw text, so Word, ODT and HTML keep the notes."""
    doc = run(tmp_path, "A.[@dittmer1992, 3]\n", fmt="pandoc")
    note = next(i for i in para(doc) if i["t"] == "Note")
    inlines = note["c"][0]["c"]
    assert inlines[0] == {"t": "Str", "c": "Lowell"}
    emph = next(i for i in inlines if i["t"] == "Emph")
    words = [i.get("c") for i in emph["c"] if i["t"] == "Str"]
    assert words == ["Sino-Soviet", "Normalization:", "Implications"]
    assert not any(i["t"] == "RawInline" for i in inlines)


def test_the_plain_filter_gives_a_word_file_real_notes_with_italics(tmp_path, monkeypatch, capsys):
    """`pandoc --filter pressroom-citations -o paper.docx`: the notes have their text and italics."""
    import zipfile
    path = write(tmp_path, "A.[@dittmer1992, 3] B.[@lüthi2008]\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps(read_markdown(path))))
    assert main(["filter", "docx"]) == 0
    out = tmp_path / "paper.docx"
    pypandoc.convert_text(capsys.readouterr().out, "docx", format="json", outputfile=str(out))
    footnotes = zipfile.ZipFile(out).read("word/footnotes.xml").decode("utf-8")
    assert "Lowell Dittmer" in footnotes and "Lorenz M. Lüthi" in footnotes
    italic_run = footnotes[footnotes.index("Sino-Soviet") - 300: footnotes.index("Sino-Soviet")]
    assert "<w:i" in italic_run


def test_notes_of_a_manuscript_named_like_an_option_and_a_note_naming_the_separator(tmp_path):
    """`-d.md` is read as a file (never as pandoc's -d), and a note that contains the
    listing's internal separator does not split the notes."""
    from pressroom.citations.notes import _SEP
    (tmp_path / "refs.bib").write_text(BIB, encoding="utf-8")
    path = tmp_path / "-d.md"
    path.write_text(f"---\nbibliography: refs.bib\n---\n\nA.[@dittmer1992] {_SEP}.[^x]\n\n[^x]: {_SEP}\n",
                    encoding="utf-8")
    notes = list_notes(path)
    assert len(notes) == 2 and notes[1] == _SEP and notes[0].startswith("Lowell Dittmer")
