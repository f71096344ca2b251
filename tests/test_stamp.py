"""stamp: the watermark is on every page, readable, embedded, reproducible.

The input is a real XeLaTeX PDF (TeX Gyre Termes, US Letter, a footnote per
page, 3 pages) compiled into a temporary folder once per session (conftest.tex_pdf);
nothing is committed.
"""

from __future__ import annotations

import hashlib
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pikepdf
import pytest

from pdfsample import BODY_SENTENCE
from pressroom.errors import PressroomError
from pressroom.pdfmeta import PdfMetadata, read_metadata
from pressroom.stamp import StampSettings, find_stamp, stamp

SETTINGS = StampSettings(footer="Draft · version date January 2018 · built 2026-11-25")
META = PdfMetadata(title="A Paper", authors=("Ann Author",), language="en-US",
                   date=datetime(2018, 1, 1, tzinfo=UTC), version_date="January 2018")
PAGES = 3   # conftest.tex_pdf's


@pytest.fixture()
def stamped(tex_pdf, tmp_path) -> Path:
    return stamp(tex_pdf, tmp_path / "draft.pdf", SETTINGS, META)


def pdftotext_pages(pdf: Path) -> list[str]:
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"],
                         capture_output=True, text=True, check=True).stdout
    return [" ".join(p.split()) for p in out.split("\f")[:-1]]


def test_every_page_carries_the_stamp(tex_pdf, stamped):
    assert find_stamp(tex_pdf) == [False] * PAGES
    assert find_stamp(stamped) == [True] * PAGES


def test_text_extracts_watermark_footer_and_body(stamped):
    pages = pdftotext_pages(stamped)
    assert len(pages) == PAGES
    for n, text in enumerate(pages, start=1):
        assert "WORK IN PROGRESS — DO NOT CITE" in text
        assert SETTINGS.footer in text
        assert f"{BODY_SENTENCE} Page {n} begins here." in text
        assert f"A footnote on page {n}, citing nothing." in text


def test_stamp_font_is_embedded(stamped):
    out = subprocess.run(["pdffonts", str(stamped)], capture_output=True, text=True,
                         check=True).stdout
    rows = out.splitlines()[2:]
    dejavu = [r for r in rows if "DejaVuSans" in r]
    assert len(dejavu) == 2, out
    for row in rows:
        emb = row.split()[-5]
        assert emb == "yes", row


def test_metadata_marks_the_draft(stamped):
    back = read_metadata(stamped)
    assert back.draft and back.version_date == "January 2018"
    assert back.title == META.title and back.authors == META.authors


def test_deterministic_bytes(tex_pdf, tmp_path):
    a = stamp(tex_pdf, tmp_path / "a.pdf", SETTINGS, META)
    b = stamp(tex_pdf, tmp_path / "b.pdf", SETTINGS, META)
    assert hashlib.sha256(a.read_bytes()).digest() == hashlib.sha256(b.read_bytes()).digest()


def test_in_place(tex_pdf, tmp_path):
    work = tmp_path / "paper.pdf"
    work.write_bytes(tex_pdf.read_bytes())
    stamp(work, work, SETTINGS)
    assert find_stamp(work) == [True] * PAGES
    assert sorted(p.name for p in tmp_path.iterdir()) == ["paper.pdf"]


def test_new_wording_needs_no_tex(tex_pdf, tmp_path):
    """A new wording is stamped on the PDF TeX made (how fast: benchmarks/bench_stamp_check.py)."""
    out = stamp(tex_pdf, tmp_path / "w.pdf", StampSettings(text="ENTWURF — NICHT ZITIEREN"))
    assert all("ENTWURF — NICHT ZITIEREN" in t for t in pdftotext_pages(out))


def test_colour_and_opacity_are_applied(stamped):
    with pikepdf.open(stamped) as pdf:
        form = pdf.pages[0].obj.Resources.XObject.PressroomStamp
        assert b"0.6 0.6 0.6 rg" in form.read_bytes()
        assert float(form.Resources.ExtGState.PrGS.ca) == pytest.approx(0.3)


def test_mixed_page_sizes_each_get_a_centred_stamp(tex_pdf, tmp_path):
    src = tmp_path / "mixed.pdf"
    with pikepdf.open(tex_pdf) as pdf:
        pdf.pages[1].obj.MediaBox = pikepdf.Array([0, 0, 595.28, 841.89])
        pdf.save(src)
    out = stamp(src, tmp_path / "out.pdf", SETTINGS)
    assert find_stamp(out) == [True] * PAGES
    with pikepdf.open(out) as pdf:
        bboxes = [list(p.obj.Resources.XObject.PressroomStamp.BBox) for p in pdf.pages]
    assert bboxes[1] != bboxes[0] == bboxes[2]


def test_missing_glyph_is_a_clear_error(tex_pdf, tmp_path):
    with pytest.raises(PressroomError, match="no glyph"):
        stamp(tex_pdf, tmp_path / "x.pdf", StampSettings(text="草稿 \U0001F600"))
    assert not (tmp_path / "x.pdf").exists()


@pytest.mark.parametrize("bad", [StampSettings(text="  "), StampSettings(opacity=0.0),
                                 StampSettings(color=(2.0, 0.0, 0.0))])
def test_bad_settings_are_errors(tex_pdf, tmp_path, bad):
    with pytest.raises(PressroomError):
        stamp(tex_pdf, tmp_path / "x.pdf", bad)


def _gray(pdf: Path, page: int) -> tuple[int, int, bytes]:
    """Page ``page`` as the reader sees it (turned by /Rotate), 30 dpi grey: width, height, pixels."""
    pgm = subprocess.run(["pdftoppm", "-gray", "-r", "30", "-f", str(page), "-l", str(page), str(pdf)],
                         capture_output=True, check=True).stdout
    header, _, rest = pgm.partition(b"\n255\n")
    width, height = (int(v) for v in header.split()[1:3])
    return width, height, rest[:width * height]


def _stamp_rows(before: Path, after: Path, page: int) -> tuple[float, float]:
    """Where the stamp's pixels are on the page as read: the lowest changed row and the
    rightmost changed column in the page's bottom tenth, as fractions of height and width."""
    width, height, old = _gray(before, page)
    _, _, new = _gray(after, page)
    changed = [i for i, (a, b) in enumerate(zip(old, new)) if a != b]
    lowest = max(i // width for i in changed)
    bottom = [i % width for i in changed if i // width > 0.9 * height]
    return lowest / height, (min(bottom) + max(bottom)) / 2 / width if bottom else -1.0


@pytest.mark.parametrize("rotation", [90, 180, 270])
def test_a_turned_page_gets_its_stamp_upright(tex_pdf, tmp_path, rotation):
    """A landscape page (/Rotate) shows the footer centred at its foot, as upright pages do."""
    turned = tmp_path / "turned.pdf"
    with pikepdf.open(tex_pdf) as pdf:
        pdf.pages[1].obj.Rotate = rotation
        pdf.save(turned)
    out = stamp(turned, tmp_path / "draft.pdf", SETTINGS, META)
    for page in (1, 2):
        lowest, footer_centre = _stamp_rows(turned, out, page)
        assert lowest > 0.9 and abs(footer_centre - 0.5) < 0.05, (page, lowest, footer_centre)
    assert "WORK IN PROGRESS — DO NOT CITE" in pdftotext_pages(out)[1]
    assert find_stamp(out) == [True] * PAGES
