"""The Chicago notes style (17th ed., house-style "working paper" variant).

A pybtex formatting style: :class:`Style` is found through the
``pybtex.style.formatting`` entry point ``chicago-notes``. It has one
``get_<type>_template`` per entry type for full notes and one short-note
template, all built from pybtex template nodes; the result is pybtex rich
text, rendered by the backends in :mod:`.backends`.

Journal variants are settings (:class:`ChicagoOptions`), not copies::

    Style()                                   # house style
    Style(volume_label="vol.", number_label="no.", page_labels=False,
          date_order="mdy", ibid=False)

Decisions where the house style is silent (Chicago 17, chapter 14):

- Incollection/inbook: "in Editors, eds., *Book*" (house style) even though
  CMOS 17 prefers "in *Book*, ed. Editors"; a chapter without editors reads
  "in *Book* (...)".
- Thesis: "PhD diss." for ``phdthesis``/``type = {phdthesis}``,
  "Master’s thesis" for ``mastersthesis``/``mathesis``; any other ``type``
  is printed as written.
- Report with ``type``: "*Title*, Type Number (Place: Institution, Year)".
- Online: "Author, “Title,” Owner, Date, accessed Date, URL."; the owner is
  ``organization``, else ``publisher``, else ``journaltitle``.
- Unpublished/misc: "Author, “Title” (howpublished/type/note, institution,
  place, date)".
- Short notes drop the volume of a multivolume work and the ``pages`` of an
  article; they print the locator only.
- Dates: day-month-year by default ("11 July 1949"); ``date_order="mdy"``
  gives "July 11, 1949".
- A quoted title's inner double quotes become single; straight quotes in
  titles become curly; apostrophes become ’.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields, replace
from typing import Callable

from pybtex.richtext import HRef, String, Symbol, Tag, Text
from pybtex.style import FormattedEntry
from pybtex.style.formatting import BaseStyle
from pybtex.style.template import (FieldIsMissing, join, node, optional, tag,
                                   words)

from .backends import get_backend
from .bibliography import MONTHS, to_rich
from .locators import Locator, normalise_range

QUOTED_TYPES = {"article", "incollection", "inbook", "inproceedings", "thesis",
                "phdthesis", "mastersthesis", "unpublished", "online", "misc",
                "suppbook", "suppcollection", "www", "electronic"}


@dataclass(frozen=True)
class ChicagoOptions:
    """Settings of the style (journal variants).

    ``volume_label``/``number_label``: "Vol."/"No." or "vol."/"no.";
    ``page_labels``: print "p."/"pp." before page numbers;
    ``date_order``: "dmy" (11 July 1949) or "mdy" (July 11, 1949);
    ``ibid``: use Ibid. for a repeated source (read by the sequencer).
    """

    volume_label: str = "Vol."
    number_label: str = "No."
    page_labels: bool = True
    date_order: str = "dmy"
    ibid: bool = True

    def __post_init__(self):
        if self.date_order not in ("dmy", "mdy"):
            raise ValueError(f"date_order must be 'dmy' or 'mdy', not {self.date_order!r}")

    @classmethod
    def names(cls) -> set[str]:
        return {f.name for f in fields(cls)}


# --------------------------------------------------------------------------
# typography helpers

def map_strings(text, fn: Callable[[str], str]):
    """Apply ``fn`` to every string of a rich text, keeping the markup."""
    if isinstance(text, str):
        return fn(text)
    if isinstance(text, String):
        return String(fn(text.value))
    if isinstance(text, Tag):
        return Tag(text.name, *[map_strings(p, fn) for p in text.parts])
    if isinstance(text, HRef):
        return text
    if isinstance(text, Text):
        return Text(*[map_strings(p, fn) for p in text.parts])
    return text


def curly(s: str, *, nested: bool = False) -> str:
    """Straight quotes to curly; inside a quoted title double quotes become
    single (``nested``)."""
    s = s.replace("``", "“").replace("''", "”").replace("`", "‘")
    s = re.sub(r"(?<=\w)'(?=\w)|(?<=\w)'(?=\s|$)", "’", s)
    s = re.sub(r'(^|[\s(\[—–-])"', r"\1“", s)
    s = s.replace('"', "”")
    s = re.sub(r"(^|[\s(\[—–-])'", r"\1‘", s)
    s = s.replace("'", "’")
    if nested:
        s = s.replace("“", "‘").replace("”", "’")
    return s


def american_punctuation(s: str) -> str:
    """Comma and full stop go inside closing double quotes (and inside both
    marks of a nested quotation): ``“Title”,`` → ``“Title,”``."""
    return re.sub(r"((?:’)?”)([.,])", r"\2\1", s)


def rich_field(entry, name: str) -> Text:
    try:
        value = entry.fields[name]
    except KeyError:
        raise FieldIsMissing(name, entry)
    if not value.strip():
        raise FieldIsMissing(name, entry)
    return to_rich(value)


# --------------------------------------------------------------------------
# template nodes

@node
def field(children, context, name, nested=False):
    """An entry field as rich text (LaTeX decoded, curly quotes)."""
    assert not children
    text = rich_field(context["entry"], name)
    return map_strings(text, lambda s: curly(s, nested=nested))


@node
def need(children, context, name):
    """Like ``optional[field(name)]`` but reports the missing field through
    the context's ``warn`` (the note is still produced)."""
    try:
        return Text(*[c.format_data(context) if hasattr(c, "format_data") else c
                      for c in children])
    except FieldIsMissing:
        warn = context.get("warn")
        entry = context["entry"]
        if warn:
            warn(f"entry {entry.key!r} has no {name!r}, which a {entry.type} note needs")
        return Text()


