"""The word count takes the notes the LaTeX pass made (citations/notesmade.py): the same counts as
notes made anew, for a paper and for a book's chapters (each cited on its own)."""

from __future__ import annotations

import pytest

from conftest import ROOT
from pressroom.chapters import joined
from pressroom.citations.notesmade import NotesMade
from pressroom.config import build_settings
from pressroom.convert import book_parts, cite_parts, count_words, resolve_references
from pressroom.errors import Warnings
from pressroom.manuscript import read_manuscript
from pressroom.pandoc_ast import read_markdown


@pytest.mark.parametrize("manuscript", ["manuscript/paper.md", "tests/data/book/book.md"])
def test_the_notes_given_again_count_as_the_notes_made_anew(manuscript, tmp_path):
    md = ROOT / manuscript
    warnings = Warnings(echo=False)
    settings = build_settings(read_manuscript(md, warnings), out_dir=tmp_path, warnings=warnings)
    parts = book_parts(read_markdown(md), settings)
    doc = joined(parts[0][1], [part for _, part, _ in parts[1:]])
    made = NotesMade()
    cite_parts(resolve_references(doc, settings), parts, settings, warnings, record=made)
    assert len(made.texts) >= 6 and any(str(t) == "Ibid." for t in made.texts)
    assert count_words(doc, settings, parts, made).as_dict() == count_words(doc, settings, parts).as_dict()
    with pytest.raises(IndexError):               # every note was given once: none left over
        made.next()
