"""Read a manuscript: its YAML header (validated, with line numbers) and body.

The header is parsed here with PyYAML (not by pandoc) so that a malformed
header gets an error naming the line, and unknown keys get a warning before
any tool runs.
"""

from __future__ import annotations

import datetime
import difflib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import ManuscriptError, Warnings
from .pandoc_ast import nesting_error
from .sourcelines import find_line, header_close, header_end

if TYPE_CHECKING:
    import yaml

#: Every key the YAML header may hold, with what it is for (README documents them).
KNOWN_KEYS = {
    "title": "the paper's title",
    "subtitle": "a subtitle, printed under the title",
    "short-title": "a short title for running heads (default: the title before its colon)",
    "author": "list of {name, affiliation, email}",
    "abstract": "the abstract (Markdown)",
    "keywords": "list of keywords (PDF metadata)",
    "subject": "PDF subject; defaults to the abstract",
    "version-date": "the version date printed on the title page and the draft stamp",
    "draft-notice": "the notice printed in brackets on the title page",
    "bibliography": "the .bib file (or a list of them), relative to the manuscript",
    "template": "the journal template (a folder under templates/)",
    "lang": "the document language, e.g. en-US",
    "citations": "citation engine: chicago (default) or csl",
    "csl": "the CSL style file for citations: csl",
    "draft": "the draft stamp: {text, footer, color, opacity}",
    "acknowledgments": "acknowledgments (left out of anonymised copies)",
    "outputs": "what the build makes besides the PDFs: [pdf, docx]",
    "line-numbers": "true: continuous line numbers in the margin, for reviewers",
    "floats-at-end": "true: figures and tables after the text, each on its own page",
    "notes": "footnotes (default) or endnotes",
    "double-spacing": "true: everything double-spaced, notes too",
    "bibliography-list": "true: print a Bibliography of the cited sources after the body",
    "nocite": "sources to list in the bibliography without citing them: '@key1 @key2', or '@*' for all",
    "chapters": "the chapter files of a book, in order, relative to this file",
}
#: The formats a build makes (`outputs:`, a template's `outputs`, `--to`): the PDFs always.
OUTPUT_FORMATS = ("pdf", "docx")
#: Keys with these prefixes are options for a stage (e.g. citation-ibid: false).
KNOWN_PREFIXES = ("citation-",)

_OPENS_QUOTE = re.compile(r'^\s*(-\s+)?([\w-]+:\s+)?"')


@dataclass(frozen=True)
class Manuscript:
    """A manuscript file and its validated header."""

    path: Path
    meta: dict[str, Any]
    header_end_line: int  # 1-based line of the closing fence; body starts after it

    @property
    def folder(self) -> Path:
        return self.path.parent

    @property
    def stem(self) -> str:
        return self.path.stem

    def get(self, key: str, default: Any = None) -> Any:
        return self.meta.get(key, default)

    def line_of(self, key: str) -> int | None:
        """The line of a top-level header key, for messages about its value."""
        if key not in self.meta:
            return None
        lines = self.path.read_text(encoding="utf-8").splitlines()[1:self.header_end_line]
        return key_line(lines, key)

    @property
    def chapters(self) -> tuple[Path, ...]:
        """The chapter files the header lists (a book), relative to the main file, in order."""
        return tuple(self.folder / c for c in self.meta.get("chapters") or ())

    @property
    def bibliographies(self) -> tuple[Path, ...]:
        """The `.bib` files the header names (one, or a list), relative to the manuscript."""
        bib = self.meta.get("bibliography")
        # a file named twice is read once (it would warn of each of its keys as a duplicate)
        return tuple(dict.fromkeys(self.folder / b for b in ([bib] if isinstance(bib, str) else bib or [])))