def _name_list(names: list[str]) -> Text:
    return join(sep=", ", sep2=" and ", last_sep=", and ")[names].format()


@node
def creators(children, context, role="author", form="full", editors_stand_in=True):
    """Authors (or editors, with "ed."/"eds.", when there is no author)."""
    entry = context["entry"]
    if context.get("suppress_author"):
        return Text()
    persons = entry.persons.get(role) or []
    suffix = ""
    if not persons and editors_stand_in and role == "author":
        persons = entry.persons.get("editor") or []
        suffix = ", ed." if len(persons) == 1 else ", eds."
    if not persons:
        return Text()
    if form == "short":
        if len(persons) >= 3:
            return Text(persons[0].short(), " et al.")
        return _name_list([p.short() for p in persons])
    return Text(_name_list([p.full() for p in persons]), suffix)


@node
def editors(children, context):
    """ "Editor, ed." / "A and B, eds." (the editors of a book a chapter is in)."""
    persons = context["entry"].persons.get("editor") or []
    if not persons:
        return Text()
    return Text(_name_list([p.full() for p in persons]),
                ", ed." if len(persons) == 1 else ", eds.")


@node
def translators(children, context):
    persons = context["entry"].persons.get("translator") or []
    if not persons:
        return Text()
    return Text("trans. ", _name_list([p.full() for p in persons]))


@node
def translation(children, context, name):
    """A bracketed translation of a title (``usere``, ``*addon``)."""
    try:
        text = rich_field(context["entry"], name)
    except FieldIsMissing:
        return Text()
    text = map_strings(text, curly)
    if str(text).lstrip().startswith("["):
        return text
    return Text("[", text, "]")


@node
def quoted(children, context):
    parts = [c.format_data(context) for c in children]
    return Text("“", *parts, "”")


def short_title(entry) -> Text:
    if entry.fields.get("shorttitle", "").strip():
        return rich_field(entry, "shorttitle")
    title = rich_field(entry, "title")
    s = str(title)
    if ":" in s:
        return title[: s.index(":")]
    return title


@node
def short_title_node(children, context, nested=False):
    return map_strings(short_title(context["entry"]), lambda s: curly(s, nested=nested))


def format_date(entry, style_options: ChicagoOptions, *, precise: bool = True) -> str:
    year, month, day = entry.date
    if year is None:
        return "n.d."
    if not precise or month is None or not 1 <= month <= 12:
        return str(year)
    m = MONTHS[month - 1]
    if day is None:
        return f"{m} {year}"
    if style_options.date_order == "mdy":
        return f"{m} {day}, {year}"
    return f"{day} {m} {year}"


@node
def date(children, context, precise=True):
    return Text(format_date(context["entry"], context["options"], precise=precise))


@node
def date_field(children, context, name):
    """A date in a field other than ``date`` (``urldate``)."""
    from .bibliography import parse_date

    entry = context["entry"]
    if name not in entry.fields:
        raise FieldIsMissing(name, entry)
    fake = type("D", (), {"date": parse_date({"date": entry.fields[name]})})()
    if fake.date[0] is None:
        return Text(entry.fields[name])
    return Text(format_date(fake, context["options"]))


