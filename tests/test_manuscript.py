"""The YAML header's errors, in a writer's words with the line; and the
Markdown line each block starts on (what LaTeX errors are mapped back to)."""

from __future__ import annotations

import json

import pytest

from pressroom.errors import ManuscriptError, Warnings
from pressroom.manuscript import read_manuscript
from pressroom.sourcelines import block_lines
from pressroom.tools import run_pandoc


def header_error(tmp_path, header: str) -> ManuscriptError:
    md = tmp_path / "paper.md"
    md.write_text(f"---\n{header}\n---\n\nText.\n", encoding="utf-8")
    with pytest.raises(ManuscriptError) as info:
        read_manuscript(md, Warnings())
    return info.value


@pytest.mark.parametrize("header, line, message", [
    ("title: A: B", 2, "malformed YAML header: a value contains ': '"),
    ('lang: en\ntitle: "Open', 3, "malformed YAML header: a quotation mark is not closed"),
    ("lang: en\n\ttitle: x", 3, "malformed YAML header: a tab character"),
    ("keywords: [a, b\nlang: en", 2, "malformed YAML header: expected ',' or ']'"),
    ("title: [a, b]", 2, "`title` must be text"),
    ("keywords: ['a, b']", 2, "`keywords` must be phrases without commas"),
    ("lang: en\ndraft:\n  opacity: 2", 3, "`draft` must be a block whose `opacity` is a number"),
    ("draft:\n  color: [1, 2]", 2, "`draft` must be a block whose `color` is a name"),
    ("citation-ibid: 'maybe'", 2, "`citation-ibid` must be true or false"),
    ("citation-date-order: ymd", 2, "`citation-date-order` must be `mdy` or `dmy`"),
    ("citation-colour: red", 2, "`citation-colour` must be one of the Chicago style's settings"),
    ("citation-style: apa", 2, "`citation-style` must be `chicago` or `working-paper`"),
    ("author:\n  - affiliation: X", 2, "an author has no `name`"),
    ("bibliography: nowhere.bib", 2, "bibliography file not found: nowhere.bib"),
    ("lang: en\nbibliography: [nowhere.bib]", 3, "bibliography file not found: nowhere.bib"),
    ("bibliography: {a: b}", 2, "`bibliography` must be a file name or a list of them"),
])
def test_header_errors_name_the_line(tmp_path, header, line, message):
    error = header_error(tmp_path, header)
    assert error.line == line
    assert message in error.message
    assert error.hint


def test_unknown_key_is_a_warning_with_its_line(tmp_path, capsys):
    md = tmp_path / "paper.md"
    md.write_text("---\ntitle: T\ntitel: T\n---\n\nText.\n", encoding="utf-8")
    warnings = Warnings()
    read_manuscript(md, warnings)
    assert warnings.items == [f"{md}:3: unknown header key `titel` is ignored (did you mean `title`?)"]


def test_block_lines_follow_the_source(tmp_path):
    text = ("---\ntitle: T\n---\n\n# Heading\nRight after the heading.\n\n"
            "A paragraph\nwrapped over lines.[^n]\n\n[^n]: A note\n\n    that goes on.\n\n"
            "- a list\n\n- loose\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n: The caption.\n\n"
            "```\ncode\n```\nAfter the fence.\n\n* * *\n\n“Curly” quotes---and dashes.\n")
    doc = json.loads(run_pandoc(["--from", "markdown", "--to", "json"], input=text.encode()))
    lines = text.splitlines()
    starts = block_lines(text, doc["blocks"])
    assert [b["t"] for b in doc["blocks"]] == ["Header", "Para", "Para", "BulletList", "Table",
                                               "CodeBlock", "Para", "HorizontalRule", "Para"]
    assert [lines[n - 1] for n in starts] == [
        "# Heading", "Right after the heading.", "A paragraph", "- a list", "| a | b |",
        "```", "After the fence.", "* * *", "“Curly” quotes---and dashes."]


def test_a_citation_setting_in_the_header_wins_over_the_template(tmp_path):
    """TOML writes `page_labels`, the header `citation-page-labels`: the same setting."""
    from pressroom.config import build_settings
    from pressroom.errors import Warnings
    folder = tmp_path / "templates" / "mine"
    folder.mkdir(parents=True)
    (folder / "template.tex.j2").write_text("\\VAR{body}\n", encoding="utf-8")
    (folder / "settings.toml").write_text('[citations]\nstyle = "chicago"\npage_labels = true\n',
                                          encoding="utf-8")
    md = tmp_path / "paper.md"
    md.write_text("---\ntitle: T\ntemplate: mine\ncitation-page-labels: false\n---\nText.\n",
                  encoding="utf-8")
    settings = build_settings(read_manuscript(md, Warnings(echo=False)), warnings=Warnings(echo=False))
    assert dict(settings.citation_options) == {"style": "chicago", "page_labels": False}


def test_a_quoted_header_key_is_found_on_its_line(tmp_path):
    md = tmp_path / "paper.md"
    md.write_text('---\ntitle: T\n"bibliography": missing.bib\n---\nText.\n', encoding="utf-8")
    with pytest.raises(ManuscriptError) as exc:
        read_manuscript(md, Warnings(echo=False))
    assert exc.value.line == 3 and "missing.bib" in exc.value.message


def test_a_bibliography_that_is_a_named_pipe_is_refused_before_it_is_read(tmp_path):
    """Reading a named pipe would wait for a writer that never comes: named, with its line."""
    import os
    os.mkfifo(tmp_path / "refs.bib")
    md = tmp_path / "paper.md"
    md.write_text("---\ntitle: T\nbibliography: refs.bib\n---\n\nText.\n", encoding="utf-8")
    with pytest.raises(ManuscriptError) as caught:
        read_manuscript(md, Warnings(echo=False))
    assert caught.value.message == "bibliography is not a file: refs.bib"
    assert caught.value.line == 3


def test_a_file_that_is_no_manuscript_or_a_folder_of_several_is_said_so(tmp_path):
    from pressroom.manuscript import resolve_manuscript_path
    (tmp_path / "refs.bib").write_text("@book{a, title={T}}\n", encoding="utf-8")
    with pytest.raises(ManuscriptError, match="this is a bibliography, not a Markdown manuscript") as found:
        resolve_manuscript_path(tmp_path / "refs.bib")
    assert found.value.hint == "give the manuscript's .md file, or its folder"
    for name in ("one.md", "two.md"):
        (tmp_path / name).write_text("Text.\n", encoding="utf-8")
    several = r"no single manuscript in this folder: one\.md, two\.md"
    with pytest.raises(ManuscriptError, match=several) as found:
        resolve_manuscript_path(tmp_path)
    assert found.value.hint == f"name the .md file to build, e.g. python3 build.py {tmp_path / 'one.md'}"


def test_a_bibliography_named_twice_is_read_once(tmp_path):
    md = tmp_path / "paper.md"
    (tmp_path / "refs.bib").write_text("@book{a, title={T}}\n", encoding="utf-8")
    md.write_text("---\nbibliography: [refs.bib, ./refs.bib]\n---\nText.\n", encoding="utf-8")
    assert read_manuscript(md).bibliographies == (tmp_path / "refs.bib",)
