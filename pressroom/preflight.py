"""Check stage: both PDFs of a build against the manuscript → ``<stem>.check.json``.

The checks themselves are check.py (a PDF and what it must carry →
findings); this module gives them the build's expectations (the PDF
metadata of pdfmeta.expected, the paper size, the stamp wording) and keeps
``.check-cache.json``: a PDF whose bytes and expectations are those of the
last check is not checked again (a new stamp wording changes the draft
only). Both PDFs are checked at once, in two threads: each waits on
pdftotext part of the time (0.11-0.12 s for the corpus paper's pair, against
0.13-0.16 s one after the other).
"""

from __future__ import annotations

import hashlib
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from . import facts, jsoncache
from .check import References, check_pdf, empty_in_aux, undefined_in_log
from .compile import AUX_DIR
from .config import Settings
from .errors import Warnings
from .pdfmeta import expected
from .tools import write_text_atomic

CHECK_CACHE = ".check-cache.json"
#: pressroom's modules whose code decides the findings: a new version of them checks again
_CODE = ("check.py", "pdfmeta.py", "_pdfio.py", "preflight.py", "stamp.py")


def run(settings: Settings, warnings: Warnings) -> None:
    """Check both PDFs; the report is the target, so an unchanged build reprints it."""
    write_text_atomic(settings.output(".check.json"),
                      json.dumps(check_report(settings), indent=2, ensure_ascii=False) + "\n")


def check_report(settings: Settings) -> list[dict]:
    """Findings for both PDFs, as report rows."""
    cache_path = settings.out_dir / CHECK_CACHE
    cache = jsoncache.load(cache_path)
    package = Path(__file__).parent
    code = b"".join((package / name).read_bytes() for name in _CODE)
    fresh: dict[str, dict] = {}
    with ThreadPoolExecutor(max_workers=2) as pool:
        pending = {}
        for path, draft in ((settings.output(".pdf"), False), (settings.output("-draft.pdf"), True)):
            # The submission is checked for the absence of any pressroom stamp (its marker), so a
            # new wording re-checks the draft only.
            wording = settings.stamp.text if draft else None
            key = hashlib.sha256(code + path.read_bytes() + repr(
                (expected(settings, draft=draft), settings.paper, draft, wording,
                 references(settings, path))).encode()).hexdigest()
            cached = cache.get(path.name, {})
            if isinstance(cached, dict) and cached.get("key") == key:
                fresh[path.name] = cached
            else:
                pending[path.name] = (key, pool.submit(check_rows, settings, path, draft=draft))
        for name, (key, rows) in pending.items():
            fresh[name] = {"key": key, "rows": rows.result()}
    names = [settings.output(".pdf").name, settings.output("-draft.pdf").name]
    jsoncache.save(cache_path, {name: fresh[name] for name in names})
    docx = docx_rows(settings, settings.output(".docx")) if settings.docx else []
    return [row for name in names for row in fresh[name]["rows"]] + docx


def docx_rows(settings: Settings, docx: Path) -> list[dict]:
    """The findings for the Word file against the manuscript and the submission PDF, as report rows
    (a few milliseconds: not cached)."""
    from .docx import expected_properties
    from .docxcheck import check_docx, pdf_note_count
    pdf = docx.with_suffix(".pdf")   # the submission PDF of the same build
    source = facts.of_build(settings)
    findings = check_docx(docx, expected=expected_properties(settings), hidden=settings.hidden,
                          pdf_notes=pdf_note_count(pdf) if pdf.is_file() else None,
                          references=References(citations=source.citations, in_code=source.cited_in_code))
    return [{"pdf": docx.name, "check": f.check, "ok": f.ok, "reason": f.reason} for f in findings]


def references(settings: Settings, pdf: Path) -> References:
    """What the build knows of ``pdf``'s references: the keys the manuscript cites, what the log
    of the TeX run that made the submission PDF (the draft is it, stamped) reports undefined, and
    the ``\\ref`` to labels its .aux gives no number."""
    source = facts.of_build(settings)
    log = settings.out_dir / AUX_DIR / f"{settings.stem}.log"
    aux = settings.out_dir / AUX_DIR / f"{settings.stem}.aux"
    submission = settings.output(".pdf")
    made = pdf.exists()
    return References(citations=source.citations, in_code=source.cited_in_code,
                      undefined=undefined_in_log(log, submission) if made else (),
                      empty=empty_in_aux(aux, settings.output(".tex"), submission) if made else ())


def check_rows(settings: Settings, pdf: Path, *, draft: bool) -> list[dict]:
    """The findings for one PDF against the manuscript's settings, as report rows."""
    findings = check_pdf(pdf, expected=expected(settings, draft=draft), page_size=settings.paper,
                         draft=draft, stamp_text=settings.stamp.text, limits=settings.limits,
                         references=references(settings, pdf))
    return [{"pdf": pdf.name, "check": f.check, "ok": f.ok, "reason": f.reason} for f in findings]
