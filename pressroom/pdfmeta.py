"""PDF metadata: the document Info dictionary and XMP, written in sync.

``write_metadata(pdf_in, pdf_out, meta)`` replaces whatever metadata TeX left
with exactly what ``meta`` says, in both places a reader may look:

=============  ==========================  ===================================
field          Info dictionary             XMP
=============  ==========================  ===================================
title          /Title                      dc:title
authors        /Author ("A; B")            dc:creator (Seq)
subject        /Subject                    dc:description
keywords       /Keywords ("a, b")          pdf:Keywords ("a, b"), dc:subject (Bag)
language       catalog /Lang               dc:language (Bag)
creator        /Creator                    xmp:CreatorTool
(producer)     /Producer                   pdf:Producer
date           /CreationDate, /ModDate     xmp:CreateDate, xmp:ModifyDate, xmp:MetadataDate
draft          /PressroomDraft             pressroom:Draft
version_date   /PressroomVersionDate       pressroom:VersionDate
=============  ==========================  ===================================

The date comes from the sources (SOURCE_DATE_EPOCH), never the clock; with
``date=None`` the PDF carries no dates at all (TeX's clock date is removed).
The XMP packet is rebuilt from scratch, so no random IDs survive, and the file
is saved with ``deterministic_id=True``: same input, same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pikepdf
from pikepdf import Name
from pikepdf.models.metadata import PdfMetadata as _Xmp
from pikepdf.models.metadata import decode_pdf_date, encode_pdf_date

from . import __version__ as _version
from . import facts
from ._pdfio import open_pdf, save_atomic
from .errors import PressroomError

if TYPE_CHECKING:
    from .config import Settings

PRESSROOM_NS = "https://pressroom.invalid/ns/pdf/1.0/"
_Xmp.register_xml_namespace(PRESSROOM_NS, "pressroom")

PRODUCER = f"pressroom {_version} (pikepdf {pikepdf.__version__})"
AUTHOR_SEP = "; "
KEYWORD_SEP = ", "


@dataclass(frozen=True)
class PdfMetadata:
    title: str
    authors: tuple[str, ...] = ()
    subject: str = ""            # from the abstract or `subject:`
    keywords: tuple[str, ...] = ()
    language: str = ""           # e.g. "en-US"
    creator: str = f"pressroom {_version}"
    date: datetime | None = None  # from the sources (SOURCE_DATE_EPOCH), never the clock
    draft: bool = False          # the draft records that it is a draft ...
    version_date: str = ""       # ... and its version date (e.g. "January 2018")


def expected(settings: Settings, *, draft: bool) -> PdfMetadata:
    """The metadata a build's PDF carries (the draft: ``draft=True``); the check compares with it.

    The title and subject are the plain text pandoc reads from the header,
    as the page prints them (facts.py).
    """
    source = facts.of_build(settings)
    return PdfMetadata(
        title=source.title, authors=settings.authors, subject=source.subject,
        keywords=settings.keywords, language=settings.lang, creator=settings.creator,
        date=datetime.fromtimestamp(settings.source_date_epoch, UTC),
        draft=draft, version_date=settings.version_date)


def _validate(meta: PdfMetadata) -> None:
    for author in meta.authors:
        if ";" in author:
            raise PressroomError(f"author name {author!r} contains ';'",
                                 hint="the PDF /Author field separates authors with ';'")
    for keyword in meta.keywords:
        if "," in keyword:
            raise PressroomError(f"keyword {keyword!r} contains ','",
                                 hint="the PDF /Keywords field separates keywords with ','")


def _utc(date: datetime) -> datetime:
    if date.tzinfo is None:
        return date.replace(tzinfo=UTC)
    return date.astimezone(UTC)


def apply_metadata(pdf: pikepdf.Pdf, meta: PdfMetadata) -> None:
    """Set Info, catalog /Lang and a fresh XMP packet on an open ``pdf``."""
    _validate(meta)
    info = pikepdf.Dictionary()
    info.Title = meta.title
    if meta.authors:
        info.Author = AUTHOR_SEP.join(meta.authors)
    if meta.subject:
        info.Subject = meta.subject
    if meta.keywords:
        info.Keywords = KEYWORD_SEP.join(meta.keywords)
    info.Creator = meta.creator
    info.Producer = PRODUCER
    if meta.date is not None:
        info.CreationDate = info.ModDate = encode_pdf_date(_utc(meta.date))
    if meta.draft:
        info.PressroomDraft = "true"
        if meta.version_date:
            info.PressroomVersionDate = meta.version_date
    pdf.trailer.Info = pdf.make_indirect(info)

    if meta.language:
        pdf.Root.Lang = meta.language
    elif Name.Lang in pdf.Root:
        del pdf.Root.Lang

    if Name.Metadata in pdf.Root:
        del pdf.Root.Metadata
    with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as xmp:
        xmp["dc:title"] = meta.title
        if meta.authors:
            xmp["dc:creator"] = list(meta.authors)
        if meta.subject:
            xmp["dc:description"] = meta.subject
        if meta.keywords:
            xmp["pdf:Keywords"] = KEYWORD_SEP.join(meta.keywords)
            xmp["dc:subject"] = list(meta.keywords)  # a list keeps the order in the Bag
        if meta.language:
            xmp["dc:language"] = [meta.language]
        xmp["xmp:CreatorTool"] = meta.creator
        xmp["pdf:Producer"] = PRODUCER
        if meta.date is not None:
            stamp = _utc(meta.date).isoformat()
            xmp["xmp:CreateDate"] = xmp["xmp:ModifyDate"] = xmp["xmp:MetadataDate"] = stamp
        if meta.draft:
            xmp["pressroom:Draft"] = "True"
            if meta.version_date:
                xmp["pressroom:VersionDate"] = meta.version_date


def write_metadata(pdf_in: Path, pdf_out: Path, meta: PdfMetadata) -> Path:
    """Write ``meta`` into a copy of ``pdf_in`` at ``pdf_out`` (may be the same file), with its
    bookmarks as the pages print their headings."""
    with open_pdf(pdf_in) as pdf:
        apply_metadata(pdf, meta)
        typeset_bookmarks(pdf)
        return save_atomic(pdf, pdf_out)


#: TeX's ligatures of ASCII (the fonts' tex-text mapping), which pandoc's LaTeX writer uses for
#: quotation marks and dashes and which hyperref copies into the bookmarks as they are written
_TEX_LIGATURES = (("---", "\u2014"), ("--", "\u2013"), ("``", "\u201c"), ("''", "\u201d"),
                  ("`", "\u2018"), ("'", "\u2019"))


def typeset_bookmarks(pdf: pikepdf.Pdf) -> None:
    """Each bookmark's title with the marks the heading has on the page: hyperref writes a heading's
    ``Fukuzawa's ``Independence''`` as it is; the page shows Fukuzawa’s “Independence”."""
    outlines = pdf.Root.get(Name.Outlines)
    pending = [outlines.get(Name.First)] if outlines is not None else []
    seen: set[tuple[int, int]] = set()
    while pending:
        item = pending.pop()
        if not isinstance(item, pikepdf.Dictionary) or item.objgen in seen:
            continue
        if item.is_indirect:   # a loop of /Next links ends here
            seen.add(item.objgen)
        title = item.get(Name.Title)
        if title is not None:
            text = str(title)
            for ascii_form, mark in _TEX_LIGATURES:
                text = text.replace(ascii_form, mark)
            if text != str(title):
                item.Title = pikepdf.String(text)
        pending += [item.get(Name.First), item.get(Name.Next)]