def resolve_manuscript_path(arg: str | Path) -> Path:
    """A manuscript given as a .md file or a folder holding exactly one (or paper.md)."""
    path = Path(arg)
    if path.is_dir():
        candidates = sorted(path.glob("*.md"))
        preferred = path / "paper.md"
        if preferred.exists():
            return preferred.resolve()
        if len(candidates) == 1:
            return candidates[0].resolve()
        books = [c for c in candidates if _lists_chapters(c)]   # a book's main file, beside its chapters
        if len(books) == 1:
            return books[0].resolve()
        shown = ", ".join(c.name for c in candidates[:6]) + (", ..." if len(candidates) > 6 else "")
        example = candidates[0].name if candidates else "paper.md"
        raise ManuscriptError(
            f"no single manuscript in this folder: {shown}" if candidates else "no .md file in this folder",
            file=path,
            hint=f"name the .md file to build, e.g. python3 build.py {path / example}")
    if not path.exists():
        raise ManuscriptError("no such manuscript", file=path,
                              hint="give the path of a .md file or of its folder")
    kind = _NOT_MARKDOWN.get(path.suffix.lower())
    if kind:
        raise ManuscriptError(f"this is {kind}, not a Markdown manuscript", file=path,
                              hint="give the manuscript's .md file, or its folder")
    return path.resolve()


#: files a user may name by mistake where the manuscript goes (the .bib beside it, an output)
_NOT_MARKDOWN = {".bib": "a bibliography", ".json": "a JSON file", ".yaml": "a YAML file",
                 ".yml": "a YAML file", ".csl": "a citation style", ".pdf": "a PDF", ".docx": "a Word file",
                 ".tex": "a LaTeX file", ".zip": "a zip archive", ".png": "an image", ".jpg": "an image",
                 ".jpeg": "an image", ".toml": "a settings file"}


def _lists_chapters(path: Path) -> bool:
    """Whether the file's YAML header has a `chapters:` key (read as text: a quick look only)."""
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return False
    end = header_close(lines) if lines and lines[0].strip() == "---" else None
    return end is not None and any(re.match(r"chapters\s*:", line) for line in lines[1:end])


def text_without_key(text: str, key: str) -> str:
    """``text`` with the top-level header key ``key`` and its indented block replaced by empty lines.

    The lines stay where they were, so the body's line numbers do not change.
    """
    lines = text.splitlines(keepends=True)
    end = header_end([line.rstrip("\r\n") for line in lines])
    cut = re.compile(rf"(['\"]?){re.escape(key)}\1\s*:")
    inside = False
    for i in range(1, max(end - 1, 1)):
        line = lines[i]
        if cut.match(line):
            inside = True
        elif not (inside and (line[:1] in (" ", "\t") or not line.strip())):
            inside = False
        if inside:
            lines[i] = "\n"
    return "".join(lines)


def read_manuscript(path: Path, warnings: Warnings | None = None) -> Manuscript:
    """Parse and validate the YAML header of ``path``."""
    warnings = warnings or Warnings()
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise ManuscriptError("the file is not UTF-8 text", file=path, line=line,
                              hint="save the manuscript as UTF-8") from None
    text = text.removeprefix("\ufeff")   # a byte-order mark is no part of the header (nor to pandoc)
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        return Manuscript(path, {}, 0)
    end = header_close(lines)
    if end is None:
        raise ManuscriptError("the YAML header is not closed", file=path, line=1,
                              hint="end the header with a line holding only ---")
    header = "\n".join(lines[1:end])
    import yaml  # here: a build starts pandoc's reading (pandoc_ast.read_ahead) before its 30 ms
    try:
        meta = yaml.safe_load(header) or {}
    except yaml.YAMLError as exc:
        line, problem, hint = _yaml_problem(exc, lines[1:end])
        raise ManuscriptError(f"malformed YAML header: {problem}", file=path, line=line,
                              hint=hint) from None
    except RecursionError:   # `[[[[…` a few thousand deep: PyYAML's parser recurses
        raise nesting_error(path) from None
    except (ValueError, TypeError, OverflowError) as exc:   # a well-formed value of no real kind
        raise ManuscriptError(f"malformed YAML header: a value YAML cannot read ({exc})", file=path,
                              line=_unreadable_value_line(header),
                              hint="a date must be a day of the calendar (2026-02-28); to keep a value as "
                                   'it is written, quote it: version-date: "2026-02-30"') from None
    if not isinstance(meta, dict):
        raise ManuscriptError("the YAML header must be a set of `key: value` lines",
                              file=path, line=2)
    _validate(path, meta, lines[1:end], warnings)
    return Manuscript(path, meta, end + 1)


