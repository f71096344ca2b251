"""The Chicago notes styles: full and short notes of every entry type.

A pybtex formatting style (:class:`Style`, entry point ``chicago-notes``,
a ``BaseStyle``): one ``get_<type>_template`` per entry type for full notes
and one short-note template; notes are pybtex rich text (``Text``, ``Tag``,
``String``, ``Symbol``, ``HRef``) rendered by pybtex backends
(:mod:`.backends`). The styles (``chicago``, ``working-paper``) and every
setting on which they differ are :class:`~.options.ChicagoOptions`;
docs/citation-styles.md shows each entry type's fields and notes, with the
CMOS paragraphs.

The ``chicago`` style follows the Chicago Manual of Style, 17th edition,
chapter 14, as biblatex-chicago prints it: tests/data/chicago/ holds its
notes for 552 test entries, and the deliberate differences are listed in
tests/data/chicago/deviations.toml with their reasons.

How a note is put together: each template is a method that returns the
units of the note in order, most joined by a comma and a space (biblatex's
``\\newcunit``; :func:`units`), the publication parenthesis and a bracketed
translation by a space. An empty unit disappears with its separator, so an
optional field needs no special case. The templates are methods rather than
pybtex's lazy template nodes (``join``, ``optional``, ``field``) because
nearly every unit depends on other fields, on biblatex options or on what
was cited before (a volume cited through one of its chapters), which that
DSL expresses only through custom nodes; what pybtex does well — rich text,
its backends, name parsing, the style plugin — is used as it is.

Typography: quotation marks nest (double outside, single inside); an
italic title inside an italic title is set roman (CMOS 14.94); a comma or
full stop after a closing quotation mark moves inside it (American usage).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import replace
from types import MappingProxyType

from pybtex.richtext import HRef, String, Symbol, Tag, Text
from pybtex.style import FormattedEntry
from pybtex.style.formatting import BaseStyle
from pybtex.style.labels.number import LabelStyle as NumberLabelStyle
from pybtex.style.names.plain import NameStyle as PlainNameStyle
from pybtex.style.sorting.none import SortingStyle as NoSortingStyle

from .. import languages
from .backends import get_backend
from .bibliography import MONTHS, BibDate, to_rich
from .locators import Locator, normalise_range, paginated
from .options import ChicagoOptions, style_options

__all__ = ["ChicagoOptions", "Style", "american_punctuation", "curly", "style_options"]

#: entry types whose title is quoted, not italic (a part of something larger)
QUOTED_TYPES = {"article", "incollection", "inbook", "inproceedings", "thesis", "phdthesis",
                "mastersthesis", "unpublished", "online", "misc", "www", "electronic",
                "periodical-issue", "suppperiodical", "review", "inreference"}
SEASONS = {"spring": "Spring", "summer": "Summer", "autumn": "Autumn", "winter": "Winter"}
#: the ``type`` of a thesis, as printed (CMOS 14.224)
THESIS_TYPES = {"phdthesis": "PhD diss.", "phd": "PhD diss.", "phd thesis": "PhD diss.",
                "mathesis": "master’s thesis", "mastersthesis": "master’s thesis",
                "masters": "master’s thesis", "ma thesis": "master’s thesis",
                "candthesis": "Candidate thesis"}
REPORT_TYPES = {"techreport": "technical report", "resreport": "research report"}
#: supplementary material (@suppbook ``type``, or the role field that says it)
SUPP_ROLES = ("introduction", "foreword", "afterword")
#: biblatex's names of the archives an ``eprint`` is in (other ``eprinttype`` values as written)
EPRINT_LABELS = {"jstor": "JSTOR", "arxiv": "arXiv", "pubmed": "PMID", "hdl": "HDL",
                 "googlebooks": "Google Books"}
ORDINALS = {1: "st", 2: "nd", 3: "rd"}
#: ``editoratype`` and the words before the names (biblatex-chicago's cms-american.lbx)
EDITOR_TYPES = {"collaborator": "in collab. with", "compiler": "comp.", "editor": "ed.",
                "redactor": "red.", "founder": "found.", "continuator": "cont.",
                "annotator": "annot.", "commentator": "comm.", "director": "dir."}
#: ``editortype`` and the label after the names of editors who lead a note (one, several)
EDITOR_HEAD_LABELS = {"editor": ("ed.", "eds."), "compiler": ("comp.", "comps."),
                      "redactor": ("red.", "reds."), "director": ("dir.", "dirs."),
                      "founder": ("found.", "found."), "continuator": ("cont.", "cont."),
                      "collaborator": ("collab.", "collab.")}
#: fields a note of the type needs ("a|b": either); a missing one is a warning
REQUIRED = {
    "book": ("title", "publisher|organization|howpublished"), "collection": ("title", "publisher"),
    "article": ("title", "journaltitle"), "incollection": ("title", "booktitle"),
    "inbook": ("title", "booktitle"), "inproceedings": ("title", "booktitle"),
    "thesis": ("title", "institution"), "phdthesis": ("title", "institution"),
    "mastersthesis": ("title", "institution"), "report": ("title", "institution"),
    "techreport": ("title", "institution"), "online": ("title", "url"),
}


# --------------------------------------------------------------------------
# typography


_QUOTES_RE = re.compile("[\"'`“”]")


def curly(s: str, *, nested: bool = False) -> str:
    """Straight quotes to curly; inside a quoted title double quotes become
    single (``nested``)."""
    if not _QUOTES_RE.search(s):
        return s   # most strings: nothing to do
    s = s.replace("``", "“").replace("''", "”").replace("`", "‘")
    s = re.sub(r"(?<=\w)'(?=\w)|(?<=[\w.!?,])'(?=\s|$|[,.;:)])|(?<!\S)'(?=\d\d\b)", "’", s)
    s = re.sub(r'(^|[\s(\[—–/-])"', r"\1“", s)
    s = s.replace('"', "”")
    s = re.sub(r"(^|[\s(\[—–/-])'", r"\1‘", s)
    s = s.replace("'", "’")
    if nested:
        s = s.replace("“", "‘").replace("”", "’")
    return s


def american_punctuation(s: str) -> str:
    """Comma and full stop go inside closing double quotes (and inside both
    marks of a nested quotation): ``“Title”,`` → ``“Title,”``."""
    return re.sub(r"((?:’)?”)([.,])", r"\2\1", s)


def _styled(text: Text, *, italic: bool = False, quote_level: int = 0) -> Text:
    """Resolve the marks of a field value for its place in the note: ``q`` tags
    become curly quotes (double, or single inside a quoted title), straight
    quotes curly, and emphasis inside an italic title roman (CMOS 14.94)."""
    parts = []
    for part in text.parts:
        if isinstance(part, String):
            parts.append(String(curly(part.value, nested=quote_level % 2 == 1)))
        elif isinstance(part, Tag) and part.name == "q":
            inner = _styled(Text(*part.parts), italic=italic, quote_level=quote_level + 1)
            left, right = ("‘", "’") if quote_level % 2 else ("“", "”")
            parts.append(Text(left, inner, right))
        elif isinstance(part, Tag) and part.name == "em":
            inner = _styled(Text(*part.parts), italic=not italic, quote_level=quote_level)
            parts.append(inner if italic else Tag("em", inner))
        elif isinstance(part, (Tag, Text)):
            inner = _styled(Text(*part.parts), italic=italic, quote_level=quote_level)
            parts.append(Tag(part.name, *inner.parts) if isinstance(part, Tag) else inner)
        else:
            parts.append(part)
    return Text(*parts)


def italic(text: Text) -> Text:
    """An italic title (inner italics set roman)."""
    if not text:
        return Text()
    return Tag("em", _styled(text, italic=True))


def quoted(text: Text) -> Text:
    """A quoted title (inner quotation marks single)."""
    if not text:
        return Text()
    return Text("“", _styled(text, quote_level=1), "”")


def roman(text: Text) -> Text:
    return _styled(text) if text else Text()


#: the empty text (pybtex's rich text is never changed in place, so one can be shared)
EMPTY = Text()


def units(*parts, sep: str = ", ") -> Text:
    """The non-empty parts joined by ``sep``."""
    kept = [p for p in parts if p]
    if not kept:
        return EMPTY
    return kept[0] if len(kept) == 1 and isinstance(kept[0], Text) else Text(sep).join(kept)


def rich(entry, name: str) -> Text:
    """A field as rich text (empty when absent)."""
    value = entry.fields.get(name, "")
    return to_rich(value) if value.strip() else EMPTY


def has(entry, name: str) -> bool:
    return bool(entry.fields.get(name, "").strip())


def lowered_type(entry) -> str:
    return entry.fields.get("type", "").strip().lower()


def title_of(entry, prefix: str = "") -> Text:
    """``title`` and ``subtitle`` (or ``booktitle``/``booksubtitle``,
    ``maintitle``/``mainsubtitle``, ``journaltitle``...): "Title: Subtitle",
    only a space after a title ending in ? or !"""
    title = rich(entry, f"{prefix}title")
    sub = rich(entry, f"{prefix}subtitle")
    if not sub:
        return in_language(entry, title)
    # a title ending in ? or ! takes no colon; one ending in a quotation does ("…Living?’: Work")
    ends_in_quotation = bool(title.parts) and isinstance(title.parts[-1], Tag) and title.parts[-1].name == "q"
    sep = " " if str(title).rstrip().endswith(("?", "!")) and not ends_in_quotation else ": "
    return in_language(entry, Text(title, sep, sub) if title else sub)


def in_language(entry, text: Text) -> Text:
    """A title in the language of the entry's ``langid``: a ``lang:NAME`` tag (babel's name), which
    the LaTeX backend prints as ``\\foreignlanguage`` (the title's hyphenation, and the glyph forms
    of Chinese or Japanese characters) unless it is the document's language; other backends print
    the text as it is. An unknown ``langid`` leaves the title as it is, and so does a Chinese,
    Japanese or Korean one for a title in romanization only: its language has no hyphenation
    patterns to give it, and an English paper citing such sources builds as it always did."""
    langid = entry.fields.get("langid", "")
    language = languages.from_langid(langid) if langid.strip() and text else None
    if language is None or (language.cjk and not languages.has_cjk(str(text))):
        return text
    return Text(Tag(f"lang:{language.babel}", text))


def numeral(value: str) -> Text:
    """An edition: 2 → "2nd ed."; words are kept as written."""
    value = value.strip()
    if value.isdigit():
        n = int(value)
        suffix = "th" if 10 <= n % 100 <= 20 else ORDINALS.get(n % 10, "th")
        return Text(f"{n}{suffix} ed.")
    return to_rich(value)


def list_field(entry, name: str, sep: str = " and ") -> Text:
    """A literal list (publishers, places): items joined as biblatex-chicago does."""
    items = entry.lists.get(name) if hasattr(entry, "lists") else None
    if items is None:
        return roman(rich(entry, name))
    return Text(sep).join([roman(i) for i in items]) if items else Text()


# --------------------------------------------------------------------------
# names


class Names:
    """Name lists as notes print them, with short forms told apart.

    biblatex's ``uniquename=minfull``: when two cited works' short name lists
    read the same ("Scott") but name different people, the names that differ
    get their initials ("J. C. Scott", "J. W. Scott"), or the whole name where
    the initials are the same too ("Wang Zheng", "Wang Di"; family-first names
    always in full). Lists that read differently stay as they are ("Chen and
    Yang" beside "Chen").
    """

    def __init__(self, options: ChicagoOptions, entries: Iterable = ()):
        self.options = options
        #: the short form of a list → the different lists of people that read so
        self.groups: dict[tuple[str, ...], list[tuple]] = {}
        for entry in entries:
            persons = label_persons(entry)
            if not persons:
                continue
            visible = self._visible(persons, short=True)
            people = tuple(self._identity(p) for p in visible)
            group = self.groups.setdefault(self._reading(visible, persons), [])
            if people not in group:
                group.append(people)

    def _visible(self, persons, *, short: bool = False) -> list:
        cut = self.options.short_et_al_min if short else self.options.et_al_min
        return list(persons[:1]) if cut and len(persons) >= cut else list(persons)

    def _reading(self, visible, persons) -> tuple[str, ...]:
        more = bool(getattr(persons, "more", False)) or len(visible) < len(persons)
        return tuple(p.short() for p in visible) + (("et al.",) if more else ())

    @staticmethod
    def _identity(person) -> tuple:
        """Who a person is, whatever the order the name is printed in: "Ōe Kenzaburō" in one
        entry and "Kenzaburō Ōe" in another are one person, not two to tell apart."""
        return (person.short(), tuple(person.first_names + person.middle_names),
                tuple(person.prelast_names + person.last_names + person.lineage_names),
                getattr(person, "literal", None))

    def full(self, person) -> str:
        return curly(person.full())

    def join(self, names: list[str], more: bool = False) -> str:
        """"A", "A and B", "A, B, and C"; "A, B, et al." when the list goes on."""
        if more:
            return ", ".join(names) + ("," if len(names) > 1 else "") + " et al."
        if len(names) == 1:
            return names[0]
        if len(names) == 2:
            return f"{names[0]} and {names[1]}"
        return ", ".join(names[:-1]) + ", and " + names[-1]

    def listed(self, persons, *, short: bool = False) -> str:
        """A name list: every name, or the first "et al." from ``et_al_min`` names on."""
        visible = self._visible(persons, short=short)
        more = bool(getattr(persons, "more", False)) or len(visible) < len(persons)
        if not short:
            return self.join([self.full(p) for p in visible], more)
        group = self.groups.get(self._reading(visible, persons), [])
        names = []
        for i, person in enumerate(visible):
            rivals = {g[i] for g in group if len(g) > i}
            names.append(curly(self._told_apart(person, rivals)))
        return self.join(names, more)

    def _told_apart(self, person, rivals: set) -> str:
        family = person.short()
        if len(rivals) <= 1 or getattr(person, "corporate", False):
            return family
        given = person.first_names + person.middle_names
        if person.family_first or not given:
            return person.full()
        mine = initials(given)
        if sum(1 for r in rivals if initials(list(r[1])) == mine) > 1:
            return person.full()
        return f"{mine} {family}" if not person.lineage_names else person.full()


def initials(given: list[str]) -> str:
    """"James C." → "J. C."; "Jean-Baptiste" → "J.-B."."""
    from .bibliography import plain
    out = []
    for name in given:
        text = plain(name)
        out.append("-".join(part[:1] + "." for part in text.split("-") if part))
    return " ".join(out)


#: the names a short note opens with, the first present (biblatex-chicago's labelname)
LABEL_ROLES = ("shortauthor", "author", "shorteditor", "namea", "editor", "nameb", "translator", "namec")


def label_persons(entry):
    """The names a short note opens with: ``shortauthor``, authors, editors, translators,
    compilers — the first present (``useauthor=false``/``useeditor=false`` skip theirs)."""
    if getattr(entry, "headless", False):
        return []
    skip = {"author", "shortauthor"} if not _option(entry, "useauthor", True) else set()
    if not _option(entry, "useeditor", True):
        skip |= {"editor", "shorteditor"}
    for role in LABEL_ROLES:
        persons = entry.persons.get(role)
        if persons and role not in skip:
            return persons
    return []


# --------------------------------------------------------------------------
# dates


def _month_day(d: BibDate, order: str, *, with_year: bool = True) -> str:
    month = MONTHS[d.month - 1]
    year = _year(d) if with_year else ""
    if d.day:
        if order == "dmy":
            return f"{d.day} {month} {year}".strip()
        return f"{month} {d.day}, {year}" if year else f"{month} {d.day}"
    return f"{month} {year}".strip()


def _year(d: BibDate) -> str:
    if d.year is None:
        return ""
    year = str(d.era_year) if hasattr(d, "era_year") else str(d.year)
    if getattr(d, "era", None) == "bce":
        year += " BCE"
    return year


def _compress_years(a: int, b: int) -> str:
    """CMOS 9.64: 1950–53, 1988–99, 1999–2001."""
    if a // 100 == b // 100 and a % 100 < 100:
        tail = f"{b % 100:02d}"
        return f"{a}–{tail}" if b > a else f"{a}–{b}"
    return f"{a}–{b}"


def format_date(d: BibDate | None, options: ChicagoOptions, *, precise: bool = True,
                brackets: bool = False) -> str:
    """A date as notes print it: "July 11, 1949" (or "11 July 1949"), "Summer 1993",
    "1951–60", "November–December 1994", "[1957?]" / "1957?" ."""
    if d is None or d.year is None:
        return ""
    order = options.date_order
    end = d.end
    if not precise:
        text = _year(d)
        if end is not None and end.year and end.year != d.year:
            text = _compress_years(d.year, end.year)
    elif d.season:
        text = f"{SEASONS.get(d.season, d.season.title())} {_year(d)}"
        if end is not None and end.year:
            if end.season and end.year == d.year:
                text = f"{SEASONS.get(d.season, '')}–{SEASONS.get(end.season, '')} {_year(d)}"
            elif end.year != d.year:
                text = f"{SEASONS.get(d.season, d.season.title())} {_compress_years(d.year, end.year)}"
    elif end is not None and end.year:
        text = _date_range(d, end, order)
    elif d.month:
        text = _month_day(d, order)
    else:
        text = _year(d)
    if getattr(d, "open_end", False):
        text += "–"
    if getattr(d, "uncertain", False):
        text = f"{text}?"
    if getattr(d, "approximate", False):
        text = "ca. " + text
    if brackets and (getattr(d, "uncertain", False) or getattr(d, "approximate", False)):
        text = f"[{text}]"   # an inferred date (CMOS 14.145)
    return text


def _date_range(d: BibDate, end: BibDate, order: str) -> str:
    if not d.month or not end.month:
        return _compress_years(d.year, end.year) if end.year != d.year else _year(d)
    if d.year == end.year:
        if d.month == end.month and d.day and end.day:
            if order == "dmy":
                return f"{d.day}–{end.day} {MONTHS[d.month - 1]} {_year(d)}"
            return f"{MONTHS[d.month - 1]} {d.day}–{end.day}, {_year(d)}"
        if not d.day and not end.day:
            return f"{MONTHS[d.month - 1]}–{MONTHS[end.month - 1]} {_year(d)}"
        return f"{_month_day(d, order, with_year=False)}–{_month_day(end, order)}"
    return f"{_month_day(d, order)}–{_month_day(end, order)}"


def entry_date(entry, name: str = "date") -> BibDate | None:
    dates = getattr(entry, "dates", None) or {}
    return dates.get(name)


# --------------------------------------------------------------------------


class Style(BaseStyle):
    """Chicago notes. ``Style(options=ChicagoOptions(...))``, ``Style(style="working-paper")``
    or single settings as keywords (``Style(ibid=False)``); other keywords go to
    pybtex's ``BaseStyle``."""

    # the plugin classes themselves, not their names: looking a name up scans every installed
    # package's entry points (15–20 ms per style, once per build)
    default_name_style = PlainNameStyle
    default_label_style = NumberLabelStyle
    default_sorting_style = NoSortingStyle

    def __init__(self, options: ChicagoOptions | None = None, *, entries: Iterable = (), **kwargs):
        settings = {k: kwargs.pop(k) for k in list(kwargs)
                    if k in ChicagoOptions.names() or k == "style"}
        if options is None:
            options = style_options(settings)
        elif settings:
            options = replace(options, **settings)
        self.options = options
        self.names = Names(options, entries)
        self._warned = set()
        self._short_memo: dict[tuple[int, bool], tuple[object, tuple[Text, Text]]] = {}
        super().__init__(**kwargs)

    def know(self, entries: Iterable) -> None:
        """The entries the document cites: short names are told apart among them."""
        self.names = Names(self.options, entries)
        self._short_memo.clear()

    # ---- shared units -------------------------------------------------------

    def persons(self, entry, role: str):
        return entry.persons.get(role) or []

    def head(self, entry, *, editors_lead: bool = True) -> Text:
        """The names that open a full note: authors (with ``nameaddon``: "Pen Name
        [Real Name]"); else editors ("ed."/"eds."), translators ("trans."), compilers
        (``namec``, "comp."). ``options = {useauthor=false}``: none (a "by" line follows
        the title)."""
        role = self.head_role(entry, editors_lead=editors_lead and not getattr(entry, "headless", False))
        if role is None:
            return Text()
        persons = self.persons(entry, role)
        names = Text(self.lead_names(persons))
        if role == "author":
            addon = roman(rich(entry, "nameaddon"))
            return Text(names, " [", addon, "]") if addon else names
        one, many = {"editor": ("ed.", "eds."), "translator": ("trans.", "trans."),
                     "namec": ("comp.", "comps.")}[role]
        if role == "editor":   # ``editortype``: "comps.", "reds.", "dirs." ...
            editortype = entry.fields.get("editortype", "").strip().lower()
            one, many = EDITOR_HEAD_LABELS.get(editortype, (one, many))
        label = one if len(persons) == 1 and not getattr(persons, "more", False) else many
        if role == "editor" and _same(persons, self.persons(entry, "translator")):
            label += " and trans."   # the editors translated too: "eds. and trans."
        return Text(names, ", ", label)

    def lead_names(self, persons) -> str:
        """The names that open the entry (a bibliography inverts the first)."""
        return self.names.listed(persons)

    def head_role(self, entry, *, editors_lead: bool = True) -> str | None:
        """Which names open the note (they are not repeated after the title)."""
        if self.persons(entry, "author") and _option(entry, "useauthor", True):
            return "author"
        if not editors_lead:
            return None
        for role in ("editor", "translator", "namec"):
            if self.persons(entry, role) and (role != "editor" or _option(entry, "useeditor", True)):
                return role
        return None

    def byline(self, entry) -> Text:
        """"by Author" after the title when the author does not lead (``useauthor=false``)."""
        authors = self.persons(entry, "author")
        if authors and not _option(entry, "useauthor", True):
            return Text("by ", self.names.listed(authors))
        return Text()

    def contributors(self, entry, *, skip: str | None = None, editors: bool = True,
                     part: bool = False) -> Text:
        """"in collab. with A", "ed. B, trans. from the German by C" / "ed. and trans. B",
        "with a comment. by C", "with annots. by C", then "with an introduction by D"; one
        person in two roles once: "ed., with an introduction, by B" (CMOS 14.103–14.105).
        ``part``: the editor (``namea``) and translator (``nameb``) of this part of a larger
        work instead."""
        return units(*self.contributor_list(entry, skip=skip, editors=editors, part=part))

    #: the words before a contributor's names in a note (a bibliography spells them out)
    CONTRIBUTOR_PHRASES = MappingProxyType({
        "ed": "ed. ", "comp": "comp. ", "trans": "trans. {lang}", "ed-trans": "ed. and trans. {lang}",
        "ed-with": "ed., with {a} {role}, by ", "with": "with {a} {role} by ",
        "commentator": "with a comment. by ", "annotator": "with annots. by "})

    def contributor_phrase(self, kind: str, **words) -> str:
        return self.CONTRIBUTOR_PHRASES[kind].format(**words)

    def contributor_list(self, entry, *, skip: str | None = None, editors: bool = True,
                         part: bool = False) -> list[Text]:
        """The contributors of :meth:`contributors`, one item each."""
        if part:
            eds, trs = self.persons(entry, "namea"), self.persons(entry, "nameb")
        else:
            eds = [] if skip == "editor" or not editors else self.persons(entry, "editor")
            trs = [] if skip == "translator" else self.persons(entry, "translator")
            if skip == "editor" and _same(trs, self.persons(entry, "editor")):
                trs = []   # named with the editors at the head ("eds. and trans.")
        parts = []
        if not part:
            parts.append(self.editora(entry))
        editortype = entry.fields.get("editortype", "").strip().lower()
        lang = from_language(entry)
        supp = {} if part or entry.type == "suppbook" else {
            role: self.persons(entry, role) for role in SUPP_ROLES if self.persons(entry, role)}
        same = [r for r, ps in supp.items() if eds and _same(ps, eds)]
        if eds and trs and _same(eds, trs):
            parts.append(Text(self.contributor_phrase("ed-trans", lang=lang), self.names.listed(eds)))
        else:
            if eds and same:
                role = same[0]
                article = "an" if role[0] in "aeiou" else "a"
                parts.append(Text(self.contributor_phrase("ed-with", a=article, role=role),
                                  self.names.listed(eds)))
                supp.pop(role)
            elif eds:
                if editortype in EDITOR_TYPES and editortype not in ("editor", "compiler"):
                    phrase = self.editor_label(EDITOR_TYPES[editortype]) + " "   # "red. A"
                else:
                    phrase = self.contributor_phrase("comp" if editortype == "compiler" else "ed")
                parts.append(Text(phrase, self.names.listed(eds)))
            if trs:
                parts.append(Text(self.contributor_phrase("trans", lang=lang), self.names.listed(trs)))
        if not part:   # a classical text's commentary, a translation's notes (biblatex's order)
            for role in ("commentator", "annotator"):
                if persons := self.persons(entry, role):
                    parts.append(Text(self.contributor_phrase(role), self.names.listed(persons)))
        for role, persons in supp.items():
            article = "an" if role[0] in "aeiou" else "a"
            phrase = self.contributor_phrase("with", a=article, role=role)
            parts.append(Text(phrase, self.names.listed(persons)))
        return [p for p in parts if p]

    def editora(self, entry) -> Text:
        """``editora`` with its ``editoratype``: "in collab. with A", "comp. A", "ed. A"."""
        persons = self.persons(entry, "editora")
        if not persons:
            return Text()
        kind = entry.fields.get("editoratype", "").strip().lower()
        return Text(self.editor_label(EDITOR_TYPES.get(kind, "ed.")), " ", self.names.listed(persons))

    def editor_label(self, label: str) -> str:
        return label

    def translation(self, entry, name: str = "usere", *, bracket_always: bool = True) -> Text:
        """A translated title in brackets (``usere``; ``booktitleaddon``,
        ``journaltitleaddon`` as written unless the style brackets them). A title with no
        translation names its ``language`` instead: "[in Japanese]"."""
        text = rich(entry, name)
        if not text:
            return language_note(entry) if name == "usere" else Text()
        text = roman(text)
        if str(text).lstrip().startswith("[") or not (bracket_always or self.options.addon_brackets):
            return text
        return Text("[", text, "]")

    def title(self, entry, *, form: str = "italic") -> Text:
        """The title (with subtitle), then ``titleaddon``, then the translation."""
        text = title_of(entry)
        text = italic(text) if form == "italic" else quoted(text) if form == "quoted" else roman(text)
        return self.title_extras(entry, text)

    def title_extras(self, entry, text: Text) -> Text:
        addon = roman(rich(entry, "titleaddon"))
        text = units(text, addon)
        translation = self.translation(entry)
        text = units(text, translation, sep=" ")
        if entry.type != "review" and entry.fields.get("relatedtype", "").strip().lower() == "reviewof":
            reviewed = self.review_title(entry, {"bibliography": self.bibliography}, related_only=True)
            text = units(text, reviewed)
        return text

    def edition(self, entry) -> Text:
        return numeral(entry.fields["edition"]) if has(entry, "edition") else Text()

    def series(self, entry) -> Text:
        if not has(entry, "series"):
            return Text()
        return units(roman(rich(entry, "series")), roman(rich(entry, "number")), sep=" ")

    def volumes(self, entry, *, with_maintitle: bool = True) -> Text:
        """"vol. 1" (or "vol. 6 of *Main Title*"), or "6 vols." for a whole work."""
        label = self.options.volume_label
        if has(entry, "volume"):
            vol = Text(label, " ", rich(entry, "volume"))
            if has(entry, "part"):
                vol = Text(vol, ", bk. ", rich(entry, "part"))
            if with_maintitle and has(entry, "maintitle"):
                addon = self.translation(entry, "maintitleaddon", bracket_always=False)
                main = units(italic(title_of(entry, "main")), addon,
                             sep=" " if self.options.addon_brackets else ", ")
                main = units(main, self.translation(entry, "mainusere"), sep=" ")
                return Text(vol, " of ", main)
            return vol
        if has(entry, "volumes"):
            return Text(rich(entry, "volumes"), " vols.")
        return Text()

    def place_publisher(self, entry, publisher: str = "publisher") -> Text:
        place = list_field(entry, "location")
        if publisher == "publisher" and not has(entry, "publisher"):
            # a manual's organization, a booklet's howpublished stand for the publisher
            publisher = next((n for n in ("organization", "howpublished") if has(entry, n)), publisher)
        pub = list_field(entry, publisher, sep=" / " if publisher == "publisher" else " and ")
        return units(place, pub, sep=": ")

    def publication(self, entry, *, publisher: str = "publisher", precise: bool = False,
                    extra: Iterable[Text] = ()) -> Text:
        """"(Place: Publisher, Year)", with a reprint's original publication first
        ("(London: Gollancz, 1937; New York: Grove, 1968)")."""
        date = self.pub_date(entry, precise=precise)
        main = units(self.place_publisher(entry, publisher), date)
        orig = entry_date(entry, "origdate")
        if orig is not None and entry.type not in ("letter", "misc"):
            first = units(units(list_field(entry, "origlocation"), list_field(entry, "origpublisher"),
                                sep=": "),
                          format_date(orig, self.options, precise=False))
            if entry.fields.get("pubstate", "").strip().lower() == "reprint":
                main = Text("repr., ", main)
            main = units(first, main, sep="; ")
        inner = units(*extra, main)
        return Text("(", inner, ")") if inner else Text()

    def pub_date(self, entry, *, precise: bool = False) -> Text:
        pubstate = entry.fields.get("pubstate", "").strip().lower()
        if pubstate in ("forthcoming", "inpress", "inpreparation", "submitted"):
            return Text({"inpress": "in press", "inpreparation": "in preparation"}.get(pubstate, pubstate))
        text = format_date(entry_date(entry), self.options, precise=precise, brackets=True)
        return Text(text or self.options.no_date)

    def locator(self, context, *, pages: bool = False) -> Text:
        """The citation's locator; without one (``pages``) the entry's own page range."""
        loc: Locator | None = context.get("locator")
        if loc is not None:
            return self.place(loc)
        if pages:
            return self.page_range(context["entry"])
        return Text()

    def place(self, loc: Locator) -> Text:
        """A citation's locator as this style prints it."""
        return loc.rich(self.options.page_labels, abbreviate=self.options.abbreviate_ranges,
                        typed_labels=self.options.page_labels_as_typed)

    def page_range(self, entry) -> Text:
        value = entry.fields.get("pages", "").strip()
        if not value:
            return Text()
        value = normalise_range(str(to_rich(value)), pages=self.options.abbreviate_ranges)
        if not self.options.page_labels:
            return Text(value)
        plural = bool(re.search(r"[–,]", value))
        return Text("pp." if plural else "p.", Symbol("nbsp"), value)

    def container_pages(self, kind: str) -> bool:
        setting = self.options.container_pages
        return setting == "always" or (setting == "articles" and kind == "article")

    def links(self, entry) -> Text:
        """ISBN, then "accessed DATE", the DOI as a link, an ``eprint`` ("JSTOR: 2054508"), the
        URL (CMOS 14.6–14.8)."""
        return units(*self.link_list(entry))

    def link_list(self, entry) -> list[Text]:
        """The items of :meth:`links`."""
        parts = []
        if self.options.isbn:
            for name, label in (("isbn", "ISBN"), ("issn", "ISSN")):
                if has(entry, name) and (name == "isbn" or entry.type == "article"):
                    parts.append(Text(f"{label}: ", rich(entry, name)))
        if not self.options.links and entry.type not in ("online", "www", "electronic"):
            return parts
        accessed = format_date(entry_date(entry, "urldate"), self.options)
        has_url = has(entry, "url")
        if accessed and has_url:   # ``userd`` names the date another way ("last modified")
            parts.append(Text(roman(rich(entry, "userd")) or "accessed", " ", accessed))
        if has(entry, "doi"):
            doi = entry.fields["doi"].strip()
            doi = re.sub(r"^(https?://(dx\.)?doi\.org/|doi:\s*)", "", doi, flags=re.IGNORECASE)
            parts.append(Text(HRef(f"https://doi.org/{doi}", f"https://doi.org/{doi}")))
        if has(entry, "eprint"):   # a stable identifier in an archive: "JSTOR: 2054508"
            kind = entry.fields.get("eprinttype", "").strip()
            label = EPRINT_LABELS.get(kind.lower(), kind) or "Eprint"
            parts.append(Text(f"{label}: ", rich(entry, "eprint")))
        if has_url:
            url = entry.fields["url"].strip()
            parts.append(Text(HRef(url, url)))
        return parts

    def tail(self, entry, context, *, pages: bool = False, before_locator: Iterable[Text] = ()) -> Text:
        """What ends every full note: the locator, ``addendum``, ISBN, links."""
        return units(*before_locator, self.locator(context, pages=pages),
                     roman(rich(entry, "addendum")), self.links(entry))

    # ---- full notes, one template per entry type ----------------------------

    def get_book_template(self, e, context):
        reference = e.type in ("reference", "mvreference")   # cited by title (CMOS 14.232–34)
        head_role = None if reference else self.head_role(e)
        main = has(e, "maintitle") and has(e, "volume")
        proceedings = e.type in ("proceedings", "mvproceedings")
        first = self.options.edition_position == "before-contributors"
        body = units(
            Text() if reference else self.head(e),
            self.title(e),
            self.byline(e),
            Text() if main or not first else self.edition(e),
            self.contributors(e, skip=head_role),
            Text() if main or first else self.edition(e),
            self.volumes(e) if main else Text(),
            self.edition(e) if main else Text(),
            Text() if main or self.options.volume_form == "labelled" else self.volumes(e),
            self.series(e),
            self.event(e) if proceedings else Text(),
            roman(rich(e, "note")),
        )
        after = self.volumes(e) if self.options.volume_form == "labelled" and not main else Text()
        return units(units(body, self.publication(e, precise=proceedings), sep=" "),
                     self.tail(e, context, before_locator=[after]))

    get_collection_template = get_book_template
    get_proceedings_template = get_book_template
    get_mvbook_template = get_book_template
    get_mvcollection_template = get_book_template
    get_mvproceedings_template = get_book_template
    get_booklet_template = get_book_template
    get_manual_template = get_book_template
    get_reference_template = get_book_template
    get_mvreference_template = get_book_template

    def book_title(self, e) -> Text:
        """"*Book*" with ``booktitleaddon``, and the translation of a ``crossref`` parent's title
        (its ``usere``, inherited as ``bookusere``): "*Kōza* [Lectures]" (CMOS 14.99)."""
        book = italic(title_of(e, "book"))
        addon = self.translation(e, "booktitleaddon", bracket_always=False)
        book = units(book, addon, sep=" " if self.options.addon_brackets else ", ")
        return units(book, self.translation(e, "bookusere"), sep=" ")

    def container(self, e, *, by: bool = False) -> Text:
        """"in *Book*, ed. A, ..." — or, with the ``before-title`` setting, "in A, ed., *Book*"."""
        book = self.book_title(e)
        bookauthor = self.persons(e, "bookauthor")
        if bookauthor and _same(bookauthor, self.persons(e, "author")):
            bookauthor = []   # a chapter of the author's own book: no "by" again
        byline = Text("by ", self.names.listed(bookauthor)) if bookauthor and by else Text()
        if self.options.chapter_editors == "before-title":
            eds = self.persons(e, "editor")
            editors = Text(self.names.listed(eds), ", ed." if len(eds) == 1 else ", eds.") if eds else Text()
            return units(editors, book, byline, self.edition(e), self.contributors(e, editors=False),
                         self.volumes(e))
        if has(e, "maintitle") and has(e, "volume"):
            return units(book, byline, self.volumes(e), self.edition(e), self.contributors(e))
        return units(book, byline, self.edition(e), self.contributors(e), self.volumes(e))

    def parent_seen_reference(self, e, context) -> Text | None:
        """A chapter whose volume (``crossref``) was cited before: "in Eds., *Book*" —
        the volume's short note stands for its publication details."""
        parent_key = getattr(e, "crossref", None) or getattr(e, "xref", None)
        seen = context.get("seen_parent")
        if not parent_key or seen is None or not seen(parent_key):
            return None
        parent = context["bibliography"][parent_key]
        lead, title = self.short_parts(parent)
        parent_authors = self.persons(parent, "author")
        if parent_authors and _same(parent_authors, self.persons(e, "author")):
            lead = Text()   # the chapter's author wrote the volume: "in *Political Writings*"
        return Text("in ", units(lead, title))

    def chapter(self, e) -> str:
        """"chap. 1 in" for a chapter numbered in ``chapter``."""
        return f"chap. {e.fields['chapter'].strip()} " if has(e, "chapter") else ""

    def volume_place(self, e, context) -> Text:
        """The place in a volume cited before: "1:4171–86"; with no page to give, the volume
        alone ("vol. 1"), as biblatex-chicago prints it."""
        place = self.locator(context, pages=self.container_pages("chapter"))
        if place and has(e, "volume") and self.options.volume_form == "chicago":
            return Text(rich(e, "volume"), ":", place)
        if not place and has(e, "volume"):
            return Text(self.options.volume_label, " ", rich(e, "volume"))
        return place

    def get_incollection_template(self, e, context):
        title = self.title(e, form="quoted")
        parent = self.parent_seen_reference(e, context)
        if parent is not None:
            return units(self.head(e, editors_lead=False), title, parent, self.volume_place(e, context))
        event = self.event(e) if e.type == "inproceedings" else Text()
        inner = units(Text(self.chapter(e), "in ", self.container(e, by=True)), self.series(e), event,
                      roman(rich(e, "note")))
        return units(self.head(e, editors_lead=False), title, self.contributors(e, part=True),
                     units(inner, self.publication(e, precise=e.type == "inproceedings"), sep=" "),
                     self.tail(e, context, pages=self.container_pages("chapter")))

    get_inbook_template = get_incollection_template
    get_inproceedings_template = get_incollection_template

    def event(self, e) -> Text:
        return units(roman(rich(e, "eventtitle")), list_field(e, "venue"),
                     format_date(entry_date(e, "eventdate"), self.options) or Text())

    def get_bookinbook_template(self, e, context):
        inner = units(Text("in ", self.container(e, by=True)), self.series(e), roman(rich(e, "note")))
        return units(self.head(e), self.title(e),
                     units(inner, self.publication(e), sep=" "),
                     self.tail(e, context, pages=self.container_pages("chapter")))

    def supplemented(self, e) -> Text:
        """"introduction to *Book*, by B": what a @suppbook adds to, and its author."""
        kind = lowered_type(e) or e.fields.get("entrysubtype", "").strip().lower()
        if not kind:
            kind = next((r + " to" for r in SUPP_ROLES if self.persons(e, r)), "introduction to")
        elif not kind.endswith(" to"):
            kind += " to"
        book = italic(title_of(e)) if has(e, "title") else italic(title_of(e, "book"))
        by = self.persons(e, "bookauthor")
        return units(Text(kind, " ", book), Text("by ", self.names.listed(by)) if by else Text())

    def get_suppbook_template(self, e, context):
        """"A, introduction to *Book*, by B" (CMOS 14.110)."""
        bookline = units(self.supplemented(e), self.edition(e), self.contributors(e, skip="author"),
                         self.volumes(e), self.series(e), roman(rich(e, "note")))
        return units(self.head(e), units(bookline, self.publication(e), sep=" "), self.tail(e, context))

    def journal(self, e) -> Text:
        name = italic(title_of(e, "journal"))
        subtype = e.fields.get("entrysubtype", "").strip().lower()
        if subtype in ("magazine", "newspaper") and e.type in ("article", "review") and has(e, "location"):
            name = Text(name, " (", list_field(e, "location"), ")")   # *Times* (London)
        addon = self.translation(e, "journaltitleaddon", bracket_always=False)
        return units(name, addon, self.translation(e, "journalusere"), sep=" ")

    def journal_series(self, e) -> Text:
        value = e.fields.get("series", "").strip()
        if not value:
            return Text()
        if value.isdigit():
            n = int(value)
            return Text(f"{n}{'th' if 10 <= n % 100 <= 20 else ORDINALS.get(n % 10, 'th')} ser.")
        return Text({"newseries": "n.s.", "oldseries": "o.s."}.get(value.lower(), str(to_rich(value))))

    def issue_number(self, e) -> Text:
        number = e.fields.get("number", "").strip()
        if not number:
            return Text()
        label = self.options.number_label
        if re.search(r"[–/-]|,", number):
            label = label.replace("o.", "os.") if label.lower().startswith("no") else label
        return Text(label, " ", normalise_range(str(to_rich(number)), pages=False))

    def issue_date(self, e) -> Text:
        """The issue's date: season or month and year; a season in ``issue``."""
        d = entry_date(e)
        season = e.fields.get("issue", "").strip()
        if season and d is not None and d.year:
            return units(roman(to_rich(season)), Text(format_date(d, self.options, precise=False)), sep=" ")
        if self.options.journal_form == "labelled" and d is not None and d.day:
            d = replace(d, day=None)
        return Text(format_date(d, self.options))

    def get_article_template(self, e, context):
        subtype = e.fields.get("entrysubtype", "").strip().lower()
        if subtype in ("magazine", "newspaper"):
            return self.get_magazine_template(e, context)
        return self.journal_article(e, context, title=self.article_title(e))

    def article_title(self, e) -> Text:
        return self.title(e, form="quoted")

    def issue_title(self, e) -> Text:
        if not has(e, "issuetitle"):
            return Text()
        return Text("in ", quoted(title_of(e, "issue")))

    def journal_article(self, e, context, *, title: Text, head: Text | None = None,
                        skip: str | None = "author") -> Text:
        opts = self.options
        pubstate = e.fields.get("pubstate", "").strip().lower()
        before_journal = units(head if head is not None else self.head(e, editors_lead=False), title,
                               self.issue_title(e),
                               self.contributors(e, skip=skip), roman(rich(e, "note")))
        journal = units(self.journal(e), self.journal_series(e))
        volume = roman(rich(e, "volume"))
        number = self.issue_number(e)
        when = self.issue_date(e)
        eid = roman(rich(e, "eid"))
        loc = self.locator(context, pages=self.container_pages("article") and not eid)
        if pubstate == "forthcoming" and not entry_date(e):
            core = units(journal, Text("forthcoming"))
            return units(before_journal, core, loc, eid, roman(rich(e, "addendum")), self.links(e))
        if opts.journal_form == "labelled":
            vol = Text(opts.volume_label, " ", volume) if volume else Text()
            core = units(units(journal, vol, number), Text("(", when, ")") if when else Text(), sep=" ")
            return units(before_journal, core, loc, eid, roman(rich(e, "addendum")), self.links(e))
        if not volume and not number and not has(e, "issue"):
            # a journal with only a year: *Profession*, 1991, 34 (as a magazine)
            return units(before_journal, journal, when, units(loc, eid), roman(rich(e, "addendum")),
                         self.links(e))
        if volume:   # *J* 45, no. 1; with a series: *J*, n.s., 45, no. 1
            core = units(journal, volume, sep=", " if has(e, "series") else " ")
            core = units(core, number)
        else:
            core = units(journal, number)
        if when:
            core = units(core, Text("(", when, ")"), sep=" ")
        place = units(loc, eid)
        if place:
            core = Text(core, ": ", place)
        return units(before_journal, core, roman(rich(e, "addendum")), self.links(e))

    def get_magazine_template(self, e, context):
        date = format_date(entry_date(e), self.options)
        return units(self.head(e, editors_lead=False), self.title(e, form="quoted"),
                     self.contributors(e, skip="author"), roman(rich(e, "note")),
                     self.journal(e), self.section(e), Text(date) if date else Text(), self.issue_number(e),
                     self.tail(e, context, pages=self.container_pages("article")))

    def section(self, e) -> Text:
        """A newspaper's section as ``usera`` holds it ("sec. 1"), after the paper's name
        (CMOS 14.191; biblatex-chicago's field for it)."""
        return roman(rich(e, "usera"))

    def get_review_template(self, e, context):
        title = self.review_title(e, context)
        subtype = e.fields.get("entrysubtype", "").strip().lower()
        if subtype in ("magazine", "newspaper") or not (has(e, "volume") or has(e, "number")):
            date = format_date(entry_date(e), self.options)
            return units(self.head(e, editors_lead=False), title, self.journal(e),
                         Text(date) if date else Text(),
                         self.tail(e, context, pages=self.container_pages("article")))
        return self.journal_article(e, context, title=title)

    def review_title(self, e, context, *, short: bool = False, related_only: bool = False) -> Text:
        """"review of *Book*, by Author" from ``related`` (``relatedtype = reviewof``),
        else the title as written (quoted when it is a title, not a description)."""
        related = [k.strip() for k in e.fields.get("related", "").split(",") if k.strip()]
        bib = context.get("bibliography")
        if related and bib is not None and all(k in bib for k in related):
            works = []
            for key in related:
                other = bib[key]
                by = self.persons(other, "author")
                works.append(units(italic(self.short_title(other) if short else title_of(other)),
                                   Text("by ", self.names.listed(by)) if by and not short else Text()))
            return Text("review of ", Text(", and ").join(works) if len(works) == 2 else units(*works))
        if related_only:
            return Text()
        title = rich(e, "title")
        if str(title)[:1].islower():
            return self.title_extras(e, roman(title_of(e)))
        return self.title(e, form="quoted")

    def get_periodical_template(self, e, context):
        """A whole issue: "A, ed., “Issue Title,” special issue, *Journal* 1, no. 2 (1991)";
        a whole volume: "A, ed., *Journal* 1 (1929)"."""
        shell = replace_fields(e, {"journaltitle": e.fields.get("title", ""),
                                   "journalsubtitle": e.fields.get("subtitle", ""),
                                   "title": "", "subtitle": "", "issuetitle": "", "issuesubtitle": ""})
        title = self.title_extras(e, quoted(title_of(e, "issue"))) if has(e, "issuetitle") else Text()
        return self.journal_article(shell, context, title=title, head=self.head(e),
                                    skip=self.head_role(e))

    def get_thesis_template(self, e, context):
        kind = lowered_type(e) or e.type
        label = THESIS_TYPES.get(kind) or (str(to_rich(e.fields["type"])) if has(e, "type") else
                                           "PhD diss." if e.type == "phdthesis" else "thesis")
        inner = units(Text(label), list_field(e, "institution"), self.pub_date(e))
        return units(units(units(self.head(e), self.title(e, form="quoted")),
                           Text("(", inner, ")"), sep=" "),
                     self.tail(e, context))

    get_phdthesis_template = get_thesis_template
    get_mastersthesis_template = get_thesis_template

    def report_kind(self, e) -> tuple[Text, Text]:
        """A report's kind and number ("Working Paper 8467"), and its series with the number."""
        kind = lowered_type(e)
        label = (Text(REPORT_TYPES[e.type]) if not kind and e.type in REPORT_TYPES
                 else roman(rich(e, "type")))
        number = roman(rich(e, "number"))
        series = units(roman(rich(e, "series")), number if has(e, "series") else Text(), sep=" ")
        return units(label, Text() if has(e, "series") else number, sep=" "), series

    def get_report_template(self, e, context):
        kind_number, series = self.report_kind(e)
        body = units(self.head(e), self.title(e), self.edition(e),
                     self.contributors(e, skip=self.head_role(e)), kind_number, series,
                     roman(rich(e, "note")))
        return units(units(body, self.publication(e, publisher="institution", precise=True), sep=" "),
                     self.tail(e, context))

    get_techreport_template = get_report_template

    def get_online_template(self, e, context):
        owner = next((list_field(e, n) for n in ("organization", "publisher", "journaltitle")
                      if has(e, n)), Text())
        date = format_date(entry_date(e), self.options)
        return units(self.head(e), self.title(e, form="quoted"), self.contributors(e, skip=self.head_role(e)),
                     roman(rich(e, "note")), owner,
                     Text(date) if date else Text(), self.locator(context),
                     roman(rich(e, "addendum")), self.links(replace_fields(e, {}, keep_links=True)))

    get_www_template = get_online_template
    get_electronic_template = get_online_template

    def get_inreference_template(self, e, context):
        """"*Encyclopedia*, ed. A (Place: Publisher, Year), s.v. “Word,” by Author"."""
        word = Text(self.sv(e, context))
        by = self.persons(e, "author")
        online = e.fields.get("entrysubtype", "").strip().lower() == "online"
        title = roman(title_of(e)) if online else italic(title_of(e))
        if has(e, "booktitle"):
            # the biblatex/Zotero shape: ``title`` is the article, ``booktitle`` the reference
            # work, ``pages`` its place there: "*Article*, in *Work*, vol. 13 (...), 512–18"
            body = units(title, Text("in ", self.container(e)), self.series(e))
            if context.get("locator") is None and not has(e, "lista"):
                word = self.page_range(e) if self.container_pages("chapter") else Text()
        else:
            body = units(title, self.edition(e), self.contributors(e), self.volumes(e), self.series(e))
        pub = Text() if online else self.publication(e)
        return units(units(body, pub, sep=" "), word,
                     Text("by ", self.names.listed(by)) if by else Text(),
                     roman(rich(e, "addendum")), self.links(e))

    get_mvinreference_template = get_inreference_template

    def sv(self, e, context, *, short: bool = False) -> Text:
        """"s.v. “Word”": the locator is the headword; else ``lista`` (full notes)."""
        loc = context.get("locator")
        if loc is not None:
            return self.place(loc)
        if short:
            return Text()
        words = e.lists.get("lista") if hasattr(e, "lists") else None
        word = words[0] if words else rich(e, "lista")
        return Text("s.v. ", quoted(word)) if word else Text()

    def get_letter_template(self, e, context):
        """"A to B, Place, 5 March 1852, in *Collection*, ed. C (...)" (CMOS 14.111)."""
        when = format_date(entry_date(e, "origdate"), replace(self.options, date_order="dmy"))
        head = units(roman(title_of(e)), roman(rich(e, "titleaddon")), list_field(e, "origlocation"),
                     Text(when) if when else Text())
        head = units(head, self.letter_translation(e), sep=" ")
        parent = self.parent_seen_reference(e, context)
        if parent is not None:
            return units(head, parent, self.volume_place(e, context))
        if not has(e, "booktitle"):
            return units(head, self.tail(e, context))
        inner = units(Text("in ", self.container(e)), self.series(e), roman(rich(e, "note")))
        return units(head, units(inner, self.publication(e), sep=" "),
                     self.tail(e, context, pages=self.container_pages("chapter")))

    def letter_translation(self, e) -> Text:
        """A letter's translated title (``usere``) after its date, as biblatex-chicago prints it:
        "A to B, 14 February 1883 [Letter to B], in ..." (CMOS 14.99)."""
        return self.translation(e) if has(e, "usere") else Text()

    def get_misc_template(self, e, context):
        """Archival documents, manuscripts, interviews, speeches (``entrysubtype`` names the
        kind: the title is printed as written, the date after it); without a subtype, a
        work with an italic title and its date at the end (biblatex-chicago's misc)."""
        subtype = e.fields.get("entrysubtype", "").strip().lower()
        if subtype:
            when = entry_date(e, "origdate") or entry_date(e)
            order = replace(self.options, date_order="dmy") if subtype == "letter" else self.options
            date = format_date(when, order, brackets=True)
            lead = units(self.title(e, form="plain"), list_field(e, "venue"), Text(date) if date else Text(),
                         list_field(e, "origlocation"))
        else:
            lead = self.title(e, form="italic")
        date = Text() if subtype else Text(format_date(entry_date(e), self.options, brackets=True))
        return units(self.head(e), lead, self.byline(e), self.contributors(e, skip=self.head_role(e)),
                     roman(rich(e, "howpublished")), roman(rich(e, "type")), roman(rich(e, "version")),
                     roman(rich(e, "note")), Text() if subtype else list_field(e, "venue"),
                     list_field(e, "organization"), list_field(e, "institution"),
                     list_field(e, "location"), date, self.tail(e, context))

    def get_unpublished_template(self, e, context):
        # biblatex-chicago prints no `type` here; a thesis type is the exception
        inner = units(roman(rich(e, "howpublished")), roman(rich(e, "note")),
                      Text(THESIS_TYPES[lowered_type(e)]) if lowered_type(e) in THESIS_TYPES else Text(),
                      roman(rich(e, "eventtitle")), list_field(e, "venue"),
                      list_field(e, "institution"), list_field(e, "location"), self.pub_date(e, precise=True))
        return units(units(units(self.head(e), self.title(e, form="quoted")),
                           Text("(", inner, ")") if inner else Text(), sep=" "),
                     self.tail(e, context))

    def get_other_template(self, e, context):
        """A type with no Chicago form of its own (``@software``, ``@dataset``, ``@audio``...):
        every field a note could use, set like a book (CMOS 14.4)."""
        journal = has(e, "journaltitle")
        version = Text("version ", rich(e, "version")) if has(e, "version") else Text()
        publisher = next((n for n in ("publisher", "organization", "institution", "howpublished")
                          if has(e, n)), "publisher")
        body = units(self.head(e), self.title(e, form="quoted" if journal else "italic"),
                     self.journal(e) if journal else Text(), roman(rich(e, "type")), version,
                     self.edition(e), self.contributors(e, skip=self.head_role(e)), self.volumes(e),
                     self.series(e), roman(rich(e, "note")))
        pub = self.publication(e, publisher=publisher, precise=True)
        return units(units(body, pub, sep=" "), self.tail(e, context, pages=True))

    # ---- short note ------------------------------------------------------

    def short_title(self, e) -> Text:
        if has(e, "shorttitle"):
            return in_language(e, rich(e, "shorttitle"))
        title = rich(e, "title")
        return in_language(e, title if has(e, "subtitle") else self._cut(title))

    def _cut(self, title: Text) -> Text:
        """The title up to its colon (CMOS 14.33), with the ``colon`` setting."""
        if self.options.short_title == "colon":
            cut = re.search(r":\s", str(title))
            if cut:
                return title[:cut.start()]
        return title

    def short_name(self, e) -> Text:
        persons = label_persons(e)
        return Text(self.names.listed(persons, short=True)) if persons else Text()

    def short_reference(self, e) -> Text:
        """Name and short title: what a short note says before its locator."""
        lead, title = self.short_parts(e)
        # a letter's short title goes on from the name: "Marx to Weydemeyer"
        return units(lead, title, sep=" " if e.type == "letter" else ", ")

    def short_parts(self, e) -> tuple[Text, Text]:
        """The short note's lead (the names, or what stands for them) and its title; made
        once per entry (a paper cites most sources again and again)."""
        memo = (id(e), getattr(e, "headless", False))
        if memo not in self._short_memo:   # the entry is kept with its parts: its id stays its own
            self._short_memo[memo] = (e, self._short_parts(e))
        return self._short_memo[memo][1]

    def _short_parts(self, e) -> tuple[Text, Text]:
        subtype = e.fields.get("entrysubtype", "").strip().lower()
        name = self.short_name(e)
        short = self.short_title(e)
        if e.type == "letter":
            return (name, roman(short)) if has(e, "shorttitle") else (Text(), roman(short))
        if e.type == "suppbook":
            kind = lowered_type(e) or next((r for r in SUPP_ROLES if self.persons(e, r)), "introduction")
            kind = kind if kind.endswith(" to") else kind + " to"
            return name, Text(kind, " ", italic(short))
        if e.type == "review" and (has(e, "related") or str(rich(e, "title"))[:1].islower()):
            if has(e, "related"):
                return name, self.review_title(e, {"bibliography": self.bibliography}, short=True)
            return name, roman(short)
        if e.type == "periodical":
            if has(e, "issuetitle"):
                issue = rich(e, "issuetitle")
                return name, quoted(issue if has(e, "issuesubtitle") else self._cut(issue))
            return name, italic(short)
        if e.type in ("inreference", "reference", "mvreference"):
            online = e.fields.get("entrysubtype", "").strip().lower() == "online"
            return roman(short) if online else italic(short), Text()
        if e.type == "misc":
            return name, roman(short) if subtype else italic(short)
        if e.type == "article" and subtype in ("magazine", "newspaper") and not name \
                and self.options.unsigned_short == "journal":
            name = italic(title_of(e, "journal"))
        quoted_title = e.type in QUOTED_TYPES or (e.type == "periodical" and has(e, "journaltitle"))
        return name, quoted(short) if quoted_title else italic(short)

    def get_short_template(self, e, context):
        if has(e, "shorthand"):
            return units(roman(rich(e, "shorthand")), self.locator(context))
        ref = self.short_reference(e)
        # a classical work is cited by its own divisions: "Thucydides, *History* 2.40.1"
        sep = " " if e.fields.get("entrysubtype", "").strip().lower() == "classical" else ", "
        return units(ref, self.locator(context), sep=sep)

    # ---- entry points ----------------------------------------------------

    #: the bibliography of the note being made (a review's short note names the reviewed work)
    bibliography = None

    def get_template(self, entry, context, form: str = "full"):
        if form == "short":
            return self.get_short_template(entry, context)
        if form == "repeat":   # ibid off: the author (or what leads) and the locator (CMOS 14.34)
            if has(entry, "shorthand") or entry.fields.get("entrysubtype", "").strip().lower() == "classical":
                return self.get_short_template(entry, context)
            lead, _ = self.short_parts(entry)
            if not lead and entry.type == "periodical":   # an unsigned issue: its journal
                lead = italic(title_of(entry))
            if not lead or self.options.repeat_form == "short":
                return self.get_short_template(entry, context)
            return units(lead, self.locator(context))
        getter = getattr(self, f"get_{entry.type}_template", None) or self.get_other_template
        return getter(entry, context)

    def format_note(self, entry, *, form: str = "full", locator: Locator | None = None,
                    suppress_author: bool = False, warn: Callable[[str], None] | None = None,
                    bibliography=None, seen_parent: Callable[[str], bool] | None = None) -> Text:
        """One citation as rich text, without the note's final full stop.

        ``form``: "full", "short", "repeat" (ibid off: author and locator) or
        "ibid".
        """
        locator = paginated(locator, entry.fields.get("pagination", ""))   # "col. 181" (CMOS 14.156)
        if form == "ibid" and has(entry, "shorthand"):
            form = "short"   # an abbreviation is shorter than "Ibid." and never ambiguous
        if form == "ibid":
            if locator is None:
                return Text("Ibid.")
            return Text("Ibid., ", self.place(locator))
        if suppress_author:
            entry = without_authors(entry)
        self.bibliography = bibliography
        context = {"entry": entry, "locator": locator, "warn": warn,
                   "bibliography": bibliography, "seen_parent": seen_parent}
        if form == "full" and warn is not None:
            self.check_fields(entry, warn)
        text = self.get_template(entry, context, form)
        if form == "full" and has(entry, "shorthand"):   # the Manual's abbreviation for a work cited often
            intro = roman(rich(entry, "shorthandintro")) or \
                Text("(hereafter cited as ", roman(rich(entry, "shorthand")), ")")
            text = units(text, intro, sep=" ")
        return text

    def opens_with_particle(self, entry, form: str, *, suppress_author: bool = False) -> bool:
        """Whether the note opens with a name particle ("de Bary and Bloom, *Sources*"), which
        takes a capital there (CMOS 8.5); other lowercase openings stay as written."""
        if suppress_author or form == "ibid":
            return False
        if form == "full":
            role = self.head_role(entry)
            persons = self.persons(entry, role) if role else []
            return bool(persons) and persons[0].family_first and bool(persons[0].prelast_names)
        persons = label_persons(entry)
        return bool(persons) and bool(persons[0].prelast_names) and persons[0].useprefix

    def check_fields(self, entry, warn: Callable[[str], None]) -> None:
        """Warn, once per entry, about a field its note needs, or a type with no form
        of its own (the note is still made from every field present)."""
        if entry.key in self._warned:
            return
        self._warned.add(entry.key)
        if not hasattr(self, f"get_{entry.type}_template"):
            warn(f"entry {entry.key!r} is a @{entry.type}, which has no Chicago form of its own: "
                 "its note is made from the fields it has")
        for name in REQUIRED.get(entry.type, ()):
            if not any(has(entry, n) for n in name.split("|")):
                warn(f"entry {entry.key!r} has no {name.split('|')[0]!r}, which a {entry.type} note needs")
        for role in ("author", "editor", "translator", "bookauthor"):
            western = [p for p in self.persons(entry, role) if not p.family_first
                       and not getattr(p, "corporate", False)
                       and languages.has_cjk(" ".join(p.last_names + p.first_names))]
            if western:   # Zotero's default export: "丸山, 眞男" prints "眞男 丸山"
                warn(f"entry {entry.key!r}: the name {self.names.full(western[0])!r} is in Chinese, "
                     "Japanese or Korean script but prints given name first; add "
                     "options = {nametemplates=cjk} to the entry (or nametemplates=cjk to the name) "
                     "for family name first")
                break

    def render(self, text: Text, fmt: str = "text") -> str:
        """Render rich text with a notes backend, quotes punctuated the
        American way."""
        return american_punctuation(text.render(get_backend(fmt)))

    def format_entry(self, label, entry, bib_data=None):
        """pybtex interface: the full note of ``entry`` (for bibliographies)."""
        text = self.format_note(entry).add_period()
        return FormattedEntry(entry.key, text, label)


def _option(entry, name: str, default: bool) -> bool:
    """A biblatex per-entry option (``options = {useauthor=false}``)."""
    value = (getattr(entry, "options", None) or {}).get(name)
    if value is None:
        return default
    return str(value).strip().lower() not in ("false", "0", "no")


def _same(a, b) -> bool:
    return [p.full() for p in a] == [p.full() for p in b]


#: babel's names that are not the language's English name ("[in German]", not "[in Ngerman]";
#: biblatex-chicago prints a name it has no string for as written: "[in ngerman]")
LANGUAGE_KEYS = {"ngerman": "German", "austrian": "German", "naustrian": "German",
                 "swissgerman": "German", "nswissgerman": "German", "brazilian": "Portuguese",
                 "chinese-simplified": "Chinese", "chinese-traditional": "Chinese",
                 "usenglish": "English", "ukenglish": "English", "canadian": "English",
                 "australian": "English", "newzealand": "English", "nynorsk": "Norwegian",
                 "norsk": "Norwegian", "bahasa": "Indonesian"}


def language_note(entry) -> Text:
    """"[in Japanese]", "[in Chinese and Japanese]": the ``language`` of a work whose title is
    given untranslated, as biblatex-chicago prints it; English says nothing."""
    items = entry.lists.get("language") if hasattr(entry, "lists") else None
    names = []
    for item in items if items is not None else [rich(entry, "language")]:
        name = re.sub(r"^lang(?=[a-z])", "", str(item).strip())
        name = LANGUAGE_KEYS.get(name.lower(), name)
        if name and name.lower() not in ("english", "american", "british"):
            names.append(name[:1].upper() + name[1:])
    if not names:
        return Text()
    joined = names[0] if len(names) == 1 else ", ".join(names[:-1]) + (
        "," if len(names) > 2 else "") + " and " + names[-1]
    return Text(f"[in {joined}]")


def from_language(entry) -> str:
    """"from the German by " for ``origlanguage`` (CMOS 14.104), else nothing."""
    value = entry.fields.get("origlanguage", "").strip()
    if not value:
        return ""
    name = re.sub(r"^lang", "", str(to_rich(value)).strip(), flags=re.IGNORECASE)
    return f"from the {name[:1].upper()}{name[1:]} by "


def _is_quotation(text: Text) -> bool:
    """A field that is one quotation (``\\mkbibquote{...}``): it brings its own marks."""
    parts = [p for p in text.parts if not (isinstance(p, String) and not p.value.strip())]
    return len(parts) == 1 and isinstance(parts[0], Tag) and parts[0].name == "q"


def replace_fields(entry, changes: dict[str, str], *, keep_links: bool = True):
    """A copy of ``entry`` with some fields replaced (an empty value removes one)."""
    from copy import copy
    clone = copy(entry)
    fields = type(entry.fields)(entry.fields) if hasattr(entry.fields, "items") else dict(entry.fields)
    for name, value in changes.items():
        if value:
            fields[name] = value
        elif name in fields:
            del fields[name]
    clone.fields = fields
    return clone


def without_authors(entry):
    """The entry cited without the names its notes open with (``[-@key]``, biblatex's
    headless cite): no authors, and no editor or translator standing in for them."""
    from copy import copy
    clone = copy(entry)
    clone.persons = type(entry.persons)({k: v for k, v in entry.persons.items()
                                         if k not in ("author", "shortauthor")})
    clone.headless = True
    return clone
