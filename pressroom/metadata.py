"""One reading of the header: pandoc's.

pressroom reads the YAML header itself (manuscript.py), to name the line of
a mistake and to validate values before any tool runs. Pandoc reads the
metadata its own way: it skips a byte-order mark, reads every YAML block in
the document (a later block's value replaces an earlier one's) and reads
values as Markdown. Whatever the two readings disagree on could let a file
in that no check saw (a second block's ``bibliography: /dev/zero``), so the
convert stage, which has pandoc's reading, refuses any disagreement
(``check_one_reading``):

- the metadata pandoc reads from the whole manuscript must be the metadata
  it reads from the header pressroom read, key for key (every value pressroom
  uses itself; the fields pandoc renders may differ only where the body's
  reference links resolve inside them), so no metadata comes from anywhere
  else;
- the files and choices pressroom takes from its reading (``bibliography``,
  ``csl``, ``template``, ``citations``) must be pandoc's, as pandoc's own
  citeproc would take them (its plain text: ``my--refs.bib`` is
  ``my–refs.bib`` to pandoc).

So every path a build uses is pandoc's reading of it, which every check
(``--safe``'s folder rule, the file-type checks) has seen.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

from . import jsoncache
from .errors import ManuscriptError, Warnings
from .frontfields import TEXT_FIELDS
from .manuscript import read_manuscript
from .pandoc_ast import READER, loads, stringify
from .sourcelines import find_line_in, header_close
from .tools import DEFAULT_LIMITS, Limits, pandoc_path, run_pandoc

#: What pressroom takes from its own reading and gives to the tools: they must be pandoc's.
PATH_KEYS = ("bibliography", "csl", "template", "citations", "chapters")
#: Fields pandoc renders from its own metadata (the body's reference links may resolve inside them).
RENDERED = frozenset((*TEXT_FIELDS, "author"))
_HINT = ("keep the whole header in the one YAML block at the top of the file (pandoc also reads a later "
         "`---` block, and its values replace the header's), and name files so that Markdown leaves "
         "them as they are (pandoc reads `--` as a dash and `'` as a curly quotation mark)")


def _header_text(md: Path) -> str:
    """The YAML header pressroom reads, as text (empty when pressroom sees none)."""
    lines = md.read_text(encoding="utf-8").splitlines()
    end = header_close(lines)
    if end is None:
        return ""
    lines[0] = lines[0].removeprefix("\ufeff")
    return "\n".join(lines[:end + 1]) + "\n"


def header_meta(md: Path, *, limits: Limits = DEFAULT_LIMITS, cache: Path | None = None) -> dict:
    """Pandoc's metadata of the header pressroom reads, alone; kept in ``cache`` (a file in the
    build folder, which TeX cannot write even under --safe) by the header's digest."""
    text = _header_text(md)
    if not text:
        return {}
    identity = hashlib.sha256(json.dumps([text, pandoc_path()]).encode("utf-8")).hexdigest()
    kept = jsoncache.load(cache, identity) if cache is not None else {}
    if "meta" in kept:
        return kept["meta"]
    data = run_pandoc(["--from", READER, "--to", "json"], cwd=md.parent, input=text.encode("utf-8"),
                      limits=limits, stage="convert", file=md)
    meta = loads(data, file=md).get("meta", {})
    if cache is not None:
        jsoncache.save(cache, {"meta": meta}, identity)
    return meta


def _plain(value: dict | None) -> Any:
    """A metadata value as pandoc's citeproc takes a file name: plain text (a list stays a list)."""
    if value is None:
        return None
    if value.get("t") == "MetaList":
        return [_plain(v) for v in value["c"]]
    if value.get("t") == "MetaBool":
        return value["c"]
    return stringify(value)


def _ours(value: Any) -> Any:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, list):
        return [_ours(v) for v in value]
    return str(value)


def check_one_reading(meta: dict, md: Path, *, limits: Limits = DEFAULT_LIMITS,
                      cache: Path | None = None) -> None:
    """Refuse a manuscript whose metadata pandoc reads differently from pressroom (see the module);
    ``cache``: where to keep pandoc's reading of the header alone (header_meta)."""
    alone = header_meta(md, limits=limits, cache=cache)
    for key in sorted(set(meta) | set(alone)):
        if key in RENDERED and key in meta and key in alone:
            continue
        if meta.get(key) != alone.get(key):
            where = "outside the header" if key not in alone else "differently from the header"
            raise ManuscriptError(
                f"pandoc reads `{key}` {where} (a second metadata block, or a header pressroom "
                "does not see)", file=md, line=_last_line(md, key), hint=_HINT)
    ours = read_manuscript(md, Warnings(echo=False)).meta if meta else {}
    for key in PATH_KEYS:
        theirs, mine = _plain(meta.get(key)), _ours(ours.get(key))
        if isinstance(mine, str) and isinstance(theirs, list) and len(theirs) == 1:
            theirs = theirs[0]
        if theirs != mine:
            said = f"not {mine!r}" if mine is not None else "where pressroom reads none"
            raise ManuscriptError(f"pandoc reads `{key}` as {theirs!r}, {said}", file=md,
                                  line=_last_line(md, key), hint=_HINT)


def _last_line(md: Path, key: str) -> int | None:
    """The line of the last ``key:`` at the start of a line (the one pandoc takes)."""
    return find_line_in(md, re.compile(rf"^(['\"]?){re.escape(key)}\1[ \t]*:", re.MULTILINE), nth=10**9)