def _unreadable_value_line(header: str) -> int | None:
    """The file line of the first top-level value PyYAML parses but cannot make a value of
    (``2026-02-30``: a date with no such day; ``!!int abc``), or None."""
    import yaml
    root = yaml.compose(header, Loader=yaml.SafeLoader)
    for _, value in getattr(root, "value", []) if isinstance(root, yaml.MappingNode) else []:
        try:
            yaml.SafeLoader("").construct_object(value, deep=True)
        except (ValueError, TypeError, OverflowError):
            return value.start_mark.line + 2   # +1 for the fence, +1 for 1-based
    return None


def _yaml_problem(exc: yaml.YAMLError, header_lines: list[str]) -> tuple[int, str, str]:
    """(file line, what is wrong, how to fix it) for a YAML error, in a writer's words."""
    mark = getattr(exc, "problem_mark", None)
    context_mark = getattr(exc, "context_mark", None)
    line = mark.line + 2 if mark is not None else 2  # +1 for the fence, +1 for 1-based
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    context = getattr(exc, "context", None) or ""
    hint = ("check indentation (spaces, not tabs) and quote values that contain ': ' or start with a "
            "special character")
    for i, text in enumerate(header_lines[: line - 1]):
        if _OPENS_QUOTE.match(text) and text.replace('\\"', "").count('"') % 2:
            return (i + 2, "a quotation mark is not closed on this line",
                    'close the quotation with " (write \\" for a quotation mark inside it)')
    if "mapping values are not allowed" in problem:
        return (line, "a value contains ': '",
                'put the value in quotation marks, e.g. title: "Part One: A Title"')
    if "'\\t'" in problem:
        return line, "a tab character", "indent with spaces: YAML does not allow tabs"
    if context_mark is not None and ("flow" in context or "quoted" in context):
        opened = context_mark.line + 2
        return (opened, f"{problem} ({context} that starts here)",
                "close the bracket or quotation opened on this line")
    return line, problem, hint


def key_line(header_lines: list[str], key: str) -> int:
    """1-based line in the file of a top-level header key, quoted or not (for messages)."""
    key_at_start = re.compile(rf"^(['\"]?){re.escape(key)}\1[ \t]*:", re.MULTILINE)
    found = find_line("\n".join(header_lines), key_at_start)
    return found + 1 if found else 1


def _validate(path: Path, meta: dict, header_lines: list[str], warnings: Warnings) -> None:
    for key in meta:
        if key in KNOWN_KEYS or str(key).startswith(KNOWN_PREFIXES):
            continue
        close = difflib.get_close_matches(str(key), KNOWN_KEYS, n=1)
        hint = f" (did you mean `{close[0]}`?)" if close else ""
        warnings.warn(f"unknown header key `{key}` is ignored{hint}",
                      file=path, line=key_line(header_lines, str(key)))
    _check_types(path, meta, header_lines)
    authors = meta.get("author")
    if authors is not None:
        if isinstance(authors, (str, dict)):
            authors = [authors]
            meta["author"] = authors
        if not isinstance(authors, list):
            raise ManuscriptError("`author` must be a list of names or of {name, affiliation, email}",
                                  file=path, line=key_line(header_lines, "author"),
                                  hint='e.g. author: "Ann Author", or a list: author: [{name: Ann Author, '
                                       "affiliation: Some University}]")
        for a in authors:
            if isinstance(a, dict) and "name" not in a:
                raise ManuscriptError("an author has no `name`", file=path,
                                      line=key_line(header_lines, "author"),
                                      hint="write `- name: Given Family` under `author:`")
    for key in ("keywords",):
        value = meta.get(key)
        if isinstance(value, str):
            meta[key] = [k.strip() for k in value.split(",") if k.strip()]
    bib = meta.get("bibliography")
    if bib is not None:
        files = [bib] if isinstance(bib, str) else bib
        if not isinstance(files, list) or not files or not all(isinstance(b, str) and b for b in files):
            raise ManuscriptError("`bibliography` must be a file name or a list of them", file=path,
                                  line=key_line(header_lines, "bibliography"),
                                  hint="e.g. `bibliography: references.bib` or "
                                       "`bibliography: [primary.bib, secondary.bib]`")
        for b in files:
            if not (path.parent / b).is_file():
                # a named pipe or a device would be read until it ends, which it may never do
                there = (path.parent / b).exists()
                raise ManuscriptError(f"bibliography {'is not a file' if there else 'file not found'}: {b}",
                                      file=path, line=key_line(header_lines, "bibliography"),
                                      hint="name a .bib file" if there else
                                      f"the path is relative to {path.parent}")
    _check_chapters(path, meta.get("chapters"), header_lines)
    engine = meta.get("citations")
    if engine is not None and engine not in ("chicago", "csl"):
        raise ManuscriptError(f"unknown citation engine `{engine}`", file=path,
                              line=key_line(header_lines, "citations"),
                              hint="use `citations: chicago` (default) or `citations: csl`")


