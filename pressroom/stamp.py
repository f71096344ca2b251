"""The draft stamp: a diagonal watermark and a version line on every page.

``stamp(pdf_in, pdf_out, settings, meta)`` draws, over each page, a large
diagonal light-grey line of text (``settings.text``, at ``settings.opacity``)
and a small footer line (``settings.footer``) in the bottom margin. It needs
no TeX: the text is set directly in PDF operators with DejaVu Sans
(Debian ``fonts-dejavu-core``), subset and embedded by ``_pdffont``, so a new
wording costs milliseconds and ``pdffonts`` shows the font embedded.

How it is put on the page, so ``find_stamp`` and the check can see it:

* one Form XObject per distinct page size and /Rotate carries watermark and
  footer, laid out on the page as the reader sees it (a landscape page turned
  by /Rotate gets its footer at its foot; the form's /Matrix turns it back);
  its dictionary records ``/PieceInfo << /Pressroom << /Private <<
  /Watermark (text) /Footer (text) >> >> >>``;
* each page's content is wrapped in ``q ... Q`` and a last content stream
  paints the form (``/PressroomStamp Do``);
* both lines are marked ``/Artifact`` (pagination watermark and footer), so
  tagged-PDF readers skip them; pdftotext still shows them, after the body.

With ``meta`` given the metadata is written as well, with ``draft=True``.
Same input, same bytes (``deterministic_id``); the output is written atomically.
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import pikepdf
from pikepdf import Array, Dictionary, Name

from ._pdffont import find_font, load_font
from ._pdfio import open_pdf, save_atomic
from .config import Settings, StampOptions
from .errors import PressroomError, Warnings
from .pdfmeta import PdfMetadata, apply_metadata, expected

WATERMARK_FONT = "DejaVuSans-Bold.ttf"
FOOTER_FONT = "DejaVuSans.ttf"
FOOTER_SIZE = 8.0
FOOTER_BASELINE = 20.0   # points above the bottom edge of the page
MARKER = Name("/Pressroom")


#: What the stamp says and how it looks: the settings' ``draft:`` block (one class for both).
StampSettings = StampOptions


def _validate(settings: StampSettings) -> None:
    if not settings.text.strip():
        raise PressroomError("the draft stamp text is empty",
                             hint="set `draft: text:` in the YAML header, or leave it out")
    if len(settings.color) != 3 or not all(0.0 <= c <= 1.0 for c in settings.color):
        raise PressroomError(f"stamp colour {settings.color!r} is not three numbers in 0..1",
                             hint="e.g. `draft: color: [0.6, 0.6, 0.6]`")
    if not 0.0 < settings.opacity <= 1.0:
        raise PressroomError(f"stamp opacity {settings.opacity!r} is not in (0, 1]",
                             hint="e.g. `draft: opacity: 0.3`")


def _num(x: float) -> str:
    """A PDF number, short and stable."""
    text = f"{x:.3f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _text_string(text: str) -> str:
    """A PDF text string literal (UTF-16BE with BOM, hex) for any text."""
    return "<FEFF" + text.encode("utf-16-be").hex().upper() + ">"


def _box(page: pikepdf.Page) -> tuple[float, float, float, float]:
    x0, y0, x1, y1 = (float(v) for v in page.mediabox)
    return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)


def _rotation(page: pikepdf.Page) -> int:
    """The page's /Rotate (its own or inherited), as 0, 90, 180 or 270."""
    node = page.obj
    while node is not None:
        if Name.Rotate in node:
            return int(node.Rotate) % 360
        node = node.get(Name.Parent)
    return 0


def _upright(box, rotation: int) -> tuple[tuple[float, float, float, float], list[float] | None]:
    """Where the stamp is drawn on a page the viewer turns by ``rotation`` degrees: the page as
    the reader sees it, and the form matrix back to the page's own coordinates."""
    x0, y0, x1, y1 = box
    if rotation == 0:
        return box, None
    w, h = x1 - x0, y1 - y0
    seen = (0.0, 0.0, h, w) if rotation in (90, 270) else (0.0, 0.0, w, h)
    matrix = {90: [0, 1, -1, 0, x1, y0], 180: [-1, 0, 0, -1, x1, y1], 270: [0, -1, 1, 0, x0, y1]}[rotation]
    return seen, matrix


