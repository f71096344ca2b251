"""Pandoc's LaTeX writer, called only on the top-level blocks that changed since the last build.

Pandoc writes each top-level block the same whatever surrounds it
(tests/test_convert.py checks it on the corpus and on random edits), so a
one-paragraph edit needs the LaTeX of that paragraph only: the rest comes
from ``WRITE_CACHE`` in the build folder. Several units (blocks, the
front-matter fields) go to pandoc in one call, each after a marker comment
(``BlockWriter.marker``), and the LaTeX is cut back into units at the markers
(``split_marked``). A marker holds a nonce drawn afresh for each writer, so
no content can make one: a code block holding a line like a marker (which
pandoc prints as it is, in a verbatim environment) would otherwise cut a
unit there and make the rest of the block LaTeX. The body is put together
the same way whether its blocks come from the cache or from pandoc, so a
rebuild gives the bytes of a cold build.

What the body needs from the preamble (``pandoc-body.latex``'s variables) is
the union over its blocks. A block's needs are known when pandoc wrote it
alone or in a call that needed nothing; when a call on several blocks needs
something (a table, say), ``_own_needs`` asks pandoc block by block. The
cache is used only when every reused block's needs are known, else every
block is written again.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from . import jsoncache
from .pandoc_ast import RawBlock
from .sourcelines import is_line_mark
from .tools import DEFAULT_LIMITS, Limits, pandoc_path, run_pandoc

#: In the build folder: the LaTeX of each top-level block of the last build, by the block's JSON.
WRITE_CACHE = ".convert-cache.json"
#: Pandoc template that prints the body, then the template variables that say what it needs.
BODY_TEMPLATE = Path(__file__).with_name("pandoc-body.latex")
NEEDS, HIGHLIGHTING = "pandoc-needs", "pandoc-highlighting"
#: A marker: this, the writer's nonce (also pandoc-body.latex's `pressroom-nonce`), a colon, the unit.
_MARK = "%%pressroom-"
_NONCE = "pressroom-nonce"
_UNIT = "unit."
#: Block content that pandoc's writer may need a package for (see BlockWriter._own_needs).
_SUSPECT = re.compile(r'"t": "(?:Table|Strikeout|Underline|Span|CodeBlock|Code|Math|Figure|Div|Image)"')


def split_marked(latex: str, mark: str) -> dict[str, str]:
    """Pandoc's LaTeX cut at the markers (lines starting with ``mark``): unit name → its LaTeX."""
    parts: dict[str, str] = {}
    current = None
    lines: list[str] = []
    for line in latex.splitlines():
        if line.startswith(mark):
            if current is not None:
                parts[current] = "\n".join(lines).strip()
            current, lines = line[len(mark):].strip(), []
        else:
            lines.append(line)
    if current is not None:
        parts[current] = "\n".join(lines).strip()
    return parts


#: The fields: (name, blocks) for each, as frontfields.field_units gives them.
Fields = list[tuple[str, list[dict]]]


