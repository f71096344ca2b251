"""Pandoc's JSON AST: the one way pressroom walks, reads and builds it.

The conventions are pandocfilters' and panflute's, in a module of our own
(measured: pandocfilters imports in 0.6 ms, but its ``walk`` copies every
node and calls back on each, 3.4 times the time of a walk that skips the
leaves; panflute adds 33-78 ms of imports to a build and turns the whole
tree into objects and back):

- ``walk(x, actions)`` rewrites ``x`` (a document's blocks, any list or
  element) in document order. ``actions`` maps an element type to
  ``action(node, at)``, which returns None to keep the node (and walk into
  it), an element to replace it, or a list to splice in its place; what an
  action returns is not walked again. ``at`` is where the node stands in its
  list: ``at.before`` (the nodes already rewritten before it, which the
  action may shorten), ``at.next`` (the node after it) and ``at.skip()``
  (the action has used the next node: drop it).
- ``elements(x, *types)``: every element of those types, in document order,
  without looking inside the ones it yields.
- ``stringify(x)``: plain text, as pandoc's ``stringify`` (quotation marks
  curly, notes left out).
- Constructors: ``Str``, ``Space``, ``Para``, ``Plain``, ``Note``,
  ``RawInline``, ``RawBlock``.
- ``read_markdown(path)``: pandoc's reading of a Markdown file; ``loads(data, file)``: any of
  pandoc's JSON output, refused (one located error) when it nests deeper than pressroom walks.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from .errors import LimitExceeded, ManuscriptError, PressroomError
from .tools import DEFAULT_LIMITS, Limits, Running, run_pandoc, start_pandoc

#: Pandoc's Markdown as the README documents it; a line break between two Chinese or Japanese
#: characters is no space (CJK text has none between words), as in pandoc's Markdown for
#: East Asian text. Text without such characters reads as plain ``markdown`` reads it.
READER = "markdown+east_asian_line_breaks"

#: Elements with nothing to walk into.
LEAVES = frozenset(("Str", "Space", "SoftBreak", "LineBreak", "Code", "Math", "RawInline",
                    "RawBlock", "CodeBlock", "HorizontalRule"))

Action = Callable[[dict, "At"], "dict | list | None"]


class At:
    """Where the node an action was called on stands in its list."""

    __slots__ = ("_i", "_items", "before")

    def __init__(self, before: list, items: list):
        self.before, self._items, self._i = before, items, 0

    @property
    def next(self) -> Any:
        """The node after this one, or None."""
        i = self._i + 1
        return self._items[i] if i < len(self._items) else None

    def skip(self) -> None:
        """Drop the next node: the action has used it."""
        self._i += 1


def walk(x: Any, actions: Mapping[str, Action]) -> Any:
    """``x`` rewritten by ``actions`` (see the module's docstring); ``x`` is not modified."""
    if isinstance(x, list):
        if not any(isinstance(i, dict) and i.get("t") in actions for i in x):
            return [walk(i, actions) for i in x]
        out: list = []
        at = At(out, x)
        while at._i < len(x):
            node = x[at._i]
            action = actions.get(node.get("t")) if isinstance(node, dict) else None
            result = action(node, at) if action is not None else None
            if result is None:
                out.append(walk(node, actions))
            elif isinstance(result, list):
                out.extend(result)
            else:
                out.append(result)
            at._i += 1
        return out
    if isinstance(x, dict):
        kind = x.get("t")
        if kind is None:
            return {k: walk(v, actions) for k, v in x.items()}
        if "c" in x and kind not in LEAVES:
            return {**x, "c": walk(x["c"], actions)}
    return x


def elements(x: Any, *types: str) -> Iterator[dict]:
    """Every element of ``types`` in ``x``, in document order; not looking inside those it yields."""
    wanted = frozenset(types)
    stack = [x]
    while stack:   # depth first, children pushed in reverse so that they come out in order
        y = stack.pop()
        if isinstance(y, list):
            stack.extend(reversed(y))
        elif isinstance(y, dict):
            kind = y.get("t")
            if kind in wanted:
                yield y
            elif kind is None:
                stack.extend(reversed(list(y.values())))
            elif kind not in LEAVES and "c" in y:
                stack.append(y["c"])


def without_notes(x: Any) -> Any:
    """``x`` without its notes (a title printed again, a heading named in a cross-reference)."""
    return walk(x, {"Note": lambda node, at: []})


def stringify(x: Any, *, skip: frozenset[str] = frozenset()) -> str:
    """Plain text of inlines, blocks or metadata, as pandoc's ``stringify``; elements of the types
    in ``skip`` give none (word counts leave out math and raw TeX)."""
    if isinstance(x, list):
        return "".join(stringify(i, skip=skip) for i in x)
    if isinstance(x, dict):
        t = x.get("t")
        if t == "Str":
            return x["c"]
        if t in skip:
            return ""
        if t in ("Space", "SoftBreak", "LineBreak"):
            return " "
        if t in ("Code", "Math", "RawInline"):
            return x["c"][1]
        if t == "Quoted":
            inner = stringify(x["c"][1], skip=skip)
            return f"“{inner}”" if x["c"][0]["t"] == "DoubleQuote" else f"‘{inner}’"
        if t == "Note":
            return ""
        if t == "MetaString":
            return x["c"]
        if t == "MetaBool":
            return "true" if x["c"] else "false"
        if t in ("Cite", "Link", "Image", "Span"):
            return stringify(x["c"][1], skip=skip)
        if "c" in x:
            return stringify(x["c"], skip=skip)
    return ""


# ---- constructors ---------------------------------------------------------------

def Str(text: str) -> dict:
    return {"t": "Str", "c": text}


def Space() -> dict:
    return {"t": "Space"}


def Para(inlines: list) -> dict:
    return {"t": "Para", "c": inlines}


def Plain(inlines: list) -> dict:
    return {"t": "Plain", "c": inlines}


def Note(blocks: list) -> dict:
    return {"t": "Note", "c": blocks}


def RawInline(fmt: str, text: str) -> dict:
    return {"t": "RawInline", "c": [fmt, text]}


def RawBlock(fmt: str, text: str) -> dict:
    return {"t": "RawBlock", "c": [fmt, text]}


def Div(blocks: list, *, id: str = "", classes: tuple[str, ...] = (), attributes: tuple = ()) -> dict:
    return {"t": "Div", "c": [[id, list(classes), [list(a) for a in attributes]], blocks]}


def Header(level: int, inlines: list, *, id: str = "", classes: tuple[str, ...] = ()) -> dict:
    return {"t": "Header", "c": [level, [id, list(classes), []], inlines]}


# ---- reading ----------------------------------------------------------------------

_last_reading: tuple[tuple, bytes] | None = None
#: a reading started before it was asked for (read_ahead), by the same key
_ahead: tuple[tuple, Running] | None = None
_READ = ["--from", READER, "--to", "json"]


def _key(path: Path, limits: Limits) -> tuple:
    return (str(path.resolve()), hashlib.sha256(path.read_bytes()).hexdigest(), limits)


def read_markdown(path: Path, *, limits: Limits = DEFAULT_LIMITS, stage: str = "convert") -> dict:
    """Pandoc's AST of a Markdown file (its name after ``--``: never an option).

    The last reading is kept, by the file's contents: a build reads its
    manuscript once, though both its task list (the figures) and the convert
    stage need the AST. A reading started ahead (read_ahead) of the same
    contents, with the same limits, is taken.
    """
    global _last_reading, _ahead
    path = Path(path)
    key = _key(path, limits)
    last = _last_reading
    if last is not None and last[0] == key:
        return loads(last[1], file=path)
    data = None
    ahead, _ahead = _ahead, None
    if ahead is not None and ahead[0] == key:
        try:
            data = ahead[1].wait().stdout
        except LimitExceeded:   # counted from its start, earlier: the limit holds all the same
            raise
        except PressroomError:  # a failed reading is made again, for its usual error
            data = None
        if data is not None and _key(path, limits) != key:   # changed while pandoc read it
            data = None
    elif ahead is not None:
        ahead[1].stop()
    if data is None:
        data = run_pandoc(_READ, inputs=[path.name], cwd=path.parent, limits=limits, stage=stage, file=path)
    doc = loads(data, file=path)
    _last_reading = (key, data)
    return doc


@contextlib.contextmanager
def read_ahead(path: Path, *, limits: Limits = DEFAULT_LIMITS) -> Iterator[None]:
    """Start pandoc's reading of ``path`` at once, for the build's read_markdown to take (while
    the build imports and reads its settings, pandoc reads the manuscript); stopped at the end
    if nothing took it."""
    global _ahead
    path = Path(path)
    try:
        key = _key(path, limits)
    except OSError:   # the build reports it
        yield
        return
    if _last_reading is None or _last_reading[0] != key:
        with contextlib.suppress(PressroomError):
            _ahead = (key, start_pandoc(_READ, inputs=[path.name], cwd=path.parent, limits=limits,
                                        stage="convert", file=path))
    try:
        yield
    finally:
        ahead, _ahead = _ahead, None
        if ahead is not None:
            ahead[1].stop()


#: How deep pandoc's JSON may nest. An honest paper nests about 15 levels (block quotation, list,
#: emphasis, link: two JSON levels each); pressroom's walkers spend about two Python frames a level
#: and Python stops at 1,000, so a deeper document (`>>>>…`, 3,000 nested brackets: a few bytes of
#: Markdown, which pandoc reads) would end in a RecursionError somewhere in a stage. Decoding is
#: where it is refused, once, with the line.
MAX_DEPTH = 300


def loads(data: bytes | str, *, file: Path) -> Any:
    """Pandoc's JSON output about ``file``, decoded; nesting deeper than :data:`MAX_DEPTH` is a
    ManuscriptError at the line that nests most."""
    frame, depth = sys._getframe(), 0
    while frame is not None:
        frame, depth = frame.f_back, depth + 1
    limit = sys.getrecursionlimit()
    # json's decoder counts its nesting against the recursion limit: lowered for the call, the limit
    # bounds the document's depth at no cost (a depth-first scan of a 10,000-word paper is 80 ms)
    sys.setrecursionlimit(min(limit, depth + MAX_DEPTH))
    try:
        return json.loads(data)
    except RecursionError:
        raise nesting_error(file) from None
    finally:
        sys.setrecursionlimit(limit)


def nesting_error(file: Path) -> ManuscriptError:
    """The error for a manuscript nested deeper than pressroom reads, at the line that nests most."""
    line = None
    try:
        lines = Path(file).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        lines = []
    if lines:   # the line with the most nesting marks: quotation marks, list indents, brackets, emphasis
        score = [len(x) - len(x.lstrip(" >")) + len(re.findall(r"[\[(*_{]", x)) for x in lines]
        line = score.index(max(score)) + 1
    return ManuscriptError(
        f"the manuscript nests too deeply: block quotations, lists, brackets or emphasis more than "
        f"about {MAX_DEPTH // 3} levels inside each other", file=file, line=line,
        hint="no paper needs this depth: flatten the nesting near this line")