def _form_content(box, settings: StampSettings, wm_font, ft_font) -> bytes:
    x0, y0, x1, y1 = box
    width, height = x1 - x0, y1 - y0
    angle = math.atan2(height, width)
    cos, sin = math.cos(angle), math.sin(angle)
    # The watermark runs corner to corner, 70 % of the diagonal long; its
    # height is bounded too so a short text doesn't grow huge.
    unit = wm_font.width(settings.text, 1.0)
    size = min(0.7 * math.hypot(width, height) / unit, 0.2 * min(width, height))
    text_w = unit * size
    cap = wm_font.cap_height / wm_font.units_per_em * size
    cx, cy = x0 + width / 2, y0 + height / 2
    tx = cx - cos * text_w / 2 + sin * cap / 2
    ty = cy - sin * text_w / 2 - cos * cap / 2
    r, g, b = (_num(c) for c in settings.color)
    ops = [
        # The /Span's ActualText makes text extractors (poppler) read the
        # diagonal line as one line of words, not letter by letter.
        "/Artifact <</Type /Pagination /Subtype /Watermark>> BDC",
        f"/Span <</ActualText {_text_string(settings.text)}>> BDC",
        f"q /PrGS gs {r} {g} {b} rg BT /PrWM {_num(size)} Tf",
        f"{_num(cos)} {_num(sin)} {_num(-sin)} {_num(cos)} {_num(tx)} {_num(ty)} Tm",
        f"<{wm_font.encode(settings.text).hex().upper()}> Tj ET Q EMC EMC",
    ]
    if settings.footer.strip():
        fsize = FOOTER_SIZE
        fw = ft_font.width(settings.footer, fsize)
        if fw > 0.9 * width:          # a long footer shrinks to fit the margin
            fsize *= 0.9 * width / fw
            fw = ft_font.width(settings.footer, fsize)
        ops += [
            "/Artifact <</Type /Pagination /Subtype /Footer>> BDC",
            f"q {r} {g} {b} rg BT /PrFT {_num(fsize)} Tf",
            f"1 0 0 1 {_num(cx - fw / 2)} {_num(y0 + FOOTER_BASELINE)} Tm",
            f"<{ft_font.encode(settings.footer).hex().upper()}> Tj ET Q EMC",
        ]
    return ("\n".join(ops) + "\n").encode("ascii")


def _page_resources(page: pikepdf.Page) -> pikepdf.Dictionary:
    """The page's own /Resources, copying inherited ones down if needed."""
    obj = page.obj
    if Name.Resources not in obj:
        node = obj.get(Name.Parent)
        while node is not None:
            if Name.Resources in node:
                obj.Resources = node.Resources
                break
            node = node.get(Name.Parent)
        else:
            obj.Resources = Dictionary()
    return obj.Resources


