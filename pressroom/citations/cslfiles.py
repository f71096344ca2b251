"""CSL-JSON and CSL-YAML bibliographies (what Zotero exports) as biblatex text for the Chicago engine.

Pandoc converts them (``pandoc -f csljson -t biblatex``; a YAML file as the
``references`` of a Markdown header), through tools.run_pandoc, so the build's
time and memory limits apply and the file reaches pandoc on its standard input,
never as an argument. Before that, the file is read here, so that an error names
its line: a JSON or YAML syntax error, a file that is not a list of entries, an
entry without an ``id``; an error pandoc reports about an entry (``Error in
$[6]...``) is located at that entry's line. Each converted entry is then placed
at the line of its ``id`` (bibliography.py reports duplicates, unreadable names
and dates there).

What pandoc's biblatex writer leaves out, and pressroom puts back because the
notes use it: ``title-short`` (→ ``shorttitle``, the short notes' title); and the
``publisher`` of a report or thesis is its ``institution``, as biblatex names it, and its
``genre`` its ``type`` ("MA thesis", "Working Paper"; pandoc makes every thesis a
``@phdthesis``). The rest of what it drops is listed in docs/citation-styles.md ("CSL-JSON and
CSL-YAML bibliographies").
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

from pressroom.errors import BibliographyError, ToolError
from pressroom.tools import DEFAULT_LIMITS, Limits, run_pandoc

#: file name suffix → how the file is read
CSL_FORMATS = {".json": "CSL-JSON", ".yaml": "CSL-YAML", ".yml": "CSL-YAML"}
#: CSL variables pandoc's biblatex writer drops that the notes use: CSL name → biblatex field
RESTORED = {"title-short": "shorttitle"}
_HINT = {"CSL-JSON": "export the library again from Zotero as \"CSL JSON\", or fix the file at this line",
         "CSL-YAML": "export the library again as CSL YAML, or fix the file at this line"}
#: biblatex types whose publisher is an ``institution``
_INSTITUTION_TYPES = re.compile(r"@(?:report|techreport|thesis|phdthesis|mastersthesis)\{", re.IGNORECASE)
_JSON_ID = re.compile(r'"id"\s*:')
_PANDOC_PATH = re.compile(r"Error in \$\[(\d+)\]")
_TEX_SPECIAL = re.compile(r"[\\{}%&$#_^~]")
_TEX_ESCAPES = {"\\": r"\textbackslash{}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}


def _tex(value: str) -> str:
    """A plain string as the text of a BibTeX field."""
    return _TEX_SPECIAL.sub(lambda m: _TEX_ESCAPES.get(m.group(0), "\\" + m.group(0)), value)


def is_csl(path: Path) -> bool:
    return Path(path).suffix.lower() in CSL_FORMATS


def to_biblatex(path: Path, text: str, *, limits: Limits = DEFAULT_LIMITS) -> tuple[str, Callable]:
    """The biblatex text pandoc makes of a CSL file (its text ``text``), and ``where(key, nth)``:
    the file's line of the ``nth`` entry with that key (the first line for an unknown one)."""
    kind = CSL_FORMATS[Path(path).suffix.lower()]
    text = text.removeprefix("\ufeff")
    if kind == "CSL-JSON":
        items, lines, id_lines, pandoc_input, fmt = *_read_json(path, text), text, "csljson"
    else:
        items, lines, id_lines, pandoc_input = _read_yaml(path, text)
        fmt = "markdown"
    for item, line in zip(items, lines):
        if not isinstance(item, dict):
            raise BibliographyError(f"{kind}: an entry must be an object with an \"id\", not {item!r:.40}",
                                    file=path, line=line, hint=_HINT[kind])
        if not str(item.get("id", "")).strip():
            raise BibliographyError(f"{kind}: an entry has no \"id\" (its citation key)", file=path,
                                    line=line, hint="give it an \"id\": the key the manuscript cites "
                                                    "(Better BibTeX for Zotero exports its citation keys)")
    try:
        out = run_pandoc(["--from", fmt, "--to", "biblatex", "--standalone"], stage="convert", file=path,
                         input=pandoc_input.encode("utf-8"), limits=limits).decode("utf-8")
    except ToolError as exc:
        detail = exc.message.split("\n", 1)[-1].strip()
        if exc.__class__ is not ToolError:      # a limit, pandoc missing: as they are
            raise
        m = _PANDOC_PATH.search(detail)
        line = lines[int(m.group(1))] if m and int(m.group(1)) < len(lines) else None
        raise BibliographyError(f"pandoc cannot read this {kind} bibliography: {detail}", file=path,
                                line=line, hint=_HINT[kind]) from None
    return _restore(out, items), _where(items, id_lines)


