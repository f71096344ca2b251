"""Books: a main file that lists its chapters, and the book template (issue 16).

``tests/data/book/`` is a two-chapter book (the second chapter in a folder of
its own) that cites in its second chapter the sources its first chapter cited
first, with a figure and cross-references between the chapters. It is built
once per session with real pandoc and TeX; what the reader sees is read back
from the PDF with pdftotext. The errors are found before TeX, in this process.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import ROOT, made_once, pdf_text, run_cli

BOOK = ROOT / "tests" / "data" / "book"


@pytest.fixture(scope="session")
def book_build(tmp_path_factory) -> tuple[Path, Path]:
    """A copy of the book and its build folder (built from the folder, as a user does), once per
    session (across workers). Read them; copy them to change them (``book``)."""
    def make(folder: Path) -> None:
        shutil.copytree(BOOK, folder / "book")
        run_cli(folder / "book", "--out", folder / "out", "--to", "docx")
    made = made_once(tmp_path_factory, "book", make)
    return made / "book", made / "out"


@pytest.fixture
def book(book_build, tmp_path) -> tuple[Path, Path]:
    """This test's own copy of the book and of its build folder."""
    source, out = book_build
    shutil.copytree(source, tmp_path / "book")
    shutil.copytree(out, tmp_path / "out", symlinks=True)
    return tmp_path / "book", tmp_path / "out"


def page_texts(pdf: Path) -> list[str]:
    import subprocess
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    return [" ".join(page.split()) for page in text.split("\f")]


def test_notes_start_from_one_in_each_chapter_and_cite_in_full_again(book_build):
    pages = page_texts(book_build[1] / "book.pdf")
    first = next(p for p in pages if "The Presses of the Open Ports" in p and "Chapter 1" in p.title())
    second = next(p for p in pages if "Readers and Reading Rooms" in p and "Chapter 2" in p.title())
    # chapter 1: full note, Ibid., full note; chapter 2 begins again at 1, in full, never with Ibid.
    assert "1 Claire Sorensen, The Newspaper and the Nation" in first
    assert "2 Ibid., 5." in first
    assert "1 Claire Sorensen, The Newspaper and the Nation in China and Japan, 1860–1912 (Cam" in second
    assert "2 Edmund Hall, “The Mission Press at Ningpo,” Chinese Recorder 3 (1870): 12." in second
    assert "3 Ibid." in second


def test_front_matter_has_roman_page_numbers_and_contents(book_build):
    pages = page_texts(book_build[1] / "book.pdf")
    contents = next(p for p in pages if p.startswith("Contents"))
    assert "1 The Presses of the Open Ports 1" in contents
    assert "2 Readers and Reading Rooms 3" in contents
    assert contents.endswith(" vii")                 # half-title, title, abstract, contents: recto pages
    assert "Abstract" in pages[4] and pages[4].endswith(" v")
    assert next(p for p in pages if "The Presses of the Open Ports" in p and "CHAPTER" in p.upper()
                and "Contents" not in p).endswith(" 1")


def test_cross_references_name_chapters_and_number_figures_within_them(book_build):
    text = pdf_text(book_build[1] / "book.pdf")
    assert "The papers multiplied after 1870 (figure 1.1)." in text
    assert "Figure 1.1: Newspapers founded in the ports, by decade." in text
    assert "The compositors of section “Editors and Compositors” reappear here" in text
    assert "this chapter (chapter 2) follows them" in text


def test_the_notes_command_lists_each_chapters_notes(book_build):
    listed = run_cli("notes", book_build[0]).stdout
    assert listed.startswith("# chapter-1.md\n1. Claire Sorensen, *The Newspaper")
    assert "# chapters/chapter-2.md\n1. Claire Sorensen" in listed
    notes = json.loads(run_cli("notes", book_build[0], "--json").stdout)
    assert [(n["file"], n["n"]) for n in notes] == [("chapter-1.md", 1), ("chapter-1.md", 2),
                                                    ("chapter-1.md", 3), ("chapters/chapter-2.md", 1),
                                                    ("chapters/chapter-2.md", 2),
                                                    ("chapters/chapter-2.md", 3)]
    assert notes[5]["text"] == "Ibid."


def test_one_bibliography_after_the_last_chapter_in_the_contents(book_build):
    pages = page_texts(book_build[1] / "book.pdf")
    listed = [p for p in pages if p.startswith("Bibliography")]
    assert len(listed) == 1 and pages.index(listed[0]) > max(
        i for i, p in enumerate(pages) if "Readers and Reading Rooms" in p and "Contents" not in p)
    assert ("Hall, Edmund. “The Mission Press at Ningpo.” Chinese Recorder 3 (1870): 10–14. "
            "Sorensen, Claire. The Newspaper") in listed[0]
    assert "Bibliography 5" in next(p for p in pages if p.startswith("Contents"))


def test_the_word_file_has_every_chapters_notes_as_notes_lists_them(book_build):
    from pressroom.docxfile import footnotes
    notes = json.loads(run_cli("notes", book_build[0], "--json").stdout)
    have = [n.replace("*", "") for n in footnotes(book_build[1] / "book.docx")]
    assert have == [n["text"].replace("*", "") for n in notes]


