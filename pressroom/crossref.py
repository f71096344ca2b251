"""Cross-references in pandoc-crossref's syntax → their text, a pass over pandoc's AST.

Labels: ``{#fig:x}`` on a figure (an image alone in its paragraph, with a
caption: ``![Caption](map.png){#fig:x}``), ``{#tbl:x}`` on a table's caption
(``: Caption {#tbl:x}``), ``{#sec:x}`` on a heading. References: ``@fig:x``,
``[@fig:x]``, ``[@fig:a; @fig:b; @tbl:c]``, ``@Fig:x`` (capitalised),
``[-@fig:x]`` (the number alone).

A reference becomes its text: "figure 1", "table 2", "section 3.1",
capitalised at the start of a sentence (or with ``@Fig:``); a cluster
"figures 1 and 2", "figures 1–3 and 5", "figure 1 and table 2". The numbers
are the ones LaTeX prints, counted here as LaTeX counts them: figures and
tables with a caption in document order, sections as the template numbers
them (``secnumdepth`` in its ``settings.toml``: 0, the default, numbers none,
1 sections, 2 also subsections). A section without a number is referred to
by its title in quotation marks, as CMOS 8.180 does for parts of a work
("section “Sources”").

The text is pandoc's own inlines, never raw TeX: the same under ``--safe``
and in every writer. For LaTeX (``fmt="latex"``) each number is an internal
link to its target (pandoc writes ``\\hyperref``); for the other writers it
is plain text, and so is a section's title.

Runs before the citation engine, so ``@fig:x`` is never taken for a
citation key: every key with a prefix ``fig:``, ``tbl:`` or ``sec:`` is a
cross-reference. An unknown label, a label given twice or on something with
no number, a cluster mixing cross-references and citations, and a label that
is also a key of the bibliography are errors naming the Markdown line (the
labels are read when the document refers to any: until then they are
pandoc's identifiers, as they always were).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ManuscriptError
from .pandoc_ast import LEAVES, At, Space, Str, elements, walk, without_notes
from .sourcelines import find_line

#: prefix → (singular, plural) of what it labels
KINDS = {"fig": ("figure", "figures"), "tbl": ("table", "tables"), "sec": ("section", "sections")}
#: what a Target's kind is called: a book's `#` heading (its label is `sec:` too) is a chapter
NOUNS = {**KINDS, "chap": ("chapter", "chapters")}
_PREFIX = re.compile(r"^(fig|tbl|sec|Fig|Tbl|Sec):(.+)$")
#: where each element with an identifier holds its Attr in ``c``
_ATTR_AT = {"Header": 1, "Figure": 0, "Table": 0, "Div": 0, "Span": 0, "Image": 0, "Link": 0,
            "CodeBlock": 0, "Code": 0}
#: a Str that ends a sentence: . ? ! and what may close around them (quotation marks, brackets)
_SENTENCE_END = re.compile(r"[.?!][”’\"')\]]*$")
#: abbreviations whose full stop ends no sentence ("see, e.g., figure 2")
_ABBREVIATIONS = frozenset(("e.g.", "i.e.", "cf.", "viz.", "vs.", "ca.", "c.", "esp.", "see.", "p.", "pp."))
NBSP = "\u00a0"


@dataclass(frozen=True)
class Target:
    """What a label names: its kind, its number as LaTeX prints it (None: no number), its title."""
    kind: str
    label: str
    number: tuple[int, ...] | None
    title: list = field(default_factory=list, compare=False)   # a section's inlines, for unnumbered ones

    @property
    def text(self) -> str:
        return ".".join(str(n) for n in self.number) if self.number else ""


def is_reference(key: str) -> bool:
    """Whether a citation key is a cross-reference (``fig:``, ``tbl:``, ``sec:``, capitalised or not)."""
    return bool(_PREFIX.match(key))


def _label(key: str) -> tuple[str, bool]:
    """The label a reference names and whether it asks for a capital (``@Fig:x``)."""
    m = _PREFIX.match(key)
    return f"{m.group(1).lower()}:{m.group(2)}", m.group(1)[0].isupper()


class _Source:
    """The Markdown text, for the lines errors name: one file, or a book's files in order (the
    nth match counts through them)."""

    def __init__(self, path: Path | Sequence[Path] | None):
        self.paths = [] if path is None else [Path(path)] if isinstance(path, (str, Path)) else list(path)
        self.texts = []
        for p in self.paths:
            try:
                self.texts.append(p.read_text(encoding="utf-8"))
            except OSError:
                self.texts.append("")

    def place(self, pattern: str | re.Pattern, nth: int = 0) -> tuple[Path | None, int | None]:
        regex = pattern if isinstance(pattern, re.Pattern) else re.compile(re.escape(pattern))
        counts = [sum(1 for _ in regex.finditer(text)) for text in self.texts]
        for path, text, count in zip(self.paths, self.texts, counts):
            if nth < count:
                return path, find_line(text, regex, nth=nth)
            nth -= count
        for path, text, count in reversed(list(zip(self.paths, self.texts, counts))):
            if count:   # fewer matches than nth: the last one, as find_line does
                return path, find_line(text, regex, nth=count - 1)
        return (self.paths[0] if self.paths else None), None

    def error(self, message: str, pattern: str | re.Pattern, *, nth: int = 0, hint: str | None = None):
        path, line = self.place(pattern, nth)
        return ManuscriptError(message, file=path, line=line, hint=hint)


def _reference_pattern(key: str) -> re.Pattern:
    """``@key`` as written in the Markdown (``@{key}`` too), not a longer key that starts like it."""
    return re.compile(r"@\{?" + re.escape(key) + r"(?![\w:.#$%&\-+?<>~/]*\w)")


def _label_pattern(label: str) -> re.Pattern:
    return re.compile(r"#" + re.escape(label) + r"(?![\w:.\-])")


# ---- the targets -----------------------------------------------------------------

def _has_text(blocks: list) -> bool:
    return any(elements(blocks, "Str", "Code", "Math", "Image"))


def targets(blocks: list, *, secnumdepth: int = 0, source: Path | Sequence[Path] | None = None,
            floats: dict[int, tuple[str, tuple[int, ...]]] | None = None,
            division: str = "section") -> dict[str, Target]:
    """Every label of the document and what it names, numbered as LaTeX numbers them.

    ``secnumdepth``: the deepest heading level the template numbers (LaTeX's
    counter of that name; 0: none). ``floats``, if given, receives the kind
    and number of every numbered figure and table, labelled or not, by the
    ``id()`` of its element. ``division``: "chapter" when a `#` heading
    is a chapter (the book template): chapters are numbered (their level is
    LaTeX's 0), and figures and tables are numbered within them ("figure 2.1").
    """
    book = division == "chapter"
    where = _Source(source)
    found: dict[str, Target] = {}
    sections = [0] * 7
    counters = {"fig": 0, "tbl": 0}

    def add(label: str, kind: str, number, title=()) -> None:
        if label in found:
            raise where.error(f"the label {{#{label}}} is given twice", _label_pattern(label), nth=1,
                              hint="every figure, table and section needs a label of its own")
        found[label] = Target(kind, label, number, list(title))

    def visit(x, in_figure: bool = False) -> None:
        # every element that can carry a label, in document order (pandoc_ast.elements), and
        # what is inside it before what follows it
        for element in elements(x, *_ATTR_AT):
            label(element, in_figure)
            if element["t"] not in LEAVES and "c" in element:
                visit(element["c"], in_figure or element["t"] == "Figure")

    def label(x: dict, in_figure: bool) -> None:
        kind = x["t"]
        ident = x["c"][_ATTR_AT[kind]][0]
        prefix = ident.split(":", 1)[0] if ":" in ident else ""
        if kind == "Header":
            level, (_, classes, _), inlines = x["c"]
            starred = "unnumbered" in classes or "-" in classes
            numbered = not starred and level - book <= secnumdepth
            if not starred and level < len(sections):
                sections[level] += 1
                sections[level + 1:] = [0] * (len(sections) - level - 1)
                if book and level == 1:   # LaTeX's book class numbers figures and tables per chapter
                    counters.update(fig=0, tbl=0)
            if prefix == "sec":
                add(ident, "chap" if book and level == 1 else "sec",
                    tuple(sections[1:level + 1]) if numbered else None, without_notes(inlines))
            elif prefix in KINDS:
                raise _misplaced(where, ident, "a heading")
        elif kind in ("Figure", "Table") and not in_figure:
            caption = x["c"][1][1]
            short = "fig" if kind == "Figure" else "tbl"
            # pandoc's LaTeX writer captions a table that has a caption or a label (numbered
            # either way); a figure only when its caption has text
            numbered = _has_text(caption) if kind == "Figure" else bool(caption or ident)
            number = (sections[1], counters[short] + 1) if book else (counters[short] + 1,)
            if numbered:
                counters[short] += 1
                if floats is not None:
                    floats[id(x)] = (short, number)
            if prefix == short:
                if not numbered:
                    raise where.error(f"{{#{ident}}} labels a {KINDS[short][0]} without a caption, which "
                                      "has no number", _label_pattern(ident),
                                      hint="give the figure a caption: ![Caption](file.png){#fig:x}")
                add(ident, short, number)
            elif prefix in KINDS:
                raise _misplaced(where, ident, f"a {KINDS[short][0]}")
        elif prefix in KINDS:
            what = {"Image": "an image that is not a figure (a figure is an image alone in its paragraph, "
                             "with a caption)"}.get(kind, f"a {kind} element" if not in_figure
                                                    else "a subfigure (not numbered on its own)")
            raise _misplaced(where, ident, what)

    visit(blocks)
    return found


def _misplaced(where: _Source, ident: str, what: str) -> ManuscriptError:
    prefix = ident.split(":", 1)[0]
    right = {"fig": "a figure: ![Caption](file.png){#fig:x}", "tbl": "a table's caption: : Caption {#tbl:x}",
             "sec": "a heading: # Title {#sec:x}"}[prefix]
    return where.error(f"{{#{ident}}} is on {what}, but `{prefix}:` labels {KINDS[prefix][1]}",
                       _label_pattern(ident), hint=f"put the label on {right}")


# ---- the references --------------------------------------------------------------

def _sentence_starts(blocks: list) -> set[int]:
    """The ids of the Cite elements that open a sentence (of a paragraph, heading, cell or note)."""
    starts: set[int] = set()
    for block in elements(blocks, "Para", "Plain", "Header", "LineBlock"):
        inlines = block["c"][2] if block["t"] == "Header" else block["c"]
        lines = inlines if block["t"] == "LineBlock" else [inlines]
        for line in lines:
            start = True
            for leaf in elements(line, "Str", "Cite", "Note", "Code", "Math", "RawInline", "Image"):
                if leaf["t"] == "Note":
                    starts |= _sentence_starts(leaf["c"])
                    continue
                if leaf["t"] == "Cite" and start:
                    starts.add(id(leaf))
                word = leaf["c"] if leaf["t"] == "Str" else ""
                start = bool(_SENTENCE_END.search(word)) and word.lower() not in _ABBREVIATIONS
    return starts


def _runs(numbers: list[tuple[int, ...]]) -> list[list[tuple[int, ...]]]:
    """Sorted numbers in runs of consecutive ones (2.1, 2.2, 2.3 is a run; 2.3, 3.1 is not)."""
    runs: list[list[tuple[int, ...]]] = []
    for n in numbers:
        last = runs[-1][-1] if runs else None
        if last is not None and last[:-1] == n[:-1] and n[-1] == last[-1] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    return runs


def _series(parts: list[list]) -> list:
    """Inline lists joined as CMOS 6.19 joins a series: "a and b", "a, b, and c"."""
    out: list = []
    for i, part in enumerate(parts):
        if i:
            if len(parts) == 2:
                out += [Space(), Str("and"), Space()]
            else:
                out += [Str(","), Space()] + ([Str("and"), Space()] if i == len(parts) - 1 else [])
        out += part
    return out


class _Resolver:
    def __init__(self, found: dict[str, Target], starts: set[int], fmt: str, where: _Source,
                 citation_keys: Collection[str]):
        self.found, self.starts, self.fmt, self.where = found, starts, fmt, where
        self.citation_keys = citation_keys
        self.seen: dict[str, int] = {}   # how often each key was met: the line of the nth one

    def _name(self, target: Target) -> dict:
        """A target's number, or an unnumbered section's title in quotation marks. For LaTeX the
        number links to its target; an unnumbered heading has no anchor of its own in LaTeX
        (hyperref would take the last numbered thing's), so its title is plain text."""
        if target.number is None:
            return {"t": "Quoted", "c": [{"t": "DoubleQuote"}, target.title]}
        if self.fmt != "latex":
            return Str(target.text)
        return {"t": "Link", "c": [["", [], []], [Str(target.text)], [f"#{target.label}", ""]]}

    def _group(self, kind: str, group: list[Target], noun: bool, capital: bool) -> list:
        """One kind's targets: numbered ones in order, a run of three or more as a range, then the
        unnumbered ones by title; after the noun ("figures"), unless the cluster wants none."""
        numbered = sorted({t.number: t for t in group if t.number is not None}.values(),
                          key=lambda t: t.number)
        by_number = {t.number: t for t in numbered}
        parts: list[list] = []
        for run in _runs([t.number for t in numbered]):
            if len(run) > 2:
                parts.append([self._name(by_number[run[0]]), Str("–"), self._name(by_number[run[-1]])])
            else:
                parts += [[self._name(by_number[n])] for n in run]
        parts += [[self._name(t)] for t in {t.label: t for t in group if t.number is None}.values()]
        if not noun:
            return _series(parts)
        word = NOUNS[kind][0 if len(parts) == 1 and len(numbered) <= 1 else 1]
        word = word[:1].upper() + word[1:] if capital else word
        return [Str(word + NBSP), *_series(parts)]

    def _key_error(self, key: str, nth: int) -> ManuscriptError:
        label, _ = _label(key)
        kind, name = label.split(":", 1)
        names = [known.split(":", 1)[1] for known in self.found if known.startswith(kind + ":")]
        close = [f"{kind}:{n}" for n in difflib.get_close_matches(name, names, n=3, cutoff=0.6)]
        if label in self.citation_keys:
            hint = (f"`{label}` is a key of the bibliography, but `{label.split(':')[0]}:` keys are "
                    "cross-references: rename the entry's key")
        elif close:
            hint = "did you mean " + ", ".join(f"@{k}" for k in close) + "?"
        else:
            hint = {"fig": "label the figure: ![Caption](file.png){#" + label + "}",
                    "tbl": "label the table's caption: : Caption {#" + label + "}",
                    "sec": "label the heading: # Title {#" + label + "}"}[kind]
        return self.where.error(f"unknown cross-reference label `{label}`", _reference_pattern(key),
                                nth=nth, hint=hint)

    def cite(self, cite: dict, at: At) -> list | None:
        items = cite["c"][0]
        refs = [is_reference(c["citationId"]) for c in items]
        if not any(refs):
            return None
        first_key = items[0]["citationId"]
        nths = []
        for c in items:
            key = c["citationId"]
            nths.append(self.seen.get(key, 0))
            self.seen[key] = nths[-1] + 1
        if not all(refs):
            other = next(c["citationId"] for c, r in zip(items, refs) if not r)
            raise self.where.error("a citation mixes cross-references and citation keys "
                                   f"(@{first_key if refs[0] else other} with "
                                   f"@{other if refs[0] else first_key})",
                                   _reference_pattern(first_key), nth=nths[0],
                                   hint="write them apart: see [@fig:map] and [@smith2001]")
        found: list[Target] = []
        for c, nth in zip(items, nths):
            label, _ = _label(c["citationId"])
            if label not in self.found:
                raise self._key_error(c["citationId"], nth)
            if label in self.citation_keys:
                raise self.where.error(f"the label `{label}` is also a key of the bibliography",
                                       _reference_pattern(c["citationId"]), nth=nth,
                                       hint="rename the label or the entry's key: a reference must name "
                                            "one of them only")
            found.append(self.found[label])
        capital = _label(first_key)[1] or id(cite) in self.starts
        noun = items[0]["citationMode"]["t"] != "SuppressAuthor"
        kinds = list(dict.fromkeys(t.kind for t in found))
        groups = [self._group(k, [t for t in found if t.kind == k], noun, capital and i == 0)
                  for i, k in enumerate(kinds)]
        out = list(items[0]["citationPrefix"])
        if out:
            out.append(Space())
        out += _series(groups)
        return out + list(items[-1]["citationSuffix"])


def resolve(doc: dict, *, fmt: str = "latex", source: Path | Sequence[Path] | None = None,
            secnumdepth: int = 0, citation_keys: Collection[str] = (), division: str = "section") -> dict:
    """``doc`` with every cross-reference replaced by its text (a new document; ``doc`` is kept).

    ``fmt``: ``latex`` (each number links to its target) or any other writer
    (plain text). ``citation_keys``: the bibliography's keys, which no label
    may also be.
    """
    blocks = doc.get("blocks", [])
    if not references_in(blocks):   # labels nobody refers to are pandoc's, as they always were
        return doc
    found = targets(blocks, secnumdepth=secnumdepth, source=source, division=division)
    resolver = _Resolver(found, _sentence_starts(blocks), fmt, _Source(source), frozenset(citation_keys))
    return {**doc, "blocks": walk(blocks, {"Cite": resolver.cite})}


def references_in(blocks: Iterable) -> bool:
    """Whether ``blocks`` hold a cross-reference or a cross-reference label (cheap: no numbering)."""
    return any(is_reference(c["citationId"]) for cite in elements(list(blocks), "Cite") for c in cite["c"][0])