def _read_json(path: Path, text: str) -> tuple[list, list[int], list[int]]:
    """The entries of a CSL-JSON file, the line each starts on and the line of its ``id``."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BibliographyError(f"not valid JSON: {exc.msg} (column {exc.colno})", file=path,
                                line=exc.lineno, hint=_HINT["CSL-JSON"]) from None
    if isinstance(data, dict) and isinstance(data.get("items"), list):
        data = data["items"]                  # {"items": [...]}, which pandoc also reads
    if not isinstance(data, list):
        raise BibliographyError("CSL-JSON: the file must hold a list of entries ([{\"id\": ...}, ...])",
                                file=path, line=1, hint=_HINT["CSL-JSON"])
    return (data, *_json_item_lines(text, len(data)))


def _json_item_lines(text: str, count: int) -> tuple[list[int], list[int]]:
    """The line each item of the (valid) JSON list in ``text`` starts on, and of its ``"id"``."""
    decoder = json.JSONDecoder()
    start = len(text) - len(text.lstrip())
    i = start + 1 if text[start] == "[" else text.index("[", text.index('"items"')) + 1
    starts, ids = [], []
    line, counted = 1, 0      # the line at text[counted]: counted once, however long the file

    def line_at(position: int) -> int:
        nonlocal line, counted
        line += text.count("\n", counted, position)
        counted = position
        return line
    for _ in range(count):
        while text[i] in " \t\r\n,":
            i += 1
        _, end = decoder.raw_decode(text, i)
        key = _JSON_ID.search(text, i, end)
        starts.append(line_at(i))
        ids.append(line_at(key.start()) if key else starts[-1])
        i = end
    return starts, ids


def _read_yaml(path: Path, text: str) -> tuple[list, list[int], list[int], str]:
    """The entries of a CSL-YAML file, their lines and those of their ``id``, and the Markdown
    header pandoc reads them from."""
    import yaml
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise BibliographyError(f"not valid YAML: {exc.problem or exc.context}", file=path,
                                line=mark.line + 1 if mark else None, hint=_HINT["CSL-YAML"]) from None
    except yaml.YAMLError as exc:
        raise BibliographyError(f"not valid YAML: {exc}", file=path, hint=_HINT["CSL-YAML"]) from None
    body = re.sub(r"\A(?:\ufeff)?---[ \t]*\n", "", text.replace("\r\n", "\n"))
    body = re.sub(r"\n(?:\.\.\.|---)[ \t]*\n*\Z", "\n", body)
    if isinstance(data, list):
        entries, seq = data, node
        body = "references:\n" + "".join(f"  {line}\n" for line in body.splitlines())
    elif isinstance(data, dict) and isinstance(data.get("references"), list):
        entries = data["references"]
        seq = next(v for k, v in node.value if k.value == "references")
    else:
        raise BibliographyError("CSL-YAML: the file must hold `references:` and a list of entries "
                                "(or only the list)", file=path, line=1, hint=_HINT["CSL-YAML"])
    starts = [item.start_mark.line + 1 for item in seq.value]
    ids = [next((key.start_mark.line + 1 for key, _ in getattr(item, "value", ())
                 if getattr(key, "value", None) == "id"), start) for item, start in zip(seq.value, starts)]
    return entries, starts, ids, f"---\n{body}\n...\n"


def _restore(biblatex: str, items: list[dict]) -> str:
    """Put back the fields pandoc drops (:data:`RESTORED`), into each entry in order; a report's or
    thesis's publisher (CSL has no other name for it) is its ``institution``, its genre its ``type``."""
    parts = re.split(r"(?m)^(?=@)", biblatex)
    if sum(p.startswith("@") for p in parts) != len(items):    # not one to one: pandoc's text as it is
        return biblatex
    out, k = [], 0
    for part in parts:
        if part.startswith("@"):
            restored = dict(RESTORED)
            if _INSTITUTION_TYPES.match(part):
                part = re.sub(r"(?m)^(\s*)publisher(\s*=)", r"\1institution\2", part)
                restored["genre"] = "type"
            fields = "".join(f",\n  {field} = {{{_tex(items[k][name])}}}" for name, field in restored.items()
                             if isinstance(items[k].get(name), str) and items[k][name].strip())
            if fields:
                part = part[:part.rstrip().rfind("}")].rstrip() + fields + "\n}\n"
            k += 1
        out.append(part)
    return "".join(out)


def _where(items: list[dict], lines: list[int]) -> Callable[[str | None, int], int | None]:
    by_key: dict[str, list[int]] = {}
    for item, line in zip(items, lines):
        by_key.setdefault(str(item.get("id", "")).strip(), []).append(line)

    def where(key: str | None, nth: int = 0) -> int | None:
        found = by_key.get(key or "", [])
        return found[min(nth, len(found) - 1)] if found else (lines[0] if lines else 1)
    return where
