"""CSL-JSON and CSL-YAML bibliographies (Zotero's exports) with the Chicago engine
(pressroom/citations/cslfiles.py, bibliography.load_bibliography).

``tests/data/bib/zotero.json`` is written as Zotero exports CSL JSON (``issued: {date-parts:
[["2019"]]}``, ``container-title``, family/given names, an institution as a ``literal`` name,
``title-short``, ``page`` with a hyphen); ``zotero.yaml`` is the same as CSL YAML with
``references:``; ``zotero.bib`` the same entries as a biblatex user writes them.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import run_cli
from pressroom import tools
from pressroom.citations.bibliography import load_bibliography
from pressroom.citations.notes import list_notes
from pressroom.errors import BibliographyError

DATA = Path(__file__).parent / "data" / "bib"
CITES = ("A.[@sorensen2019, 3] B.[@ferris2009] C.[@whitcombe2015, 210] D.[@bureau1881, 4] "
         "E.[@nakamura2020] F.[@lin1998, 5] G.[@sorensen2019, 5] H.[@ferris2009, 104] I.[@lin1998] "
         "J.[@bureau1881] K.[@whitcombe2015]")


def _manuscript(folder: Path, bibliography: str, style: str) -> Path:
    """A manuscript in ``folder`` (the test's own: tests run in parallel) citing the fixture."""
    md = folder / f"paper-{Path(bibliography).suffix[1:]}-{style}.md"
    md.write_text(f"---\ntitle: T\nbibliography: {DATA / bibliography}\ncitation-style: {style}\n---\n\n"
                  f"{CITES}\n", encoding="utf-8")
    return md


@pytest.mark.parametrize("style", ["chicago", "working-paper"])
@pytest.mark.parametrize("export", ["zotero.json", "zotero.yaml"])
def test_a_zotero_export_gives_the_notes_of_the_equivalent_bib(tmp_path, export, style):
    warnings = []

    def warn(message, file=None, line=None):
        warnings.append(message)
    from_bib = list_notes(_manuscript(tmp_path, "zotero.bib", style), warn=warn,
                          bibliography=DATA / "zotero.bib")
    from_csl = list_notes(_manuscript(tmp_path, export, style), warn=warn, bibliography=DATA / export)
    assert from_csl == from_bib
    assert len(from_bib) == 11 and not warnings
    # what pressroom puts back: the short title (note 7), a report's institution (note 4), a
    # thesis's type (note 6)
    assert from_csl[6].startswith("Sorensen, *The Newspaper and the Nation*,")
    assert "Ministry of Finance" in from_csl[3]
    assert "(master’s thesis, Harvard University, 1998)" in from_csl[5]    # from "MA thesis"


def test_notes_command_reads_a_json_bibliography(tmp_path):
    (tmp_path / "refs.json").write_text((DATA / "zotero.json").read_text(encoding="utf-8"), encoding="utf-8")
    md = tmp_path / "paper.md"
    md.write_text("---\ntitle: T\nbibliography: refs.json\n---\n\nText.[@ferris2009, 104]\n",
                  encoding="utf-8")
    notes = json.loads(run_cli("notes", md, "--json").stdout)
    assert "*Journal of East Asian Print Studies*" in notes[0]["text"]


def test_a_bib_and_a_json_listed_together(tmp_path):
    (tmp_path / "one.bib").write_text("@book{extra, author = {Roe, Ann}, title = {Extra}, date = {2001}}\n"
                                      "@book{sorensen2019, title = {Duplicate}}\n", encoding="utf-8")
    seen = []
    bib = load_bibliography([tmp_path / "one.bib", DATA / "zotero.json"],
                            warn=lambda m, file=None, line=None: seen.append((m, Path(file).name, line)))
    assert {"extra", "sorensen2019", "lin1998"} <= set(bib)
    assert str(bib["sorensen2019"].fields["title"]) == "Duplicate"     # the first one, as biber
    # the duplicate is placed at the line of its "id" in the JSON file
    json_line = next(i for i, line in enumerate((DATA / "zotero.json").read_text().splitlines(), 1)
                     if '"id": "sorensen2019"' in line)
    assert any("duplicate key 'sorensen2019'" in m and f == "zotero.json" and ln == json_line
               for m, f, ln in seen), seen


@pytest.mark.parametrize("name, text, line, words", [
    ("bad.json", '[\n {"id": "a", "type": "book",\n  "title": "x",,\n }\n]\n', 3, "not valid JSON"),
    ("obj.json", '{"id": "a"}\n', 1, "a list of entries"),
    ("noid.json", '[\n {"id": "a", "type": "book"},\n {"type": "book", "title": "x"}\n]\n', 3, 'no "id"'),
    # pandoc's own complaint about the 2nd entry ($[1]) is placed at that entry
    ("date.json", '[\n {"id": "a", "type": "book"},\n {"id": "b", "type": "book",\n'
                  '  "issued": {"date-parts": [["x"]]}}\n]\n', 3, "pandoc cannot read"),
    ("bad.yaml", "---\nreferences:\n- id: a\n  title: [unclosed\n- id: b\n", 5, "not valid YAML"),
    ("map.yaml", "title: not a bibliography\n", 1, "references:"),
    ("noid.yml", "references:\n- id: a\n  type: book\n- type: book\n  title: x\n", 4, 'no "id"'),
])
def test_errors_name_the_file_and_line(tmp_path, name, text, line, words):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(BibliographyError) as caught:
        load_bibliography(path)
    err = caught.value
    assert (Path(err.file).name, err.line) == (name, line), str(err)
    assert words in err.message and err.hint


def test_yaml_without_references_key_or_delimiters(tmp_path):
    """A bare list of entries (no `references:`, no `---`) is read too."""
    path = tmp_path / "bare.yaml"
    path.write_text("- id: a\n  type: book\n  title: Alone\n  title-short: A\n"
                    "  author:\n  - family: Roe\n    given: Ann\n", encoding="utf-8")
    entry = load_bibliography(path)["a"]
    assert str(entry.fields["title"]) == "Alone" and entry.fields["shorttitle"] == "A"
    assert str(entry.persons["author"][0]) .startswith("Roe")


def test_a_restored_field_is_escaped(tmp_path):
    path = tmp_path / "esc.json"
    path.write_text(json.dumps([{"id": "a", "type": "book", "title": "T",
                                 "title-short": "50% of {A&B} ~ \\x"}]), encoding="utf-8")
    assert load_bibliography(path)["a"].fields["shorttitle"] == (
        r"50\% of \{A\&B\} \textasciitilde{} \textbackslash{}x")


def test_conversion_is_cached(tmp_path, monkeypatch):
    """The second load reads the build folder's cache: pandoc does not run again."""
    cache = tmp_path / "cache"
    first = load_bibliography(DATA / "zotero.json", cache_dir=cache)
    assert len(list(cache.glob("zotero-*.json"))) == 1

    def no_pandoc(*args, **kwargs):
        raise AssertionError("pandoc ran again")
    monkeypatch.setattr(tools, "run_pandoc", no_pandoc)
    monkeypatch.setattr("pressroom.citations.cslfiles.run_pandoc", no_pandoc)
    again = load_bibliography(DATA / "zotero.json", cache_dir=cache)
    assert {k: dict(again[k].fields) for k in again} == {k: dict(first[k].fields) for k in first}


def test_pandoc_runs_with_the_limits_given(tmp_path):
    """The conversion is a run of pandoc like any other: a time limit stops it with a located error."""
    from pressroom.errors import LimitExceeded
    with pytest.raises(LimitExceeded):
        load_bibliography(DATA / "zotero.json", limits=tools.Limits(time=0.000001))