def _check_chapters(path: Path, chapters: Any, header_lines: list[str]) -> None:
    """A book's chapters: Markdown files inside the manuscript folder, each listed once."""
    if chapters is None:
        return
    def fail(what: str, chapter: str | None = None, hint: str | None = None) -> None:
        line = key_line(header_lines, "chapters")
        if chapter is not None:   # the line that names it, in a block list
            found = find_line("\n".join(header_lines), re.compile(rf"^\s*-\s*['\"]?{re.escape(chapter)}"))
            line = found + 1 if found else line
        raise ManuscriptError(what, file=path, line=line,
                              hint=hint or "e.g. `chapters: [introduction.md, chapter-1.md]`, "
                                           "paths relative to this file")
    if not isinstance(chapters, list) or not chapters or not all(
            isinstance(c, str) and c.strip() for c in chapters):
        fail("`chapters` must be a list of Markdown files")
    folder = path.parent.resolve()
    seen: dict[Path, str] = {}
    for chapter in chapters:
        file = path.parent / chapter
        if Path(chapter).is_absolute() or not file.resolve().is_relative_to(folder):
            fail(f"chapter outside the manuscript folder: {chapter}", chapter,
                 "keep the chapters in the main file's folder (or a folder inside it)")
        if file.resolve() == path.resolve():
            fail(f"the main file cannot be one of its own chapters: {chapter}", chapter,
                 "list only the chapter files; the main file's own text comes before them")
        if not file.is_file():
            fail(f"chapter {'is not a file' if file.exists() else 'file not found'}: {chapter}", chapter,
                 f"the path is relative to {path.parent}")
        if file.suffix.lower() not in (".md", ".markdown"):
            fail(f"a chapter must be a Markdown file (.md): {chapter}", chapter)
        if file.resolve() in seen:
            fail(f"chapter listed twice: {chapter}", chapter, "list each chapter file once")
        seen[file.resolve()] = chapter


#: Header keys whose value is one piece of text (a number or date is taken as text).
TEXT_KEYS = ("title", "subtitle", "short-title", "abstract", "subject", "version-date",
             "draft-notice", "acknowledgments", "template", "lang", "csl")
_SCALAR = (str, int, float, datetime.date)
def citation_option_problem(option: str, value: Any, *, prefix: str = "") -> str | None:
    """What a Chicago style setting's value must be, if it is not (the header's
    `citation-*` keys and a template's [citations] table); None when it is fine."""
    from .citations.options import option_problem  # light: no pybtex
    return option_problem(option, value, prefix=prefix)


