"""Lines of the Markdown source, for messages that name them.

Pandoc's Markdown reader keeps no source positions (its ``sourcepos``
extension exists for CommonMark only, and switching readers would change
what a manuscript means), so the start line of each top-level block is
found here by matching the blocks, in order, against the lines that can
start a block (``block_lines``). The convert stage writes a comment
``%%md-KEY:LINE`` before each block in the LaTeX (``mark_lines``;
``%%md-KEY:end`` after the last), and the compile stage maps a TeX error back
to the Markdown line through them (``markdown_line``). ``KEY`` is a digest of
the manuscript (``line_mark``), so no content can make a mark: a code block
holding ``%%md-...:1`` would need the digest of the very text it is part of.

``find_line`` is the one way to find the line of a text or a pattern (a
header key, a figure, a citation key, a character a font lacks).
"""

from __future__ import annotations

import re
from pathlib import Path

from .pandoc_ast import RawBlock, elements

#: Before each top-level block of the body: ``LINE_MARK``, the key, a colon, the Markdown line.
LINE_MARK = "%%md-"

_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
_ATX = re.compile(r"^\s{0,3}#{1,6}(\s|$)")
_NOT_A_START = re.compile(r"^(\s{4}|\t|\s{0,3}\[[^\]]+\]:)")  # continuations, note/link definitions
_RULE = re.compile(r"^\s{0,3}([-*_])(\s*\1){2,}\s*$")
_WORD = re.compile(r"\w+")
_HEADER_FENCE = re.compile(r"^(---|\.\.\.)\s*$")


def find_line(text: str, pattern: str | re.Pattern, *, nth: int = 0) -> int | None:
    """The 1-based line of the ``nth`` match of ``pattern`` (a plain string or a regex) in
    ``text``, or of the last match when there are fewer; None when there is none."""
    if isinstance(pattern, str):
        if not pattern:
            return None
        pattern = re.compile(re.escape(pattern))
    pos = None
    for k, m in enumerate(pattern.finditer(text)):
        pos = m.start()
        if k == nth:
            break
    return None if pos is None else text.count("\n", 0, pos) + 1


def find_line_in(path: Path, pattern: str | re.Pattern, *, nth: int = 0) -> int | None:
    """``find_line`` in a file; None when it cannot be read."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    return find_line(text, pattern, nth=nth)


def header_close(lines: list[str]) -> int | None:
    """0-based index of the line that closes the YAML header; None when there is no header or it is
    not closed. A byte-order mark before the header is no part of it (pandoc skips it too)."""
    if not lines or lines[0].removeprefix("\ufeff").strip() != "---":
        return None
    return next((i for i, line in enumerate(lines[1:], start=1) if _HEADER_FENCE.match(line)), None)


def header_end(lines: list[str]) -> int:
    """0-based index of the first body line (after the YAML header's closing fence, if any)."""
    end = header_close(lines)
    return 0 if end is None else end + 1


# ---- where each top-level block starts ----------------------------------------

def block_lines(text: str, blocks: list[dict]) -> list[int | None]:
    """The 1-based source line each top-level block starts on (None if not found).

    A block can start only on a line after a blank line, a heading or a code
    fence; blocks are matched in order to those lines by their first word.
    """
    lines = text.splitlines()
    starts = _start_candidates(lines, header_end(lines))
    result: list[int | None] = []
    pos = 0
    for block in blocks:
        probe = _probe(block)
        hit = None
        for j in range(pos, len(starts)):
            i = starts[j]
            window = " ".join(lines[i:i + 2])
            if probe(window) if callable(probe) else probe in window:
                hit = j
                break
        if hit is None and pos < len(starts):
            hit = pos  # no first word to match (or it was rewritten): the next start
        if hit is None:
            result.append(None)
            continue
        result.append(starts[hit] + 1)
        pos = hit + 1
    return result


def _start_candidates(lines: list[str], first: int) -> list[int]:
    starts = []
    fence = None
    previous = ""
    for i in range(first, len(lines)):
        line = lines[i]
        m = _FENCE.match(line)
        if fence is not None:
            if m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence) and not line.strip(" `~"):
                fence = None
                previous = "#"  # a block may follow a closing fence directly
            continue
        if line.strip():
            after_break = not previous.strip() or _ATX.match(previous) or previous == "#"
            if after_break and (i == first or not _NOT_A_START.match(line)):
                starts.append(i)
        if m:
            fence = m.group(1)
        previous = line
    return starts


def _probe(block: dict):
    """What a block's first source line must contain: its first word, or a test."""
    kind = block.get("t")
    if kind == "HorizontalRule":
        return lambda window: bool(_RULE.match(window.split("  ")[0]))
    if kind == "CodeBlock":
        first = next((line.strip() for line in block["c"][1].splitlines() if line.strip()), "")
        return first[:40] or (lambda window: bool(_FENCE.match(window)))
    if kind == "RawBlock":
        return block["c"][1].strip().splitlines()[0][:40] if block["c"][1].strip() else (lambda w: True)
    node = block
    if kind == "Table":  # the caption comes first in the AST but last in the source
        node = [*block["c"][3:], block["c"][1]]
    for word in _leaf_texts(node):
        m = _WORD.search(word)
        if m:
            return m.group(0)
    return lambda window: True


def _leaf_texts(node):
    """The texts of a block, in order, as its source has them (an image: its alt text, then its target)."""
    for leaf in elements(node, "Str", "Code", "Math", "RawInline", "Image"):
        if leaf["t"] == "Str":
            yield leaf["c"]
        elif leaf["t"] == "Image":
            yield from _leaf_texts(leaf["c"][1])
            yield leaf["c"][2][0]
        else:
            yield leaf["c"][1]


# ---- the line marks in the LaTeX -----------------------------------------------

def line_mark(digest: str) -> str:
    """The start of the line marks of a manuscript: ``%%md-KEY:``, KEY the first 16 hex digits of
    ``digest``, the sha256 of its text (without the ``draft`` block, which TeX never sees and whose
    edits do not rerun the convert stage: facts.source_digest)."""
    return f"{LINE_MARK}{digest[:16]}:"


def mark_lines(blocks: list[dict], starts: list[int | None], mark: str) -> list[dict]:
    """``<mark>LINE`` before each block whose line is known; ``<mark>end`` after the body."""
    marked: list[dict] = []
    for block, line in zip(blocks, starts):
        if line is not None:
            marked.append(RawBlock("latex", f"{mark}{line}"))
        marked.append(block)
    marked.append(RawBlock("latex", f"{mark}end"))
    return marked


def is_line_mark(block: dict) -> bool:
    return block.get("t") == "RawBlock" and block["c"][1].startswith(LINE_MARK)


def markdown_place(tex: Path, tex_line: int, marks: dict[str, Path]) -> tuple[Path, int] | None:
    """The Markdown file and line of the block the .tex line belongs to: the nearest line mark above
    it, one of ``marks`` (mark → file: the manuscript's, and a book's chapters').

    None when the line is outside the body (the template or the front matter).
    """
    try:
        lines = tex.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    for line in reversed(lines[:tex_line]):
        for mark, file in marks.items():
            if line.startswith(mark):
                value = line[len(mark):].strip()
                return (file, int(value)) if value.isdigit() else None
    return None
