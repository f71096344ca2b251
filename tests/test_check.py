"""check: a good PDF passes every check; each tampered PDF fails the right one.

The good PDFs come from a real XeLaTeX build (conftest.tex_pdf), with metadata
written and, for the draft, stamped. Each tampered copy is made with pikepdf
inside its test.
"""

from __future__ import annotations

import json
import os
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pikepdf
import pytest
from pikepdf import Array, Dictionary, Name

from conftest import ROOT, copy_of, run_cli
from pdfsample import make_sample_pdf
from pressroom.check import CHECKS, Finding, References, check_pdf
from pressroom.cli import format_report
from pressroom.errors import PressroomError
from pressroom.pdfmeta import PdfMetadata, write_metadata
from pressroom.stamp import StampSettings, stamp

META = PdfMetadata(title="On Ledgers", authors=("Ann Author", "Bo Writer"),
                   subject="An abstract.", keywords=("ledgers", "trade"), language="en-US",
                   date=datetime(2018, 1, 1, tzinfo=UTC))
STAMP = "WORK IN PROGRESS — DO NOT CITE"


@pytest.fixture(scope="module")
def built(tmp_path_factory, tex_pdf) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("build")
    tex = tex_pdf                     # 3 pages, US Letter
    a4 = make_sample_pdf(folder, pages=1, paper="a4paper", name="a4")
    submission = write_metadata(tex, folder / "paper.pdf", META)
    draft = stamp(tex, folder / "paper-draft.pdf", StampSettings(footer="Draft · January 2018"), META)
    return {"submission": submission, "draft": draft, "a4": a4}


def by_name(findings: list[Finding]) -> dict[str, Finding]:
    return {f.check: f for f in findings}


def check(pdf: Path, *, draft: bool, **kw) -> dict[str, Finding]:
    findings = check_pdf(pdf, expected=META, draft=draft, **kw)
    assert [f.check for f in findings] == list(CHECKS)
    return by_name(findings)


def failed(findings: dict[str, Finding]) -> set[str]:
    return {name for name, f in findings.items() if not f.ok}


def helvetica() -> Dictionary:
    return Dictionary(Type=Name.Font, Subtype=Name.Type1, BaseFont=Name.Helvetica)


def add_text_page(pdf: pikepdf.Pdf, text: str, *, font=None, where: str = "page",
                  size=(612, 792)) -> None:
    """Append a page showing ``text`` in ``font`` (default: unembedded Helvetica)."""
    font = pdf.make_indirect(font if font is not None else helvetica())
    content = f"BT /F1 12 Tf 72 700 Td ({text}) Tj ET".encode()
    font_res = Dictionary(Font=Dictionary(F1=font))
    page = pdf.add_blank_page(page_size=size)
    if where == "page":
        page.obj.Resources = font_res
        page.obj.Contents = pdf.make_stream(content)
        return
    inner = pdf.make_stream(content, Type=Name.XObject, Subtype=Name.Form,
                            BBox=Array([0, 0, size[0], size[1]]), Resources=font_res)
    if where == "nested-form":
        outer = pdf.make_stream(b"/Inner Do", Type=Name.XObject, Subtype=Name.Form,
                                BBox=Array([0, 0, size[0], size[1]]),
                                Resources=Dictionary(XObject=Dictionary(Inner=inner)))
        page.obj.Resources = Dictionary(XObject=Dictionary(Outer=outer))
        page.obj.Contents = pdf.make_stream(b"/Outer Do")
    elif where == "annotation":
        annot = Dictionary(Type=Name.Annot, Subtype=Name.FreeText, Rect=Array([72, 690, 300, 720]),
                           Contents=pikepdf.String(text), DA=pikepdf.String("/F1 12 Tf 0 g"),
                           AP=Dictionary(N=inner))
        page.obj.Annots = Array([pdf.make_indirect(annot)])
    else:
        raise ValueError(where)


def tamper(src: Path, dest: Path, change) -> Path:
    with pikepdf.open(src) as pdf:
        change(pdf)
        pdf.save(dest)
    return dest


# -- the good PDFs --------------------------------------------------------------

def test_good_draft_passes_every_check(built):
    findings = check(built["draft"], draft=True)
    assert failed(findings) == set(), list(findings.values())
    assert findings["stamp"].reason == "watermark on all 3 pages"


