"""Word counts of a manuscript, the way a word processor counts them, in the parts journals ask for.

``count_words(text)`` counts plain text; ``count_document(blocks, fields)`` counts a document
whose citations are already rendered (the citation filter's ``fmt="pandoc"`` output, or
citeproc's), in parts:

- ``body``: the text of the body (headings, paragraphs, quotations, lists, code);
- ``notes``: every footnote, citations counted as the notes they became;
- ``abstract``; ``captions_and_tables``: figure and table captions and table cells;
- ``bibliography``: a ``::: {#refs}`` div, the Chicago engine's bibliography list (a div
  ``#bibliography``), citeproc's (class ``references``), or a section headed Bibliography,
  References, Works Cited, Sources (with what follows, to the next heading of its level);
- ``front_and_back``: the title, subtitle and acknowledgments (what else a reader reads;
  author names, affiliations and keywords are not counted);
- ``text_and_notes`` (body + notes, what "including notes" limits mean) and ``everything``.

The counting rules are LibreOffice Writer's (which follow Word's), checked against it
(tests/data/wordcount/README.md): a word is what lies between white space (any Unicode space,
the no-break space included) or an em or en dash (``word—word`` and ``1939–45`` are two);
so ``well-known``, ``and/or``, ``don't``, ``e.g.``, ``1,000``, ``3.5`` and a URL are one word
each, and a lone mark set off by spaces (``&``, ``-``, ``§``) is one too, but a lone em or en
dash is none. Each East Asian character (Chinese, Japanese kana, Korean Hangul, full-width
forms and punctuation: East Asian width W, F or H) is a word of its own, and a run of other
letters beside them one more (``Meiji明治`` is three). Math and raw TeX count nothing (a
word processor shows an equation object); an image's description counts nothing (a figure
counts its caption).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass
from functools import lru_cache

from .pandoc_ast import elements, stringify

#: what separates words besides white space (LibreOffice's default "additional separators")
_SEPARATORS = re.compile(r"[\s\u2014\u2013]+")
#: a section with one of these headings is the bibliography
BIBLIOGRAPHY_HEADINGS = frozenset(("bibliography", "references", "works cited", "sources",
                                   "select bibliography", "literature cited", "works consulted"))
#: the blocks whose text is counted (elements() does not look inside them)
_TEXT_BLOCKS = ("Para", "Plain", "Header", "LineBlock", "CodeBlock")
#: header fields counted, by the part they go to
FIELD_PARTS = {"abstract": "abstract", "title": "front_and_back", "subtitle": "front_and_back",
               "acknowledgments": "front_and_back"}


@lru_cache(maxsize=4096)
def _is_east_asian(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F", "H") and not ch.isspace()


def count_words(text: str) -> int:
    """The words of plain text (the module's docstring gives the rules)."""
    n = 0
    for token in _SEPARATORS.split(text):
        if not token:
            continue
        if token.isascii():
            n += 1
            continue
        other = False     # inside a run of characters that are not East Asian
        for ch in token:
            if _is_east_asian(ch):
                n += 1
                other = False
            elif not other:
                n += 1
                other = True
    return n


@dataclass(frozen=True)
class WordCounts:
    body: int = 0
    notes: int = 0
    abstract: int = 0
    captions_and_tables: int = 0
    bibliography: int = 0
    front_and_back: int = 0

    @property
    def text_and_notes(self) -> int:
        return self.body + self.notes

    @property
    def everything(self) -> int:
        return (self.body + self.notes + self.abstract + self.captions_and_tables + self.bibliography
                + self.front_and_back)

    def as_dict(self) -> dict[str, int]:
        return {**asdict(self), "text_and_notes": self.text_and_notes, "everything": self.everything}

    @classmethod
    def from_dict(cls, data: dict) -> WordCounts:
        return cls(**{f: int(data[f]) for f in cls.__dataclass_fields__})

    def table(self) -> str:
        """What ``count`` prints: each part, then the totals."""
        rows = [("body text", self.body), ("notes", self.notes), ("abstract", self.abstract),
                ("captions and tables", self.captions_and_tables), ("bibliography", self.bibliography),
                ("title and acknowledgments", self.front_and_back),
                ("text + notes", self.text_and_notes), ("everything", self.everything)]
        width = max(len(name) for name, _ in rows)
        return "\n".join(f"{name.ljust(width)}  {n:>7,}" for name, n in rows)

    def line(self) -> str:
        """One line for a build's summary."""
        parts = [f"{self.body:,} text + {self.notes:,} notes = {self.text_and_notes:,}"]
        extras = [("abstract", self.abstract), ("captions and tables", self.captions_and_tables),
                  ("bibliography", self.bibliography), ("title and acknowledgments", self.front_and_back)]
        shown = [f"{name} {n:,}" for name, n in extras if n]
        return "; ".join([*parts, *shown, f"everything {self.everything:,}"])


# ---- the text of a part ------------------------------------------------------------

#: inlines that count no words: notes (counted apart), images (a figure counts its caption), math
#: and raw TeX (an equation object, markup)
_SILENT = frozenset(("Note", "Image", "Math", "RawInline"))


def _words(blocks: list, *, captions: bool = False) -> int:
    """The words of ``blocks``, each block on its own (a paragraph's last word and the next one's
    first are two), without their notes; figures and tables are left out, or (``captions``) only
    they are counted: their captions and cells."""
    if captions:
        return sum(_words(_figure_text(node)) for node in elements(blocks, "Figure", "Table"))
    n = 0
    for block in elements(blocks, *_TEXT_BLOCKS, "Figure", "Table"):
        kind = block["t"]
        if kind == "CodeBlock":
            n += count_words(block["c"][1])
        elif kind == "LineBlock":
            n += sum(count_words(stringify(line, skip=_SILENT)) for line in block["c"])
        elif kind == "Header":
            n += count_words(stringify(block["c"][2], skip=_SILENT))
        elif kind not in ("Figure", "Table"):
            n += count_words(stringify(block["c"], skip=_SILENT))
    return n


def _figure_text(node: dict) -> list:
    """A figure's caption, a table's caption and cells (as blocks to count)."""
    if node["t"] == "Figure":
        return node["c"][1][1]
    _, (_, caption), _, head, bodies, foot = node["c"]
    return [*caption, *elements([head, bodies, foot], *_TEXT_BLOCKS)]


def _note_words(x) -> int:
    return sum(_words(note["c"]) + _words(note["c"], captions=True) for note in elements(x, "Note"))


def _is_bibliography_heading(block: dict) -> bool:
    return block.get("t") == "Header" and \
        stringify(block["c"][2]).strip().rstrip(":").casefold() in BIBLIOGRAPHY_HEADINGS


def _is_bibliography_div(div: dict) -> bool:
    """``::: {#refs}``, the Chicago engine's list (``#bibliography``), citeproc's list (class
    ``references``)."""
    ident, classes, _ = div["c"][0]
    return ident in ("refs", "bibliography") or bool({"bibliography", "references"} & set(classes))


def _split_bibliography(blocks: list) -> tuple[list, list]:
    """(the rest, the bibliography): a ``#refs`` div and a section with a bibliography heading
    (to the next heading of its level or above), at any depth of divs."""
    rest, bibliography = [], []
    level = None     # inside a bibliography section of this level
    for block in blocks:
        kind = block.get("t")
        if kind == "Header" and level is not None and block["c"][0] <= level:
            level = None
        if level is not None:
            bibliography.append(block)
        elif _is_bibliography_heading(block):
            level = block["c"][0]
            bibliography.append(block)
        elif kind == "Div" and _is_bibliography_div(block):
            bibliography.append(block)
        elif kind == "Div":
            inner_rest, inner_bibliography = _split_bibliography(block["c"][1])
            rest.append({**block, "c": [block["c"][0], inner_rest]})
            bibliography.extend(inner_bibliography)
        else:
            rest.append(block)
    return rest, bibliography


def count_document(blocks: list, fields: dict[str, list] | None = None) -> WordCounts:
    """The parts of a document whose citations are rendered: its ``blocks`` and its header
    ``fields`` (name → blocks, e.g. frontfields.field_units)."""
    fields = fields or {}
    body, bibliography = _split_bibliography(blocks)
    parts = {"body": _words(body), "captions_and_tables": _words(body, captions=True),
             "bibliography": _words(bibliography),
             "notes": _note_words(blocks) + sum(_note_words(f) for f in fields.values())}
    for name, field_blocks in fields.items():
        part = FIELD_PARTS.get(name)
        if part is not None:
            parts[part] = parts.get(part, 0) + _words(field_blocks)
    return WordCounts(**parts)
