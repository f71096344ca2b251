"""Compile stage: ``<stem>.tex`` → ``<stem>.pdf`` with latexmk and XeLaTeX.

TeX runs in the build folder with shell escape off and kpathsea's paranoid
file access (``openin_any=p``, ``openout_any=p``): it can read and write only
below the build folder, so the figures the body includes are copied there
first. Auxiliary files stay in ``tex/`` so the next build starts warm
(latexmk runs only the passes the document needs). The PDF TeX made is then
given its metadata and written to ``<stem>.pdf`` atomically: a failed
compile leaves the previous good PDF untouched.

Every date in the PDF comes from ``SOURCE_DATE_EPOCH`` (the settings), never
from the clock.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from .config import Settings
from .errors import LatexError, ToolError
from .tools import run

AUX_DIR = "tex"
_MISSING_GLYPH = re.compile(r"Missing character: There is no (.+?) \(U\+([0-9A-F]+)\) in font (.+?)!")
_MISSING_GLYPH_OLD = re.compile(r"Missing character: There is no (.) in font (.+?)!")
_FILE_LINE_ERROR = re.compile(r"^(?:\./)?([^:\s]+\.tex):(\d+): (.*)$")


@dataclass(frozen=True)
class TexEnvironment:
    """The environment TeX runs in: reproducible dates, no shell, paranoid file access."""

    source_date_epoch: int

    def variables(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("TEXMF", "TEXINPUTS", "openin", "openout", "shell_escape"))}
        env.update({
            "SOURCE_DATE_EPOCH": str(self.source_date_epoch),
            "FORCE_SOURCE_DATE": "1",
            "openin_any": "p",
            "openout_any": "p",
            "shell_escape": "f",
            "max_print_line": "10000",   # one log line per message: parseable
            "TZ": "UTC",
        })
        return env


def latexmk_command(settings: Settings, tex: Path) -> list[str]:
    engine_flag = {"xelatex": "-xelatex", "lualatex": "-lualatex"}[settings.engine]
    return ["latexmk", "-norc", engine_flag, "-interaction=nonstopmode", "-halt-on-error",
            "-file-line-error", "-no-shell-escape", f"-outdir={AUX_DIR}",
            "-silent" if not settings.verbose else "-verbose", tex.name]


def stage_figures(settings: Settings) -> list[Path]:
    """Copy the figures the body includes into the build folder (TeX reads nothing else)."""
    front = json.loads(settings.output(".front.json").read_text(encoding="utf-8"))
    copied = []
    for rel in front.get("images", []):
        src = settings.manuscript.parent / rel
        dst = settings.out_dir / rel
        if not dst.resolve().is_relative_to(settings.out_dir):
            continue  # convert refuses these already; never write outside the build folder
        dst.parent.mkdir(parents=True, exist_ok=True)
        if not dst.exists() or dst.read_bytes() != src.read_bytes():
            shutil.copyfile(src, dst)
        copied.append(dst)
    return copied


def compile_pdf(settings: Settings) -> Path:
    """Run latexmk, check the log, write ``<stem>.pdf`` with its metadata."""
    tex = settings.output(".tex")
    stage_figures(settings)
    env = TexEnvironment(settings.source_date_epoch).variables()
    log = settings.out_dir / AUX_DIR / f"{settings.stem}.log"
    try:
        result = run(latexmk_command(settings, tex), cwd=settings.out_dir, env=env, what="latexmk")
    except ToolError as exc:
        raise latex_error(log, tex, fallback=exc.message) from None
    if settings.verbose:
        print(result.stdout.decode("utf-8", "replace"))
    check_log(log, tex)
    from .pdfmeta import write_metadata
    raw_pdf = settings.out_dir / AUX_DIR / f"{settings.stem}.pdf"
    return write_metadata(raw_pdf, settings.output(".pdf"), pdf_metadata(settings, draft=False))


def pdf_metadata(settings: Settings, *, draft: bool):
    from .pdfmeta import PdfMetadata
    return PdfMetadata(
        title=settings.title, authors=settings.authors, subject=settings.subject,
        keywords=settings.keywords, language=settings.lang, creator=settings.creator,
        date=datetime.fromtimestamp(settings.source_date_epoch, timezone.utc),
        draft=draft, version_date=settings.version_date)


def check_log(log: Path, tex: Path) -> None:
    """Fail on missing glyphs: a character that does not print is a broken document."""
    text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
    missing: dict[str, set[str]] = {}
    for m in _MISSING_GLYPH.finditer(text):
        missing.setdefault(f"{m.group(1)} (U+{m.group(2)})", set()).add(m.group(3))
    for m in _MISSING_GLYPH_OLD.finditer(text):
        missing.setdefault(f"{m.group(1)} (U+{ord(m.group(1)):04X})", set()).add(m.group(2))
    if missing:
        chars = ", ".join(sorted(missing))
        fonts = ", ".join(sorted({f for fs in missing.values() for f in fs}))
        raise LatexError(f"characters missing from the font ({fonts}): {chars}",
                         file=tex, hint=f"choose a font that has them (template settings.toml `mainfont`); full log: {log}")


def latex_error(log: Path, tex: Path, *, fallback: str) -> LatexError:
    """The `!` line of the log and its context, with the .tex line and the log's path."""
    if not log.exists():
        return LatexError(fallback, file=tex)
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    for i, line in enumerate(lines):
        m = _FILE_LINE_ERROR.match(line)
        if m or line.startswith("! "):
            message = m.group(3) if m else line[2:]
            context = [l for l in lines[i + 1:i + 4] if l.strip()]
            file = tex if not m or m.group(1).endswith(tex.name) else tex.parent / m.group(1)
            lineno = int(m.group(2)) if m else _line_from_context(lines[i:i + 6])
            detail = "\n  ".join(context)
            return LatexError(f"LaTeX error: {message}" + (f"\n  {detail}" if detail else ""),
                              file=file, line=lineno, hint=f"full log: {log}")
    return LatexError(fallback, file=tex, hint=f"full log: {log}")


def _line_from_context(lines: list[str]) -> int | None:
    for line in lines:
        m = re.match(r"l\.(\d+)", line)
        if m:
            return int(m.group(1))
    return None
