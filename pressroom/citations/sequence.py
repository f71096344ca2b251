"""Which note is full, short or Ibid., and clusters (docs/citation-styles.md, "Full notes,
short notes, Ibid.").

:class:`NoteSequencer` walks the notes of a document in order. Every
footnote is a note, whether it comes from a running-text citation or is an
explicit footnote (``[^1]``); call :meth:`NoteSequencer.begin_note` with the
keys the note cites (all its citations, known before rendering), then
:meth:`NoteSequencer.cluster` for each citation cluster in it, then
:meth:`NoteSequencer.end_note`. A footnote with no citation still counts: it
breaks an Ibid. chain.

Rules:

- the first citation of a source is a full note;
- a later citation is "Ibid." when Ibid. is on, the current note cites only
  this source, and the previous citation (the previous note, or an earlier
  citation of the same note) cited only this source: "Ibid., p. 142." with a
  locator, "Ibid." when neither has a locator; when only the previous one had
  a locator, the ``repeat_without_locator`` setting decides: "Ibid." (as
  biblatex-chicago prints it) or the short note (a bare "Ibid." would mean
  the same page);
- with Ibid. off, the same repeats are the author's name and the locator
  ("Spence, 45."; CMOS 14.34), or the short note when there is no author;
- a chapter cited from a volume (``crossref``) makes the volume cited too: its
  own first citation is a short note, and the chapters cited after it refer to
  the volume by its short note ("in Evans, *Bringing the State Back In*");
- a note citing two or more sources is never Ibid., and the note after it
  does not use Ibid.;
- everything else is a short note.

Decision (Chicago 14.34): "Ibid." is capitalised only where it opens the
note; after a prefix or other text of the note it is "ibid." ("See ibid.,
p. 5").

Locators: see :mod:`.locators` (re-exported here).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from pybtex.richtext import Text

from .chicago import Style
from .locators import Locator, abbreviate_range, normalise_range, paginated, parse_locator

#: entry types cited by a headword, not a page
HEADWORD_TYPES = {"inreference", "mvinreference"}

__all__ = [
    "CitationItem",
    "Locator",
    "NoteSequencer",
    "abbreviate_range",
    "add_final_stop",
    "normalise_range",
    "parse_locator",
]


@dataclass
class CitationItem:
    """One item of a citation cluster: ``[prefix @key, suffix]``."""

    key: str
    prefix: Text = field(default_factory=Text)
    suffix: str = ""
    mode: str = "normal"  # "normal", "author-in-text", "suppress-author"

    def split_suffix(self, warn=None, *, headword: bool = False) -> tuple[Locator | None, str]:
        """The locator and the rest. ``headword``: the entry is an article of a
        dictionary or encyclopedia, cited by its headword ("s.v. “Mohism”",
        CMOS 14.232–34), which is the whole suffix."""
        s = self.suffix.strip()
        after_comma = s.startswith(",")
        if after_comma:
            s = s[1:]
        if headword and s.strip():
            word = re.sub(r"^s\.\s?v\.\s*", "", s.strip())
            return Locator("s.v.", word.strip().strip("“”\"")), ""
        locator, rest = parse_locator(s, warn=warn)
        if locator is None and after_comma and rest.strip():
            # no page or label: what follows the comma is the place as typed ("aac4716-3",
            # "emphasis added"), printed after a comma as biblatex prints its postnote
            return Locator("", rest.strip()), ""
        return locator, rest


@dataclass
class _Previous:
    key: str | None = None  # the only source of the previous citation, else None
    locator: Locator | None = None
    printed_locator: bool = False   # its note showed the locator (not a bare "Ibid.")


def add_final_stop(text: Text) -> Text:
    """End a note with a full stop, not doubled after "Ibid." or "eds." and
    not added after a closing ? or ! (quotes looked through)."""
    s = str(text).rstrip().rstrip("”’\"'")
    if s.endswith((".", "?", "!")):
        return text
    return Text(text, ".")


def _entries(bibliography, keys):
    """The usable entries of ``keys`` (a broken one is reported where it is cited)."""
    from pressroom.errors import PressroomError
    for key in keys:
        with contextlib.suppress(KeyError, PressroomError):
            yield bibliography[key]


class NoteSequencer:
    """Stateful: one instance per document, notes fed in order."""

    def __init__(self, style: Style, bibliography, *,
                 warn: Callable[[str], None] | None = None, ibid: bool | None = None,
                 cited: Iterable[str] = ()):
        self.style = style
        self.bib = bibliography
        self.warn = warn
        self.ibid = style.options.ibid if ibid is None else ibid
        self.seen: set[str] = set()
        #: entries printed in full at least once (a crossref parent among them): never forgotten
        self.printed: set[str] = set()
        cited = [k for k in dict.fromkeys(cited) if k in bibliography]
        if cited:
            style.know(_entries(bibliography, cited))
        self.prev = _Previous()
        self._note_keys: set[str] | None = None
        self._in_note_prev: _Previous | None = None
        self.decisions: list[tuple[str, str]] = []  # (key, form), for tests

    # ---- note boundaries -------------------------------------------------

    def forget(self, keys: Iterable[str] | None = None) -> None:
        """Cite ``keys`` (default: every source) as if for the first time, and
        break the Ibid. chain (a new chapter of a book, CMOS 14.29)."""
        if keys is None:
            self.seen.clear()
        else:
            self.seen.difference_update(keys)
        self.prev = _Previous()

    def begin_note(self, keys: Iterable[str]) -> None:
        self._note_keys = set(keys)
        self._in_note_prev = None

    def end_note(self) -> None:
        keys = self._note_keys or set()
        if len(keys) == 1 and self._in_note_prev is not None:
            self.prev = self._in_note_prev
        else:
            self.prev = _Previous()
        self._note_keys = None
        self._in_note_prev = None

    def note(self, items: list[CitationItem]) -> Text:
        """A whole running-text note: one cluster, capitalised, full stop."""
        self.begin_note(i.key for i in items)
        text = self.cluster(items, note_initial=True)
        self.end_note()
        return add_final_stop(text)

    # ---- decisions -------------------------------------------------------

    @staticmethod
    def _cited_by_headword(entry, suffix: str) -> bool:
        """A reference work is cited by headword ("s.v. “Mohism”"); but an article of one in
        the Zotero shape (``title`` the article, ``booktitle`` the work, ``pages``) is its own
        headword, so a page there is a page: "512–18, by A", not "s.v. “513”" (a deviation)."""
        if getattr(entry, "type", "") not in HEADWORD_TYPES:
            return False
        if "booktitle" not in entry.fields:
            return True
        locator, rest = parse_locator(suffix.strip().removeprefix(",").strip())
        return locator is None or not (locator.is_page or locator.label == "") or bool(rest.strip())

    def decide(self, key: str, locator: Locator | None) -> str:
        if key not in self.seen:
            self.seen.add(key)
            return "full"
        prev = self._in_note_prev if self._in_note_prev is not None else self.prev
        keys = self._note_keys or {key}
        entry = self.bib.get(key) if hasattr(self.bib, "get") else None
        if entry is not None and entry.fields.get("shorthand", "").strip():
            return "short"   # the abbreviation stands for every later citation
        if len(keys) == 1 and prev.key == key:
            repeat = locator is not None or prev.locator is None or \
                self.style.options.repeat_without_locator == "ibid"
            if repeat:
                return "ibid" if self.ibid else "repeat"
        return "short"

    def _mark_printed(self, key: str, entry) -> None:
        """A citation of a chapter counts as a citation of its volume (biblatex-chicago)."""
        self.printed.add(key)
        parent = getattr(entry, "crossref", None) or getattr(entry, "xref", None)
        if parent and parent in self.bib:
            self.printed.add(parent)
            self.seen.add(parent)

    def cluster(self, items: list[CitationItem], *, note_initial: bool = False) -> Text:
        """Render one cluster (items joined by "; "), without final stop.

        ``note_initial``: the cluster opens its note, so a prefix or a name
        particle that opens it gets a capital ("See", "Van de Ven").
        """
        if self._note_keys is None:  # used outside begin/end: a note of its own
            self.begin_note(i.key for i in items)
        parts = []
        capital = False   # does the note open with a word that takes a capital there?
        for n, item in enumerate(items):
            headword = item.key in self.bib and self._cited_by_headword(self.bib[item.key], item.suffix)
            locator, rest = item.split_suffix(warn=self.warn, headword=headword)
            if item.key in self.bib:   # "181" in a work counted in columns is "col. 181", typed or not
                locator = paginated(locator, self.bib[item.key].fields.get("pagination", ""))
            form = self.decide(item.key, locator)
            self.decisions.append((item.key, form))
            previous = self._in_note_prev if self._in_note_prev is not None else self.prev
            shown = locator
            if form == "ibid" and locator is not None and locator == previous.locator \
                    and (previous.printed_locator or locator.label != "s.v."):
                # the same page again: "Ibid." alone (biblatex's ibidpage); a headword is named
                # again after a bare "Ibid.", as biblatex-chicago does
                shown = None
            entry = self.bib[item.key]
            opens = note_initial and n == 0 and not str(item.prefix).strip()
            text = self.style.format_note(
                entry, form=form, locator=shown,
                suppress_author=item.mode == "suppress-author", warn=self.warn,
                bibliography=self.bib, seen_parent=self.printed.__contains__)
            self._mark_printed(item.key, entry)
            if form == "ibid" and not opens:
                text = Text("i", text[1:])
            if note_initial and n == 0:
                # a prefix ("see") or a name particle ("van de Ven") opens the note with a
                # capital; a name or title that is lowercase itself ("al-Jabartī") stays so
                capital = bool(str(item.prefix).strip()) or self.style.opens_with_particle(
                    entry, form, suppress_author=item.mode == "suppress-author")
            self._in_note_prev = _Previous(item.key, locator, printed_locator=shown is not None)
            piece = []
            if str(item.prefix).strip():
                piece += [item.prefix, " "]
            piece.append(text)
            rest = rest.strip()
            if rest:
                piece.append(rest if re.match(r"^[,;:.)\]]", rest) else " " + rest)
            parts.append(Text(*piece))
        text = Text("; ").join(parts)
        if capital:
            text = text.capfirst()
        return text
