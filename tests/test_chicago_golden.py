"""The `chicago` style against biblatex-chicago, note by note.

Each golden file is tests/data/chicago/golden/<file>.<ibid|noibid>.json: the standard
citation sequence of tests/data/chicago/README.md (first, repeated and later citations of 611
entries written from real publications) as biblatex-chicago 3.18b prints it, with Ibid. on and
off. Every one of our notes must be the same after light normalisation (no-break spaces,
Markdown escapes), or differ in a way tests/data/chicago/deviations.toml explains with its
reason. One test per golden file checks all its notes and reports every note that fails, with
its id, ours and the golden one. The bibliography list is checked the same way, one test per
golden/<file>.bibliography.json (biblatex-chicago's \\printbibliography of every entry of the
file): each entry's text, and the order of the whole list. The golden files are made by
tests/oracle/chicago_golden.py (biber and biblatex-chicago needed only there);
`.venv/bin/python tests/chicago_golden.py --show 20` prints a summary.
"""

from __future__ import annotations

import pytest

from chicago_golden import (
    all_cases,
    bibliography_golden_files,
    deviation_for,
    deviations,
    golden_files,
    list_deviation_for,
    norm,
    replay,
    replay_list,
)

#: one worker: the notes of every golden file are made once (chicago_golden.replay is cached), not
#: once for each worker that runs one of these tests
pytestmark = pytest.mark.xdist_group("chicago_golden")

GOLDEN_FILES = golden_files()
LIST_FILES = bibliography_golden_files()


def test_there_are_golden_notes_for_every_entries_file():
    cases = all_cases()
    files = {case.stem for case, _ in cases}
    assert files >= {"books", "periodicals", "parts-and-others"}
    assert len(cases) > 3000


def test_at_least_95_percent_of_notes_are_biblatex_chicagos():
    cases = all_cases()
    same = sum(norm(case.expected) == norm(ours) for case, ours in cases)
    assert same / len(cases) >= 0.95, f"{same}/{len(cases)}"


@pytest.mark.parametrize("path", GOLDEN_FILES, ids=[path.name for path in GOLDEN_FILES])
def test_every_note_is_biblatex_chicagos_or_a_listed_deviation(path):
    cases, ours = replay(path)
    assert cases, f"{path.name} holds no notes"
    listed = {note for d in deviations() for note in d.get("notes", ())}
    failures = []
    for case, note in zip(cases, ours, strict=True):
        if norm(case.expected) == norm(note):
            if case.id in listed:
                failures.append(f"{case.id} now equals biblatex-chicago's note: "
                                "remove it from deviations.toml")
        elif deviation_for(case, note) is None:
            failures.append(f"{case.id}\n ours: {norm(note)}\n gold: {norm(case.expected)}")
    assert not failures, f"{len(failures)} of {len(cases)} notes:\n" + "\n".join(failures)


@pytest.mark.parametrize("path", LIST_FILES, ids=[path.name for path in LIST_FILES])
def test_the_bibliography_list_is_biblatex_chicagos_or_a_listed_deviation(path):
    cases, ours, order = replay_list(path)
    assert len(cases) > 50, f"{path.name} holds {len(cases)} entries"
    listed = {entry for d in deviations() for entry in d.get("entries", ())}
    failures = []
    for case, entry in zip(cases, ours, strict=True):
        if norm(case.expected) == norm(entry):
            if case.id in listed:
                failures.append(f"{case.id} now equals biblatex-chicago's entry: "
                                "remove it from deviations.toml")
        elif list_deviation_for(case, entry) is None:
            failures.append(f"{case.id}\n ours: {norm(entry)}\n gold: {norm(case.expected)}")
    golden_order = [case.key for case in cases]
    if order != golden_order:
        moved = [f"{i}: ours {a}, biblatex-chicago {b}" for i, (a, b) in enumerate(zip(order, golden_order))
                 if a != b]
        failures.append(f"the order differs from biblatex-chicago's at {len(moved)} places: "
                        + "; ".join(moved[:5]))
    assert not failures, f"{len(failures)} of {len(cases)} entries:\n" + "\n".join(failures)


def test_at_least_95_percent_of_bibliography_entries_are_biblatex_chicagos():
    pairs = [(c, o) for path in LIST_FILES for c, o in zip(*replay_list(path)[:2])]
    same = sum(norm(case.expected) == norm(ours) for case, ours in pairs)
    assert len(pairs) > 500 and same / len(pairs) >= 0.95, f"{same}/{len(pairs)}"
