"""The golden Chicago notes (tests/data/chicago/golden/*.json) replayed through pressroom.

Used by ``tests/test_chicago_golden.py`` (one test case per note) and runnable as a report::

    .venv/bin/python tests/chicago_golden.py [--show N] [STEM ...]

which prints the share of notes equal to biblatex-chicago's, per file and option, and the
first N differences (ours, then the golden note).
"""

from __future__ import annotations

import json
import re
import sys
import tomllib
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from pybtex.richtext import Text

DATA = Path(__file__).resolve().parent / "data" / "chicago"
GOLDEN = DATA / "golden"
OPTIONS = {"ibid": {"style": "chicago", "ibid": True},
           "noibid": {"style": "chicago", "ibid": False}}


def norm(s: str) -> str:
    """Both sides compared as text: NFC, no-break spaces as spaces, Markdown escapes
    removed, white space collapsed."""
    s = unicodedata.normalize("NFC", s).replace("\u00a0", " ").replace("\u2009", " ")
    s = re.sub(r"<(https?://[^>\s]+)>", r"\1", s)   # a Markdown autolink is the URL
    s = re.sub(r"\\([^\w\s])", r"\1", s)
    return re.sub(r"\s+", " ", s).strip()


@dataclass(frozen=True)
class Case:
    stem: str
    option: str       # "ibid" or "noibid"
    n: int
    cites: tuple[tuple[str, str, str], ...]   # (key, prefix, locator)
    expected: str

    @property
    def id(self) -> str:
        return f"{self.stem}.{self.option}.{self.n:03d}-{self.cites[0][0]}"


def golden_files() -> list[Path]:
    return sorted(GOLDEN.glob("*.json"))


@cache
def deviations() -> dict[str, str]:
    """Note id → the reason we differ from biblatex-chicago on purpose."""
    path = DATA / "deviations.toml"
    if not path.is_file():
        return {}
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return {case_id: reason for reason_block in data.get("deviation", [])
            for case_id in reason_block["notes"] for reason in [reason_block["reason"]]}


@cache
def replay(path: Path) -> tuple[list[Case], list[str]]:
    """The golden notes of one file and ours for the same sequence."""
    from pressroom.citations.bibliography import load_bibliography
    from pressroom.citations.pandoc_filter import read_options
    from pressroom.citations.chicago import Style
    from pressroom.citations.sequence import CitationItem, NoteSequencer

    stem, option = path.stem.rsplit(".", 1)
    golden = json.loads(path.read_text(encoding="utf-8"))
    bib = load_bibliography(DATA / golden["source"])
    style = Style(options=read_options({}, OPTIONS[option]))
    keys = [c["key"] for note in golden["notes"] for c in note["cites"]]
    seq = NoteSequencer(style, bib, warn=lambda message: None, cited=keys)
    cases, ours = [], []
    for note in golden["notes"]:
        cites = tuple((c["key"], c.get("prefix", ""), c.get("locator", "")) for c in note["cites"])
        cases.append(Case(stem, option, note["n"], cites, note["text"]))
        if note.get("reset_before"):   # the oracle's reset: these keys as never cited
            seq.forget([key for key, _, _ in cites])
        items = [CitationItem(key, prefix=Text(prefix) if prefix else Text(), suffix=locator)
                 for key, prefix, locator in cites]
        try:
            ours.append(style.render(seq.note(items), "markdown"))
        except Exception as exc:  # a crash is a wrong note, reported with the others
            ours.append(f"<{type(exc).__name__}: {exc}>")
    return cases, ours


def all_cases() -> list[tuple[Case, str]]:
    out = []
    for path in golden_files():
        cases, ours = replay(path)
        out.extend(zip(cases, ours))
    return out


def main(argv: list[str]) -> int:
    show = 0
    if argv[:1] == ["--show"]:
        show, argv = int(argv[1]), argv[2:]
    total = same = 0
    shown = 0
    for path in golden_files():
        if argv and path.stem.rsplit(".", 1)[0] not in argv:
            continue
        cases, ours = replay(path)
        ok = sum(norm(c.expected) == norm(o) for c, o in zip(cases, ours))
        total += len(cases)
        same += ok
        print(f"{path.name:40} {ok:5}/{len(cases):<5} {100 * ok / max(len(cases), 1):5.1f} %")
        for c, o in zip(cases, ours):
            if norm(c.expected) != norm(o) and shown < show:
                shown += 1
                print(f"  {c.id} {c.cites}\n    ours: {norm(o)}\n    gold: {norm(c.expected)}")
    print(f"{'all':40} {same:5}/{total:<5} {100 * same / max(total, 1):5.1f} %")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    sys.exit(main(sys.argv[1:]))
