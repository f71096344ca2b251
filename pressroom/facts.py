"""What the manuscript's pandoc AST says besides its LaTeX: the figures it includes and the
plain text of its title, short title and subject.

One source for everything that needs them before or after the convert
stage: doit's dependencies (a figure is an input of the compile stage,
however the Markdown refers to it: ``![Map](map.png)`` or ``![Map][map]`` …
``[map]: map.png``), the PDF's metadata, the template's ``plain_title`` and
``short_title``, and the checks. The plain text is pandoc's (``1945–1990
“…”``, as the page prints it), not a conversion of its own.

The facts are kept in ``FACTS_CACHE`` in the build folder, under the digest
of the manuscript without its ``draft`` block (which only the stamp reads):
a build with nothing new reads them from there; otherwise pandoc reads the
manuscript, once per build (the convert stage gets the same reading).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from . import jsoncache
from .chapters import book_digest, joined, read_chapter
from .errors import PressroomError
from .figures import image_targets
from .manuscript import text_without_key
from .pandoc_ast import elements, read_markdown, stringify
from .tools import DEFAULT_LIMITS, Limits

FACTS_CACHE = ".source-facts.json"
#: the layout of the kept facts: bump it when Facts changes, so that no build reads an older one
_LAYOUT = "2"


@dataclass(frozen=True)
class Facts:
    figures: tuple[str, ...] = ()    # image targets, as the Markdown gives them, once each, in order
    title: str = ""
    short_title: str = ""            # `short-title`, else the title up to its first colon
    subject: str = ""                # `subject`, else the abstract
    citations: tuple[str, ...] = ()  # the keys the body cites, once each, in order (the references check)
    #: how often each cited key is written as ``@key`` in code, where it prints as it is
    cited_in_code: tuple[tuple[str, int], ...] = ()


def source_digest(markdown: Path, chapters: tuple[Path, ...] = ()) -> str:
    """sha256 of the manuscript without its ``draft`` block (and of a book's chapters): what the
    AST's uses depend on."""
    main = hashlib.sha256(text_without_key(markdown.read_text(encoding="utf-8"), "draft")
                          .encode("utf-8")).hexdigest()
    return book_digest(main, chapters)


def plain(value: dict | None) -> str:
    """A metadata value as one line of plain text, as pandoc reads it (blocks joined by spaces)."""
    if value is None:
        return ""
    parts = [stringify(b) for b in value["c"]] if value.get("t") == "MetaBlocks" else [stringify(value)]
    return " ".join(" ".join(parts).split())


def from_ast(doc: dict) -> Facts:
    meta = doc.get("meta", {})
    title = plain(meta.get("title"))
    short = plain(meta.get("short-title")) or (title.split(":", 1)[0].strip() if ":" in title else title)
    keys = tuple(dict.fromkeys(c["citationId"] for cite in elements([meta, doc["blocks"]], "Cite")
                               for c in cite["c"][0]))
    code = "\n".join(e["c"][1] for e in elements([meta, doc["blocks"]], "Code", "CodeBlock"))
    in_code = ((k, len(re.findall(rf"(?<![\w@.])@{re.escape(k)}(?![\w:.#$%&+?<>~/-]*\w)", code)))
               for k in keys)
    return Facts(figures=tuple(image_targets(doc)), title=title, short_title=short,
                 subject=plain(meta.get("subject")) or plain(meta.get("abstract")),
                 citations=keys, cited_in_code=tuple((k, n) for k, n in in_code if n))


def record(out_dir: Path, markdown: Path, doc: dict, chapters: tuple[Path, ...] = ()) -> Facts:
    """The facts of ``doc`` (the AST of ``markdown`` and its ``chapters`` as they are now), kept for
    the next build (already kept when this build's task list read them: then taken from there)."""
    identity = f"{_LAYOUT}:{source_digest(markdown, chapters)}"
    kept = jsoncache.load(out_dir / FACTS_CACHE, identity)
    if kept:
        return _from_kept(kept)
    facts = from_ast(doc)
    entries = {"figures": list(facts.figures), "title": facts.title, "short_title": facts.short_title,
               "subject": facts.subject, "citations": list(facts.citations),
               "cited_in_code": [list(pair) for pair in facts.cited_in_code]}
    jsoncache.save(out_dir / FACTS_CACHE, entries, identity)
    return facts


def _from_kept(kept: dict) -> Facts:
    return Facts(figures=tuple(kept.get("figures", ())), title=kept.get("title", ""),
                 short_title=kept.get("short_title", ""), subject=kept.get("subject", ""),
                 citations=tuple(kept.get("citations", ())),
                 cited_in_code=tuple((str(k), int(n)) for k, n in kept.get("cited_in_code", ())))


def current(markdown: Path, out_dir: Path, *, limits: Limits = DEFAULT_LIMITS,
            digest: str | None = None, chapters: tuple[Path, ...] = ()) -> Facts:
    """The facts of the manuscript as it is now: kept ones, else pandoc's reading.

    When pandoc cannot read the manuscript, the facts are empty: the
    convert stage reports the error.
    """
    kept = jsoncache.load(out_dir / FACTS_CACHE, f"{_LAYOUT}:{digest or source_digest(markdown, chapters)}")
    if kept:
        return _from_kept(kept)
    try:
        doc = joined(read_markdown(markdown, limits=limits, stage="convert"),
                     [read_chapter(c, out_dir, limits=limits) for c in chapters])
    except PressroomError:
        return Facts()
    # kept in the build folder, if there is one: a reader (`check` of PDFs named with --manuscript)
    # makes no folder of its own for them
    return record(out_dir, markdown, doc, chapters) if out_dir.is_dir() else from_ast(doc)


def body_unchanged(markdown: Path, out_dir: Path, chapters: tuple[Path, ...] = ()) -> bool:
    """Whether the last build in ``out_dir`` kept the facts of the manuscript as it is now (besides
    its ``draft`` block): then the convert stage has nothing new to read in it."""
    try:
        digest = source_digest(markdown, chapters)
    except (OSError, UnicodeDecodeError):
        return False
    return bool(jsoncache.load(out_dir / FACTS_CACHE, f"{_LAYOUT}:{digest}"))


def of_build(settings) -> Facts:
    """The facts of the manuscript a build's ``settings`` name (with a book's chapters)."""
    return current(settings.manuscript, settings.out_dir, limits=settings.limits, chapters=settings.chapters)
