"""Locators (``p. 27``, ``pp. 3–8``, ``chap. 4``) and Chicago page ranges.

A locator is what follows the key in ``[@key, 3–8]``. This module turns the
author's text into a :class:`Locator` (label + value) and renders it as
pybtex rich text, so that the no-break space after ``p.``/``pp.`` comes out
right in every backend.

Rules (docs/citation-styles.md, "Locators"; CMOS 14.150–14.154 and 9.61):

- a bare number, range or list of numbers (arabic or lowercase/uppercase
  roman) is a page locator: ``27`` → ``p. 27``, ``3–8`` → ``pp. 3–8``;
- known labels are normalised and singular/plural corrected from the value
  (a range or a list is plural): ``pp. 7`` → ``p. 7``, ``chapter 3–4`` →
  ``chaps. 3–4``;
- an unknown label (``para. 4``) is kept as written and reported through
  ``warn``;
- page ranges are written with an en dash; the styles that ask for it
  (``abbreviate_ranges``) print them abbreviated by CMOS 9.61
  (:func:`abbreviate_range`), whatever the author typed (``135–7`` →
  ``135–37``); other labels' ranges only get the en dash.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pybtex.richtext import String, Symbol, Text

# label (as typed, lowercase, without final dot) -> (singular, plural)
LABELS: dict[str, tuple[str, str]] = {}
for _forms, _sg, _pl in [
    (("p", "pp", "page", "pages", "pg", "pgs"), "p.", "pp."),
    (("chap", "chaps", "chapter", "chapters", "ch"), "chap.", "chaps."),
    (("vol", "vols", "volume", "volumes"), "vol.", "vols."),
    (("n", "nn", "note", "notes"), "n.", "nn."),
    (("sec", "secs", "section", "sections", "§", "§§"), "sec.", "secs."),
    (("fig", "figs", "figure", "figures"), "fig.", "figs."),
    (("para", "paras", "paragraph", "paragraphs", "par", "pars"), "para.", "paras."),
    (("line", "lines", "l", "ll"), "line", "lines"),
    (("table", "tables", "tab"), "table", "tables"),
    (("bk", "bks", "book", "books"), "bk.", "bks."),
    (("pt", "pts", "part", "parts"), "pt.", "pts."),
    (("col", "cols", "column", "columns"), "col.", "cols."),
    (("fol", "fols", "folio", "folios"), "fol.", "fols."),
    (("art", "arts", "article", "articles"), "art.", "arts."),
    (("no", "nos", "number", "numbers"), "no.", "nos."),
    (("app", "appendix"), "app.", "apps."),
]:
    for _f in _forms:
        LABELS[_f] = (_sg, _pl)

PAGE_LABELS = ("p.", "pp.")

#: biblatex's ``pagination`` field: what an unlabelled locator counts in that work, and the
#: label biblatex-chicago prints before it ("col. 181", "§ 9"); ``page`` and ``none`` print the
#: number alone (CMOS 14.150)
PAGINATION_LABELS: dict[str, tuple[str, str]] = {
    "column": ("col.", "cols."), "section": ("§", "§§"), "paragraph": ("¶", "¶¶"),
    "verse": ("v.", "vv."), "line": ("line", "lines"),
}

_ROMAN = r"(?=[ivxlcdm]+\b)m{0,4}(?:cm|cd|d?c{0,3})(?:xc|xl|l?x{0,3})(?:ix|iv|v?i{0,3})"
#: a page: 27, 27a, xii, or a newspaper's section page A16
_NUM = rf"(?:(?-i:[A-Z]{{1,2}})\d+|\d+[a-z]?|{_ROMAN})"
#: a place given with its volume or section, as typed: 2:101, 14.2, 3:12–14
PLACE_RE = re.compile(r"^\d+(?:[:.]\d+)+(?:\s*(?:–|—|-{1,3})\s*\d+(?:[:.]\d+)*)?(?=$|[\s,;)])")
_RANGE = rf"{_NUM}(?:\s*(?:–|—|-{{1,3}})\s*{_NUM})?"
_VALUE = rf"{_RANGE}(?:\s*(?:,|&|and)\s*{_RANGE})*"
VALUE_RE = re.compile(rf"^{_VALUE}(?=$|[\s,;)])", re.IGNORECASE)
LABEL_RE = re.compile(r"^(§§?|[A-Za-z]+)(?:\.\s*|\s+)(?=\S)")
DASH_RE = re.compile(r"\s*(?:–|—|-{1,3})\s*")


@dataclass(frozen=True)
class Locator:
    """A parsed locator: ``label`` (``"p."``, ``"chap."``, ... or the
    author's own unknown label) and ``value`` (ranges with en dashes, as
    typed). ``label`` is ``""`` only for an unknown, unlabelled text;
    ``typed``: the author wrote the label ("p. 2", not "2")."""

    label: str
    value: str
    typed: bool = field(default=False, compare=False)   # the same place however it was written

    @property
    def is_page(self) -> bool:
        return self.label in PAGE_LABELS

    def rich(self, page_labels: bool = True, *, abbreviate: bool = True,
             typed_labels: bool = False) -> Text:
        """Rendered locator as pybtex rich text (no-break space after p./pp.).
        ``page_labels``: "p."/"pp." before pages; ``typed_labels``: keep one the
        author typed even without them; ``abbreviate``: page ranges by CMOS 9.61."""
        if self.label == "s.v.":
            return Text("s.v. “", self.value, "”")
        if self.is_page:
            value = normalise_range(self.value, pages=True) if abbreviate else self.value
            if not page_labels and not (typed_labels and self.typed):
                return Text(value)
            return Text(self.label, Symbol("nbsp"), value)
        if not self.label:
            return Text(self.value)
        return Text(self.label, " ", self.value)

    def __str__(self) -> str:  # plain text, no-break space after p./pp.
        if self.is_page:
            return f"{self.label}\u00a0{self.value}"
        return f"{self.label} {self.value}".strip()


def paginated(locator: Locator | None, pagination: str) -> Locator | None:
    """An unlabelled page locator of a work counted in columns, sections, verses ...
    (``pagination``) with that unit's label: ``181`` → ``col. 181``. A label the author typed
    (``[@key, p. 4]``) and a volume:page place stay as they are."""
    forms = PAGINATION_LABELS.get(pagination.strip().lower())
    if locator is None or forms is None or not locator.is_page or locator.typed:
        return locator
    return Locator(forms[1] if _is_plural(locator.value) else forms[0], locator.value, typed=True)


def _is_plural(value: str) -> bool:
    return bool(re.search(r"–|,|&|\band\b", value))


def abbreviate_range(first: str, last: str) -> str:
    """Chicago (CMOS 9.61) abbreviation of the second number of a range.

    ``last`` may be given in full or already abbreviated by the author
    (``135``/``7``); the result follows the table in docs/citation-styles.md, "Locators".
    Non-arabic numbers are returned unchanged.
    """
    if not (first.isdigit() and last.isdigit()):
        return last
    if len(last) < len(first):
        full = first[: len(first) - len(last)] + last
        if int(full) < int(first):  # not an abbreviation we understand
            return last
        last = full
    a, b = int(first), int(last)
    if a < 100 or a % 100 == 0 or len(first) != len(last) or b < a:
        return last
    i = 0
    while i < len(first) and first[i] == last[i]:
        i += 1
    changed = last[i:] or last[-1:]
    if a % 100 < 10:  # 101–109: changed part only
        return changed
    return last[-2:] if len(changed) < 2 else changed  # two digits or more


def normalise_range(text: str, *, pages: bool = True) -> str:
    """En dashes in every range; CMOS 9.61 abbreviation when ``pages``."""
    def one(m: re.Match) -> str:
        a, b = m.group(1), m.group(2)
        return f"{a}–{abbreviate_range(a, b) if pages else b}"
    return re.sub(r"(\w+)\s*(?:–|—|-{1,3})\s*(\w+)", one, text)


def parse_locator(text: str, *, warn=None) -> tuple[Locator | None, str]:
    """Split a citation suffix into (locator, rest).

    ``text`` is the suffix as typed, with the leading comma already removed
    (``"3–8"``, ``"pp. 7"``, ``"27, emphasis added"``). ``rest`` is what
    follows the locator, printed after it as written. ``warn(message)`` is
    called for an unknown label.
    """
    s = text.replace("\u00a0", " ").strip()
    if not s:
        return None, ""
    m = PLACE_RE.match(s)
    if m:   # no label: "p. 2:101" would be wrong
        return Locator("", DASH_RE.sub("–", m.group(0))), s[m.end():]
    m = VALUE_RE.match(s)
    if m:
        value = m.group(0)
        return _make(("p.", "pp."), value), s[m.end():]
    m = LABEL_RE.match(s)
    if m:
        rest = s[m.end():]
        v = VALUE_RE.match(rest)
        if v:
            label = m.group(1).lower()
            forms = LABELS.get(label)
            if forms is None:
                if warn:
                    warn(f"unknown locator label {m.group(1)!r} in {text.strip()!r}; "
                         "known: p., chap., vol., n., sec., fig., para., line, table, bk., pt., col., "
                         "fol., art., no., app.")
                typed = s[: m.end()].strip()
                return Locator(typed, normalise_range(v.group(0), pages=False)), rest[v.end():]
            return _make(forms, v.group(0), typed=True), rest[v.end():]
    return None, s


def _make(forms: tuple[str, str], value: str, *, typed: bool = False) -> Locator:
    """A locator whose value has en dashes and its label the right number (``pp. 7`` → ``p. 7``);
    a page range is abbreviated (CMOS 9.61) only when printed, if the style asks for it."""
    value = re.sub(r"\s*,\s*", ", ", value.strip())
    value = normalise_range(value, pages=False)
    return Locator(forms[1] if _is_plural(value) else forms[0], value, typed)


__all__ = [
    "LABELS",
    "PAGINATION_LABELS",
    "Locator",
    "String",
    "abbreviate_range",
    "normalise_range",
    "paginated",
    "parse_locator",
]
