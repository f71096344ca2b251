"""The stages of a build: what each reads and writes, and the module that runs it.

Each stage is a module with ``run(settings, warnings)``: convert, render,
compile, stamp, preflight (the check stage) and manifest. This table names
their inputs and outputs for doit (tasks.py wires them) and nothing else:
what a stage needs from another comes through that stage's own small
interface (the figures and plain title from facts.py, the expected PDF
metadata from pdfmeta.expected, the line marks from sourcelines.py).

A sixth, bookkeeping task writes ``manifest.json`` (the sha256 of every input
and output, the tool versions) whenever an input or an output changed.
"""

from __future__ import annotations

import contextlib
import importlib
import threading
from dataclasses import dataclass
from pathlib import Path

from . import facts
from .config import Settings
from .errors import Warnings
from .figures import figure_files
from .render import template_files

PACKAGE = Path(__file__).resolve().parent

#: The module that runs each stage, then what it imports only when it runs: 0.4 s in all
#: (pybtex, Jinja2, pikepdf), about as long as the stages spend waiting on pandoc and TeX.
STAGE_MODULES = {
    "convert": ("pressroom.convert", "pressroom.citations.pandoc_filter"),
    "render": ("pressroom.render", "jinja2"),
    "compile": ("pressroom.compile", "pressroom.pdfmeta"),
    "stamp": ("pressroom.stamp",),
    "docx": ("pressroom.docx", "pressroom.citations.pandoc_filter"),
    "check": ("pressroom.preflight",),
    "manifest": ("pressroom.manifest",),
}


@dataclass(frozen=True)
class Stage:
    name: str
    doc: str
    inputs: tuple[Path, ...]
    outputs: tuple[Path, ...]
    #: the settings this stage reads; a change to one of them reruns it
    reads: tuple[str, ...]
    #: other values the stage depends on (name, digest), e.g. the parts of a file it reads
    digests: tuple[tuple[str, str], ...] = ()


def code_files(*names: str) -> list[Path]:
    """pressroom's own modules a stage runs: a new version of them reruns the stage."""
    files: list[Path] = []
    for name in names:
        path = PACKAGE / name
        files += sorted(path.rglob("*.py")) if path.is_dir() else [path]
    return files


