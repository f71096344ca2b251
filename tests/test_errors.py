"""One clear error per bad input, and nothing lost.

A small manuscript is built once (real pandoc and TeX); then each bad input
is a copy of it with one thing broken, built into a copy of that build
folder (each test its own). Each test asserts the message (file:line, what,
hint), the exit code, that no traceback is shown, and that the last good
PDFs are byte for byte unchanged. The builds run in this process (run_cli):
most of these errors are found before TeX, in a few milliseconds. Then: a
held lock, and Ctrl-C in the middle of a build (a process of its own).
"""

from __future__ import annotations

import fcntl
import functools
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT, run_cli
from outputs import BIB, PAPER, digests, line_of, write
from pressroom.errors import ManuscriptError

GOOD_MD, GOOD_BIB = PAPER, BIB


def write_manuscript(folder: Path, md: str = GOOD_MD, bib: str | None = GOOD_BIB) -> Path:
    return write(folder, md, bib=bib)


def fails(good, name: str, md: str = GOOD_MD, bib: str | None = GOOD_BIB, *options: str,
          stale: bool = True) -> tuple[str, Path]:
    """Build a broken copy into the good build's folder; it must fail cleanly and lose nothing."""
    root, out, before = good
    path = write_manuscript(root / name, md, bib)
    result = run_cli(path, "--out", out, *options, check=False)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, result.stderr  # one clear error
    assert "  hint: " in result.stderr, result.stderr
    assert digests(out) == before, "a failed build changed the last good PDF"
    if stale:
        assert "is from the last good build and is now stale" in result.stderr, result.stderr
    assert not list(out.glob(".*.tmp")), "a temporary file was left behind"
    return result.stderr, path


def test_malformed_yaml_header(good):
    md = GOOD_MD.replace('title: "A Small Paper"', "title: A Small: Paper")
    err, path = fails(good, "yaml", md)
    assert f"error: {path}:2: malformed YAML header: a value contains ': '" in err
    assert 'hint: put the value in quotation marks' in err


@pytest.mark.parametrize("value, problem", [("2026-02-30", "day is out of range for month"),
                                            ("!!int abc", "invalid literal for int()")])
def test_a_header_value_yaml_parses_but_cannot_make_is_located(good, value, problem):
    """PyYAML reads 2026-02-30 as a date and fails making it: one located error, no traceback."""
    md = GOOD_MD.replace('version-date: "2026-03-14"', f"version-date: {value}")
    err, path = fails(good, "yaml-value", md)
    assert f"error: {path}:{line_of(md, 'version-date:')}: malformed YAML header: a value YAML cannot " \
        f"read ({problem}" in err
    assert 'quote it: version-date: "2026-02-30"' in err


@pytest.mark.parametrize("md", ["", "---\ntitle: Only a header\n---\n"], ids=["empty", "header-only"])
def test_a_manuscript_with_no_text_keeps_the_last_good_pdf(good, md):
    """An empty save (an editor's crash, a full disk) would typeset blank pages over the last good PDF."""
    err, path = fails(good, "empty", md)
    assert f"error: {path}:1: the manuscript has no text" in err
    assert "hint: was the save cut short? the last good PDF is kept" in err


def test_unclosed_quotation_in_yaml_header(good):
    md = GOOD_MD.replace('version-date: "2026-03-14"', 'version-date: "2026-03-14')
    err, path = fails(good, "yaml-quote", md)
    assert f"error: {path}:{line_of(md, 'version-date')}: malformed YAML header: " \
           "a quotation mark is not closed on this line" in err


def test_wrongly_typed_header_value(good):
    md = GOOD_MD.replace("abstract: A short abstract.", "abstract: A short abstract.\ndraft:\n  opacity: 3")
    err, path = fails(good, "opacity", md)
    assert f"error: {path}:{line_of(md, 'draft:')}: `draft` must be a block whose `opacity` " \
           "is a number between 0 and 1" in err


def test_unknown_template(good):
    md = GOOD_MD.replace("bibliography: refs.bib", "bibliography: refs.bib\ntemplate: nosuch")
    err, path = fails(good, "template", md)
    assert f"error: {path}:{line_of(md, 'template:')}: unknown template `nosuch`" in err
    assert "hint: available templates: " in err and "working-paper" in err


@pytest.mark.parametrize("line, message", [
    ('ibid = "sometimes"', "`ibid` in [citations] must be true or false"),
    ("short-notes = 3", "`short-notes` in [citations] must be one of the Chicago style's settings"),
    ('date_order = "ymd"', "`date_order` in [citations] must be `mdy` or `dmy`"),
    ('style = "mla"', "`style` in [citations] must be `chicago` or `working-paper`"),
])
def test_bad_citation_option_in_a_template(good, line, message):
    root = good[0]
    name = f"citations-{line.split()[0]}"
    template = root / name / "templates" / "working-paper"
    shutil.copytree(ROOT / "templates" / "working-paper", template)
    settings = template / "settings.toml"
    settings.write_text(settings.read_text(encoding="utf-8").replace('style = "working-paper"', line),
                        encoding="utf-8")
    lineno = settings.read_text(encoding="utf-8").splitlines().index(line) + 1
    err, _ = fails(good, name)
    assert f"error: {settings}:{lineno}: {message}" in err


