"""pdfmeta: Info and XMP in sync, read back, reproducible bytes.

The PDFs: one compiled by XeLaTeX (real TeX output with its own clock-free Info;
conftest.tex_pdf, made once per session), and tiny pikepdf ones for the property test.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pikepdf
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pressroom.errors import PressroomError
from pressroom.pdfmeta import PdfMetadata, info_metadata, read_metadata, write_metadata, xmp_metadata

META = PdfMetadata(
    title="Gender and Mutuality in Hanseatic Bruges — a Study",
    authors=("Dittmer, Anna", "Li Wei", "José Álvarez"),
    subject="How merchants' wives kept the books.",
    keywords=("Hanse", "Bruges", "gender history"),
    language="en-US",
    date=datetime(2018, 1, 15, 9, 30, tzinfo=UTC),
)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_round_trip_info_equals_xmp(tex_pdf, tmp_path):
    out = write_metadata(tex_pdf, tmp_path / "out.pdf", META)
    assert read_metadata(out) == META
    with pikepdf.open(out) as pdf:
        assert info_metadata(pdf) == xmp_metadata(pdf) == META
        assert str(pdf.docinfo.Producer).startswith("pressroom ")
        assert str(pdf.docinfo.CreationDate).startswith("D:20180115093000")


def test_pdfinfo_sees_the_metadata(tex_pdf, tmp_path):
    import subprocess
    out = write_metadata(tex_pdf, tmp_path / "out.pdf", META)
    info = subprocess.run(["pdfinfo", str(out)], capture_output=True, text=True, check=True).stdout
    assert "Gender and Mutuality in Hanseatic Bruges — a Study" in info
    assert "Dittmer, Anna; Li Wei; José Álvarez" in info
    assert "Hanse, Bruges, gender history" in info


def test_deterministic_bytes(tex_pdf, tmp_path):
    a = write_metadata(tex_pdf, tmp_path / "a.pdf", META)
    b = write_metadata(tex_pdf, tmp_path / "b.pdf", META)
    assert sha256(a) == sha256(b)
    c = write_metadata(tex_pdf, tmp_path / "c.pdf", replace(META, title="Other"))
    assert sha256(a) != sha256(c)


def test_in_place_and_rewrite(tex_pdf, tmp_path):
    work = tmp_path / "paper.pdf"
    work.write_bytes(tex_pdf.read_bytes())
    write_metadata(work, work, META)
    draft = replace(META, draft=True, version_date="January 2018", keywords=())
    write_metadata(work, work, draft)
    assert read_metadata(work) == draft
    assert [p.name for p in tmp_path.iterdir()] == ["paper.pdf"]   # no temp file left


def test_no_date_means_no_clock_date(tex_pdf, tmp_path):
    out = write_metadata(tex_pdf, tmp_path / "out.pdf", replace(META, date=None))
    with pikepdf.open(out) as pdf:
        assert "/CreationDate" not in pdf.docinfo and "/ModDate" not in pdf.docinfo
    assert read_metadata(out).date is None


def test_submission_carries_no_draft_marks(tex_pdf, tmp_path):
    out = write_metadata(tex_pdf, tmp_path / "d.pdf", replace(META, draft=True, version_date="May 2019"))
    write_metadata(out, out, META)
    back = read_metadata(out)
    assert not back.draft and back.version_date == ""


def test_separator_in_author_is_an_error(tex_pdf, tmp_path):
    with pytest.raises(PressroomError, match="contains ';'"):
        write_metadata(tex_pdf, tmp_path / "x.pdf", replace(META, authors=("A; B",)))
    assert not (tmp_path / "x.pdf").exists()


def test_failed_write_leaves_target_alone(tmp_path):
    target = tmp_path / "out.pdf"
    target.write_bytes(b"old")
    with pytest.raises(PressroomError):
        write_metadata(tmp_path / "missing.pdf", target, META)
    assert target.read_bytes() == b"old"


_text = (st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=30)
         .map(str.strip).filter(bool))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(title=_text, authors=st.lists(_text.filter(lambda s: ";" not in s), max_size=3),
       keywords=st.lists(_text.filter(lambda s: "," not in s and ";" not in s), max_size=3, unique=True))
def test_round_trip_any_text(tmp_path, title, authors, keywords):
    src = tmp_path / "blank.pdf"
    if not src.exists():
        with pikepdf.new() as pdf:
            pdf.add_blank_page(page_size=(612, 792))
            pdf.save(src)
    meta = PdfMetadata(title=title, authors=tuple(authors), keywords=tuple(keywords), language="de")
    out = write_metadata(src, tmp_path / "out.pdf", meta)
    with pikepdf.open(out) as pdf:
        assert info_metadata(pdf) == xmp_metadata(pdf) == meta