class BlockWriter:
    """Pandoc's LaTeX writer over the body's blocks and the front-matter fields (one more unit)."""

    def __init__(self, api_version: list, meta: dict, args: list[str], *, cwd: Path,
                 limits: Limits = DEFAULT_LIMITS, source: Path | None = None):
        self.api_version, self.meta, self.args, self.cwd = api_version, meta, args, cwd
        self.limits, self.source = limits, source
        self.nonce = secrets.token_hex(16)
        #: how this writer's markers start: no content can hold it (it is drawn for this writer)
        self.mark = f"{_MARK}{self.nonce}:"

    def marker(self, name: str) -> dict:
        """A raw block that starts the unit ``name`` in a call to pandoc."""
        return RawBlock("latex", f"{self.mark}{name}")

    def units(self, blocks: list[dict]) -> dict[str, list[dict]]:
        """A marked document's blocks cut back into units at the markers: unit name → blocks."""
        units: dict[str, list[dict]] = {}
        current: list[dict] | None = None
        for block in blocks:
            if block.get("t") == "RawBlock" and block["c"][1].startswith(self.mark):
                current = units.setdefault(block["c"][1][len(self.mark):], [])
            elif current is not None:
                current.append(block)
        return units

    def _marked(self, fields: Fields) -> list[dict]:
        return [b for name, blocks in fields for b in (self.marker(name), *blocks)]

    def document(self, blocks: list[dict]) -> dict:
        """A pandoc document of ``blocks`` with this writer's metadata (and its nonce, for the template)."""
        meta = {**self.meta, _NONCE: {"t": "MetaString", "c": self.nonce}}
        return {"pandoc-api-version": self.api_version, "meta": meta, "blocks": blocks}

    def _pandoc(self, blocks: list[dict] | dict) -> dict[str, str]:
        doc = blocks if isinstance(blocks, dict) else self.document(blocks)
        latex = run_pandoc(self.args, cwd=self.cwd, input=json.dumps(doc).encode(), limits=self.limits,
                           stage="convert", file=self.source).decode("utf-8")
        return split_marked(latex, self.mark)

    def whole(self, blocks: list[dict], fields: Fields,
              before: Callable[[dict], dict] | None = None) -> dict[str, str]:
        """Everything in one call (citeproc numbers and shortens notes across blocks); ``before``
        changes the marked document first (the citeproc step)."""
        doc = self.document([self.marker("body"), *blocks, *self._marked(fields)])
        return self._pandoc(before(doc) if before else doc)

    def cached(self, blocks: list[dict], fields: Fields, cache_path: Path) -> dict[str, str]:
        """The body (``body``), the fields, ``NEEDS`` and ``HIGHLIGHTING``; pandoc writes only new units."""
        identity = self._identity()
        cache = jsoncache.load(cache_path, identity)
        if not isinstance(cache.get("units"), dict):
            cache = {"units": {}}
        entries = cache["units"]
        units: dict[str, list[dict]] = {}   # key → the unit's blocks (a block, or the fields)
        body: list[str] = []                # line marks (as they are) and unit keys, in order
        for block in blocks:
            if is_line_mark(block):
                body.append(block["c"][1])
                continue
            key = _unit_key([block])
            units[key] = [block]
            body.append(key)
        fields_key = _unit_key([[name, unit] for name, unit in fields])
        units[fields_key] = self._marked(fields)
        reuse = all(entries[k]["needs"] is not None for k in units if k in entries)
        missing = [k for k in units if k not in entries] if reuse else list(units)
        batch_needs: list[str] = []
        highlighting = cache.get("highlighting")
        if missing:
            batch = [b for i, k in enumerate(missing) for b in (self.marker(f"{_UNIT}{i}"), *units[k])]
            parts = self._pandoc(batch)
            batch_needs = sorted(parts.get(NEEDS, "").split())
            highlighting = parts.get(HIGHLIGHTING) or highlighting
            own = (self._own_needs(missing, units) if batch_needs and len(missing) > 1
                   else dict.fromkeys(missing, batch_needs))
            for i, k in enumerate(missing):
                entries[k] = {"latex": _unit_latex(parts, i, fields_key == k), "needs": own[k]}
        # Exact: what the blocks written in this call need together, and what the reused ones need.
        written = set(missing)
        needs = sorted({*batch_needs, *(n for k in units if k not in written for n in entries[k]["needs"])})
        kept = {"units": {k: entries[k] for k in units}}
        if highlighting is not None:
            kept["highlighting"] = highlighting
        jsoncache.save(cache_path, kept, identity)
        result = json.loads(entries[fields_key]["latex"] or "{}")
        result["body"] = "\n\n".join(t for t in (entries[p]["latex"] if p in units else p for p in body) if t)
        result[NEEDS] = " ".join(needs)
        result[HIGHLIGHTING] = (highlighting or "") if "highlighting" in needs else ""
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

        with ThreadPoolExecutor(max_workers=2) as pool:
            found = list(pool.map(needs_of, groups))
        own: dict[str, list[str] | None] = {}
        for group, needs in zip(groups, found):
            for k in group:
                own[k] = needs if (len(group) == 1 or not needs) else None
        return own

    def _identity(self) -> str:
        """What the cached LaTeX depends on besides the blocks: pandoc, its arguments, the metadata."""
        exe = Path(pandoc_path()).stat()
        parts = [self.args, BODY_TEMPLATE.read_text(encoding="utf-8"), self.meta, self.api_version,
                 exe.st_size, exe.st_mtime_ns]
        return hashlib.sha256(json.dumps(parts).encode()).hexdigest()


def _unit_key(blocks: list[dict]) -> str:
    return hashlib.sha256(json.dumps(blocks, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()


def _unit_latex(parts: dict[str, str], i: int, is_fields: bool) -> str:
    """A unit's LaTeX from a batch; the fields unit's is a JSON object: field name → LaTeX."""
    if not is_fields:
        return parts.get(f"{_UNIT}{i}", "")
    return json.dumps({k: v for k, v in parts.items()
                       if not k.startswith(_UNIT) and k not in (NEEDS, HIGHLIGHTING)}, ensure_ascii=False)