def test_missing_bibliography_file(good):
    err, path = fails(good, "nobib", GOOD_MD, None)
    assert f"error: {path}:{line_of(GOOD_MD, 'bibliography:')}: bibliography file not found: refs.bib" in err
    assert f"hint: the path is relative to {path.parent}" in err


def test_bib_syntax_error(good):
    bib = GOOD_BIB.replace("year = {2001}", "year = {2001")
    err, path = fails(good, "bibsyntax", GOOD_MD, bib)
    assert f"error: {path.parent / 'refs.bib'}:" in err and ": syntax error" in err
    assert "hint: check braces, commas and quotes" in err


def test_unknown_citation_key(good):
    md = GOOD_MD.replace("@smith2001, 12", "@smyth2001, 12")
    err, path = fails(good, "key", md)
    assert f"error: {path}:{line_of(md, '@smyth2001')}: unknown citation key 'smyth2001'" in err
    assert "hint: did you mean 'smith2001'?" in err


def test_a_bibliography_with_no_entries_is_said_so(good):
    """An RIS export named .bib: the unknown key's hint says the file holds no entries."""
    err, path = fails(good, "ris", GOOD_MD, "TY  - BOOK\nAU  - Smith, John\nER  -\n")
    assert f"error: {path}:{line_of(GOOD_MD, '@smith2001')}: unknown citation key 'smith2001'" in err
    assert "hint: refs.bib holds no entries: is it BibTeX" in err


def test_citation_without_a_bibliography(good):
    md = GOOD_MD.replace("bibliography: refs.bib\n", "")
    err, path = fails(good, "no-bib", md, None)
    assert f"error: {path}:{line_of(md, '@smith2001')}: unknown citation key 'smith2001'" in err
    assert "hint: the manuscript names no bibliography: add `bibliography: references.bib`" in err


def test_unknown_locator_label_warns_and_strict_fails(good):
    """The warning names the line of the citation that has the label, not the key's first one."""
    md = GOOD_MD.replace("A second paragraph.", "A second paragraph.[@smith2001, sura 4]")
    line = line_of(md, "sura 4")
    assert line != line_of(md, "@smith2001")
    # a warning: the notes listing (no TeX) goes on and names the place
    folder = good[0] / "locator-notes"
    notes = run_cli("notes", write_manuscript(folder, md), check=False)
    assert notes.returncode == 0
    assert f"warning: {folder / 'paper.md'}:{line}: unknown locator label 'sura'" in notes.stderr
    # --strict makes it the build's one error
    err, path = fails(good, "locator", md, GOOD_BIB, "--strict")
    assert f"error: {path}:{line}: unknown locator label 'sura'" in err
    assert "hint: --strict makes warnings fatal" in err


def test_missing_figure(good):
    md = GOOD_MD + "\n![A figure](figures/none.png)\n"
    err, path = fails(good, "figure", md)
    assert f"error: {path}:{line_of(md, 'none.png')}: figure not found: figures/none.png" in err
    assert f"hint: the path is relative to {path.parent}" in err