def test_good_submission_passes_every_check(built):
    assert failed(check(built["submission"], draft=False)) == set()


def test_draft_checked_as_submission_fails_stamp(built):
    findings = check(built["draft"], draft=False)
    assert failed(findings) == {"stamp"}
    assert "page 1, 2, 3" in findings["stamp"].reason


def test_submission_checked_as_draft_fails_stamp(built):
    findings = check(built["submission"], draft=True)
    assert failed(findings) == {"stamp"}
    assert findings["stamp"].reason == "no watermark on page 1, 2, 3"


# -- tampered copies --------------------------------------------------------------

def test_wrong_title_fails_metadata(built, tmp_path):
    def change(pdf):
        pdf.docinfo.Title = "A Wrong Title"
    findings = check(tamper(built["submission"], tmp_path / "t.pdf", change), draft=False)
    assert failed(findings) == {"metadata"}
    assert findings["metadata"].reason == "Info /Title is 'A Wrong Title', expected 'On Ledgers'"


def test_wrong_xmp_author_fails_metadata(built, tmp_path):
    def change(pdf):
        with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as xmp:
            xmp["dc:creator"] = ["Ann Author"]
    findings = check(tamper(built["submission"], tmp_path / "t.pdf", change), draft=False)
    assert failed(findings) == {"metadata"}
    assert "XMP dc:creator is ('Ann Author',)" in findings["metadata"].reason


def append_first_page_of(other: Path):
    def change(pdf):
        with pikepdf.open(other) as src:
            pdf.pages.append(src.pages[0])
    return change


def test_page_without_stamp_fails_stamp(built, tmp_path):
    change = append_first_page_of(built["submission"])
    findings = check(tamper(built["draft"], tmp_path / "t.pdf", change), draft=True)
    assert failed(findings) == {"stamp"}
    assert findings["stamp"].reason == "no watermark on page 4"


def test_other_stamp_wording_fails_stamp(built):
    findings = check(built["draft"], draft=True, stamp_text="DRAFT")
    assert failed(findings) == {"stamp"}
    assert "says 'WORK IN PROGRESS — DO NOT CITE', expected 'DRAFT'" in findings["stamp"].reason


@pytest.mark.parametrize("where", ["page", "nested-form", "annotation"])
def test_unembedded_font_fails_fonts(built, tmp_path, where):
    out = tamper(built["submission"], tmp_path / "t.pdf",
                 lambda pdf: add_text_page(pdf, "Plain words.", where=where))
    findings = check(out, draft=False)
    assert "fonts" in failed(findings)
    assert findings["fonts"].reason.startswith("font Helvetica not embedded (page 4")


def test_type3_font_fails_fonts(built, tmp_path):
    type3 = Dictionary(Type=Name.Font, Subtype=Name.Type3, Name=Name.T3,
                       FontBBox=Array([0, 0, 1, 1]), FontMatrix=Array([0.001, 0, 0, 0.001, 0, 0]),
                       CharProcs=Dictionary(), Encoding=Dictionary(Differences=Array()),
                       FirstChar=0, LastChar=0, Widths=Array([0]), Resources=Dictionary())
    out = tamper(built["submission"], tmp_path / "t.pdf",
                 lambda pdf: add_text_page(pdf, "", font=type3))
    findings = check(out, draft=False)
    assert findings["fonts"].reason == "Type 3 font (unnamed) (page 4)"


def test_a4_page_fails_letter_check(built, tmp_path):
    change = append_first_page_of(built["a4"])
    findings = check(tamper(built["submission"], tmp_path / "t.pdf", change), draft=False)
    assert failed(findings) == {"page-size"}
    assert findings["page-size"].reason == \
        "page 4 MediaBox is 595.28×841.89 pt, expected letter 612×792"


def test_a4_document_passes_a4_check(built):
    findings = check_pdf(built["a4"], expected=META, draft=False, page_size="a4")
    assert by_name(findings)["page-size"].ok


def test_cropbox_is_checked(built, tmp_path):
    def change(pdf):
        pdf.pages[1].obj.CropBox = Array([0, 0, 500, 700])
    findings = check(tamper(built["submission"], tmp_path / "t.pdf", change), draft=False)
    assert findings["page-size"].reason == "page 2 CropBox is 500×700 pt, expected letter 612×792"


