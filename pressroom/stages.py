"""The five stages as functions of the settings, for dodo.py and tests.

Each wraps the module that does the work (convert, render, compile, stamp,
check) and names its inputs and outputs, so that dodo.py stays wiring only.
A sixth, bookkeeping task writes ``manifest.json`` (the sha256 of every input
and output, the tool versions) whenever an input or an output changed.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import re
import threading
from dataclasses import dataclass
from pathlib import Path

from .config import Settings
from .errors import Warnings
from .manuscript import header_end
from .tools import write_text_atomic

PACKAGE = Path(__file__).resolve().parent


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


def convert_fingerprint(manuscript: Path) -> str:
    """sha256 of the manuscript without its `draft` block, which only the stamp reads.

    Convert depends on this instead of the file, so a new stamp wording reruns
    stamp and check only. The block is cut as text: the top-level `draft:` line
    of the YAML header and the indented lines under it.
    """
    lines = manuscript.read_text(encoding="utf-8").splitlines(keepends=True)
    end = header_end([l.rstrip("\r\n") for l in lines])
    kept, in_draft = [], False
    for i, line in enumerate(lines):
        if 0 < i < end - 1:
            if re.match(r"draft\s*:", line):
                in_draft = True
                continue
            if in_draft and (line[:1] in (" ", "\t") or not line.strip()):
                continue
            in_draft = False
        kept.append(line)
    return hashlib.sha256("".join(kept).encode("utf-8")).hexdigest()


def stages(settings: Settings, figures: list[Path], template_files: list[Path]) -> list[Stage]:
    s = settings
    bib = list(s.bibliographies)
    csl = [s.csl] if s.csl else []
    work = _stages(s, bib, csl, figures, template_files)
    return [*work,
            Stage("manifest", "sha256 of every input and output, tool versions → manifest.json",
                  (s.manuscript, *bib, *csl, *figures, *template_files,
                   *(p for stage in work for p in stage.outputs), *code_files("manifest.py")),
                  (s.out_dir / "manifest.json",),
                  ("template_name", "source_date_epoch", "engine"))]


def _stages(s: Settings, bib: list[Path], csl: list[Path], figures: list[Path],
            template_files: list[Path]) -> list[Stage]:
    return [
        Stage("convert", "Markdown + bibliography → LaTeX body and front matter",
              (*bib, *csl, *code_files("convert.py", "citations")),
              (s.output(".body.tex"), s.output(".front.json")),
              ("citations", "citation_options", "safe", "anonymous", "keywords"),
              (("manuscript", convert_fingerprint(s.manuscript)),)),
        Stage("render", "journal template → .tex",
              (s.output(".body.tex"), s.output(".front.json"), *template_files, *code_files("render.py")),
              (s.output(".tex"),),
              ("template_name", "template_settings", "lang", "paper", "anonymous", "title", "short_title", "authors")),
        Stage("compile", "TeX → submission PDF",
              (s.output(".tex"), *figures, *code_files("compile.py", "pdfmeta.py", "_pdfio.py")),
              (s.output(".pdf"),),
              ("engine", "source_date_epoch", "title", "authors", "subject", "keywords", "lang",
               "creator", "version_date")),
        Stage("stamp", "watermark and version line → draft PDF",
              (s.output(".pdf"), *code_files("stamp.py", "pdfmeta.py", "_pdffont.py", "_pdfio.py")),
              (s.output("-draft.pdf"),),
              ("stamp", "source_date_epoch", "title", "authors", "subject", "keywords", "lang",
               "creator", "version_date")),
        Stage("check", "preflight check of both PDFs",
              (s.output(".pdf"), s.output("-draft.pdf"), *code_files("check.py", "pdfmeta.py", "_pdfio.py")),
              (s.output(".check.json"),),
              ("title", "authors", "subject", "keywords", "lang", "paper", "stamp")),
    ]


#: The modules each stage's action imports, in stage order. Importing them costs 0.4 s in all
#: (pybtex, Jinja2, pikepdf), about as long as the stages spend waiting on pandoc and TeX.
STAGE_MODULES = {
    "convert": ("pressroom.convert", "pressroom.citations.pandoc_filter"),
    "render": ("pressroom.render", "jinja2"),
    "compile": ("pressroom.compile", "pressroom.pdfmeta"),
    "stamp": ("pressroom.stamp",),
    "check": ("pressroom.check",),
    "manifest": ("pressroom.manifest",),
}
_warming: set[str] = set()


def warm_up(stage: str) -> None:
    """Import the modules of ``stage`` and the stages after it in a background thread.

    The first stage that runs calls this: while it waits on pandoc or TeX the
    thread does the imports, so the later stages find their modules loaded
    (a one-paragraph edit spends 0.3 s less). Nothing is imported when no
    stage runs. Failures are left to the stage's own import, which reports them.
    """
    order = list(STAGE_MODULES)
    modules = [m for name in order[order.index(stage):] for m in STAGE_MODULES[name]
               if m not in _warming]
    if modules:
        _warming.update(modules)
        # Not a daemon: a build that fails early waits for the imports at exit (at most 0.3 s)
        # rather than have the interpreter shut down under a thread loading C extensions.
        threading.Thread(target=_import_quietly, args=(modules,), daemon=False,
                         name="pressroom-warm-up").start()


def _import_quietly(modules: list[str]) -> None:
    for module in modules:
        try:
            importlib.import_module(module)
        except Exception:  # the stage imports it again and reports the error
            pass


def run_convert(settings: Settings, warnings: Warnings) -> None:
    from .convert import convert
    convert(settings, warnings)


def run_render(settings: Settings, warnings: Warnings) -> None:
    from .render import render
    render(settings)


def run_compile(settings: Settings, warnings: Warnings) -> None:
    from .compile import compile_pdf
    compile_pdf(settings)


def run_stamp(settings: Settings, warnings: Warnings) -> None:
    from .compile import pdf_metadata
    from .stamp import StampSettings, stamp
    o = settings.stamp
    stamp(settings.output(".pdf"), settings.output("-draft.pdf"),
          StampSettings(text=o.text, footer=o.footer, color=o.color, opacity=o.opacity),
          pdf_metadata(settings, draft=True))


def run_check(settings: Settings, warnings: Warnings) -> None:
    """Check both PDFs; the report is the target, so an unchanged build reprints it."""
    report = check_report(settings)
    write_text_atomic(settings.output(".check.json"), json.dumps(report, indent=2, ensure_ascii=False) + "\n")


def check_report(settings: Settings) -> list[dict]:
    """Findings for both PDFs. A PDF whose bytes and expectations are those of the last
    check is not checked again (a new stamp wording changes the draft only)."""
    from concurrent.futures import ThreadPoolExecutor
    from .compile import pdf_metadata
    cache_path = settings.out_dir / ".check-cache.json"
    try:
        cache = json.loads(cache_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        cache = {}
    code = b"".join(p.read_bytes() for p in code_files("check.py", "pdfmeta.py", "_pdfio.py", "stages.py"))
    pending = {}
    # Both PDFs are checked at once, in two threads: each waits on pdftotext part of the time
    # (0.11-0.12 s for the corpus paper's pair, against 0.13-0.16 s one after the other).
    with ThreadPoolExecutor(max_workers=2) as pool:
        for path, draft in ((settings.output(".pdf"), False), (settings.output("-draft.pdf"), True)):
            expected = pdf_metadata(settings, draft=draft)
            # The submission is checked for the absence of any pressroom stamp (its marker), so a
            # new wording re-checks the draft only.
            wording = settings.stamp.text if draft else None
            key = hashlib.sha256(code + path.read_bytes() + repr((expected, settings.paper, draft,
                                                           wording)).encode()).hexdigest()
            cached = cache.get(path.name, {})
            rows = cached["rows"] if cached.get("key") == key else pool.submit(check_rows, settings, path,
                                                                               draft=draft)
            pending[path.name] = (key, rows)
    fresh = {name: {"key": key, "rows": rows if isinstance(rows, list) else rows.result()}
             for name, (key, rows) in pending.items()}
    report = [row for entry in fresh.values() for row in entry["rows"]]
    write_text_atomic(cache_path, json.dumps(fresh) + "\n")
    return report


def check_rows(settings: Settings, pdf: Path, *, draft: bool) -> list[dict]:
    """The findings for one PDF against the manuscript's settings, as report rows."""
    from .check import check_pdf
    from .compile import pdf_metadata
    findings = check_pdf(pdf, expected=pdf_metadata(settings, draft=draft), page_size=settings.paper,
                         draft=draft, stamp_text=settings.stamp.text, limits=settings.limits)
    return [{"pdf": pdf.name, "check": f.check, "ok": f.ok, "reason": f.reason} for f in findings]


def run_manifest(settings: Settings, warnings: Warnings) -> None:
    from .manifest import write_manifest
    from .manuscript import figure_paths
    from .render import template_files
    write_manifest(settings, figure_paths(settings.manuscript), template_files(settings.template_dir))


RUNNERS = {"convert": run_convert, "render": run_render, "compile": run_compile,
           "stamp": run_stamp, "check": run_check, "manifest": run_manifest}