@node
def issue_date(children, context):
    """Journal issue date: season or month and year ("Fall 2009")."""
    entry = context["entry"]
    year, month, _ = entry.date
    season = entry.fields.get("issue", "").strip()
    y = str(year) if year else "n.d."
    if season:
        return Text(to_rich(season), " ", y)
    if month and 1 <= month <= 12:
        return Text(MONTHS[month - 1], " ", y)
    return Text(y)


@node
def publication(children, context, publisher="publisher"):
    """ "(Place: Publisher, Year)" — "(Publisher, Year)" without a place."""
    entry = context["entry"]
    place = optional[field("location")].format_data(context)
    pub = need(publisher)[field(publisher)].format_data(context)
    when = Text(format_date(entry, context["options"], precise=False))
    head = join(sep=": ")[place, pub].format()
    return Text("(", join(sep=", ")[head, when].format(), ")")


@node
def volume(children, context):
    entry = context["entry"]
    if not entry.fields.get("volume", "").strip():
        return Text()
    return Text(context["options"].volume_label, " ", rich_field(entry, "volume"))


@node
def number(children, context):
    entry = context["entry"]
    if not entry.fields.get("number", "").strip():
        return Text()
    return Text(context["options"].number_label, " ", rich_field(entry, "number"))


@node
def edition(children, context):
    value = context["entry"].fields.get("edition", "").strip()
    if not value:
        return Text()
    if value.isdigit():
        n = int(value)
        if n == 1:
            return Text()
        suf = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
        return Text(f"{n}{suf} ed.")
    text = to_rich(value)
    return text if "ed" in value.lower() else Text(text, " ed.")


@node
def locator(children, context, pages_field=False):
    """The citation's locator; else (``pages_field``) the entry's pages."""
    loc: Locator | None = context.get("locator")
    opts: ChicagoOptions = context["options"]
    if loc is not None:
        return loc.rich(opts.page_labels)
    if pages_field:
        pages = context["entry"].fields.get("pages", "").strip()
        if pages:
            value = normalise_range(to_rich(pages).__str__(), pages=True)
            plural = bool(re.search(r"[–,]", value))
            if not opts.page_labels:
                return Text(value)
            return Text("pp." if plural else "p.", Symbol("nbsp"), value)
    return Text()


@node
def url(children, context):
    entry = context["entry"]
    value = entry.fields.get("url", "").strip()
    if not value:
        return Text()
    return Text(HRef(value, value))


@node
def thesis_type(children, context):
    entry = context["entry"]
    t = entry.fields.get("type", "").strip()
    kind = t.lower() or entry.type
    if kind in ("phdthesis", "phd", "phd thesis", "phd diss."):
        return Text("PhD diss.")
    if kind in ("mastersthesis", "mathesis", "masters", "ma thesis"):
        return Text("Master’s thesis")
    if t:
        return to_rich(t)
    return Text("PhD diss.") if entry.type == "phdthesis" else Text("Thesis")


def _first_of_fields(names):
    @node
    def first_present(children, context):
        for n in names:
            if context["entry"].fields.get(n, "").strip():
                return field(n).format_data(context)
        raise FieldIsMissing(names[0], context["entry"])
    return first_present


owner = _first_of_fields(["organization", "publisher", "journaltitle"])


# --------------------------------------------------------------------------


