"""The golden Chicago notes (tests/data/chicago/golden/*.json) replayed through pressroom.

Used by ``tests/test_chicago_golden.py`` (one test per golden file, naming each note that
fails) and runnable as a report::

    .venv/bin/python tests/chicago_golden.py [--all] [--show N] [STEM ...]

which prints the share of notes equal to biblatex-chicago's, per file and option, how many
of the others differ on purpose (tests/data/chicago/deviations.toml), and the first N
differences not explained there (with --all, the explained ones too): ours, then the golden.
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
    cites: tuple[tuple[str, str, str, bool], ...]   # (key, prefix, locator, suppress author)
    expected: str

    @property
    def id(self) -> str:
        return f"{self.stem}.{self.option}.{self.n:03d}-{self.cites[0][0]}"


def golden_files() -> list[Path]:
    """The golden notes: <stem>.ibid.json and <stem>.noibid.json."""
    return sorted(p for p in GOLDEN.glob("*.json") if p.stem.rsplit(".", 1)[1] in OPTIONS)


def bibliography_golden_files() -> list[Path]:
    """The golden bibliographies: <stem>.bibliography.json (every entry of entries/<stem>.bib)."""
    return sorted(GOLDEN.glob("*.bibliography.json"))


@cache
def deviations() -> list[dict]:
    """The deviations of tests/data/chicago/deviations.toml."""
    path = DATA / "deviations.toml"
    return tomllib.loads(path.read_text(encoding="utf-8")).get("deviation", []) if path.is_file() else []


def cut_titles_at_colon(golden: str) -> set[str]:
    """The golden note with its first title, or every title (italic or quoted), cut at the
    colon: what our short notes print for titles that hold "Title: Subtitle"."""
    def cut(text: str, count: int) -> str:
        text = re.sub(r"(\*[^*:]+): [^*]+\*", r"\1*", text, count=count)
        return re.sub(r"(“[^”:]+): [^”]+?([.,]?”)", r"\1\2", text, count=count)
    first_italic = re.sub(r"(\*[^*:]+): [^*]+\*", r"\1*", golden, count=1)
    first_quoted = re.sub(r"(“[^”:]+): [^”]+?([.,]?”)", r"\1\2", golden, count=1)
    return {first_italic, first_quoted, cut(golden, 0)}


def colon_in_title(case: Case) -> bool:
    """A cited entry's title (or its volume's) holds "Title: Subtitle" and nothing shorter
    is given."""
    bib = _bibliography(case.stem)
    entries = []
    for key, *_ in case.cites:
        if key in bib:
            entry = bib[key]
            entries += [entry] + [bib[k] for k in (entry.crossref, entry.xref) if k and k in bib]
    return any(": " in e.fields.get("title", "") and not e.fields.get("shorttitle")
               and not e.fields.get("subtitle") for e in entries)


@cache
def _bibliography(stem: str):
    from pressroom.citations.bibliography import load_bibliography
    return load_bibliography(DATA / "entries" / f"{stem}.bib")


def deviation_for(case: Case, ours: str) -> str | None:
    """The reason a note that differs from the golden one differs on purpose, or None."""
    for dev in deviations():
        if case.id in dev.get("notes", ()):
            return dev["reason"].strip()
        if dev.get("rule") == "short-title-at-colon" and colon_in_title(case) \
                and norm(ours) in {norm(c) for c in cut_titles_at_colon(case.expected)}:
            return dev["reason"].strip()
    return None


@cache
def replay(path: Path) -> tuple[list[Case], list[str]]:
    """The golden notes of one file and ours for the same sequence."""
    from pressroom.citations.bibliography import load_bibliography
    from pressroom.citations.chicago import Style
    from pressroom.citations.pandoc_filter import read_options
    from pressroom.citations.sequence import CitationItem, NoteSequencer

    stem, option = path.stem.rsplit(".", 1)
    golden = json.loads(path.read_text(encoding="utf-8"))
    bib = load_bibliography(DATA / golden["source"])
    style = Style(options=read_options({}, OPTIONS[option]))
    keys = [c["key"] for note in golden["notes"] for c in note["cites"]]
    seq = NoteSequencer(style, bib, warn=lambda message: None, cited=keys)
    cases, ours = [], []
    for note in golden["notes"]:
        cites = tuple((c["key"], c.get("prefix", ""), c.get("locator", ""), bool(c.get("suppress_author")))
                      for c in note["cites"])
        cases.append(Case(stem, option, note["n"], cites, note["text"]))
        if note.get("reset_before"):   # the oracle's reset: these keys as never cited
            seq.forget([cite[0] for cite in cites])
        items = [CitationItem(key, prefix=Text(prefix) if prefix else Text(),
                              suffix=f", {locator}" if locator else "",   # as pandoc gives it
                              mode="suppress-author" if suppress else "normal")
                 for key, prefix, locator, suppress in cites]
        try:
            ours.append(style.render(seq.note(items), "markdown"))
        except Exception as exc:  # a crash is a wrong note, reported with the others
            ours.append(f"<{type(exc).__name__}: {exc}>")
    return cases, ours


@dataclass(frozen=True)
class ListCase:
    """One entry of a golden bibliography: its place, key and text."""
    stem: str
    n: int
    key: str
    expected: str

    @property
    def id(self) -> str:
        return f"{self.stem}.bibliography.{self.key}"

    @property
    def cites(self) -> tuple[tuple[str, str, str, bool], ...]:
        return ((self.key, "", "", False),)


def list_deviation_for(case: ListCase, ours: str) -> str | None:
    """The reason an entry that differs from the golden one differs on purpose, or None: listed
    by id in deviations.toml, or the short title of a listed volume cut at its colon."""
    for dev in deviations():
        if case.id in dev.get("entries", ()):
            return dev["reason"].strip()
        if dev.get("rule") == "short-title-at-colon" and _parent_title_has_colon(case) \
                and norm(ours) in {norm(c) for c in cut_titles_at_colon(case.expected)}:
            return dev["reason"].strip()
    return None


def _parent_title_has_colon(case: ListCase) -> bool:
    bib = _bibliography(case.stem)
    entry = bib[case.key]
    parents = [bib[k] for k in (entry.crossref, entry.xref) if k and k in bib]
    return any(": " in e.fields.get("title", "") and not e.fields.get("shorttitle")
               and not e.fields.get("subtitle") for e in parents)


@cache
def replay_list(path: Path) -> tuple[list[ListCase], list[str], list[str]]:
    """The golden bibliography of one file, ours for the same entries (``nocite: '@*'``), and
    our order of the keys."""
    from pressroom.citations.bibliography import load_bibliography
    from pressroom.citations.pandoc_filter import read_options
    from pressroom.citations.reference_list import BibliographyStyle, bibliography_list, listed_keys

    stem = path.name.split(".", 1)[0]
    golden = json.loads(path.read_text(encoding="utf-8"))
    bib = load_bibliography(DATA / golden["source"])
    style = BibliographyStyle(options=read_options({}, OPTIONS["ibid"]), entries=[bib[k] for k in bib])
    listed = bibliography_list(style, bib, listed_keys(bib, [], ["*"]))
    ours = {item.key: style.render(item.text, "markdown") for item in listed}
    cases = [ListCase(stem, e["n"], e["key"], e["text"]) for e in golden["entries"]]
    return cases, [ours.get(c.key, "<not listed>") for c in cases], [item.key for item in listed]


def all_cases() -> list[tuple[Case, str]]:
    out = []
    for path in golden_files():
        cases, ours = replay(path)
        out.extend(zip(cases, ours))
    return out


def main(argv: list[str]) -> int:
    show, everything = 0, False
    if argv[:1] == ["--all"]:
        everything, argv = True, argv[1:]
    if argv[:1] == ["--show"]:
        show, argv = int(argv[1]), argv[2:]
    total = same = total_kept = 0
    shown = 0
    for path in golden_files():
        if argv and path.stem.rsplit(".", 1)[0] not in argv:
            continue
        cases, ours = replay(path)
        ok = sum(norm(c.expected) == norm(o) for c, o in zip(cases, ours))
        kept = sum(norm(c.expected) != norm(o) and deviation_for(c, o) is not None
                   for c, o in zip(cases, ours))
        total += len(cases)
        same += ok
        total_kept += kept
        print(f"{path.name:40} {ok:5}/{len(cases):<5} {100 * ok / max(len(cases), 1):5.1f} %"
              f"   + {kept} deviations on purpose")
        for c, o in zip(cases, ours):
            if norm(c.expected) != norm(o) and shown < show and (everything or deviation_for(c, o) is None):
                shown += 1
                print(f"  {c.id} {c.cites}\n    ours: {norm(o)}\n    gold: {norm(c.expected)}")
    print(f"{'all':40} {same:5}/{total:<5} {100 * same / max(total, 1):5.1f} %"
          f"   + {total_kept} deviations on purpose")
    total = same = total_kept = in_place = 0
    for path in bibliography_golden_files():
        if argv and path.name.split(".", 1)[0] not in argv:
            continue
        cases, ours, order = replay_list(path)
        ok = sum(norm(c.expected) == norm(o) for c, o in zip(cases, ours))
        kept = sum(norm(c.expected) != norm(o) and list_deviation_for(c, o) is not None
                   for c, o in zip(cases, ours))
        placed = sum(a == c.key for a, c in zip(order, cases))
        total, same = total + len(cases), same + ok
        total_kept, in_place = total_kept + kept, in_place + placed
        print(f"{path.name:40} {ok:5}/{len(cases):<5} {100 * ok / max(len(cases), 1):5.1f} %"
              f"   + {kept} deviations on purpose; {placed}/{len(cases)} in biblatex-chicago's place")
        for c, o in zip(cases, ours):
            explained = list_deviation_for(c, o) is not None
            if norm(c.expected) != norm(o) and shown < show and (everything or not explained):
                shown += 1
                print(f"  {c.id}\n    ours: {norm(o)}\n    gold: {norm(c.expected)}")
        if order != [c.key for c in cases] and shown < show:
            shown += 1
            print(f"  order differs: ours {order}\n  gold {[c.key for c in cases]}")
    print(f"{'all bibliography entries':40} {same:5}/{total:<5} {100 * same / max(total, 1):5.1f} %"
          f"   + {total_kept} deviations on purpose; {in_place}/{total} in place")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    sys.exit(main(sys.argv[1:]))