def stamp(pdf_in: Path, pdf_out: Path, settings: StampSettings,
          meta: PdfMetadata | None = None) -> Path:
    """Stamp every page of ``pdf_in`` into ``pdf_out`` (may be the same file)."""
    _validate(settings)
    wm_font = load_font(find_font(WATERMARK_FONT))
    ft_font = load_font(find_font(FOOTER_FONT))
    # Fail on a missing glyph before touching the PDF.
    wm_font.glyphs(settings.text)
    ft_font.glyphs(settings.footer)

    with open_pdf(pdf_in) as pdf:
        wm = wm_font.embed(pdf, settings.text)
        ft = ft_font.embed(pdf, settings.footer or " ")
        gstate = pdf.make_indirect(Dictionary(Type=Name.ExtGState, ca=settings.opacity,
                                              CA=settings.opacity))
        marker = Dictionary(Private=Dictionary(
            Watermark=pikepdf.String(settings.text), Footer=pikepdf.String(settings.footer)))
        if meta is not None and meta.date is not None:
            marker.LastModified = pikepdf.models.metadata.encode_pdf_date(meta.date)
        marker = pdf.make_indirect(Dictionary({"/Pressroom": marker}))
        resources = Dictionary(Font=Dictionary(PrWM=wm, PrFT=ft),
                               ExtGState=Dictionary(PrGS=gstate))
        forms: dict[tuple, pikepdf.Object] = {}
        opening = pdf.make_indirect(pikepdf.Stream(pdf, b"q\n"))
        closings: dict[str, pikepdf.Object] = {}

        for page in pdf.pages:
            # A turned page (/Rotate, e.g. a landscape table) gets its stamp upright as read.
            key = (_box(page), _rotation(page))
            form = forms.get(key)
            if form is None:
                seen, matrix = _upright(*key)
                form = pikepdf.Stream(pdf, _form_content(seen, settings, wm_font, ft_font))
                form.Type = Name.XObject
                form.Subtype = Name.Form
                form.BBox = Array(seen)
                if matrix is not None:
                    form.Matrix = Array(matrix)
                form.Resources = resources
                form.PieceInfo = marker
                form = forms[key] = pdf.make_indirect(form)
            res = _page_resources(page)
            xobjects = res.get(Name.XObject)
            if xobjects is None:
                res.XObject = xobjects = Dictionary()
            name = "/PressroomStamp"
            n = 0
            while name in xobjects and xobjects[name].objgen != form.objgen:
                n += 1
                name = f"/PressroomStamp{n}"
            xobjects[name] = form
            closing = closings.get(name)
            if closing is None:
                closing = closings[name] = pdf.make_indirect(
                    pikepdf.Stream(pdf, f"Q\nq {name} Do Q\n".encode("ascii")))
            page.contents_add(opening, prepend=True)
            page.contents_add(closing, prepend=False)

        if meta is not None:
            apply_metadata(pdf, replace(meta, draft=True))
        return save_atomic(pdf, pdf_out)


def _stamp_forms(page: pikepdf.Page) -> dict[str, str]:
    """Resource names of this page's stamp forms → their watermark text."""
    res = page.obj.get(Name.Resources)
    found = {}
    if res is None or Name.XObject not in res:
        return found
    for name, xobj in res.XObject.items():
        piece = xobj.get(Name.PieceInfo) if isinstance(xobj, pikepdf.Stream) else None
        if piece is not None and MARKER in piece:
            private = piece[MARKER].get(Name.Private, Dictionary())
            found[name] = str(private.get(Name.Watermark, ""))
    return found


def page_stamps(pdf: pikepdf.Pdf) -> list[str | None]:
    """Per page: the watermark text it paints, or None if it paints none."""
    result: list[str | None] = []
    for page in pdf.pages:
        forms = _stamp_forms(page)
        text = None
        if forms:
            contents = page.obj.get(Name.Contents)
            streams = list(contents) if isinstance(contents, pikepdf.Array) else [contents]
            for stream in reversed(streams):   # the stamp is the last stream: cheap
                if stream is None:
                    continue
                for operands, _op in pikepdf.parse_content_stream(stream, "Do"):
                    if operands and str(operands[0]) in forms:
                        text = forms[str(operands[0])]
                        break
                if text is not None:
                    break
        result.append(text)
    return result


def find_stamp(pdf: Path) -> list[bool]:
    """Per page: does it carry the watermark?"""
    with open_pdf(pdf) as doc:
        return [text is not None for text in page_stamps(doc)]


def run(settings: Settings, warnings: Warnings) -> None:
    """The stage, as the task runs it: the submission PDF, stamped, is the draft."""
    try:
        stamp(settings.output(".pdf"), settings.output("-draft.pdf"), settings.stamp,
              expected(settings, draft=True))
    except PressroomError as exc:
        if exc.file is not None:
            raise
        # what the stamp says comes from the header: `draft:`, else the version date in the footer
        from .manuscript import read_manuscript
        manuscript = read_manuscript(settings.manuscript, Warnings(echo=False))
        line = manuscript.line_of("draft")
        hint = exc.hint
        if line is None and manuscript.line_of("version-date") is not None:
            line = manuscript.line_of("version-date")
            hint = ("the draft's footer prints the version date in DejaVu Sans: write the date in digits "
                    "(2026-03-14), or give the footer in a `draft:` block (`footer: ...`)")
        raise type(exc)(f"stamp: {exc.message}", file=settings.manuscript, line=line, hint=hint) from None