def test_the_word_file_numbers_figures_within_chapters_as_the_pdf_does(book_build):
    """Word's own caption numbers run on through the book ("Figure 1"); the PDF and the
    cross-references say "figure 1.1": the captions are numbered as text, as the PDF numbers them."""
    from pressroom.docxfile import text
    body = text(book_build[1] / "book.docx", "word/document.xml")
    assert "Figure 1.1: Newspapers founded in the ports, by decade." in body.splitlines()
    assert "(figure\u00a01.1)" in body and "Figure 1:" not in body   # a no-break space, as in the PDF


def test_the_manifest_lists_the_chapters_as_inputs(book_build):
    manifest = json.loads((book_build[1] / "manifest.json").read_text())
    assert {"chapter-1.md", "chapters/chapter-2.md", "book.md"} <= set(manifest["inputs"])


def test_editing_one_chapter_reads_only_that_chapter_again(book):
    folder, out = book
    kept = {p.name: p.stat().st_mtime_ns for p in (out / ".chapter-cache").iterdir()}
    assert len(kept) == 2
    chapter = folder / "chapters" / "chapter-2.md"
    chapter.write_text(chapter.read_text() + "\nA sentence added in the second chapter.\n")
    run_cli(folder, "--out", out)
    now = {p.name: p.stat().st_mtime_ns for p in (out / ".chapter-cache").iterdir()}
    assert len([name for name in kept if now[name] != kept[name]]) == 1   # the second chapter's only
    assert "A sentence added in the second chapter." in pdf_text(out / "book.pdf")


def test_a_latex_error_names_the_chapter_and_its_line(book):
    folder, out = book
    chapter = folder / "chapters" / "chapter-2.md"
    text = chapter.read_text() + "\nA bad macro \\undefinedmacro here.\n"
    chapter.write_text(text)
    result = run_cli(folder, "--out", out, check=False)
    assert result.returncode == 1
    line = text.splitlines().index("A bad macro \\undefinedmacro here.") + 1
    assert f"error: {chapter}:{line}: LaTeX error: Undefined control sequence." in result.stderr


def _fails(folder: Path, out: Path) -> str:
    result = run_cli(folder, "--out", out, check=False)
    assert result.returncode == 1 and result.stderr.count("error: ") == 1, result.stderr
    assert "Traceback" not in result.stderr
    return result.stderr


def test_verify_makes_again_the_word_file_the_build_was_asked_for(book_build):
    """The book was built with --to docx; verify without it rebuilds the .docx too (its manifest lists
    it) and finds every output identical."""
    folder, out = book_build
    result = run_cli("verify", folder, "--out", out, check=False)
    assert result.returncode == 0 and "identical: every output has the sha256 the manifest records" \
        in result.stdout, result.stdout + result.stderr


def test_an_empty_chapter_is_an_error_that_keeps_the_last_good_pdf(book):
    folder, out = book
    chapter = folder / "chapters" / "chapter-2.md"
    chapter.write_text("")
    before = (out / "book.pdf").read_bytes()
    err = _fails(folder, out)
    assert f"error: {chapter}:1: the chapter has no text" in err
    assert (out / "book.pdf").read_bytes() == before


def test_an_unknown_key_in_a_chapter_names_the_chapter_and_its_line(book):
    folder, out = book
    chapter = folder / "chapters" / "chapter-2.md"
    chapter.write_text(chapter.read_text().replace("[@hall1870, 12]\n\nSubscribers", "[@hal1870, 12]\n\n"
                                                   "Subscribers"))
    err = _fails(folder, out)
    assert f"error: {chapter}:4: unknown citation key 'hal1870'" in err


def test_an_unknown_label_in_a_chapter_names_the_chapter_and_its_line(book):
    folder, out = book
    chapter = folder / "chapters" / "chapter-2.md"
    chapter.write_text(chapter.read_text() + "\nSee @fig:nosuch.\n")
    err = _fails(folder, out)
    line = len(chapter.read_text().splitlines())
    assert f"error: {chapter}:{line}: unknown cross-reference label `fig:nosuch`" in err


@pytest.mark.parametrize("chapters, message", [
    ("[chapter-1.md, chapter-1.md]", "chapter listed twice: chapter-1.md"),
    ("[chapter-1.md, ../elsewhere.md]", "chapter outside the manuscript folder: ../elsewhere.md"),
    ("[chapter-1.md, book.md]", "the main file cannot be one of its own chapters: book.md"),
    ("[chapter-1.md, chapter-3.md]", "chapter file not found: chapter-3.md"),
    ("[chapter-1.md, refs.bib]", "a chapter must be a Markdown file (.md): refs.bib"),
    ("chapter-1.md", "`chapters` must be a list of Markdown files"),
], ids=["twice", "outside", "itself", "missing", "not-markdown", "not-a-list"])
def test_a_bad_chapter_list_is_one_error_at_its_line(book, chapters, message):
    folder, out = book
    main = folder / "book.md"
    text = main.read_text()
    start = text.index("chapters:")
    text = text[:start] + f"chapters: {chapters}\n---\n"
    main.write_text(text)
    (folder.parent / "elsewhere.md").write_text("# Elsewhere\n")
    err = _fails(main, out)
    assert f"error: {main}:{text.splitlines().index(f'chapters: {chapters}') + 1}: {message}" in err


def test_a_chapter_with_a_header_of_its_own_is_refused(book):
    folder, out = book
    chapter = folder / "chapter-1.md"
    chapter.write_text("---\ntitle: A Chapter Title\n---\n\n" + chapter.read_text())
    err = _fails(folder, out)
    assert f"error: {chapter}:1: a chapter has a metadata header of its own" in err