def test_figure_in_a_format_tex_cannot_include(good):
    md = GOOD_MD + "\n![A figure](figure.svg)\n"
    root = good[0]
    (root / "svg").mkdir()
    (root / "svg" / "figure.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>', encoding="utf-8")
    err, path = fails(good, "svg", md)
    assert f"error: {path}:{line_of(md, 'figure.svg')}: figures in .svg format cannot be included" in err
    assert "hint: TeX includes PDF, PNG and JPEG" in err


def test_a_figure_that_names_the_author_is_refused_in_an_anonymous_copy(good):
    """A photo's EXIF names its author, and a JPEG goes into the PDF as it is: an anonymous copy
    refuses it (ASCII or EXIF's UTF-16, any case), before TeX; a copy with the author does not."""
    md = GOOD_MD + "\n![A photo](photo.jpg)\n"
    root = good[0]
    folder = root / "photo"
    folder.mkdir()
    exif = b"\xff\xd8\xff\xe1\x00\x40Exif\x00\x00MM\x00*" + "ADA TESTER".encode("utf-16-le") + b"\xff\xd9"
    (folder / "photo.jpg").write_bytes(exif)
    err, path = fails(good, "photo", md, GOOD_BIB, "--template", "anonymous-review")
    assert (f"error: {path}:{line_of(md, 'photo.jpg')}: this copy is anonymous, but the figure names "
            "\u201cAda Tester\u201d in its metadata: photo.jpg") in err
    assert "hint: remove the figure's metadata (`exiftool -all= photo.jpg`" in err
    from pressroom.figures import check_figures
    doc = {"blocks": [{"t": "Para", "c": [{"t": "Image", "c": [["", [], []], [], ["photo.jpg", ""]]}]}]}
    assert check_figures(doc, path, hidden=()) == ["photo.jpg"]
    assert check_figures(doc, path, hidden=("Someone Else", "else@example.org")) == ["photo.jpg"]
    # a PNG's text chunks are read, compressed ones too; its pixels are not (an affiliation's three
    # letters turn up there by chance), nor is a name inside a longer word
    import zlib

    def png(*chunks: tuple[bytes, bytes]) -> bytes:
        return b"\x89PNG\r\n\x1a\n" + b"".join(
            len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")
            for kind, data in chunks)
    doc["blocks"][0]["c"][0]["c"][2][0] = "chart.png"
    chart = folder / "chart.png"
    for chunk in ((b"tEXt", b"Author\0Ada Tester"), (b"zTXt", b"Author\0\0" + zlib.compress(b"ada tester")),
                  (b"iTXt", b"Author\0\x01\0en\0\0" + zlib.compress(b"Ada Tester"))):
        chart.write_bytes(png((b"IHDR", bytes(13)), chunk, (b"IDAT", b"x"), (b"IEND", b"")))
        with pytest.raises(ManuscriptError, match="names \u201cAda Tester\u201d"):
            check_figures(doc, path, hidden=("Ada Tester", "NWC"))
    chart.write_bytes(png((b"IHDR", bytes(13)), (b"tEXt", b"Comment\0NWCs"), (b"IDAT", b"..NWC..Ada Tester"),
                          (b"IEND", b"")))
    assert check_figures(doc, path, hidden=("Ada Tester", "NWC")) == ["chart.png"]


def test_a_note_reference_with_no_note_is_an_error_at_its_line(good):
    """pandoc prints `[^tow]` as it is when only `[^two]:` is defined, and drops that note."""
    md = GOOD_MD + "\nA typo.[^tow] A printed \\[^x] reference.\n\n[^two]: The note.\n"
    err, path = fails(good, "note-ref", md)
    assert f"error: {path}:{line_of(md, 'typo.')}: convert: the note reference [^tow] has no note" in err
    assert "hint: the notes defined and not referenced: [^two]" in err


def test_a_note_label_defined_twice_is_an_error_at_the_second(good):
    md = GOOD_MD + "\nOne.[^n] Two.[^m]\n\n[^n]: The first.\n\n[^m]: Other.\n\n[^n]: The second.\n"
    err, path = fails(good, "note-twice", md)
    assert (f"error: {path}:{line_of(md, '[^n]: The second.')}: convert: the note [^n] is defined twice "
            f"(also at line {line_of(md, '[^n]: The first.')})") in err


def test_a_citation_in_the_abstract_is_an_error_at_its_line(good):
    """The notes are made from the text: a citation in a header field would print as it is written."""
    md = GOOD_MD.replace("abstract: A short abstract.",
                         "abstract: 'Building on [@smith2001, 3], a short abstract.'")
    err, path = fails(good, "abstract-cite", md)
    assert (f"error: {path}:{line_of(md, 'abstract:')}: convert: a citation in the header's `abstract` "
            "(@smith2001)") in err


def test_a_note_no_reference_points_to_is_a_warning(tmp_path):
    from pressroom.convert import check_note_references
    from pressroom.errors import Warnings
    from pressroom.pandoc_ast import read_markdown
    md = GOOD_MD + "\nA note.[^one] A printed \\[^x] reference.\n\n[^one]: Kept.\n\n[^old]: Left over.\n"
    path = write_manuscript(tmp_path / "unused", md)
    warnings = Warnings(echo=False)
    check_note_references(read_markdown(path), path, warnings)
    assert warnings.items == [
        f"{path}:{line_of(md, '[^old]:')}: the note [^old] is referenced nowhere, so it is left out"]


def test_a_figure_that_is_not_what_its_name_says_is_named(good):
    """TeX would stop with "Unable to load picture" and no line of the Markdown."""
    md = GOOD_MD + "\n![A figure](figure.png)\n"
    (good[0] / "gif").mkdir()
    (good[0] / "gif" / "figure.png").write_bytes(b"GIF89a\x01\x00\x01\x00")
    err, path = fails(good, "gif", md)
    assert (f"error: {path}:{line_of(md, 'figure.png')}: the figure is not a PNG file (it is a GIF image): "
            "figure.png") in err


def test_missing_glyph(good):
    md = GOOD_MD + "\nSome text with क in it.\n"
    err, path = fails(good, "glyph", md)
    assert f"error: {path}:{line_of(md, 'क')}: characters missing from the font " in err
    assert "क (U+0915)" in err
    assert "hint: choose a font that has them" in err and "full log: " in err


def test_right_to_left_characters_in_the_bibliography_are_found_there(good):
    """Chinese and Japanese print (tests/test_languages.py); Arabic and Hebrew remain out of scope."""
    bib = GOOD_BIB.replace("title = {A Book}", "title = {كتاب}")
    err, path = fails(good, "glyph-bib", GOOD_MD, bib)
    assert f"error: {path.parent / 'refs.bib'}:3: characters missing from the font " in err
    assert "ك (U+0643)" in err
    assert ("hint: pressroom does not typeset right-to-left scripts (Arabic, Hebrew, ...): "
            "give the romanization") in err


def test_latex_error_maps_to_the_markdown_line(good):
    md = GOOD_MD + "\nA third paragraph.\n\nAnother paragraph with \\undefinedmacro here.\n\nThe end.\n"
    err, path = fails(good, "latex", md)
    line = line_of(md, "undefinedmacro")
    assert f"error: {path}:{line}: LaTeX error: Undefined control sequence." in err
    assert "\\undefinedmacro" in err  # the l.N context line
    out = good[1]
    assert f"in {out / 'paper.tex'}:" in err and f"(the Markdown block starting at line {line})" in err
    log = out / "tex" / "paper.log"
    assert f"full log: {log}" in err and log.is_file()


def test_a_latex_error_in_a_header_field_names_its_markdown_line(good):
    """The header's fields have no line marks in the LaTeX: the control sequence TeX stopped at is
    found where the Markdown writes it."""
    md = GOOD_MD.replace("abstract: A short abstract.", "abstract: A short \\badmacro abstract.")
    err, path = fails(good, "latex-header", md)
    assert f"error: {path}:{line_of(md, 'badmacro')}: LaTeX error: Undefined control sequence." in err
    assert "(written at paper.md:" in err


def test_a_held_lock_is_a_clear_error(good):
    _, out, _ = good
    with open(out / ".lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)  # what a running build holds
        md = GOOD_MD.replace("A second paragraph.", "A changed paragraph.")
        err, _ = fails(good, "locked", md, stale=False)  # the other build is writing them
    assert f"another build of {out} is running" in err
    assert "hint: wait for it to finish" in err


def _tex_child(pid: int) -> int | None:
    """The pid of a TeX process the process ``pid`` started (it runs in a session of its own)."""
    for entry in Path("/proc").iterdir():
        try:
            stat = (entry / "stat").read_text()
        except (OSError, ValueError):
            continue
        comm, _, rest = stat.partition(" (")[2].rpartition(") ")
        if comm in ("xelatex", "xetex") and int(rest.split()[1]) == pid and rest.split()[0] != "Z":
            return int(entry.name)
    return None


def test_ctrl_c_leaves_no_partial_file_and_the_next_build_works(good):
    """Ctrl-C while TeX runs. TeX loops (a raw TeX loop after a page of text), so that the build
    is surely still in TeX when the signal comes: a build that finished first would exit 0."""
    root, out, before = good
    md = GOOD_MD.replace("A second paragraph.", "A paragraph long enough to fill a page. " * 200
                         + "\n\nText \\loop\\iftrue\\repeat here.")
    path = write_manuscript(root / "interrupted", md)
    # SIGINT's default action, as a terminal's foreground job has it: a suite run in the background
    # of a shell or a script has SIGINT ignored, which its children inherit (and Python then leaves
    # it ignored: the build would not see the Ctrl-C)
    proc = subprocess.Popen([sys.executable, str(ROOT / "build.py"), str(path), "--out", str(out),
                             "--time-limit", "60"],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True,
                            preexec_fn=functools.partial(signal.signal, signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 60
    while (tex := _tex_child(proc.pid)) is None and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.02)
    assert tex is not None, proc.communicate(timeout=120)
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does (TeX, in its own session, is
    _, err = proc.communicate(timeout=120)   # stopped by pressroom)
    assert proc.returncode == 130, err
    assert "interrupted" in err
    assert "Traceback" not in err, err
    assert not Path(f"/proc/{tex}").exists(), "TeX outlived the interrupted build"
    leftovers = [p for p in out.rglob("*") if p.name.endswith(".tmp") and p.name.startswith(".")]
    assert not leftovers, leftovers
    assert digests(out) == before, "Ctrl-C changed the last good PDF"
    # the build folder's state survived: the good manuscript builds again, to the same bytes
    run_cli(root / "good" / "paper.md", "--out", out)
    assert digests(out) == before
