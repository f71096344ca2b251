"""The bibliography list: every cited entry in Chicago's bibliography form, alphabetised.

A note and a bibliography entry say the same things differently (CMOS 14.19–14.21): the note
"Robert N. Bellah, *Habits of the Heart* (Berkeley: University of California Press, 1985), 23"
is in the bibliography "Bellah, Robert N. *Habits of the Heart*. Berkeley: University of
California Press, 1985." — the first author's name inverted, the elements
separated by full stops, the publication facts without parentheses, "Edited by" where the note
has "ed.", an article's or chapter's whole page range (CMOS 14.106), and for a run of
works by the same author a 3-em dash in place of the name (CMOS 14.67–14.68).

:class:`BibliographyStyle` is the notes style (:class:`~.chicago.Style`) with one
bibliography template per kind of entry; it reuses the notes' units (titles, editions,
series, journals, dates, links), so that a setting of the style (``working-paper``'s labelled
volumes, day-month-year dates...) holds in both. The reference implementation is
biblatex-chicago's ``\\printbibliography`` (tests/data/chicago/golden/*.bibliography.json);
the differences that remain are listed in tests/data/chicago/deviations.toml.

:func:`sort_key` orders the list as biblatex-chicago's ``cms`` sorting does with biber:
``presort``, then ``sortkey`` alone if given, else the names (``sortname``, author,
editor, translator, compiler: family name, given names, suffix, then a particle that is not
part of the family name, as in "Wolferen, Karel van"; family-first names by family name) or
the title (``sorttitle``) for an entry without names, then the title, the year and the
volume. Comparison is word by word (a space sorts before every letter: "R Core Team" before
"Rachewiltz"), accents and case ignored (CMOS 14.66–14.69).

:func:`bibliography_list` makes the list: the keys to print (cited, ``nocite``, a volume whose
chapters are cited twice or more, as biblatex's ``mincrossrefs``), sorted, each rendered.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from types import MappingProxyType

from pybtex.richtext import Tag, Text

from .bibliography import plain
from .chicago import (
    THESIS_TYPES,
    Names,
    Style,
    _option,
    _same,
    entry_date,
    format_date,
    has,
    italic,
    list_field,
    lowered_type,
    quoted,
    rich,
    roman,
    title_of,
    units,
    without_authors,
)

#: biblatex-chicago: more than ``MAX_NAMES`` names print the first ``MIN_NAMES`` and "et al."
MAX_NAMES, MIN_NAMES = 10, 7
#: the 3-em dash that stands for the names of the entry before (CMOS 14.67)
NAME_DASH = "———"
#: the heading of the list
HEADING = "Bibliography"
#: the words that open a contributor's sentence, from the notes' abbreviations
CONTRIBUTOR_WORDS = {"ed.": "Edited by", "comp.": "Compiled by", "in collab. with": "In collaboration with",
                     "red.": "Redacted by", "found.": "Founded by", "cont.": "Continued by",
                     "annot.": "Annotated by", "comm.": "Commentary by", "dir.": "Directed by"}
_ENDS_SENTENCE = re.compile(r"[.?!…][*_’”]*$")


def capitalised(text: Text) -> Text:
    """The first letter upper case (a unit that opens a sentence: "Rev. ed.", "Master’s thesis")."""
    s = str(text)
    lead = len(s) - len(s.lstrip())
    if not s.strip() or not s.strip()[0].islower() or re.match(r"\s*(https?:|www\.)", s):
        return text   # a link is printed as it is
    return text[:lead] + Text(s[lead].upper()) + text[lead + 1:]


def sentences(*parts) -> Text:
    """The non-empty parts as sentences: each closed by a full stop unless it ends with one
    (or with ? or !), joined by a space."""
    kept = [p for p in parts if p]
    out = []
    for part in kept:
        out.append(part if _ENDS_SENTENCE.search(str(part).rstrip()) else Text(part, "."))
    return Text(" ").join(out) if out else Text()


class BibliographyNames(Names):
    """Names as the bibliography lists them: every name up to ten, else the first seven and
    "et al." (biblatex-chicago's ``maxbibnames``/``minbibnames``; CMOS 14.76)."""

    def _visible(self, persons, *, short: bool = False) -> list:
        if short:
            return super()._visible(persons, short=True)
        return list(persons[:MIN_NAMES]) if len(persons) > MAX_NAMES else list(persons)


class BibliographyStyle(Style):
    """The Chicago bibliography form of every entry type (see the module documentation)."""

    def __init__(self, options=None, *, entries: Iterable = (), **kwargs):
        super().__init__(options, entries=entries, **kwargs)
        self.names = BibliographyNames(self.options, entries)

    def know(self, entries: Iterable) -> None:
        super().know(entries)
        self.names = BibliographyNames(self.options, entries)

    # ---- names -----------------------------------------------------------

    def inverted(self, person) -> str:
        """"Bellah, Robert N.", "Wolferen, Karel van", "Moore, Barrington, Jr."; a family-first
        name as it is ("Mao Zedong"), an organisation as written."""
        if person.corporate or person.family_first:
            return person.full()
        given = person._join(person.first_names + person.middle_names)
        prefix = person._join(person.prelast_names)
        family = person._join(person.last_names)
        if person.useprefix and prefix:
            family = f"{prefix} {family}"
            prefix = ""
        if person.prelast_names and not person.useprefix and not given:
            return f"{family}, {prefix}"
        text = family
        if given or prefix:
            text += ", " + " ".join(p for p in (given, prefix) if p)
        if person.lineage_names:
            text += ", " + person._join(person.lineage_names)
        return text

    def bib_names(self, persons) -> str:
        """The first name inverted, the others in their order (CMOS 14.76): "A, B, and C"; more
        than ten names: the first seven and "et al."."""
        more = bool(getattr(persons, "more", False))
        visible = list(persons)
        if len(visible) > MAX_NAMES:
            visible, more = visible[:MIN_NAMES], True
        from .chicago import curly
        first = curly(self.inverted(visible[0]))
        if visible[0].useprefix and visible[0].prelast_names:   # "Van de Ven, Hans J." (CMOS 8.5)
            first = first[:1].upper() + first[1:]
        names = [first] + [curly(p.full()) for p in visible[1:]]
        # a comma closes an inverted name ("Berger, Peter L., and Thomas Luckmann")
        comma = "," in names[0] and not visible[0].corporate
        if more:
            return ", ".join(names) + ", et al."
        if len(names) == 1:
            return names[0]
        if len(names) == 2:
            return f"{names[0]}{',' if comma else ''} and {names[1]}"
        return ", ".join(names[:-1]) + ", and " + names[-1]

    def lead_names(self, persons) -> str:
        return self.bib_names(persons)

    def container_pages(self, kind: str) -> bool:
        """An article's or chapter's pages are in every bibliography entry (CMOS 14.106), whatever
        the style's notes print without a locator."""
        return True

    def head_names(self, entry) -> tuple:
        """The names that open the entry, as the 3-em dash compares them (biblatex's labelname)."""
        role = self.head_role(entry, editors_lead=entry.type not in ("article", "review", "incollection",
                                                                      "inbook", "inproceedings"))
        if role:   # the same person in either name order ("Okabe Tatsumi", "Tatsumi Okabe")
            return tuple((p.literal, *map(tuple, (p.prelast_names, p.last_names, p.first_names,
                                                  p.middle_names, p.lineage_names)))
                         for p in self.persons(entry, role))
        if entry.type == "article" and entry.fields.get("entrysubtype", "").strip().lower() in (
                "magazine", "newspaper"):
            return ("journal", plain(entry.fields.get("journaltitle", "")))
        return ()

    # ---- units -----------------------------------------------------------

    def byline_sentence(self, entry) -> Text:
        authors = self.persons(entry, "author")
        if authors and not _option(entry, "useauthor", True):
            return Text("By ", self.names.listed(authors))
        return Text()

    CONTRIBUTOR_PHRASES = MappingProxyType({
        "ed": "Edited by ", "comp": "Compiled by ", "trans": "Translated {lang}",
        "ed-trans": "Edited and translated {lang}", "ed-with": "Edited, with {a} {role}, by ",
        "with": "With {a} {role} by ", "commentator": "With a commentary by ",
        "annotator": "With annotations by "})

    def contributor_phrase(self, kind: str, **words) -> str:
        if "lang" in words:
            words["lang"] = words["lang"] or "by "
        return super().contributor_phrase(kind, **words)

    def editor_label(self, label: str) -> str:
        return CONTRIBUTOR_WORDS.get(label, "Edited by")

    def contributor_sentences(self, entry, *, skip: str | None = None, part: bool = False) -> list[Text]:
        """"Edited by A", "Translated from the German by B", "Edited and translated by C",
        "With an introduction by D": one sentence each (CMOS 14.103–14.105)."""
        return self.contributor_list(entry, skip=skip, part=part)

    def title_sentences(self, entry, form: str = "italic") -> list[Text]:
        """The title (with its translation in brackets), then ``titleaddon`` as a sentence."""
        text = title_of(entry)
        text = italic(text) if form == "italic" else quoted(text) if form == "quoted" else roman(text)
        addon = capitalised(roman(rich(entry, "titleaddon")))
        if addon:   # the translation follows the addon, as in the notes
            out = [text, units(addon, self.translation(entry), sep=" ")]
        else:
            out = [units(text, self.translation(entry), sep=" ")]
        if entry.type != "review" and entry.fields.get("relatedtype", "").strip().lower() == "reviewof":
            out.append(capitalised(self.review_title(entry, {"bibliography": self.bibliography},
                                                     related_only=True)))
        return out

    def volume_sentence(self, entry) -> Text:
        return capitalised(self.volumes(entry))

    def publication_sentences(self, entry, *, publisher: str = "publisher",
                              precise: bool = False) -> list[Text]:
        """"Place: Publisher, Year", after a reprint's first publication as a sentence of its own
        ("London: Luzac, 1910. Project Gutenberg, 1994."; CMOS 14.114)."""
        main = units(self.place_publisher(entry, publisher), self.pub_date(entry, precise=precise))
        orig = entry_date(entry, "origdate")
        if orig is None or entry.type in ("letter", "misc"):
            return [main]
        first = units(units(list_field(entry, "origlocation"), list_field(entry, "origpublisher"), sep=": "),
                      format_date(orig, self.options, precise=False))
        if entry.fields.get("pubstate", "").strip().lower() == "reprint":
            main = Text("Reprint, ", main)
        return [first, main]

    def link_sentences(self, entry) -> list[Text]:
        """ISBN, access date, DOI, URL: each a sentence (CMOS 14.6–14.8)."""
        eprint = has(entry, "eprint")   # "arXiv: ...", "ssrn: ..." keep their case, as in biblatex
        return [part if eprint and str(part).endswith(str(rich(entry, "eprint"))) else capitalised(part)
                for part in self.link_list(entry)]

    def tail_sentences(self, entry) -> list[Text]:
        return [self.original_publication(entry), capitalised(roman(rich(entry, "addendum"))),
                *self.link_sentences(entry)]

    def original_publication(self, entry) -> Text:
        """The work an entry's ``related`` names, by ``relatedtype`` as biblatex-chicago prints
        it (CMOS 14.108, 14.114): ``origpubas`` "Originally published as *Title* (Paris:
        Hachette, 1959)"; ``translationof`` "Translation of *Title* (Tokyo: Publisher, 1952)"
        (the original's full note, without its author when the same); ``origpubin`` "First
        published 1946" (with "by Publisher, Place" when the publisher is another)."""
        kind = entry.fields.get("relatedtype", "").strip().lower()
        if kind not in ("origpubas", "translationof", "origpubin") or self.bibliography is None:
            return Text()
        works = []
        for key in (k.strip() for k in entry.fields.get("related", "").split(",")):
            if not key or key not in self.bibliography:
                continue
            other = self.bibliography[key]
            if kind == "origpubas":
                facts = units(self.place_publisher(other), self.pub_date(other))
                facts = Text("(", facts, ")") if facts else Text()
                works.append(units(italic(title_of(other)), facts, sep=" "))
            elif kind == "translationof":
                same = _same(self.persons(other, "author"), self.persons(entry, "author"))
                notes = Style(options=self.options)
                works.append(notes.format_note(without_authors(other) if same else other))
            else:
                year = Text(format_date(entry_date(other), self.options, precise=False))
                publisher = list_field(other, "publisher")
                if publisher and str(publisher) != str(list_field(entry, "publisher")):
                    year = Text(year, " by ", units(publisher, list_field(other, "location")))
                works.append(year)
        if not works:
            return Text()
        opening = {"origpubas": "Originally published as ", "translationof": "Translation of ",
                   "origpubin": "First published "}[kind]
        return Text(opening, Text(", ").join(works))

    # ---- templates -------------------------------------------------------

    def format_bibliography_entry(self, entry, *, listed: frozenset[str] = frozenset(),
                                  bibliography=None, dash: bool = False) -> Text:
        """The entry's bibliography form; ``listed``: the keys of the list (a chapter whose
        volume is listed refers to it by its short form); ``dash``: the 3-em dash for the names."""
        self.bibliography = bibliography
        self._listed = listed
        self._dash = dash
        getter = getattr(self, f"bib_{entry.type}", None) or self.bib_other
        return getter(entry)

    def lead(self, entry, *, editors_lead: bool = True) -> Text:
        """The names that open the entry, or the 3-em dash that repeats them."""
        head = self.head(entry, editors_lead=editors_lead)
        if head and getattr(self, "_dash", False):
            role = self.head_role(entry, editors_lead=editors_lead)
            persons = self.persons(entry, role)
            names = self.bib_names(persons)
            rest = str(head)[len(names):]
            if role == "author" and rest.startswith(" ["):
                return Text(NAME_DASH, rest)
            return Text(NAME_DASH, rest)
        return head

    def bib_book(self, e) -> Text:
        reference = e.type in ("reference", "mvreference")
        head_role = None if reference else self.head_role(e)
        main = has(e, "maintitle") and has(e, "volume")
        proceedings = e.type in ("proceedings", "mvproceedings")
        edition = capitalised(self.edition(e))
        first = self.options.edition_position == "before-contributors"
        return sentences(
            Text() if reference else self.lead(e),
            *self.title_sentences(e),
            self.byline_sentence(e),
            Text() if main or not first else edition,
            *self.contributor_sentences(e, skip=head_role),
            Text() if main or first else edition,
            units(self.volume_sentence(e), self.edition(e) if main else Text()),
            capitalised(self.series(e)),
            self.event(e) if proceedings else Text(),
            capitalised(roman(rich(e, "note"))),
            *self.publication_sentences(e, precise=proceedings),
            *self.tail_sentences(e))

    bib_collection = bib_proceedings = bib_mvbook = bib_mvcollection = bib_mvproceedings = bib_book
    bib_booklet = bib_manual = bib_reference = bib_mvreference = bib_book

    def parent_listed(self, e) -> Text | None:
        """A chapter whose volume is in the list: "In Appadurai, *The Social Life of Things*"
        (CMOS 14.108)."""
        parent_key = getattr(e, "crossref", None) or getattr(e, "xref", None)
        if not parent_key or parent_key not in self._listed or self.bibliography is None:
            return None
        parent = self.bibliography[parent_key]
        lead, title = self.short_parts(parent)
        authors = self.persons(parent, "author")
        if authors and _same(authors, self.persons(e, "author")):
            lead = Text()
        return Text("In ", units(lead, title))

    def container_sentence(self, e, *, by: bool = True) -> list[Text]:
        """"In *Book*, edited by A, 23–45" (CMOS 14.106): the book and its people in one
        sentence with the chapter's pages; a volume of a multivolume work: "In *Book*. Vol. 10
        of *Work*, edited by A, 163–212"."""
        book = self.book_title(e)
        bookauthor = self.persons(e, "bookauthor")
        if bookauthor and _same(bookauthor, self.persons(e, "author")):
            bookauthor = []
        byline = Text("by ", self.names.listed(bookauthor)) if bookauthor and by else Text()
        people = [_lowered(s) for s in self.contributor_sentences(e)]
        pages = self.page_range(e) if self.container_pages("chapter") else Text()
        volumes = self.volumes(e)
        if pages and has(e, "volume") and not has(e, "maintitle") and self.options.volume_form == "chicago":
            pages, volumes = Text(rich(e, "volume"), ":", pages), Text()   # "13:547–608"
        if self.options.chapter_editors == "before-title":
            eds = self.persons(e, "editor")
            editors = Text(self.names.listed(eds), ", ed." if len(eds) == 1 else ", eds.") if eds else Text()
            people = [_lowered(s) for s in self.contributor_sentences(e, skip="editor")]
            return [Text(self.chapter(e).capitalize(), "in " if has(e, "chapter") else "In ",
                         units(editors, book, byline, self.edition(e), *people, volumes, pages))]
        if has(e, "maintitle") and has(e, "volume"):
            return [Text(self.chapter(e).capitalize(), "in " if has(e, "chapter") else "In ",
                         units(book, byline)),
                    units(capitalised(self.volumes(e)), self.edition(e), *people, pages)]
        return [Text(self.chapter(e).capitalize(), "in " if has(e, "chapter") else "In ",
                     units(book, byline, self.edition(e), *people, volumes, pages))]

    def bib_incollection(self, e) -> Text:
        title = self.title_sentences(e, "quoted")
        parent = self.parent_listed(e)
        if parent is not None:
            pages = self.page_range(e) if self.container_pages("chapter") else Text()
            if pages and has(e, "volume") and self.options.volume_form == "chicago":
                pages = Text(rich(e, "volume"), ":", pages)
            elif not pages and has(e, "volume"):   # no pages: the volume alone, "vol. 1"
                pages = Text(self.options.volume_label, " ", rich(e, "volume"))
            return sentences(self.lead(e, editors_lead=False), *title,
                             units(parent, pages), *self.tail_sentences(e))
        event = self.event(e) if e.type == "inproceedings" else Text()
        return sentences(self.lead(e, editors_lead=False), *title,
                         *self.contributor_sentences(e, part=True),
                         *self.container_sentence(e), capitalised(units(self.series(e), event)),
                         capitalised(roman(rich(e, "note"))),
                         *self.publication_sentences(e, precise=e.type == "inproceedings"),
                         *self.tail_sentences(e))

    bib_inbook = bib_inproceedings = bib_incollection

    def bib_bookinbook(self, e) -> Text:
        return sentences(self.lead(e), *self.title_sentences(e), *self.container_sentence(e),
                         capitalised(self.series(e)), capitalised(roman(rich(e, "note"))),
                         *self.publication_sentences(e), *self.tail_sentences(e))

    def bib_suppbook(self, e) -> Text:
        bookline = capitalised(self.supplemented(e))
        return sentences(self.lead(e), bookline, capitalised(self.edition(e)),
                         *self.contributor_sentences(e, skip="author"), self.volume_sentence(e),
                         capitalised(self.series(e)), capitalised(roman(rich(e, "note"))),
                         *self.publication_sentences(e), *self.tail_sentences(e))

    def journal_part(self, e) -> Text:
        """"*Journal* 45, no. 1 (1990): 340–60" — the note's form with the article's pages."""
        opts = self.options
        journal = units(self.journal(e), self.journal_series(e))
        volume = roman(rich(e, "volume"))
        number = self.issue_number(e)
        when = self.issue_date(e)
        eid = roman(rich(e, "eid"))
        pages = self.page_range(e) if not eid else Text()
        pubstate = e.fields.get("pubstate", "").strip().lower()
        if pubstate == "forthcoming" and not entry_date(e):
            return units(journal, Text("forthcoming"), pages, eid)
        if opts.journal_form == "labelled":
            vol = Text(opts.volume_label, " ", volume) if volume else Text()
            core = units(units(journal, vol, number), Text("(", when, ")") if when else Text(), sep=" ")
            return units(core, pages, eid)
        if not volume and not number and not has(e, "issue"):
            return units(journal, when, units(pages, eid))
        if volume:
            core = units(units(journal, volume, sep=", " if has(e, "series") else " "), number)
        else:
            core = units(journal, number)
        if when:
            core = units(core, Text("(", when, ")"), sep=" ")
        place = units(pages, eid)
        return Text(core, ": ", place) if place else core

    def bib_article(self, e) -> Text:
        subtype = e.fields.get("entrysubtype", "").strip().lower()
        if subtype in ("magazine", "newspaper"):
            return self.bib_magazine(e)
        return self.journal_entry(e, self.title_sentences(e, "quoted"))

    def journal_entry(self, e, title: list[Text], *, lead: Text | None = None,
                      skip: str | None = "author") -> Text:
        people = self.contributor_sentences(e, skip=skip)
        if has(e, "issuetitle"):   # "In “Issue,” translated by A."
            issue = units(Text("In ", quoted(title_of(e, "issue"))), *[_lowered(p) for p in people])
            people = []
        else:
            issue = Text()
        # a note goes on into the journal: "Special issue, *Daedalus* 120, no. 2 (Spring 1991)"
        return sentences(lead if lead is not None else self.lead(e, editors_lead=False), *title, issue,
                         *people, units(capitalised(roman(rich(e, "note"))), self.journal_part(e)),
                         *self.tail_sentences(e))

    def bib_magazine(self, e) -> Text:
        """"Author. “Title.” *Magazine*, July 1945, 101–8."; an unsigned newspaper article opens
        with the paper (as biblatex-chicago sets it)."""
        date = format_date(entry_date(e), self.options)
        pages = self.page_range(e) if self.container_pages("article") else Text()
        lead = self.lead(e, editors_lead=False)
        if not lead:   # an unsigned piece opens with the periodical (as biblatex-chicago sets it)
            journal = Text(NAME_DASH) if getattr(self, "_dash", False) else self.journal(e)
            return sentences(journal, *self.title_sentences(e, "quoted"), capitalised(roman(rich(e, "note"))),
                             units(self.section(e), Text(date) if date else Text(), self.issue_number(e),
                                   pages),
                             *self.tail_sentences(e))
        return sentences(lead, *self.title_sentences(e, "quoted"),
                         *self.contributor_sentences(e, skip="author"),
                         capitalised(roman(rich(e, "note"))),
                         units(self.journal(e), self.section(e), Text(date) if date else Text(),
                               self.issue_number(e), pages),
                         *self.tail_sentences(e))

    def bib_review(self, e) -> Text:
        title = self.review_title(e, {"bibliography": self.bibliography})
        subtype = e.fields.get("entrysubtype", "").strip().lower()
        title = capitalised(title)
        if subtype in ("magazine", "newspaper") or not (has(e, "volume") or has(e, "number")):
            date = format_date(entry_date(e), self.options)
            pages = self.page_range(e) if self.container_pages("article") else Text()
            return sentences(self.lead(e, editors_lead=False), title,
                             units(self.journal(e), Text(date) if date else Text(), pages),
                             *self.tail_sentences(e))
        return self.journal_entry(e, [title])

    def bib_periodical(self, e) -> Text:
        from .chicago import replace_fields
        shell = replace_fields(e, {"journaltitle": e.fields.get("title", ""),
                                   "journalsubtitle": e.fields.get("subtitle", ""),
                                   "title": "", "subtitle": "", "issuetitle": "", "issuesubtitle": ""})
        title = [quoted(title_of(e, "issue"))] if has(e, "issuetitle") else []
        return self.journal_entry(shell, title, lead=self.lead(e), skip=self.head_role(e))

    def bib_thesis(self, e) -> Text:
        kind = lowered_type(e) or e.type
        label = THESIS_TYPES.get(kind) or (str(rich(e, "type")) if has(e, "type") else
                                           "PhD diss." if e.type == "phdthesis" else "thesis")
        return sentences(self.lead(e), *self.title_sentences(e, "quoted"),
                         capitalised(units(Text(label), list_field(e, "institution"), self.pub_date(e))),
                         *self.tail_sentences(e))

    bib_phdthesis = bib_mastersthesis = bib_thesis

    def bib_report(self, e) -> Text:
        kind_number, series = self.report_kind(e)
        return sentences(self.lead(e), *self.title_sentences(e), capitalised(self.edition(e)),
                         *self.contributor_sentences(e, skip=self.head_role(e)),
                         capitalised(units(kind_number, series)), capitalised(roman(rich(e, "note"))),
                         *self.publication_sentences(e, publisher="institution", precise=True),
                         *self.tail_sentences(e))

    bib_techreport = bib_report

    def bib_online(self, e) -> Text:
        owner = next((list_field(e, n) for n in ("organization", "publisher", "journaltitle")
                      if has(e, n)), Text())
        date = format_date(entry_date(e), self.options)
        date = Text(date) if date else Text()
        title = self.title_sentences(e, "quoted")
        if owner:
            body = [*title, *self.contributor_sentences(e, skip=self.head_role(e)),
                    capitalised(roman(rich(e, "note"))), units(owner, date)]
        else:
            body = [units(title[0], date), *title[1:], *self.contributor_sentences(e, skip=self.head_role(e)),
                    capitalised(roman(rich(e, "note")))]
        return sentences(self.lead(e), *body, *self.tail_sentences(e))

    bib_www = bib_electronic = bib_online

    def bib_unpublished(self, e) -> Text:
        inner = units(roman(rich(e, "howpublished")), roman(rich(e, "note")),
                      Text(THESIS_TYPES[lowered_type(e)]) if lowered_type(e) in THESIS_TYPES else Text(),
                      roman(rich(e, "eventtitle")), list_field(e, "venue"),
                      list_field(e, "institution"), list_field(e, "location"), self.pub_date(e, precise=True))
        if not has(e, "howpublished"):   # a note opens the sentence with a capital, howpublished as written
            inner = capitalised(inner)
        return sentences(self.lead(e), *self.title_sentences(e, "quoted"), inner, *self.tail_sentences(e))

    def bib_letter(self, e) -> Text:
        """"Darwin, Charles. Charles Darwin to Asa Gray, 22 May 1860. In *Correspondence*,
        edited by A, vol. 8. Cambridge: ..." (CMOS 14.111)."""
        from dataclasses import replace
        when = format_date(entry_date(e, "origdate"), replace(self.options, date_order="dmy"))
        head = units(roman(title_of(e)), roman(rich(e, "titleaddon")), list_field(e, "origlocation"),
                     Text(when) if when else Text())
        head = units(head, self.letter_translation(e), sep=" ")
        parent = self.parent_listed(e)
        if parent is not None:
            return sentences(self.lead(e), head, parent, *self.tail_sentences(e))
        if not has(e, "booktitle"):
            return sentences(self.lead(e), head, *self.tail_sentences(e))
        book = italic(title_of(e, "book"))
        people = [_lowered(s) for s in self.contributor_sentences(e)]
        vol = Text(self.options.volume_label, " ", rich(e, "volume")) if has(e, "volume") else Text()
        pages = self.page_range(e)
        if vol and pages and self.options.volume_form == "chicago":
            place = Text(rich(e, "volume"), ":", pages)
        else:
            place = units(vol, pages)
        return sentences(self.lead(e), head, Text("In ", units(book, *people, place)),
                         capitalised(self.series(e)), capitalised(roman(rich(e, "note"))),
                         *self.publication_sentences(e), *self.tail_sentences(e))

    def bib_misc(self, e) -> Text:
        subtype = e.fields.get("entrysubtype", "").strip().lower()
        if not subtype:
            return sentences(self.lead(e), *self.title_sentences(e),
                             *self.contributor_sentences(e, skip=self.head_role(e)),
                             capitalised(roman(rich(e, "howpublished"))),
                             capitalised(units(roman(rich(e, "note")), list_field(e, "organization"),
                                               list_field(e, "location"),
                                               Text(format_date(entry_date(e), self.options,
                                                                brackets=True)))),
                             *self.tail_sentences(e))
        when = entry_date(e, "origdate") or entry_date(e)
        from dataclasses import replace
        order = replace(self.options, date_order="dmy") if subtype == "letter" else self.options
        date = format_date(when, order, brackets=True)
        first = units(self.title(e, form="plain"), list_field(e, "venue"), Text(date) if date else Text(),
                      list_field(e, "origlocation"))
        return sentences(self.lead(e), capitalised(first),
                         *self.contributor_sentences(e, skip=self.head_role(e)),
                         capitalised(roman(rich(e, "howpublished"))), capitalised(roman(rich(e, "type"))),
                         capitalised(roman(rich(e, "note"))),
                         capitalised(units(list_field(e, "organization"), list_field(e, "institution"),
                                           list_field(e, "location"))),
                         *self.tail_sentences(e))

    def bib_inreference(self, e) -> Text:
        """"*Encyclopædia Britannica*. 11th ed., s.v. “Confucius.”" (CMOS 14.232–34)."""
        word = self.sv(e, {"locator": None})
        by = self.persons(e, "author")
        online = e.fields.get("entrysubtype", "").strip().lower() == "online"
        title = roman(title_of(e)) if online else italic(title_of(e))
        if has(e, "booktitle"):   # the article in a reference work: "In *Work*, 13:512–18"
            if not has(e, "lista"):
                word = Text()
            parts = [title, *self.container_sentence(e), capitalised(self.series(e))]
        else:
            parts = [title, self.edition(e), *self.contributor_sentences(e)]
            kept = [p for p in parts if p]
            kept[-1] = units(kept[-1], self.volumes(e))   # the volume goes on from what is before it
            parts = [*kept, capitalised(self.series(e))]
        last = units(word, Text("by ", self.names.listed(by)) if by else Text())
        pub = [] if online else self.publication_sentences(e)
        if pub and pub[-1]:
            pub[-1] = units(pub[-1], last)
        else:
            kept = [p for p in parts if p]
            parts = [*kept[:-1], units(kept[-1], last)] if kept else [last]
        return sentences(*parts, *pub, *self.tail_sentences(e))

    bib_mvinreference = bib_inreference

    def bib_other(self, e) -> Text:
        journal = has(e, "journaltitle")
        version = Text("Version ", rich(e, "version")) if has(e, "version") else Text()
        publisher = next((n for n in ("publisher", "organization", "institution", "howpublished")
                          if has(e, n)), "publisher")
        return sentences(self.lead(e), *self.title_sentences(e, "quoted" if journal else "italic"),
                         self.journal(e) if journal else Text(), capitalised(roman(rich(e, "type"))), version,
                         capitalised(self.edition(e)), *self.contributor_sentences(e, skip=self.head_role(e)),
                         self.volume_sentence(e), capitalised(self.series(e)),
                         capitalised(roman(rich(e, "note"))),
                         *self.publication_sentences(e, publisher=publisher, precise=True),
                         *self.tail_sentences(e))


def _lowered(text: Text) -> Text:
    """A contributor's sentence inside another: "edited by A"."""
    s = str(text)
    if s[:1].isupper() and s.split(" ", 1)[0] in {w.split(" ")[0] for w in CONTRIBUTOR_WORDS.values()} | {
            "Translated", "With", "Edited,"}:
        return Text(s[0].lower()) + text[1:]
    return text


# --------------------------------------------------------------------------
# sorting


def _collate(text: str) -> str:
    """Text as biber compares it: accents and case ignored, every mark that is not a letter or
    digit sorting before the letters and digits (word by word: "R Core" before "Rachewiltz")."""
    text = unicodedata.normalize("NFKD", plain(text))
    out = []
    for ch in text:
        if unicodedata.combining(ch):
            continue
        out.append(ch.casefold() if ch.isalnum() else "\x01")
    return re.sub("\x01+", "\x01", "".join(out)).strip(" ")


#: what biblatex leaves out of names when it sorts them (``\DeclareNosort``): an Arabic article
#: ("al-Jabartī" under J) and the marks of ʿayn and hamza
_NOSORT = re.compile(r"^[^\W\d_]{2}[-\u2010\u2011\u2012\u2013]|[\u02bf\u2018]")


def _name_part(words: list[str]) -> str:
    return " ".join(_NOSORT.sub("", plain(w)) for w in words if w)


def _name_key(person) -> tuple[str, ...]:
    if person.corporate:
        return (_collate(person.literal),)
    family = _name_part(person.last_names)
    prefix = _name_part(person.prelast_names)
    given = _name_part(person.first_names + person.middle_names)
    suffix = _name_part(person.lineage_names)
    if person.family_first:   # sorted as the same name in Western order would be
        return (_collate(f"{prefix} {family}".strip()), _collate(given), _collate(suffix), "")
    if person.useprefix and prefix:
        return (_collate(f"{prefix} {family}"), _collate(given), _collate(suffix), "")
    return (_collate(family), _collate(given), _collate(suffix), _collate(prefix))


#: the name roles biblatex-chicago sorts by, in order (``cms``)
SORT_ROLES = ("sortname", "author", "namea", "editor", "nameb", "translator", "namec")
#: reference works are sorted by title (``\DeclareSortExclusion``)
NO_NAME_SORT = {"inreference", "mvreference", "reference"}


def sort_key(entry) -> tuple:
    """The place of ``entry`` in the list (see the module documentation)."""
    fields = entry.fields
    presort = _collate(fields.get("presort", ""))
    if fields.get("sortkey", "").strip():
        return (presort, 0, ((_collate(fields["sortkey"]),),), "", "", "")
    names: tuple = ()
    if entry.type not in NO_NAME_SORT:
        skip = set()
        if not _option(entry, "useauthor", True):
            skip.add("author")
        if not _option(entry, "useeditor", True):
            skip.add("editor")
        for role in SORT_ROLES:
            persons = entry.persons.get(role)
            if persons and role not in skip:
                names = tuple(_name_key(p) for p in persons)
                break
    title = _collate(fields.get("sorttitle", "") or fields.get("title", ""))
    if not names:
        for name in ("sorttitle", "journaltitle", "organization", "title"):
            excluded = name == "organization" and entry.type in ("misc", "online")
            if fields.get(name, "").strip() and not excluded:
                names = ((_collate(fields[name]),),)
                break
    date = entry_date(entry)
    year = fields.get("sortyear", "").strip() or (str(date.year) if date is not None and date.year else "")
    volume = fields.get("volume", "").strip()
    volume = volume.rjust(4, "0") if volume.isdigit() else (_collate(volume) or "0000")
    return (presort, 1, names, title, _collate(year), volume)


# --------------------------------------------------------------------------


@dataclass(frozen=True)
class ListedEntry:
    key: str
    text: Text


def listed_keys(bibliography, cited: Iterable[str], nocite: Iterable[str] = ()) -> list[str]:
    """The keys the list prints: the cited ones, ``nocite`` (``*``: every entry), and a volume
    two or more of whose chapters are listed (biblatex's ``mincrossrefs``), once each."""
    nocite = list(nocite)
    keys = list(bibliography) if "*" in nocite else []
    keys += [k for k in (*cited, *nocite) if k != "*"]
    keys = [k for k in dict.fromkeys(keys) if k in bibliography]
    children: dict[str, int] = {}
    for key in keys:
        entry = bibliography[key]
        parent = getattr(entry, "crossref", None)
        if parent:
            children[parent] = children.get(parent, 0) + 1
    keys += [p for p, n in children.items() if n >= 2 and p in bibliography and p not in keys]
    return keys


def bibliography_list(style: BibliographyStyle, bibliography, keys: Iterable[str]) -> list[ListedEntry]:
    """The entries of ``keys``, sorted, each in its bibliography form (unrendered rich text)."""
    entries = sorted((bibliography[k] for k in dict.fromkeys(keys)), key=sort_key)
    listed = frozenset(e.key for e in entries)
    out = []
    previous: tuple[str, ...] = ()
    for entry in entries:
        names = style.head_names(entry)
        dash = bool(names) and names == previous
        out.append(ListedEntry(entry.key, style.format_bibliography_entry(
            entry, listed=listed, bibliography=bibliography, dash=dash)))
        previous = names
    return out


__all__ = [
    "HEADING",
    "NAME_DASH",
    "BibliographyStyle",
    "ListedEntry",
    "Tag",
    "bibliography_list",
    "listed_keys",
    "sort_key",
]
