"""Which note is full, short or Ibid. (house-style §6), and clusters.

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
  locator, "Ibid." when neither has a locator, the short note when only the
  previous one had a locator (a bare "Ibid." would mean the same page);
- a note citing two or more sources is never Ibid., and the note after it
  does not use Ibid.;
- everything else is a short note.

Decision (Chicago 14.34): "Ibid." is capitalised only where it opens the
note; after a prefix or other text of the note it is "ibid." ("See ibid.,
p. 5").

Locators: see :mod:`.locators` (re-exported here).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, Iterable

from pybtex.richtext import Text

from .chicago import Style
from .locators import Locator, abbreviate_range, normalise_range, parse_locator

__all__ = ["CitationItem", "NoteSequencer", "Locator", "parse_locator",
           "abbreviate_range", "normalise_range", "add_final_stop"]


@dataclass
class CitationItem:
    """One item of a citation cluster: ``[prefix @key, suffix]``."""

    key: str
    prefix: Text = field(default_factory=Text)
    suffix: str = ""
    mode: str = "normal"  # "normal", "author-in-text", "suppress-author"
    line: int | None = None

    def split_suffix(self, warn=None) -> tuple[Locator | None, str]:
        s = self.suffix.strip()
        if s.startswith(","):
            s = s[1:]
        return parse_locator(s, warn=warn)


@dataclass
class _Previous:
    key: str | None = None  # the only source of the previous citation, else None
    locator: Locator | None = None


def add_final_stop(text: Text) -> Text:
    """End a note with a full stop, not doubled after "Ibid." or "eds." and
    not added after a closing ? or ! (quotes looked through)."""
    s = str(text).rstrip().rstrip("”’\"'")
    if s.endswith((".", "?", "!")):
        return text
    return Text(text, ".")


class NoteSequencer:
    """Stateful: one instance per document, notes fed in order."""

    def __init__(self, style: Style, bibliography, *,
                 warn: Callable[[str], None] | None = None, ibid: bool | None = None):
        self.style = style
        self.bib = bibliography
        self.warn = warn
        self.ibid = style.options.ibid if ibid is None else ibid
        self.seen: set[str] = set()
        self.prev = _Previous()
        self._note_keys: set[str] | None = None
        self._in_note_prev: _Previous | None = None
        self.decisions: list[tuple[str, str]] = []  # (key, form), for tests

    # ---- note boundaries -------------------------------------------------

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

    def decide(self, key: str, locator: Locator | None) -> str:
        if key not in self.seen:
            self.seen.add(key)
            return "full"
        prev = self._in_note_prev if self._in_note_prev is not None else self.prev
        keys = self._note_keys or {key}
        if self.ibid and len(keys) == 1 and prev.key == key:
            if locator is not None or prev.locator is None:
                return "ibid"
        return "short"

    def cluster(self, items: list[CitationItem], *, note_initial: bool = False) -> Text:
        """Render one cluster (items joined by "; "), without final stop.

        ``note_initial``: the cluster opens its note, so its first letter is
        capitalised.
        """
        if self._note_keys is None:  # used outside begin/end: a note of its own
            self.begin_note(i.key for i in items)
        parts = []
        for n, item in enumerate(items):
            locator, rest = item.split_suffix(warn=self.warn)
            form = self.decide(item.key, locator)
            self.decisions.append((item.key, form))
            entry = self.bib[item.key]
            opens = note_initial and n == 0 and not str(item.prefix).strip()
            text = self.style.format_note(
                entry, form=form, locator=locator,
                suppress_author=item.mode == "suppress-author", warn=self.warn)
            if form == "ibid" and not opens:
                text = Text("i", text[1:])
            self._in_note_prev = _Previous(item.key, locator)
            piece = []
            if str(item.prefix).strip():
                piece += [item.prefix, " "]
            piece.append(text)
            rest = rest.strip()
            if rest:
                piece.append(rest if re.match(r"^[,;:.)\]]", rest) else " " + rest)
            parts.append(Text(*piece))
        text = Text("; ").join(parts)
        if note_initial:
            text = text.capfirst()
        return text
