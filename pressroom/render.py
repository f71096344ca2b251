"""Render stage: the journal template + front matter + body → ``<stem>.tex``.

Templates are Jinja2 with LaTeX-safe delimiters, so that braces and percent
signs in the LaTeX need no quoting::

    \\VAR{title}                    a value
    \\BLOCK{if abstract} ... \\BLOCK{endif}
    \\#{ a comment }

Escaping is done here, not by template authors: every value the template
prints is LaTeX-escaped unless it is already LaTeX (the fields pandoc
rendered, and the body). README.md lists every variable a template receives.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import __version__, facts, languages
from .config import PROJECT_TEMPLATES, Settings
from .errors import TemplateError, ToolMissing, Warnings
from .frontfields import read_front
from .latex import latex_escape
from .layout import END_SENTINEL, PREAMBLE_SENTINEL, split_floats
from .locations import CHECKOUT
from .tools import run as run_tool
from .tools import write_text_atomic

TEMPLATE_FILE = "template.tex.j2"
COMMON_DIR = "_common"
#: the compiled templates, kept in the build folder (make_environment)
TEMPLATE_CACHE = ".template-cache"


class Latex(str):
    """A string that is already LaTeX and must not be escaped again."""


def _finalize(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, (Latex, int, float)):
        return value
    return latex_escape(value)


if TYPE_CHECKING:
    import jinja2


def make_environment(template_dir: Path, *, cache_dir: Path | None = None) -> jinja2.Environment:
    """The template's Jinja2 environment. ``cache_dir``: where the compiled templates are kept
    between builds (a build folder's TEMPLATE_CACHE): compiling the template and its shared parts
    is most of this stage's time when only the body changed. Jinja2 checks each kept one against
    its source, so an edited template is compiled again."""
    import jinja2  # here, not at the top: every build's task list reads template_files
    if cache_dir is not None:
        cache_dir.mkdir(exist_ok=True)
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(template_dir), str(PROJECT_TEMPLATES)]),
        block_start_string=r"\BLOCK{", block_end_string="}",
        variable_start_string=r"\VAR{", variable_end_string="}",
        comment_start_string=r"\#{", comment_end_string="}",
        line_statement_prefix=None, line_comment_prefix=None,
        trim_blocks=True, lstrip_blocks=True, autoescape=False,
        undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
        finalize=_finalize,
        bytecode_cache=jinja2.FileSystemBytecodeCache(str(cache_dir)) if cache_dir is not None else None,
    )


def template_files(template_dir: Path) -> list[Path]:
    """Every file a template may pull in (its own folder and the shared parts): doit's deps."""
    files = [p for p in sorted(template_dir.rglob("*")) if p.is_file()]
    common = PROJECT_TEMPLATES / COMMON_DIR
    files += [p for p in sorted(common.rglob("*")) if p.is_file()]
    return files


def template_context(settings: Settings, front: dict, body: str,
                     source: facts.Facts | None = None) -> dict[str, Any]:
    """What a template receives (README.md lists it); ``source``: the manuscript's facts (plain title)."""
    source = source or facts.of_build(settings)
    fields = front.get("fields", {})
    body, floats = split_floats(body, front.get("line_mark", ""))
    authors = [{k: Latex(v) for k, v in a.items()} for a in front.get("authors", [])]
    strings = languages.strings(settings.lang)
    # all the template prints: what languages it switches to, whether it has CJK characters
    latex = "\n".join([body, floats, *fields.values(), *front.get("keywords", []), *strings.values(),
                       *(v for a in front.get("authors", []) for v in a.values())])
    return {
        "title": Latex(fields.get("title", "")),
        "subtitle": Latex(fields.get("subtitle", "")),
        "abstract": Latex(fields.get("abstract", "")),
        "draft_notice": Latex(fields.get("draft-notice", "")),
        "version_date": Latex(fields.get("version-date", "")),
        "acknowledgments": Latex(fields.get("acknowledgments", "")),
        "authors": authors,
        "keywords": list(front.get("keywords", [])),
        "lang": settings.lang,
        # The fixed strings in the document's language, and what babel and xeCJK must load.
        "strings": strings,
        "languages": languages.template_languages(settings.lang, latex),
        "paper": settings.paper,
        "settings": dict(settings.template_settings),
        "anonymous": settings.anonymous,
        "body": Latex(body),
        # Submission layouts (layout.py; _common/layout.tex.j2 and _common/end-matter.tex.j2 print them).
        "floats": Latex(floats),
        "line_numbers": settings.line_numbers,
        "floats_at_end": settings.floats_at_end,
        "endnotes": settings.notes == "endnotes",
        "double_spacing": settings.double_spacing,
        # What pandoc's LaTeX writer says the body needs (_common/pandoc-support.tex.j2 loads it).
        "pandoc_needs": list(front.get("needs", [])),
        "pandoc_highlighting": Latex(front.get("highlighting_macros", "")),
        "pressroom_version": __version__,
        # Plain strings for \hypersetup and running heads: escaped on output.
        "plain_title": source.title,
        "short_title": source.short_title,
        "plain_authors": list(settings.authors),
    }


def check_language_support(settings: Settings, used: dict) -> None:
    """Before TeX: the hyphenation patterns and babel files of every language the document uses,
    the font of those whose letters the main font lacks (Cyrillic, Greek), and xeCJK and the Noto
    CJK fonts when it has CJK characters, are installed (build.py's set-up
    installs them on request); else one error naming what asks for them and the command."""
    if used["cjk"] and settings.engine == "lualatex":
        where, line = languages.where_named("CJK", used["main"], settings.manuscript, settings.bibliographies)
        raise TemplateError(f"render: Chinese, Japanese and Korean characters need XeLaTeX (xeCJK); the "
                            f"template {settings.template_name} uses LuaLaTeX", file=where, line=line,
                            hint="build with a template whose settings.toml has engine = \"xelatex\" "
                                 "(the shipped ones do)")
    needs = languages.support_files(used["babel"], bool(used["cjk"]))
    if not needs:
        return
    files = sorted({need.file for need in needs})
    result = run_tool(["kpsewhich", *files], limits=settings.limits, stage="render", check=False)
    found = {Path(line).name for line in result.stdout.decode("utf-8", "replace").splitlines()}
    for need in needs:
        if need.file in found:
            continue
        where, line = languages.where_named(need.need, used["main"], settings.manuscript,
                                            settings.bibliographies)
        command = f"python3 build.py setup {languages.setup_argument(need.need)}"
        install = f"run `{command}`" if CHECKOUT else "install them"
        packages = " ".join(need.packages)
        raise ToolMissing(f"render: {need.what} ({need.file} not found)", file=where, line=line,
                          hint=f"{install} (Debian packages: {packages}; "
                               f"or `sudo apt-get install {packages}`)")


def render(settings: Settings) -> Path:
    """``<stem>.body.tex`` + ``<stem>.front.json`` + template → ``<stem>.tex`` (atomic)."""
    front = read_front(settings.output(".front.json"))
    body = settings.output(".body.tex").read_text(encoding="utf-8")
    import jinja2
    env = make_environment(settings.template_dir, cache_dir=settings.out_dir / TEMPLATE_CACHE)
    try:
        template = env.get_template(TEMPLATE_FILE)
        context = template_context(settings, front, body)
        check_language_support(settings, context["languages"])
        text = template.render(context)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(f"template syntax error: {exc.message}",
                            file=exc.filename or settings.template_dir / TEMPLATE_FILE,
                            line=exc.lineno) from None
    except jinja2.UndefinedError as exc:
        raise TemplateError(f"template uses an unknown variable: {exc.message}",
                            file=settings.template_dir / TEMPLATE_FILE,
                            hint="README.md lists the variables a template receives") from None
    _check_layouts(settings, text)
    if settings.safe and settings.engine == "lualatex":   # before anything else: sandbox.py
        from .sandbox import lua_preamble
        text = lua_preamble() + text
    return write_text_atomic(settings.output(".tex"), text)


#: a fenced code block's first line
_FENCE = re.compile(r"^\s*(?:```|~~~)", re.MULTILINE)


def likely_preamble(settings: Settings, source: facts.Facts) -> str | None:
    """The preamble (up to ``\\begin{document}``) the render stage will most likely make, before
    the convert stage has made the body: a first build's early XeLaTeX pass reads it (warmtex.py).

    What the preamble takes from the body is guessed: of what pandoc's writer may need, only
    strikeout (``~~``; no guess for a manuscript with fenced code, whose highlighting macros
    pandoc makes), the languages and CJK characters of the Markdown and of the cited .bib
    entries (languages.likely_latex); of the fields, which pandoc writes, only a version date of
    words and numbers, in any script (pandoc prints it as it is; journal-article's footer has
    it). A wrong guess costs only that pass: the compile stage runs the usual one. None when
    there is no guess to make (fenced code) or the template cannot be rendered."""
    md = settings.manuscript
    bibs = [b for b in settings.bibliographies if b.suffix.lower() == ".bib"]
    try:
        markdown = "\n".join(p.read_text(encoding="utf-8") for p in (md, *settings.chapters))
        if _FENCE.search(markdown):
            return None
        bib_texts = [b.read_text(encoding="utf-8", errors="replace") for b in bibs]
        cited = None if "nocite" in markdown else set(source.citations)
        body = languages.likely_latex(settings.lang, markdown, bib_texts, cited)
        plain_date = re.fullmatch(r"[^\W_][^\W_.,]*[.,]?(?:[ -][^\W_][^\W_.,]*[.,]?)*", settings.version_date)
        front = {"fields": {"version-date": settings.version_date} if plain_date else {}, "authors": [],
                 "keywords": [str(k) for k in settings.keywords],
                 "needs": ["strikeout"] if "~~" in markdown else []}
        env = make_environment(settings.template_dir, cache_dir=settings.out_dir / TEMPLATE_CACHE)
        text = env.get_template(TEMPLATE_FILE).render(template_context(settings, front, body, source))
    except Exception:   # a guess never stops a build: the render stage says what is wrong
        return None
    at = text.find("\n\\begin{document}")
    return text[:at + 1] if at >= 0 else None


def _check_layouts(settings: Settings, text: str) -> None:
    """A template asked for a submission layout prints it (through the shared includes), or says no."""
    asked = [key for key, on in (("line-numbers", settings.line_numbers),
                                 ("double-spacing", settings.double_spacing),
                                 ("floats-at-end", settings.floats_at_end),
                                 ("notes: endnotes", settings.notes == "endnotes")) if on]
    at_end = settings.floats_at_end or settings.notes == "endnotes"
    missing = []
    if asked and PREAMBLE_SENTINEL not in text:
        missing.append('\\BLOCK{include "_common/layout.tex.j2"} before \\begin{document}')
    if at_end and END_SENTINEL not in text:
        missing.append('\\BLOCK{include "_common/end-matter.tex.j2"} before \\end{document}')
    if missing:
        raise TemplateError(f"the template {settings.template_name} does not print the submission layout "
                            f"asked for ({', '.join(asked)})", file=settings.template_dir / TEMPLATE_FILE,
                            hint="include " + " and ".join(missing))


def run(settings: Settings, warnings: Warnings) -> None:
    """The stage, as the task runs it."""
    render(settings)
