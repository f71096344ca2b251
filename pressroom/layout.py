"""Submission layouts: the settings a journal asks of a manuscript sent for review.

Each is a setting of every template (``settings.toml``) and a header key,
the header winning:

``line-numbers: true``
    continuous line numbers in the left margin (lineno), from the first page.
``floats-at-end: true``
    every numbered figure and table after the text (after the notes, when
    they are endnotes), each on a page of its own, and "[Figure 1 about
    here]" where it stood (``floats_to_end``, a pass over the AST: the
    numbers are crossref.py's, which are LaTeX's).
``notes: endnotes``
    the notes after the text under the heading "Notes", as Chicago's
    endnotes ("1. Text"), still full, short and Ibid. (endnotes package).
``double-spacing: true``
    everything double-spaced: text, notes, quotations, tables, captions.

The LaTeX is ``templates/_common/layout.tex.j2`` (the preamble part) and
``templates/_common/end-matter.tex.j2`` (the notes and floats before
``\\end{document}``); render.py refuses a template that is asked for a
layout and does not include them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .pandoc_ast import RawBlock, elements

#: header key → (Settings field, the values it takes: a type, or a tuple of the allowed words)
KEYS: dict[str, tuple[str, Any]] = {
    "line-numbers": ("line_numbers", bool),
    "floats-at-end": ("floats_at_end", bool),
    "notes": ("notes", ("footnotes", "endnotes")),
    "double-spacing": ("double_spacing", bool),
}
#: what a template prints (through the two includes) when it honours the layouts
PREAMBLE_SENTINEL = "% pressroom: submission layouts"
END_SENTINEL = "% pressroom: end matter"
#: the line that starts the floats in the body (after the line mark's key): render.py cuts there
FLOATS = "floats"
_NOUN = {"fig": "Figure", "tbl": "Table"}


def problem(key: str, value: Any) -> str | None:
    """What a layout setting's value must be, if it is not; None when it is fine."""
    kind = KEYS[key][1]
    if kind is bool:
        return None if isinstance(value, bool) else "true or false"
    return None if value in kind else " or ".join(f"`{v}`" for v in kind)


def example(key: str) -> str:
    """A good value of a layout setting, for hints."""
    return "true" if KEYS[key][1] is bool else "endnotes"


def settings_of(template: dict[str, Any], header: dict[str, Any], *, template_file: Path) -> dict[str, Any]:
    """The layout as Settings fields: the template's ``settings.toml`` (its top level), then the
    header (whose values manuscript.py has checked)."""
    from .errors import TemplateError
    result: dict[str, Any] = {"line_numbers": False, "floats_at_end": False, "notes": "footnotes",
                              "double_spacing": False}
    for key, (name, _) in KEYS.items():
        if key in template:
            wrong = problem(key, template[key])
            if wrong:
                value = f'"{example(key)}"' if KEYS[key][1] is not bool else example(key)
                raise TemplateError(f"`{key}` must be {wrong}, not {template[key]!r}", file=template_file,
                                    hint=f"e.g. {key} = {value}")
            result[name] = template[key]
        if key in header:
            result[name] = header[key]
    return result


#: where the endnotes are printed when a bibliography follows the text (_common/layout.tex.j2)
PRINT_NOTES = "\\pressroomprintendnotes"
#: the Divs a bibliography list is printed in: the Chicago engine's, citeproc's (or the manuscript's)
_LIST_IDS = ("bibliography", "refs")


def notes_before_bibliography(blocks: list[dict]) -> list[dict]:
    """``blocks`` with the endnotes printed before the bibliography list, as Chicago orders them
    (CMOS 14.43: text, notes, bibliography); before its heading when one comes just before it."""
    for i, block in enumerate(blocks):
        if block["t"] == "Div" and block["c"][0][0] in _LIST_IDS:
            at = _before_marks(blocks, i)
            if at and blocks[at - 1]["t"] == "Header":
                at = _before_marks(blocks, at - 1)
            return [*blocks[:at], RawBlock("latex", PRINT_NOTES), *blocks[at:]]
    return blocks


def _before_marks(blocks: list[dict], i: int) -> int:
    """The index before the line marks (raw blocks) that precede block ``i``."""
    while i and blocks[i - 1]["t"] == "RawBlock" and blocks[i - 1]["c"][1].startswith("%%"):
        i -= 1
    return i


def check_endnotes(blocks: list[dict], source: Path) -> None:
    """Endnotes travel through a file as one line of text each (the endnotes package), which a code
    block in a note cannot survive: an error at the code's line, before TeX."""
    from .errors import ManuscriptError
    from .sourcelines import find_line_in
    for note in elements(blocks, "Note"):
        code = next(elements(note["c"], "CodeBlock"), None)
        if code is not None:
            first = next((line.strip() for line in code["c"][1].splitlines() if line.strip()), "")
            raise ManuscriptError("a note holds a code block, which endnotes cannot print "
                                  "(`notes: endnotes`)",
                                  file=source, line=find_line_in(source, first) if first else None,
                                  hint="write the code inline (`...`) or move it into the text")


def floats_to_end(blocks: list[dict], floats: dict[int, tuple[str, tuple[int, ...]]], *,
                  mark: str) -> list[dict]:
    """``blocks`` (a body with its line marks) with each numbered top-level figure and table moved
    after the text, each on a page of its own, and "[Figure 1 about here]" where it stood.

    ``floats``: kind and number by the ``id()`` of each numbered figure and table
    (crossref.targets). The moved ones follow the line ``<mark>floats`` with
    their own line marks, so that a TeX error in one still names its line.
    """
    text: list[dict] = []
    moved: list[dict] = []
    for block in blocks:
        number = floats.get(id(block))
        if number is None:
            text.append(block)
            continue
        kind, n = number[0], ".".join(str(i) for i in number[1])
        line_mark = text.pop() if text and _is_mark(text[-1], mark) else None
        text.append(RawBlock("latex", f"\\begin{{center}}[{_NOUN[kind]}~{n} about here]\\end{{center}}"))
        if moved:
            moved.append(RawBlock("latex", "\\clearpage"))
        moved += [b for b in (line_mark, block) if b is not None]
    if not moved:
        return blocks
    end = text.pop() if text and text[-1]["t"] == "RawBlock" and text[-1]["c"][1] == f"{mark}end" else None
    return [*text, RawBlock("latex", f"{mark}{FLOATS}"), *moved, *([end] if end else [])]


def _is_mark(block: dict, mark: str) -> bool:
    """Whether ``block`` is the line mark of the block after it."""
    return block["t"] == "RawBlock" and block["c"][1].startswith(mark) and block["c"][1][len(mark):].isdigit()


def split_floats(body: str, mark: str) -> tuple[str, str]:
    """The body's text and its floats (the LaTeX after ``<mark>floats``; empty when none moved)."""
    text, found, floats = body.partition(f"\n{mark}{FLOATS}\n")
    return (text, floats) if found else (body, "")