CITED = References(citations=("dittmer1992", "smith2001"))


@pytest.mark.parametrize("text, references, what", [
    ("Disputed [@dittmer1992, 45] here.", None, "raw citation '[@dittmer1992, 45]'"),
    ("See [see @dittmer1992; @smith2001] there.", CITED, "raw citation '[see @dittmer1992; @smith2001]'"),
    ("As @dittmer1992 argues.", CITED, "raw citation key '@dittmer1992'"),
    ("As shown in Section ?? above.", References(undefined=(("reference", "sec:ports", 2),)),
     "LaTeX reference `sec:ports` undefined (printed as ??)"),
])
def test_unresolved_reference_fails_references(built, tmp_path, text, references, what):
    # The added page sets its text in unembedded Helvetica (simplest to write
    # by hand), so 'fonts' fails as well; 'references' must name the text.
    out = tamper(built["submission"], tmp_path / "t.pdf", lambda pdf: add_text_page(pdf, text))
    findings = check(out, draft=False, references=references)
    assert failed(findings) == {"references", "fonts"}
    page = 2 if references and references.undefined else 4
    assert findings["references"].reason.startswith(f"page {page}: {what}")


@pytest.mark.parametrize("text", [
    "Section ?? is missing from the manuscript, and so is ???.",
    "The reading of the seal [?] is uncertain.",
    "Use @property for a getter; mail ann@example.org or @dittmer_fan.",
    "Pandoc writes a citation as [@key] (a key the paper does not cite).",
])
def test_prose_that_looks_like_a_reference_passes(built, tmp_path, text):
    """What the check looks for is what an unresolved reference produces, not its look-alikes."""
    out = tamper(built["submission"], tmp_path / "t.pdf", lambda pdf: add_text_page(pdf, text))
    assert check(out, draft=False, references=CITED)["references"].ok, text
    if "[@key]" not in text:       # without the build's cited keys, a bracketed @key is taken as raw
        assert check(out, draft=False)["references"].ok, text


def test_email_address_is_not_a_citation_key(built, tmp_path):
    out = tamper(built["submission"], tmp_path / "t.pdf",
                 lambda pdf: add_text_page(pdf, "Write to ann@example.org today."))
    assert check(out, draft=False)["references"].ok


def test_broken_stream_fails_structure(built, tmp_path):
    def change(pdf):
        pdf.pages[0].obj.Contents = pdf.make_stream(b"not deflate data", Filter=Name.FlateDecode)
    findings = check(tamper(built["submission"], tmp_path / "t.pdf", change), draft=False)
    assert not findings["structure"].ok
    assert "page 1" in findings["structure"].reason or "stream" in findings["structure"].reason


def test_unreadable_file_is_a_structure_failure(tmp_path):
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"%PDF-1.7\nnot really")
    findings = check_pdf(bad, expected=META, draft=False)
    assert findings[0].check == "structure" and not findings[0].ok


def test_unknown_page_size_is_an_error(built):
    with pytest.raises(PressroomError, match="unknown page size"):
        check_pdf(built["submission"], expected=META, draft=False, page_size="tabloidish")


# -- short reasons -------------------------------------------------------------------

def test_a_wrong_value_in_info_and_xmp_is_one_short_problem(built, tmp_path):
    abstract = "An abstract. " + "It goes on and on about ledgers. " * 25   # 800 characters
    meta = PdfMetadata(**{**META.__dict__, "subject": abstract})
    src = write_metadata(built["submission"], tmp_path / "long.pdf", meta)
    wrong = abstract.replace("and on", "and ON", 3)
    changed = write_metadata(src, tmp_path / "changed.pdf",
                             PdfMetadata(**{**meta.__dict__, "subject": wrong}))
    findings = check_pdf(changed, expected=meta, draft=False)
    reason = by_name(findings)["metadata"].reason
    assert reason.startswith("Info /Subject and XMP dc:description are '…")
    assert "ON" in reason and len(reason) < 160 and reason.count("Subject") == 1