class Style(BaseStyle):
    """Chicago notes. ``Style(options=ChicagoOptions(...))`` or keyword
    settings ``Style(page_labels=False)``; other keywords go to pybtex's
    ``BaseStyle``."""

    default_name_style = "plain"
    default_label_style = "number"
    default_sorting_style = "none"

    def __init__(self, options: ChicagoOptions | None = None, **kwargs):
        settings = {k: kwargs.pop(k) for k in list(kwargs) if k in ChicagoOptions.names()}
        base = options or ChicagoOptions()
        self.options = replace(base, **settings) if settings else base
        super().__init__(**kwargs)

    # ---- full-note templates, one per entry type -------------------------

    def _title_italic(self):
        return words[tag("em")[need("title")[field("title")]], translation("usere")]

    def _title_quoted(self):
        return words[quoted[need("title")[field("title", nested=True)]], translation("usere")]

    def get_book_template(self, e):
        return join(sep=", ")[
            words[
                join(sep=", ")[creators, self._title_italic(), translators, edition],
                publication,
            ],
            volume,
            locator,
        ]

    get_collection_template = get_book_template
    get_proceedings_template = get_book_template
    get_mvbook_template = get_book_template
    get_booklet_template = get_book_template
    get_manual_template = get_book_template

    def get_incollection_template(self, e):
        return join(sep=", ")[
            creators(editors_stand_in=False),
            self._title_quoted(),
            words[
                "in",
                join(sep=", ")[
                    editors,
                    words[tag("em")[need("booktitle")[field("booktitle")]],
                          translation("booktitleaddon")],
                    translators,
                    edition,
                ],
                publication,
            ],
            volume,
            locator,
        ]

    get_inbook_template = get_incollection_template
    get_inproceedings_template = get_incollection_template

    def get_article_template(self, e):
        if e.fields.get("entrysubtype", "").strip().lower() in ("magazine", "newspaper"):
            return self.get_magazine_template(e)
        return join(sep=", ")[
            creators(editors_stand_in=False),
            self._title_quoted(),
            words[
                join(sep=", ")[
                    words[tag("em")[need("journaltitle")[field("journaltitle")]],
                          translation("journaltitleaddon")],
                    volume,
                    number,
                ],
                join["(", issue_date, ")"],
            ],
            locator(pages_field=True),
        ]

    def get_magazine_template(self, e):
        return join(sep=", ")[
            creators(editors_stand_in=False),
            self._title_quoted(),
            words[tag("em")[need("journaltitle")[field("journaltitle")]],
                  translation("journaltitleaddon")],
            date,
            locator(pages_field=True),
        ]

    def get_thesis_template(self, e):
        return join(sep=", ")[
            words[
                join(sep=", ")[creators, self._title_quoted()],
                join["(", join(sep=", ")[
                    thesis_type, need("institution")[field("institution")],
                    date(precise=False)], ")"],
            ],
            locator,
        ]

    get_phdthesis_template = get_thesis_template
    get_mastersthesis_template = get_thesis_template

    def get_report_template(self, e):
        return join(sep=", ")[
            words[
                join(sep=", ")[
                    creators, self._title_italic(),
                    words[optional[field("type")], optional[field("number")]],
                ],
                publication(publisher="institution"),
            ],
            volume,
            locator,
        ]

    get_techreport_template = get_report_template

    def get_online_template(self, e):
        return join(sep=", ")[
            creators,
            self._title_quoted(),
            optional[owner],
            optional[date] if e.date[0] else Text(),
            optional[words["accessed", date_field("urldate")]],
            need("url")[url],
            locator,
        ]

    get_www_template = get_online_template
    get_electronic_template = get_online_template

    def get_unpublished_template(self, e):
        return join(sep=", ")[
            words[
                join(sep=", ")[creators, self._title_quoted()],
                join["(", join(sep=", ")[
                    optional[field("howpublished")], optional[field("type")],
                    optional[field("note")], optional[field("eventtitle")],
                    optional[field("institution")], optional[field("location")],
                    date], ")"],
            ],
            optional[url],
            locator,
        ]

    get_misc_template = get_unpublished_template

    # ---- short note ------------------------------------------------------

    def get_short_template(self, e):
        if e.type in QUOTED_TYPES:
            title = quoted[short_title_node(nested=True)]
        else:
            title = tag("em")[short_title_node]
        return join(sep=", ")[creators(form="short"), title, locator]

    # ---- entry points ----------------------------------------------------

    def get_template(self, entry, form: str = "full"):
        if form == "short":
            return self.get_short_template(entry)
        getter = getattr(self, f"get_{entry.type}_template", None)
        if getter is None:
            getter = self.get_misc_template
        return getter(entry)

    def format_note(self, entry, *, form: str = "full", locator: Locator | None = None,
                    suppress_author: bool = False,
                    warn: Callable[[str], None] | None = None) -> Text:
        """One citation as rich text, without the note's final full stop.

        ``form`` is "full", "short" or "ibid".
        """
        if form == "ibid":
            if locator is None:
                return Text("Ibid.")
            return Text("Ibid., ", locator.rich(self.options.page_labels))
        context = {"entry": entry, "style": self, "options": self.options,
                   "locator": locator, "warn": warn, "suppress_author": suppress_author}
        return self.get_template(entry, form).format_data(context)

    def render(self, text: Text, fmt: str = "text") -> str:
        """Render rich text with a notes backend, quotes punctuated the
        American way."""
        return american_punctuation(text.render(get_backend(fmt)))

    def format_entry(self, label, entry, bib_data=None):
        """pybtex interface: the full note of ``entry`` (for bibliographies)."""
        text = self.format_note(entry).add_period()
        return FormattedEntry(entry.key, text, label)
