"""The notes of one pass over a document, kept to be given again in the same order.

The convert stage makes the Chicago notes twice over the same document: as
LaTeX for the PDF, and as pandoc's inlines for the word count. The second
pass takes the first pass's notes (pybtex's rich text, rendered again in the
other format) instead of making them again: the same notes, half the work.
No pybtex here: a manuscript without citations imports none.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pybtex.richtext import Text

    from .sequence import CitationItem, NoteSequencer


class NotesMade:
    """The notes of one pass over a document, kept to be given again in the same order: the
    word count's pass (pandoc's inlines) takes the build's LaTeX pass's notes instead of making
    them a second time. A book's parts share one, part after part."""

    def __init__(self) -> None:
        self.texts: list[Text] = []
        self._given = 0

    def recording(self, seq: NoteSequencer) -> _Recording:
        """``seq``, keeping here the notes it makes."""
        return _Recording(seq, self.texts)

    def given(self) -> _Given:
        """In place of a NoteSequencer: the notes kept here, in their order."""
        return _Given(self)

    def next(self) -> Text:
        self._given += 1
        return self.texts[self._given - 1]


class _Recording:
    """A NoteSequencer whose notes are kept (NotesMade) as it makes them."""

    def __init__(self, seq: NoteSequencer, texts: list[Text]):
        self.seq, self.texts = seq, texts

    def begin_note(self, keys) -> None:
        self.seq.begin_note(keys)

    def end_note(self) -> None:
        self.seq.end_note()

    def note(self, items: list[CitationItem]) -> Text:
        self.texts.append(self.seq.note(items))
        return self.texts[-1]

    def cluster(self, items: list[CitationItem], *, note_initial: bool = False) -> Text:
        self.texts.append(self.seq.cluster(items, note_initial=note_initial))
        return self.texts[-1]


class _Given:
    """In place of a NoteSequencer: the notes a first pass made (NotesMade), in its order."""

    def __init__(self, made: NotesMade):
        self.made = made

    def begin_note(self, keys) -> None:
        pass

    def end_note(self) -> None:
        pass

    def note(self, items: list[CitationItem]) -> Text:
        return self.made.next()

    def cluster(self, items: list[CitationItem], *, note_initial: bool = False) -> Text:
        return self.made.next()

