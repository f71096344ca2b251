"""Docx stage: Markdown + bibliography → ``<stem>.docx``, with Word's own footnotes.

The same reading of the manuscript as the convert stage (pandoc's AST, its
header checked against pressroom's, ``--safe``'s rules), the same citation
engine and options, but the notes are pandoc's own inlines (``fmt="pandoc"``)
rather than LaTeX, so pandoc's docx writer makes real Word footnotes,
numbered continuously, with the PDF's text and italics.

The look is the template's ``reference.docx`` (styles, page size, margins,
page numbers; tools/make_reference_docx.py makes them); what goes where is
this module's: a title block (title, subtitle, authors with affiliation and
email, the abstract, keywords, the draft notice, the version date; in an
anonymous template the title, abstract and keywords only), then, for a
template with a title page (``[docx] title_page = true``), a page break and
the title again; the body, its sections numbered as the PDF numbers them
(the template's ``secnumdepth``); the acknowledgments (not in anonymous
copies).

The archive is then rewritten by docxfile.normalised: dated with the
build's source date, ``docProps/core.xml`` holding the PDF's metadata (no
author in an anonymous copy), so the same sources give the same bytes.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote

from . import facts
from .chapters import joined
from .config import Settings
from .convert import (
    book_parts,
    check_parts,
    cite_parts,
    citeproc,
    csl_list,
    read_ast,
    resolve_references,
)
from .docxfile import CoreProperties, normalised
from .errors import Warnings
from .figures import image_targets
from .pandoc_ast import Para, Plain, RawBlock, Space, Str, elements, walk, without_notes
from .safe import RAW_DOCX, check_docx_input, check_safe_paths
from .sandbox import Sandbox
from .tools import atomic_write, operand, run_pandoc
from .tools import run as run_tool

#: the file in a template's folder that carries its look in Word
REFERENCE = "reference.docx"
PAGE_BREAK = RawBlock("openxml", '<w:p><w:r><w:br w:type="page"/></w:r></w:p>')


def run(settings: Settings, warnings: Warnings) -> None:
    """The stage, as the task runs it: ``<stem>.docx``, written atomically."""
    data = make_docx(settings)
    with atomic_write(settings.output(".docx")) as fh:
        fh.write(data)


def expected_properties(settings: Settings) -> CoreProperties:
    """What the .docx's document properties say: the PDF's metadata (no authors when anonymous)."""
    source = facts.of_build(settings)
    return CoreProperties(title=source.title, authors=settings.authors, subject=source.subject,
                          keywords=settings.keywords, language=settings.lang)


def make_docx(settings: Settings) -> bytes:
    """The .docx of the manuscript, as bytes."""
    md = settings.manuscript
    if settings.safe:
        check_safe_paths(settings)
    doc = read_ast(md, settings)
    parts = book_parts(doc, settings)   # the manuscript, and a book's chapters
    if settings.safe:
        for path, part, _ in parts:
            check_docx_input(part, path)
    check_parts(doc, parts, settings)
    doc = joined(doc, [part for _, part, _ in parts[1:]])
    doc, rendered = _pdf_figures_as_png(doc, settings)
    doc = _with_notes(doc, parts, settings)
    meta, front, back = front_matter(doc["meta"], settings)
    document = {"pandoc-api-version": doc["pandoc-api-version"], "meta": meta,
                "blocks": [*front, *doc["blocks"], *back]}
    # native_numbering: "Table 1:", "Figure 1:" as Word's own numbered captions, as the PDF has them;
    # a book's are numbered within chapters ("Figure 2.1"), which Word cannot: written as text
    numbered = settings.division == "chapter"
    if numbered:
        document["blocks"] = _captions_numbered(document["blocks"], settings)
    args = ["--from", "json", "--to", "docx" if numbered else "docx+native_numbering", "--output=-"]
    reference = settings.template_dir / REFERENCE
    if reference.is_file():       # a template of the user's without one gets pandoc's default look
        args.append(f"--reference-doc={reference}")
    if settings.secnumdepth > 0:    # the sections the PDF numbers (and cross-references name)
        args.append("--number-sections")
        document["blocks"] = walk(document["blocks"], {"Header": _numbered_to(settings.secnumdepth)})
    # --safe: pandoc reads the figures it embeds; it sees the manuscript folder and the template only
    sandbox = Sandbox(md.parent, also=(settings.template_dir, *rendered)) if settings.safe else None
    # the source date for what pandoc dates (normalised rewrites it anyway); in the sandbox this is
    # all pandoc gets besides the sandbox's own few variables
    epoch = {"SOURCE_DATE_EPOCH": str(settings.source_date_epoch)}
    env = epoch if sandbox is not None else {**os.environ, **epoch}
    data = run_pandoc(args, cwd=md.parent, input=json.dumps(document).encode("utf-8"),
                      limits=settings.limits, stage="docx", file=md, sandbox=sandbox, env=env)
    return normalised(data, expected_properties(settings),
                      datetime.fromtimestamp(settings.source_date_epoch, UTC))


#: where the PDF figures rendered for Word are kept, in the build folder (named by the PDF's digest)
FIGURES = ".docx-figures"
#: the resolution PDF figures are rendered at for Word (print quality)
FIGURE_DPI = 300


def _pdf_figures_as_png(doc: dict, settings: Settings) -> tuple[dict, tuple[Path, ...]]:
    """PDF figures (which Word does not display) as PNG renderings of their first page, at the
    PDF's size unless the Markdown gives one; the folder of the renderings (for the sandbox).

    pdftoppm renders each once (kept by the PDF's digest); under ``--safe`` in the sandbox, seeing
    the manuscript folder and writing the renderings' folder only.
    """
    targets = [t for t in image_targets(doc) if "://" not in t and t.lower().endswith(".pdf")]
    if not targets:
        return doc, ()
    folder = settings.out_dir / FIGURES
    folder.mkdir(parents=True, exist_ok=True)
    md = settings.manuscript
    png: dict[str, tuple[Path, str]] = {}
    for target in targets:
        pdf = md.parent / target
        digest = hashlib.sha256(pdf.read_bytes()).hexdigest()[:24]
        out = folder / f"{digest}.png"
        if not out.is_file():
            sandbox = Sandbox(md.parent, writable=(folder,)) if settings.safe else None
            with tempfile.TemporaryDirectory(dir=folder) as work:   # renamed into place: never half a PNG
                run_tool(["pdftoppm", "-png", "-r", str(FIGURE_DPI), "-f", "1", "-l", "1", "-singlefile",
                     operand(pdf.resolve()), str(Path(work) / "page")], limits=settings.limits, stage="docx",
                    file=md, sandbox=sandbox)
                os.replace(Path(work) / "page.png", out)
        png[target] = (out, _width(pdf))

    def as_png(image: dict, at) -> dict | None:
        attr, caption, (target, title) = image["c"]
        found = png.get(target if "://" in target else unquote(target))
        if found is None:
            return None
        ident, classes, attrs = attr
        if not any(k in ("width", "height") for k, _ in attrs):
            attrs = [*attrs, ["width", found[1]]]
        return {"t": "Image", "c": [[ident, classes, attrs], caption, [str(found[0]), title]]}

    return {**doc, "blocks": walk(doc["blocks"], {"Image": as_png})}, (folder,)


def _width(pdf: Path) -> str:
    """The width of a PDF's first page, in inches (the size the figure is drawn at)."""
    import pikepdf
    with pikepdf.open(pdf) as opened:
        box = [float(v) for v in opened.pages[0].mediabox]
    return f"{abs(box[2] - box[0]) / 72:.2f}in"


def _with_notes(doc: dict, parts: list, settings: Settings) -> dict:
    """The cross-references as their text, then the citations as notes of pandoc's own inlines
    (a book's chapters each cited on their own, as in the PDF). The convert stage reports the
    engine's warnings (the same ones): here they are not said twice."""
    doc = resolve_references(doc, settings, fmt="docx")
    if settings.citations == "csl":
        refs = any(div["c"][0][0] == "refs" for div in elements(doc["blocks"], "Div"))
        blocks = doc["blocks"] + ([] if refs else csl_list(doc))   # after the body, with its heading
        bibliography = {"t": "MetaList", "c": [{"t": "MetaString", "c": str(b)}
                                               for b in settings.bibliographies]}
        done = citeproc({**doc, "blocks": blocks, "meta": {**doc["meta"], "bibliography": bibliography}},
                        settings)
        return _word_xml_as_text(done) if settings.safe else done
    blocks, _ = cite_parts(doc, parts, settings, Warnings(echo=False), fmt="pandoc", marks=False)
    return {**doc, "blocks": blocks}


def _word_xml_as_text(doc: dict) -> dict:
    """--safe, after citeproc: raw Word XML from the bibliography (a CSL-YAML field is Markdown,
    and may hold ``{=openxml}``) prints as the text it is; the manuscript's own was refused."""
    def inline(node: dict, at) -> dict | None:
        return Str(node["c"][1]) if str(node["c"][0]).lower() in RAW_DOCX else None

    def block(node: dict, at) -> dict | None:
        return Para([Str(node["c"][1])]) if str(node["c"][0]).lower() in RAW_DOCX else None

    return {**doc, "blocks": walk(doc["blocks"], {"RawInline": inline, "RawBlock": block})}


def _captions_numbered(blocks: list, settings: Settings) -> list:
    """Each numbered figure's and table's caption begins "Figure 2.1: ", numbered as the PDF (and
    the cross-references) number it (crossref.targets)."""
    from .crossref import targets
    floats: dict[int, tuple[str, tuple[int, ...]]] = {}
    targets(blocks, secnumdepth=settings.secnumdepth, floats=floats, division=settings.division)
    names = {"fig": "Figure", "tbl": "Table"}

    def numbered(element: dict, at) -> dict | None:
        found = floats.get(id(element))
        if found is None:
            return None
        kind, number = found
        attr, (short, caption), *rest = element["c"]
        label = Str(f"{names[kind]} {'.'.join(map(str, number))}: ")
        if caption and caption[0]["t"] in ("Plain", "Para"):
            first = {**caption[0], "c": [label, *caption[0]["c"]]}
            caption = [first, *caption[1:]]
        else:
            caption = [Plain([label]), *caption]
        return {**element, "c": [attr, [short, caption], *walk(rest, actions)]}

    actions = {"Figure": numbered, "Table": numbered}
    return walk(blocks, actions)


def _numbered_to(depth: int):
    """A walk action: headings deeper than ``depth`` unnumbered, as LaTeX's secnumdepth leaves them."""
    def action(header: dict, at) -> dict | None:
        level, (ident, classes, attrs), inlines = header["c"]
        if level <= depth or "unnumbered" in classes:
            return None
        return {"t": "Header", "c": [level, [ident, [*classes, "unnumbered"], attrs], inlines]}
    return action


def _inlines(value: dict | None) -> list:
    """A metadata value as inlines (a block value's paragraphs joined)."""
    if value is None:
        return []
    kind = value.get("t")
    if kind == "MetaInlines":
        return value["c"]
    if kind == "MetaString":
        return [Str(value["c"])]
    if kind == "MetaBlocks":
        out: list = []
        for block in value["c"]:
            if block.get("t") in ("Para", "Plain"):
                out += ([Space()] if out else []) + block["c"]
        return out
    return []


def _blocks(value: dict | None) -> list:
    if value is None:
        return []
    if value.get("t") == "MetaBlocks":
        return value["c"]
    inlines = _inlines(value)
    return [Para(inlines)] if inlines else []


def _styled(style: str, blocks: list) -> dict:
    """Blocks in a Word paragraph style (pandoc's ``custom-style``)."""
    return {"t": "Div", "c": [["", [], [["custom-style", style]]], blocks]}


def _author(value: dict) -> dict:
    """An author as pandoc's title block prints one: the name, then the affiliation and email."""
    if value.get("t") != "MetaMap":
        return {"t": "MetaInlines", "c": _inlines(value)}
    fields = value["c"]
    lines = [_inlines(fields.get(k)) for k in ("name", "affiliation", "email")]
    inlines: list = []
    for line in (line for line in lines if line):
        inlines += ([{"t": "LineBreak"}] if inlines else []) + line
    return {"t": "MetaInlines", "c": inlines}


def front_matter(meta: dict, settings: Settings) -> tuple[dict, list, list]:
    """pandoc's metadata for its title block, the blocks that go before the body, and after it.

    Only what the page prints reaches pandoc's metadata (its docx writer would put any
    other field into the document's custom properties).
    """
    anonymous = settings.anonymous
    title_page = bool(dict(settings.docx_settings).get("title_page"))
    from .languages import strings
    words = strings(settings.lang)     # "Abstract", "Keywords"... in the document's language
    kept = {k: meta[k] for k in ("title", "subtitle", "abstract", "lang") if k in meta}
    kept["abstract-title"] = {"t": "MetaInlines", "c": [Str(words["abstract"])]}
    authors = meta.get("author")
    if authors is not None and not anonymous:
        listed = authors["c"] if authors.get("t") == "MetaList" else [authors]
        kept["author"] = {"t": "MetaList", "c": [_author(a) for a in listed]}
    front: list = []
    if settings.keywords:
        front.append(_styled("Abstract", [Para([{"t": "Emph", "c": [Str(f"{words['keywords']}:")]}, Space(),
                                               Str(", ".join(settings.keywords))])]))
    if not anonymous:
        notice = _inlines(meta.get("draft-notice"))
        if notice:
            front.append(_styled("Date", [Para([Str("["), *notice, Str("]")])]))
        version = _inlines(meta.get("version-date"))
        if version:
            front.append(_styled("Date", [Para([Str(f"{words['version_date']}:"), Space(), *version])]))
    if title_page:
        front.append(PAGE_BREAK)
        # the title again, without its notes: they print once, in the title block
        heading = ([_styled("Title", [Plain(without_notes(_inlines(meta.get("title"))))])]
                   if "title" in meta else [])
        if "subtitle" in meta:
            heading.append(_styled("Subtitle", [Plain(without_notes(_inlines(meta.get("subtitle"))))]))
        front += heading
    back: list = []
    acknowledgments = _blocks(meta.get("acknowledgments"))
    if acknowledgments and not anonymous:
        heading = [Str(words["acknowledgments"])]
        back = [{"t": "Header", "c": [1, ["acknowledgments", ["unnumbered"], []], heading]}, *acknowledgments]
    return kept, front, back