def stages(settings: Settings) -> list[Stage]:
    """Every stage of a build of ``settings``, in order.

    The figures are those of pandoc's AST of the manuscript (facts.py),
    however the Markdown refers to them.
    """
    s = settings
    if s.safe:   # refused before any stage runs, and before doit reads an input for its digests
        from .safe import check_before_build
        check_before_build(s)
    digest = facts.source_digest(s.manuscript, s.chapters)
    source = facts.current(s.manuscript, s.out_dir, limits=s.limits, digest=digest, chapters=s.chapters)
    figure_paths = figure_files(s.manuscript, source.figures)
    templates = template_files(s.template_dir)
    bib = list(s.bibliographies)
    csl = [s.csl] if s.csl else []
    # the plain text the PDF's metadata and the template take from the header
    plain = (("plain", repr((source.title, source.short_title, source.subject))),)
    pdf_code = ("pdfmeta.py", "facts.py", "_pdfio.py")
    work = [
        Stage("convert", "Markdown + bibliography → LaTeX body and front matter",
              (*s.chapters, *bib, *csl, *code_files(*_CONVERT_CODE, "citations")),
              (s.output(".body.tex"), s.output(".front.json"), s.output(".words.json")),
              ("citations", "citation_options", "safe", "anonymous", "keywords", "secnumdepth",
               "floats_at_end", "division", "bibliography_list"),
              (("manuscript", digest),)),
        Stage("render", "journal template → .tex",
              (s.output(".body.tex"), s.output(".front.json"), *(p for p in templates if p.suffix != ".docx"),
               *code_files("render.py", "layout.py", "latex.py", "frontfields.py", "facts.py", "sandbox.py",
                           "languages.py")),
              (s.output(".tex"),),
              ("template_name", "template_settings", "lang", "paper", "anonymous", "authors", "safe",
               "engine", "line_numbers", "floats_at_end", "notes", "double_spacing"), plain),
        Stage("compile", "TeX → submission PDF",
              (s.output(".tex"), s.output(".front.json"), *figure_paths,
               *code_files("compile.py", "sourcelines.py", "sandbox.py", *pdf_code)),
              (s.output(".pdf"),),
              ("engine", "source_date_epoch", "authors", "keywords", "lang", "creator", "version_date",
               "safe"), plain),
        Stage("stamp", "watermark and version line → draft PDF",
              (s.output(".pdf"), *code_files("stamp.py", "_pdffont.py", *pdf_code)),
              (s.output("-draft.pdf"),),
              ("stamp", "source_date_epoch", "authors", "keywords", "lang", "creator", "version_date"),
              plain),
    ]
    if s.docx:
        reference = [p for p in (s.template_dir / "reference.docx",) if p.is_file()]
        work.append(Stage("docx", "Markdown + bibliography → Word, with Word's own footnotes",
                          (*bib, *csl, *figure_paths, *reference,
                           *code_files(*_CONVERT_CODE, "docx.py", "docxfile.py", "sandbox.py", "citations")),
                          (s.output(".docx"),),
                          ("citations", "citation_options", "safe", "anonymous", "keywords", "authors",
                           "lang", "source_date_epoch", "docx_settings", "template_name", "secnumdepth",
                           "bibliography_list"),
                          (("manuscript", digest), *plain)))
    docx = (s.output(".docx"),) if s.docx else ()
    work.append(Stage("check", "preflight check of both PDFs" + (" and the Word file" if s.docx else ""),
                      (s.output(".pdf"), s.output("-draft.pdf"), *docx,
                       *code_files("check.py", "preflight.py", *pdf_code,
                                   *(("docx.py", "docxfile.py", "docxcheck.py") if s.docx else ()))),
                      (s.output(".check.json"),),
                      ("authors", "keywords", "lang", "paper", "stamp", "outputs"), plain))
    return [*work,
            Stage("manifest", "sha256 of every input and output, tool versions → manifest.json",
                  (s.manuscript, *s.chapters, *bib, *csl, *figure_paths, *templates,
                   *(p for stage in work for p in stage.outputs), *code_files("manifest.py")),
                  (s.out_dir / "manifest.json",),
                  ("template_name", "source_date_epoch", "engine"))]


_CONVERT_CODE = ("convert.py", "chapters.py", "crossref.py", "layout.py", "pandoc_ast.py", "sourcelines.py",
                 "figures.py", "frontfields.py", "latexblocks.py", "safe.py", "texmath.py", "metadata.py",
                 "facts.py", "jsoncache.py", "latex.py", "languages.py", "pandoc-body.latex", "wordcount.py")


def _runner(stage: str):
    def run_stage(settings: Settings, warnings: Warnings) -> None:
        importlib.import_module(STAGE_MODULES[stage][0]).run(settings, warnings)
    return run_stage


#: stage name → ``run(settings, warnings)`` of its module
RUNNERS = {stage: _runner(stage) for stage in STAGE_MODULES}


_warming: set[str] = set()
_warming_lock = threading.Lock()


def warm_up(stages: tuple[str, ...]) -> None:
    """Import the modules of ``stages`` (a stage that runs, and the build's stages after it) in a
    background thread.

    The first stage that runs calls this: while it waits on pandoc or TeX the
    thread does the imports, so the later stages find their modules loaded
    (a one-paragraph edit spends 0.3 s less). Nothing is imported when no
    stage runs, nor for a stage the build does not have (a PDF build's would-be
    Word stage: pybtex, for a new draft wording). Failures are left to the
    stage's own import, which reports them.
    """
    with _warming_lock:
        modules = [m for name in stages for m in STAGE_MODULES[name] if m not in _warming]
        _warming.update(modules)
    if modules:
        # Not a daemon: a build that fails early waits for the imports at exit (at most 0.3 s)
        # rather than have the interpreter shut down under a thread loading C extensions.
        threading.Thread(target=_import_quietly, args=(modules,), daemon=False,
                         name="pressroom-warm-up").start()


def _import_quietly(modules: list[str]) -> None:
    for module in modules:
        with contextlib.suppress(Exception):   # the stage imports it again and reports the error
            importlib.import_module(module)