def _split(value: str, sep: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in value.split(sep.strip()) if p.strip())


def _str(value) -> str:
    return str(value) if value is not None else ""


def info_metadata(pdf: pikepdf.Pdf) -> PdfMetadata:
    """What the Info dictionary (and catalog /Lang) say."""
    info = pdf.trailer.get(Name.Info, pikepdf.Dictionary())
    date = None
    raw = info.get(Name.CreationDate)
    if raw is not None:
        try:
            date = decode_pdf_date(str(raw))
        except ValueError:
            date = None
    return PdfMetadata(
        title=_str(info.get(Name.Title)),
        authors=_split(_str(info.get(Name.Author)), AUTHOR_SEP),
        subject=_str(info.get(Name.Subject)),
        keywords=_split(_str(info.get(Name.Keywords)), KEYWORD_SEP),
        language=_str(pdf.Root.get(Name.Lang)),
        creator=_str(info.get(Name.Creator)),
        date=date,
        draft=_str(info.get(Name.PressroomDraft)).lower() == "true",
        version_date=_str(info.get(Name.PressroomVersionDate)),
    )


def xmp_metadata(pdf: pikepdf.Pdf) -> PdfMetadata | None:
    """What the XMP packet says, or None if the PDF has none."""
    if Name.Metadata not in pdf.Root:
        return None
    xmp = pdf.open_metadata()
    keywords = _split(_str(xmp.get("pdf:Keywords")), KEYWORD_SEP)
    if not keywords and xmp.get("dc:subject"):
        keywords = tuple(sorted(xmp.get("dc:subject")))
    languages = xmp.get("dc:language") or ()
    date = None
    if xmp.get("xmp:CreateDate"):
        try:
            date = datetime.fromisoformat(str(xmp.get("xmp:CreateDate")))
        except ValueError:
            date = None
    return PdfMetadata(
        title=_str(xmp.get("dc:title")),
        authors=tuple(xmp.get("dc:creator") or ()),
        subject=_str(xmp.get("dc:description")),
        keywords=keywords,
        language=min(languages) if languages else "",
        creator=_str(xmp.get("xmp:CreatorTool")),
        date=date,
        draft=_str(xmp.get("pressroom:Draft")).lower() == "true",
        version_date=_str(xmp.get("pressroom:VersionDate")),
    )


def xmp_subject_bag(pdf: pikepdf.Pdf) -> set[str]:
    """The dc:subject Bag (the keywords as XMP-only readers see them)."""
    if Name.Metadata not in pdf.Root:
        return set()
    return set(pdf.open_metadata().get("dc:subject") or ())


def read_metadata(pdf: Path) -> PdfMetadata:
    """Read the metadata back: XMP where present, the Info dictionary otherwise."""
    with open_pdf(pdf) as doc:
        info = info_metadata(doc)
        xmp = xmp_metadata(doc)
    if xmp is None:
        return info
    # XMP has no language of its own if only /Lang was set; fill gaps from Info.
    return replace(xmp, language=xmp.language or info.language,
                   date=xmp.date or info.date)
