"""The footnotes of a manuscript as Pandoc Markdown text.

``list_notes(path)`` parses the Markdown with pandoc, runs the citation
filter with ``fmt="pandoc"`` (pandoc's own inlines) and returns every footnote of the finished
document in order, one string per note (``build.py notes``). Two pandoc
calls in all: one to read the manuscript, one to write every note (notes
are separated by a marker paragraph and split afterwards).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
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
    [(_, notes)] = notes_by_part(markdown_path, bibliography=bibliography, options=options, warn=warn,
                                 limits=limits, on_read=on_read, secnumdepth=secnumdepth)
    return notes


def notes_by_part(markdown_path: Path, *, chapters: Sequence[Path] = (),
                  bibliography: Path | list[Path] | None = None, options: dict | None = None, warn=None,
                  limits: Limits = DEFAULT_LIMITS, on_read: Callable[[dict], None] | None = None,
                  secnumdepth: int = 0, division: str = "section") -> list[tuple[Path, list[str]]]:
    """The notes of each part, in order: the main file's, then each of a book's ``chapters``, each
    cited on its own as the build cites them (numbered from 1, the first citation of a source a full
    note again, no Ibid. across a chapter)."""
    from ..crossref import resolve
    from .pandoc_filter import load_for
    markdown_path = Path(markdown_path)
    doc = read_markdown(markdown_path, limits=limits, stage="notes")
    if on_read is not None:
        on_read(doc)
    parts = [(markdown_path, doc["blocks"])]
    parts += [(Path(c), read_markdown(Path(c), limits=limits, stage="notes")["blocks"]) for c in chapters]
    whole = resolve({**doc, "blocks": [b for _, blocks in parts for b in blocks]}, fmt="pandoc",
                    source=[path for path, _ in parts], secnumdepth=secnumdepth, division=division)
    # a book's chapters are read one after another: the bibliography is loaded once (the main file's)
    loaded = load_for(doc, markdown_path, bibliography, warn=warn, limits=limits) if chapters else None
    at, cited = 0, []
    for path, blocks in parts:
        part = {**whole, "blocks": whole["blocks"][at:at + len(blocks)]}
        at += len(blocks)
        cited.append((path, process(part, source=path, bibliography=loaded or bibliography,
                                    fmt="pandoc", options=options, warn=warn, limits=limits)))
    notes = [collect_notes(part) for _, part in cited]
    texts = notes_to_markdown(doc, [n for part in notes for n in part], limits=limits)
    out, at = [], 0
    for (path, _), part in zip(cited, notes):
        out.append((path, texts[at:at + len(part)]))
        at += len(part)
    return out
