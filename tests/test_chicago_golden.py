"""The `chicago` style against biblatex-chicago, note by note.

Each case is one note of tests/data/chicago/golden/<file>.<ibid|noibid>.json: the standard
citation sequence of tests/data/chicago/README.md (first, repeated and later citations of 446
entries written from real publications) as biblatex-chicago 3.18b prints it, with Ibid. on and
off. Our note must be the same after light normalisation (no-break spaces, Markdown escapes),
or differ in a way tests/data/chicago/deviations.toml explains with its reason. The golden
files are made by tests/oracle/chicago_golden.py (biber and biblatex-chicago needed only
there); `.venv/bin/python tests/chicago_golden.py --show 20` prints a summary.
"""

from __future__ import annotations

import pytest

from chicago_golden import all_cases, deviation_for, deviations, norm

CASES = all_cases()


def test_there_are_golden_notes_for_every_entries_file():
    files = {case.stem for case, _ in CASES}
    assert files >= {"books", "periodicals", "parts-and-others"}
    assert len(CASES) > 3000


def test_at_least_95_percent_of_notes_are_biblatex_chicagos():
    same = sum(norm(case.expected) == norm(ours) for case, ours in CASES)
    assert same / len(CASES) >= 0.95, f"{same}/{len(CASES)}"


@pytest.mark.parametrize("case, ours", CASES, ids=[case.id for case, _ in CASES])
def test_note(case, ours):
    if norm(case.expected) == norm(ours):
        listed = [d for d in deviations() if case.id in d.get("notes", ())]
        assert not listed, f"{case.id} now equals biblatex-chicago's note: remove it from deviations.toml"
        return
    assert deviation_for(case, ours) is not None, f"\n ours: {norm(ours)}\n gold: {norm(case.expected)}"
