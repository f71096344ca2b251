"""The header fields a template prints, written to LaTeX by pandoc with the body, and
``<stem>.front.json``, where the convert stage leaves them for the render and compile stages.

Every field is Markdown to pandoc (so ``&``, ``%``, ``$``, ``#`` print
literally and quotation marks and dashes come out as in the body): each goes
to pandoc as one more unit of the body's call (``field_units``; the writer
marks each, latexblocks.py) and is cut out of its LaTeX afterwards
(``read_fields``).

``front.json`` holds:

- ``fields``: field name → LaTeX; ``authors``: ``{name, affiliation, email}`` each LaTeX;
- ``keywords``: plain strings (the template escapes them);
- ``images``: the figures the body includes, for the compile stage to copy;
- ``needs``, ``highlighting_macros``: what the body needs from the preamble, as
  pandoc's LaTeX writer reports it (``pandoc-body.latex`` asks for it);
- ``line_mark``: how the body's line marks start (sourcelines.py), for the compile stage.
"""

from __future__ import annotations

import json
from pathlib import Path

from .pandoc_ast import Plain, Str
from .tools import write_text_atomic

#: Header fields rendered to LaTeX for the template (plain strings or Markdown).
TEXT_FIELDS = ("title", "subtitle", "abstract", "draft-notice", "version-date", "acknowledgments")
AUTHOR_FIELDS = ("name", "affiliation", "email")
_AUTHOR = "author."


def field_units(meta: dict, *, anonymous: bool) -> tuple[list[tuple[str, list[dict]]], int]:
    """The fields as (name, blocks) for pandoc's writer, and the number of authors."""
    units: list[tuple[str, list[dict]]] = []
    for key in TEXT_FIELDS:
        if key in meta and not (anonymous and key == "acknowledgments"):
            units.append((key, _meta_blocks(meta[key])))
    authors = meta.get("author")
    items = [] if anonymous or authors is None else (
        authors["c"] if authors.get("t") == "MetaList" else [authors])
    for i, item in enumerate(items):
        fields = item["c"] if item.get("t") == "MetaMap" else {"name": item}
        for f in AUTHOR_FIELDS:
            if f in fields:
                units.append((f"{_AUTHOR}{i}.{f}", _meta_blocks(fields[f])))
    return units, len(items)


def _meta_blocks(value: dict) -> list[dict]:
    kind = value.get("t")
    if kind == "MetaInlines":
        return [Plain(value["c"])]
    if kind == "MetaBlocks":
        return value["c"]
    if kind == "MetaString":
        return [Plain([Str(value["c"])])]
    if kind == "MetaList":
        return [b for item in value["c"] for b in _meta_blocks(item)]
    return []   # MetaBool, MetaMap: nothing to print


def read_fields(parts: dict[str, str], authors: int) -> tuple[dict[str, str], list[dict[str, str]]]:
    """The fields' LaTeX from pandoc's marked output: (fields, authors)."""
    fields = {k: v for k, v in parts.items() if not k.startswith(_AUTHOR)}
    return fields, [{f: parts.get(f"{_AUTHOR}{i}.{f}", "") for f in AUTHOR_FIELDS} for i in range(authors)]


def write_front(path: Path, *, fields: dict[str, str], authors: list[dict[str, str]], keywords: list[str],
                images: list[str], needs: list[str], highlighting: str, line_mark: str,
                chapter_marks: dict[str, str] | None = None) -> Path:
    front = {"fields": fields, "authors": authors, "keywords": keywords, "images": images,
             "needs": sorted(needs), "highlighting_macros": highlighting, "line_mark": line_mark}
    if chapter_marks:   # a book: each chapter's line marks, and its file relative to the main file's
        front["chapter_marks"] = chapter_marks
    return write_text_atomic(path, json.dumps(front, indent=2, ensure_ascii=False, sort_keys=True) + "\n")


def read_front(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))

