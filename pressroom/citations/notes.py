"""The footnotes of a manuscript as Pandoc Markdown text.

``list_notes(path)`` parses the Markdown with pandoc, runs the citation
filter with ``fmt="pandoc"`` (pandoc's own inlines) and returns every footnote of the finished
document in order, one string per note (``build.py notes``). Two pandoc
calls in all: one to read the manuscript, one to write every note (notes
are separated by a marker paragraph and split afterwards).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from ..pandoc_ast import Para, Str, elements, read_markdown
from ..tools import DEFAULT_LIMITS, Limits, run_pandoc
from .pandoc_filter import process

_SEP = "PRESSROOMNOTESEPARATOR"


def collect_notes(doc: dict) -> list[list[dict]]:
    """The blocks of every ``Note`` of ``doc``, in document order."""
    return [note["c"] for note in elements(doc.get("blocks", []), "Note")]


def notes_to_markdown(doc: dict, notes: list[list[dict]], *,
                      limits: Limits = DEFAULT_LIMITS) -> list[str]:
    """Write the notes with pandoc's ``markdown-smart`` writer, one call."""
    if not notes:
        return []
    content = json.dumps(notes)
    sep = _SEP
    while sep in content:   # a marker no note contains, whatever the manuscript says
        sep += "X"
    blocks: list[dict] = []
    for k, note in enumerate(notes):
        if k:
            blocks.append(Para([Str(sep)]))
        blocks.extend(note)
    out = {"pandoc-api-version": doc["pandoc-api-version"], "meta": {}, "blocks": blocks}
    text = run_pandoc(["--from", "json", "--to", "markdown-smart", "--wrap=none"], stage="notes",
                      input=json.dumps(out).encode("utf-8"), limits=limits).decode("utf-8")
    parts = text.replace("\r\n", "\n").split(f"\n{sep}\n")
    return [p.strip() for p in parts]


def list_notes(markdown_path: Path, *, bibliography: Path | list[Path] | None = None,
               options: dict | None = None, warn=None, limits: Limits = DEFAULT_LIMITS,
               on_read: Callable[[dict], None] | None = None, secnumdepth: int = 0) -> list[str]:
    """Every footnote of the finished manuscript, as Markdown inline text. ``on_read``: called with
    pandoc's AST of the manuscript before the notes are made (the command line checks there that
    pandoc and pressroom read the header alike, as the build does). Cross-references read as their
    text (``secnumdepth``: the heading levels the template numbers)."""
    from ..crossref import resolve
    markdown_path = Path(markdown_path)
    doc = read_markdown(markdown_path, limits=limits, stage="notes")
    if on_read is not None:
        on_read(doc)
    doc = resolve(doc, fmt="pandoc", source=markdown_path, secnumdepth=secnumdepth)
    doc = process(doc, source=markdown_path, bibliography=bibliography,
                  fmt="pandoc", options=options, warn=warn, limits=limits)
    return notes_to_markdown(doc, collect_notes(doc), limits=limits)
