"""The settings of the Chicago notes styles, and the two named styles.

A style is a :class:`ChicagoOptions`: every choice on which journals'
variants of Chicago differ is a setting here, so a journal's variant is
settings, not code (docs/citation-styles.md lists them with examples).
Two named styles come with pressroom:

``chicago``
    The notes of the Chicago Manual of Style, 17th edition, chapter 14, as
    biblatex-chicago (the reference implementation) prints them: no "p.",
    "vol."/"no." in lowercase, month-day-year dates, the journal form
    ``*Journal* 45, no. 1 (1990): 340``, "Ibid." for an immediate repeat
    (CMOS 14.34).
``working-paper``
    The house style of our working-paper template: "p."/"pp.", "Vol."/"No.",
    day-month-year dates, ``*Journal*, Vol. 45, No. 1 (Fall 1990), p. 340``,
    editors before the book title, CMOS 9.61 page ranges.

A manuscript picks one with ``citation-style:`` (or a template with
``style =`` in its ``[citations]`` table) and may override any single
setting with ``citation-<name>:`` (``citation-ibid: false``).

This module imports nothing heavy: the header is validated against it on
every build, also on builds that have nothing to do.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

#: value kinds of the settings that take one of a few words
CHOICES = {
    "date_order": ("mdy", "dmy"),
    "journal_form": ("chicago", "labelled"),
    "chapter_editors": ("after-title", "before-title"),
    "container_pages": ("always", "articles", "never"),
    "short_title": ("colon", "title"),
    "repeat_without_locator": ("ibid", "short"),
    "volume_form": ("chicago", "labelled"),
    "edition_position": ("before-contributors", "after-contributors"),
    "unsigned_short": ("journal", "title"),
    "repeat_form": ("author", "short"),
}


@dataclass(frozen=True)
class ChicagoOptions:
    """One Chicago notes style. Defaults are the ``chicago`` style."""

    #: "Ibid." for a source cited alone in the note just before (CMOS 14.34);
    #: false: the 17th edition's preferred short form ("Spence, 45.")
    ibid: bool = True
    #: "p."/"pp." before page numbers (CMOS 14.150 prints none)
    page_labels: bool = False
    #: without page labels, keep a "p."/"pp." the author typed (biblatex prints a locator as written)
    page_labels_as_typed: bool = True
    #: labels of the labelled journal form and of volumes ("vol. 2")
    volume_label: str = "vol."
    number_label: str = "no."
    #: "mdy": July 11, 1949 (CMOS 6.38); "dmy": 11 July 1949
    date_order: str = "mdy"
    #: "chicago": *J* 45, no. 1 (1990): 340; "labelled": *J*, Vol. 45, No. 1 (1990), p. 340
    journal_form: str = "chicago"
    #: "after-title": in *Book*, ed. A (CMOS 14.103); "before-title": in A, ed., *Book*
    chapter_editors: str = "after-title"
    #: print a chapter's or article's page range when the citation has no locator
    container_pages: str = "always"
    #: abbreviate page ranges by CMOS 9.61 (135–37); false: as typed, with an en dash
    abbreviate_ranges: bool = False
    #: names in a note before "et al." takes over: four or more authors → the first
    #: "et al." (CMOS 14.76); 0 lists every name
    et_al_min: int = 4
    #: the same for short notes (the house style shortens three names: "Goncharov et al.")
    short_et_al_min: int = 4
    #: short notes: "colon": the short title, else the title up to its colon
    #: (CMOS 14.33); "title": the short title, else the whole title
    short_title: str = "colon"
    #: a repeat with no locator after one with a locator: "ibid" or the short note
    repeat_without_locator: str = "ibid"
    #: with Ibid. off, an immediate repeat: "author" ("Spence, 45."; CMOS 14.34) or the short note
    repeat_form: str = "author"
    #: the edition before "ed."/"trans." (biblatex-chicago: "2nd ed., ed. A") or after them
    edition_position: str = "before-contributors"
    #: the short note of an unsigned magazine or newspaper article: "journal"
    #: (*Time*, “Title,” 82) or "title" (“Title,” 82)
    unsigned_short: str = "journal"
    #: multivolume works: "chicago": 2:101 and "vol. 2 of *Work*"; "labelled": Vol. 2, p. 101
    volume_form: str = "chicago"
    #: ISBN/ISSN after the note, as biblatex-chicago prints them by default
    isbn: bool = True
    #: DOI, URL and access date of sources that have them (CMOS 14.6–14.8)
    links: bool = True
    #: brackets around a translated book or journal title (booktitleaddon,
    #: journaltitleaddon) when the .bib value has none
    addon_brackets: bool = False
    #: what an undated publication prints in its parenthesis ("n.d.", or nothing)
    no_date: str = ""

    def __post_init__(self):
        for name, allowed in CHOICES.items():
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name} must be one of {', '.join(allowed)}, not {getattr(self, name)!r}")

    @classmethod
    def names(cls) -> set[str]:
        return {f.name for f in fields(cls)}


STYLES: dict[str, ChicagoOptions] = {
    "chicago": ChicagoOptions(),
    "working-paper": ChicagoOptions(
        page_labels=True, volume_label="Vol.", number_label="No.", date_order="dmy",
        journal_form="labelled", chapter_editors="before-title", container_pages="articles",
        abbreviate_ranges=True, et_al_min=0, short_et_al_min=3, repeat_without_locator="short",
        volume_form="labelled", isbn=False, links=False, addon_brackets=True, no_date="n.d.",
        repeat_form="short", edition_position="after-contributors", unsigned_short="title"),
}
DEFAULT_STYLE = "chicago"


def option_kind(name: str) -> Any:
    """What a setting takes: bool, int, str, or a tuple of the words allowed."""
    if name == "style":
        return tuple(STYLES)
    if name in CHOICES:
        return CHOICES[name]
    for f in fields(ChicagoOptions):
        if f.name == name:
            return {"bool": bool, "int": int, "str": str}[f.type]
    return None


def option_problem(option: str, value: Any, *, prefix: str = "") -> str | None:
    """What a setting's value must be, if it is not; None when it is fine. ``option``
    is written as in the header (``page-labels``) or in TOML (``page_labels``)."""
    name = option.replace("-", "_")
    kind = option_kind(name)
    if kind is None:
        return (f"one of the Chicago style's settings ({prefix}style, {prefix}ibid, ...: "
                "docs/citation-styles.md)")
    if kind is bool and not isinstance(value, bool):
        return "true or false"
    if kind is int and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
        return "a whole number, 0 or more"
    if isinstance(kind, tuple) and value not in kind:
        return " or ".join(f"`{v}`" for v in kind)
    if kind is str and not isinstance(value, str):
        return "text"
    return None


def style_options(settings: dict[str, Any] | None = None) -> ChicagoOptions:
    """The options of the named style ``settings["style"]`` (default ``chicago``),
    with every other setting of ``settings`` overriding the style's own.
    Names may use ``-`` or ``_``. Raises ValueError for an unknown name or value."""
    settings = {k.replace("-", "_"): v for k, v in (settings or {}).items()}
    name = settings.pop("style", None) or DEFAULT_STYLE
    if name not in STYLES:
        raise ValueError(f"unknown citation style {name!r}; known: {', '.join(STYLES)}")
    for key, value in settings.items():
        problem = option_problem(key, value)
        if problem:
            raise ValueError(f"citation setting {key.replace('_', '-')} must be {problem}")
    return replace(STYLES[name], **settings)