def test_many_problems_make_one_line_of_bounded_length(built, tmp_path):
    def change(pdf):
        pdf.docinfo.Title = "T" * 300
        pdf.docinfo.Author = "A" * 300
        pdf.docinfo.Subject = "S" * 300
    reason = check(tamper(built["submission"], tmp_path / "t.pdf", change), draft=False)["metadata"].reason
    assert "\n" not in reason and len(reason) <= 200 and reason.endswith("more")


# -- no manuscript to compare with ---------------------------------------------------

def without_manuscript(pdf: Path, *, draft: bool) -> dict[str, Finding]:
    findings = check_pdf(pdf, expected=None, page_size=None, stamp_text=None, draft=draft)
    assert [f.check for f in findings] == [c for c in CHECKS if c != "metadata"]
    return by_name(findings)


def test_without_a_manuscript_good_pdfs_pass_and_metadata_is_left_out(built, tmp_path):
    def change(pdf):
        pdf.docinfo.Title = "Any Other Paper"        # not compared: no manuscript says the title
    assert failed(without_manuscript(tamper(built["submission"], tmp_path / "t.pdf", change),
                                     draft=False)) == set()
    draft = without_manuscript(built["draft"], draft=True)
    assert failed(draft) == set() and draft["stamp"].reason == "watermark on all 3 pages"
    assert without_manuscript(built["a4"], draft=False)["page-size"].reason.startswith("1 page, all a4 ")


def test_without_a_manuscript_the_stamp_and_one_page_size_are_still_checked(built, tmp_path):
    assert without_manuscript(built["draft"], draft=False)["stamp"].reason.startswith(
        "submission carries the watermark")
    assert not without_manuscript(built["submission"], draft=True)["stamp"].ok
    a4_page = append_first_page_of(built["a4"])
    mixed = without_manuscript(tamper(built["submission"], tmp_path / "t.pdf", a4_page), draft=False)
    assert mixed["page-size"].reason == "page 4 MediaBox is 595.28×841.89 pt, page 1 letter 612×792 pt"


def test_check_of_a_build_reads_that_build_folder_and_makes_no_other(small_build, tmp_path):
    """`check PDF`: the manifest beside the PDF names its manuscript, and the PDF's folder is its
    build folder: the TeX log whose undefined references the check reports is that build's, and
    no default build folder (build/<manuscript folder>/ in the project) is made for the check."""
    name = f"check-{uuid.uuid4().hex[:8]}"
    out = tmp_path / "out"
    md = copy_of(small_build, tmp_path / name, out)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    manifest["source"] = os.path.relpath(md, out)   # the copy's manuscript, as a build there would say
    (out / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    assert run_cli("check", out / "paper.pdf", out / "paper-draft.pdf").returncode == 0
    # the build folder stands for what its manifest lists, and the check says which files it read
    whole = run_cli("check", out)
    assert whole.returncode == 0, whole.stdout + whole.stderr
    assert f"checking {out / 'paper.pdf'}, {out / 'paper-draft.pdf'}" in whole.stderr
    assert "paper-draft.pdf stamp" in whole.stdout
    # named with --manuscript, nor is one made to keep what the check reads of the manuscript
    assert run_cli("check", out / "paper.pdf", "--manuscript", md).returncode == 0
    log, pdf = out / "tex" / "paper.log", out / "paper.pdf"
    log.write_text(log.read_text(encoding="utf-8")
                   + "LaTeX Warning: Reference `sec:gone' on page 1 undefined on input line 9.\n",
                   encoding="utf-8")
    made = pdf.stat().st_mtime_ns
    os.utime(log, ns=(made - 10**9, made - 10**9))   # the log of the run that made the PDF
    result = run_cli("check", pdf, check=False)
    assert result.returncode == 1 and "LaTeX reference `sec:gone` undefined" in result.stdout, result.stdout
    assert not (ROOT / "build" / name).exists()


# -- output ---------------------------------------------------------------------

def test_report_table():
    rows = [{"pdf": "paper.pdf", "check": "metadata", "ok": True, "reason": "fine"},
            {"pdf": "paper-draft.pdf", "check": "fonts", "ok": False,
             "reason": "font X not embedded (page 1)"}]
    assert format_report(rows).splitlines() == [
        "check                  result  reason",
        "paper.pdf metadata     ok      fine",
        "paper-draft.pdf fonts  FAIL    font X not embedded (page 1)"]
