"""A book's chapters: the main file's header lists them (``chapters: [one.md, two.md]``), and
the book is the main file's own text followed by each chapter, in order.

Pandoc reads each chapter on its own, so that an edit to one chapter reads only that chapter
again: the AST of each is kept in the build folder (``CHAPTER_CACHE``) under the digest of its
text and of the pandoc that read it. A chapter has no YAML header (the book's header is the main
file's: a chapter's would be read by no one). Figure paths in a chapter are relative to the main
file's folder, as pandoc reads them when it is given several files.

The convert stage runs the citations over each part on its own, so that in each chapter the
first citation of a source is a full note again and Ibid. never reaches back across a chapter
(CMOS 14.29, docs/citation-styles.md), and marks each part's lines with a mark of its own, so a
LaTeX error names the chapter file and its line.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from . import jsoncache
from .errors import ManuscriptError
from .pandoc_ast import read_markdown
from .tools import DEFAULT_LIMITS, Limits, pandoc_path

#: pandoc's AST of each chapter, one file each, by the digest of the chapter's text
CHAPTER_CACHE = ".chapter-cache"


def text_digest(path: Path) -> str:
    """sha256 of a chapter's text (its line marks and its cached AST are named by it)."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def book_digest(main_digest: str, chapters: tuple[Path, ...]) -> str:
    """What a book's AST depends on: the main file's digest, then each chapter's name and text."""
    if not chapters:
        return main_digest
    h = hashlib.sha256(main_digest.encode())
    for chapter in chapters:
        h.update(f"\0{chapter}\0{text_digest(chapter)}".encode())
    return h.hexdigest()


def read_chapter(chapter: Path, out_dir: Path, *, limits: Limits = DEFAULT_LIMITS) -> dict:
    """Pandoc's AST of one chapter: the kept one if the chapter is unchanged."""
    identity = f"{text_digest(chapter)}:{pandoc_path()}"
    # named by the chapter's folder and file names, not its absolute path, so that a copied manuscript
    # and its build folder still find their ASTs (the identity makes a wrong match a re-read, never wrong)
    name = f"{chapter.parent.name}/{chapter.name}"
    kept_file = out_dir / CHAPTER_CACHE / f"{hashlib.sha256(name.encode()).hexdigest()[:16]}.json"
    kept = jsoncache.load(kept_file, identity)
    if "ast" in kept:
        return kept["ast"]
    doc = read_markdown(chapter, limits=limits, stage="convert")
    if doc.get("meta"):
        raise ManuscriptError("a chapter has a metadata header of its own, which would be ignored",
                              file=chapter, line=1,
                              hint="keep the book's header in the main file; start a chapter with "
                                   "its `#` heading")
    if out_dir.is_dir():   # no build folder (a `check` of PDFs elsewhere): none is made to keep it
        kept_file.parent.mkdir(exist_ok=True)
        jsoncache.save(kept_file, {"ast": doc}, identity)
    return doc


def joined(main: dict, chapters: list[dict]) -> dict:
    """One document: the main file's metadata, its blocks, then each chapter's blocks."""
    blocks = list(main["blocks"])
    for doc in chapters:
        blocks.extend(doc["blocks"])
    return {**main, "blocks": blocks}
