"""Preflight checks of a finished PDF → a list of findings.

``check_pdf`` runs six checks and returns one :class:`Finding` per check,
always in this order:

``metadata``
    Info dictionary (with catalog /Lang) and XMP both say the expected title,
    authors, subject, keywords and language.
``fonts``
    every font is embedded and none is Type 3: fonts of the pages, of Form
    XObjects (recursively), of tiling patterns and of annotation appearances.
``page-size``
    every page's MediaBox and CropBox is the template's paper size (1 pt
    tolerance).
``stamp``
    the draft carries the watermark on every page (and its text extracts);
    the submission carries it on none.
``references``
    nothing unresolved: no reference or citation that TeX's log of the build
    reports undefined (LaTeX prints them as ``??``), and no citation pandoc
    left raw in the text (pdftotext): ``[@key]``, ``[see @key, 4]`` or, for a
    key the manuscript cites, ``@key``. Prose may hold ``??``, ``[?]`` (an
    uncertain reading) or ``@property`` (code): only what an unresolved
    reference really produces is looked for. A PDF without its build (no log,
    no manuscript) is searched for bracketed raw citations only.
``structure``
    qpdf's structural check (``qpdf --check``) finds no problem.

Without a manuscript to compare with (``expected=None``: ``pressroom check
PDF`` with no manifest beside the PDF), the metadata is not checked, the
page size must be one for every page, and the stamp is checked for its
presence on the draft and its absence from the submission, whatever it says.

Each finding's reason is one short line (values are clipped around their
first difference). ``pressroom`` prints the findings as a table
(``cli.format_report``) or as JSON and exits with 1 when a check failed.
pdftotext runs in the background while pikepdf does the other checks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pikepdf
from pikepdf import Name

from ._pdfio import PageText, PdfLocked, open_pdf
from .errors import LimitExceeded, PressroomError
from .papers import PAPER_SIZES
from .pdfmeta import PdfMetadata, info_metadata, xmp_metadata, xmp_subject_bag
from .stamp import page_stamps
from .tools import DEFAULT_LIMITS, Limits

TOLERANCE = 1.0      # points
MAX_LISTED = 3       # problems named in one reason line before "and N more"
MAX_REASON = 160     # characters of a reason line, past which the other problems are counted
VALUE_WIDTH = 40     # characters of a value shown in a reason (clipped around its first difference)
CHECKS = ("metadata", "fonts", "page-size", "stamp", "references", "structure")

#: a pandoc citation key: a letter, digit or _, then internal punctuation (pandoc's manual)
_KEY = r"[\w](?:[\w:.#$%&+?<>~/-]*[\w])?"
#: a bracketed citation pandoc did not process, as its LaTeX writer leaves it: ``[see @key, 4]``
_RAW_BRACKETED = re.compile(rf"\[[^\[\]]*?(?<![\w.])-?@({_KEY})[^\[\]]*\]")
#: what TeX's log says of a reference (``\ref``: printed ``??``) or citation it could not resolve
_UNDEFINED = re.compile(r"LaTeX Warning: (Reference|Citation) `([^']*)' on page (\d+) undefined")
#: what the page shows of a reference LaTeX printed empty: "Section ." (an unresolved one, "??", is
#: known from the log only: prose may say "Section ??")
_EMPTY_SHOWN = re.compile(r"\b(?:section|figure|table|chapter|appendix|equation)s?\s+(?=[.,;:)])",
                          re.IGNORECASE)
#: a label in the .aux whose number is empty (hyperref's and LaTeX's forms): ``\newlabel{x}{{}{3}...``
_EMPTY_LABEL = re.compile(r"^\\newlabel\{([^{}]*)\}\{\{\}\{([^{}]*)\}", re.MULTILINE)
#: a reference that prints a label's number
_REF = re.compile(r"\\(?:ref|autoref)\*?\{([^{}]*)\}")


@dataclass(frozen=True)
class References:
    """What the build knows about a PDF's references, for the references check.

    ``citations``: the keys the manuscript cites (pandoc's AST); a raw one is
    found even outside brackets (``@key says``), except as often as the
    manuscript writes it in code (``in_code``). ``undefined``: TeX's own list
    of what it left unresolved, ``(kind, label, page)`` from the log of the
    run that made the PDF.
    """

    citations: tuple[str, ...] = ()
    undefined: tuple[tuple[str, str, int], ...] = ()
    #: ``\ref`` to a label with no number (an unnumbered section): (label, page of the label)
    empty: tuple[tuple[str, str], ...] = ()
    #: how often the manuscript writes a cited ``@key`` in code (printed as it is, so not raw)
    in_code: tuple[tuple[str, int], ...] = ()


def undefined_in_log(log: Path, pdf: Path) -> tuple[tuple[str, str, int], ...]:
    """The references and citations TeX left undefined, from ``log`` if it is the log of the run
    that made ``pdf`` (not newer than it: a later failed run leaves its own log)."""
    try:
        if log.stat().st_mtime_ns > pdf.stat().st_mtime_ns:
            return ()
        text = log.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ()
    return tuple(dict.fromkeys((m.group(1).lower(), m.group(2), int(m.group(3)))
                               for m in _UNDEFINED.finditer(text)))


def empty_in_aux(aux: Path, tex: Path, pdf: Path) -> tuple[tuple[str, str], ...]:
    """The labels that ``tex`` refers to with ``\\ref`` and that the ``aux`` of the run that made
    ``pdf`` gives no number (LaTeX prints "Section ." for them, and no warning)."""
    try:
        if aux.stat().st_mtime_ns > pdf.stat().st_mtime_ns:
            return ()
        aux_text = aux.read_text(encoding="utf-8", errors="replace")
        empty = dict(m.groups() for m in _EMPTY_LABEL.finditer(aux_text))
        if not empty:
            return ()
        referred = _REF.findall(tex.read_text(encoding="utf-8", errors="replace"))
    except OSError:
        return ()
    return tuple((label, empty[label]) for label in dict.fromkeys(referred) if label in empty)


@dataclass(frozen=True)
class Finding:
    check: str      # short name, e.g. "metadata", "fonts", "page-size", "stamp", "references", "structure"
    ok: bool
    reason: str     # one line; why it failed (or short detail when ok)


def _summary(problems: list[str]) -> str:
    """The problems on one short line: the first few, then how many more."""
    shown: list[str] = []
    for problem in problems[:MAX_LISTED]:
        if shown and len("; ".join([*shown, problem])) > MAX_REASON:
            break
        shown.append(problem if len(problem) <= MAX_REASON else problem[:MAX_REASON - 1] + "…")
    more = len(problems) - len(shown)
    return "; ".join(shown) + (f"; and {more} more" if more > 0 else "")


def _clip(text: str, start: int = 0) -> str:
    """VALUE_WIDTH characters of ``text``, from a few before ``start`` (where it differs), … where cut."""
    if len(text) <= VALUE_WIDTH:
        return text
    start = max(0, min(start - 12, len(text) - VALUE_WIDTH))
    end = start + VALUE_WIDTH
    return ("…" if start else "") + text[start:end] + ("…" if end < len(text) else "")


def _values(have, want) -> tuple[str, str]:
    """Two differing values, shown short: long strings from just before their first difference."""
    if isinstance(have, str) and isinstance(want, str):
        same = next((i for i, (a, b) in enumerate(zip(have, want)) if a != b), min(len(have), len(want)))
        return repr(_clip(have, same)), repr(_clip(want, same))
    return _clip(repr(have)), _clip(repr(want))


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _finding(check: str, problems: list[str], ok_detail: str) -> Finding:
    if problems:
        return Finding(check, False, _summary(problems))
    return Finding(check, True, ok_detail)


# -- metadata ---------------------------------------------------------------

_FIELDS = {
    "title": ("/Title", "dc:title"),
    "authors": ("/Author", "dc:creator"),
    "subject": ("/Subject", "dc:description"),
    "keywords": ("/Keywords", "pdf:Keywords"),
    "language": ("catalog /Lang", "dc:language"),
}


def _check_metadata(pdf: pikepdf.Pdf, expected: PdfMetadata) -> Finding:
    problems = []
    sources = [("Info", 0, info_metadata(pdf))]
    xmp = xmp_metadata(pdf)
    if xmp is None:
        problems.append("no XMP metadata")
    else:
        sources.append(("XMP", 1, xmp))
    for field, keys in _FIELDS.items():
        want = getattr(expected, field)
        # one problem per field and value: Info and XMP that give the same wrong title are one
        wrong: dict[str, tuple[list[str], object]] = {}
        for label, idx, got in sources:
            have = getattr(got, field)
            if have != want:
                wrong.setdefault(repr(have), ([], have))[0].append(f"{label} {keys[idx]}")
        for names, have in wrong.values():
            have_text, want_text = _values(have, want)
            verb = "is" if len(names) == 1 else "are"
            problems.append(f"{' and '.join(names)} {verb} {have_text}, expected {want_text}")
    if xmp is not None and set(expected.keywords) != xmp_subject_bag(pdf):
        have_text, want_text = _values(sorted(xmp_subject_bag(pdf)), sorted(expected.keywords))
        problems.append(f"XMP dc:subject is {have_text}, expected {want_text}")
    return _finding("metadata", problems, "Info and XMP match the manuscript")


# -- fonts ------------------------------------------------------------------

def _resources(obj: pikepdf.Object) -> pikepdf.Object | None:
    """An object's /Resources, following page-tree inheritance."""
    node = obj
    while node is not None:
        res = node.get(Name.Resources)
        if res is not None:
            return res
        node = node.get(Name.Parent)
    return None


class _FontWalk:
    """Visit every font reachable from pages, forms, patterns and annotations."""

    def __init__(self):
        self.seen: set = set()
        self.problems: list[str] = []
        self.count = 0

    def _once(self, obj) -> bool:
        # A direct object sits in one container and cannot close a cycle: always visited. (Its
        # id() is no key: pikepdf makes a new wrapper on each access, and a freed wrapper's id is
        # reused, so an unvisited dictionary could look seen: a flaky miss of a font.)
        if not obj.is_indirect:
            return True
        if obj.objgen in self.seen:
            return False
        self.seen.add(obj.objgen)
        return True

    def resources(self, res, where: str) -> None:
        if not isinstance(res, pikepdf.Dictionary) or not self._once(res):
            return
        for font in (res.get(Name.Font) or {}).values():
            self.font(font, where)
        for xobj in (res.get(Name.XObject) or {}).values():
            self.form(xobj, where)
        for pattern in (res.get(Name.Pattern) or {}).values():
            if isinstance(pattern, pikepdf.Stream) and self._once(pattern):
                self.resources(pattern.get(Name.Resources), where)

    def form(self, xobj, where: str) -> None:
        if (isinstance(xobj, pikepdf.Stream) and xobj.get(Name.Subtype) == Name.Form
                and self._once(xobj)):
            self.resources(xobj.get(Name.Resources), where)

    def font(self, font, where: str) -> None:
        if not isinstance(font, pikepdf.Dictionary) or not self._once(font):
            return
        self.count += 1
        subtype = font.get(Name.Subtype)
        name = str(font.get(Name.BaseFont, "(unnamed)")).lstrip("/")
        if subtype == Name.Type3:
            self.problems.append(f"Type 3 font {name} ({where})")
            return
        desc = font
        if subtype == Name.Type0:
            kids = font.get(Name.DescendantFonts)
            desc = kids[0] if kids else None
        fd = desc.get(Name.FontDescriptor) if desc is not None else None
        if fd is None or not any(k in fd for k in (Name.FontFile, Name.FontFile2, Name.FontFile3)):
            self.problems.append(f"font {name} not embedded ({where})")

    def annotations(self, page, where: str) -> None:
        for annot in page.obj.get(Name.Annots) or []:
            ap = annot.get(Name.AP) if isinstance(annot, pikepdf.Dictionary) else None
            if ap is None:
                continue
            for state in (ap.get(Name.N), ap.get(Name.R), ap.get(Name.D)):
                if isinstance(state, pikepdf.Stream):
                    self.form(state, f"{where}, annotation")
                elif isinstance(state, pikepdf.Dictionary):
                    for form in state.values():
                        self.form(form, f"{where}, annotation")


def _check_fonts(pdf: pikepdf.Pdf) -> Finding:
    walk = _FontWalk()
    for n, page in enumerate(pdf.pages, start=1):
        walk.resources(_resources(page.obj), f"page {n}")
        walk.annotations(page, f"page {n}")
    return _finding("fonts", walk.problems, f"{walk.count} fonts, all embedded")


# -- page size --------------------------------------------------------------

def _paper(page_size: tuple[float, float] | str) -> tuple[str, float, float]:
    if isinstance(page_size, str):
        key = page_size.lower().replace("paper", "").strip()
        if key not in PAPER_SIZES:
            raise PressroomError(f"unknown page size {page_size!r}",
                                 hint=f"use one of {', '.join(PAPER_SIZES)} or (width, height) in pt")
        w, h = PAPER_SIZES[key]
        return key, w, h
    w, h = (float(v) for v in page_size)
    return f"{w:g}×{h:g} pt", w, h


def _size(box) -> tuple[float, float]:
    x0, y0, x1, y1 = (float(v) for v in box)
    return abs(x1 - x0), abs(y1 - y0)


def _known_paper(w: float, h: float) -> str:
    """The name of a paper size (``letter``), or the size in points."""
    name = next((name for name, (pw, ph) in PAPER_SIZES.items()
                 if abs(w - pw) <= TOLERANCE and abs(h - ph) <= TOLERANCE), None)
    return f"{name} {w:g}×{h:g} pt" if name else f"{w:g}×{h:g} pt"


def _check_one_page_size(pdf: pikepdf.Pdf) -> Finding:
    """With no manuscript to say the paper: every page (and crop box) has the first page's size."""
    first = _size(pdf.pages[0].mediabox) if len(pdf.pages) else (0.0, 0.0)
    problems = []
    for n, page in enumerate(pdf.pages, start=1):
        boxes = [("MediaBox", page.mediabox)]
        if Name.CropBox in page.obj:
            boxes.append(("CropBox", page.obj.CropBox))
        for box_name, box in boxes:
            w, h = _size(box)
            if abs(w - first[0]) > TOLERANCE or abs(h - first[1]) > TOLERANCE:
                problems.append(f"page {n} {box_name} is {w:g}×{h:g} pt, page 1 {_known_paper(*first)}")
    return _finding("page-size", problems, f"{_count(len(pdf.pages), 'page')}, all {_known_paper(*first)} "
                                           "(no manuscript to name the paper)")


def _check_page_size(pdf: pikepdf.Pdf, page_size) -> Finding:
    if page_size is None:
        return _check_one_page_size(pdf)
    label, want_w, want_h = _paper(page_size)
    problems = []
    for n, page in enumerate(pdf.pages, start=1):
        boxes = [("MediaBox", page.mediabox)]
        if Name.CropBox in page.obj:
            boxes.append(("CropBox", page.obj.CropBox))
        for box_name, box in boxes:
            w, h = _size(box)
            if abs(w - want_w) > TOLERANCE or abs(h - want_h) > TOLERANCE:
                problems.append(f"page {n} {box_name} is {w:g}×{h:g} pt, "
                                f"expected {label} {want_w:g}×{want_h:g}")
    return _finding("page-size", problems,
                    f"{_count(len(pdf.pages), 'page')}, {label} {want_w:g}×{want_h:g} pt")


# -- stamp ------------------------------------------------------------------

def _squash(text: str) -> str:
    return " ".join(text.split())


def _pages(numbers: list[int]) -> str:
    shown = ", ".join(map(str, numbers[:10]))
    return shown + (f" (and {len(numbers) - 10} more)" if len(numbers) > 10 else "")


def _check_stamp(stamps: list[str | None], texts: list[str], draft: bool,
                 stamp_text: str | None) -> Finding:
    """``stamp_text`` None (no manuscript): the watermark's presence is checked, not its words."""
    def extracts(n: int, words: str) -> bool:
        return n <= len(texts) and _squash(words) in _squash(texts[n - 1])
    problems = []
    if draft:
        missing = [n for n, s in enumerate(stamps, 1) if s is None]
        if missing:
            problems.append(f"no watermark on page {_pages(missing)}")
        wrong = [n for n, s in enumerate(stamps, 1)
                 if s is not None and stamp_text is not None and _squash(s) != _squash(stamp_text)]
        if wrong:
            have, want = _values(stamps[wrong[0] - 1], stamp_text)
            problems.append(f"watermark on page {_pages(wrong)} says {have}, expected {want}")
        unread = [n for n, s in enumerate(stamps, 1)
                  if s is not None and n not in wrong and not extracts(n, s)]
        if unread:
            problems.append(f"watermark text does not extract on page {_pages(unread)}")
        return _finding("stamp", problems, f"watermark on all {len(stamps)} pages")
    stamped = [n for n, s in enumerate(stamps, 1) if s is not None]
    if stamped:
        problems.append(f"submission carries the watermark on page {_pages(stamped)}")
    if stamp_text is not None:
        texted = [n for n in range(1, len(texts) + 1) if extracts(n, stamp_text) and n not in stamped]
        if texted:
            problems.append(f"watermark text {_clip(stamp_text)!r} on page {_pages(texted)}")
    return _finding("stamp", problems, "no watermark (submission)")


# -- references -------------------------------------------------------------

def _check_references(texts: list[str], references: References | None, *,
                      places: list[str] | None = None) -> Finding:
    """``places``: what each text is (default: page 1, page 2, ...)."""
    problems = [f"page {page}: LaTeX {kind} `{label}` undefined (printed as ??)"
                for kind, label, page in (references.undefined if references else ())]
    problems += [f"\\ref{{{label}}} prints nothing: `{label}` (page {page}) labels something unnumbered"
                 for label, page in (references.empty if references else ())]
    cited = set(references.citations) if references else set()
    bare = re.compile(rf"(?<![\w@.])@({_KEY})") if cited else None
    in_code = dict(references.in_code) if references else {}
    for n, text in enumerate(texts, start=1):
        flat = _squash(text)
        found = [(m, "raw citation") for m in _RAW_BRACKETED.finditer(flat)
                 if not cited or m.group(1) in cited]
        inside = [range(m.start(), m.end()) for m, _ in found]
        if bare is not None:
            found += [(m, "raw citation key") for m in bare.finditer(flat)
                      if m.group(1) in cited and not any(m.start() in span for span in inside)]
        found += [(m, "empty reference") for m in _EMPTY_SHOWN.finditer(flat)]
        for m, what in sorted(found, key=lambda pair: pair[0].start()):
            keys = re.findall(rf"(?<![\w.])-?@({_KEY})", m.group(0))
            if what.startswith("empty") and any(problem.startswith("\\ref") or "undefined" in problem
                                                 for problem in problems):
                continue   # the log or the .aux named it already, with its label
            if keys and all(in_code.get(k, 0) > 0 for k in keys):   # the manuscript's own code
                for k in keys:
                    in_code[k] -= 1
                continue
            start, end = max(0, m.start() - 25), min(len(flat), m.end() + 25)
            place = places[n - 1] if places else f"page {n}"
            problems.append(f"{place}: {what} {m.group(0)!r} in \u201c{flat[start:end]}\u201d")
    return _finding("references", problems, "no undefined reference, no raw citation")


# -- structure --------------------------------------------------------------

def _check_structure(pdf: pikepdf.Pdf) -> Finding:
    try:
        problems = [p for p in pdf.check_pdf_syntax() if p]
    except pikepdf.PdfError as exc:
        problems = [f"ERROR: {exc}"]
    return _finding("structure", problems, "qpdf --check: no problems")


# -- entry points -------------------------------------------------------------

def check_pdf(pdf: Path, *, expected: PdfMetadata | None,
              page_size: tuple[float, float] | str | None = "letter", draft: bool,
              stamp_text: str | None = "WORK IN PROGRESS — DO NOT CITE",
              limits: Limits = DEFAULT_LIMITS, references: References | None = None) -> list[Finding]:
    """Run all checks on ``pdf``; one Finding per check, in ``CHECKS`` order.

    With no manuscript to compare with, pass None for ``expected``, ``page_size``
    and ``stamp_text``: the metadata check is left out (so the findings start with
    fonts), the pages must have one size, and the stamp's words are not compared.
    ``references``: what the build knows of the references (the cited keys, TeX's
    undefined ones); None searches the text for bracketed raw citations only.
    pdftotext runs under ``limits``; hitting one is an error, not a finding.
    """
    if page_size is not None:
        _paper(page_size)                  # a bad page size is a usage error, before any work
    try:
        doc = open_pdf(pdf)
    except PdfLocked:
        raise                              # nothing can be checked: an error, not a finding
    except PressroomError as exc:
        return [Finding("structure", False, exc.message)]
    text = PageText(pdf, limits)           # poppler works while pikepdf checks
    with doc:
        metadata = [] if expected is None else [_check_metadata(doc, expected)]
        fonts = _check_fonts(doc)
        size = _check_page_size(doc, page_size)
        stamps = page_stamps(doc)
        structure = _check_structure(doc)
    try:
        texts = text.pages()
    except LimitExceeded:
        raise
    except PressroomError as exc:
        failed = Finding("references", False, exc.message)
        return [*metadata, fonts, size, Finding("stamp", False, exc.message), failed, structure]
    return [*metadata, fonts, size, _check_stamp(stamps, texts, draft, stamp_text),
            _check_references(texts, references), structure]