def _check_types(path: Path, meta: dict, header_lines: list[str]) -> None:
    """Each known key holds the kind of value it needs, so no later stage trips over it."""
    def fail(key: str, what: str, hint: str | None = None) -> None:
        raise ManuscriptError(f"`{key}` must be {what}", file=path, line=key_line(header_lines, key),
                              hint=hint or "README.md lists the header keys and their values")

    for key in TEXT_KEYS:
        value = meta.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, _SCALAR)):
            fail(key, "text", "write it on one line after the key, in quotation marks if it holds ': '")
    if "bibliography-list" in meta and not isinstance(meta["bibliography-list"], bool):
        fail("bibliography-list", "true or false", "write `bibliography-list: true`")
    if "nocite" in meta and not isinstance(meta["nocite"], str):
        fail("nocite", "citation keys in one string", "write `nocite: '@key1 @key2'`, or `nocite: '@*'`")
    keywords = meta.get("keywords")
    if keywords is not None and not isinstance(keywords, str) and not (
            isinstance(keywords, list) and all(isinstance(k, _SCALAR) for k in keywords)):
        fail("keywords", "a list of words or phrases", "write `keywords: [one, two]`")
    if isinstance(keywords, list) and any("," in str(k) for k in keywords):
        fail("keywords", "phrases without commas (the PDF's keyword list is comma-separated)",
             "split the phrase into two keywords, or use a semicolon")
    authors = meta.get("author")
    for a in authors if isinstance(authors, list) else [authors] if authors is not None else []:
        fields = a if isinstance(a, dict) else {"name": a}
        if any(k in fields and not isinstance(fields[k], _SCALAR) for k in ("name", "affiliation", "email")):
            fail("author", "a list of names or of {name, affiliation, email}, each one piece of text",
                 "write `- name: Given Family` and `affiliation:`, `email:` under it")
    from .layout import KEYS as LAYOUT_KEYS
    from .layout import example, problem
    for key in LAYOUT_KEYS:
        if key in meta and problem(key, meta[key]):
            fail(key, problem(key, meta[key]), f"e.g. `{key}: {example(key)}`")
    for key, value in meta.items():
        if not str(key).startswith("citation-"):
            continue
        problem = citation_option_problem(str(key)[len("citation-"):], value, prefix="citation-")
        if problem:
            fail(str(key), problem)
    problem = outputs_problem(meta.get("outputs"))
    if problem:
        fail("outputs", problem, "e.g. `outputs: [pdf, docx]`")
    draft = meta.get("draft")
    if draft is not None:
        if not isinstance(draft, dict):
            fail("draft", "a block of `text`, `footer`, `color`, `opacity`")
        for key in ("text", "footer"):
            if key in draft and not isinstance(draft[key], _SCALAR):
                fail("draft", f"a block whose `{key}` is text")
        opacity = draft.get("opacity")
        if "opacity" in draft and (isinstance(opacity, bool) or not isinstance(opacity, (int, float))
                                    or not 0 < opacity <= 1):
            fail("draft", "a block whose `opacity` is a number between 0 and 1", "e.g. `opacity: 0.3`")
        color = draft.get("color")
        if "color" in draft and not isinstance(color, str) and not (
                isinstance(color, list) and len(color) == 3
                and all(isinstance(c, (int, float)) and not isinstance(c, bool) and 0 <= c <= 1
                        for c in color)):
            fail("draft", "a block whose `color` is a name, #rrggbb or three numbers from 0 to 1",
                 "e.g. `color: grey` or `color: \"#999999\"`")


def outputs_problem(value: Any) -> str | None:
    """What `outputs` (header or settings.toml) must be, if it is not; None when it is fine."""
    if value is None:
        return None
    formats = [value] if isinstance(value, str) else value
    if not isinstance(formats, list) or not all(isinstance(f, str) for f in formats):
        return f"a list of formats ({', '.join(OUTPUT_FORMATS)})"
    unknown = [f for f in formats if f not in OUTPUT_FORMATS]
    if unknown:
        return f"a list of {', '.join(OUTPUT_FORMATS)}, not {', '.join(unknown)}"
    return None


def author_names(meta: dict) -> list[str]:
    names = []
    for a in meta.get("author") or []:
        names.append(str(a.get("name", "")) if isinstance(a, dict) else str(a))
    return names


def identifying(meta: dict) -> tuple[str, ...]:
    """What an anonymous copy must not name: every author's name, email and affiliation."""
    found = []
    for author in meta.get("author") or []:
        fields = author if isinstance(author, dict) else {"name": author}
        found += [str(fields[k]).strip() for k in ("name", "email", "affiliation") if fields.get(k)]
    return tuple(dict.fromkeys(f for f in found if f))
