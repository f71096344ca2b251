"""Acceptance: the 80 notes of the corpus paper, exactly as expected.

Reads the external corpus in place (never copied into the repository);
skipped when it is not beside the repository. Each expected note is its own test case, compared after the
same normalisation as the acceptance hook (NFC, no-break spaces as spaces,
Markdown backslash escapes removed, whitespace collapsed).
"""

from __future__ import annotations

import json
import re
import unicodedata

import pytest

from conftest import CORPUS, CORPUS_MISSING
from pressroom.citations.notes import list_notes

#: one worker runs this module (pytest-xdist): the corpus paper's notes are listed once and read by every test
pytestmark = pytest.mark.xdist_group("corpus_notes")

PAPER = CORPUS / "situational-cordiality"
if not (PAPER / "expected-notes.json").is_file():
    pytest.skip(CORPUS_MISSING, allow_module_level=True)
EXPECTED = json.loads((PAPER / "expected-notes.json").read_text(encoding="utf-8"))


def norm(s: str) -> str:
    s = unicodedata.normalize("NFC", s).replace("\u00a0", " ")
    s = re.sub(r"\\([^\w\s])", r"\1", s)
    return re.sub(r"\s+", " ", s).strip()


@pytest.fixture(scope="module")
def notes() -> list[str]:
    return list_notes(PAPER / "paper.md", options={"style": "working-paper"})  # its template's style


def test_note_count(notes):
    assert len(notes) == len(EXPECTED) == 80


@pytest.mark.parametrize("expected", EXPECTED, ids=[f"note{e['n']:02d}" for e in EXPECTED])
def test_note(notes, expected):
    assert norm(notes[expected["n"] - 1]) == norm(expected["text"])


def test_page_labels_carry_no_break_space(notes):
    """House style §8: U+00A0 after p./pp. in the Markdown output."""
    assert "p.\u00a0189" in notes[1]
    assert "pp.\u00a03–8" in notes[4]
